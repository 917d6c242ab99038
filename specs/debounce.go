package specs

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig"
)

// Debounce judged edge by edge on the MCU's clock: what passes, when, at
// which level, and what a disable forgets. The filter itself (short pulses
// dropped, long ones passed, the narrowest that passes) is in Emulation.
var _ = node(func() {
	Describe("Debounce", Label("debounce", "cap:debounce"), func() {
		BeforeEach(func() { needCap("debounce", Fixture().Capabilities.Debounce) })

		It("delivers both edges of held changes, the trailing edge too, each once and at its level", func(ctx SpecContext) {
			prepare(ctx)
			p := pair(0)
			db := Fixture().Timing.Debounce
			rs := debounced(ctx, p, clx.ActiveBoth)
			for i, high := range []bool{true, false, true, false} {
				acks := collectAcks(ctx, p, 1, db+Fixture().Timing.Quiet, func() { drive(ctx, p.Stimulus.Name, high) })
				Expect(acks).To(HaveLen(1), "held change %d to %v", i, high)
				Expect(acks[0].Level).To(Equal(high), "the ack mirrors the debounced level of change %d", i)
			}
			Expect(rs.Deliveries()).To(Equal(4))
		}, SpecTimeout(specTimeout))

		It("delivers nothing before the timeout has elapsed", func(ctx SpecContext) {
			prepare(ctx)
			p := pair(0)
			t := Fixture().Timing
			db := t.Debounce
			needRealTimeMCU()
			debounced(ctx, p, clx.ActiveBoth)
			// The timeout runs on the target's clock: the MCU's edge times
			// are taken to host time (an emulated MCU's clock is not).
			m, how, err := theRig.MCUClock(ctx)
			Expect(err).NotTo(HaveOccurred())
			for i, high := range []bool{true, false} {
				res := probe(ctx, p, high, 2*db+t.ProbeTimeout)
				Expect(res.TimedOut).To(BeFalse(), "held change %d got no answer", i)
				took := m.HostTime(res.T1).Sub(m.HostTime(res.T0))
				u := m.UncertaintyAt(res.T0) + m.UncertaintyAt(res.T1)
				early := t.DebounceEarly // the target's own granularity (timing.debounce_early)
				Expect(took).To(BeNumerically(">=", db-early-u), "change %d answered %v after the edge (± %v, %s), inside the %v timeout (less %v the target may end it early)", i, took, u, how, db, early)
				AddReportEntry("debounced latency", fmt.Sprintf("change to %v answered after %v ± %v (timeout %v)", high, took, u, db))
			}
		}, SpecTimeout(specTimeout))

		It("delivers a level that settles after bounces exactly once", func(ctx SpecContext) {
			r := prepare(ctx)
			p := pair(0)
			db := Fixture().Timing.Debounce
			rs := debounced(ctx, p, clx.ActiveBoth)
			acks := collectAcks(ctx, p, 1, db+Fixture().Timing.Quiet, func() {
				// Five bounces of a tenth of the timeout, then held high.
				Expect(r.Pulse(ctx, p.Stimulus.Name, true, db/10, db/5, 5)).To(Succeed())
				drive(ctx, p.Stimulus.Name, true)
			})
			Expect(acks).To(HaveLen(1), "deliveries for one settled change after bounces")
			Expect(acks[0].Level).To(BeTrue())
			Expect(rs.Deliveries()).To(Equal(1))
		}, SpecTimeout(specTimeout))

		It("delivers a debounced change that completed while masked once, on unmask", Label("masking"), func(ctx SpecContext) {
			prepare(ctx)
			// The last pair: on most rigs a pin past its bank's first.
			p := theRig.Pairs[len(theRig.Pairs)-1]
			t := Fixture().Timing
			db := t.Debounce
			drive(ctx, p.Stimulus.Name, false)
			settle(ctx)
			rs := respond(ctx, rig.ResponderConfig{Pair: p.Name, Polarity: clx.ActiveHigh, Debounce: db, Ack: rig.AckToggle})
			// The change starts debouncing unmasked and completes masked.
			drive(ctx, p.Stimulus.Name, true)
			sleep(ctx, db/2)
			Expect(rs.Conn().Mask(ctx)).To(Succeed())
			Expect(collectAcks(ctx, p, 0, 2*db+t.Quiet, nil)).To(BeEmpty(), "a change that completed while masked was delivered before the unmask")
			acks := collectAcks(ctx, p, 1, t.Quiet, func() { Expect(rs.Conn().Unmask(ctx)).To(Succeed()) })
			Expect(acks).To(HaveLen(1), "the held change, on unmask")
			Expect(rs.Deliveries()).To(Equal(1))
		}, SpecTimeout(specTimeout))

		It("forgets a debounced change held while masked when the interrupt is disabled", Label("masking"), func(ctx SpecContext) {
			prepare(ctx)
			p := pair(0)
			t := Fixture().Timing
			db := t.Debounce
			rs, err := theRig.Respond(ctx, rig.ResponderConfig{Pair: p.Name, Polarity: clx.ActiveHigh, Debounce: db, Ack: rig.AckToggle})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(rs.Close)
			settle(ctx)
			// The change starts debouncing unmasked and completes masked.
			drive(ctx, p.Stimulus.Name, true)
			sleep(ctx, db/2)
			Expect(rs.Conn().Mask(ctx)).To(Succeed())
			sleep(ctx, 2*db)
			Expect(rs.Close()).To(Succeed())
			again := respond(ctx, rig.ResponderConfig{Pair: p.Name, Polarity: clx.ActiveHigh, Debounce: db, Ack: rig.AckToggle})
			Expect(collectAcks(ctx, p, 0, 2*db+t.Quiet, nil)).To(BeEmpty(), "a change debounced before the interrupt was disabled was delivered after it was connected again")
			Expect(again.Deliveries()).To(BeZero())
			drive(ctx, p.Stimulus.Name, false)
			sleep(ctx, 2*db)
			acks := collectAcks(ctx, p, 1, db+t.Quiet, func() { drive(ctx, p.Stimulus.Name, true) })
			Expect(acks).To(HaveLen(1), "a new held change after reconnecting")
			Expect(again.Deliveries()).To(Equal(1), "deliveries since reconnecting: one change, and nothing kept from before")
		}, SpecTimeout(specTimeout))
	})
})

// debounced connects a mirroring responder with the fixture's debounce
// timeout on the pair, its stimulus idle low.
func debounced(ctx context.Context, p rig.Pair, pol clx.Polarity) *rig.Responder {
	GinkgoHelper()
	drive(ctx, p.Stimulus.Name, false)
	settle(ctx)
	return respond(ctx, rig.ResponderConfig{Pair: p.Name, Polarity: pol, AssertedHigh: true, Debounce: Fixture().Timing.Debounce,
		Ack: rig.AckMirror})
}

// needRealTimeMCU skips a spec that holds the target's real-time behaviour
// to the MCU's edge times where those cannot bound it.
func needRealTimeMCU() {
	GinkgoHelper()
	if why := theRigOrFail().MCUTimeUnbounded(); why != "" {
		Skip(why)
	}
}

// sleep waits d, or until the spec is interrupted.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
}

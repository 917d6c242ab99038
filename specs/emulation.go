package specs

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
)

// bothMode says whether the rig's controller senses both edges itself.
func bothMode() string {
	if theRig != nil && theRig.Framework.Info().Flags&clx.EmulateActiveBoth != 0 {
		return "emulated"
	}
	return "native"
}

func debounceMode() string {
	if theRig != nil && theRig.Framework.Info().Flags&clx.EmulateDebounce != 0 {
		return "emulated"
	}
	return "native"
}

var _ = node(func() {
	Describe("Emulation", Label("emulation"), func() {
		It("answers active-both pulses edge by edge, in order, down to a measured minimum width, within the fixture's budget", func(ctx SpecContext) {
			r := prepare(ctx)
			p := pair(0)
			rs := respondBoth(ctx, p)
			const pulses = 5
			// A trial: pulses low from the idle-high stimulus, each answered
			// by the mirroring responder with the stimulus's level, in order.
			floor := bisectPulse(ctx, fmt.Sprintf("active-both (%s)", bothMode()), 50*time.Millisecond, func(ctx context.Context, w time.Duration) (bool, time.Duration) {
				edges := edgesDuring(ctx, func() {
					Expect(r.Pulse(ctx, p.Stimulus.Name, false, w, 3*w, pulses)).To(Succeed())
				}, p.Stimulus, p.Ack)
				acks := edges[p.Ack.Name]
				ok := len(acks) == 2*pulses
				for i, a := range acks {
					ok = ok && a.Level == (i%2 == 1) // low, high, low, high…
				}
				if !ok {
					// Start the next trial from idle: the line high, a new
					// responder whose ack is high too.
					Expect(rs.Close()).To(Succeed())
					rs = respondBoth(ctx, p)
				}
				return ok, narrowestPulse(edges[p.Stimulus.Name], false)
			})
			floor.Budget = Fixture().Budgets.NarrowestPulse
			AddReportEntry("narrowest pulse", floor)
			record(func(res *Results) { res.PulseFloors = append(res.PulseFloors, floor) })
			if floor.Budget > 0 {
				// Judged on the width asked: the MCU may stretch a pulse
				// (its loop, a slow host), which only makes a pulse easier.
				Expect(floor.Asked).To(BeNumerically("<=", floor.Budget),
					"the narrowest active-both pulse answered, %v, is over the fixture's budget %v", floor.Asked, floor.Budget)
			}
		}, SpecTimeout(specTimeout))

		It("debounces: filters pulses shorter than the timeout, delivers pulses twice as long", Label("cap:debounce"), func(ctx SpecContext) {
			needCap("debounce", Fixture().Capabilities.Debounce)
			r := prepare(ctx)
			p := pair(0)
			t := Fixture().Timing
			db := t.Debounce
			rs := respond(ctx, rig.ResponderConfig{Pair: p.Name, Polarity: clx.ActiveHigh, Debounce: db, Ack: rig.AckToggle})
			AddReportEntry("debounce", fmt.Sprintf("%v (%s)", db, debounceMode()))
			acks := collectAcks(ctx, p, 0, 2*db+t.Quiet, func() {
				Expect(r.Pulse(ctx, p.Stimulus.Name, true, db/10, db, 3)).To(Succeed())
			})
			Expect(acks).To(BeEmpty(), "pulses of a tenth of the debounce timeout were delivered")
			acks = collectAcks(ctx, p, 1, 2*db+t.Quiet, func() {
				Expect(r.Pulse(ctx, p.Stimulus.Name, true, 2*db, 0, 1)).To(Succeed())
			})
			Expect(acks).To(HaveLen(1), "a pulse twice the debounce timeout")
			Expect(rs.Deliveries()).To(Equal(1))

			// The narrowest pulse the filter passes, by bisection below
			// twice the timeout.
			floor := bisectPulse(ctx, fmt.Sprintf("through debounce %v (%s)", db, debounceMode()), 2*db, func(ctx context.Context, w time.Duration) (bool, time.Duration) {
				before := rs.Deliveries()
				edges := edgesDuring(ctx, func() {
					Expect(r.Pulse(ctx, p.Stimulus.Name, true, w, 0, 1)).To(Succeed())
					time.Sleep(db) // the falling edge's own debounce
				}, p.Stimulus)
				return rs.Deliveries() == before+1, narrowestPulse(edges[p.Stimulus.Name], true)
			})
			AddReportEntry("narrowest pulse", floor)
			record(func(res *Results) { res.PulseFloors = append(res.PulseFloors, floor) })
			if Fixture().Tier == fixtures.TierSim {
				// On one clock, nothing narrower than the timeout passes.
				Expect(floor.Driven).To(BeNumerically(">=", db), "a pulse narrower than the debounce timeout was delivered")
			}
		}, SpecTimeout(specTimeout))
	})
})

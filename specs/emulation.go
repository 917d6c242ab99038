package specs

import (
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
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
		It("answers active-both pulses edge by edge, in order, down to a measured minimum width", func(ctx SpecContext) {
			r := prepare(ctx)
			p := pair(0)
			respondBoth(ctx, p)
			const pulses = 5
			var minimum time.Duration
			var lastSeq []bool
			for _, w := range []time.Duration{50 * time.Millisecond, 20 * time.Millisecond, 10 * time.Millisecond, 5 * time.Millisecond, 2 * time.Millisecond, time.Millisecond, 500 * time.Microsecond,
				200 * time.Microsecond, 100 * time.Microsecond, 50 * time.Microsecond, 20 * time.Microsecond} {
				acks := collectAcks(ctx, p, 2*pulses, Fixture().Timing.Quiet, func() {
					Expect(r.Pulse(ctx, p.Stimulus.Name, false, w, 3*w, pulses)).To(Succeed())
				})
				seq := make([]bool, len(acks))
				ok := len(acks) == 2*pulses
				for i, a := range acks {
					seq[i] = a.Level
					ok = ok && a.Level == (i%2 == 1) // low, high, low, high…
				}
				if !ok {
					AddReportEntry(fmt.Sprintf("active-both (%s): %v pulses", bothMode(), w), fmt.Sprintf("%d of %d edges answered", len(acks), 2*pulses))
					// Let the line settle high and the responder catch up.
					drive(ctx, p.Stimulus.Name, true)
					settle(ctx)
					break
				}
				minimum, lastSeq = w, seq
			}
			Expect(minimum).NotTo(BeZero(), "even 50ms pulses were not answered edge by edge")
			AddReportEntry(fmt.Sprintf("minimum pulse width, active-both (%s)", bothMode()), minimum)
			record(func(res *Results) { res.MinPulse, res.MinPulseMode = minimum, bothMode() })
			Expect(lastSeq).To(HaveLen(2 * pulses))
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
		}, SpecTimeout(specTimeout))
	})
})

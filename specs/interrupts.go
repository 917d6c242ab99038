package specs

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig"
)

var _ = node(func() {
	Describe("Interrupts", Label("interrupts"), func() {
		DescribeTable("deliver exactly once per qualifying edge, never on the other",
			func(ctx SpecContext, pol clx.Polarity) {
				r := prepare(ctx)
				p := pair(0)
				// Start where the first edge qualifies (high for active-both, so
				// an emulated active-both, asserted low, starts quiet).
				level := pol != clx.ActiveHigh
				drive(ctx, p.Stimulus.Name, level)
				settle(ctx)
				rs := respond(ctx, rig.ResponderConfig{Pair: p.Name, Mode: clx.Edge, Polarity: pol, Ack: rig.AckToggle})
				t := Fixture().Timing
				want := 0
				for i := 0; i < t.Edges; i++ {
					level = !level
					qualifies := pol == clx.ActiveBoth || (pol == clx.ActiveHigh) == level
					timeout := t.Quiet
					if qualifies {
						timeout = t.ProbeTimeout
						want++
					}
					res := probe(ctx, p, level, timeout)
					if qualifies {
						Expect(res.TimedOut).To(BeFalse(), "edge %d (to %v) got no answer", i, level)
					} else {
						Expect(res.TimedOut).To(BeTrue(), "edge %d (to %v) answered though it does not qualify", i, level)
					}
				}
				Expect(rs.Deliveries()).To(Equal(want))
				_ = r
			},
			Entry("rising", clx.ActiveHigh, SpecTimeout(specTimeout)),
			Entry("falling", clx.ActiveLow, SpecTimeout(specTimeout)),
			Entry("both", clx.ActiveBoth, SpecTimeout(specTimeout)),
		)

		DescribeTable("refire a level while it is asserted, until the ISR silences it",
			func(ctx SpecContext, pol clx.Polarity) {
				needCap("fast_sense (the MCU seeing each of a burst of acks)", Fixture().Capabilities.FastSense)
				prepare(ctx)
				p := pair(0)
				asserted := pol == clx.ActiveHigh
				drive(ctx, p.Stimulus.Name, !asserted)
				settle(ctx)
				const silenceAfter = 5
				rs := respond(ctx, rig.ResponderConfig{Pair: p.Name, Mode: clx.LevelSensitive, Polarity: pol, Ack: rig.AckToggle, Limit: silenceAfter})
				quiet := Fixture().Timing.Quiet
				Expect(collectAcks(ctx, p, 0, quiet, nil)).To(BeEmpty(), "a deasserted level was delivered")
				acks := collectAcks(ctx, p, silenceAfter, quiet, func() { drive(ctx, p.Stimulus.Name, asserted) })
				Expect(acks).To(HaveLen(silenceAfter), "deliveries while asserted")
				Expect(rs.Deliveries()).To(Equal(silenceAfter))
			},
			Entry("level-high", clx.ActiveHigh, Label("cap:fast-sense"), SpecTimeout(specTimeout)),
			Entry("level-low", clx.ActiveLow, Label("cap:fast-sense"), SpecTimeout(specTimeout)),
		)
	})
})

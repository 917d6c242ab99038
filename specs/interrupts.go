package specs

import (
	"context"
	"fmt"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/proto"
)

var _ = node(func() {
	Describe("Interrupts", Label("interrupts"), func() {
		// Every wired line raises interrupts, whatever its bank: each wire in
		// turn is the stimulus, the next wire its ack.
		for i, fw := range Fixture().Wires {
			ackW := Fixture().Wires[(i+1)%len(Fixture().Wires)]
			It(fmt.Sprintf("fire on wire %s's line, answered on wire %s", fw.Name, ackW.Name), func(ctx SpecContext) {
				r := prepare(ctx)
				if len(r.Wires) < 2 {
					Skip("needs two wires: one to stimulate, one to answer on")
				}
				stim, _ := r.Wire(fw.Name)
				ack, _ := r.Wire(ackW.Name)
				// The line starts low: an emulated active-both asserts high first.
				drive(ctx, stim.Name, false)
				release(ctx, ack.Name, proto.PullNone)
				out := ioConnect(ctx, clx.IOConfig{Pins: []int{ack.TargetPin}, Direction: clx.Output, Name: "every-line ack"})
				var mu sync.Mutex
				var pins []int
				level := byte(0)
				ic, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: stim.TargetPin, Mode: clx.Edge,
					Polarity: clx.ActiveBoth, AssertedHigh: true, Name: "every-line", ISR: func(c clx.InterruptContext) bool {
						mu.Lock()
						pins = append(pins, c.Pin)
						level ^= 1
						l := level
						mu.Unlock()
						_ = out.Write(context.Background(), []byte{l})
						return true
					}})
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(ic.Close)
				settle(ctx)
				t := Fixture().Timing
				for k, high := range []bool{true, false, true, false} {
					res, err := r.MCU.Probe(ctx, mcu.ProbeSpec{Stim: stim.MCUPin, Ack: ack.MCUPin, StimLevel: high,
						AckEdge: proto.EdgeBoth, Timeout: t.ProbeTimeout})
					Expect(err).NotTo(HaveOccurred())
					Expect(res.TimedOut).To(BeFalse(), "edge %d on line %s (bank of pin %d) got no answer on line %s", k, stim.Line, stim.TargetPin, ack.Line)
				}
				Expect(ic.Close()).To(Succeed())
				mu.Lock()
				defer mu.Unlock()
				Expect(pins).To(Equal([]int{stim.TargetPin, stim.TargetPin, stim.TargetPin, stim.TargetPin}), "deliveries and the pin each named")
			}, SpecTimeout(specTimeout))
		}

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

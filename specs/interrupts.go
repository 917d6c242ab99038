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
				p, err := r.WirePair(fw.Name, ackW.Name)
				Expect(err).NotTo(HaveOccurred())
				// The line starts low: an emulated active-both asserts high first.
				drive(ctx, p.Stimulus.Name, false)
				release(ctx, p.Ack.Name, proto.PullNone)
				rs, err := r.RespondOn(ctx, p, rig.ResponderConfig{Polarity: clx.ActiveBoth, AssertedHigh: true, Ack: rig.AckToggle})
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(rs.Close)
				settle(ctx)
				for k, high := range []bool{true, false, true, false} {
					Expect(probe(ctx, p, high, Fixture().Timing.ProbeTimeout).TimedOut).To(BeFalse(),
						"edge %d on line %s (bank of pin %d) got no answer on line %s", k, p.Stimulus.Line, p.Stimulus.TargetPin, p.Ack.Line)
					Expect(rs.Last().Context.Pin).To(Equal(p.Stimulus.TargetPin), "the pin edge %d's delivery names", k)
				}
				Expect(rs.Close()).To(Succeed())
				Expect(rs.Deliveries()).To(Equal(4), "deliveries for four edges")
			}, SpecTimeout(specTimeout))
		}

		// Under active-low the polarity is logical: a rising edge is the
		// line's falling edge, and the delivery reports the logical level.
		DescribeTable("deliver exactly once per qualifying edge, never on the other",
			func(ctx SpecContext, pol clx.Polarity, activeLow bool) {
				prepare(ctx)
				p := pair(0)
				// Start where the first edge qualifies: logically low for a
				// rising edge, else logically high (so an emulated
				// active-both, asserted logically low, starts quiet).
				logical := pol != clx.ActiveHigh
				drive(ctx, p.Stimulus.Name, logical != activeLow)
				settle(ctx)
				rs := respond(ctx, rig.ResponderConfig{Pair: p.Name, Mode: clx.Edge, Polarity: pol, ActiveLow: activeLow, Ack: rig.AckToggle})
				t := Fixture().Timing
				want := 0
				for i := 0; i < t.Edges; i++ {
					logical = !logical
					line := logical != activeLow
					qualifies := pol == clx.ActiveBoth || (pol == clx.ActiveHigh) == logical
					timeout := t.Quiet
					if qualifies {
						timeout = t.ProbeTimeout
						want++
					}
					res := probe(ctx, p, line, timeout)
					if !qualifies {
						Expect(res.TimedOut).To(BeTrue(), "edge %d (line to %s, logically %s) answered though it does not qualify",
							i, proto.DriveLevel(line), proto.DriveLevel(logical))
						continue
					}
					Expect(res.TimedOut).To(BeFalse(), "edge %d (line to %s, logically %s) got no answer",
						i, proto.DriveLevel(line), proto.DriveLevel(logical))
					if ic := rs.Last().Context; activeLow && ic.HasLevel {
						Expect(ic.Level).To(Equal(clx.Level(bit(logical))), "the level edge %d's delivery reports (the line went %s)", i, proto.DriveLevel(line))
					}
				}
				Expect(rs.Deliveries()).To(Equal(want))
			},
			Entry("rising", clx.ActiveHigh, false, SpecTimeout(specTimeout)),
			Entry("falling", clx.ActiveLow, false, SpecTimeout(specTimeout)),
			Entry("both", clx.ActiveBoth, false, SpecTimeout(specTimeout)),
			Entry("logical rising, active-low: the line's falling edge", clx.ActiveHigh, true, Label("active-low"), SpecTimeout(specTimeout)),
			Entry("logical falling, active-low: the line's rising edge", clx.ActiveLow, true, Label("active-low"), SpecTimeout(specTimeout)),
			Entry("both, active-low", clx.ActiveBoth, true, Label("active-low"), SpecTimeout(specTimeout)),
		)

		It("run a claiming ISR's DPC after it, and none for an ISR that does not claim", func(ctx SpecContext) {
			r := prepare(ctx)
			p := pair(0)
			t := Fixture().Timing
			drive(ctx, p.Stimulus.Name, false)
			release(ctx, p.Ack.Name, proto.PullNone)
			ack := ioConnect(ctx, clx.IOConfig{Pins: []int{p.Ack.TargetPin}, Direction: clx.Output, Name: "DPC's ack"})
			settle(ctx)
			// The DPC answers, with the level its ISR saw.
			answer := func(ic clx.InterruptContext) {
				if err := ack.Write(context.WithoutCancel(ctx), []byte{byte(ic.Level)}); err != nil {
					GinkgoWriter.Printf("DPC's ack write: %v\n", err)
				}
			}
			for _, claims := range []bool{true, false} {
				ic, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: p.Stimulus.TargetPin, Mode: clx.Edge,
					Polarity: clx.ActiveBoth, Name: "with a DPC", ISR: func(clx.InterruptContext) bool { return claims }, DPC: answer})
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(ic.Close)
				for i, l := range []bool{true, false} {
					if claims {
						Expect(probe(ctx, p, l, t.ProbeTimeout).TimedOut).To(BeFalse(), "edge %d: the claiming ISR's DPC did not answer", i)
					} else {
						Expect(probe(ctx, p, l, t.Quiet).TimedOut).To(BeTrue(), "edge %d: a DPC ran for an ISR that did not claim", i)
					}
				}
				Expect(ic.Close()).To(Succeed())
			}
		}, SpecTimeout(specTimeout))

		It("stamp events in order, within the tier's uncertainty of the MCU's own edge times", Label("timestamps"), func(ctx SpecContext) {
			r := prepare(ctx)
			p := pair(0)
			cc, ok := r.ControllerClock()
			if !ok {
				Skip(fmt.Sprintf("the controller of fixture %s does not timestamp its events", Fixture().Name))
			}
			needRealTimeMCU()
			rs := respondBoth(ctx, p)
			m, how, err := r.MCUClock(ctx)
			Expect(err).NotTo(HaveOccurred())
			var prev time.Time
			agree := TimestampAgreement{Edges: 2 * Fixture().Timing.Edges, Clocks: how + "; " + cc.Name}
			for i := 0; i < 2*Fixture().Timing.Edges; i++ {
				res := probe(ctx, p, i%2 == 1, Fixture().Timing.ProbeTimeout)
				Expect(res.TimedOut).To(BeFalse(), "edge %d got no answer", i)
				d := rs.Last()
				Expect(d.Context.HasControllerTime).To(BeTrue(), "edge %d's delivery has no controller timestamp", i)
				at := cc.ToHost(d.Context.ControllerTime)
				t0, t1 := m.HostTime(res.T0), m.HostTime(res.T1)
				u := m.UncertaintyAt(res.T1) + cc.Uncertainty
				agree.Uncertainty = max(agree.Uncertainty, u)
				lead := at.Sub(t0)
				Expect(at.After(prev)).To(BeTrue(), "edge %d stamped %v, not after the edge before it", i, at.Sub(prev))
				Expect(lead).To(BeNumerically(">=", -u), "edge %d stamped before the MCU drove it, beyond ±%v (%s, %s)", i, u, how, cc.Name)
				Expect(t1.Sub(at)).To(BeNumerically(">=", -u), "edge %d stamped after the MCU saw its answer, beyond ±%v (%s, %s)", i, u, how, cc.Name)
				if Fixture().Tier == fixtures.TierSim {
					// One clock, in-process wires: the stamp is the edge's
					// arrival, the MCU's drive plus the wire's stated delay.
					Expect(lead).To(Equal(Fixture().Harness.Delay), "edge %d: stamp − drive on the sim tier", i)
					// The simulated pads stamp outputs too: the ack changed
					// after its ISR began and before the MCU saw it.
					Expect(d.HasAckOut).To(BeTrue(), "edge %d: the ack has no output time", i)
					ack := cc.ToHost(d.AckOut)
					Expect(ack).To(BeTemporally(">=", d.ISR), "edge %d: the ack changed before its ISR began", i)
					Expect(ack).To(BeTemporally("<=", t1.Add(u)), "edge %d: the ack changed after the MCU saw it", i)
				}
				if i == 0 || lead < agree.FirstAfterDrive {
					agree.FirstAfterDrive = lead
				}
				agree.LastAfterDrive = max(agree.LastAfterDrive, lead)
				prev = at
			}
			AddReportEntry("timestamps", agree.String())
			record(func(res *Results) { res.Timestamps = &agree })
		}, SpecTimeout(specTimeout))

		It("stay silent while every other line is reconfigured around an armed pin", func(ctx SpecContext) {
			r := prepare(ctx)
			p := pair(0)
			rs := respondBoth(ctx, p)
			var others []rig.Wire
			for _, w := range r.Wires {
				if w.Name != p.Stimulus.Name && w.Name != p.Ack.Name {
					others = append(others, w)
				}
			}
			if len(others) == 0 {
				Skip(fmt.Sprintf("fixture %s has no wire besides pair %s's", Fixture().Name, p.Name))
			}
			pulls := []clx.Pull{clx.PullNone}
			if Fixture().Capabilities.Pulls {
				pulls = append(pulls, clx.PullUp, clx.PullDown)
			}
			reconfigure := func() {
				for _, w := range others {
					release(ctx, w.Name, proto.PullNone)
					for _, cfg := range []clx.IOConfig{
						{Direction: clx.Output, Initial: []byte{1}},
						{Direction: clx.Output, Initial: []byte{0}, Drive: clx.DrivePushPull},
						{Direction: clx.Output, Initial: []byte{1}, Restriction: clx.RestrictNoneAndPreserve},
					} {
						cfg.Pins, cfg.Name = []int{w.TargetPin}, "neighbour"
						c, err := r.Framework.ConnectIO(ctx, cfg)
						Expect(err).NotTo(HaveOccurred(), "line %s", w.Line)
						Expect(c.Write(ctx, []byte{cfg.Initial[0] ^ 1})).To(Succeed())
						Expect(c.Close()).To(Succeed())
					}
					for _, pull := range pulls {
						c, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Pull: pull, Name: "neighbour"})
						Expect(err).NotTo(HaveOccurred(), "line %s", w.Line)
						Expect(c.Close()).To(Succeed())
					}
					for _, mode := range []clx.Mode{clx.Edge, clx.LevelSensitive} {
						ic, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: w.TargetPin, Mode: mode, Polarity: clx.ActiveHigh,
							Name: "neighbour", ISR: func(clx.InterruptContext) bool { return true }})
						Expect(err).NotTo(HaveOccurred(), "line %s", w.Line)
						Expect(ic.Close()).To(Succeed())
					}
				}
			}
			Expect(collectAcks(ctx, p, 0, Fixture().Timing.Quiet, reconfigure)).To(BeEmpty(), "the armed pin answered while only its neighbours changed")
			Expect(rs.Deliveries()).To(BeZero(), "deliveries on the armed pin")
			// Still armed as it was: both edges are answered.
			for _, high := range []bool{false, true} {
				Expect(probe(ctx, p, high, Fixture().Timing.ProbeTimeout).TimedOut).To(BeFalse(), "the armed pin's edge to %v after its neighbours were reconfigured", high)
			}
			Expect(rs.Deliveries()).To(Equal(2))
		}, SpecTimeout(specTimeout))

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

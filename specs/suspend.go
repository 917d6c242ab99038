package specs

import (
	"fmt"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// Suspend and resume, judged through the wires: a suspend is invisible on
// every wire, keeps every connection as it was (outputs driving, masks
// held, an edge latched while masked), makes up no delivery, and the rig
// answers as before once resumed.
var _ = node(func() {
	Describe("Suspend and resume", Label("suspend"), func() {
		It("keeps outputs, connections, masks and latched edges, and makes nothing up", Label("cap:two-pairs"), func(ctx SpecContext) {
			r := prepare(ctx)
			needPairs(2)
			armed, held := pair(0), pair(1)
			var out rig.Wire
			for _, w := range r.Wires {
				if !slices.Contains([]string{armed.Stimulus.Name, armed.Ack.Name, held.Stimulus.Name, held.Ack.Name}, w.Name) {
					out = w
				}
			}
			if out.Name == "" {
				Skip("needs a wire outside the first two probe pairs, for an output")
			}

			// An output driving high, an armed active-both pin, and a masked
			// rising-edge pin with an edge latched while masked.
			release(ctx, out.Name, proto.PullDown)
			o := ioConnect(ctx, clx.IOConfig{Pins: []int{out.TargetPin}, Direction: clx.Output, Initial: []byte{1}, Name: "suspend spec output"})
			drive(ctx, armed.Stimulus.Name, true)
			drive(ctx, held.Stimulus.Name, false)
			settle(ctx)
			both := respond(ctx, rig.ResponderConfig{Pair: armed.Name, Polarity: clx.ActiveBoth, Ack: rig.AckToggle})
			rising := respond(ctx, rig.ResponderConfig{Pair: held.Name, Polarity: clx.ActiveHigh, Ack: rig.AckToggle})
			Expect(rising.Conn().Mask(ctx)).To(Succeed())
			Expect(probe(ctx, held, true, Fixture().Timing.Quiet).TimedOut).To(BeTrue(), "a masked pin answered")

			edges := watchWires(ctx, r.Wires...)
			_, errsBefore := r.DriverErrors()
			err := r.Framework.Suspend(ctx)
			skipWithout(fixtures.GroupSuspend, err)
			Expect(err).NotTo(HaveOccurred())
			// A pulse while suspended, the line back where it was: lost, as
			// the contract says, and nothing may come of it.
			drive(ctx, armed.Stimulus.Name, false)
			drive(ctx, armed.Stimulus.Name, true)
			settle(ctx)
			Expect(r.Framework.Resume(ctx)).To(Succeed())
			settle(ctx)
			seen := edges.perWire(edges.quiet())
			delete(seen, armed.Stimulus.Name) // the MCU's own pulse
			Expect(seen).To(BeEmpty(), "edges the target made on the wires across suspend and resume")
			Expect(mcuReads(ctx, out)).To(BeTrue(), "the output on wire %s after resume", out.Name)
			Expect(both.Deliveries()).To(BeZero(), "deliveries made up from a pulse while suspended")
			Expect(rising.Deliveries()).To(BeZero(), "deliveries on a pin still masked")
			n, errs := driverErrorsSince(r, errsBefore)
			Expect(n).To(BeZero(), "errors the target's driver or clx reported across suspend and resume: %v", errs)

			// The latched edge is delivered once, on unmask.
			acks := collectAcks(ctx, held, 1, Fixture().Timing.Quiet, func() {
				Expect(rising.Conn().Unmask(ctx)).To(Succeed())
			})
			Expect(acks).To(HaveLen(1), "the edge latched while masked, before the suspend, answered once on unmask")
			Expect(rising.Deliveries()).To(Equal(1))

			// Everything answers as before.
			for k, high := range []bool{false, true} {
				Expect(probe(ctx, armed, high, Fixture().Timing.ProbeTimeout).TimedOut).To(BeFalse(), "edge %d on the armed pin after resume", k)
			}
			Expect(both.Deliveries()).To(Equal(2))
			Expect(probe(ctx, held, false, Fixture().Timing.Quiet).TimedOut).To(BeTrue(), "a falling edge answered on a rising-edge pin")
			Expect(probe(ctx, held, true, Fixture().Timing.ProbeTimeout).TimedOut).To(BeFalse(), "a rising edge on the unmasked pin after resume")
			Expect(o.Write(ctx, []byte{0})).To(Succeed())
			settle(ctx)
			Expect(mcuReads(ctx, out)).To(BeFalse(), "the output written low after resume")
		}, SpecTimeout(specTimeout))

		It("delivers a level asserted while suspended once resumed", func(ctx SpecContext) {
			r := prepare(ctx)
			p := pair(0)
			drive(ctx, p.Stimulus.Name, false)
			settle(ctx)
			// The ISR masks the pin after its first delivery: one ack per
			// assertion.
			rs := respond(ctx, rig.ResponderConfig{Pair: p.Name, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, Ack: rig.AckToggle, Limit: 1})
			err := r.Framework.Suspend(ctx)
			skipWithout(fixtures.GroupSuspend, err)
			Expect(err).NotTo(HaveOccurred())
			quiet := Fixture().Timing.Quiet
			Expect(collectAcks(ctx, p, 0, quiet, func() { drive(ctx, p.Stimulus.Name, true) })).To(BeEmpty(), "a level delivered while suspended")
			acks := collectAcks(ctx, p, 1, quiet, func() { Expect(r.Framework.Resume(ctx)).To(Succeed()) })
			Expect(acks).To(HaveLen(1), "the level asserted while suspended, once resumed")
			Expect(rs.Deliveries()).To(Equal(1))
		}, SpecTimeout(specTimeout))

		It("keeps a bank's connections across its power-off and power-on, and delivers a level asserted while off", Label("cap:two-pairs", "cap:hi-z"), func(ctx SpecContext) {
			r := prepare(ctx)
			needPairs(2)
			needCap("hi-z", Fixture().Capabilities.HiZ)
			lvl, in := pair(0), pair(1).Stimulus
			perBank := r.Framework.Info().PinsPerBank
			bank := lvl.Stimulus.TargetPin / perBank
			var out rig.Wire
			for _, w := range r.Wires {
				if w.TargetPin/perBank == bank && !slices.Contains([]string{lvl.Stimulus.Name, lvl.Ack.Name, in.Name, pair(1).Ack.Name}, w.Name) {
					out = w
				}
			}
			if out.Name == "" || in.TargetPin/perBank != bank {
				Skip(fmt.Sprintf("needs the first pair, the second pair's stimulus and one more wire in bank %d", bank))
			}
			release(ctx, out.Name, proto.PullDown)
			o := ioConnect(ctx, clx.IOConfig{Pins: []int{out.TargetPin}, Direction: clx.Output, Initial: []byte{1}, Name: "bank power output"})
			drive(ctx, in.Name, false)
			drive(ctx, lvl.Stimulus.Name, false)
			i := ioConnect(ctx, clx.IOConfig{Pins: []int{in.TargetPin}, Direction: clx.Input, Name: "bank power input"})
			rs := respond(ctx, rig.ResponderConfig{Pair: lvl.Name, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, Ack: rig.AckToggle, Limit: 1})
			err := r.Framework.SetBankPower(ctx, bank, false)
			skipWithout(fixtures.GroupBankPower, err)
			Expect(err).NotTo(HaveOccurred())
			// While the bank is off: the input's line rises and the level
			// asserts; nothing is delivered.
			quiet := Fixture().Timing.Quiet
			Expect(collectAcks(ctx, lvl, 0, quiet, func() {
				drive(ctx, in.Name, true)
				drive(ctx, lvl.Stimulus.Name, true)
			})).To(BeEmpty(), "delivered while the bank was off")
			acks := collectAcks(ctx, lvl, 1, quiet, func() { Expect(r.Framework.SetBankPower(ctx, bank, true)).To(Succeed()) })
			Expect(acks).To(HaveLen(1), "the level asserted while the bank was off, once it is on")
			Expect(rs.Deliveries()).To(Equal(1))
			buf := []byte{0}
			Expect(i.Read(ctx, buf)).To(Succeed())
			Expect(buf[0]).To(Equal(byte(1)), "the input reads its line as it is after power-on")
			settle(ctx)
			Expect(mcuReads(ctx, out)).To(BeTrue(), "the output on wire %s drives its level again after power-on", out.Name)
			Expect(o.Write(ctx, []byte{0})).To(Succeed())
			settle(ctx)
			Expect(mcuReads(ctx, out)).To(BeFalse(), "the output on wire %s after power-on, written low", out.Name)
		}, SpecTimeout(specTimeout))
	})
})

package specs

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// Active-low connections speak logical levels; the wires carry the line's
// raw levels, which the MCU drives and reads, so every judgement here
// compares the two senses.
var _ = node(func() {
	Describe("Active-low", Label("active-low"), func() {
		It("reads and writes every wire in the logical sense, the inverse of what the wire carries", func(ctx SpecContext) {
			r := prepare(ctx)
			for _, w := range r.Wires {
				in := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, ActiveLow: true, Name: "active-low input"})
				for _, high := range []bool{true, false, true} {
					drive(ctx, w.Name, high)
					settle(ctx)
					buf := []byte{0xff}
					Expect(in.Read(ctx, buf)).To(Succeed())
					Expect(buf[0]).To(Equal(bit(!high)), "MCU drives line %s %s: an active-low read", w.Line, proto.DriveLevel(high))
				}
				Expect(in.Close()).To(Succeed())
				release(ctx, w.Name, proto.PullNone)
				out := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, ActiveLow: true, Name: "active-low output"})
				for _, v := range []byte{1, 0, 1} {
					Expect(out.Write(ctx, []byte{v})).To(Succeed())
					settle(ctx)
					Expect(mcuReads(ctx, w)).To(Equal(v == 0), "target writes %d active-low on line %s: the MCU reads", v, w.Line)
					buf := []byte{0xff}
					Expect(out.Read(ctx, buf)).To(Succeed())
					Expect(buf[0]).To(Equal(v), "the latch reads back the logical level written")
				}
				Expect(out.Close()).To(Succeed())
			}
		}, SpecTimeout(specTimeout))

		// Edge interrupts under active-low: see the Interrupts table.

		It("asserts a level interrupt, logically high, while the line is low", func(ctx SpecContext) {
			prepare(ctx)
			p := pair(0)
			drive(ctx, p.Stimulus.Name, true)
			settle(ctx)
			// The ISR masks after one delivery: a held level is then silent.
			rs := respond(ctx, rig.ResponderConfig{Pair: p.Name, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, ActiveLow: true,
				Ack: rig.AckToggle, Limit: 1})
			Expect(probe(ctx, p, true, Fixture().Timing.Quiet).TimedOut).To(BeTrue(), "answered while the line stays high (logically low)")
			Expect(rs.Deliveries()).To(BeZero(), "deliveries while the line is high")
			Expect(probe(ctx, p, false, Fixture().Timing.ProbeTimeout).TimedOut).To(BeFalse(), "no answer when the line went low (logically high)")
			Expect(rs.Deliveries()).To(Equal(1))
			Expect(rs.Last().Context.Level).To(Equal(clx.High), "the level the delivery reports")
		}, SpecTimeout(specTimeout))
	})
})

package specs

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig"
)

var _ = node(func() {
	Describe("Masking", Label("masking"), func() {
		It("holds edges while masked and delivers exactly one on unmask", func(ctx SpecContext) {
			prepare(ctx)
			p := pair(0)
			t := Fixture().Timing
			rs := respond(ctx, rig.ResponderConfig{Pair: p.Name, Polarity: clx.ActiveHigh, Ack: rig.AckToggle})
			Expect(rs.Conn().Mask(ctx)).To(Succeed())
			for i := 0; i < 3; i++ {
				Expect(probe(ctx, p, true, t.Quiet).TimedOut).To(BeTrue(), "masked rising edge %d answered", i)
				Expect(probe(ctx, p, false, t.Quiet).TimedOut).To(BeTrue(), "masked falling edge %d answered", i)
			}
			acks := collectAcks(ctx, p, 1, t.Quiet, func() { Expect(rs.Conn().Unmask(ctx)).To(Succeed()) })
			Expect(acks).To(HaveLen(1), "answers on unmask after three masked edges")
			Expect(rs.Deliveries()).To(Equal(1))
		}, SpecTimeout(specTimeout))

		It("delivers a masked level on unmask only if it is still asserted", func(ctx SpecContext) {
			prepare(ctx)
			p := pair(0)
			t := Fixture().Timing
			rs := respond(ctx, rig.ResponderConfig{Pair: p.Name, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, Ack: rig.AckToggle, Limit: 1})
			Expect(rs.Conn().Mask(ctx)).To(Succeed())
			drive(ctx, p.Stimulus.Name, true)
			drive(ctx, p.Stimulus.Name, false)
			settle(ctx)
			acks := collectAcks(ctx, p, 0, t.Quiet, func() { Expect(rs.Conn().Unmask(ctx)).To(Succeed()) })
			Expect(acks).To(BeEmpty(), "a level that went away while masked was delivered")
			Expect(rs.Conn().Mask(ctx)).To(Succeed())
			drive(ctx, p.Stimulus.Name, true)
			settle(ctx)
			acks = collectAcks(ctx, p, 1, t.Quiet, func() { Expect(rs.Conn().Unmask(ctx)).To(Succeed()) })
			Expect(acks).To(HaveLen(1), "a level still asserted at unmask")
		}, SpecTimeout(specTimeout))

		It("drops edges while disabled", func(ctx SpecContext) {
			prepare(ctx)
			p := pair(0)
			t := Fixture().Timing
			rs, err := theRig.Respond(ctx, rig.ResponderConfig{Pair: p.Name, Polarity: clx.ActiveHigh, Ack: rig.AckToggle})
			Expect(err).NotTo(HaveOccurred())
			Expect(rs.Close()).To(Succeed())
			drive(ctx, p.Stimulus.Name, true)
			drive(ctx, p.Stimulus.Name, false)
			settle(ctx)
			again := respond(ctx, rig.ResponderConfig{Pair: p.Name, Polarity: clx.ActiveHigh, Ack: rig.AckToggle})
			Expect(mcuReads(ctx, p.Ack)).To(BeFalse(), "the ack line toggled: an edge from while the interrupt was disabled was delivered")
			Expect(collectAcks(ctx, p, 0, t.Quiet, nil)).To(BeEmpty(), "an edge from while the interrupt was disabled was delivered")
			Expect(probe(ctx, p, true, t.ProbeTimeout).TimedOut).To(BeFalse(), "a new edge after re-enabling")
			Expect(again.Deliveries()).To(Equal(1))
		}, SpecTimeout(specTimeout))

		It("clears stale status on enable", func(ctx SpecContext) {
			prepare(ctx)
			p := pair(0)
			t := Fixture().Timing
			rs, err := theRig.Respond(ctx, rig.ResponderConfig{Pair: p.Name, Polarity: clx.ActiveHigh, Ack: rig.AckToggle})
			Expect(err).NotTo(HaveOccurred())
			Expect(rs.Conn().Mask(ctx)).To(Succeed())
			drive(ctx, p.Stimulus.Name, true) // latched while masked
			settle(ctx)
			Expect(rs.Close()).To(Succeed())
			again := respond(ctx, rig.ResponderConfig{Pair: p.Name, Polarity: clx.ActiveHigh, Ack: rig.AckToggle})
			Expect(mcuReads(ctx, p.Ack)).To(BeFalse(), "the ack line toggled: status latched before the interrupt was re-enabled was delivered")
			Expect(collectAcks(ctx, p, 0, t.Quiet, nil)).To(BeEmpty(), "status latched before the interrupt was re-enabled was delivered")
			Expect(again.Deliveries()).To(BeZero())
		}, SpecTimeout(specTimeout))
	})
})

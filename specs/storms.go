package specs

import (
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig"
)

var _ = node(func() {
	Describe("Storms", Label("storms"), func() {
		It("disables a level nobody claims, and keeps serving other pins", func(ctx SpecContext) {
			prepare(ctx)
			expectReported(1) // the storm
			p := pair(0)
			t := Fixture().Timing
			rs := respond(ctx, rig.ResponderConfig{Pair: p.Name, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, NoClaim: true, Ack: rig.AckToggle})
			drive(ctx, p.Stimulus.Name, true)
			Eventually(ctx, rs.Conn().Failed()).WithTimeout(30 * time.Second).Should(BeClosed())
			var storm *clx.StormError
			Expect(errors.As(rs.Conn().Err(), &storm)).To(BeTrue(), "got %v", rs.Conn().Err())
			Expect(storm.Pin).To(Equal(p.Stimulus.TargetPin))
			// "More than the threshold in a row": the first delivery past it
			// disables the pin, and every delivery was one of that run.
			Expect(storm.Count).To(Equal(clx.DefaultStormThreshold+1), "unclaimed deliveries counted in the storm")
			Expect(rs.Deliveries()).To(Equal(storm.Count), "ISR runs before the pin was disabled")
			AddReportEntry("storm", storm.Error())
			// The disabled pin no longer answers. The storm's last acks may
			// still be crossing the wires (a polled harness senses them late):
			// let them land before watching for new ones.
			drive(ctx, p.Stimulus.Name, false)
			settle(ctx)
			Expect(collectAcks(ctx, p, 0, t.Quiet, func() { drive(ctx, p.Stimulus.Name, true) })).To(BeEmpty(), "a stormed pin answered")
			if len(theRig.Pairs) < 2 {
				Skip("the fixture has one probe pair: the framework's service of other pins is not checked")
			}
			q := theRig.Pairs[1]
			other := respondBoth(ctx, q)
			for i, l := range []bool{false, true, false} {
				Expect(probe(ctx, q, l, t.ProbeTimeout).TimedOut).To(BeFalse(), "pair %s edge %d after the storm", q.Name, i)
			}
			Expect(other.Deliveries()).To(Equal(3))
		}, SpecTimeout(specTimeout))
	})
})

package specs

import (
	"context"
	"errors"
	"sync/atomic"
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

		It("counts only deliveries that fire again at once: a level its ISR masks, unclaimed, is no storm", func(ctx SpecContext) {
			r := prepare(ctx)
			p := pair(0)
			drive(ctx, p.Stimulus.Name, false)
			settle(ctx)
			// The ISR masks its pin and leaves the level unclaimed; the spec
			// unmasks it again once dispatch is done, past the threshold.
			var ic atomic.Pointer[clx.InterruptConn]
			var n atomic.Int64
			c, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: p.Stimulus.TargetPin, Mode: clx.LevelSensitive,
				Polarity: clx.ActiveHigh, Name: "masking, unclaimed", ISR: func(clx.InterruptContext) bool {
					Expect(ic.Load().Mask(context.Background())).To(Succeed())
					n.Add(1)
					return false
				}})
			Expect(err).NotTo(HaveOccurred())
			ic.Store(c)
			DeferCleanup(c.Close)
			drive(ctx, p.Stimulus.Name, true)
			const runs = clx.DefaultStormThreshold + 100
			for i := int64(1); i <= runs; i++ {
				Eventually(ctx, n.Load).WithTimeout(Fixture().Timing.ProbeTimeout).WithPolling(100*time.Microsecond).Should(Equal(i), "deliveries of the asserted level")
				Expect(r.Framework.WaitIdle(ctx)).To(Succeed())
				if i < runs {
					Expect(c.Unmask(ctx)).To(Succeed(), "unmask %d", i)
				}
			}
			Expect(c.Err()).NotTo(HaveOccurred(), "a level masked by its ISR after each delivery was taken for a storm")
		}, SpecTimeout(specTimeout))
	})
})

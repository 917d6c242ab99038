package specs

import (
	"context"
	"errors"
	"fmt"
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

		It("ends a run of unclaimed deliveries when the level leaves, even between a delivery and the next pass", func(ctx SpecContext) {
			r := prepare(ctx)
			needPairs(2)
			// Two stimuli in one bank: the level on the lower pin storms,
			// unclaimed, and its ISR halts the run at a set delivery. An
			// edge on the higher pin is then delivered after the level in
			// the same pass, and its ISR holds dispatch while the spec drops
			// the level: asserted when its delivery ended, gone at the next
			// pass's query.
			lvl, edge := pair(0).Stimulus, pair(1).Stimulus
			if lvl.TargetPin > edge.TargetPin {
				lvl, edge = edge, lvl
			}
			if perBank := r.Framework.Info().PinsPerBank; lvl.TargetPin/perBank != edge.TargetPin/perBank {
				Skip(fmt.Sprintf("needs two stimuli in one bank: %s and %s are in different banks", lvl.Name, edge.Name))
			}
			if why := r.ISRsHoldWires(); why != "" {
				Skip("the spec drops a level while an ISR holds dispatch: " + why)
			}
			drive(ctx, lvl.Name, false)
			drive(ctx, edge.Name, false)
			settle(ctx)
			var n, haltAt atomic.Int64
			halted, resume := make(chan struct{}), make(chan struct{})
			c, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: lvl.TargetPin, Mode: clx.LevelSensitive,
				Polarity: clx.ActiveHigh, Name: "unclaimed level", ISR: func(clx.InterruptContext) bool {
					if n.Add(1) == haltAt.Load() {
						select {
						case halted <- struct{}{}:
						case <-time.After(10 * time.Second):
						}
						waitOrGiveUp(resume)
					}
					return false
				}})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(c.Close)
			held, release := make(chan struct{}), make(chan struct{})
			e, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: edge.TargetPin, Mode: clx.Edge,
				Polarity: clx.ActiveHigh, Name: "holding edge", ISR: func(clx.InterruptContext) bool {
					close(held)
					waitOrGiveUp(release)
					return true
				}})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(e.Close)
			// Two runs make more deliveries than the threshold; each is
			// less.
			run := int64(clx.DefaultStormThreshold * 6 / 10)
			// The run halts at delivery haltAt, set before the level rises.
			halts := func() {
				GinkgoHelper()
				Eventually(ctx, func(g Gomega) {
					if err := c.Err(); err != nil {
						StopTrying(fmt.Sprintf("two runs of about %d unclaimed deliveries, the level gone between them, were taken for one storm", run)).Wrap(err).Now()
					}
					g.Expect(halted).To(Receive(), "the run halted at delivery %d", haltAt.Load())
				}).WithTimeout(30 * time.Second).Should(Succeed())
			}
			haltAt.Store(run)
			drive(ctx, lvl.Name, true)
			halts()
			drive(ctx, edge.Name, true)
			settle(ctx) // the edge latches while the level's delivery is halted
			resume <- struct{}{}
			Eventually(ctx, held).WithTimeout(Fixture().Timing.ProbeTimeout).Should(BeClosed(), "the edge's ISR ran")
			drive(ctx, lvl.Name, false)
			settle(ctx)
			close(release)
			Expect(r.Framework.WaitIdle(ctx)).To(Succeed())
			haltAt.Store(n.Load() + run)
			drive(ctx, lvl.Name, true)
			halts()
			drive(ctx, lvl.Name, false)
			settle(ctx)
			resume <- struct{}{}
			Expect(r.Framework.WaitIdle(ctx)).To(Succeed())
			Expect(c.Err()).NotTo(HaveOccurred(), "the second run ended in a storm")
		}, SpecTimeout(specTimeout))
	})
})

// waitOrGiveUp blocks an ISR until ch is ready, or for ten seconds: a spec
// that failed before releasing it does not stall dispatch for good.
func waitOrGiveUp(ch <-chan struct{}) {
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
	}
}

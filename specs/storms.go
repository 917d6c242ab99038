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
			// Two stimuli in one bank. An edge on the higher pin latches
			// while its connection is masked. The level on the lower pin
			// storms, unclaimed; at a set delivery its ISR unmasks the
			// edge, which the next pass delivers after the level (the level
			// still asserted as its delivery ended). The edge's ISR holds
			// dispatch while the spec drops the level: gone at the pass
			// after.
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
			var n, unmaskAt, maskAt atomic.Int64
			var lc, ec atomic.Pointer[clx.InterruptConn]
			var unmaskErr, maskErr atomic.Pointer[error]
			c, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: lvl.TargetPin, Mode: clx.LevelSensitive,
				Polarity: clx.ActiveHigh, Name: "unclaimed level", ISR: func(clx.InterruptContext) bool {
					switch n.Add(1) {
					case unmaskAt.Load():
						err := ec.Load().Unmask(context.Background())
						unmaskErr.Store(&err)
					case maskAt.Load(): // the second run ends here
						err := lc.Load().Mask(context.Background())
						maskErr.Store(&err)
					}
					return false
				}})
			Expect(err).NotTo(HaveOccurred())
			lc.Store(c)
			DeferCleanup(c.Close)
			held, release := make(chan struct{}), make(chan struct{})
			e, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: edge.TargetPin, Mode: clx.Edge,
				Polarity: clx.ActiveHigh, Name: "holding edge", ISR: func(clx.InterruptContext) bool {
					close(held)
					select { // every wait has a deadline: the spec fails, dispatch goes on
					case <-release:
					case <-time.After(10 * time.Second):
					}
					return true
				}})
			Expect(err).NotTo(HaveOccurred())
			ec.Store(e)
			DeferCleanup(e.Close)
			Expect(e.Mask(ctx)).To(Succeed())
			drive(ctx, edge.Name, true)
			settle(ctx)
			// On the QEMU tier the edge's kernel event reaches the driver
			// when its watcher runs: give it the quiet time, on an idle
			// target.
			time.Sleep(Fixture().Timing.Quiet)
			runs := func(what string, until func() bool) {
				GinkgoHelper()
				Eventually(ctx, func() bool {
					if err := c.Err(); err != nil {
						StopTrying(fmt.Sprintf("%s: runs of unclaimed deliveries, the level gone between them, were taken for one storm (%d deliveries)", what, n.Load())).Wrap(err).Now()
					}
					return until()
				}).WithTimeout(30*time.Second).Should(BeTrue(), what)
			}
			const first = clx.DefaultStormThreshold * 6 / 10
			unmaskAt.Store(first)
			drive(ctx, lvl.Name, true)
			runs("the first run", func() bool {
				select {
				case <-held:
					return true
				default:
					return false
				}
			})
			Expect(*unmaskErr.Load()).NotTo(HaveOccurred(), "unmasking the edge from the level's ISR")
			drive(ctx, lvl.Name, false)
			settle(ctx)
			close(release)
			Expect(r.Framework.WaitIdle(ctx)).To(Succeed())
			// Counted together, the two runs pass the threshold by 50.
			done := n.Load()
			Expect(done).To(BeNumerically("<", clx.DefaultStormThreshold), "the first run's deliveries")
			maskAt.Store(clx.DefaultStormThreshold + 50)
			drive(ctx, lvl.Name, true)
			runs("the second run", func() bool { return maskErr.Load() != nil })
			Expect(*maskErr.Load()).NotTo(HaveOccurred(), "masking the level from its ISR")
			drive(ctx, lvl.Name, false)
			settle(ctx)
			Expect(r.Framework.WaitIdle(ctx)).To(Succeed())
			Expect(c.Err()).NotTo(HaveOccurred(), "the second run ended in a storm")
			Expect(n.Load()).To(Equal(int64(clx.DefaultStormThreshold+50)), "deliveries of both runs")
		}, SpecTimeout(specTimeout))
	})
})

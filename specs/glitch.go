package specs

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// An output that starts driving the level its line already has must not
// show the line anything else on the way: no edge, however short. The
// MCU's edge capture is the witness; each spec then makes one real change
// to show the witness sees.
var _ = node(func() {
	Describe("Glitch-free outputs", Label("io", "glitch"), func() {
		DescribeTable("the MCU turning a wire from its pull to a drive at the same level makes no edge",
			func(ctx SpecContext, high bool) {
				r := prepare(ctx)
				for _, w := range r.Wires {
					pullWire(ctx, w, high)
					var deliveries atomic.Int32
					ic, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: w.TargetPin, Mode: clx.Edge,
						Polarity: clx.ActiveBoth, AssertedHigh: !high, Name: "glitch witness",
						ISR: func(clx.InterruptContext) bool { deliveries.Add(1); return true }})
					Expect(err).NotTo(HaveOccurred())
					DeferCleanup(ic.Close) // on failure; closing twice is harmless
					edges := watchWires(ctx, w)
					drive(ctx, w.Name, high)
					settle(ctx)
					Expect(edges.quiet()).To(BeEmpty(), "the MCU's capture saw its pin leave %s on the way to driving it", proto.DriveLevel(high))
					Expect(deliveries.Load()).To(BeZero(), "the target's interrupt on line %s saw an edge", w.Line)
					Expect(mcuReads(ctx, w)).To(Equal(high), "the MCU drives %s", proto.DriveLevel(high))
					// The witnesses see a real change.
					drive(ctx, w.Name, !high)
					settle(ctx)
					Expect(edges.quiet()).To(HaveLen(1), "one edge when the MCU drives %s", proto.DriveLevel(!high))
					Eventually(deliveries.Load).Within(Fixture().Timing.ProbeTimeout).Should(BeEquivalentTo(1), "the target's interrupt, for that edge")
					edges.stop()
					Expect(ic.Close()).To(Succeed())
					release(ctx, w.Name, proto.PullNone)
				}
			},
			Entry("high", true, SpecTimeout(specTimeout)),
			Entry("low", false, SpecTimeout(specTimeout)),
		)

		DescribeTable("a target output opened at its line's level makes no edge",
			func(ctx SpecContext, high, activeLow bool) {
				r := prepare(ctx)
				for _, w := range r.Wires {
					pullWire(ctx, w, high)
					edges := watchWires(ctx, w)
					// Active-low, the line's level is the logical inverse.
					out, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output,
						Initial: []byte{bit(high != activeLow)}, ActiveLow: activeLow, Name: "glitch spec"})
					Expect(err).NotTo(HaveOccurred())
					DeferCleanup(out.Close)
					settle(ctx)
					Expect(edges.quiet()).To(BeEmpty(), "line %s left %s while its output connection opened", w.Line, proto.DriveLevel(high))
					Expect(mcuReads(ctx, w)).To(Equal(high), "the target drives %s", proto.DriveLevel(high))
					Expect(out.Write(ctx, []byte{bit(!high != activeLow)})).To(Succeed())
					settle(ctx)
					Expect(edges.quiet()).To(HaveLen(1), "one edge when the target drives %s", proto.DriveLevel(!high))
					edges.stop()
					Expect(out.Close()).To(Succeed())
					release(ctx, w.Name, proto.PullNone)
				}
			},
			Entry("high", true, false, SpecTimeout(specTimeout)),
			Entry("low", false, false, SpecTimeout(specTimeout)),
			Entry("high, active-low (logically low)", true, true, Label("active-low"), SpecTimeout(specTimeout)),
			Entry("low, active-low (logically high)", false, true, Label("active-low"), SpecTimeout(specTimeout)),
		)
	})
})

// pullWire makes the MCU release a wire with the pull that gives it the
// level high (or low), and lets the level cross.
func pullWire(ctx context.Context, w rig.Wire, high bool) {
	GinkgoHelper()
	By(fmt.Sprintf("wire %s (MCU pin %d, target line %s) pulled %s", w.Name, w.MCUPin, w.Line, proto.DriveLevel(high)))
	release(ctx, w.Name, pullTo(high))
	settle(ctx)
}

// wireWatch gathers the MCU's edge reports on some wires.
type wireWatch struct {
	sub  *mcu.Subscription
	stop func()
	pins map[int]string // MCU pin → wire name
}

// watchWires arms the MCU's capture on wires until the spec ends (or stop).
func watchWires(ctx context.Context, ws ...rig.Wire) *wireWatch {
	GinkgoHelper()
	ww := &wireWatch{pins: map[int]string{}}
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i], ww.pins[w.MCUPin] = w.Name, w.Name
	}
	var err error
	ww.sub, ww.stop, err = theRig.Watch(ctx, 256, names...)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(ww.stop)
	return ww
}

// quiet returns the edges reported on the wires until none has come for
// the fixture's quiet time.
func (ww *wireWatch) quiet() []rig.EdgeEvent {
	GinkgoHelper()
	var got []rig.EdgeEvent
	for {
		select {
		case e := <-ww.sub.C():
			if _, ok := ww.pins[e.Pin]; ok {
				got = append(got, e)
			}
		case <-time.After(Fixture().Timing.Quiet):
			Expect(ww.sub.Dropped()).To(BeZero(), "edge reports dropped by a slow subscriber")
			return got
		}
	}
}

// perWire counts edges by wire name.
func (ww *wireWatch) perWire(edges []rig.EdgeEvent) map[string]int {
	n := map[string]int{}
	for _, e := range edges {
		n[ww.pins[e.Pin]]++
	}
	return n
}

func pullTo(high bool) proto.Pull {
	if high {
		return proto.PullUp
	}
	return proto.PullDown
}

func bit(high bool) byte {
	if high {
		return 1
	}
	return 0
}

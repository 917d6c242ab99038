package specs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig"
)

// Several clients on one interrupt line: each holder's ISR runs once per
// qualifying edge while it holds the line, whoever else comes and goes.
// One holder (a responder) answers on the ack wire; the others count.
var _ = node(func() {
	Describe("Shared interrupts", Label("interrupts", "shared"), func() {
		It("run every holder's ISR once per edge, through connects, disconnects and a holder leaving from its own ISR", func(ctx SpecContext) {
			prepare(ctx)
			p := pair(0)
			answerer := respond(ctx, sharedResponder(p))
			steady := countShared(ctx, p, "steady", 0)
			leaver := countShared(ctx, p, "leaves from its ISR", 2)
			edges := 0
			toggle := func(n int) {
				GinkgoHelper()
				for range n {
					edges++
					Expect(probe(ctx, p, edges%2 == 1, Fixture().Timing.ProbeTimeout).TimedOut).To(BeFalse(), "edge %d got no answer", edges)
				}
			}
			toggle(4)
			late := countShared(ctx, p, "joins late", 0)
			toggle(2)
			Expect(steady.conn.Close()).To(Succeed())
			toggle(2)
			want := map[*sharedCounter]int{steady: 6, leaver: 2, late: 4}
			for c, n := range want {
				Eventually(c.n.Load).Within(Fixture().Timing.ProbeTimeout).Should(BeEquivalentTo(n), "holder %q", c.name)
			}
			quiet(ctx)
			Expect(answerer.Deliveries()).To(Equal(edges), "the answering holder, connected throughout")
			for c, n := range want {
				Expect(c.n.Load()).To(BeEquivalentTo(n), "holder %q, after the line went quiet", c.name)
			}
		}, SpecTimeout(specTimeout))

		It("stay masked while any holder masks them, and deliver the held edge once to each when the last unmasks", func(ctx SpecContext) {
			prepare(ctx)
			p := pair(0)
			t := Fixture().Timing
			answerer := respond(ctx, sharedResponder(p))
			other := countShared(ctx, p, "other", 0)
			Expect(answerer.Conn().Mask(ctx)).To(Succeed())
			Expect(other.conn.Unmask(ctx)).To(Succeed()) // it never masked: no effect
			Expect(probe(ctx, p, true, t.Quiet).TimedOut).To(BeTrue(), "an edge was answered while one holder masks the line")
			Expect(other.conn.Mask(ctx)).To(Succeed())
			Expect(collectAcks(ctx, p, 0, t.Quiet, func() { Expect(answerer.Conn().Unmask(ctx)).To(Succeed()) })).To(BeEmpty(),
				"delivered on one holder's unmask while the other still masks")
			// Three held edges in all, the line left changed: an emulated
			// active-both (level hardware) holds a net change only.
			Expect(probe(ctx, p, false, t.Quiet).TimedOut).To(BeTrue(), "an edge was answered while the other holder masks the line")
			Expect(probe(ctx, p, true, t.Quiet).TimedOut).To(BeTrue(), "an edge was answered while the other holder masks the line")
			Expect(other.n.Load()).To(BeZero(), "the other holder's ISR ran while the line was masked")
			acks := collectAcks(ctx, p, 1, t.Quiet, func() { Expect(other.conn.Unmask(ctx)).To(Succeed()) })
			Expect(acks).To(HaveLen(1), "answers when the last holder unmasked, after three held edges")
			Eventually(other.n.Load).Within(t.ProbeTimeout).Should(BeEquivalentTo(1))
			quiet(ctx)
			Expect(answerer.Deliveries()).To(Equal(1))
			Expect(other.n.Load()).To(BeEquivalentTo(1))
		}, SpecTimeout(specTimeout))

		It("unmask for the others when a holder that masks them closes", func(ctx SpecContext) {
			prepare(ctx)
			p := pair(0)
			t := Fixture().Timing
			answerer := respond(ctx, sharedResponder(p))
			other := countShared(ctx, p, "masking holder", 0)
			Expect(other.conn.Mask(ctx)).To(Succeed())
			Expect(probe(ctx, p, true, t.Quiet).TimedOut).To(BeTrue(), "an edge was answered while one holder masks the line")
			// The held edge is delivered to the holder left, once the masking
			// one has gone; then every edge is.
			acks := collectAcks(ctx, p, 1, t.Quiet, func() { Expect(other.conn.Close()).To(Succeed()) })
			Expect(acks).To(HaveLen(1), "the held edge, answered once the masking holder closed")
			Expect(probe(ctx, p, false, t.ProbeTimeout).TimedOut).To(BeFalse(), "an edge after the masking holder closed")
			Expect(answerer.Deliveries()).To(Equal(2))
			Expect(other.n.Load()).To(BeZero(), "the closed holder's ISR ran")
		}, SpecTimeout(specTimeout))

		It("keep serving the other holders when one holder's ISR panics", Label("containment"), func(ctx SpecContext) {
			r := prepare(ctx)
			expectReported(1) // the panic
			p := pair(0)
			t := Fixture().Timing
			answerer := respond(ctx, sharedResponder(p))
			panicking, err := r.Framework.ConnectInterrupt(ctx, sharedConfig(p, "panicking holder", func(clx.InterruptContext) bool {
				panic("spec: a panicking shared holder")
			}))
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(panicking.Close)
			for i, l := range []bool{true, false, true} {
				Expect(probe(ctx, p, l, t.ProbeTimeout).TimedOut).To(BeFalse(), "edge %d: the other holder did not answer", i)
			}
			Expect(panicking.Failed()).To(BeClosed(), "the panicking holder's connection did not fail")
			Expect(errors.Is(panicking.Err(), clx.ErrISRPanic)).To(BeTrue(), "got %v", panicking.Err())
			Expect(answerer.Deliveries()).To(Equal(3))
		}, SpecTimeout(specTimeout))

		It("keep every edge for a steady holder while others connect and disconnect during a pulse train", func(ctx SpecContext) {
			r := prepare(ctx)
			p := pair(0)
			steady := countShared(ctx, p, "steady", 0)
			const pulses = 40
			width := 2 * time.Millisecond
			var churns atomic.Int32
			var churnErr error
			var wg sync.WaitGroup
			done := make(chan struct{})
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := 0; ; k++ {
					select {
					case <-done:
						return
					default:
					}
					c, err := r.Framework.ConnectInterrupt(ctx, sharedConfig(p, fmt.Sprintf("churn %d", k), func(clx.InterruptContext) bool { return true }))
					if err == nil {
						time.Sleep(time.Duration(k%3) * width / 2)
						err = c.Close()
					}
					if err != nil {
						churnErr = err
						return
					}
					churns.Add(1)
				}
			}()
			Expect(r.Pulse(ctx, p.Stimulus.Name, true, width, 2*width, pulses)).To(Succeed())
			close(done)
			wg.Wait()
			Expect(churnErr).NotTo(HaveOccurred())
			Expect(churns.Load()).To(BeNumerically(">", 0))
			Eventually(steady.n.Load).Within(Fixture().Timing.ProbeTimeout).Should(BeEquivalentTo(2*pulses), "every edge of %d pulses while %d other holders came and went", pulses, churns.Load())
			quiet(ctx)
			Expect(steady.n.Load()).To(BeEquivalentTo(2*pulses), "after the line went quiet")
			AddReportEntry("shared churn", fmt.Sprintf("%d connect/disconnect cycles during %d pulses", churns.Load(), pulses))
		}, SpecTimeout(specTimeout))
	})
})

// sharedConfig is a shared active-both connection on a pair's stimulus,
// whose line idles low (so an emulated active-both asserts high first).
func sharedConfig(p rig.Pair, name string, isr clx.ISR) clx.InterruptConfig {
	return clx.InterruptConfig{Pin: p.Stimulus.TargetPin, Mode: clx.Edge, Polarity: clx.ActiveBoth, AssertedHigh: true,
		Shared: true, Name: name, ISR: isr}
}

// sharedResponder answers every edge on the pair's ack wire, as one of
// several holders of the stimulus line.
func sharedResponder(p rig.Pair) rig.ResponderConfig {
	return rig.ResponderConfig{Pair: p.Name, Polarity: clx.ActiveBoth, AssertedHigh: true, Shared: true, Ack: rig.AckToggle}
}

// sharedCounter is a holder of a shared interrupt that counts its ISR runs.
type sharedCounter struct {
	name string
	n    atomic.Int32
	conn *clx.InterruptConn
}

// countShared connects a counting holder on the pair's stimulus line. With
// leaveAfter > 0 its ISR closes its own connection on that delivery.
func countShared(ctx context.Context, p rig.Pair, name string, leaveAfter int32) *sharedCounter {
	GinkgoHelper()
	c := &sharedCounter{name: name}
	conn, err := theRig.Framework.ConnectInterrupt(ctx, sharedConfig(p, name, func(ic clx.InterruptContext) bool {
		if c.n.Add(1) == leaveAfter {
			_ = ic.Conn.Close()
		}
		return true
	}))
	Expect(err).NotTo(HaveOccurred())
	c.conn = conn
	DeferCleanup(conn.Close)
	return c
}

// quiet waits the fixture's quiet time for anything late to arrive.
func quiet(ctx context.Context) { sleep(ctx, Fixture().Timing.Quiet) }

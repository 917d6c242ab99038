package specs

import (
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
)

// A client driver's fault stays with that client: judged from the wires,
// the rest of the target keeps answering.
var _ = node(func() {
	Describe("Containment", Label("containment"), func() {
		It("contains a panicking ISR: its connection fails with a typed error, other pins keep answering, the pin can be connected again", Label("cap:two-pairs"), func(ctx SpecContext) {
			needPairs(2)
			r := prepare(ctx)
			expectReported(1) // the panic
			p, q := pair(0), pair(1)
			t := Fixture().Timing
			ic, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: p.Stimulus.TargetPin, Mode: clx.Edge,
				Polarity: clx.ActiveHigh, Name: "panicking", ISR: func(clx.InterruptContext) bool { panic("spec: a panicking ISR") }})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(ic.Close)
			other := respondBoth(ctx, q)
			drive(ctx, p.Stimulus.Name, true)
			Eventually(ctx, ic.Failed()).WithTimeout(t.ProbeTimeout).Should(BeClosed(), "the panicking connection did not fail")
			Expect(errors.Is(ic.Err(), clx.ErrISRPanic)).To(BeTrue(), "got %v", ic.Err())
			var pe *clx.PanicError
			Expect(errors.As(ic.Err(), &pe)).To(BeTrue())
			Expect(pe.Pin).To(Equal(p.Stimulus.TargetPin))
			Expect(pe.Value).To(Equal("spec: a panicking ISR"))
			for i, l := range []bool{false, true, false} {
				Expect(probe(ctx, q, l, t.ProbeTimeout).TimedOut).To(BeFalse(), "pair %s edge %d after the panic", q.Name, i)
			}
			Expect(other.Deliveries()).To(Equal(3))
			// The panicking pin was disabled with its last connection: a new
			// client on it is served.
			Expect(ic.Close()).To(Succeed())
			drive(ctx, p.Stimulus.Name, false)
			settle(ctx)
			again := respondBoth(ctx, p)
			for i, l := range []bool{false, true} {
				Expect(probe(ctx, p, l, t.ProbeTimeout).TimedOut).To(BeFalse(), "pair %s edge %d on the reconnected pin", p.Name, i)
			}
			Expect(again.Deliveries()).To(Equal(2))
		}, SpecTimeout(specTimeout))
	})
})

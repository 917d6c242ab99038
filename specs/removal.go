package specs

import (
	"errors"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// The target's controller goes away with connections open, as an
// unplugged board does: judged from the wires and from the clients.
var _ = node(func() {
	Describe("Controller removal", Label("removal"), func() {
		It("fails every connection with a typed error when the controller goes away, lets go of its lines, answers nothing, and serves again once it is back", Label("cap:hi-z"), func(ctx SpecContext) {
			r := prepare(ctx)
			if why := r.RemovalUnsupported(); why != "" {
				Skip(why)
			}
			// The MCU's pull-down (every MCU the rig drives has one) shows
			// the ack line let go.
			needCap("hi-z", Fixture().Capabilities.HiZ)
			p := pair(0)
			t := Fixture().Timing
			rs := respondBoth(ctx, p)
			for i, l := range []bool{false, true} {
				Expect(probe(ctx, p, l, t.ProbeTimeout).TimedOut).To(BeFalse(), "edge %d before the removal", i)
			}
			release(ctx, p.Ack.Name, proto.PullDown)
			settle(ctx)
			Expect(mcuReads(ctx, p.Ack)).To(BeTrue(), "the ack line %s does not drive high over the MCU's pull-down", p.Ack.Line)
			held := ioConnect(ctx, clx.IOConfig{Pins: []int{p.Stimulus.TargetPin}, Direction: clx.Input, Shared: true, Name: "removal spec reader"})

			old := r.Framework
			reinserted := false
			DeferCleanup(func(ctx SpecContext) {
				if !reinserted {
					Expect(r.ReinsertController(ctx)).To(Succeed())
				}
			})
			Expect(r.RemoveController(ctx)).To(Succeed())
			// A controller that knows of its removal says so at once (the
			// sim raises its interrupt); one on a bus is found gone at the
			// framework's next access (the MCP23017's address goes
			// unacknowledged). Either way the next read fails with it.
			if r.RemovalAnnounced() {
				Eventually(ctx, old.Gone()).WithTimeout(t.ProbeTimeout).Should(BeClosed(), "the framework did not learn of the removal the controller announced")
			}
			err := held.Read(ctx, make([]byte, 1))
			Expect(errors.Is(err, clx.ErrControllerGone)).To(BeTrue(), "a read from a removed controller: %v", err)
			Eventually(ctx, old.Gone()).WithTimeout(t.ProbeTimeout).Should(BeClosed(), "the framework did not learn of the removal")
			Expect(errors.Is(old.Err(), clx.ErrControllerGone)).To(BeTrue(), "got %v", old.Err())
			Eventually(ctx, rs.Conn().Failed()).WithTimeout(t.ProbeTimeout).Should(BeClosed(), "the responder's interrupt connection did not fail")
			var pe *clx.PinError
			Expect(errors.As(rs.Conn().Err(), &pe)).To(BeTrue(), "got %v", rs.Conn().Err())
			Expect(pe.Pin).To(Equal(p.Stimulus.TargetPin))
			Expect(pe.Bank).To(Equal(p.Stimulus.TargetPin / old.Info().PinsPerBank))
			Expect(errors.Is(pe, clx.ErrControllerGone)).To(BeTrue())
			Expect(pe.Error()).To(HavePrefix(fmt.Sprintf("clx: %s pin %d (bank %d): ", pe.Op, pe.Pin, pe.Bank)), "what a user reads names the pin and bank")
			// Requests refused as a whole name no pin.
			_, err = old.ConnectIO(ctx, clx.IOConfig{Pins: []int{p.Ack.TargetPin}, Direction: clx.Output})
			Expect(errors.Is(err, clx.ErrControllerGone)).To(BeTrue(), "a connection to a removed controller: %v", err)
			Expect(errors.As(err, &pe)).To(BeTrue(), "got %v", err)
			Expect([]int{pe.Pin, pe.Bank}).To(Equal([]int{-1, -1}), "a refused connection names no pin or bank: %v", err)
			if err := old.Suspend(ctx); !lacks(fixtures.GroupSuspend, err) {
				Expect(errors.Is(err, clx.ErrControllerGone)).To(BeTrue(), "suspending a removed controller: %v", err)
				Expect(errors.As(err, &pe)).To(BeTrue(), "got %v", err)
				Expect([]int{pe.Pin, pe.Bank}).To(Equal([]int{-1, -1}), "a refused suspend names no pin or bank: %v", err)
			}
			bank := p.Stimulus.TargetPin / old.Info().PinsPerBank
			if err := old.SetBankPower(ctx, bank, false); !lacks(fixtures.GroupBankPower, err) {
				Expect(errors.Is(err, clx.ErrControllerGone)).To(BeTrue(), "powering a removed controller's bank off: %v", err)
				Expect(errors.As(err, &pe)).To(BeTrue(), "got %v", err)
				Expect([]int{pe.Pin, pe.Bank}).To(Equal([]int{-1, bank}), "a refused bank power-off names the bank, no pin: %v", err)
			}
			if _, err := old.ControllerSpecificFunction(ctx, []byte("identify")); !lacks(fixtures.GroupSpecific, err) {
				Expect(errors.Is(err, clx.ErrControllerGone)).To(BeTrue(), "a controller-specific request to a removed controller: %v", err)
				if errors.As(err, &pe) {
					Expect([]int{pe.Pin, pe.Bank}).To(Equal([]int{-1, -1}), "a refused controller-specific request names no pin or bank: %v", err)
				}
			}

			settle(ctx)
			Expect(mcuReads(ctx, p.Ack)).To(BeFalse(), "the removed target still drives the ack line %s", p.Ack.Line)
			for i, l := range []bool{false, true} {
				Expect(probe(ctx, p, l, t.Quiet).TimedOut).To(BeTrue(), "edge %d answered by a removed controller", i)
			}
			Expect(rs.Close()).To(Succeed(), "closing a connection to a removed controller")
			Expect(held.Close()).To(Succeed(), "closing a connection to a removed controller")

			// The stimulus was high when the controller went away; it is low
			// when it comes back, and reads so at once.
			drive(ctx, p.Stimulus.Name, false)
			settle(ctx)
			Expect(r.ReinsertController(ctx)).To(Succeed())
			reinserted = true
			Expect(r.Framework).NotTo(BeIdenticalTo(old))
			back := ioConnect(ctx, clx.IOConfig{Pins: []int{p.Stimulus.TargetPin}, Direction: clx.Input, Name: "removal spec reader, back"})
			buf := []byte{1}
			Expect(back.Read(ctx, buf)).To(Succeed())
			Expect(buf[0]).To(BeZero(), "the stimulus line %s, driven low while the controller was away, read after it came back", p.Stimulus.Line)
			Expect(back.Close()).To(Succeed())
			drive(ctx, p.Stimulus.Name, true)
			settle(ctx)
			again := respondBoth(ctx, p)
			for i, l := range []bool{false, true} {
				Expect(probe(ctx, p, l, t.ProbeTimeout).TimedOut).To(BeFalse(), "edge %d after the controller came back", i)
			}
			Expect(again.Deliveries()).To(Equal(2))
		}, SpecTimeout(specTimeout))
	})
})

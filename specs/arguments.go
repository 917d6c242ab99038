package specs

import (
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/fixtures"
)

// refusal is a call the framework must refuse: the sentinel its error
// wraps, the pin and bank its clx.PinError names (-1: none), and what the
// message says of the cause.
type refusal struct {
	what      string
	kind      error
	pin, bank int
	says      string
}

// wantRefused checks a refused call's error against want.
func wantRefused(err error, want refusal) {
	GinkgoHelper()
	Expect(errors.Is(err, want.kind)).To(BeTrue(), "%s: got %v, want an error wrapping %v", want.what, err, want.kind)
	Expect(errors.Is(err, clx.ErrControllerDriver)).To(BeFalse(), "%s: the framework refuses it, not the controller driver: %v", want.what, err)
	var pe *clx.PinError
	Expect(errors.As(err, &pe)).To(BeTrue(), "%s: got %T, want a *clx.PinError", want.what, err)
	Expect([]int{pe.Pin, pe.Bank}).To(Equal([]int{want.pin, want.bank}), "%s: the pin and bank the error names", want.what)
	Expect(err.Error()).To(ContainSubstring(want.says), "%s", want.what)
}

var _ = node(func() {
	Describe("Arguments", Label("arguments"), func() {
		It("refuses an I/O connection with a pin out of range or an unknown setting, naming it, and leaves every line as it was", func(ctx SpecContext) {
			r := prepare(ctx)
			info := r.Framework.Info()
			w := r.Wires[len(r.Wires)-1]
			bank := w.TargetPin / info.PinsPerBank
			pullWire(ctx, w, false)
			watch := watchWires(ctx, w)
			// Every refused output lists the wire's line first and would
			// drive it high: a refusal that touched the line shows as an
			// edge at the MCU.
			out := func(cfg clx.IOConfig) clx.IOConfig {
				cfg.Direction, cfg.Initial = clx.Output, []byte{0xff}
				return cfg
			}
			last := fmt.Sprintf("out of range 0..%d", info.TotalPins-1)
			for _, tc := range []struct {
				cfg  clx.IOConfig
				want refusal
			}{
				{out(clx.IOConfig{Pins: []int{w.TargetPin, info.TotalPins}}), refusal{"a pin past the last", clx.ErrInvalidArgument, info.TotalPins, -1, last}},
				{out(clx.IOConfig{Pins: []int{w.TargetPin, -1}}), refusal{"a negative pin", clx.ErrInvalidArgument, -1, -1, "pin -1 " + last}},
				{out(clx.IOConfig{Pins: []int{w.TargetPin, w.TargetPin}}), refusal{"a pin listed twice", clx.ErrInvalidArgument, w.TargetPin, bank, "pin listed twice"}},
				{out(clx.IOConfig{}), refusal{"no pins", clx.ErrInvalidArgument, -1, -1, "no pins"}},
				{clx.IOConfig{Pins: []int{w.TargetPin}, Direction: 2, Initial: []byte{1}}, refusal{"an unknown direction", clx.ErrInvalidArgument, -1, -1, "unknown direction Direction(2)"}},
				{out(clx.IOConfig{Pins: []int{w.TargetPin}, Restriction: 4}), refusal{"an unknown restriction", clx.ErrInvalidArgument, -1, -1, "unknown restriction Restriction(4)"}},
				{out(clx.IOConfig{Pins: []int{w.TargetPin}, Pull: 4}), refusal{"an unknown pull", clx.ErrInvalidArgument, -1, -1, "unknown pull Pull(4)"}},
				{out(clx.IOConfig{Pins: []int{w.TargetPin}, Drive: 4}), refusal{"an unknown drive", clx.ErrInvalidArgument, -1, -1, "unknown drive Drive(4)"}},
				{out(clx.IOConfig{Pins: []int{w.TargetPin}, Debounce: -time.Millisecond}), refusal{"a negative debounce", clx.ErrInvalidArgument, -1, -1, "negative debounce -1ms"}},
				{out(clx.IOConfig{Pins: []int{w.TargetPin}, Shared: true}), refusal{"a shared output", clx.ErrInvalidArgument, -1, -1, "shared connections are read-only"}},
				{out(clx.IOConfig{Pins: []int{w.TargetPin}, Restriction: clx.RestrictInput}), refusal{"an output on an input-only resource", clx.ErrOperationDenied, -1, -1, "output on an input-only resource"}},
				{clx.IOConfig{Pins: []int{w.TargetPin}, Restriction: clx.RestrictOutput}, refusal{"an input on an output-only resource", clx.ErrOperationDenied, -1, -1, "input on an output-only resource"}},
			} {
				c, err := r.Framework.ConnectIO(ctx, tc.cfg)
				if c != nil {
					DeferCleanup(c.Close)
				}
				wantRefused(err, tc.want)
			}
			Expect(watch.quiet()).To(BeEmpty(), "edges on wire %s while connections listing its line were refused", w.Name)
			Expect(mcuReads(ctx, w)).To(BeFalse(), "wire %s after the refusals", w.Name)
			// The refusals held nothing: the line connects and drives.
			o := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Initial: []byte{1}})
			settle(ctx)
			Expect(mcuReads(ctx, w)).To(BeTrue(), "wire %s driven high by a connection made after the refusals", w.Name)
			Expect(o.Close()).To(Succeed())
		}, SpecTimeout(specTimeout))

		It("refuses an interrupt connection with a pin out of range or an unknown setting, naming it, and serves the pin after", func(ctx SpecContext) {
			r := prepare(ctx)
			info := r.Framework.Info()
			p := pair(0)
			pin := p.Stimulus.TargetPin
			bank := pin / info.PinsPerBank
			isr := func(clx.InterruptContext) bool { return true }
			on := func(cfg clx.InterruptConfig) clx.InterruptConfig {
				cfg.ISR = isr
				return cfg
			}
			last := fmt.Sprintf("out of range 0..%d", info.TotalPins-1)
			for _, tc := range []struct {
				cfg  clx.InterruptConfig
				want refusal
			}{
				{on(clx.InterruptConfig{Pin: info.TotalPins}), refusal{"a pin past the last", clx.ErrInvalidArgument, info.TotalPins, -1, last}},
				{on(clx.InterruptConfig{Pin: -1}), refusal{"a negative pin", clx.ErrInvalidArgument, -1, -1, "pin -1 " + last}},
				{clx.InterruptConfig{Pin: pin}, refusal{"no ISR", clx.ErrInvalidArgument, pin, bank, "no ISR"}},
				{on(clx.InterruptConfig{Pin: pin, Mode: 2}), refusal{"an unknown mode", clx.ErrInvalidArgument, pin, bank, "unknown mode Mode(2)"}},
				{on(clx.InterruptConfig{Pin: pin, Polarity: 3}), refusal{"an unknown polarity", clx.ErrInvalidArgument, pin, bank, "unknown polarity Polarity(3)"}},
				{on(clx.InterruptConfig{Pin: pin, Mode: clx.LevelSensitive, Polarity: clx.ActiveBoth}), refusal{"a level on both polarities", clx.ErrInvalidArgument, pin, bank, "level-sensitive interrupts cannot be active-both"}},
				{on(clx.InterruptConfig{Pin: pin, Debounce: -time.Millisecond}), refusal{"a negative debounce", clx.ErrInvalidArgument, pin, bank, "negative debounce -1ms"}},
				{on(clx.InterruptConfig{Pin: pin, Pull: 4}), refusal{"an unknown pull", clx.ErrInvalidArgument, pin, bank, "unknown pull Pull(4)"}},
			} {
				c, err := r.Framework.ConnectInterrupt(ctx, tc.cfg)
				if c != nil {
					DeferCleanup(c.Close)
				}
				wantRefused(err, tc.want)
			}
			// Nothing was connected, and nothing is left behind: the pin's
			// first connection answers both edges.
			rs := respondBoth(ctx, p)
			t := Fixture().Timing
			for i, l := range []bool{false, true} { // the mirror idles high
				Expect(probe(ctx, p, l, t.ProbeTimeout).TimedOut).To(BeFalse(), "pair %s edge %d after the refusals", p.Name, i)
			}
			Expect(rs.Deliveries()).To(Equal(2))
		}, SpecTimeout(specTimeout))

		It("refuses to power a bank past the last or before the first, naming it, powers the last, and leaves the lines driving", func(ctx SpecContext) {
			r := prepare(ctx)
			banks := r.Framework.Info().Banks()
			w := r.Wires[len(r.Wires)-1]
			pullWire(ctx, w, false)
			ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Initial: []byte{1}})
			for _, bank := range []int{banks, -1} {
				for _, on := range []bool{false, true} {
					err := r.Framework.SetBankPower(ctx, bank, on)
					skipWithout(fixtures.GroupBankPower, err)
					wantRefused(err, refusal{fmt.Sprintf("bank %d of %d powered %v", bank, banks, on), clx.ErrInvalidArgument, -1, bank, "invalid argument"})
				}
			}
			// The last bank is one the controller has.
			for _, on := range []bool{false, true} {
				Expect(r.Framework.SetBankPower(ctx, banks-1, on)).To(Succeed(), "the last bank, %d, powered %v", banks-1, on)
			}
			settle(ctx)
			Expect(mcuReads(ctx, w)).To(BeTrue(), "wire %s, driven high, after the refused bank power calls", w.Name)
		}, SpecTimeout(specTimeout))
	})
})

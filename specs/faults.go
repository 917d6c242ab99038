package specs

import (
	"errors"
	"slices"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// A controller driver that fails — returns an error, panics, leaves a
// mask or clear undone, reports status it was never asked for — fails
// only the call it was making. Each spec makes one call of one driver
// method fail (rig.InjectFault) and judges, through the wires: the
// client's call returns a typed error naming the pin and bank (or, where
// no client waits, the framework reports exactly that error), the line is
// as the failed call left it, the next call on the same line is served,
// and the other pins keep answering.
var _ = node(func() {
	Describe("Controller faults", Label("faults"), func() {
		modes := []sim.FaultMode{sim.FaultError, sim.FaultPanic}
		for _, mode := range modes {
			It("a failed connect-io leaves the line undriven, and the next connect drives it: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				release(ctx, w.Name, proto.PullDown)
				injectFault(r, "ConnectIOPins", mode)
				_, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Initial: []byte{1}})
				wantDriverFault(r, err, "ConnectIOPins", mode, w.TargetPin)
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(BeFalse(), "wire %s: the failed connection drove its line", w.Name)
				ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Initial: []byte{1}})
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(BeTrue(), "wire %s: the connection after the failed one does not drive", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))

			It("a failed disconnect-io still lets go of the line for the next connection: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				release(ctx, w.Name, proto.PullDown)
				o, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Initial: []byte{1}})
				Expect(err).NotTo(HaveOccurred())
				injectFault(r, "DisconnectIOPins", mode)
				wantDriverFault(r, o.Close(), "DisconnectIOPins", mode, w.TargetPin)
				next := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Initial: []byte{0}})
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(BeFalse(), "wire %s: the connection after a failed close does not drive low", w.Name)
				Expect(next.Write(ctx, []byte{1})).To(Succeed())
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(BeTrue(), "wire %s: the connection after a failed close does not drive high", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))

			It("a failed read is the caller's error, and the next read reads the line: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				drive(ctx, w.Name, true)
				in := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Input})
				settle(ctx)
				method := ioMethod(r, "ReadPins", "ReadPinsMask")
				injectFault(r, method, mode)
				buf := []byte{0}
				wantDriverFault(r, in.Read(ctx, buf), method, mode, w.TargetPin)
				Expect(in.Read(ctx, buf)).To(Succeed())
				Expect(buf[0]).To(Equal(byte(1)), "wire %s driven high: the read after the failed one", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))

			It("a failed write leaves the line and the connection's level as they were: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				release(ctx, w.Name, proto.PullDown)
				out := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Initial: []byte{0}})
				method := ioMethod(r, "WritePins", "WritePinsMask")
				injectFault(r, method, mode)
				wantDriverFault(r, out.Write(ctx, []byte{1}), method, mode, w.TargetPin)
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(BeFalse(), "wire %s: the failed write reached the line", w.Name)
				buf := []byte{1}
				Expect(out.Read(ctx, buf)).To(Succeed())
				Expect(buf[0]).To(Equal(byte(0)), "the connection reads back the level the failed write did not set")
				Expect(out.Write(ctx, []byte{1})).To(Succeed())
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(BeTrue(), "wire %s: the write after the failed one", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))

			It("a failed connect-interrupt arms nothing, and the next connect is served: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				drive(ctx, w.Name, false)
				injectFault(r, "EnableInterrupt", mode)
				_, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: w.TargetPin, Polarity: clx.ActiveHigh,
					ISR: func(clx.InterruptContext) bool { Fail("the failed connection's ISR ran"); return true }})
				wantDriverFault(r, err, "EnableInterrupt", mode, w.TargetPin)
				pulse(ctx, w)
				n := countEdges(ctx, w, clx.ActiveHigh)
				pulse(ctx, w)
				n.becomes(ctx, 1, "wire %s: rising edges delivered", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))

			It("a failed disable is reported, and the pin can be connected again: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				drive(ctx, w.Name, false)
				ic, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: w.TargetPin, Polarity: clx.ActiveHigh,
					ISR: func(clx.InterruptContext) bool { return true }})
				Expect(err).NotTo(HaveOccurred())
				injectFault(r, "DisableInterrupt", mode)
				Expect(ic.Close()).To(Succeed(), "closing is the client's; the disable failing is the driver's")
				// The failed disable, then the cross-check of the enable
				// state that follows every disable finding the pin enabled.
				errs := wantReported(r, 2, "DisableInterrupt", mode, w.TargetPin)
				Expect(errs).To(HaveLen(2))
				Expect(errs[1]).To(MatchError(ContainSubstring("hardware enable state disagrees")))
				var pe *clx.PinError
				Expect(errors.As(errs[1], &pe)).To(BeTrue(), "got %v", errs[1])
				Expect([]int{pe.Pin, pe.Bank}).To(Equal([]int{-1, w.TargetPin / r.Framework.Info().PinsPerBank}), "the cross-check names the bank, no pin: %v", errs[1])
				n := countEdges(ctx, w, clx.ActiveHigh)
				pulse(ctx, w)
				n.becomes(ctx, 1, "wire %s: rising edges delivered", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))

			It("a failed unmask leaves the connection masked, and the next unmask delivers what it held: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				drive(ctx, w.Name, false)
				n := countEdges(ctx, w, clx.ActiveHigh)
				Expect(n.conn.Mask(ctx)).To(Succeed())
				pulse(ctx, w)
				injectFault(r, "UnmaskInterrupt", mode)
				wantDriverFault(r, n.conn.Unmask(ctx), "UnmaskInterrupt", mode, w.TargetPin)
				n.stays(ctx, 0, "wire %s: delivered while still masked", w.Name)
				Expect(n.conn.Unmask(ctx)).To(Succeed())
				n.becomes(ctx, 1, "wire %s: the held edge", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))
		}

		for _, mode := range append(modes, sim.FaultUnapplied) {
			It("a failed mask leaves the connection unmasked: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				drive(ctx, w.Name, false)
				n := countEdges(ctx, w, clx.ActiveHigh)
				injectFault(r, "MaskInterrupts", mode)
				wantDriverFault(r, n.conn.Mask(ctx), "MaskInterrupts", mode, w.TargetPin)
				pulse(ctx, w)
				n.becomes(ctx, 1, "wire %s: an edge after the failed mask", w.Name)
				Expect(n.conn.Mask(ctx)).To(Succeed())
				pulse(ctx, w)
				n.stays(ctx, 1, "wire %s: delivered while masked", w.Name)
				// The failed mask counted for nothing: one unmask undoes the
				// one mask that took.
				Expect(n.conn.Unmask(ctx)).To(Succeed())
				n.becomes(ctx, 2, "wire %s: the edge latched while masked, on unmask", w.Name)
				pulse(ctx, w)
				n.becomes(ctx, 3, "wire %s: an edge after the unmask", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))
		}

		for _, mode := range modes {
			It("a failed query of active interrupts is reported, and loses no edge: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				drive(ctx, w.Name, false)
				n := countEdges(ctx, w, clx.ActiveHigh)
				injectFault(r, "QueryActiveInterrupts", mode)
				pulse(ctx, w)
				errs := wantReported(r, 1, "QueryActiveInterrupts", mode, -1)
				var pe *clx.PinError
				Expect(errors.As(errs[0], &pe)).To(BeTrue(), "not a PinError: %v", errs[0])
				Expect(pe.Bank).To(Equal(w.TargetPin/r.Framework.Info().PinsPerBank), "the bank named in %v", errs[0])
				Expect(pe.Pin).To(Equal(-1), "a failed query is the bank's, and names no pin: %v", errs[0])
				// The edge's status stays latched through the failed pass;
				// the pass that retries it delivers it, once.
				n.becomes(ctx, 1, "wire %s: the edge of the failed pass", w.Name)
				pulse(ctx, w)
				n.becomes(ctx, 2, "wire %s: two rising edges", w.Name)
				n.stays(ctx, 2, "wire %s: two rising edges", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))
		}

		for _, mode := range append(modes, sim.FaultUnapplied) {
			It("a failed clear of an edge's status is reported, and the status it left is delivered once more: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				drive(ctx, w.Name, false)
				n := countEdges(ctx, w, clx.ActiveHigh)
				injectFault(r, "ClearActiveInterrupts", mode)
				pulse(ctx, w)
				wantReported(r, 1, "ClearActiveInterrupts", mode, w.TargetPin)
				// The pass that retries the failed one finds the status the
				// clear left, which the framework cannot tell from a new
				// edge: it delivers it, and its clear succeeds.
				n.becomes(ctx, 2, "wire %s: the edge, then the status left latched", w.Name)
				pulse(ctx, w)
				n.becomes(ctx, 3, "wire %s: the edge after", w.Name)
				n.stays(ctx, 3, "wire %s: the edge after", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))
		}

		for _, mode := range modes {
			It("a failed query of the enabled interrupts is reported, and the disable it checked stands: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				drive(ctx, w.Name, false)
				first := countEdges(ctx, w, clx.ActiveHigh)
				injectFault(r, "QueryEnabledInterrupts", mode)
				Expect(first.conn.Close()).To(Succeed())
				wantReported(r, 1, "QueryEnabledInterrupts", mode, -1)
				pulse(ctx, w)
				first.stays(ctx, 0, "wire %s: the closed connection was delivered", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))

			It("a failed event description is reported, and the edge is delivered without it: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				drive(ctx, w.Name, false)
				n := countEdges(ctx, w, clx.ActiveHigh)
				injectFault(r, "InterruptEvent", mode)
				pulse(ctx, w)
				wantReported(r, 1, "InterruptEvent", mode, w.TargetPin)
				n.becomes(ctx, 1, "wire %s: the edge", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))

			It("an emulated active-both pin whose re-arm fails is reported, delivers the level again, and misses no edge: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				if r.Framework.Info().Flags&clx.EmulateActiveBoth == 0 {
					Skip("the controller senses both edges itself: the framework re-arms nothing")
				}
				drive(ctx, w.Name, false)
				n := countEdges(ctx, w, clx.ActiveBoth)
				// Emulated active-both starts armed for low (the connection
				// does not say its line is asserted high): the low line is
				// delivered at once.
				Eventually(ctx, n.Levels).WithTimeout(Fixture().Timing.ProbeTimeout).Should(Equal([]clx.Level{clx.Low}), "wire %s: the level at connect", w.Name)
				injectFault(r, "ReconfigureInterrupt", mode)
				drive(ctx, w.Name, true)
				wantReported(r, 1, "ReconfigureInterrupt", mode, w.TargetPin)
				want := []clx.Level{clx.Low, clx.High, clx.High}
				Eventually(ctx, n.Levels).WithTimeout(Fixture().Timing.ProbeTimeout).Should(Equal(want), "wire %s: the rise, and the level delivered again after the failed re-arm", w.Name)
				for _, l := range []clx.Level{clx.Low, clx.High, clx.Low} {
					drive(ctx, w.Name, l == clx.High)
					want = append(want, l)
					Eventually(ctx, n.Levels).WithTimeout(Fixture().Timing.ProbeTimeout).Should(Equal(want), "wire %s: every edge after", w.Name)
				}
				Consistently(ctx, n.Levels).WithTimeout(Fixture().Timing.Quiet).Should(Equal(want), "wire %s: every edge after", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))

			It("a failed suspend or resume is the caller's error, and the framework serves on: "+mode.String(), func(ctx SpecContext) {
				r, _ := faultSpec(ctx)
				injectFault(r, "Suspend", mode)
				wantDriverFault(r, r.Framework.Suspend(ctx), "Suspend", mode, -1)
				Expect(r.Framework.Suspend(ctx)).To(Succeed())
				injectFault(r, "Resume", mode)
				wantDriverFault(r, r.Framework.Resume(ctx), "Resume", mode, -1)
				Expect(r.Framework.Resume(ctx)).To(Succeed())
				goesOn(ctx)
			}, SpecTimeout(specTimeout))

			It("a failed bank power-off leaves the bank driving, and a failed power-on is tried again: "+mode.String(), func(ctx SpecContext) {
				r, w := faultSpec(ctx)
				bank := w.TargetPin / r.Framework.Info().PinsPerBank
				release(ctx, w.Name, proto.PullDown)
				out := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Initial: []byte{1}})
				injectFault(r, "SaveBankContext", mode)
				err := r.Framework.SetBankPower(ctx, bank, false)
				skipWithout(fixtures.GroupBankPower, err)
				wantDriverFault(r, err, "SaveBankContext", mode, -1)
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(BeTrue(), "wire %s: the bank stopped driving after a failed power-off", w.Name)
				Expect(r.Framework.SetBankPower(ctx, bank, false)).To(Succeed())
				injectFault(r, "RestoreBankContext", mode)
				wantDriverFault(r, r.Framework.SetBankPower(ctx, bank, true), "RestoreBankContext", mode, -1)
				Expect(r.Framework.SetBankPower(ctx, bank, true)).To(Succeed())
				Expect(out.Write(ctx, []byte{0})).To(Succeed())
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(BeFalse(), "wire %s: the restored bank does not drive a write", w.Name)
				goesOn(ctx)
			}, SpecTimeout(specTimeout))

			It("a failed controller-specific request is the caller's error: "+mode.String(), func(ctx SpecContext) {
				r, _ := faultSpec(ctx)
				injectFault(r, "ControllerSpecificFunction", mode)
				_, err := r.Framework.ControllerSpecificFunction(ctx, []byte("identify"))
				skipWithout(fixtures.GroupSpecific, err)
				wantDriverFault(r, err, "ControllerSpecificFunction", mode, -1)
				_, err = r.Framework.ControllerSpecificFunction(ctx, []byte("identify"))
				Expect(err).NotTo(HaveOccurred())
				goesOn(ctx)
			}, SpecTimeout(specTimeout))
		}

		It("a controller reporting status nobody enabled is reported, and the edge that was there is delivered", func(ctx SpecContext) {
			r, w := faultSpec(ctx)
			drive(ctx, w.Name, false)
			n := countEdges(ctx, w, clx.ActiveHigh)
			// The bank's first pin enabled too (wired or not), so that the
			// phantom the error names is not at the bank's index 0.
			perBank := r.Framework.Info().PinsPerBank
			first := w.TargetPin / perBank * perBank
			var firstConn *clx.InterruptConn
			if first != w.TargetPin {
				var err error
				firstConn, err = r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: first, Polarity: clx.ActiveHigh, Name: "bank's first pin",
					ISR: func(clx.InterruptContext) bool { return true }})
				Expect(err).NotTo(HaveOccurred())
				DeferCleanup(firstConn.Close)
			}
			injectFault(r, "QueryActiveInterrupts", sim.FaultPhantom)
			pulse(ctx, w)
			n.becomes(ctx, 1, "wire %s: rising edges delivered", w.Name)
			// The controller reported every pin of the bank but those
			// enabled: the error names the lowest of the others.
			lowest := first + 1
			if lowest == w.TargetPin {
				lowest++
			}
			wantReported(r, 1, "", sim.FaultPhantom, lowest)
			if firstConn != nil {
				Expect(firstConn.Close()).To(Succeed()) // the first probe pair may need the pin
			}
			goesOn(ctx)
		}, SpecTimeout(specTimeout))
	})
})

// faultSpec starts a controller-fault spec: it skips where the target's
// driver cannot be made to fail, and returns the rig and the wire the
// fault is provoked on — the wire with the highest target pin outside
// the first probe pair, so that the pin and bank an error names are
// computed past bank 0's first pin wherever the fixture has such a wire.
func faultSpec(ctx SpecContext) (*rig.Rig, rig.Wire) {
	GinkgoHelper()
	r := prepare(ctx)
	if why := r.FaultsUnsupported(); why != "" {
		Skip(why)
	}
	// The MCU's pulls show whether a line is driven.
	needCap("hi-z", Fixture().Capabilities.HiZ)
	p := pair(0)
	var w rig.Wire
	for _, x := range r.Wires {
		if !slices.Contains([]string{p.Stimulus.Name, p.Ack.Name}, x.Name) && x.TargetPin >= w.TargetPin {
			w = x
		}
	}
	if w.Name == "" {
		Skip("needs a wire outside the first probe pair")
	}
	return r, w
}

// injectFault arms method's next call to fail as mode says, and disarms
// it when the spec ends (a spec that failed before provoking it).
func injectFault(r *rig.Rig, method string, mode sim.FaultMode) {
	GinkgoHelper()
	Expect(r.InjectFault(method, mode)).To(Succeed())
	DeferCleanup(func() { Expect(r.InjectFault(method, sim.FaultNone)).To(Succeed()) })
}

// ioMethod is the driver's read or write method the framework calls: the
// whole-bank one where the controller does I/O as masks.
func ioMethod(r *rig.Rig, pins, mask string) string {
	if r.Framework.Info().Flags&clx.IOAsMasks != 0 {
		return mask
	}
	return pins
}

// wantDriverFault asserts err is the driver's fault in method as mode
// made it: it wraps clx.ErrControllerDriver, and the injected error or a
// DriverPanicError naming method; where pin is not -1 it is a PinError
// naming pin and its bank.
func wantDriverFault(r *rig.Rig, err error, method string, mode sim.FaultMode, pin int) {
	GinkgoHelper()
	Expect(err).To(HaveOccurred(), "%s failed as %s, and the call succeeded", method, mode)
	Expect(errors.Is(err, clx.ErrControllerDriver)).To(BeTrue(), "not a controller-driver error: %v", err)
	switch mode {
	case sim.FaultError:
		Expect(errors.Is(err, sim.ErrInjected)).To(BeTrue(), "the driver's error is not carried: %v", err)
	case sim.FaultPanic:
		var dp *clx.DriverPanicError
		Expect(errors.As(err, &dp)).To(BeTrue(), "not a DriverPanicError: %v", err)
		Expect(dp.Method).To(Equal(method))
	}
	var pe *clx.PinError
	switch {
	case pin >= 0:
		Expect(errors.As(err, &pe)).To(BeTrue(), "not a PinError: %v", err)
		Expect(pe.Pin).To(Equal(pin), "the pin named in %v", err)
		Expect(pe.Bank).To(Equal(pin/r.Framework.Info().PinsPerBank), "the bank named in %v", err)
	case errors.As(err, &pe):
		Expect(pe.Pin).To(Equal(-1), "a fault of no one pin names none: %v", err)
	}
}

// wantReported says the spec provokes n reported errors, waits for them,
// and asserts the first is the driver's fault in method (see
// wantDriverFault). It returns the n errors.
func wantReported(r *rig.Rig, n int, method string, mode sim.FaultMode, pin int) []error {
	GinkgoHelper()
	expectReported(n)
	errs := reportedDuringSpec(r, n)
	record(func(res *Results) { res.FaultsProvoked = append(res.FaultsProvoked, errs...) })
	Expect(errs).NotTo(BeEmpty())
	wantDriverFault(r, errs[0], method, mode, pin)
	return errs
}

// pulse drives a wire high, then low.
func pulse(ctx SpecContext, w rig.Wire) {
	GinkgoHelper()
	drive(ctx, w.Name, true)
	settle(ctx)
	drive(ctx, w.Name, false)
	settle(ctx)
}

// edgeCount is one interrupt connection's deliveries, by level.
type edgeCount struct {
	conn   *clx.InterruptConn
	mu     sync.Mutex
	levels []clx.Level
}

// Load returns how many deliveries there were.
func (n *edgeCount) Load() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.levels)
}

// becomes waits, up to the probe timeout, for the count to reach want.
func (n *edgeCount) becomes(ctx SpecContext, want int, what string, args ...any) {
	GinkgoHelper()
	Eventually(ctx, n.Load).WithTimeout(Fixture().Timing.ProbeTimeout).Should(Equal(want), append([]any{what}, args...)...)
}

// stays asserts the count stays at want for the fixture's quiet time.
func (n *edgeCount) stays(ctx SpecContext, want int, what string, args ...any) {
	GinkgoHelper()
	Consistently(ctx, n.Load).WithTimeout(Fixture().Timing.Quiet).Should(Equal(want), append([]any{what}, args...)...)
}

// Levels returns the level each delivery reported.
func (n *edgeCount) Levels() []clx.Level {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.levels)
}

// countEdges connects a claiming ISR on w's line for the spec.
func countEdges(ctx SpecContext, w rig.Wire, pol clx.Polarity) *edgeCount {
	GinkgoHelper()
	n := &edgeCount{}
	ic, err := theRig.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: w.TargetPin, Polarity: pol, Name: "fault spec",
		ISR: func(ic clx.InterruptContext) bool {
			n.mu.Lock()
			n.levels = append(n.levels, ic.Level)
			n.mu.Unlock()
			return true
		}})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(ic.Close)
	n.conn = ic
	settle(ctx)
	return n
}

// goesOn asserts the framework still answers the first probe pair.
func goesOn(ctx SpecContext) {
	GinkgoHelper()
	p := pair(0)
	rs := respondBoth(ctx, p)
	for i, l := range []bool{false, true, false} {
		Expect(probe(ctx, p, l, Fixture().Timing.ProbeTimeout).TimedOut).To(BeFalse(), "pair %s edge %d after the fault", p.Name, i)
	}
	Expect(rs.Deliveries()).To(Equal(3))
}

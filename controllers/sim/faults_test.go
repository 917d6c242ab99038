package sim_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// Each method the sim can fail, called as the framework calls it.
var faultCalls = map[string]func(s *sim.Controller) error{
	"ConnectIOPins": func(s *sim.Controller) error {
		return s.ConnectIOPins(ctx, &clx.IORequest{Pins: []int{1}, Direction: clx.Output, Initial: 1})
	},
	"DisconnectIOPins": func(s *sim.Controller) error { return s.DisconnectIOPins(ctx, &clx.IORequest{Pins: []int{1}}) },
	"ReadPins":         func(s *sim.Controller) error { _, err := s.ReadPins(ctx, 0, []int{1}); return err },
	"ReadPinsMask":     func(s *sim.Controller) error { _, err := s.ReadPinsMask(ctx, 0); return err },
	"WritePins":        func(s *sim.Controller) error { return s.WritePins(ctx, 0, []int{2}, 1) },
	"WritePinsMask":    func(s *sim.Controller) error { return s.WritePinsMask(ctx, 0, 1<<2, 0) },
	"EnableInterrupt": func(s *sim.Controller) error {
		return s.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 3, Polarity: clx.ActiveHigh})
	},
	"DisableInterrupt":       func(s *sim.Controller) error { return s.DisableInterrupt(ctx, &clx.InterruptRequest{Pin: 3}) },
	"MaskInterrupts":         func(s *sim.Controller) error { _, err := s.MaskInterrupts(ctx, 0, 1<<3); return err },
	"UnmaskInterrupt":        func(s *sim.Controller) error { return s.UnmaskInterrupt(ctx, &clx.InterruptRequest{Pin: 3}) },
	"QueryActiveInterrupts":  func(s *sim.Controller) error { _, err := s.QueryActiveInterrupts(ctx, 0, 1<<3); return err },
	"ClearActiveInterrupts":  func(s *sim.Controller) error { _, err := s.ClearActiveInterrupts(ctx, 0, 1<<3); return err },
	"QueryEnabledInterrupts": func(s *sim.Controller) error { _, err := s.QueryEnabledInterrupts(ctx, 0); return err },
	"ReconfigureInterrupt": func(s *sim.Controller) error {
		return s.ReconfigureInterrupt(ctx, &clx.InterruptRequest{Pin: 3, Polarity: clx.ActiveLow})
	},
	"InterruptEvent":  func(s *sim.Controller) error { _, err := s.InterruptEvent(ctx, 0, 3); return err },
	"SaveBankContext": func(s *sim.Controller) error { return s.SaveBankContext(ctx, 1) },
	"RestoreBankContext": func(s *sim.Controller) error {
		return s.RestoreBankContext(ctx, 1)
	},
	"ControllerSpecificFunction": func(s *sim.Controller) error {
		_, err := s.ControllerSpecificFunction(ctx, []byte("identify"))
		return err
	},
	"Suspend": func(s *sim.Controller) error { return s.Suspend(ctx) },
	"Resume":  func(s *sim.Controller) error { return s.Resume(ctx) },
}

// An armed method fails its next call only — with an error wrapping
// ErrInjected that names it, or a panic — and changes nothing; the call
// after it is served. Writing to a pin through WritePins does not fire
// WritePinsMask's fault, nor the other way.
func TestInjectedFaultFailsOneCall(t *testing.T) {
	for method, call := range faultCalls {
		for _, mode := range []sim.FaultMode{sim.FaultError, sim.FaultPanic} {
			t.Run(fmt.Sprintf("%s/%s", method, mode), func(t *testing.T) {
				s, _ := started(t, sim.Config{Pins: 16, PinsPerBank: 8})
				if method == "Resume" {
					must(t, s.Suspend(ctx))
				}
				if method == "RestoreBankContext" {
					must(t, s.SaveBankContext(ctx, 1))
				}
				must(t, s.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 3, Polarity: clx.ActiveHigh}))
				must(t, s.ConnectIOPins(ctx, &clx.IORequest{Pins: []int{2}, Direction: clx.Output}))
				must(t, s.InjectFault(method, mode))
				before := pads(s)
				err := func() (err error) {
					defer func() {
						if v := recover(); v != nil {
							err = fmt.Errorf("panicked: %v", v)
						}
					}()
					return call(s)
				}()
				switch mode {
				case sim.FaultError:
					if !errors.Is(err, sim.ErrInjected) || err.Error() != "sim: "+method+": sim: injected fault" {
						t.Fatalf("armed with an error: got %v", err)
					}
				case sim.FaultPanic:
					if err == nil || err.Error() != "panicked: sim: injected panic in "+method {
						t.Fatalf("armed with a panic: got %v", err)
					}
				}
				if after := pads(s); after != before {
					t.Errorf("the failed call changed the pins: %08b, was %08b", after, before)
				}
				if err := call(s); err != nil {
					t.Errorf("the call after the fault: %v", err)
				}
			})
		}
	}
}

// WritePins and WritePinsMask are armed apart: each fires only its own.
func TestWriteFaultsArmedApart(t *testing.T) {
	s, _ := started(t, sim.Config{})
	must(t, s.InjectFault("WritePinsMask", sim.FaultError))
	must(t, faultCalls["WritePins"](s))
	if err := faultCalls["WritePinsMask"](s); !errors.Is(err, sim.ErrInjected) {
		t.Fatalf("WritePinsMask after a WritePins: %v", err)
	}
}

// FaultUnapplied: the mask or clear changes nothing and reports every pin
// asked for as failed. FaultPhantom: the query adds every pin outside the
// set asked about. FaultNone disarms.
func TestFaultModesBeyondErrors(t *testing.T) {
	s, _ := started(t, sim.Config{Pins: 8})
	must(t, s.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 3, Polarity: clx.ActiveHigh}))
	must(t, s.DrivePad(3, clx.High))
	must(t, s.InjectFault("MaskInterrupts", sim.FaultUnapplied))
	if failed, err := s.MaskInterrupts(ctx, 0, 1<<3); err != nil || failed != 1<<3 {
		t.Fatalf("an unapplied mask: failed %08b, %v", failed, err)
	}
	if active, _ := s.QueryActiveInterrupts(ctx, 0, 1<<3); active != 1<<3 {
		t.Fatalf("the unapplied mask masked: active %08b", active)
	}
	must(t, s.InjectFault("ClearActiveInterrupts", sim.FaultUnapplied))
	if failed, err := s.ClearActiveInterrupts(ctx, 0, 1<<3); err != nil || failed != 1<<3 {
		t.Fatalf("an unapplied clear: failed %08b, %v", failed, err)
	}
	must(t, s.InjectFault("QueryActiveInterrupts", sim.FaultPhantom))
	if active, _ := s.QueryActiveInterrupts(ctx, 0, 1<<3|1<<4); active != 0xff&^(1<<4) {
		t.Fatalf("a phantom query: active %08b, want %08b", active, 0xff&^(1<<4))
	}
	must(t, s.InjectFault("QueryActiveInterrupts", sim.FaultPhantom))
	must(t, s.InjectFault("QueryActiveInterrupts", sim.FaultNone))
	if active, _ := s.QueryActiveInterrupts(ctx, 0, 1<<3); active != 1<<3 {
		t.Fatalf("a disarmed query: active %08b", active)
	}
}

// Arming what the sim cannot fail that way is an invalid argument.
func TestInjectFaultRefusesWhatItCannot(t *testing.T) {
	s, _ := started(t, sim.Config{})
	for _, c := range []struct {
		method string
		mode   sim.FaultMode
	}{
		{"Start", sim.FaultError},
		{"ReadPins", sim.FaultUnapplied},
		{"MaskInterrupts", sim.FaultPhantom},
		{"QueryActiveInterrupts", sim.FaultMode(99)},
	} {
		if err := s.InjectFault(c.method, c.mode); !errors.Is(err, clx.ErrInvalidArgument) {
			t.Errorf("%s as %s: %v", c.method, c.mode, err)
		}
	}
}

// pads is the level of the first bank's pads, pin 0 in bit 0.
func pads(s *sim.Controller) uint64 {
	var v uint64
	for i := 0; i < 8; i++ {
		if l, _, _ := s.Pad(i); l == clx.High {
			v |= 1 << i
		}
	}
	return v
}

package sim_test

import (
	"errors"
	"testing"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// A level asserted while suspended raises nothing; Resume finds it
// asserted and raises.
func TestResumeLatchesALevelAssertedWhileSuspended(t *testing.T) {
	s, irq := started(t, sim.Config{Pins: 16, PinsPerBank: 8})
	must(t, s.EnableInterrupt(ctx, &clx.InterruptRequest{Bank: 1, Pin: 3, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh}))
	must(t, s.Suspend(ctx))
	before := irq.count(1)
	must(t, s.DrivePad(11, clx.High))
	if irq.count(1) != before {
		t.Fatalf("while suspended: %d raises", irq.count(1)-before)
	}
	must(t, s.Resume(ctx))
	if active, _ := s.QueryActiveInterrupts(ctx, 1, 1<<3); active != 1<<3 || irq.count(1) == before {
		t.Fatalf("after resume: active %08b, %d raises", active, irq.count(1)-before)
	}
}

// Disconnecting with Preserve leaves an output driving its level; without
// it the pin lets go.
func TestDisconnectPreservesOutputsWhenAsked(t *testing.T) {
	s, _ := started(t, sim.Config{Pins: 16, PinsPerBank: 8})
	for _, preserve := range []bool{true, false} {
		must(t, s.ConnectIOPins(ctx, &clx.IORequest{Bank: 1, Pins: []int{2}, Direction: clx.Output, Initial: 1}))
		must(t, s.DisconnectIOPins(ctx, &clx.IORequest{Bank: 1, Pins: []int{2}, Preserve: preserve}))
		l, output, err := s.Pad(10)
		must(t, err)
		if output != preserve || (preserve && l != clx.High) {
			t.Errorf("preserve %v: pad level %v, driven by the output %v", preserve, l, output)
		}
	}
}

// A bank powered off and restored samples its inputs afresh and latches
// a level asserted while it was off.
func TestRestoredBankSamplesItsPads(t *testing.T) {
	s, irq := started(t, sim.Config{Pins: 16, PinsPerBank: 8})
	must(t, s.ConnectIOPins(ctx, &clx.IORequest{Bank: 1, Pins: []int{1}, Direction: clx.Input}))
	must(t, s.EnableInterrupt(ctx, &clx.InterruptRequest{Bank: 1, Pin: 3, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh}))
	must(t, s.SaveBankContext(ctx, 1))
	must(t, s.DrivePad(9, clx.High))
	must(t, s.DrivePad(11, clx.High))
	before := irq.count(1)
	must(t, s.RestoreBankContext(ctx, 1))
	if v, err := s.ReadPins(ctx, 1, []int{1}); err != nil || v != 1 {
		t.Errorf("an input after restore reads %d, %v; its pad is high", v, err)
	}
	if active, _ := s.QueryActiveInterrupts(ctx, 1, 1<<3); active != 1<<3 || irq.count(1) == before {
		t.Errorf("a level asserted while off: active %08b after restore, %d raises", active, irq.count(1)-before)
	}
}

// Reconfiguring: a level pin's stale status goes (the level decides
// afresh), both edges are refused where the sim emulates a controller
// without them, and a removed controller answers ErrRemoved — as it does
// to a disconnect.
func TestReconfigureAndDisconnectRefusals(t *testing.T) {
	s, _ := started(t, sim.Config{Pins: 8})
	must(t, s.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 3, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh}))
	must(t, s.DrivePad(3, clx.High))
	must(t, s.ReconfigureInterrupt(ctx, &clx.InterruptRequest{Pin: 3, Mode: clx.LevelSensitive, Polarity: clx.ActiveLow}))
	if active, _ := s.QueryActiveInterrupts(ctx, 0, 1<<3); active != 0 {
		t.Errorf("a level reconfigured to the other polarity kept its status: %08b", active)
	}
	e, _ := started(t, sim.Config{Pins: 8, EmulateBothEdges: true})
	if err := e.ReconfigureInterrupt(ctx, &clx.InterruptRequest{Pin: 3, Polarity: clx.ActiveBoth}); err == nil {
		t.Error("both edges reconfigured on a controller without them")
	}
	s.Remove()
	if err := s.ReconfigureInterrupt(ctx, &clx.InterruptRequest{Pin: 3}); !errors.Is(err, sim.ErrRemoved) {
		t.Errorf("reconfigure on a removed controller: %v", err)
	}
	if err := s.DisconnectIOPins(ctx, &clx.IORequest{Pins: []int{3}}); !errors.Is(err, sim.ErrRemoved) {
		t.Errorf("disconnect on a removed controller: %v", err)
	}
}

// Reconfiguring an edge pin leaves its status register alone: an edge
// latched before is still latched after, whatever the new polarity.
func TestReconfigureKeepsALatchedEdge(t *testing.T) {
	s, _ := started(t, sim.Config{Pins: 8})
	must(t, s.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 2, Mode: clx.Edge, Polarity: clx.ActiveHigh}))
	if _, err := s.MaskInterrupts(ctx, 0, 1<<2); err != nil {
		t.Fatal(err)
	}
	must(t, s.DrivePad(2, clx.High))
	must(t, s.ReconfigureInterrupt(ctx, &clx.InterruptRequest{Pin: 2, Mode: clx.Edge, Polarity: clx.ActiveLow}))
	if err := s.UnmaskInterrupt(ctx, &clx.InterruptRequest{Pin: 2, Mode: clx.Edge, Polarity: clx.ActiveLow}); err != nil {
		t.Fatal(err)
	}
	if active, _ := s.QueryActiveInterrupts(ctx, 0, 1<<2); active != 1<<2 {
		t.Errorf("the rising edge latched before reconfiguring to falling: active %08b", active)
	}
}

// Bank 0 powers off and on like any other.
func TestBankZeroPowersOffAndOn(t *testing.T) {
	s, _ := started(t, sim.Config{Pins: 16, PinsPerBank: 8})
	must(t, s.ConnectIOPins(ctx, &clx.IORequest{Bank: 0, Pins: []int{4}, Direction: clx.Output, Initial: 1}))
	must(t, s.SaveBankContext(ctx, 0))
	if _, output, _ := s.Pad(4); output {
		t.Error("an output of bank 0 still drives while the bank is off")
	}
	must(t, s.RestoreBankContext(ctx, 0))
	if l, output, _ := s.Pad(4); !output || l != clx.High {
		t.Errorf("bank 0's output after power-on: driving %v, level %v", output, l)
	}
}

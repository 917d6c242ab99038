package sim_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// The configuration's edges are accepted: one pin, one pin per bank, 64
// per bank; the bank count follows.
func TestConfigEdges(t *testing.T) {
	for _, c := range []struct {
		cfg   sim.Config
		banks int
	}{
		{sim.Config{Pins: 1}, 1},
		{sim.Config{Pins: 4, PinsPerBank: 1}, 4},
		{sim.Config{Pins: 64, PinsPerBank: 64}, 1},
		{sim.Config{Pins: 64, PinsPerBank: 32}, 2},
		{sim.Config{Pins: 40, PinsPerBank: 6}, 7},
	} {
		s, err := sim.New(c.cfg)
		if err != nil {
			t.Fatalf("%+v: %v", c.cfg, err)
		}
		must(t, s.Prepare(ctx))
		if _, err := s.ReadPinsMask(ctx, c.banks-1); err != nil {
			t.Errorf("%+v: the last bank: %v", c.cfg, err)
		}
		if _, err := s.ReadPinsMask(ctx, c.banks); !errors.Is(err, clx.ErrInvalidArgument) {
			t.Errorf("%+v: bank %d past the last: %v", c.cfg, c.banks, err)
		}
	}
}

// Registers read back what the pads and outputs say, per bank.
func TestMaskReadAndEvents(t *testing.T) {
	c, irq := started(t, sim.Config{Pins: 16, PinsPerBank: 8})
	pads := recordPads(c)
	must(t, c.DrivePad(3, clx.High))
	if v, err := c.ReadPinsMask(ctx, 0); err != nil || v != 1<<3 {
		t.Fatalf("bank 0 reads %#x, %v; want pin 3 high", v, err)
	}
	// Six outputs of bank 1 change in one write: six events, pins named
	// controller-relative, in order.
	must(t, c.ConnectIOPins(ctx, &clx.IORequest{Bank: 1, Pins: []int{0, 1, 2, 3, 4, 5}, Direction: clx.Output}))
	pads.take()
	must(t, c.WritePinsMask(ctx, 1, 0b111111, 0))
	if got := fmt.Sprint(pins(pads.take())); got != "[8 9 10 11 12 13]" {
		t.Fatalf("events for pins %s, want 8..13", got)
	}
	// An edge on bank 1 raises bank 1 alone, once.
	must(t, c.EnableInterrupt(ctx, &clx.InterruptRequest{Bank: 1, Pin: 7, Polarity: clx.ActiveHigh}))
	must(t, c.DrivePad(15, clx.High))
	if irq.count(1) != 1 || irq.count(0) != 0 {
		t.Fatalf("raises: bank 0 %d, bank 1 %d; want 0 and 1", irq.count(0), irq.count(1))
	}
}

func pins(es []sim.PadEvent) []int {
	var p []int
	for _, e := range es {
		p = append(p, e.Pin)
	}
	return p
}

// Event timestamps: an edge carries the time its pad changed (as given to
// SetPadAt), and a level keeps the time it became asserted while it stays
// asserted; pins 0 and the bank's last are described, pins outside the
// bank are refused.
func TestEventTimes(t *testing.T) {
	c, _ := started(t, sim.Config{})
	must(t, c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 0, Polarity: clx.ActiveHigh}))
	must(t, c.SetPadAt(0, true, clx.High, 5*time.Millisecond))
	if ev, err := c.InterruptEvent(ctx, 0, 0); err != nil || ev.Time != 5*time.Millisecond || ev.Level != clx.High {
		t.Fatalf("edge event %+v, %v; want at 5ms, high", ev, err)
	}
	must(t, c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 31, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh}))
	must(t, c.SetPadAt(31, true, clx.High, 7*time.Millisecond))
	must(t, c.SetPadAt(31, true, clx.High, 9*time.Millisecond)) // still asserted
	if ev, err := c.InterruptEvent(ctx, 0, 31); err != nil || ev.Time != 7*time.Millisecond {
		t.Fatalf("level event %+v, %v; want asserted at 7ms", ev, err)
	}
	for _, pin := range []int{-1, 32} {
		if _, err := c.InterruptEvent(ctx, 0, pin); !errors.Is(err, clx.ErrInvalidArgument) {
			t.Errorf("event of pin %d of a 32-pin bank: %v", pin, err)
		}
	}
}

// Edges that find their pin's status still latched are counted as
// merged: three edges on an active-both pin without a clear, two merged.
func TestMergedEdges(t *testing.T) {
	c, _ := started(t, sim.Config{})
	must(t, c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 2, Polarity: clx.ActiveBoth}))
	for _, l := range []clx.Level{clx.High, clx.Low, clx.High} {
		must(t, c.DrivePad(2, l))
	}
	if n := c.MergedEdges(); n != 2 {
		t.Fatalf("merged %d, want 2", n)
	}
}

// A controller without hardware debounce still accepts interrupts that
// ask for none.
func TestNoDebounceAsked(t *testing.T) {
	c, _ := started(t, sim.Config{EmulateDebounce: true})
	must(t, c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 1, Debounce: 0}))
}

// Hardware debounce restarts on every change: a timer armed by a change
// that bounced back is dead, even when the line changes again before it
// would have fired.
func TestDebounceTimerOfABounceIsDead(t *testing.T) {
	var timers manualTimers
	c, irq := started(t, sim.Config{AfterFunc: timers.after})
	must(t, c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 5, Polarity: clx.ActiveHigh, Debounce: time.Millisecond}))
	must(t, c.DrivePad(5, clx.High)) // timer A
	must(t, c.DrivePad(5, clx.Low))  // bounced back: A is dead
	must(t, c.DrivePad(5, clx.High)) // timer B
	staleThenCurrent(t, &timers, irq, "the bounced change")
}

// Remove: every call fails with ErrRemoved (a clx.ErrControllerGone), the
// outputs let go of their pads, every bank is raised once; Reinsert brings
// it back at reset, to be prepared and started again.
func TestRemoveAndReinsert(t *testing.T) {
	c, irq := started(t, sim.Config{Pins: 16, PinsPerBank: 8})
	must(t, c.ConnectIOPins(ctx, &clx.IORequest{Bank: 1, Pins: []int{1}, Direction: clx.Output, Initial: 1}))
	if l, out, _ := c.Pad(9); l != clx.High || !out {
		t.Fatal("the output does not drive its pad")
	}
	pads := recordPads(c)
	c.Remove()
	if l, out, _ := c.Pad(9); l != clx.Low || out {
		t.Fatal("a removed controller still drives its pad")
	}
	if events := pads.take(); len(events) != 1 || events[0].Pin != 9 || events[0].Output {
		t.Errorf("pad events at removal %+v, want pin 9 let go", events)
	}
	if irq.count(clx.AllBanks) != 1 {
		t.Fatalf("removal raised %d times, want once on every bank", irq.count(clx.AllBanks))
	}
	if !c.Removed() {
		t.Fatal("Removed is false after Remove")
	}
	calls := map[string]error{
		"read":    func() error { _, err := c.ReadPinsMask(ctx, 0); return err }(),
		"write":   c.WritePinsMask(ctx, 1, 1, 0),
		"enable":  c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 1}),
		"query":   func() error { _, err := c.QueryActiveInterrupts(ctx, 0, 1); return err }(),
		"event":   func() error { _, err := c.InterruptEvent(ctx, 0, 1); return err }(),
		"stop":    c.Stop(ctx),
		"prepare": c.Prepare(ctx),
		"start":   c.Start(ctx, irq),
		"suspend": c.Suspend(ctx),
		"resume":  c.Resume(ctx),
		"save":    c.SaveBankContext(ctx, 0),
		"restore": c.RestoreBankContext(ctx, 0),
		"specific": func() error {
			_, err := c.ControllerSpecificFunction(ctx, []byte("identify"))
			return err
		}(),
	}
	for name, err := range calls {
		if !errors.Is(err, sim.ErrRemoved) || !errors.Is(err, clx.ErrControllerGone) {
			t.Errorf("%s on a removed controller: %v", name, err)
		}
	}
	c.Remove() // again: nothing
	if irq.count(clx.AllBanks) != 1 {
		t.Fatal("a second Remove raised again")
	}
	must(t, c.DrivePad(9, clx.High)) // the pads are still there
	c.Reinsert()
	if c.Removed() {
		t.Fatal("Removed is true after Reinsert")
	}
	if err := c.Start(ctx, irq); err == nil {
		t.Fatal("a reinserted controller started without Prepare")
	}
	must(t, c.Prepare(ctx))
	must(t, c.Start(ctx, irq))
	if v, err := c.ReadPinsMask(ctx, 1); err != nil || v != 1<<1 {
		t.Fatalf("after reinsertion bank 1 reads %#x, %v; want the driven pad 9 as input", v, err)
	}
	// A bank of 64 pins is let go and sampled to its last pin.
	w, _ := started(t, sim.Config{Pins: 64, PinsPerBank: 64})
	must(t, w.ConnectIOPins(ctx, &clx.IORequest{Pins: []int{63}, Direction: clx.Output, Initial: 1}))
	w.Remove()
	if l, out, _ := w.Pad(63); l != clx.Low || out {
		t.Fatal("pin 63 still driven after the removal")
	}
	must(t, w.DrivePad(63, clx.High))
	w.Reinsert()
	must(t, w.Prepare(ctx))
	if v, err := w.ReadPinsMask(ctx, 0); err != nil || v != 1<<63 {
		t.Fatalf("after reinsertion pin 63 reads %#x, %v", v, err)
	}
}

// Enabling a pin again restarts its debounce: a timer armed before the
// enable is dead, even after later changes arm new ones.
func TestEnableRestartsDebounce(t *testing.T) {
	var timers manualTimers
	c, irq := started(t, sim.Config{AfterFunc: timers.after})
	q := &clx.InterruptRequest{Pin: 5, Polarity: clx.ActiveLow, Debounce: time.Millisecond}
	must(t, c.EnableInterrupt(ctx, q))
	must(t, c.DrivePad(5, clx.High))   // timer A
	must(t, c.EnableInterrupt(ctx, q)) // samples high afresh: A is dead
	must(t, c.DrivePad(5, clx.Low))    // timer B
	staleThenCurrent(t, &timers, irq, "the change before the enable")
}

// staleThenCurrent fires the two debounce timers armed, the one a later
// change made stale first: it must accept nothing (bank 0 raises no
// interrupt), the current one its level once.
func staleThenCurrent(t *testing.T, timers *manualTimers, irq *raiseCounter, stale string) {
	t.Helper()
	armed := timers.take()
	if len(armed) != 2 {
		t.Fatalf("%d debounce timers armed, want 2", len(armed))
	}
	armed[0]()
	if n := irq.count(0); n != 0 {
		t.Fatalf("the timer of %s accepted its level (%d interrupts)", stale, n)
	}
	armed[1]()
	if n := irq.count(0); n != 1 {
		t.Fatalf("the current change was accepted %d times, want 1", n)
	}
}

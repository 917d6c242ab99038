package sim_test

import (
	"context"
	"errors"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

var ctx = context.Background()

// raiseCounter records primary interrupts per bank.
type raiseCounter struct {
	mu sync.Mutex
	n  map[int]int
}

func (r *raiseCounter) Raise(bank int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[int]int{}
	}
	r.n[bank]++
}

func (r *raiseCounter) count(bank int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[bank]
}

// manualTimers stands in for hardware debounce timers: each armed one
// waits until the test takes it and calls it.
type manualTimers struct {
	mu    sync.Mutex
	armed []func()
}

func (m *manualTimers) after(d time.Duration, f func()) clx.Timer {
	m.mu.Lock()
	m.armed = append(m.armed, f)
	m.mu.Unlock()
	return time.NewTimer(time.Hour)
}

// take returns the timers armed so far, in order, and forgets them.
func (m *manualTimers) take() []func() {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.armed
	m.armed = nil
	return ts
}

// padEvents records a controller's pad events.
type padEvents struct {
	mu     sync.Mutex
	events []sim.PadEvent
}

func recordPads(c *sim.Controller) *padEvents {
	p := &padEvents{}
	c.OnPadChange(func(e sim.PadEvent) {
		p.mu.Lock()
		p.events = append(p.events, e)
		p.mu.Unlock()
	})
	return p
}

// take returns the events so far and forgets them.
func (p *padEvents) take() []sim.PadEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	es := p.events
	p.events = nil
	return es
}

func started(t *testing.T, cfg sim.Config) (*sim.Controller, *raiseCounter) {
	t.Helper()
	c, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	irq := &raiseCounter{}
	if err := c.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx, irq); err != nil {
		t.Fatal(err)
	}
	return c, irq
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []sim.Config{{Pins: -1}, {Pins: 8, PinsPerBank: 65}, {BusDelay: -1}} {
		if _, err := sim.New(cfg); !errors.Is(err, clx.ErrInvalidArgument) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	c, _ := sim.New(sim.Config{BusDelay: time.Microsecond, EmulateBothEdges: true, MaskIO: true})
	f := c.Info().Flags
	if f&clx.MemoryMapped != 0 || f&clx.EmulateActiveBoth == 0 || f&clx.IOAsMasks == 0 {
		t.Fatalf("flags %v", f)
	}
	if err := c.DrivePad(32, clx.High); !errors.Is(err, sim.ErrPin) {
		t.Fatalf("drive pad 32 of 32: %v", err)
	}
}

// Pads: a driven pad wins; an undriven input takes its pull and floats
// low without one; an output drives its latch and reports changes with a
// timestamp on the controller's clock.
func TestPads(t *testing.T) {
	c, _ := started(t, sim.Config{})
	var events []sim.PadEvent
	c.OnPadChange(func(e sim.PadEvent) { events = append(events, e) })
	must(t, c.ConnectIOPins(ctx, &clx.IORequest{Pins: []int{1}, Pull: clx.PullUp}))
	if v, _ := c.ReadPins(ctx, 0, []int{1}); v != 1 {
		t.Fatal("pulled-up floating input reads low")
	}
	must(t, c.DrivePad(1, clx.Low))
	if v, _ := c.ReadPins(ctx, 0, []int{1}); v != 0 {
		t.Fatal("driven low reads high")
	}
	must(t, c.ReleasePad(1))
	if v, _ := c.ReadPins(ctx, 0, []int{1}); v != 1 {
		t.Fatal("released pad does not return to its pull")
	}
	before := c.Now()
	must(t, c.ConnectIOPins(ctx, &clx.IORequest{Pins: []int{2}, Direction: clx.Output, Initial: 1}))
	must(t, c.WritePins(ctx, 0, []int{2}, 0))
	must(t, c.WritePins(ctx, 0, []int{2}, 0)) // no change, no event
	if len(events) != 3 || events[0].Pull != clx.PullUp || events[0].Output || events[0].Pin != 1 {
		t.Fatalf("pad events %+v, want the pull-up first", events)
	}
	events = events[1:]
	if len(events) != 2 || !events[0].Output || events[0].Level != clx.High || events[1].Level != clx.Low || events[0].Pin != 2 {
		t.Fatalf("pad events %+v", events)
	}
	if events[0].Time < before || events[1].Time < events[0].Time || events[1].Time > c.Now() {
		t.Fatalf("event times %v %v not within [%v, now]", events[0].Time, events[1].Time, before)
	}
	if l, out, _ := c.Pad(2); l != clx.Low || !out {
		t.Fatalf("pad 2: %v output=%v", l, out)
	}
}

// An open-drain output drives its low level only, an open-source one its
// high only: at the other level the pad takes what the wire brings (a
// drive from outside, else the pin's pull), and a harness sees it as not
// driven.
func TestOpenDrainOpenSource(t *testing.T) {
	for _, tc := range []struct {
		drive  clx.Drive
		active clx.Level // the level the output stage drives
	}{{clx.DriveOpenDrain, clx.Low}, {clx.DriveOpenSource, clx.High}} {
		t.Run(tc.drive.String(), func(t *testing.T) {
			c, _ := started(t, sim.Config{})
			var events []sim.PadEvent
			c.OnPadChange(func(e sim.PadEvent) { events = append(events, e) })
			idle := 1 - tc.active
			must(t, c.ConnectIOPins(ctx, &clx.IORequest{Pins: []int{3}, Direction: clx.Output, Drive: tc.drive, Initial: uint64(idle)}))
			for _, outside := range []clx.Level{clx.Low, clx.High} {
				must(t, c.DrivePad(3, outside))
				if l, out, _ := c.Pad(3); l != outside || out {
					t.Fatalf("latched %v, driven %v from outside: pad %v, driving=%v; want %v, not driving", idle, outside, l, out, outside)
				}
			}
			must(t, c.ReleasePad(3))
			if l, _, _ := c.Pad(3); l != clx.Low {
				t.Fatalf("latched %v, nothing on the wire, no pull: pad %v, want low (floating)", idle, l)
			}
			must(t, c.DrivePad(3, idle))
			events = nil
			must(t, c.WritePins(ctx, 0, []int{3}, uint64(tc.active)))
			if l, out, _ := c.Pad(3); l != tc.active || !out {
				t.Fatalf("latched %v against a wire driven %v: pad %v, driving=%v; want the output to win", tc.active, idle, l, out)
			}
			if len(events) != 1 || !events[0].Output || events[0].Level != tc.active {
				t.Fatalf("pad events %+v, want one: driving %v", events, tc.active)
			}
			must(t, c.WritePins(ctx, 0, []int{3}, uint64(idle)))
			if len(events) != 2 || events[1].Output {
				t.Fatalf("pad events %+v, want the output to let go", events)
			}
			// Push-pull again: both levels driven.
			must(t, c.ConnectIOPins(ctx, &clx.IORequest{Pins: []int{3}, Direction: clx.Output, Drive: clx.DrivePushPull, Initial: uint64(idle)}))
			if l, out, _ := c.Pad(3); l != idle || !out {
				t.Fatalf("push-pull at %v: pad %v, driving=%v", idle, l, out)
			}
		})
	}
}

// Status latches on qualifying edges only while enabled; mask stops the
// primary interrupt but keeps status; level status follows the level.
func TestInterruptRegisters(t *testing.T) {
	c, irq := started(t, sim.Config{})
	must(t, c.DrivePad(3, clx.High)) // not enabled: nothing latches
	must(t, c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 3, Polarity: clx.ActiveLow}))
	if a, _ := c.QueryActiveInterrupts(ctx, 0, ^uint64(0)); a != 0 {
		t.Fatalf("enable left stale status %b", a)
	}
	must(t, c.DrivePad(3, clx.Low))
	if irq.count(0) != 1 {
		t.Fatalf("falling edge raised %d", irq.count(0))
	}
	_, _ = c.ClearActiveInterrupts(ctx, 0, 1<<3)
	must(t, c.DrivePad(3, clx.High)) // rising: not qualifying
	if irq.count(0) != 1 {
		t.Fatalf("rising edge raised on an active-low pin")
	}
	_, _ = c.MaskInterrupts(ctx, 0, 1<<3)
	_, _ = c.ClearActiveInterrupts(ctx, 0, 1<<3)
	must(t, c.DrivePad(3, clx.Low))
	if irq.count(0) != 1 {
		t.Fatal("masked pin raised")
	}
	must(t, c.UnmaskInterrupt(ctx, &clx.InterruptRequest{Pin: 3, Polarity: clx.ActiveLow}))
	if irq.count(0) != 2 {
		t.Fatal("unmask with retained status did not raise")
	}
	ev, err := c.InterruptEvent(ctx, 0, 3)
	if err != nil || !ev.HasTime || !ev.HasLevel || ev.Level != clx.Low {
		t.Fatalf("event %+v, %v", ev, err)
	}
	if _, err := c.InterruptEvent(ctx, 5, 0); !errors.Is(err, clx.ErrInvalidArgument) {
		t.Fatalf("event of a bank that is not there: %v", err)
	}
	// Level: status follows the level and cannot be cleared while asserted.
	must(t, c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 4, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh}))
	must(t, c.DrivePad(4, clx.High))
	_, _ = c.ClearActiveInterrupts(ctx, 0, 1<<4)
	if a, _ := c.QueryActiveInterrupts(ctx, 0, ^uint64(0)); a&(1<<4) == 0 {
		t.Fatal("asserted level cleared")
	}
	must(t, c.DrivePad(4, clx.Low))
	if a, _ := c.QueryActiveInterrupts(ctx, 0, ^uint64(0)); a&(1<<4) != 0 {
		t.Fatal("deasserted level still active")
	}
	if en, _ := c.QueryEnabledInterrupts(ctx, 0); en != 1<<3|1<<4 {
		t.Fatalf("enabled %b", en)
	}
}

func TestAutoClearOnRead(t *testing.T) {
	c, _ := started(t, sim.Config{AutoClearOnRead: true})
	must(t, c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 0}))
	must(t, c.DrivePad(0, clx.High))
	if a, _ := c.QueryActiveInterrupts(ctx, 0, 1); a != 1 {
		t.Fatal("edge not active")
	}
	if a, _ := c.QueryActiveInterrupts(ctx, 0, 1); a != 0 {
		t.Fatal("query did not clear")
	}
}

// Hardware debounce: an input change is accepted only after it holds for
// the debounce time; a shorter pulse is filtered.
func TestHardwareDebounce(t *testing.T) {
	var timers manualTimers
	fire := func() {
		for _, f := range timers.take() {
			f()
		}
	}
	c, irq := started(t, sim.Config{AfterFunc: timers.after})
	must(t, c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 5, Debounce: time.Millisecond}))
	must(t, c.DrivePad(5, clx.High))
	must(t, c.DrivePad(5, clx.Low)) // back before the timer: filtered
	fire()
	if irq.count(0) != 0 {
		t.Fatal("glitch accepted")
	}
	must(t, c.DrivePad(5, clx.High))
	if irq.count(0) != 0 {
		t.Fatal("accepted before the debounce time")
	}
	fire()
	if irq.count(0) != 1 {
		t.Fatalf("held level accepted %d times", irq.count(0))
	}
	if c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 6, Debounce: 1}) != nil {
		t.Fatal("native debounce refused")
	}
	e, _ := sim.New(sim.Config{EmulateDebounce: true, EmulateBothEdges: true})
	if e.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 6, Debounce: 1}) == nil {
		t.Fatal("debounce accepted by a controller without it")
	}
	if e.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 6, Polarity: clx.ActiveBoth}) == nil {
		t.Fatal("both edges accepted by a controller without them")
	}
}

func TestBusDelay(t *testing.T) {
	c, _ := started(t, sim.Config{BusDelay: 2 * time.Millisecond})
	start := time.Now()
	_, _ = c.ReadPinsMask(ctx, 0)
	if d := time.Since(start); d < 2*time.Millisecond {
		t.Fatalf("bus access took %v", d)
	}
}

// The register model against a trivial reference: random edge-mode
// operations on one pin; the active bit must match the reference.
func FuzzEdgeStatus(f *testing.F) {
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 20; i++ {
		b := make([]byte, 64)
		rng.Read(b)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, ops []byte) {
		c, _ := started(t, sim.Config{Pins: 4})
		var enabled, masked, status bool
		var pol clx.Polarity
		var level clx.Level
		for _, op := range ops {
			switch op % 6 {
			case 0, 1: // drive
				l := clx.Level(op / 6 & 1)
				if enabled && l != level && (pol == clx.ActiveBoth || pol.Asserted() == l) {
					status = true
				}
				level = l
				must(t, c.DrivePad(0, l))
			case 2: // enable
				pol = clx.Polarity(op / 6 % 3)
				must(t, c.EnableInterrupt(ctx, &clx.InterruptRequest{Pin: 0, Polarity: pol}))
				enabled, masked, status = true, false, false
			case 3:
				must(t, c.DisableInterrupt(ctx, &clx.InterruptRequest{Pin: 0}))
				enabled, masked, status = false, false, false
			case 4:
				if op&8 != 0 {
					_, _ = c.MaskInterrupts(ctx, 0, 1)
					masked = enabled
				} else {
					must(t, c.UnmaskInterrupt(ctx, &clx.InterruptRequest{Pin: 0, Polarity: pol}))
					masked = false
				}
			case 5:
				_, _ = c.ClearActiveInterrupts(ctx, 0, 1)
				status = false
			}
			a, err := c.QueryActiveInterrupts(ctx, 0, 1)
			must(t, err)
			if want := enabled && !masked && status; (a&1 != 0) != want {
				t.Fatalf("op %d: active=%v, reference %v", op, a&1 != 0, want)
			}
		}
	})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

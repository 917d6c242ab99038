package harness

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/firmware"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// Wire connects an MCU pin to a target pad.
type Wire struct {
	Name      string
	MCUPin    int
	TargetPin int
	// Delay is the propagation delay, in both directions. Zero carries a
	// change synchronously, in the goroutine that made it.
	Delay time.Duration
}

// Errors.
var (
	ErrUnknownWire = errors.New("harness: unknown wire")
	ErrBadWiring   = errors.New("harness: bad wiring")
)

// Harness wires one MCU to one simulated target.
type Harness struct {
	mcu     MCU
	stamped StampedMCU // mcu, when it stamps its changes with this process's clock
	target  Pads

	mu       sync.Mutex // protects the wiring and the conductors built from it
	wires    map[string]*wire
	byMCU    map[int]*wire // by MCU pin: the wire whose MCU end it is
	byTarget map[int]*wire
	// The physical paths, rebuilt when the wiring or a fault changes:
	// by MCU pin and by target pin, for a lookup per pin change.
	fromMCU    map[int]conductor
	fromTarget map[int]conductor
	closed     atomic.Bool
}

type wire struct {
	Wire
	fault    fixtures.Fault
	toTarget *line
	toMCU    *line
}

// Pads are the target end of the wires: a simulated controller's or
// chip's pads (sim.Controller, the MCP23017 model).
type Pads interface {
	// Pad returns the level on a pad and whether the target drives it.
	Pad(pin int) (clx.Level, bool, error)
	// PadPull returns what pulls an input pad: PullUp, PullDown or
	// PullNone.
	PadPull(pin int) (clx.Pull, error)
	// SetPadAt drives a pad from outside to l (driven) or stops driving
	// it, as of at on the target's clock.
	SetPadAt(pin int, driven bool, l clx.Level, at time.Duration) error
	// Epoch is the host time at which the target's clock read zero.
	Epoch() time.Time
	// OnPadChange registers fn to receive every change of what the
	// target puts on a pad.
	OnPadChange(fn func(sim.PadEvent))
}

// New returns a harness between m and target. Wires are added by Connect.
func New(m MCU, target Pads) *Harness {
	h := &Harness{mcu: m, target: target, wires: map[string]*wire{}, byMCU: map[int]*wire{}, byTarget: map[int]*wire{},
		fromMCU: map[int]conductor{}, fromTarget: map[int]conductor{}}
	h.stamped, _ = m.(StampedMCU)
	m.OnDrive(h.mcuChanged)
	target.OnPadChange(h.targetChanged)
	return h
}

// Connect adds a wire and carries each side's current state across it.
func (h *Harness) Connect(w Wire) error {
	if w.Name == "" || w.Delay < 0 {
		return fmt.Errorf("%w: wire %+v needs a name and a non-negative delay", ErrBadWiring, w)
	}
	if _, _, err := h.target.Pad(w.TargetPin); err != nil {
		return fmt.Errorf("%w: wire %s: %v", ErrBadWiring, w.Name, err)
	}
	if w.MCUPin < 0 || w.MCUPin >= h.mcuPins() {
		return fmt.Errorf("%w: wire %s: MCU pin %d outside 0..%d", ErrBadWiring, w.Name, w.MCUPin, h.mcuPins()-1)
	}
	h.mu.Lock()
	switch {
	case h.wires[w.Name] != nil:
		h.mu.Unlock()
		return fmt.Errorf("%w: wire %s connected twice", ErrBadWiring, w.Name)
	case h.byMCU[w.MCUPin] != nil:
		h.mu.Unlock()
		return fmt.Errorf("%w: MCU pin %d already on wire %s", ErrBadWiring, w.MCUPin, h.byMCU[w.MCUPin].Name)
	case h.byTarget[w.TargetPin] != nil:
		h.mu.Unlock()
		return fmt.Errorf("%w: target pin %d already on wire %s", ErrBadWiring, w.TargetPin, h.byTarget[w.TargetPin].Name)
	}
	x := &wire{Wire: w, toTarget: newLine(w.Delay, h.applyToTarget), toMCU: newLine(w.Delay, h.applyToMCU)}
	h.wires[w.Name], h.byMCU[w.MCUPin], h.byTarget[w.TargetPin] = x, x, x
	h.rebuildLocked()
	h.mu.Unlock()
	h.refresh()
	return nil
}

func (h *Harness) mcuPins() int { return h.mcu.Pins() }

// Inject puts a fault on a wire (Kind Healthy heals it). A swap affects
// both wires; healing either heals the swap.
func (h *Harness) Inject(f fixtures.Fault) error {
	h.mu.Lock()
	defer h.refresh()
	defer h.mu.Unlock()
	w := h.wires[f.Wire]
	if w == nil {
		return fmt.Errorf("%w: %q", ErrUnknownWire, f.Wire)
	}
	if f.Kind == fixtures.Swapped {
		if o := h.wires[f.With]; o == nil || o == w {
			return fmt.Errorf("%w: swap %s with %q", ErrUnknownWire, f.Wire, f.With)
		}
	} else if f.Kind > fixtures.Swapped {
		return fmt.Errorf("%w: unknown fault %v", ErrBadWiring, f.Kind)
	}
	h.healLocked(w)
	if f.Kind == fixtures.Swapped {
		o := h.wires[f.With]
		h.healLocked(o)
		o.fault = fixtures.Fault{Wire: o.Name, Kind: fixtures.Swapped, With: w.Name}
	}
	w.fault = f
	h.rebuildLocked()
	return nil
}

// healLocked removes w's fault, and the other half of its swap.
func (h *Harness) healLocked(w *wire) {
	if w.fault.Kind == fixtures.Swapped {
		if o := h.wires[w.fault.With]; o != nil {
			o.fault = fixtures.Fault{}
		}
	}
	w.fault = fixtures.Fault{}
}

// Faults returns the faults in place, by wire name.
func (h *Harness) Faults() map[string]fixtures.Fault {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := map[string]fixtures.Fault{}
	for n, w := range h.wires {
		if w.fault.Kind != fixtures.Healthy {
			m[n] = w.fault
		}
	}
	return m
}

// Close stops carrying changes and waits for delayed ones in flight.
func (h *Harness) Close() {
	if h.closed.Swap(true) {
		return
	}
	h.mu.Lock()
	ws := make([]*wire, 0, len(h.wires))
	for _, w := range h.wires {
		ws = append(ws, w)
	}
	h.mu.Unlock()
	for _, w := range ws {
		w.toTarget.close()
		w.toMCU.close()
	}
}

// conductor is one physical path: an MCU pin and the target pin it reaches
// (crossed by a swap), with the fault on it.
type conductor struct {
	mcuPin, targetPin int
	fault             fixtures.FaultKind
	toTarget, toMCU   *line
}

// rebuildLocked recomputes the physical paths from the wires and their
// faults. h.mu held.
func (h *Harness) rebuildLocked() {
	clear(h.fromMCU)
	clear(h.fromTarget)
	for _, w := range h.wires {
		c := conductor{mcuPin: w.MCUPin, targetPin: w.TargetPin, fault: w.fault.Kind, toTarget: w.toTarget, toMCU: w.toMCU}
		if w.fault.Kind == fixtures.Swapped {
			o := h.wires[w.fault.With]
			c.targetPin, c.fault, c.toMCU = o.TargetPin, fixtures.Healthy, o.toMCU
		}
		h.fromMCU[c.mcuPin] = c
		h.fromTarget[c.targetPin] = c
	}
}

// refresh carries both sides' current state across every conductor.
func (h *Harness) refresh() {
	h.mu.Lock()
	cs := make([]conductor, 0, len(h.fromMCU))
	for _, c := range h.fromMCU {
		cs = append(cs, c)
	}
	h.mu.Unlock()
	now := time.Now()
	for _, c := range cs {
		h.carryToTarget(c, now)
		h.carryToMCU(c, now)
	}
}

// mcuChanged carries an MCU pin's change, stamped with the time it
// happened when the MCU says (StampedMCU), or now.
func (h *Harness) mcuChanged(e firmware.PinOutput) {
	if c, ok := h.conductor(h.fromMCU, e.Pin); ok {
		at := time.Now()
		if h.stamped != nil {
			at = h.stamped.TickTime(e.Tick)
		}
		h.carryToTarget(c, at)
	}
}

// targetChanged carries a target pad's change, stamped with the time the
// controller made it.
func (h *Harness) targetChanged(e sim.PadEvent) {
	if c, ok := h.conductor(h.fromTarget, e.Pin); ok {
		h.carryToMCU(c, h.target.Epoch().Add(e.Time))
	}
}

// conductor looks up the conductor of a pin in one of the maps, while
// the harness is open.
func (h *Harness) conductor(by map[int]conductor, pin int) (conductor, bool) {
	if h.closed.Load() {
		return conductor{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	c, ok := by[pin]
	return c, ok
}

// carryToTarget puts what the MCU end carries on the target pad, as of
// at (when the MCU end changed).
func (h *Harness) carryToTarget(c conductor, at time.Time) {
	o := h.mcu.Output(c.mcuPin)
	driven, level := carried(c.fault, o.Driven, o.Level, o.Pull == proto.PullUp, o.Pull == proto.PullDown)
	c.toTarget.send(change{at: at, pin: c.targetPin, driven: driven, level: level})
}

// carryToMCU puts what the target end carries on the MCU pin, as of at
// (when the target end changed).
func (h *Harness) carryToMCU(c conductor, at time.Time) {
	l, out, _ := h.target.Pad(c.targetPin)
	pull, _ := h.target.PadPull(c.targetPin)
	driven, level := carried(c.fault, out, l == clx.High, pull == clx.PullUp, pull == clx.PullDown)
	c.toMCU.send(change{at: at, pin: c.mcuPin, driven: driven, level: level})
}

// applyToTarget puts a change that reached the target's end of a wire on
// its pad, timestamped with its arrival.
func (h *Harness) applyToTarget(c change) {
	_ = h.target.SetPadAt(c.pin, c.driven, clx.Level(boolBit(c.level)), c.at.Sub(h.target.Epoch()))
}

// applyToMCU puts a change that reached the MCU's end of a wire on its
// pin, timestamped with its arrival when the MCU keeps this process's
// clock.
func (h *Harness) applyToMCU(c change) {
	if h.stamped != nil {
		_ = h.stamped.SetInputAt(c.pin, c.driven, c.level, c.at)
		return
	}
	_ = h.mcu.SetInput(c.pin, c.driven, c.level)
}

// carried is what a conductor brings to its far end — a level, or
// nothing (floating) — given its fault and what its near end does:
// drive a level, or pull (a weak pull is seen as a level).
func carried(fault fixtures.FaultKind, driving, high, pullUp, pullDown bool) (driven, level bool) {
	switch {
	case fault == fixtures.Open:
		return false, false
	case fault == fixtures.StuckAt0:
		return true, false
	case fault == fixtures.StuckAt1:
		return true, true
	case driving:
		return true, high
	}
	return pullUp || pullDown, pullUp
}

func boolBit(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// change is what one end of a wire puts on it from time at: a level
// (driven) or nothing, bound for pin at the far end.
type change struct {
	at            time.Time
	pin           int
	driven, level bool
}

// line carries changes in order to one end of a wire, each at its time
// plus the delay: with no delay, in the goroutine that made it; with one,
// from a goroutine that waits until the change is due and applies it
// stamped with the time it became due (it may run later; the stamp does
// not).
type line struct {
	delay time.Duration
	apply func(change)
	ch    chan change
	done  chan struct{}
	once  sync.Once
}

func newLine(d time.Duration, apply func(change)) *line {
	l := &line{delay: d, apply: apply}
	if d > 0 {
		l.ch = make(chan change, 4096)
		l.done = make(chan struct{})
		go l.run()
	}
	return l
}

func (l *line) send(c change) {
	if l.delay == 0 {
		l.apply(c)
		return
	}
	c.at = c.at.Add(l.delay)
	select {
	case l.ch <- c:
	case <-l.done:
	}
}

// run applies changes when due: it sleeps to within 200µs of the due time
// and spins the rest, so a change is applied a few microseconds after its
// stamp, never before it (the far end must not see a change stamped in
// its future).
func (l *line) run() {
	for {
		select {
		case c := <-l.ch:
			if d := time.Until(c.at) - 200*time.Microsecond; d > 0 {
				select {
				case <-time.After(d):
				case <-l.done:
					return
				}
			}
			for time.Now().Before(c.at) {
			}
			l.apply(c)
		case <-l.done:
			return
		}
	}
}

func (l *line) close() {
	if l.done != nil {
		l.once.Do(func() { close(l.done) })
	}
}

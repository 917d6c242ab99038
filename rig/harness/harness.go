package harness

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
	"github.com/gpiohil/gpiohil/rig/proto"
	"github.com/gpiohil/gpiohil/rig/virtual"
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

// FaultKind is a wiring fault.
type FaultKind uint8

// Faults. The zero value is a healthy wire.
const (
	Healthy   FaultKind = iota
	Open                // the wire carries nothing: each side sees only itself
	StuckLow            // the wire is shorted to ground
	StuckHigh           // the wire is shorted to the supply
	Swapped             // the wire's ends are crossed with another wire's
)

var faultNames = [...]string{"healthy", "open", "stuck-at-0", "stuck-at-1", "swapped"}

// String names the fault.
func (k FaultKind) String() string {
	if int(k) < len(faultNames) {
		return faultNames[k]
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// ParseFault parses a fault name as String writes it.
func ParseFault(s string) (FaultKind, error) {
	for i, n := range faultNames {
		if n == s {
			return FaultKind(i), nil
		}
	}
	return 0, fmt.Errorf("harness: unknown fault %q (want one of open, stuck-at-0, stuck-at-1, swapped)", s)
}

// Fault is a fault on a wire; With names the other wire of a swap.
type Fault struct {
	Kind FaultKind
	With string
}

// Errors.
var (
	ErrUnknownWire = errors.New("harness: unknown wire")
	ErrBadWiring   = errors.New("harness: bad wiring")
)

// Harness wires one virtual MCU to one simulated controller.
type Harness struct {
	mcu    *virtual.MCU
	target *sim.Controller

	mu       sync.Mutex // protects the wiring
	wires    map[string]*wire
	byMCU    map[int]*wire // by MCU pin: the wire whose MCU end it is
	byTarget map[int]*wire
	closed   atomic.Bool

	contentions atomic.Uint64
}

type wire struct {
	Wire
	fault    Fault
	toTarget *line
	toMCU    *line
}

// New returns a harness between m and target. Wires are added by Connect.
func New(m *virtual.MCU, target *sim.Controller) *Harness {
	h := &Harness{mcu: m, target: target, wires: map[string]*wire{}, byMCU: map[int]*wire{}, byTarget: map[int]*wire{}}
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
	x := &wire{Wire: w, toTarget: newLine(w.Delay), toMCU: newLine(w.Delay)}
	h.wires[w.Name], h.byMCU[w.MCUPin], h.byTarget[w.TargetPin] = x, x, x
	h.mu.Unlock()
	h.refresh()
	return nil
}

func (h *Harness) mcuPins() int { return int(h.mcu.Core().Identify().Pins) }

// Inject puts a fault on a wire (Fault{} heals it). A swap affects both
// wires; healing either heals the swap.
func (h *Harness) Inject(name string, f Fault) error {
	h.mu.Lock()
	w := h.wires[name]
	if w == nil {
		h.mu.Unlock()
		return fmt.Errorf("%w: %q", ErrUnknownWire, name)
	}
	if old := w.fault; old.Kind == Swapped {
		if o := h.wires[old.With]; o != nil {
			o.fault = Fault{}
		}
	}
	switch f.Kind {
	case Swapped:
		o := h.wires[f.With]
		if o == nil || o == w {
			h.mu.Unlock()
			return fmt.Errorf("%w: swap %s with %q", ErrUnknownWire, name, f.With)
		}
		if o.fault.Kind == Swapped {
			if p := h.wires[o.fault.With]; p != nil {
				p.fault = Fault{}
			}
		}
		w.fault, o.fault = f, Fault{Kind: Swapped, With: name}
	case Healthy, Open, StuckLow, StuckHigh:
		w.fault = f
	default:
		h.mu.Unlock()
		return fmt.Errorf("%w: unknown fault %v", ErrBadWiring, f.Kind)
	}
	h.mu.Unlock()
	h.refresh()
	return nil
}

// Faults returns the faults in place, by wire name.
func (h *Harness) Faults() map[string]Fault {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := map[string]Fault{}
	for n, w := range h.wires {
		if w.fault.Kind != Healthy {
			m[n] = w.fault
		}
	}
	return m
}

// Contentions counts the times both ends of a wire drove it at once.
func (h *Harness) Contentions() uint64 { return h.contentions.Load() }

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
	fault             FaultKind
	toTarget, toMCU   *line
}

// conductorsLocked lists the physical paths.
func (h *Harness) conductorsLocked() []conductor {
	var cs []conductor
	for _, w := range h.wires {
		c := conductor{mcuPin: w.MCUPin, targetPin: w.TargetPin, fault: w.fault.Kind, toTarget: w.toTarget, toMCU: w.toMCU}
		if w.fault.Kind == Swapped {
			o := h.wires[w.fault.With]
			c.targetPin, c.fault, c.toMCU = o.TargetPin, Healthy, o.toMCU
		}
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].mcuPin < cs[j].mcuPin })
	return cs
}

func (h *Harness) conductorFor(mcuPin, targetPin int) (conductor, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conductorsLocked() {
		if c.mcuPin == mcuPin || c.targetPin == targetPin {
			return c, true
		}
	}
	return conductor{}, false
}

// refresh carries both sides' current state across every conductor.
func (h *Harness) refresh() {
	h.mu.Lock()
	cs := h.conductorsLocked()
	h.mu.Unlock()
	for _, c := range cs {
		h.carryToTarget(c)
		h.carryToMCU(c)
	}
}

func (h *Harness) mcuChanged(e virtual.PinEvent) {
	if h.closed.Load() {
		return
	}
	if c, ok := h.conductorFor(e.Pin, -1); ok {
		h.carryToTarget(c)
	}
}

func (h *Harness) targetChanged(e sim.PadEvent) {
	if h.closed.Load() {
		return
	}
	if c, ok := h.conductorFor(-1, e.Pin); ok {
		h.carryToMCU(c)
	}
}

// carryToTarget puts what the MCU end carries on the target pad.
func (h *Harness) carryToTarget(c conductor) {
	o := h.mcu.Output(c.mcuPin)
	var drive bool
	var level clx.Level
	switch {
	case c.fault == Open:
	case c.fault == StuckLow:
		drive, level = true, clx.Low
	case c.fault == StuckHigh:
		drive, level = true, clx.High
	case o.Driven:
		drive = true
		if o.Level {
			level = clx.High
		}
		if _, out, _ := h.target.Pad(c.targetPin); out {
			h.contentions.Add(1)
		}
	case o.Pull == proto.PullUp:
		drive, level = true, clx.High // a weak pull, seen as a level
	case o.Pull == proto.PullDown:
		drive, level = true, clx.Low
	}
	t, pin := h.target, c.targetPin
	c.toTarget.send(func() {
		if drive {
			_ = t.DrivePad(pin, level)
		} else {
			_ = t.ReleasePad(pin)
		}
	})
}

// carryToMCU puts what the target end carries on the MCU pin.
func (h *Harness) carryToMCU(c conductor) {
	l, out, _ := h.target.Pad(c.targetPin)
	pull, _ := h.target.PadPull(c.targetPin)
	var driven, level bool
	switch {
	case c.fault == Open:
	case c.fault == StuckLow:
		driven = true
	case c.fault == StuckHigh:
		driven, level = true, true
	case out:
		driven, level = true, l == clx.High
	case pull == clx.PullUp:
		driven, level = true, true
	case pull == clx.PullDown:
		driven = true
	}
	m, pin := h.mcu, c.mcuPin
	c.toMCU.send(func() { _ = m.SetInput(pin, driven, level) })
}

// line carries changes in order after a delay.
type line struct {
	delay time.Duration
	ch    chan item
	done  chan struct{}
	once  sync.Once
}

type item struct {
	at time.Time
	do func()
}

func newLine(d time.Duration) *line {
	l := &line{delay: d}
	if d > 0 {
		l.ch = make(chan item, 4096)
		l.done = make(chan struct{})
		go l.run()
	}
	return l
}

func (l *line) send(f func()) {
	if l.delay == 0 {
		f()
		return
	}
	select {
	case l.ch <- item{at: time.Now().Add(l.delay), do: f}:
	case <-l.done:
	}
}

// run applies changes when due: it sleeps to within 200µs of the due time
// and spins the rest, so the delay is accurate to a few microseconds.
func (l *line) run() {
	for {
		select {
		case it := <-l.ch:
			if d := time.Until(it.at) - 200*time.Microsecond; d > 0 {
				select {
				case <-time.After(d):
				case <-l.done:
					return
				}
			}
			for time.Now().Before(it.at) {
			}
			it.do()
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

package clx

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// bank is the framework's state for one bank of pins.
//
// Locking: f.mu (connection bookkeeping) is taken before b.mu. b.mu is the
// bank's interrupt lock (memory-mapped) or wait lock (bus-attached): every
// call into the controller for this bank is made holding it, and it
// protects the interrupt state below. Service routines are never called
// holding b.mu, so they may use I/O connections and mask/unmask freely.
// Dispatch is serialized per bank by the dispatching flag (under b.mu),
// not by holding b.mu: routines run with it released.
type bank struct {
	f       *Framework
	id      int
	passive bool // bus-attached: dispatch in the worker goroutine

	pending   atomic.Bool   // a primary interrupt or timer awaits dispatch
	timersDue atomic.Uint64 // pins whose debounce timer fired
	wake      chan struct{} // wakes the worker (bus-attached)
	irqMu     sync.Mutex    // serializes PreProcessInterrupt in the raising context (bus-attached)

	mu          sync.Mutex // protects following fields and calls into the controller
	dispatching bool       // a goroutine runs the dispatch loop (b.mu is released while it calls routines)
	pins        [64]*intrPin
	enabled     uint64 // pins enabled, as the framework sees them
	hwMasked    uint64 // pins masked in hardware
	retained    uint64 // deliveries the framework latched while a pin was masked
	storming    uint64 // pins with a run of unclaimed level deliveries
	passFailed  bool   // the controller failed a call of the running pass that another pass retries
	failStreak  int    // passes in a row in which the controller failed such a call

	// Connection bookkeeping, protected by f.mu.
	ioHolder     [64]*IOConn // exclusive I/O holder
	ioShared     [64]int     // shared read-only I/O connections
	ioSharedName [64]string  // name of one shared read-only holder
	ioConfigured [64]bool    // ConnectIOPins was called for the pin
	intrHolders  [64]int     // open interrupt connections
}

func newBank(f *Framework, id int) *bank {
	return &bank{f: f, id: id, passive: f.info.Flags&MemoryMapped == 0, wake: make(chan struct{}, 1)}
}

// lock takes the bank lock.
func (b *bank) lock() { b.mu.Lock() }

// unlock releases the bank lock and dispatches what was raised while it
// was held. Never call it holding f.mu: dispatch runs service routines.
func (b *bank) unlock() {
	b.mu.Unlock()
	if b.pending.Load() {
		b.kick()
	}
}

// raise is the primary interrupt of this bank.
func (b *bank) raise() {
	if b.passive {
		if pp := b.f.caps.preproc; pp != nil {
			b.irqMu.Lock()
			if err := pp.PreProcessInterrupt(b.f.ctx, b.id); err != nil {
				b.f.report(driverErr("pre-process", -1, b.id, err))
			}
			b.irqMu.Unlock()
		}
		b.post()
		return
	}
	if b.mu.TryLock() {
		if !b.dispatching {
			// The common case: nobody holds the bank, this goroutine
			// dispatches at once, with no pending flag to set and take.
			b.dispatchHeld(true)
			return
		}
		// The dispatcher is running routines (possibly this very call
		// came from one): it takes the flag when it has the lock again.
		b.pending.Store(true)
		b.mu.Unlock()
		return
	}
	b.post()
}

// post marks a dispatch pending and sees that one runs: in the worker
// (bus-attached), or here unless the lock is held (possibly by this very
// goroutine, inside a controller callback) — its holder then dispatches
// on unlock, or, if it unlocked before the flag was set, this goroutine
// does.
func (b *bank) post() {
	b.pending.Store(true)
	if b.passive {
		b.kick()
	} else if b.mu.TryLock() {
		b.dispatchHeld(false)
	}
}

// kick starts dispatch: inline for memory-mapped banks, in the worker for
// bus-attached ones.
func (b *bank) kick() {
	if b.passive {
		select {
		case b.wake <- struct{}{}:
		default:
		}
		return
	}
	b.tryDispatch()
}

// tryDispatch runs the dispatch loop unless another goroutine is running
// it, in which case that goroutine sees the pending flag.
func (b *bank) tryDispatch() {
	if b.pending.Load() {
		b.mu.Lock()
		b.dispatchHeld(false)
	}
}

// dispatchHeld runs dispatch passes, one at once if raised and then while
// one is pending, unless another goroutine is dispatching (it sees the
// pending flag). b.mu is held on entry and released on return.
func (b *bank) dispatchHeld(raised bool) {
	for {
		if b.dispatching || (!raised && !b.pending.Load()) {
			b.mu.Unlock()
			return
		}
		b.dispatching = true
		for raised || (b.pending.Load() && b.pending.Swap(false)) {
			raised = false
			if b.f.reachable() {
				b.dispatchLocked()
			}
		}
		b.dispatching = false
		b.mu.Unlock()
		// A raise that found the lock held while this pass ended is
		// dispatched here, unless a new holder of the lock will.
		if !b.pending.Load() || !b.mu.TryLock() {
			return
		}
	}
}

// busy reports whether a goroutine runs the dispatch loop.
func (b *bank) busy() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dispatching
}

// worker runs dispatch for a bus-attached bank ("passive level").
func (b *bank) worker() {
	defer b.f.workers.Done()
	for {
		select {
		case <-b.wake:
			b.tryDispatch()
		case <-b.f.ctx.Done():
			return
		}
	}
}

// dispatchLocked is one pass of the framework's ISR over the bank. b.mu
// is held, and released only while service routines run.
func (b *bank) dispatchLocked() {
	f := b.f
	c := &f.caps
	ctx := f.ctx
	b.passFailed = false
	defer b.endPassLocked()
	if !c.hasInterrupts || (b.enabled == 0 && b.timersDue.Load() == 0 && b.retained == 0) {
		if c.hasInterrupts {
			b.queryLocked(0) // clears spurious status, cross-checks
		}
		return
	}
	if c.preproc != nil && !b.passive {
		if err := c.preproc.PreProcessInterrupt(ctx, b.id); err != nil {
			f.report(driverErr("pre-process", -1, b.id, err))
		}
	}
	expected := b.enabled &^ b.hwMasked
	active := b.queryLocked(expected)
	if reset := expected &^ active & b.storming; reset != 0 {
		b.storming &^= reset
		for m := reset; m != 0; m &= m - 1 {
			if p := b.pins[bits.TrailingZeros64(m)]; p != nil {
				p.unclaimed = 0
			}
		}
	}
	var now time.Time
	if f.opts.StampDispatch {
		now = time.Now()
	}
	for m := active; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		bit := uint64(1) << i
		p := b.pins[i]
		// An earlier routine in this pass may have masked or closed it:
		// a masked pin keeps its status for unmask.
		if p == nil || p.disabled || b.enabled&bit == 0 || b.hwMasked&bit != 0 {
			continue
		}
		var ev Event
		if c.describer != nil {
			var err error
			if ev, err = c.describer.InterruptEvent(ctx, b.id, i); err != nil {
				f.report(driverErr("describe event", b.id*f.info.PinsPerBank+i, b.id, err))
				ev = Event{}
			}
		}
		switch {
		case p.emu == emuDebounce:
			b.debounceChangeLocked(p)
		case p.hw.Mode == Edge:
			b.clearLocked(bit)
			ic := b.contextFor(p, ev, now)
			b.deliverUnlocked(p, ic)
		case p.emu == emuBoth:
			// The sensed level flips before the routines run: the line
			// no longer asserts, so nothing need mask it around them,
			// and an edge back while they run latches for the next pass.
			ic := b.contextFor(p, ev, now)
			p.hw.Polarity = flip(p.hw.Polarity)
			if !b.reconfigureLocked(p) {
				// The controller kept the old polarity, and so do the
				// books. Another pass delivers the level it still senses
				// again and re-arms, rather than miss the edge back.
				p.hw.Polarity = flip(p.hw.Polarity)
				b.retryLocked()
			}
			b.clearLocked(bit)
			b.deliverUnlocked(p, ic)
		default: // level-sensitive
			b.maskLocked(p)
			ic := b.contextFor(p, ev, now)
			claimed := b.deliverUnlocked(p, ic)
			if p.disabled {
				continue
			}
			if !claimed {
				p.unclaimed++
				b.storming |= bit
				if p.unclaimed > f.opts.StormThreshold {
					b.stormLocked(p)
					continue
				}
			} else {
				p.unclaimed = 0
				b.storming &^= bit
			}
			b.clearLocked(bit)
			p.dispatchMasked = false
			b.unmaskOrReportLocked(p)
			if p.unclaimed > 0 && (b.hwMasked&bit != 0 || !b.pending.Load()) {
				// Still masked (its client masks it), or unmasking raised
				// nothing: it did not fire again immediately, so the run
				// of unclaimed deliveries ends.
				p.unclaimed = 0
				b.storming &^= bit
			}
		}
	}
	if due := b.timersDue.Load(); due != 0 {
		due = b.timersDue.Swap(0)
		for m := due; m != 0; m &= m - 1 {
			if p := b.pins[bits.TrailingZeros64(m)]; p != nil && !p.disabled && p.emu == emuDebounce {
				b.debounceTimerLocked(p, now)
			}
		}
	}
	if ret := b.retained &^ b.hwMasked; ret != 0 {
		b.retained &^= ret
		for m := ret; m != 0; m &= m - 1 {
			if p := b.pins[bits.TrailingZeros64(m)]; p != nil && !p.disabled {
				ic := InterruptContext{Pin: p.pin, Level: p.retainedLevel, HasLevel: true, DispatchTime: now}
				b.deliverUnlocked(p, ic)
			}
		}
	}
}

// maskLocked masks p in hardware for dispatch.
func (b *bank) maskLocked(p *intrPin) {
	p.dispatchMasked = true
	b.hwMaskLocked(p)
}

func (b *bank) hwMaskLocked(p *intrPin) {
	bit := uint64(1) << p.index
	if b.hwMasked&bit != 0 {
		return
	}
	f := b.f
	failed, err := f.caps.mask.MaskInterrupts(f.ctx, b.id, bit)
	if err == nil && failed != 0 {
		err = &maskError{"mask failed", failed, bit}
	}
	if err != nil {
		f.report(driverErr("mask", p.pin, b.id, err))
	}
	b.hwMasked |= bit
}

// unmaskIfClearLocked unmasks p in hardware when nothing holds it masked.
// An unmask the controller fails leaves p masked, in hardware and in the
// framework's books, so that a later unmask tries again.
func (b *bank) unmaskIfClearLocked(p *intrPin) error {
	bit := uint64(1) << p.index
	if p.disabled || p.clientMasks > 0 || p.dispatchMasked || b.hwMasked&bit == 0 || !b.f.reachable() {
		return nil
	}
	f := b.f
	b.hwMasked &^= bit
	if err := f.caps.unmask.UnmaskInterrupt(f.ctx, &p.hw); err != nil {
		b.hwMasked |= bit
		return driverErr("unmask", p.pin, b.id, err)
	}
	return nil
}

// unmaskOrReportLocked is unmaskIfClearLocked where no caller waits: a
// failure is reported.
func (b *bank) unmaskOrReportLocked(p *intrPin) {
	if err := b.unmaskIfClearLocked(p); err != nil {
		b.f.report(err)
	}
}

// reconfigureLocked programs p.hw into the controller, reporting a
// failure; it reports whether the controller took it.
func (b *bank) reconfigureLocked(p *intrPin) bool {
	f := b.f
	if err := f.caps.reconfig.ReconfigureInterrupt(f.ctx, &p.hw); err != nil {
		f.report(driverErr("reconfigure", p.pin, b.id, err))
		return false
	}
	return true
}

// stormLocked disables a storming pin and fails its connections.
func (b *bank) stormLocked(p *intrPin) {
	err := &StormError{Pin: p.pin, Bank: b.id, Count: p.unclaimed}
	b.disablePinLocked(p)
	for _, c := range p.conns {
		c.fail(err)
	}
	b.f.report(err)
}

// disablePinLocked disables p in hardware; its connections stay open.
func (b *bank) disablePinLocked(p *intrPin) {
	if p.disabled {
		return
	}
	p.disabled = true
	bit := uint64(1) << p.index
	b.enabled &^= bit
	b.hwMasked &^= bit
	b.retained &^= bit
	b.storming &^= bit
	p.stopTimer()
	f := b.f
	if f.reachable() {
		if err := f.caps.disable.DisableInterrupt(f.ctx, &p.hw); err != nil {
			f.report(driverErr("disable", p.pin, b.id, err))
		}
		b.crossCheckLocked("disable")
	}
}

func (b *bank) contextFor(p *intrPin, ev Event, now time.Time) InterruptContext {
	ic := InterruptContext{Pin: p.pin, DispatchTime: now, ControllerTime: ev.Time, HasControllerTime: ev.HasTime,
		Level: ev.Level, HasLevel: ev.HasLevel}
	if !ic.HasLevel {
		switch {
		case p.emu == emuBoth:
			ic.Level, ic.HasLevel = p.hw.Polarity.Asserted(), true
		case p.hw.Polarity != ActiveBoth:
			ic.Level, ic.HasLevel = p.hw.Polarity.Asserted(), true
		}
	}
	return ic
}

// deliverUnlocked calls p's service routines with b.mu released, then
// takes it again. Edge pins call every routine; level pins stop at the
// first that claims. It reports whether any routine claimed.
func (b *bank) deliverUnlocked(p *intrPin, ic InterruptContext) (claimed bool) {
	conns := p.conns
	level := p.mode == LevelSensitive
	b.mu.Unlock()
	panicked := false
	for _, c := range conns {
		if claimed && level {
			break
		}
		ok, perr := c.invoke(ic, b.passive)
		if perr != nil {
			panicked = true
			c.fail(perr)
			b.f.report(perr)
			continue
		}
		claimed = claimed || ok
	}
	b.mu.Lock()
	if panicked {
		for _, c := range conns {
			if c.err.Load() != nil && !c.detached {
				b.detachLocked(p, c)
			}
		}
	}
	return claimed
}

// detachLocked removes c from p's routines; the last one disables p.
func (b *bank) detachLocked(p *intrPin, c *InterruptConn) {
	if c.detached {
		return
	}
	c.detached = true
	if c.masked {
		c.masked = false
		p.clientMasks--
	}
	n := make([]*InterruptConn, 0, len(p.conns))
	for _, x := range p.conns {
		if x != c {
			n = append(n, x)
		}
	}
	p.conns = n
	if len(n) == 0 {
		b.disablePinLocked(p)
	} else {
		b.unmaskOrReportLocked(p)
	}
}

func (b *bank) stopTimers() {
	b.mu.Lock()
	for _, p := range b.pins {
		if p != nil {
			p.stopTimer()
		}
	}
	b.mu.Unlock()
}

func flip(p Polarity) Polarity {
	if p == ActiveHigh {
		return ActiveLow
	}
	return ActiveHigh
}

// assertAt returns the polarity that asserts at level l.
func assertAt(l Level) Polarity {
	if l == High {
		return ActiveHigh
	}
	return ActiveLow
}

package clx

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// InterruptContext describes one delivery to a service routine.
type InterruptContext struct {
	Pin int // controller-relative pin
	// Level is the level the pin moved to (for active-both, the edge's
	// direction); valid when HasLevel.
	Level    Level
	HasLevel bool
	// ControllerTime is the controller's own timestamp of the event (for
	// example a kernel edge timestamp); valid when HasControllerTime.
	ControllerTime    time.Duration
	HasControllerTime bool
	// DispatchTime is when the framework's dispatch pass began; set only
	// under Options.StampDispatch (zero otherwise).
	DispatchTime time.Time
	// Conn is the connection being served (an ISR may mask it; it is set
	// even when the ISR runs before ConnectInterrupt has returned).
	Conn *InterruptConn
}

// ISR is an interrupt service routine. It reports whether it claimed the
// interrupt. It runs in the primary-interrupt context of a memory-mapped
// controller (the goroutine that raised it) or in the bank's worker of a
// bus-attached one; it must not block, and must not call Framework.Close.
type ISR func(InterruptContext) (claimed bool)

// DPC is a deferred routine, run after a claiming ISR, outside the
// interrupt context. Several claims before it runs coalesce into one call
// with the latest context.
type DPC func(InterruptContext)

// InterruptConfig is an interrupt resource and its service routines.
type InterruptConfig struct {
	Pin      int // controller-relative
	Mode     Mode
	Polarity Polarity
	// AssertedHigh: for active-both on a controller that cannot sense both
	// edges, the line's asserted (first-interrupt) level is high instead
	// of the default low.
	AssertedHigh bool
	Pull         Pull
	Debounce     time.Duration
	Shared       bool
	// ActiveLow makes Polarity, AssertedHigh and the Level each delivery
	// reports logical, with the line's low as the logical high: an
	// ActiveHigh edge interrupt fires on the falling edge and reports
	// High, a level-sensitive ActiveHigh one fires while the line is low.
	ActiveLow bool
	ISR       ISR // required
	DPC       DPC // optional
	// Name names the holder in sharing errors; default "interrupt#N", N
	// the connection's number among those the framework made (I/O and
	// interrupt alike, from 1).
	Name string
}

type emulation uint8

const (
	emuNone emulation = iota
	emuBoth
	emuDebounce
)

// intrPin is the state of one enabled interrupt pin, protected by b.mu.
type intrPin struct {
	index, pin   int
	mode         Mode
	polarity     Polarity // as connected, on the line (active-low undone)
	assertedHigh bool
	shared       bool
	debounce     time.Duration
	emu          emulation
	hw           InterruptRequest // as programmed in the controller
	conns        []*InterruptConn // copy-on-write

	clientMasks    int  // connections holding the pin masked
	dispatchMasked bool // masked by the framework during dispatch
	disabled       bool // by a storm, a panic, or its last connection closing
	unclaimed      int  // unclaimed level deliveries in a row

	retainedLevel Level // level of a delivery retained while masked

	// emulated debounce
	stable     Level
	debouncing bool
	timer      Timer
	timerGen   uint64
	firedGen   atomic.Uint64
}

func (p *intrPin) stopTimer() {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.timerGen++
}

// InterruptConn is a client's connection to an interrupt resource.
type InterruptConn struct {
	f    *Framework
	b    *bank
	p    *intrPin // protected by b.mu
	name string
	isr  ISR
	dpc  DPC
	// activeLow: the connection's levels are the line's inverted.
	activeLow bool

	closed   atomic.Bool
	err      atomic.Pointer[error] // why the connection was disabled
	failedCh chan struct{}
	failOnce sync.Once

	masked   bool // protected by b.mu
	detached bool // protected by b.mu

	dpcMu     sync.Mutex
	dpcCtx    InterruptContext
	dpcQueued bool
}

// ConnectInterrupt connects an interrupt resource. The first connection of
// a pin enables it in hardware (clearing stale status, unmasked); later
// shared connections with the same mode and polarity add their ISR.
func (f *Framework) ConnectInterrupt(ctx context.Context, cfg InterruptConfig) (*InterruptConn, error) {
	const op = "connect-interrupt"
	if f.closed.Load() {
		return nil, pinErr(op, cfg.Pin, -1, ErrClosed)
	}
	if !f.caps.hasInterrupts {
		return nil, pinErr(op, cfg.Pin, -1, fmt.Errorf("controller has no interrupt support: %w", ErrNotSupported))
	}
	if err := f.checkPin(op, cfg.Pin); err != nil {
		return nil, err
	}
	b, i := f.locate(cfg.Pin)
	bad := func(why string) error {
		return pinErr(op, cfg.Pin, b.id, fmt.Errorf("%s: %w", why, ErrInvalidArgument))
	}
	switch {
	case cfg.ISR == nil:
		return nil, bad("no ISR")
	case cfg.Mode > LevelSensitive:
		return nil, bad("unknown mode " + cfg.Mode.String())
	case cfg.Polarity > ActiveBoth:
		return nil, bad("unknown polarity " + cfg.Polarity.String())
	case cfg.Mode == LevelSensitive && cfg.Polarity == ActiveBoth:
		return nil, bad("level-sensitive interrupts cannot be active-both")
	case cfg.Debounce < 0:
		return nil, bad("negative debounce " + cfg.Debounce.String())
	case cfg.Pull > PullDown:
		return nil, bad("unknown pull " + cfg.Pull.String())
	}
	bit := uint64(1) << i

	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		return nil, pinErr(op, cfg.Pin, b.id, ErrClosed)
	}
	// Checked under f.mu: a removal found from here on fails the new
	// connection with the others (failAllGone takes f.mu).
	if err := f.goneErr(op, cfg.Pin, b.id); err != nil {
		f.mu.Unlock()
		return nil, err
	}
	if h := b.ioHolder[i]; h != nil {
		f.mu.Unlock()
		return nil, &PinError{Op: op, Pin: cfg.Pin, Bank: b.id, Holder: h.name, Err: ErrSharingViolation}
	}
	f.nextID++
	c := &InterruptConn{f: f, b: b, isr: cfg.ISR, dpc: cfg.DPC, name: cfg.Name, activeLow: cfg.ActiveLow, failedCh: make(chan struct{})}
	if cfg.ActiveLow {
		// From here on the request speaks of the line.
		switch cfg.Polarity {
		case ActiveHigh:
			cfg.Polarity = ActiveLow
		case ActiveLow:
			cfg.Polarity = ActiveHigh
		case ActiveBoth:
			cfg.AssertedHigh = !cfg.AssertedHigh
		}
	}
	if c.name == "" {
		c.name = "interrupt#" + strconv.Itoa(f.nextID)
	}
	b.lock()
	p := b.pins[i]
	if p != nil {
		var why error
		switch {
		case !cfg.Shared || !p.shared:
			why = ErrSharingViolation
		case cfg.Mode != p.mode || cfg.Polarity != p.polarity || cfg.AssertedHigh != p.assertedHigh:
			why = fmt.Errorf("shared connections must have the same mode and polarity on the line (%s %s): %w", p.mode, p.polarity, ErrSharingViolation)
		case p.disabled:
			why = fmt.Errorf("pin was disabled: %w", ErrInterruptDisabled)
		}
		if why != nil {
			holder := ""
			if len(p.conns) > 0 {
				holder = p.conns[0].name
			}
			b.mu.Unlock()
			f.mu.Unlock()
			return nil, &PinError{Op: op, Pin: cfg.Pin, Bank: b.id, Holder: holder, Err: why}
		}
	} else {
		p = &intrPin{index: i, pin: cfg.Pin, mode: cfg.Mode, polarity: cfg.Polarity, assertedHigh: cfg.AssertedHigh,
			shared: cfg.Shared, debounce: cfg.Debounce}
		p.hw = InterruptRequest{Bank: b.id, Pin: i, Mode: cfg.Mode, Polarity: cfg.Polarity, Pull: cfg.Pull, Debounce: cfg.Debounce}
		flags := f.info.Flags
		switch {
		case cfg.Debounce > 0 && flags&EmulateDebounce != 0:
			p.emu = emuDebounce
			p.hw.Mode, p.hw.Debounce = LevelSensitive, 0
		case cfg.Polarity == ActiveBoth && flags&EmulateActiveBoth != 0:
			p.emu = emuBoth
			p.hw.Mode, p.hw.Polarity = LevelSensitive, ActiveLow
			if cfg.AssertedHigh {
				p.hw.Polarity = ActiveHigh
			}
		}
		if p.emu == emuDebounce {
			// Program a harmless polarity first, then aim it at the first
			// departure from the sampled level.
			p.hw.Polarity = ActiveHigh
		}
		if err := f.caps.enable.EnableInterrupt(ctx, &p.hw); err != nil {
			b.mu.Unlock()
			f.mu.Unlock()
			return nil, driverErr("enable", cfg.Pin, b.id, err)
		}
		if p.emu == emuDebounce {
			lvl, err := b.readLevelLocked(ctx, i)
			if err != nil {
				_ = f.caps.disable.DisableInterrupt(ctx, &p.hw)
				b.mu.Unlock()
				f.mu.Unlock()
				return nil, driverErr("enable", cfg.Pin, b.id, err)
			}
			p.stable = lvl
			p.hw.Polarity = assertAt(1 - lvl)
			if err := f.caps.reconfig.ReconfigureInterrupt(ctx, &p.hw); err != nil {
				_ = f.caps.disable.DisableInterrupt(ctx, &p.hw)
				b.mu.Unlock()
				f.mu.Unlock()
				return nil, driverErr("enable", cfg.Pin, b.id, err)
			}
			b.clearLocked(bit)
		}
		b.pins[i] = p
		b.enabled |= bit
		b.hwMasked &^= bit
		b.crossCheckLocked("enable")
	}
	c.p = p
	conns := make([]*InterruptConn, len(p.conns), len(p.conns)+1)
	copy(conns, p.conns)
	p.conns = append(conns, c)
	b.intrHolders[i]++
	f.conns[c] = struct{}{}
	f.mu.Unlock()
	// Anything raised while the pin was being enabled (a level already
	// asserted) is dispatched here.
	b.unlock()
	return c, nil
}

// readLevelLocked reads the input level of bank index i.
func (b *bank) readLevelLocked(ctx context.Context, i int) (Level, error) {
	f := b.f
	var v uint64
	var err error
	if f.info.Flags&IOAsMasks != 0 {
		v, err = f.caps.readMask.ReadPinsMask(ctx, b.id)
		v >>= uint(i)
	} else {
		pins := [1]int{i}
		v, err = f.caps.readPins.ReadPins(ctx, b.id, pins[:])
	}
	return Level(v & 1), err
}

// Name returns the connection's holder name.
func (c *InterruptConn) Name() string { return c.name }

// Pin returns the controller-relative pin.
func (c *InterruptConn) Pin() int { return c.p.pin }

// Err returns why the connection was disabled (a *StormError, a
// *PanicError, or a *PinError wrapping ErrControllerGone), or nil.
func (c *InterruptConn) Err() error {
	if e := c.err.Load(); e != nil {
		return *e
	}
	return nil
}

// Failed is closed when the framework disables the connection; Err then
// says why.
func (c *InterruptConn) Failed() <-chan struct{} { return c.failedCh }

func (c *InterruptConn) fail(err error) {
	c.failOnce.Do(func() {
		c.err.Store(&err)
		close(c.failedCh)
	})
}

// usableLocked checks that the connection can be masked or unmasked:
// neither it nor the framework is closed, and its interrupt has not been
// disabled (by a storm, a panicking routine or a detach). b.mu held.
func (c *InterruptConn) usableLocked(op string) error {
	switch {
	case c.closed.Load():
		return pinErr(op, c.p.pin, c.b.id, ErrClosed)
	case c.f.closed.Load():
		return pinErr(op, c.p.pin, c.b.id, ErrClosed)
	case c.f.Err() != nil:
		return c.f.goneErr(op, c.p.pin, c.b.id)
	case c.Err() != nil || c.p.disabled || c.detached:
		return pinErr(op, c.p.pin, c.b.id, fmt.Errorf("%w: %w", ErrInterruptDisabled, ErrOperationDenied))
	}
	return nil
}

// Mask stops delivery to this connection's pin, keeping its configuration;
// status that becomes active while masked is retained. Masking an already
// masked connection does nothing. Masking a disabled interrupt is an error.
func (c *InterruptConn) Mask(ctx context.Context) error {
	b := c.b
	b.lock()
	defer b.unlock()
	if err := c.usableLocked("mask"); err != nil {
		return err
	}
	if c.masked {
		return nil
	}
	c.masked = true
	c.p.clientMasks++
	bit := uint64(1) << c.p.index
	if b.hwMasked&bit != 0 {
		return nil
	}
	failed, err := c.f.caps.mask.MaskInterrupts(ctx, b.id, bit)
	if err == nil && failed != 0 {
		err = &maskError{"mask failed", failed, bit}
	}
	if err != nil {
		c.masked = false
		c.p.clientMasks--
		return driverErr("mask", c.p.pin, b.id, err)
	}
	b.hwMasked |= bit
	return nil
}

// Unmask resumes delivery. An edge pin whose status latched while masked
// is delivered once; a level pin still asserted is delivered. An unmask
// the controller fails returns its error and leaves the connection
// masked, to be unmasked again.
func (c *InterruptConn) Unmask(ctx context.Context) error {
	b := c.b
	b.lock()
	defer b.unlock()
	if err := c.usableLocked("unmask"); err != nil {
		return err
	}
	if !c.masked {
		return nil
	}
	c.masked = false
	c.p.clientMasks--
	if err := b.unmaskIfClearLocked(c.p); err != nil {
		// The connection stays masked: the client may try again.
		c.masked = true
		c.p.clientMasks++
		return err
	}
	if b.retained&(1<<c.p.index) != 0 {
		b.pending.Store(true)
	}
	return nil
}

// Close disconnects. The last connection of a pin disables it in
// hardware. No service routine of this connection starts after Close
// returns; one already running in another goroutine finishes on its own,
// so Close is safe to call from the connection's own ISR or DPC. Close is
// idempotent.
func (c *InterruptConn) Close() error {
	f, b := c.f, c.b
	f.mu.Lock()
	if c.closed.Swap(true) {
		f.mu.Unlock()
		return nil
	}
	i := c.p.index
	delete(f.conns, c)
	b.intrHolders[i]--
	b.lock()
	p := c.p
	if !c.detached {
		b.detachLocked(p, c)
	}
	if len(p.conns) == 0 && b.pins[i] == p {
		b.pins[i] = nil
	}
	f.mu.Unlock()
	b.unlock()
	return nil
}

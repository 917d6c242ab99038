package clx

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultStormThreshold is the number of unclaimed level-interrupt
// deliveries in a row after which a pin is declared storming.
const DefaultStormThreshold = 1000

// Timer is a stoppable one-shot timer, as returned by time.AfterFunc.
type Timer interface {
	Stop() bool
}

// Options tune a Framework. The zero value is ready to use.
type Options struct {
	// StormThreshold is the count of unclaimed level-interrupt deliveries
	// in a row that makes a storm; 0 means DefaultStormThreshold.
	StormThreshold int
	// OnError, if set, receives errors found while dispatching that no
	// caller is waiting for (controller-driver errors, storms, panics).
	// It is called from the dispatch context and must not block. Such
	// errors are also kept, see Framework.Errors.
	OnError func(error)
	// AfterFunc schedules f after d; the framework uses it for emulated
	// debounce. Nil means time.AfterFunc. Tests pass a manual clock.
	AfterFunc func(d time.Duration, f func()) Timer
	// StampDispatch makes every delivery carry DispatchTime, the clock
	// read when its dispatch pass began. Off by default: the read costs
	// each pass a wall-clock read (a third of clx's dispatch cost on a
	// virtual machine; BenchmarkEdgeDispatch/clx-stamped shows it). An
	// ISR that wants the time can read the clock itself; the controller's
	// own timestamp (ControllerTime) is delivered either way.
	StampDispatch bool

	// unguarded: controller calls without the panic guards, so that a
	// benchmark can show what they cost (export_test.go); never in use.
	unguarded bool
}

// maxKeptErrors bounds the dispatch errors a Framework keeps.
const maxKeptErrors = 64

// Framework is one GPIO controller under the framework: it owns the
// controller's client connections and calls the controller driver.
type Framework struct {
	ctrl      Controller
	info      Info
	caps      capabilities
	opts      Options
	ctx       context.Context // lifetime of the framework, passed to callbacks
	cancel    context.CancelFunc
	banks     []*bank
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	workers   sync.WaitGroup
	dpc       dpcQueue

	mu      sync.Mutex // protects connection bookkeeping: bank.io*, bank.intrHolders, nextID, conns, closing
	nextID  int
	conns   map[interface{ Close() error }]struct{} // open connections
	closing bool

	errMu    sync.Mutex // protects errs and errTotal
	errs     []error
	errTotal int

	suspendMu sync.Mutex // serializes Suspend and Resume

	removal removal // the controller going away
}

// capabilities are the optional interfaces a controller implements,
// discovered once at registration.
type capabilities struct {
	ioConnect    IOConnector
	ioDisconnect IODisconnector
	readPins     PinReader
	writePins    PinWriter
	readMask     MaskReader
	writeMask    MaskWriter

	enable    InterruptEnabler
	disable   InterruptDisabler
	mask      InterruptMasker
	unmask    InterruptUnmasker
	query     ActiveQuerier
	clear     ActiveClearer
	queryEn   EnabledQuerier
	reconfig  InterruptReconfigurer
	preproc   PreProcessor
	describer EventDescriber
	save      BankContextSaver
	restore   BankContextRestorer
	specific  SpecificFunctioner
	suspender Suspender

	hasIO, hasInterrupts, hasBankPower bool
}

// New registers ctrl with a new framework: it prepares the controller,
// reads its information, validates every capability group it implements
// and starts it. A missing part of a group fails with ErrIncompleteDriver
// naming what is missing.
func New(ctx context.Context, ctrl Controller, opts Options) (*Framework, error) {
	if ctrl == nil {
		return nil, fmt.Errorf("clx: register: nil controller: %w", ErrInvalidArgument)
	}
	if opts.StormThreshold <= 0 {
		opts.StormThreshold = DefaultStormThreshold
	}
	if opts.AfterFunc == nil {
		opts.AfterFunc = func(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
	}
	if err := guardLifecycle("Prepare", func() error { return ctrl.Prepare(ctx) }); err != nil {
		return nil, fmt.Errorf("clx: register: prepare: %w", asDriverErr(err))
	}
	info, err := guardInfo(ctrl)
	if err != nil {
		_ = guardLifecycle("Release", func() error { return ctrl.Release(ctx) })
		return nil, fmt.Errorf("clx: register: %w", err)
	}
	caps, err := discover(ctrl, info)
	if err == nil {
		err = checkInfo(info)
	}
	if err != nil {
		_ = guardLifecycle("Release", func() error { return ctrl.Release(ctx) })
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	f := &Framework{ctrl: ctrl, info: info, caps: caps, opts: opts, ctx: lctx, cancel: cancel,
		conns: map[interface{ Close() error }]struct{}{}}
	if !opts.unguarded {
		f.caps.guard(&sentry{gone: f.markGone})
	}
	f.removal.init()
	f.dpc.init()
	for b := 0; b < info.Banks(); b++ {
		f.banks = append(f.banks, newBank(f, b))
	}
	if info.Flags&MemoryMapped == 0 {
		for _, b := range f.banks {
			f.workers.Add(1)
			go b.worker()
		}
	}
	f.workers.Add(1)
	go f.dpc.run(f)
	if err := guardLifecycle("Start", func() error { return ctrl.Start(ctx, (*primary)(f)) }); err != nil {
		f.closed.Store(true)
		f.shutdown()
		_ = guardLifecycle("Release", func() error { return ctrl.Release(ctx) })
		return nil, fmt.Errorf("clx: register: start: %w", asDriverErr(err))
	}
	return f, nil
}

func checkInfo(info Info) error {
	switch {
	case info.PinsPerBank < 1 || info.PinsPerBank > 64:
		return fmt.Errorf("clx: register: %d pins per bank, want 1..64: %w", info.PinsPerBank, ErrInvalidArgument)
	case info.TotalPins < 1:
		return fmt.Errorf("clx: register: %d pins in total, want at least 1: %w", info.TotalPins, ErrInvalidArgument)
	}
	return nil
}

// discover finds the optional interfaces of ctrl and checks that each
// group it implements is complete.
func discover(ctrl Controller, info Info) (capabilities, error) {
	var c capabilities
	c.ioConnect, _ = ctrl.(IOConnector)
	c.ioDisconnect, _ = ctrl.(IODisconnector)
	c.readPins, _ = ctrl.(PinReader)
	c.writePins, _ = ctrl.(PinWriter)
	c.readMask, _ = ctrl.(MaskReader)
	c.writeMask, _ = ctrl.(MaskWriter)
	c.enable, _ = ctrl.(InterruptEnabler)
	c.disable, _ = ctrl.(InterruptDisabler)
	c.mask, _ = ctrl.(InterruptMasker)
	c.unmask, _ = ctrl.(InterruptUnmasker)
	c.query, _ = ctrl.(ActiveQuerier)
	c.clear, _ = ctrl.(ActiveClearer)
	c.queryEn, _ = ctrl.(EnabledQuerier)
	c.reconfig, _ = ctrl.(InterruptReconfigurer)
	c.preproc, _ = ctrl.(PreProcessor)
	c.describer, _ = ctrl.(EventDescriber)
	c.save, _ = ctrl.(BankContextSaver)
	c.restore, _ = ctrl.(BankContextRestorer)
	c.specific, _ = ctrl.(SpecificFunctioner)
	c.suspender, _ = ctrl.(Suspender)
	masks := info.Flags&IOAsMasks != 0

	var missing []string
	need := func(group string, have bool, name string) {
		if !have {
			missing = append(missing, group+": "+name)
		}
	}
	// I/O group.
	var canRead, canWrite bool
	if masks {
		canRead, canWrite = c.readMask != nil, c.writeMask != nil
	} else {
		canRead, canWrite = c.readPins != nil, c.writePins != nil
	}
	if c.ioConnect != nil || c.ioDisconnect != nil || c.readPins != nil || c.writePins != nil || c.readMask != nil || c.writeMask != nil {
		need("I/O", c.ioConnect != nil, "ConnectIOPins")
		need("I/O", c.ioDisconnect != nil, "DisconnectIOPins")
		if masks {
			need("I/O (IOAsMasks)", canRead || canWrite, "ReadPinsMask or WritePinsMask")
		} else {
			need("I/O", canRead || canWrite, "ReadPins or WritePins")
		}
		c.hasIO = true
	}
	// Interrupt group.
	if c.enable != nil || c.disable != nil || c.mask != nil || c.unmask != nil || c.query != nil || c.clear != nil {
		need("interrupts", c.enable != nil, "EnableInterrupt")
		need("interrupts", c.disable != nil, "DisableInterrupt")
		need("interrupts", c.mask != nil, "MaskInterrupts")
		need("interrupts", c.unmask != nil, "UnmaskInterrupt")
		need("interrupts", c.query != nil, "QueryActiveInterrupts")
		if info.Flags&AutoClearOnRead == 0 {
			need("interrupts", c.clear != nil, "ClearActiveInterrupts (or the AutoClearOnRead flag)")
		}
		c.hasInterrupts = true
	}
	if info.Flags&EmulateActiveBoth != 0 {
		need("EmulateActiveBoth", c.hasInterrupts, "the interrupt group")
		need("EmulateActiveBoth", c.reconfig != nil, "ReconfigureInterrupt")
	}
	if info.Flags&EmulateDebounce != 0 {
		need("EmulateDebounce", c.hasInterrupts, "the interrupt group")
		need("EmulateDebounce", c.reconfig != nil, "ReconfigureInterrupt")
		need("EmulateDebounce", canRead, "a pin read (to sample the level)")
	}
	// Bank power group.
	if c.save != nil || c.restore != nil {
		need("bank power", c.save != nil, "SaveBankContext")
		need("bank power", c.restore != nil, "RestoreBankContext")
		c.hasBankPower = true
	}
	if len(missing) > 0 {
		s := missing[0]
		for _, m := range missing[1:] {
			s += "; " + m
		}
		return c, fmt.Errorf("clx: register %T: missing %s: %w", ctrl, s, ErrIncompleteDriver)
	}
	return c, nil
}

// Info returns the controller's information.
func (f *Framework) Info() Info { return f.info }

// Close closes every connection still open (pins return to their default
// state, interrupts are disabled), waits for running dispatch and deferred
// routines to finish (bounded by ctx), then stops and releases the
// controller. It is idempotent; later calls return the first call's
// result. Operations on connections fail with ErrClosed afterwards.
func (f *Framework) Close(ctx context.Context) error {
	f.closeOnce.Do(func() {
		var errs []error
		f.mu.Lock()
		f.closing = true
		open := make([]interface{ Close() error }, 0, len(f.conns))
		for c := range f.conns {
			open = append(open, c)
		}
		f.mu.Unlock()
		for _, c := range open {
			if err := c.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		f.closed.Store(true)
		// A controller that is gone is not stopped; one that goes during
		// the stop is no error of the close either.
		if f.Err() == nil {
			if err := guardLifecycle("Stop", func() error { return f.ctrl.Stop(ctx) }); err != nil && !errors.Is(err, ErrControllerGone) {
				errs = append(errs, fmt.Errorf("clx: close: stop: %w", asDriverErr(err)))
			}
		}
		if err := f.waitDispatch(ctx); err != nil {
			errs = append(errs, err)
		}
		if f.Err() != nil {
			select {
			case <-f.removal.failed:
			case <-ctx.Done():
				errs = append(errs, fmt.Errorf("clx: close: failing connections of a gone controller: %w", ctx.Err()))
			}
		}
		f.shutdown()
		// A gone controller's driver still frees what it holds on the
		// host; that it answers "gone" is no error of the close.
		if err := guardLifecycle("Release", func() error { return f.ctrl.Release(ctx) }); err != nil && !errors.Is(err, ErrControllerGone) {
			errs = append(errs, fmt.Errorf("clx: close: release: %w", asDriverErr(err)))
		}
		f.closeErr = errors.Join(errs...)
	})
	return f.closeErr
}

// waitDispatch waits until no bank is dispatching.
func (f *Framework) waitDispatch(ctx context.Context) error {
	for {
		busy := false
		for _, b := range f.banks {
			if b.busy() {
				busy = true
			}
		}
		if !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("clx: close: waiting for dispatch: %w", ctx.Err())
		case <-time.After(100 * time.Microsecond):
		}
	}
}

func (f *Framework) shutdown() {
	f.cancel()
	for _, b := range f.banks {
		b.stopTimers()
	}
	f.workers.Wait()
}

// Suspend suspends the controller (the suspend group): connections stay
// open with their masks and outputs, an edge already latched (on a masked
// pin) is kept, interrupts are not delivered and new edges are lost until
// Resume.
// Without the group it fails with ErrNotSupported.
func (f *Framework) Suspend(ctx context.Context) error {
	return f.suspendOrResume(ctx, "suspend", Suspender.Suspend)
}

// Resume resumes a suspended controller: every connection's interrupt is
// back as it was, and a kept edge or an asserted level on an unmasked pin
// fires.
func (f *Framework) Resume(ctx context.Context) error {
	return f.suspendOrResume(ctx, "resume", Suspender.Resume)
}

func (f *Framework) suspendOrResume(ctx context.Context, op string, call func(Suspender, context.Context) error) error {
	if f.caps.suspender == nil {
		return fmt.Errorf("clx: %s: %T has no suspend group: %w", op, f.ctrl, ErrNotSupported)
	}
	f.suspendMu.Lock()
	defer f.suspendMu.Unlock()
	if f.closed.Load() {
		return fmt.Errorf("clx: %s: %w", op, ErrClosed)
	}
	if err := f.goneErr(op, -1, -1); err != nil {
		return err
	}
	if err := call(f.caps.suspender, ctx); err != nil {
		return fmt.Errorf("clx: %s: %w", op, asDriverErr(err))
	}
	return nil
}

// SetBankPower saves a bank's context and lets it lose power (on=false),
// or restores it (on=true). Requires the bank power group.
func (f *Framework) SetBankPower(ctx context.Context, bank int, on bool) error {
	op := "bank-power-off"
	if on {
		op = "bank-power-on"
	}
	if !f.caps.hasBankPower {
		return pinErr(op, -1, bank, ErrNotSupported)
	}
	if bank < 0 || bank >= len(f.banks) {
		return pinErr(op, -1, bank, ErrInvalidArgument)
	}
	if err := f.goneErr(op, -1, bank); err != nil {
		return err
	}
	b := f.banks[bank]
	b.lock()
	defer b.unlock()
	var err error
	if on {
		err = f.caps.restore.RestoreBankContext(ctx, bank)
	} else {
		err = f.caps.save.SaveBankContext(ctx, bank)
	}
	if err != nil {
		return driverErr(op, -1, bank, err)
	}
	return nil
}

// ControllerSpecificFunction passes an opaque request to the controller.
func (f *Framework) ControllerSpecificFunction(ctx context.Context, in []byte) ([]byte, error) {
	if f.caps.specific == nil {
		return nil, fmt.Errorf("clx: controller-specific function: %w", ErrNotSupported)
	}
	if err := f.goneErr("controller-specific function", -1, -1); err != nil {
		return nil, err
	}
	out, err := f.caps.specific.ControllerSpecificFunction(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("clx: controller-specific function: %w", asDriverErr(err))
	}
	return out, nil
}

// Errors returns the most recent errors found while dispatching (at most
// 64) and how many there were in all.
func (f *Framework) Errors() (recent []error, total int) {
	f.errMu.Lock()
	defer f.errMu.Unlock()
	return append([]error(nil), f.errs...), f.errTotal
}

func (f *Framework) report(err error) {
	f.errMu.Lock()
	if len(f.errs) == maxKeptErrors {
		copy(f.errs, f.errs[1:])
		f.errs = f.errs[:maxKeptErrors-1]
	}
	f.errs = append(f.errs, err)
	f.errTotal++
	f.errMu.Unlock()
	if f.opts.OnError != nil {
		func() {
			defer func() { _ = recover() }() // a panicking error handler must not break dispatch
			f.opts.OnError(err)
		}()
	}
}

// checkPin validates a controller-relative pin number.
func (f *Framework) checkPin(op string, pin int) error {
	if pin < 0 || pin >= f.info.TotalPins {
		// PinError leaves out a negative pin: the cause names it.
		return &PinError{Op: op, Pin: pin, Bank: -1,
			Err: fmt.Errorf("pin %d out of range 0..%d: %w", pin, f.info.TotalPins-1, ErrInvalidArgument)}
	}
	return nil
}

func (f *Framework) locate(pin int) (b *bank, index int) {
	return f.banks[pin/f.info.PinsPerBank], pin % f.info.PinsPerBank
}

// primary is the framework seen as the controller's primary interrupt.
type primary Framework

// Raise implements PrimaryInterrupt.
func (p *primary) Raise(bank int) {
	f := (*Framework)(p)
	if !f.reachable() {
		return
	}
	if bank == AllBanks {
		for _, b := range f.banks {
			b.raise()
		}
		return
	}
	if bank >= 0 && bank < len(f.banks) {
		f.banks[bank].raise()
	}
}

// WaitIdle waits until no bank has an interrupt pending or being
// dispatched and no DPC is queued, or ctx ends. Useful after driving pads
// of a bus-attached controller, whose dispatch runs in worker goroutines.
func (f *Framework) WaitIdle(ctx context.Context) error {
	for {
		idle := f.dpc.idle()
		for _, b := range f.banks {
			if b.pending.Load() || b.busy() || b.timersDue.Load() != 0 {
				idle = false
			}
		}
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("clx: wait idle: %w", ctx.Err())
		case <-time.After(50 * time.Microsecond):
		}
	}
}

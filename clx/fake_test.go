package clx_test

import (
	"context"
	"errors"
	"fmt"

	"sync"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
)

// fakeController is a complete controller with fault injection, for the
// framework's error paths. Interrupt status is set by the test (fire).
type fakeController struct {
	spec fakeSpec

	mu      sync.Mutex // protects following fields
	irq     clx.PrimaryInterrupt
	levels  map[int]bool
	enable  []uint64
	mask    []uint64
	status  []uint64
	log     []fakeCall
	lastIO  clx.IORequest
	clears  int
	stopped bool
	gone    bool // see vanish
	// afterWrite, when set, runs in WritePins once the levels are
	// recorded, outside fc.mu: a test holds a writer inside the
	// controller with it.
	afterWrite func(bank int)
}

type fakeSpec struct {
	pins, perBank int
	flags         clx.Flags
	// faults
	failMask   uint64 // bits MaskInterrupts reports as failed
	failClear  uint64 // bits ClearActiveInterrupts reports as failed
	phantom    uint64 // bits QueryActiveInterrupts adds to every answer
	lieEnabled bool   // QueryEnabledInterrupts reports nothing enabled
	panicOn    string // method that panics
	errOn      string // method that returns an error
}

type fakeCall struct {
	op   string
	bank int
}

var errInjected = errors.New("injected failure")

func newFake(s fakeSpec) *fakeController {
	if s.flags == 0 {
		s.flags = clx.MemoryMapped
	}
	nb := (s.pins + s.perBank - 1) / s.perBank
	return &fakeController{spec: s, levels: map[int]bool{}, enable: make([]uint64, nb), mask: make([]uint64, nb), status: make([]uint64, nb)}
}

func (fc *fakeController) framework(t testing.TB) *clx.Framework {
	t.Helper()
	f, err := clx.New(context.Background(), fc, clx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

// vanish takes the controller away: from now on every call answers with
// an error wrapping clx.ErrControllerGone (and is still logged).
func (fc *fakeController) vanish() {
	fc.mu.Lock()
	fc.gone = true
	fc.mu.Unlock()
}

// enter logs a call and applies the removal, or the injected panic or
// error, for op.
func (fc *fakeController) enter(op string, bank int) error {
	fc.mu.Lock()
	fc.log = append(fc.log, fakeCall{op, bank})
	gone := fc.gone
	fc.mu.Unlock()
	if gone {
		return fmt.Errorf("fake: %s: device unplugged: %w", op, clx.ErrControllerGone)
	}
	if fc.spec.panicOn == op {
		panic("fake: injected panic in " + op)
	}
	if fc.spec.errOn == op {
		return errInjected
	}
	return nil
}

func (fc *fakeController) calls() []fakeCall {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return append([]fakeCall(nil), fc.log...)
}

func (fc *fakeController) level(pin int) bool {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.levels[pin]
}

func (fc *fakeController) lastIORequest() clx.IORequest {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.lastIO
}

// fire latches status on pin and raises the primary interrupt if the pin
// is enabled and unmasked.
func (fc *fakeController) fire(pin int) {
	b, i := pin/fc.spec.perBank, pin%fc.spec.perBank
	fc.mu.Lock()
	fc.status[b] |= 1 << i
	raise := fc.enable[b]&^fc.mask[b]&(1<<i) != 0
	irq := fc.irq
	fc.mu.Unlock()
	if raise && irq != nil {
		irq.Raise(b)
	}
}

// raise signals the primary interrupt whatever the status.
func (fc *fakeController) raise(bank int) {
	fc.mu.Lock()
	irq := fc.irq
	fc.mu.Unlock()
	irq.Raise(bank)
}

func (fc *fakeController) Info() clx.Info {
	return clx.Info{TotalPins: fc.spec.pins, PinsPerBank: fc.spec.perBank, Flags: fc.spec.flags}
}
func (fc *fakeController) Prepare(ctx context.Context) error { return fc.enter("Prepare", -1) }
func (fc *fakeController) Release(ctx context.Context) error { return fc.enter("Release", -1) }
func (fc *fakeController) Start(ctx context.Context, irq clx.PrimaryInterrupt) error {
	if err := fc.enter("Start", -1); err != nil {
		return err
	}
	fc.mu.Lock()
	fc.irq = irq
	fc.mu.Unlock()
	return nil
}
func (fc *fakeController) Stop(ctx context.Context) error {
	fc.mu.Lock()
	fc.stopped = true
	fc.mu.Unlock()
	return fc.enter("Stop", -1)
}

func (fc *fakeController) ConnectIOPins(ctx context.Context, r *clx.IORequest) error {
	if err := fc.enter("connect", r.Bank); err != nil {
		return err
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.lastIO = *r
	return nil
}
func (fc *fakeController) DisconnectIOPins(ctx context.Context, r *clx.IORequest) error {
	return fc.enter("disconnect", r.Bank)
}
func (fc *fakeController) ReadPins(ctx context.Context, bank int, pins []int) (uint64, error) {
	if err := fc.enter("read", bank); err != nil {
		return 0, err
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	var v uint64
	for k, i := range pins {
		if fc.levels[bank*fc.spec.perBank+i] {
			v |= 1 << k
		}
	}
	return v, nil
}
func (fc *fakeController) WritePins(ctx context.Context, bank int, pins []int, values uint64) error {
	if err := fc.enter("write", bank); err != nil {
		return err
	}
	fc.mu.Lock()
	for k, i := range pins {
		fc.levels[bank*fc.spec.perBank+i] = values>>k&1 != 0
	}
	after := fc.afterWrite
	fc.mu.Unlock()
	if after != nil {
		after(bank)
	}
	return nil
}
func (fc *fakeController) EnableInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	if err := fc.enter("enable", r.Bank); err != nil {
		return err
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.enable[r.Bank] |= 1 << r.Pin
	fc.mask[r.Bank] &^= 1 << r.Pin
	fc.status[r.Bank] &^= 1 << r.Pin
	return nil
}
func (fc *fakeController) DisableInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	if err := fc.enter("disable", r.Bank); err != nil {
		return err
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.enable[r.Bank] &^= 1 << r.Pin
	return nil
}
func (fc *fakeController) MaskInterrupts(ctx context.Context, bank int, m uint64) (uint64, error) {
	if err := fc.enter("mask", bank); err != nil {
		return m, err
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.mask[bank] |= m &^ fc.spec.failMask
	return m & fc.spec.failMask, nil
}
func (fc *fakeController) UnmaskInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	if err := fc.enter("unmask", r.Bank); err != nil {
		return err
	}
	fc.mu.Lock()
	fc.mask[r.Bank] &^= 1 << r.Pin
	raise := fc.status[r.Bank]&fc.enable[r.Bank]&^fc.mask[r.Bank] != 0
	irq := fc.irq
	fc.mu.Unlock()
	if raise {
		irq.Raise(r.Bank)
	}
	return nil
}
func (fc *fakeController) QueryActiveInterrupts(ctx context.Context, bank int, en uint64) (uint64, error) {
	if err := fc.enter("query", bank); err != nil {
		return 0, err
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	a := fc.status[bank]&fc.enable[bank]&^fc.mask[bank] | fc.spec.phantom
	if fc.spec.flags&clx.AutoClearOnRead != 0 {
		fc.status[bank] &^= a
	}
	return a, nil
}
func (fc *fakeController) ClearActiveInterrupts(ctx context.Context, bank int, m uint64) (uint64, error) {
	if err := fc.enter("clear", bank); err != nil {
		return m, err
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.clears++
	fc.status[bank] &^= m &^ fc.spec.failClear
	return m & fc.spec.failClear, nil
}
func (fc *fakeController) QueryEnabledInterrupts(ctx context.Context, bank int) (uint64, error) {
	if err := fc.enter("query-enabled", bank); err != nil {
		return 0, err
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.spec.lieEnabled {
		return 0, nil
	}
	return fc.enable[bank], nil
}

var (
	_ clx.Controller            = (*fakeController)(nil)
	_ clx.IOConnector           = (*fakeController)(nil)
	_ clx.IODisconnector        = (*fakeController)(nil)
	_ clx.PinReader             = (*fakeController)(nil)
	_ clx.PinWriter             = (*fakeController)(nil)
	_ clx.InterruptEnabler      = (*fakeController)(nil)
	_ clx.InterruptDisabler     = (*fakeController)(nil)
	_ clx.InterruptMasker       = (*fakeController)(nil)
	_ clx.InterruptUnmasker     = (*fakeController)(nil)
	_ clx.ActiveQuerier         = (*fakeController)(nil)
	_ clx.ActiveClearer         = (*fakeController)(nil)
	_ clx.EnabledQuerier        = (*fakeController)(nil)
	_ clx.InterruptReconfigurer = (*reconfigFake)(nil)
)

// reconfigFake adds ReconfigureInterrupt, for the emulation flags.
type reconfigFake struct{ *fakeController }

func (r reconfigFake) ReconfigureInterrupt(ctx context.Context, q *clx.InterruptRequest) error {
	return r.enter("reconfigure", q.Bank)
}

// lifecycleOnly is the smallest valid controller: no I/O, no interrupts.
type lifecycleOnly struct{ info clx.Info }

func (l lifecycleOnly) Info() clx.Info                                  { return l.info }
func (lifecycleOnly) Prepare(context.Context) error                     { return nil }
func (lifecycleOnly) Release(context.Context) error                     { return nil }
func (lifecycleOnly) Start(context.Context, clx.PrimaryInterrupt) error { return nil }
func (lifecycleOnly) Stop(context.Context) error                        { return nil }

type connectOnly struct{ lifecycleOnly }

func (connectOnly) ConnectIOPins(context.Context, *clx.IORequest) error { return nil }

type halfInterrupts struct{ lifecycleOnly }

func (halfInterrupts) EnableInterrupt(context.Context, *clx.InterruptRequest) error  { return nil }
func (halfInterrupts) DisableInterrupt(context.Context, *clx.InterruptRequest) error { return nil }

type saveOnly struct{ lifecycleOnly }

func (saveOnly) SaveBankContext(context.Context, int) error { return nil }

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func countOps(calls []fakeCall, op string) int {
	n := 0
	for _, c := range calls {
		if c.op == op {
			n++
		}
	}
	return n
}

package clx

import (
	"context"
)

// A controller driver that panics must not take the framework down: every
// call into the controller goes through one of these wrappers, which turn
// a panic into an error wrapping ErrControllerDriver. Locks the framework
// holds around the call are released by its usual paths.

// DriverPanicError is a controller callback that panicked.
type DriverPanicError struct {
	Method string // the controller method
	Value  any    // the recovered value
}

// Error describes the panic.
func (e *DriverPanicError) Error() string {
	return "clx: controller driver error: " + e.Method + " panicked: " + anyString(e.Value)
}

// Unwrap returns ErrControllerDriver.
func (e *DriverPanicError) Unwrap() error { return ErrControllerDriver }

func recoverTo(err *error, method string) {
	if v := recover(); v != nil {
		*err = &DriverPanicError{Method: method, Value: v}
	}
}

func guardLifecycle(method string, fn func() error) (err error) {
	defer recoverTo(&err, method)
	return fn()
}

func guardInfo(ctrl Controller) (info Info, err error) {
	defer recoverTo(&err, "Info")
	return ctrl.Info(), nil
}

type guardIOConnect struct {
	IOConnector
	*sentry
}

func (g *guardIOConnect) ConnectIOPins(ctx context.Context, r *IORequest) (err error) {
	defer g.check(&err, "ConnectIOPins")
	return g.IOConnector.ConnectIOPins(ctx, r)
}

type guardIODisconnect struct {
	IODisconnector
	*sentry
}

func (g *guardIODisconnect) DisconnectIOPins(ctx context.Context, r *IORequest) (err error) {
	defer g.check(&err, "DisconnectIOPins")
	return g.IODisconnector.DisconnectIOPins(ctx, r)
}

type guardReadPins struct {
	PinReader
	*sentry
}

func (g *guardReadPins) ReadPins(ctx context.Context, bank int, pins []int) (v uint64, err error) {
	defer g.check(&err, "ReadPins")
	return g.PinReader.ReadPins(ctx, bank, pins)
}

type guardWritePins struct {
	PinWriter
	*sentry
}

func (g *guardWritePins) WritePins(ctx context.Context, bank int, pins []int, values uint64) (err error) {
	defer g.check(&err, "WritePins")
	return g.PinWriter.WritePins(ctx, bank, pins, values)
}

type guardReadMask struct {
	MaskReader
	*sentry
}

func (g *guardReadMask) ReadPinsMask(ctx context.Context, bank int) (v uint64, err error) {
	defer g.check(&err, "ReadPinsMask")
	return g.MaskReader.ReadPinsMask(ctx, bank)
}

type guardWriteMask struct {
	MaskWriter
	*sentry
}

func (g *guardWriteMask) WritePinsMask(ctx context.Context, bank int, set, clear uint64) (err error) {
	defer g.check(&err, "WritePinsMask")
	return g.MaskWriter.WritePinsMask(ctx, bank, set, clear)
}

type guardEnable struct {
	InterruptEnabler
	*sentry
}

func (g *guardEnable) EnableInterrupt(ctx context.Context, r *InterruptRequest) (err error) {
	defer g.check(&err, "EnableInterrupt")
	return g.InterruptEnabler.EnableInterrupt(ctx, r)
}

type guardDisable struct {
	InterruptDisabler
	*sentry
}

func (g *guardDisable) DisableInterrupt(ctx context.Context, r *InterruptRequest) (err error) {
	defer g.check(&err, "DisableInterrupt")
	return g.InterruptDisabler.DisableInterrupt(ctx, r)
}

type guardMask struct {
	InterruptMasker
	*sentry
}

func (g *guardMask) MaskInterrupts(ctx context.Context, bank int, mask uint64) (failed uint64, err error) {
	defer g.check(&err, "MaskInterrupts")
	return g.InterruptMasker.MaskInterrupts(ctx, bank, mask)
}

type guardUnmask struct {
	InterruptUnmasker
	*sentry
}

func (g *guardUnmask) UnmaskInterrupt(ctx context.Context, r *InterruptRequest) (err error) {
	defer g.check(&err, "UnmaskInterrupt")
	return g.InterruptUnmasker.UnmaskInterrupt(ctx, r)
}

type guardQuery struct {
	ActiveQuerier
	*sentry
}

func (g *guardQuery) QueryActiveInterrupts(ctx context.Context, bank int, enabled uint64) (a uint64, err error) {
	defer g.check(&err, "QueryActiveInterrupts")
	return g.ActiveQuerier.QueryActiveInterrupts(ctx, bank, enabled)
}

type guardClear struct {
	ActiveClearer
	*sentry
}

func (g *guardClear) ClearActiveInterrupts(ctx context.Context, bank int, mask uint64) (failed uint64, err error) {
	defer g.check(&err, "ClearActiveInterrupts")
	return g.ActiveClearer.ClearActiveInterrupts(ctx, bank, mask)
}

type guardQueryEnabled struct {
	EnabledQuerier
	*sentry
}

func (g *guardQueryEnabled) QueryEnabledInterrupts(ctx context.Context, bank int) (v uint64, err error) {
	defer g.check(&err, "QueryEnabledInterrupts")
	return g.EnabledQuerier.QueryEnabledInterrupts(ctx, bank)
}

type guardReconfig struct {
	InterruptReconfigurer
	*sentry
}

func (g *guardReconfig) ReconfigureInterrupt(ctx context.Context, r *InterruptRequest) (err error) {
	defer g.check(&err, "ReconfigureInterrupt")
	return g.InterruptReconfigurer.ReconfigureInterrupt(ctx, r)
}

type guardPreProcess struct {
	PreProcessor
	*sentry
}

func (g *guardPreProcess) PreProcessInterrupt(ctx context.Context, bank int) (err error) {
	defer g.check(&err, "PreProcessInterrupt")
	return g.PreProcessor.PreProcessInterrupt(ctx, bank)
}

type guardDescribe struct {
	EventDescriber
	*sentry
}

func (g *guardDescribe) InterruptEvent(ctx context.Context, bank, pin int) (ev Event, err error) {
	defer g.check(&err, "InterruptEvent")
	return g.EventDescriber.InterruptEvent(ctx, bank, pin)
}

type guardSave struct {
	BankContextSaver
	*sentry
}

func (g *guardSave) SaveBankContext(ctx context.Context, bank int) (err error) {
	defer g.check(&err, "SaveBankContext")
	return g.BankContextSaver.SaveBankContext(ctx, bank)
}

type guardRestore struct {
	BankContextRestorer
	*sentry
}

func (g *guardRestore) RestoreBankContext(ctx context.Context, bank int) (err error) {
	defer g.check(&err, "RestoreBankContext")
	return g.BankContextRestorer.RestoreBankContext(ctx, bank)
}

type guardSuspend struct {
	Suspender
	*sentry
}

func (g *guardSuspend) Suspend(ctx context.Context) (err error) {
	defer g.check(&err, "Suspend")
	return g.Suspender.Suspend(ctx)
}

func (g *guardSuspend) Resume(ctx context.Context) (err error) {
	defer g.check(&err, "Resume")
	return g.Suspender.Resume(ctx)
}

type guardSpecific struct {
	SpecificFunctioner
	*sentry
}

func (g *guardSpecific) ControllerSpecificFunction(ctx context.Context, in []byte) (out []byte, err error) {
	defer g.check(&err, "ControllerSpecificFunction")
	return g.SpecificFunctioner.ControllerSpecificFunction(ctx, in)
}

// guard wraps every discovered capability; s watches what they return.
func (c *capabilities) guard(s *sentry) {
	if c.ioConnect != nil {
		c.ioConnect = &guardIOConnect{c.ioConnect, s}
	}
	if c.ioDisconnect != nil {
		c.ioDisconnect = &guardIODisconnect{c.ioDisconnect, s}
	}
	if c.readPins != nil {
		c.readPins = &guardReadPins{c.readPins, s}
	}
	if c.writePins != nil {
		c.writePins = &guardWritePins{c.writePins, s}
	}
	if c.readMask != nil {
		c.readMask = &guardReadMask{c.readMask, s}
	}
	if c.writeMask != nil {
		c.writeMask = &guardWriteMask{c.writeMask, s}
	}
	if c.enable != nil {
		c.enable = &guardEnable{c.enable, s}
	}
	if c.disable != nil {
		c.disable = &guardDisable{c.disable, s}
	}
	if c.mask != nil {
		c.mask = &guardMask{c.mask, s}
	}
	if c.unmask != nil {
		c.unmask = &guardUnmask{c.unmask, s}
	}
	if c.query != nil {
		c.query = &guardQuery{c.query, s}
	}
	if c.clear != nil {
		c.clear = &guardClear{c.clear, s}
	}
	if c.queryEn != nil {
		c.queryEn = &guardQueryEnabled{c.queryEn, s}
	}
	if c.reconfig != nil {
		c.reconfig = &guardReconfig{c.reconfig, s}
	}
	if c.preproc != nil {
		c.preproc = &guardPreProcess{c.preproc, s}
	}
	if c.describer != nil {
		c.describer = &guardDescribe{c.describer, s}
	}
	if c.save != nil {
		c.save = &guardSave{c.save, s}
	}
	if c.restore != nil {
		c.restore = &guardRestore{c.restore, s}
	}
	if c.specific != nil {
		c.specific = &guardSpecific{c.specific, s}
	}
	if c.suspender != nil {
		c.suspender = &guardSuspend{c.suspender, s}
	}
}

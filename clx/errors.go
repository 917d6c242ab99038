package clx

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error clx returns wraps one of these; test with
// errors.Is.
var (
	ErrInvalidArgument   = errors.New("clx: invalid argument")
	ErrSharingViolation  = errors.New("clx: sharing violation")
	ErrOperationDenied   = errors.New("clx: operation denied")
	ErrBufferTooSmall    = errors.New("clx: buffer too small")
	ErrNotSupported      = errors.New("clx: not supported")
	ErrControllerDriver  = errors.New("clx: controller driver error")
	ErrInterruptStorm    = errors.New("clx: interrupt storm")
	ErrISRPanic          = errors.New("clx: service routine panicked")
	ErrClosed            = errors.New("clx: closed")
	ErrIncompleteDriver  = errors.New("clx: incomplete controller driver")
	ErrInterruptDisabled = errors.New("clx: interrupt disabled")
	// ErrControllerGone: the controller went away (a board unplugged, a
	// chip whose device was removed). A driver returns an error wrapping
	// it from any call once its hardware is gone; the framework then fails
	// every connection with it and calls the controller no more (see
	// Framework.Gone).
	ErrControllerGone = errors.New("clx: controller gone")
)

// PinError is an error about one pin: the operation, the controller-relative
// pin, its bank, and (for sharing violations) the holder of the pin.
// Pin and Bank are -1 when the error concerns a whole bank or no pin.
type PinError struct {
	Op     string // operation, e.g. "connect-io", "mask", "dispatch"
	Pin    int
	Bank   int
	Holder string // the connection holding the pin, for sharing violations
	Err    error  // the cause; wraps a sentinel
}

// Error formats the error as
//
//	clx: OP pin P (bank B) held by "HOLDER": cause
//
// leaving out the pin, the bank and the holder where there are none, and
// the cause's own "clx: " prefix.
func (e *PinError) Error() string {
	s := "clx: " + e.Op
	if e.Pin >= 0 {
		s += " pin " + strconv.Itoa(e.Pin)
	}
	if e.Bank >= 0 {
		s += " (bank " + strconv.Itoa(e.Bank) + ")"
	}
	if e.Holder != "" {
		s += " held by " + strconv.Quote(e.Holder)
	}
	return s + ": " + trimPrefix(e.Err.Error())
}

// Unwrap returns the cause.
func (e *PinError) Unwrap() error { return e.Err }

// StormError reports a level interrupt that kept firing with no service
// routine claiming it. The pin has been disabled.
type StormError struct {
	Pin   int
	Bank  int
	Count int // unclaimed deliveries in a row
}

// Error describes the storm.
func (e *StormError) Error() string {
	return "clx: interrupt storm on pin " + strconv.Itoa(e.Pin) + " (bank " + strconv.Itoa(e.Bank) +
		"): " + strconv.Itoa(e.Count) + " unclaimed deliveries in a row; pin disabled"
}

// Unwrap returns ErrInterruptStorm.
func (e *StormError) Unwrap() error { return ErrInterruptStorm }

// PanicError reports a service routine (ISR or DPC) that panicked. The
// interrupt connection has been disabled.
type PanicError struct {
	Pin     int
	Routine string // "isr" or "dpc"
	Value   any    // the recovered value
}

// Error describes the panic.
func (e *PanicError) Error() string {
	return "clx: " + e.Routine + " of pin " + strconv.Itoa(e.Pin) + " panicked: " + anyString(e.Value) +
		"; interrupt connection disabled"
}

// Unwrap returns ErrISRPanic.
func (e *PanicError) Unwrap() error { return ErrISRPanic }

func anyString(v any) string {
	switch x := v.(type) {
	case error:
		return x.Error()
	case string:
		return x
	case interface{ String() string }:
		return x.String()
	}
	return "non-string panic value"
}

func trimPrefix(s string) string {
	if len(s) > 5 && s[:5] == "clx: " {
		return s[5:]
	}
	return s
}

func pinErr(op string, pin, bank int, err error) error {
	return &PinError{Op: op, Pin: pin, Bank: bank, Err: err}
}

// driverErr marks err, returned by a controller callback, as a controller
// driver error while keeping it reachable with errors.Is/As.
func driverErr(op string, pin, bank int, err error) error {
	return pinErr(op, pin, bank, asDriverErr(err))
}

// asDriverErr makes err wrap ErrControllerDriver.
func asDriverErr(err error) error {
	if errors.Is(err, ErrControllerDriver) {
		return err
	}
	return &wrapped{ErrControllerDriver, err}
}

// wrapped joins a sentinel and a cause: Error reads "sentinel: cause" and
// both are reachable through Unwrap.
type wrapped struct{ kind, cause error }

func (w *wrapped) Error() string   { return w.kind.Error() + ": " + w.cause.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.kind, w.cause} }

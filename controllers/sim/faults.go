package sim

import (
	"errors"
	"fmt"
	"sync"

	"github.com/gpiohil/gpiohil/clx"
)

// ErrInjected is what a method armed with FaultError returns, wrapped
// with the method's name.
var ErrInjected = errors.New("sim: injected fault")

// FaultMode is how an armed method misbehaves on its next call.
type FaultMode int

const (
	// FaultNone disarms the method.
	FaultNone FaultMode = iota
	// FaultError makes the call change nothing and return an error
	// wrapping ErrInjected.
	FaultError
	// FaultPanic makes the call change nothing and panic.
	FaultPanic
	// FaultUnapplied makes MaskInterrupts or ClearActiveInterrupts change
	// nothing and report, without an error, every pin it was asked for as
	// failed.
	FaultUnapplied
	// FaultPhantom makes QueryActiveInterrupts report, besides what is
	// active, every pin of the bank outside the set the framework asked
	// about: status the framework never enabled.
	FaultPhantom
)

// String names the mode.
func (m FaultMode) String() string {
	switch m {
	case FaultNone:
		return "none"
	case FaultError:
		return "error"
	case FaultPanic:
		return "panic"
	case FaultUnapplied:
		return "unapplied"
	case FaultPhantom:
		return "phantom"
	}
	return fmt.Sprintf("FaultMode(%d)", int(m))
}

// faultModes lists the methods that can be armed and the modes each
// takes beyond FaultNone, FaultError and FaultPanic.
var faultModes = map[string][]FaultMode{
	"ConnectIOPins": nil, "DisconnectIOPins": nil,
	"ReadPins": nil, "ReadPinsMask": nil, "WritePins": nil, "WritePinsMask": nil,
	"EnableInterrupt": nil, "DisableInterrupt": nil,
	"MaskInterrupts": {FaultUnapplied}, "UnmaskInterrupt": nil,
	"QueryActiveInterrupts": {FaultPhantom}, "ClearActiveInterrupts": {FaultUnapplied},
	"QueryEnabledInterrupts": nil, "ReconfigureInterrupt": nil, "InterruptEvent": nil,
	"SaveBankContext": nil, "RestoreBankContext": nil, "ControllerSpecificFunction": nil,
	"Suspend": nil, "Resume": nil,
}

// faults holds the armed methods; its own lock, since a method consults
// it before taking c.mu.
type faults struct {
	mu    sync.Mutex
	armed map[string]FaultMode
}

// InjectFault arms method (a clx controller method the sim implements,
// such as "MaskInterrupts"): its next call misbehaves as mode says, and
// the calls after it are served again. FaultNone disarms it. A method or
// mode the sim cannot fail that way is an error wrapping
// clx.ErrInvalidArgument.
func (c *Controller) InjectFault(method string, mode FaultMode) error {
	extra, ok := faultModes[method]
	if !ok {
		return fmt.Errorf("sim: inject a fault: no method %q: %w", method, clx.ErrInvalidArgument)
	}
	valid := mode == FaultNone || mode == FaultError || mode == FaultPanic
	for _, m := range extra {
		valid = valid || m == mode
	}
	if !valid {
		return fmt.Errorf("sim: inject a fault: %s cannot fail as %s: %w", method, mode, clx.ErrInvalidArgument)
	}
	c.faults.mu.Lock()
	defer c.faults.mu.Unlock()
	if mode == FaultNone {
		delete(c.faults.armed, method)
		return nil
	}
	if c.faults.armed == nil {
		c.faults.armed = map[string]FaultMode{}
	}
	c.faults.armed[method] = mode
	return nil
}

// fault fires method's armed fault: it panics for FaultPanic, and
// otherwise returns the mode (disarmed, it is FaultNone) with, for
// FaultError, the error the method returns. Every method the sim can fail
// calls it first, holding no lock.
func (c *Controller) fault(method string) (FaultMode, error) {
	c.faults.mu.Lock()
	mode := c.faults.armed[method]
	delete(c.faults.armed, method)
	c.faults.mu.Unlock()
	switch mode {
	case FaultPanic:
		panic("sim: injected panic in " + method)
	case FaultError:
		return mode, fmt.Errorf("sim: %s: %w", method, ErrInjected)
	}
	return mode, nil
}

// bankMask has a bit for every pin of a bank.
func (c *Controller) bankMask() uint64 {
	return uint64(1)<<c.cfg.PinsPerBank - 1 // a shift by 64 is 0: all 64 bits
}

package clx

import (
	"context"
	"time"
)

// Controller is what every controller driver implements: lifecycle and
// basic information. Everything else is an optional capability interface
// (see the package documentation), discovered by type assertion.
//
// The framework serializes calls into a controller per bank (see
// Flags.MemoryMapped); a driver need not be safe for concurrent calls on
// the same bank. Calls for different banks may run concurrently.
type Controller interface {
	// Info reports the controller's pins, banks and flags. Called once,
	// after Prepare.
	Info() Info
	// Prepare acquires the controller's resources.
	Prepare(ctx context.Context) error
	// Start makes the controller operational. irq is the handle through
	// which it signals its primary interrupt.
	Start(ctx context.Context, irq PrimaryInterrupt) error
	// Stop stops the controller: every interrupt is disabled and no
	// interrupt is raised afterwards.
	Stop(ctx context.Context) error
	// Release frees what Prepare acquired.
	Release(ctx context.Context) error
}

// PrimaryInterrupt is the handle a controller uses to signal its primary
// interrupt. Raise may be called from any goroutine, including from inside
// a callback the framework made into the controller; it never blocks on
// the framework's locks. A memory-mapped controller's interrupt is
// dispatched in the raising goroutine unless the bank's interrupt lock is
// held, in which case its holder dispatches as it releases it.
type PrimaryInterrupt interface {
	// Raise signals the primary interrupt of bank; AllBanks signals a
	// shared interrupt line covering every bank.
	Raise(bank int)
}

// AllBanks, passed to PrimaryInterrupt.Raise, signals every bank.
const AllBanks = -1

// IORequest describes the pins of one bank in an I/O connection, as passed
// to IOConnector and IODisconnector.
type IORequest struct {
	Bank      int
	Pins      []int // indexes within the bank, in connection order
	Direction Direction
	Pull      Pull
	Drive     Drive
	Debounce  time.Duration
	// Initial holds the output levels for an output connection, bit i for
	// Pins[i].
	Initial uint64
	// Preserve (on disconnect) asks the controller to leave outputs at
	// their level instead of returning the pins to their default state.
	Preserve bool
}

// IOConnector configures pins for an I/O connection (part of the I/O group).
type IOConnector interface {
	ConnectIOPins(ctx context.Context, r *IORequest) error
}

// IODisconnector returns pins to their default state, or keeps outputs
// when r.Preserve (part of the I/O group).
type IODisconnector interface {
	DisconnectIOPins(ctx context.Context, r *IORequest) error
}

// PinReader reads pins of one bank in pin-table form: bit i of the result
// is the level of pins[i].
type PinReader interface {
	ReadPins(ctx context.Context, bank int, pins []int) (uint64, error)
}

// PinWriter writes pins of one bank in pin-table form: bit i of values is
// the level for pins[i].
type PinWriter interface {
	WritePins(ctx context.Context, bank int, pins []int, values uint64) error
}

// MaskReader reads a whole bank: bit n is the level of bank index n.
// Used instead of PinReader when the controller sets IOAsMasks.
type MaskReader interface {
	ReadPinsMask(ctx context.Context, bank int) (uint64, error)
}

// MaskWriter drives the pins in set high and those in clear low, leaving
// the others. Used instead of PinWriter when the controller sets IOAsMasks.
type MaskWriter interface {
	WritePinsMask(ctx context.Context, bank int, set, clear uint64) error
}

// InterruptRequest describes one pin's interrupt as programmed into the
// controller.
type InterruptRequest struct {
	Bank     int
	Pin      int // index within the bank
	Mode     Mode
	Polarity Polarity // ActiveBoth only when the controller senses both edges
	Pull     Pull
	Debounce time.Duration // zero when the framework emulates debounce
}

// InterruptEnabler programs and enables a pin's interrupt: mode, polarity,
// pull and debounce; it clears stale status and leaves the pin unmasked.
type InterruptEnabler interface {
	EnableInterrupt(ctx context.Context, r *InterruptRequest) error
}

// InterruptDisabler disables a pin's interrupt and discards its
// configuration and status.
type InterruptDisabler interface {
	DisableInterrupt(ctx context.Context, r *InterruptRequest) error
}

// InterruptMasker masks the pins in mask, keeping their configuration and
// status. It returns the pins it failed to mask.
type InterruptMasker interface {
	MaskInterrupts(ctx context.Context, bank int, mask uint64) (failed uint64, err error)
}

// InterruptUnmasker unmasks one pin; r carries its full configuration for
// controllers that must reprogram it.
type InterruptUnmasker interface {
	UnmaskInterrupt(ctx context.Context, r *InterruptRequest) error
}

// ActiveQuerier returns the pins of bank with active interrupt status.
// enabled is the set of pins the framework expects could be active (enabled
// and unmasked); an answer outside it is a controller-driver error.
type ActiveQuerier interface {
	QueryActiveInterrupts(ctx context.Context, bank int, enabled uint64) (active uint64, err error)
}

// ActiveClearer clears the status of the pins in mask and returns the pins
// it failed to clear. Not needed with AutoClearOnRead.
type ActiveClearer interface {
	ClearActiveInterrupts(ctx context.Context, bank int, mask uint64) (failed uint64, err error)
}

// EnabledQuerier reads the set of enabled pins from the hardware (never
// from a cache). Optional; the framework cross-checks it with its own view.
type EnabledQuerier interface {
	QueryEnabledInterrupts(ctx context.Context, bank int) (uint64, error)
}

// InterruptReconfigurer changes the mode and polarity of an enabled pin.
// Required with EmulateActiveBoth and EmulateDebounce.
type InterruptReconfigurer interface {
	ReconfigureInterrupt(ctx context.Context, r *InterruptRequest) error
}

// PreProcessor captures volatile status in the primary-interrupt context,
// before a bus-attached controller's dispatch runs in its worker.
type PreProcessor interface {
	PreProcessInterrupt(ctx context.Context, bank int) error
}

// EventDescriber reports what the controller recorded about the event
// latched on a pin (its timestamp, the new level). Optional; called during
// dispatch, after QueryActiveInterrupts, for each active pin. An error is
// reported as a controller-driver error and the pin is delivered without
// the event's details.
type EventDescriber interface {
	InterruptEvent(ctx context.Context, bank, pin int) (Event, error)
}

// BankContextSaver saves a bank's context (configuration, mask and enable
// state) before the bank loses power (part of the bank power group).
type BankContextSaver interface {
	SaveBankContext(ctx context.Context, bank int) error
}

// BankContextRestorer restores a bank's saved context, the enable state
// last (part of the bank power group).
type BankContextRestorer interface {
	RestoreBankContext(ctx context.Context, bank int) error
}

// Suspender suspends and resumes the whole controller (the suspend
// group). Suspend keeps every pin's configuration, enable and mask state
// and its latched status (an edge latched while masked is still delivered
// on unmask after Resume), and stops raising the primary interrupt; edges
// that arrive while suspended are lost. Between the two the framework may
// still mask, unmask, enable and disable pins (clients keep their
// connections and may open and close them); the driver applies those
// calls to what it keeps. Resume brings every enabled pin back as last
// configured and raises the primary interrupt for any unmasked pin with
// status: an edge latched before the suspend, or an asserted level.
type Suspender interface {
	Suspend(ctx context.Context) error
	Resume(ctx context.Context) error
}

// SpecificFunctioner handles controller-specific (vendor) requests, opaque
// to the framework.
type SpecificFunctioner interface {
	ControllerSpecificFunction(ctx context.Context, in []byte) ([]byte, error)
}

// The groups of the capability matrix as composed interfaces, so that a
// driver can have the compiler check it implements a whole group:
//
//	var _ clx.InterruptController = (*Controller)(nil)
//
// New still discovers each method by its own one-method interface, so a
// driver may implement a group in another valid shape (read-only I/O,
// AutoClearOnRead without ActiveClearer, the mask forms of I/O).

// IOController is a controller with the whole pin-table I/O group.
type IOController interface {
	Controller
	IOConnector
	IODisconnector
	PinReader
	PinWriter
}

// MaskIOController is a controller with the whole I/O group in mask form
// (Flags IOAsMasks).
type MaskIOController interface {
	Controller
	IOConnector
	IODisconnector
	MaskReader
	MaskWriter
}

// InterruptController is a controller with the whole interrupt group,
// clearing status on request.
type InterruptController interface {
	Controller
	InterruptEnabler
	InterruptDisabler
	InterruptMasker
	InterruptUnmasker
	ActiveQuerier
	ActiveClearer
}

// BankPowerController is a controller with the bank power group.
type BankPowerController interface {
	Controller
	BankContextSaver
	BankContextRestorer
}

// SuspendController is a controller with the suspend group.
type SuspendController interface {
	Controller
	Suspender
}

package clx

import (
	"strconv"
	"time"
)

// Level is the logical level of a pin. The zero value is Low.
type Level uint8

// Levels.
const (
	Low  Level = 0
	High Level = 1
)

// String returns "low" or "high".
func (l Level) String() string { return enumName(l, "Level", "low", "high") }

// Pull is the bias applied to a pin that nothing drives. The zero value
// leaves the controller's default in place.
type Pull uint8

// Pulls.
const (
	PullDefault Pull = iota
	PullNone
	PullUp
	PullDown
)

// String returns the pull's name.
func (p Pull) String() string { return enumName(p, "Pull", "default", "none", "up", "down") }

// Drive is the output stage of an output pin. The zero value leaves the
// controller's default (push-pull on most controllers).
type Drive uint8

// Drives.
const (
	DriveDefault Drive = iota
	DrivePushPull
	DriveOpenDrain
	DriveOpenSource
)

// String returns the drive's name.
func (d Drive) String() string {
	return enumName(d, "Drive", "default", "push-pull", "open-drain", "open-source")
}

// Direction is the direction of an I/O connection. The zero value is Input.
type Direction uint8

// Directions.
const (
	Input Direction = iota
	Output
)

// String returns "input" or "output".
func (d Direction) String() string { return enumName(d, "Direction", "input", "output") }

// Restriction limits how an I/O resource may be used, as declared by the
// resource. The zero value is RestrictNone.
type Restriction uint8

// Restrictions.
const (
	// RestrictNone allows input or output; pins return to their default
	// state when the connection closes.
	RestrictNone Restriction = iota
	// RestrictInput allows input connections only.
	RestrictInput
	// RestrictOutput allows output connections only.
	RestrictOutput
	// RestrictNoneAndPreserve allows input or output; outputs keep their
	// level when the connection closes.
	RestrictNoneAndPreserve
)

// String returns the restriction's name.
func (r Restriction) String() string {
	return enumName(r, "Restriction", "none", "input-only", "output-only", "none-and-preserve")
}

// Mode is the trigger mode of an interrupt. The zero value is Edge.
type Mode uint8

// Modes.
const (
	// Edge (latched): a qualifying transition latches status once.
	Edge Mode = iota
	// LevelSensitive: status is asserted for as long as the level is.
	LevelSensitive
)

// String returns "edge" or "level".
func (m Mode) String() string { return enumName(m, "Mode", "edge", "level") }

// Polarity selects which level or edge asserts an interrupt. The zero
// value is ActiveHigh (rising edge in Edge mode).
type Polarity uint8

// Polarities.
const (
	ActiveHigh Polarity = iota // high level, or rising edge
	ActiveLow                  // low level, or falling edge
	ActiveBoth                 // both edges (Edge mode only)
)

// String returns the polarity's name.
func (p Polarity) String() string {
	return enumName(p, "Polarity", "active-high", "active-low", "active-both")
}

// Asserted returns the level at which p asserts; for ActiveBoth it
// returns Low (the GpioClx convention for the first emulated interrupt).
func (p Polarity) Asserted() Level {
	if p == ActiveHigh {
		return High
	}
	return Low
}

// Flags are a controller's attributes, reported once in Info.
type Flags uint32

// Controller attribute flags. See the package documentation for their
// effect on the framework.
const (
	MemoryMapped Flags = 1 << iota
	AutoClearOnRead
	IOAsMasks
	EmulateActiveBoth
	EmulateDebounce
	IndependentIO
)

var flagNames = []string{"MemoryMapped", "AutoClearOnRead", "IOAsMasks", "EmulateActiveBoth", "EmulateDebounce", "IndependentIO"}

// String lists the set flags joined by "|", or "0".
func (f Flags) String() string {
	if f == 0 {
		return "0"
	}
	s := ""
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			if s != "" {
				s += "|"
			}
			s += n
			f &^= 1 << i
		}
	}
	if f != 0 {
		if s != "" {
			s += "|"
		}
		s += "0x" + strconv.FormatUint(uint64(f), 16)
	}
	return s
}

// Info is a controller's basic information, read once at registration.
type Info struct {
	TotalPins   int   // pins on the controller, numbered 0..TotalPins-1
	PinsPerBank int   // 1..64; only the last bank may be short
	Flags       Flags // attributes
}

// Banks returns the number of banks, ceil(TotalPins / PinsPerBank).
func (i Info) Banks() int {
	if i.PinsPerBank <= 0 {
		return 0
	}
	return (i.TotalPins + i.PinsPerBank - 1) / i.PinsPerBank
}

// BankPins returns the number of pins in bank b (the last may be short).
func (i Info) BankPins(b int) int {
	n := i.TotalPins - b*i.PinsPerBank
	if n > i.PinsPerBank {
		n = i.PinsPerBank
	}
	if n < 0 {
		n = 0
	}
	return n
}

// Event is what a controller knows about the interrupt event latched on a
// pin: its own timestamp and, where it knows it, the level the pin moved to.
type Event struct {
	// Time is the event's time on the controller's clock (for example a
	// kernel CLOCK_MONOTONIC edge timestamp); valid when HasTime.
	Time    time.Duration
	HasTime bool
	// Level is the level the pin moved to; valid when HasLevel.
	Level    Level
	HasLevel bool
}

// enumName names value v of a vocabulary type from its names, given in
// value order from zero, or writes Type(v) for a value without one.
func enumName[T ~uint8](v T, typ string, names ...string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return typ + "(" + strconv.Itoa(int(v)) + ")"
}

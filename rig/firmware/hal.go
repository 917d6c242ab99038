package firmware

import "github.com/gpiohil/gpiohil/rig/proto"

// EdgeFunc receives a captured edge in interrupt context: the pin, the
// level it moved to, and the tick at which it was captured.
type EdgeFunc func(pin int, level bool, tick uint64)

// HAL is what a board provides to the core. Pins are numbered 0..Pins-1.
type HAL interface {
	// SetPin drives a pin low or high, or releases it (proto.DriveHiZ)
	// with a pull. Driving sets the level before enabling the output, so
	// a pin turned from input to output never shows a level it was not
	// asked for.
	SetPin(pin int, drive proto.Drive, pull proto.Pull)
	// ReadPin returns the level on a pin.
	ReadPin(pin int) bool
	// ArmEdges enables (on) or disables edge capture on a pin; captured
	// edges, both directions, go to the handler set by SetEdgeHandler.
	ArmEdges(pin int, on bool)
	// SetEdgeHandler installs the edge callback; called once by New.
	SetEdgeHandler(f EdgeFunc)
	// Ticks returns the free-running tick counter.
	Ticks() uint64
	// TickHz returns the tick rate.
	TickHz() uint32
	// ReadSerial copies received bytes into p without blocking and
	// returns how many (0 when none are waiting).
	ReadSerial(p []byte) int
	// WriteSerial sends p.
	WriteSerial(p []byte)
}

// PinOutput is what a board puts on a pin's wire: a driven level, or when
// released its pull (or nothing). Hosts that carry an MCU's pins to a
// target (the rig's harnesses) speak of it.
type PinOutput struct {
	Pin    int
	Driven bool       // driving low or high
	Level  bool       // the driven level, valid when Driven
	Pull   proto.Pull // the pull, when not driven
	Tick   uint64     // when it changed, in the board's ticks
}

// ScheduledOutput is an optional HAL capability: drive a pin at an exact
// future tick (a timer compare or PIO). Probes scheduled with At use it.
type ScheduledOutput interface {
	SetPinAt(pin int, drive proto.Drive, tick uint64)
}

// StampedOutput is an optional HAL capability: drive like SetPin and
// return the tick at which the pin changed. Probes take t0 from it, so a
// probe's t0 is its stimulus edge's own time rather than a reading taken
// next to it.
type StampedOutput interface {
	SetPinStamped(pin int, drive proto.Drive, pull proto.Pull) uint64
}

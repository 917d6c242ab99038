package harness

import (
	"fmt"
	"time"

	"github.com/gpiohil/gpiohil/rig/firmware"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// MCU is the companion MCU's end of the wires: what each of its pins puts
// on its wire, and what the rest of the wire does to it. The virtual MCU
// (rig/virtual) and the emulated Pico (rig/picoemu) are MCUs.
type MCU interface {
	// Pins returns the number of pins.
	Pins() int
	// Output returns what a pin puts on its wire now.
	Output(pin int) firmware.PinOutput
	// OnDrive registers fn to receive every change of what a pin puts on
	// its wire. fn must not block.
	OnDrive(fn func(firmware.PinOutput))
	// SetInput tells the MCU what the rest of a pin's wire does: put a
	// level on it (driven), or nothing.
	SetInput(pin int, driven, level bool) error
}

// StampedMCU is an MCU whose tick counter is this process's monotonic
// clock (the virtual MCU). The harness carries its changes with the time
// they happened and delivers each to the far end stamped with that time
// plus the wire's delay, so both ends' timestamps are exact however late
// a goroutine ran. Other MCUs' changes are stamped when the harness sees
// them.
type StampedMCU interface {
	MCU
	// TickTime returns the host time of a tick.
	TickTime(tick uint64) time.Time
	// SetInputAt is SetInput for a change that reached the pin at host
	// time at (never later than now).
	SetInputAt(pin int, driven, level bool, at time.Time) error
}

// Jumper wires two of an MCU's own pins together, as a jumper wire on a
// board would: what one drives or pulls, the other reads. The conformance
// suite uses it to see edges and probes answered without a target.
func Jumper(m MCU, a, b int) error {
	if a == b || a < 0 || b < 0 || a >= m.Pins() || b >= m.Pins() {
		return fmt.Errorf("%w: jumper %d–%d: want two different pins of 0..%d", ErrBadWiring, a, b, m.Pins()-1)
	}
	m.OnDrive(func(e firmware.PinOutput) {
		var other int
		switch e.Pin {
		case a:
			other = b
		case b:
			other = a
		default:
			return
		}
		driven, level := asLevel(e)
		_ = m.SetInput(other, driven, level)
	})
	return nil
}

// asLevel is what a pin's output puts on a wire as a level: its drive, or
// its pull (a weak pull is seen as a level), or nothing.
func asLevel(o firmware.PinOutput) (driven, level bool) {
	if o.Driven {
		return true, o.Level
	}
	return o.Pull != proto.PullNone, o.Pull == proto.PullUp
}

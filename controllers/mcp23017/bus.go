package mcp23017

import (
	"errors"
	"fmt"

	"github.com/gpiohil/gpiohil/clx"
)

// Bus is the I2C bus the chip is on: one transaction writes w to the
// device at a 7-bit address and then, if r is not empty, reads len(r)
// bytes from it after a repeated start.
type Bus interface {
	Tx(addr uint16, w, r []byte) error
}

// ErrBus is a failed bus transaction; the error wrapping it names the
// register and the bus's own error.
var ErrBus = errors.New("mcp23017: bus transaction failed")

// ErrNoAck is a transaction whose address byte no device acknowledged: a
// Bus returns an error wrapping it for that case (I2CDev does for the
// ENXIO Linux's I2C adapters return). A powered MCP23017 always
// acknowledges its address, so the driver tries such a transaction
// addressTries times, and a chip that answers none of them is gone from
// the bus: the error then wraps clx.ErrControllerGone too, and clx fails
// every connection (see clx's Removal).
var ErrNoAck = errors.New("mcp23017: no device acknowledged the address")

// addressTries is how many times a transaction whose address goes
// unacknowledged is tried before the chip is taken for gone: enough to
// ride out a glitch on the bus, few enough that an unplugged chip is
// noticed within a few transactions' time.
const addressTries = 3

// regs reaches the chip's registers through its map (BANK=0 or 1).
type regs struct {
	bus   Bus
	addr  uint16
	bank1 bool
}

// tx is one transaction with the chip, tried again while its address goes
// unacknowledged (ErrNoAck).
func (b *regs) tx(w, r []byte) error {
	var err error
	for range addressTries {
		if err = b.bus.Tx(b.addr, w, r); !errors.Is(err, ErrNoAck) {
			return err
		}
	}
	return fmt.Errorf("%w: no acknowledgement in %d tries: %w", clx.ErrControllerGone, addressTries, err)
}

func (b *regs) fail(what string, err error) error {
	return fmt.Errorf("%w: %s at %#02x: %w", ErrBus, what, b.addr, err)
}

// readPair reads register r of both ports, port A in the low byte.
func (b *regs) readPair(r Reg) (uint16, error) {
	var v [2]byte
	if b.bank1 {
		for p := PortA; p <= PortB; p++ {
			if err := b.tx([]byte{Addr(r, p, true)}, v[p:p+1]); err != nil {
				return 0, b.fail("read "+r.String(), err)
			}
		}
	} else if err := b.tx([]byte{Addr(r, PortA, false)}, v[:]); err != nil {
		return 0, b.fail("read "+r.String(), err)
	}
	return uint16(v[0]) | uint16(v[1])<<8, nil
}

// writePair writes register r of the ports whose byte differs between old
// and v (both with force): one transaction for both ports in the paired
// map, one per port otherwise.
func (b *regs) writePair(r Reg, old, v uint16, force bool) error {
	changed := [2]bool{force || byte(old) != byte(v), force || old>>8 != v>>8}
	if !b.bank1 && changed[0] && changed[1] {
		if err := b.tx([]byte{Addr(r, PortA, false), byte(v), byte(v >> 8)}, nil); err != nil {
			return b.fail("write "+r.String(), err)
		}
		return nil
	}
	for p := PortA; p <= PortB; p++ {
		if changed[p] {
			if err := b.tx([]byte{Addr(r, p, b.bank1), byte(v >> (8 * p))}, nil); err != nil {
				return b.fail("write "+r.String(), err)
			}
		}
	}
	return nil
}

// status reads INTF, INTCAP and GPIO of both ports (reading INTCAP and
// GPIO ends both ports' interrupts): one transaction in the paired map,
// where the six registers are contiguous, one per port otherwise.
func (b *regs) status() (intf, intcap, gpio uint16, err error) {
	var v [6]byte
	if b.bank1 {
		for p := PortA; p <= PortB; p++ {
			var q [3]byte // INTF, INTCAP, GPIO are contiguous in a port's block
			if err := b.tx([]byte{Addr(INTF, p, true)}, q[:]); err != nil {
				return 0, 0, 0, b.fail("read status", err)
			}
			v[p], v[2+p], v[4+p] = q[0], q[1], q[2]
		}
	} else if err := b.tx([]byte{Addr(INTF, PortA, false)}, v[:]); err != nil {
		return 0, 0, 0, b.fail("read status", err)
	}
	return uint16(v[0]) | uint16(v[1])<<8, uint16(v[2]) | uint16(v[3])<<8, uint16(v[4]) | uint16(v[5])<<8, nil
}

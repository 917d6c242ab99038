// Package mcp23017 is a clx controller driver for the Microchip MCP23017
// 16-pin I2C port expander, written from its datasheet (DS20001952).
//
// The chip is bus-attached: every register access is an I2C transaction
// that sleeps, so clx dispatches its interrupts in a worker goroutine.
// The driver reaches the chip through Bus, a small I2C interface: I2CDev
// is Linux's /dev/i2c-N (what a board runs); the model package has an
// in-process bus and a register-accurate chip for the sim tier.
//
// # Pins and banks
//
// The 16 pins are one clx bank: GPA0–GPA7 are pins 0–7, GPB0–GPB7 pins
// 8–15. The chip's interrupt outputs are mirrored (IOCON.MIRROR), so one
// host GPIO line, the IRQLine, carries the primary interrupt.
//
// # What clx gets from the chip, and what it does not
//
//   - I/O in whole-bank mask form (IOAsMasks): a read is one transaction
//     (GPIOA and GPIOB), a write one (OLATA and OLATB).
//   - Pull-up only (GPPU): a pull-down request fails with an error
//     wrapping clx.ErrNotSupported, and clx returns it to the client that
//     asked; the pin is left as it was. Open-drain and open-source drive
//     fail the same way.
//   - Interrupts: edges use interrupt-on-change (INTCON 0), which fires on
//     both edges; the driver passes on only the edges a rising or falling
//     pin asked for. Levels use compare-to-DEFVAL (INTCON 1, DEFVAL the
//     inactive level). Active-both is native.
//   - No debounce: the driver sets EmulateDebounce and clx debounces.
//   - Status is cleared by reading it (AutoClearOnRead): reading INTCAP or
//     GPIO ends the port's interrupt, so the driver captures status in
//     one read of INTF, INTCAP and GPIO and keeps what it has not yet
//     handed to clx — including status an I/O read would otherwise have
//     cleared.
//   - No timestamps: events carry the captured level only.
//
// # A chip that goes away
//
// A powered MCP23017 always acknowledges its address. A transaction whose
// address goes unacknowledged (ErrNoAck: the model bus's answer for a
// detached chip, ENXIO from I2CDev) is tried again, addressTries times in
// all; a chip that answers none of them is gone, and the error wraps
// clx.ErrControllerGone as well as ErrBus, so clx fails every connection
// with a typed error. The driver has no other way to learn of an unplug:
// the framework finds the chip gone at its next access.
//
// Edges that arrive while a port's interrupt is active are not captured
// by the chip; the driver still sees a pin whose level moved since its
// last capture and latches it, so a burst costs merged edges, not a
// stuck pin.
package mcp23017

// Package model is a register-accurate model of the Microchip MCP23017
// I2C port expander, written from its datasheet (DS20001952), and an
// in-process I2C bus that charges each transaction the time it takes on
// the wire.
//
// The chip has 16 pads (GPA0–GPA7 are pins 0–7, GPB0–GPB7 pins 8–15)
// that a harness drives and senses like the sim controller's: a pad the
// chip does not drive follows what the outside drives on it, else its
// pull-up (GPPU), else reads low (floating). Its INTA and INTB outputs
// change as its interrupt logic does and can be watched as the host GPIO
// line a driver takes its primary interrupt from.
//
// What the model implements, as the datasheet describes it:
//   - both register maps (IOCON.BANK), the address pointer in sequential
//     mode (rolling over to 0 after the last address) and in byte mode
//     (IOCON.SEQOP: toggling within an A/B pair with BANK=0, staying put
//     with BANK=1); IOCON seen at both its addresses; unimplemented
//     addresses read 0 and ignore writes;
//   - reset values: IODIR 0xFF, every other register 0;
//   - interrupt-on-change (INTCON 0) against the pin's previous level,
//     and compare-to-DEFVAL (INTCON 1);
//   - per port, the first interrupt condition sets one INTF bit (the pin
//     that caused it) and copies the port's levels into INTCAP; further
//     changes on that port are not captured until the interrupt is
//     cleared by reading INTCAP or GPIO of the port (the model counts
//     them as merged edges); in compare mode a condition that still holds
//     when cleared interrupts again at once;
//   - IPOL inverts what GPIO (and INTCAP) report of an input pin;
//   - INTA/INTB: active-low push-pull (reset), active-high (INTPOL), or
//     open-drain (ODR, released high by the host's pull-up); with MIRROR
//     both signal either port.
//
// Not modelled: the hardware address pins beyond a fixed bus address,
// SPI (MCP23S17), slew-rate control (DISSLW) and electrical timing.
package model

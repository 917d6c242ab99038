package mcp23017

import "fmt"

// Reg is one of the chip's eleven registers, each present once per port.
type Reg int

// The registers, in the order the datasheet lists them.
const (
	IODIR   Reg = iota // direction: 1 input (reset), 0 output
	IPOL               // input polarity: 1 reads the pin inverted in GPIO
	GPINTEN            // interrupt-on-change enable
	DEFVAL             // the level a compare-mode pin is compared with
	INTCON             // 1 compares with DEFVAL, 0 with the pin's previous level
	IOCON              // configuration, one register seen at both ports' addresses
	GPPU               // 100 kΩ pull-up on inputs
	INTF               // read-only: the pin that caused the port's interrupt
	INTCAP             // read-only: the port's levels when its interrupt occurred
	GPIO               // the pins' levels; a write goes to OLAT
	OLAT               // the output latch
	numRegs
)

var regNames = [numRegs]string{"IODIR", "IPOL", "GPINTEN", "DEFVAL", "INTCON", "IOCON", "GPPU", "INTF", "INTCAP", "GPIO", "OLAT"}

// String names the register.
func (r Reg) String() string {
	if r < 0 || r >= numRegs {
		return fmt.Sprintf("Reg(%d)", int(r))
	}
	return regNames[r]
}

// Port is one of the chip's two 8-pin ports: pins 0–7 are GPA0–GPA7,
// pins 8–15 GPB0–GPB7.
type Port int

// The ports.
const (
	PortA Port = iota
	PortB
)

// IOCON bits.
const (
	IOCONBank   = 1 << 7 // registers grouped by port (BANK=1) instead of paired A/B (BANK=0)
	IOCONMirror = 1 << 6 // INTA and INTB both signal either port's interrupt
	IOCONSeqOp  = 1 << 5 // 1 disables the address pointer's increment
	IOCONDisSlw = 1 << 4 // SDA slew-rate control off
	IOCONHAEn   = 1 << 3 // hardware address enable (the SPI part only)
	IOCONODR    = 1 << 2 // INT pins open-drain (overrides INTPOL)
	IOCONIntPol = 1 << 1 // INT pins active-high (when not open-drain)
)

// Addr is the address of register r of port p: with BANK=0 (the reset
// map) the two ports' registers are paired, A then B (r*2+p); with BANK=1
// each port's registers are contiguous, port B's 0x10 above port A's.
func Addr(r Reg, p Port, bank1 bool) byte {
	if bank1 {
		return byte(int(p)<<4 | int(r))
	}
	return byte(int(r)<<1 | int(p))
}

// RegAt is the register an address selects in one map, or false for an
// unimplemented address.
func RegAt(addr byte, bank1 bool) (Reg, Port, bool) {
	if bank1 {
		r, p := Reg(addr&0x0f), Port(addr>>4)
		return r, p, addr < 0x20 && r < numRegs
	}
	r, p := Reg(addr>>1), Port(addr&1)
	return r, p, r < numRegs
}

// LastAddr is the highest implemented address of a map: the address
// pointer wraps to 0 after it in sequential mode.
func LastAddr(bank1 bool) byte {
	if bank1 {
		return Addr(OLAT, PortB, true)
	}
	return Addr(OLAT, PortB, false)
}

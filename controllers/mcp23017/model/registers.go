package model

import "github.com/gpiohil/gpiohil/controllers/mcp23017"

// Transfer is one I2C transaction addressed to the chip: w's first byte,
// if any, sets the address pointer and the rest are written from there;
// then len(r) bytes are read from where the pointer is (after a repeated
// start). The pointer moves after each byte as IOCON.SEQOP and
// IOCON.BANK say.
func (c *Chip) Transfer(w, r []byte) error {
	c.mu.Lock()
	if len(w) > 0 {
		c.ptr = w[0]
		for _, v := range w[1:] {
			c.writeAddr(c.ptr, v)
			c.advance()
		}
	}
	for k := range r {
		r[k] = c.readAddr(c.ptr)
		c.advance()
	}
	n := c.settle()
	c.mu.Unlock()
	n.deliver()
	return nil
}

// advance moves the address pointer past one byte. c.mu held.
func (c *Chip) advance() {
	bank1 := c.iocon&mcp23017.IOCONBank != 0
	switch {
	case c.iocon&mcp23017.IOCONSeqOp == 0: // sequential
		if c.ptr >= mcp23017.LastAddr(bank1) {
			c.ptr = 0
		} else {
			c.ptr++
		}
	case !bank1: // byte mode, paired map: toggle within the A/B pair
		c.ptr ^= 1
	}
}

// readAddr reads one byte at addr, with the side effects of a bus read.
func (c *Chip) readAddr(addr byte) byte {
	r, p, ok := mcp23017.RegAt(addr, c.iocon&mcp23017.IOCONBank != 0)
	if !ok {
		return 0
	}
	v := c.read(r, p)
	if r == mcp23017.INTCAP || r == mcp23017.GPIO {
		c.clear(p)
		// A compare-mode condition that still holds interrupts again
		// (settle, at the end of the transaction, re-evaluates it).
	}
	return v
}

// read is a register's value. c.mu held.
func (c *Chip) read(r mcp23017.Reg, p mcp23017.Port) byte {
	switch r {
	case mcp23017.IOCON:
		return c.iocon &^ 1 // bit 0 unimplemented
	case mcp23017.GPIO:
		return c.gpio(p)
	}
	return c.regs[p][r]
}

// writeAddr writes one byte at addr. c.mu held.
func (c *Chip) writeAddr(addr, v byte) {
	r, p, ok := mcp23017.RegAt(addr, c.iocon&mcp23017.IOCONBank != 0)
	if !ok {
		return
	}
	switch r {
	case mcp23017.INTF, mcp23017.INTCAP: // read-only
	case mcp23017.IOCON:
		c.iocon = v &^ 1
	case mcp23017.GPIO:
		c.regs[p][mcp23017.OLAT] = v
	default:
		c.regs[p][r] = v
	}
}

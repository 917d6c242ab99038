package mcp23017

import (
	"context"
	"fmt"

	"github.com/gpiohil/gpiohil/clx"
)

// Pins is the chip's pin count; all are one clx bank.
const Pins = 16

// Config says where the chip is and how it is wired.
type Config struct {
	Bus     Bus
	Address uint16 // 7-bit: 0x20–0x27 (A2..A0)
	// IRQ is the host line INTA/INTB (mirrored) drive; nil leaves the
	// driver without interrupts (I/O only).
	IRQ IRQLine
	// Bank1 programs and uses the chip's BANK=1 register map (each port's
	// registers contiguous). The paired map (the default) reads the whole
	// interrupt status in one transaction.
	Bank1 bool
	// INTActiveHigh makes INT push-pull active-high (INTPOL); the default
	// is active-low. INTOpenDrain makes it open-drain, active-low, for a
	// line shared with other devices or pulled up by the host.
	INTActiveHigh bool
	INTOpenDrain  bool
}

// Controller is the MCP23017 driver.
type Controller struct {
	cfg Config
	r   regs
	irq clx.PrimaryInterrupt

	stopWatch func()

	// The registers as last written (the chip's own copy is the truth;
	// these only save reading before every write).
	iodir, gppu, gpinten, defval, intcon, olat uint16

	// Interrupts, as clx configured them: an edge pin (interrupt-on-change)
	// is in rise or fall, a level pin in intcon (compare-to-DEFVAL).
	rise, fall uint16 // the edges an edge pin asked for
	enabled    uint16
	masked     uint16 // level pins masked (GPINTEN cleared)
	status     uint16 // captured, not yet handed to clx
	evLevel    uint16 // the level each status bit's event moved to
	last       uint16 // the levels at the last capture: the reference for the next
}

// Interfaces the driver implements, checked at compile time.
var (
	_ clx.MaskIOController      = (*Controller)(nil)
	_ clx.InterruptEnabler      = (*Controller)(nil)
	_ clx.InterruptDisabler     = (*Controller)(nil)
	_ clx.InterruptMasker       = (*Controller)(nil)
	_ clx.InterruptUnmasker     = (*Controller)(nil)
	_ clx.ActiveQuerier         = (*Controller)(nil)
	_ clx.InterruptReconfigurer = (*Controller)(nil)
	_ clx.EventDescriber        = (*Controller)(nil)
)

// New returns a driver for the chip cfg describes; Prepare first talks
// to it.
func New(cfg Config) (*Controller, error) {
	if cfg.Bus == nil {
		return nil, fmt.Errorf("mcp23017: no bus: %w", clx.ErrInvalidArgument)
	}
	if cfg.Address < 0x20 || cfg.Address > 0x27 {
		return nil, fmt.Errorf("mcp23017: address %#x: want 0x20..0x27: %w", cfg.Address, clx.ErrInvalidArgument)
	}
	return &Controller{cfg: cfg, r: regs{bus: cfg.Bus, addr: cfg.Address, bank1: cfg.Bank1}}, nil
}

// Info implements clx.Controller: one bank of 16 pins on a bus, status
// cleared by reading it, whole-bank I/O, debounce emulated by clx.
func (c *Controller) Info() clx.Info {
	return clx.Info{TotalPins: Pins, PinsPerBank: Pins, Flags: clx.AutoClearOnRead | clx.IOAsMasks | clx.EmulateDebounce}
}

// iocon is the configuration the driver runs the chip with: sequential
// addressing, mirrored INT outputs, the INT drive asked for.
func (c *Controller) iocon() byte {
	v := byte(IOCONMirror)
	if c.cfg.INTOpenDrain {
		v |= IOCONODR
	} else if c.cfg.INTActiveHigh {
		v |= IOCONIntPol
	}
	if c.cfg.Bank1 {
		v |= IOCONBank
	}
	return v
}

// Prepare implements clx.Controller: it finds the chip whichever register
// map it was left in, brings it to the paired map, then programs the map
// and configuration asked for and a known state (every pin an input
// without pull-up, no interrupt enabled, status read).
func (c *Controller) Prepare(ctx context.Context) error {
	a := c.cfg.Address
	paired := c.iocon() &^ IOCONBank
	// 0x0B is IOCON in the paired map and unimplemented in BANK=1; 0x05
	// is IOCON in BANK=1 (and IPOLB, reset below, in the paired map).
	for _, addr := range []byte{Addr(IOCON, PortB, false), Addr(IOCON, PortA, true)} {
		if err := c.r.tx([]byte{addr, paired}, nil); err != nil {
			return c.r.fail("write IOCON", err)
		}
	}
	if c.cfg.Bank1 {
		if err := c.r.tx([]byte{Addr(IOCON, PortA, false), c.iocon()}, nil); err != nil {
			return c.r.fail("write IOCON", err)
		}
	}
	var got [1]byte
	if err := c.r.tx([]byte{Addr(IOCON, PortA, c.cfg.Bank1)}, got[:]); err != nil {
		return c.r.fail("read IOCON", err)
	}
	if got[0] != c.iocon() {
		return fmt.Errorf("mcp23017 at %#02x: IOCON reads %#02x after writing %#02x: not an MCP23017?: %w", a, got[0], c.iocon(), clx.ErrControllerDriver)
	}
	c.iodir, c.gppu, c.gpinten, c.defval, c.intcon = 0xffff, 0, 0, 0, 0
	for _, w := range []struct {
		r Reg
		v uint16
	}{{GPINTEN, 0}, {IODIR, 0xffff}, {IPOL, 0}, {GPPU, 0}, {INTCON, 0}, {DEFVAL, 0}} {
		if err := c.r.writePair(w.r, 0, w.v, true); err != nil {
			return err
		}
	}
	olat, err := c.r.readPair(OLAT)
	if err != nil {
		return err
	}
	c.olat = olat
	_, _, gpio, err := c.r.status()
	c.last = gpio
	return err
}

// Start implements clx.Controller: it watches the INT line.
func (c *Controller) Start(ctx context.Context, irq clx.PrimaryInterrupt) error {
	c.irq = irq
	if c.cfg.IRQ == nil {
		return nil
	}
	stop, err := c.cfg.IRQ.OnChange(func(l clx.Level) {
		if c.asserted(l) {
			irq.Raise(0)
		}
	})
	if err != nil {
		return fmt.Errorf("mcp23017: watch the INT line: %w", err)
	}
	c.stopWatch = stop
	c.reraise()
	return nil
}

// asserted reports whether the INT line at level l signals an interrupt.
func (c *Controller) asserted(l clx.Level) bool {
	if c.cfg.INTActiveHigh && !c.cfg.INTOpenDrain {
		return l == clx.High
	}
	return l == clx.Low
}

// reraise raises the primary interrupt again if INT is still asserted:
// the chip holds it while a port's interrupt is active, with no new edge
// for a watcher to see.
func (c *Controller) reraise() {
	if c.cfg.IRQ == nil || c.irq == nil {
		return
	}
	if l, err := c.cfg.IRQ.Level(); err == nil && c.asserted(l) {
		c.irq.Raise(0)
	}
}

// Stop implements clx.Controller: every interrupt disabled, the INT line
// no longer watched.
func (c *Controller) Stop(ctx context.Context) error {
	if c.stopWatch != nil {
		c.stopWatch()
		c.stopWatch = nil
	}
	err := c.setGPINTEN(0)
	c.enabled, c.status = 0, 0
	return err
}

// Release implements clx.Controller; the bus belongs to the caller.
func (c *Controller) Release(ctx context.Context) error { return nil }

// set writes a register pair if its value changes, and remembers it.
func (c *Controller) set(r Reg, cur *uint16, v uint16) error {
	if *cur == v {
		return nil
	}
	if err := c.r.writePair(r, *cur, v, false); err != nil {
		return err
	}
	*cur = v
	return nil
}

func (c *Controller) setGPINTEN(v uint16) error { return c.set(GPINTEN, &c.gpinten, v) }

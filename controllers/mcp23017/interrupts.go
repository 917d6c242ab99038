package mcp23017

import (
	"context"
	"fmt"
	"math/bits"

	"github.com/gpiohil/gpiohil/clx"
)

// program sets pin's mode registers and the driver's view of them for r.
func (c *Controller) program(r *clx.InterruptRequest) error {
	if err := checkPins(r.Bank, 1<<r.Pin); err != nil {
		return err
	}
	bit := uint16(1) << r.Pin
	c.forgetMode(bit)
	intcon, defval := c.intcon&^bit, c.defval
	switch {
	case r.Mode == clx.Edge:
		if r.Polarity != clx.ActiveLow {
			c.rise |= bit
		}
		if r.Polarity != clx.ActiveHigh {
			c.fall |= bit
		}
	case r.Polarity == clx.ActiveBoth:
		return fmt.Errorf("mcp23017: pin %d: a level interrupt on both levels: %w", r.Pin, clx.ErrInvalidArgument)
	default:
		// Compare with DEFVAL: the interrupt holds while the pin differs
		// from it, so DEFVAL is the inactive level.
		intcon |= bit
		defval = defval&^bit | uint16(boolBit(r.Polarity == clx.ActiveLow))<<r.Pin
	}
	if err := c.set(DEFVAL, &c.defval, defval); err != nil {
		return err
	}
	return c.set(INTCON, &c.intcon, intcon)
}

// forgetMode drops the driver's record of the pins' interrupt mode.
func (c *Controller) forgetMode(pins uint16) {
	c.rise &^= pins
	c.fall &^= pins
}

// EnableInterrupt implements clx.InterruptEnabler.
func (c *Controller) EnableInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	if r.Debounce > 0 {
		return fmt.Errorf("mcp23017: pin %d: the chip has no debounce: %w", r.Pin, clx.ErrNotSupported)
	}
	up, err := pullUp(r.Pin, r.Pull)
	if err != nil {
		return err
	}
	if err := c.program(r); err != nil {
		return err
	}
	bit := uint16(1) << r.Pin
	pu := c.gppu &^ bit
	if up {
		pu |= bit
	}
	if err := c.set(GPPU, &c.gppu, pu); err != nil {
		return err
	}
	if err := c.set(IODIR, &c.iodir, c.iodir|bit); err != nil {
		return err
	}
	// The pin's level now is the reference for its first edge; what the
	// other pins latched meanwhile is kept.
	if _, err := c.capture(); err != nil {
		return err
	}
	c.status &^= bit
	c.masked &^= bit
	c.enabled |= bit
	return c.setGPINTEN(c.gpinten | bit)
}

// DisableInterrupt implements clx.InterruptDisabler: configuration and
// status discarded.
func (c *Controller) DisableInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	if err := checkPins(r.Bank, 1<<r.Pin); err != nil {
		return err
	}
	bit := uint16(1) << r.Pin
	c.enabled &^= bit
	c.masked &^= bit
	c.status &^= bit
	c.forgetMode(bit)
	if err := c.setGPINTEN(c.gpinten &^ bit); err != nil {
		return err
	}
	return c.set(INTCON, &c.intcon, c.intcon&^bit)
}

// MaskInterrupts implements clx.InterruptMasker. An edge pin stays
// enabled in the chip, so an edge while masked is captured and kept for
// unmask; a level pin's interrupt is disabled in the chip (GPINTEN), or
// its held level would keep INT asserted.
func (c *Controller) MaskInterrupts(ctx context.Context, bank int, mask uint64) (uint64, error) {
	if err := checkPins(bank, mask); err != nil {
		return mask, err
	}
	lv := uint16(mask) & c.intcon
	if err := c.setGPINTEN(c.gpinten &^ lv); err != nil {
		return uint64(lv), err
	}
	c.masked |= lv
	return 0, nil
}

// UnmaskInterrupt implements clx.InterruptUnmasker; status kept while
// masked raises the primary interrupt.
func (c *Controller) UnmaskInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	if err := checkPins(r.Bank, 1<<r.Pin); err != nil {
		return err
	}
	bit := uint16(1) << r.Pin
	if c.masked&bit != 0 {
		if err := c.setGPINTEN(c.gpinten | bit); err != nil {
			return err
		}
		c.masked &^= bit
	}
	if c.status&bit != 0 && c.irq != nil {
		c.irq.Raise(0)
	}
	return nil
}

// ReconfigureInterrupt implements clx.InterruptReconfigurer (clx's
// emulated debounce uses it): the new mode takes effect with the pin's
// current level as its reference; a level pin's old status is dropped.
func (c *Controller) ReconfigureInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	if err := c.program(r); err != nil {
		return err
	}
	if r.Mode == clx.LevelSensitive {
		c.status &^= 1 << r.Pin
	}
	return nil
}

// QueryActiveInterrupts implements clx.ActiveQuerier: one status read;
// what it returns is cleared (AutoClearOnRead).
func (c *Controller) QueryActiveInterrupts(ctx context.Context, bank int, enabled uint64) (uint64, error) {
	if err := checkPins(bank, 0); err != nil {
		return 0, err
	}
	if _, err := c.capture(); err != nil {
		return 0, err
	}
	active := c.status & uint16(enabled)
	c.status &^= active
	c.reraise()
	return uint64(active), nil
}

// InterruptEvent implements clx.EventDescriber: the level the pin moved
// to, as captured. The chip keeps no time.
func (c *Controller) InterruptEvent(ctx context.Context, bank, pin int) (clx.Event, error) {
	if err := checkPins(bank, 1<<pin); err != nil {
		return clx.Event{}, err
	}
	return clx.Event{Level: clx.Level(c.evLevel >> pin & 1), HasLevel: true}, nil
}

// capture reads the chip's status (ending its interrupt) and latches, per
// enabled pin, what it says happened since the last capture: for an edge
// pin each transition from the last level to INTCAP's (when its port
// interrupted) and on to GPIO's that the pin asked for; for a level pin,
// its level differing from DEFVAL. It returns the levels read.
func (c *Controller) capture() (uint16, error) {
	intf, intcap, gpio, err := c.r.status()
	if err != nil {
		return 0, err
	}
	var captured uint16 // pins of ports whose INTCAP is valid
	for p := PortA; p <= PortB; p++ {
		if intf>>(8*p)&0xff != 0 {
			captured |= 0xff << (8 * p)
		}
	}
	on := c.enabled
	for m := on & (c.rise | c.fall); m != 0; m &= m - 1 {
		i := bits.TrailingZeros16(m)
		bit := uint16(1) << i
		from := c.last & bit
		steps := []uint16{gpio & bit}
		if captured&bit != 0 {
			steps = []uint16{intcap & bit, gpio & bit}
		}
		for _, to := range steps {
			if to == from {
				continue
			}
			if to != 0 && c.rise&bit != 0 || to == 0 && c.fall&bit != 0 {
				c.status |= bit
				c.evLevel = c.evLevel&^bit | to
			}
			from = to
		}
	}
	if lv := on & c.intcon &^ c.masked & (gpio ^ c.defval); lv != 0 {
		c.status |= lv
		c.evLevel = c.evLevel&^lv | gpio&lv
	}
	c.last = gpio
	return gpio, nil
}

func boolBit(b bool) int {
	if b {
		return 1
	}
	return 0
}

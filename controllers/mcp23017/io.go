package mcp23017

import (
	"context"
	"fmt"

	"github.com/gpiohil/gpiohil/clx"
)

// checkPins rejects a bank or pins the chip does not have.
func checkPins(bank int, mask uint64) error {
	if bank != 0 || mask>>Pins != 0 {
		return fmt.Errorf("mcp23017: bank %d pins %#x: the chip has one bank of %d pins: %w", bank, mask, Pins, clx.ErrInvalidArgument)
	}
	return nil
}

// pullUp is the GPPU setting for a pull request.
func pullUp(pin int, p clx.Pull) (bool, error) {
	switch p {
	case clx.PullDefault, clx.PullNone:
		return false, nil
	case clx.PullUp:
		return true, nil
	}
	return false, fmt.Errorf("mcp23017: pin %d: pull %v: the chip has pull-ups only: %w", pin, p, clx.ErrNotSupported)
}

// ConnectIOPins implements clx.IOConnector. An output's latch is written
// before its direction, so it starts at its initial level without a
// glitch.
func (c *Controller) ConnectIOPins(ctx context.Context, r *clx.IORequest) error {
	var mask, initial uint64
	for k, i := range r.Pins {
		mask |= 1 << i
		initial |= (r.Initial >> k & 1) << i
	}
	if err := checkPins(r.Bank, mask); err != nil {
		return err
	}
	switch {
	case r.Drive != clx.DriveDefault && r.Drive != clx.DrivePushPull:
		return fmt.Errorf("mcp23017: pins %#x: drive %v: the chip's outputs are push-pull only: %w", mask, r.Drive, clx.ErrNotSupported)
	case r.Debounce > 0:
		return fmt.Errorf("mcp23017: pins %#x: the chip has no debounce: %w", mask, clx.ErrNotSupported)
	}
	m := uint16(mask)
	if r.Direction == clx.Output {
		if err := c.set(OLAT, &c.olat, c.olat&^m|uint16(initial)&m); err != nil {
			return err
		}
		return c.set(IODIR, &c.iodir, c.iodir&^m)
	}
	up, err := pullUp(r.Pins[0], r.Pull)
	if err != nil {
		return err
	}
	if err := c.set(IODIR, &c.iodir, c.iodir|m); err != nil {
		return err
	}
	pu := c.gppu &^ m
	if up {
		pu |= m
	}
	return c.set(GPPU, &c.gppu, pu)
}

// DisconnectIOPins implements clx.IODisconnector: the pins return to
// their reset state, inputs without pull-up, unless r.Preserve keeps
// outputs driving.
func (c *Controller) DisconnectIOPins(ctx context.Context, r *clx.IORequest) error {
	var mask uint64
	for _, i := range r.Pins {
		mask |= 1 << i
	}
	if err := checkPins(r.Bank, mask); err != nil {
		return err
	}
	m := uint16(mask)
	if r.Preserve && r.Direction == clx.Output {
		return nil
	}
	if err := c.set(IODIR, &c.iodir, c.iodir|m); err != nil {
		return err
	}
	return c.set(GPPU, &c.gppu, c.gppu&^m)
}

// ReadPinsMask implements clx.MaskReader. Reading GPIO ends the chip's
// interrupt, so while any interrupt is enabled the read is a status
// capture, and what it captured waits for clx's next query.
func (c *Controller) ReadPinsMask(ctx context.Context, bank int) (uint64, error) {
	if err := checkPins(bank, 0); err != nil {
		return 0, err
	}
	if c.gpinten == 0 {
		v, err := c.r.readPair(GPIO)
		if err == nil {
			c.last = v
		}
		return uint64(v), err
	}
	gpio, err := c.capture()
	if err != nil {
		return 0, err
	}
	if c.status&^c.masked != 0 && c.irq != nil {
		c.irq.Raise(0)
	}
	return uint64(gpio), nil
}

// WritePinsMask implements clx.MaskWriter: one write of both output
// latches.
func (c *Controller) WritePinsMask(ctx context.Context, bank int, set, clear uint64) error {
	if err := checkPins(bank, set|clear); err != nil {
		return err
	}
	return c.set(OLAT, &c.olat, (c.olat|uint16(set))&^uint16(clear))
}

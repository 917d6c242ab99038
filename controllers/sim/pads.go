package sim

import (
	"time"

	"github.com/gpiohil/gpiohil/clx"
)

// PadEvent is a change of what the controller puts on a pad's wire: the
// level it drives (an output), or, for an input, its pull.
type PadEvent struct {
	Pin    int // controller-relative
	Output bool
	Level  clx.Level     // driven level, valid when Output
	Pull   clx.Pull      // an input's pull: PullUp, PullDown or PullNone
	Time   time.Duration // on the controller's clock, see Now
}

// DrivePad drives a pad from outside (a harness wire) to l, now.
func (c *Controller) DrivePad(pin int, l clx.Level) error { return c.SetPadAt(pin, true, l, c.Now()) }

// ReleasePad stops driving a pad from outside, now; the pin's pull decides
// its level (floating reads low).
func (c *Controller) ReleasePad(pin int) error { return c.SetPadAt(pin, false, clx.Low, c.Now()) }

// SetPadAt drives a pad from outside to l (driven) or stops driving it,
// as of at on the controller's clock (see Now): an edge this latches is
// timestamped at, not when the call ran. A harness that delays a wire
// passes the time the change physically reached the pad, so the event
// timestamps are as exact as the harness. at must not be later than Now.
func (c *Controller) SetPadAt(pin int, driven bool, l clx.Level, at time.Duration) error {
	b, i, err := c.locate(pin)
	if err != nil {
		return err
	}
	p := pending{at: at}
	c.mu.Lock()
	r := &c.banks[b]
	bit := uint64(1) << i
	r.driven &^= bit
	if driven {
		r.driven |= bit
		r.pad = r.pad&^bit | uint64(l&1)<<i
	}
	if r.powered {
		c.settle(b, i, &p)
	}
	c.unlockFinish(&p)
	return nil
}

// PadPull returns the pull of an input pad (PullNone for an output).
func (c *Controller) PadPull(pin int) (clx.Pull, error) {
	b, i, err := c.locate(pin)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.banks[b].contribution(i)
	switch {
	case k&contribUp != 0:
		return clx.PullUp, nil
	case k&contribDown != 0:
		return clx.PullDown, nil
	}
	return clx.PullNone, nil
}

// Pad returns the level on a pad's wire and whether the controller drives
// it (an output, unless open-drain latched high or open-source latched
// low).
func (c *Controller) Pad(pin int) (l clx.Level, output bool, err error) {
	b, i, err := c.locate(pin)
	if err != nil {
		return 0, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &c.banks[b]
	return clx.Level(r.padLevel(i)), r.driving()&(1<<i) != 0, nil
}

// OnPadChange registers fn to receive every change of what the
// controller puts on a pad's wire (an output's level, an input's pull).
// fn runs synchronously in the goroutine that caused the change, after
// the controller's lock is released; it must not call back into clx.
func (c *Controller) OnPadChange(fn func(PadEvent)) {
	c.mu.Lock()
	c.observers = append(c.observers, fn)
	c.mu.Unlock()
}

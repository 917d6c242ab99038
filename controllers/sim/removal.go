package sim

import (
	"fmt"

	"github.com/gpiohil/gpiohil/clx"
)

// ErrRemoved is every register access's answer while the controller is
// removed (Remove). It wraps clx.ErrControllerGone.
var ErrRemoved = fmt.Errorf("sim: controller removed: %w", clx.ErrControllerGone)

// Remove takes the controller away as an unplugged board goes: its pads
// stop driving and pulling (each wire is left to whatever else drives it),
// every register access fails with ErrRemoved, and its primary interrupt
// is raised on every bank once, so that the framework learns of the
// removal without waiting for a client's call. The pads stay reachable
// from outside. Removing a removed controller does nothing.
func (c *Controller) Remove() {
	var p pending
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return
	}
	for b := range c.banks {
		r := &c.banks[b]
		*r = regs{pad: r.pad, driven: r.driven, in: r.in, contrib: r.contrib}
		for i := 0; i < c.cfg.PinsPerBank; i++ {
			c.settle(b, i, &p)
		}
	}
	irq := c.irq
	c.removed, c.started, c.suspended, c.prepared = true, false, false, false
	c.irq = nil
	c.bankSaved = map[int]regs{}
	c.unlockFinish(&p)
	if irq != nil {
		irq.Raise(clx.AllBanks)
	}
}

// Reinsert puts a removed controller back as a new device at its reset
// state: every pin an input without pull, no interrupt enabled, every bank
// powered. Register it with clx again (clx.New prepares and starts it).
func (c *Controller) Reinsert() {
	var p pending
	c.mu.Lock()
	// The pads kept following the wires while the controller was away:
	// its inputs sample them afresh.
	for b := range c.banks {
		c.banks[b].powered = true
		for i := 0; i < c.cfg.PinsPerBank; i++ {
			c.settle(b, i, &p)
		}
	}
	c.removed = false
	c.unlockFinish(&p)
}

// Removed reports whether the controller is removed.
func (c *Controller) Removed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.removed
}

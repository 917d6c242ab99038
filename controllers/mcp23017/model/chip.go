package model

import (
	"fmt"
	"sync"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/mcp23017"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// Pins is the chip's pad count.
const Pins = 16

// Chip is one MCP23017. Its methods are safe for concurrent use.
type Chip struct {
	epoch time.Time

	mu    sync.Mutex
	regs  [2][11]byte // by port, by mcp23017.Reg; IOCON kept in iocon
	iocon byte
	ptr   byte // the address pointer
	// The pads: what the outside drives on them (extDriven) and at which
	// level; prev is the level each input had when last sampled, the
	// reference of interrupt-on-change.
	extDriven, extLevel uint16
	prev                uint16
	pending             [2]bool // the port's interrupt is active
	intOut              [2]clx.Level
	merged              uint64
	contrib             [Pins]contribution // what the chip put on each pad, last reported

	observers    []func(sim.PadEvent)
	intObservers []func(mcp23017.Port, clx.Level)
}

// contribution is what the chip puts on a pad: a driven level or a pull.
type contribution struct {
	output bool
	level  clx.Level
	pullUp bool
}

// New returns a chip as after power-on reset.
func New() *Chip {
	c := &Chip{epoch: time.Now()}
	c.reset()
	return c
}

// Reset puts the chip in its power-on state, as a power cycle does: every
// pad an input without pull-up (the chip lets go of its pads), every
// interrupt off. Pad and INT changes are reported as any other.
func (c *Chip) Reset() {
	c.mu.Lock()
	contrib, intOut := c.contrib, c.intOut
	c.reset()
	c.contrib, c.intOut = contrib, intOut // as the pads and INT were: settle reports each change
	n := c.settle()
	c.mu.Unlock()
	n.deliver()
}

func (c *Chip) reset() {
	c.regs = [2][11]byte{}
	c.regs[0][mcp23017.IODIR], c.regs[1][mcp23017.IODIR] = 0xff, 0xff
	c.iocon, c.ptr = 0, 0
	c.pending = [2]bool{}
	c.prev = c.levels()
	c.intOut = [2]clx.Level{c.intLevel(false), c.intLevel(false)}
	for i := range c.contrib {
		c.contrib[i] = c.contribution(i)
	}
}

// Epoch is the host time at which the chip's clock read zero; pad events
// carry times on that clock.
func (c *Chip) Epoch() time.Time { return c.epoch }

// Now is the chip's clock.
func (c *Chip) Now() time.Duration { return time.Since(c.epoch) }

// MergedEdges counts the changes of interrupt-enabled inputs that found
// their port's interrupt already active: the chip captured nothing of
// them.
func (c *Chip) MergedEdges() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.merged
}

// Register returns a register's value, as a debugger would see it
// (without the side effects of a bus read).
func (c *Chip) Register(r mcp23017.Reg, p mcp23017.Port) byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read(r, p)
}

// --- pads ---

func (c *Chip) bitOf(pin int) (uint16, error) {
	if pin < 0 || pin >= Pins {
		return 0, fmt.Errorf("mcp23017 model: pin %d outside 0..%d: %w", pin, Pins-1, clx.ErrInvalidArgument)
	}
	return 1 << pin, nil
}

// word reads a register pair as 16 bits, port A low.
func (c *Chip) word(r mcp23017.Reg) uint16 {
	return uint16(c.regs[0][r]) | uint16(c.regs[1][r])<<8
}

// levels is the level of every pad.
func (c *Chip) levels() uint16 {
	out := ^c.word(mcp23017.IODIR)
	l := c.word(mcp23017.OLAT) & out
	in := ^out
	l |= c.extLevel & c.extDriven & in
	l |= c.word(mcp23017.GPPU) & in &^ c.extDriven
	return l
}

func (c *Chip) contribution(i int) contribution {
	bit := uint16(1) << i
	if c.word(mcp23017.IODIR)&bit == 0 {
		return contribution{output: true, level: clx.Level(c.word(mcp23017.OLAT) >> i & 1)}
	}
	return contribution{pullUp: c.word(mcp23017.GPPU)&bit != 0}
}

// Pad returns the level on a pad and whether the chip drives it.
func (c *Chip) Pad(pin int) (clx.Level, bool, error) {
	bit, err := c.bitOf(pin)
	if err != nil {
		return 0, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return clx.Level(boolBit(c.levels()&bit != 0)), c.word(mcp23017.IODIR)&bit == 0, nil
}

// PadPull returns an input pad's pull: PullUp or PullNone (the chip has
// no pull-down).
func (c *Chip) PadPull(pin int) (clx.Pull, error) {
	bit, err := c.bitOf(pin)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.word(mcp23017.IODIR)&bit != 0 && c.word(mcp23017.GPPU)&bit != 0 {
		return clx.PullUp, nil
	}
	return clx.PullNone, nil
}

// SetPadAt drives a pad from outside to l (driven) or stops driving it.
// The chip has no event timestamps, so at only orders the change.
func (c *Chip) SetPadAt(pin int, driven bool, l clx.Level, at time.Duration) error {
	bit, err := c.bitOf(pin)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.extDriven &^= bit
	c.extLevel &^= bit
	if driven {
		c.extDriven |= bit
		if l != 0 {
			c.extLevel |= bit
		}
	}
	n := c.settle()
	c.mu.Unlock()
	n.deliver()
	return nil
}

// DrivePad drives a pad from outside, now.
func (c *Chip) DrivePad(pin int, l clx.Level) error { return c.SetPadAt(pin, true, l, c.Now()) }

// OnPadChange registers fn to receive every change of what the chip puts
// on a pad (an output's level, an input's pull). fn runs in the
// goroutine that caused the change, after the chip's lock is released.
func (c *Chip) OnPadChange(fn func(sim.PadEvent)) {
	c.mu.Lock()
	c.observers = append(c.observers, fn)
	c.mu.Unlock()
}

// INT returns the level of a port's interrupt output.
func (c *Chip) INT(p mcp23017.Port) clx.Level {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.intOut[p&1]
}

// OnINT registers fn to receive every change of INTA or INTB, after the
// chip's lock is released.
func (c *Chip) OnINT(fn func(mcp23017.Port, clx.Level)) {
	c.mu.Lock()
	c.intObservers = append(c.intObservers, fn)
	c.mu.Unlock()
}

// notices are what a change made observable, delivered after c.mu is
// released.
type notices struct {
	c    *Chip
	pads []sim.PadEvent
	ints []intChange
}

type intChange struct {
	port  mcp23017.Port
	level clx.Level
}

func (n notices) deliver() {
	if len(n.pads) == 0 && len(n.ints) == 0 {
		return
	}
	n.c.mu.Lock()
	obs, iobs := n.c.observers, n.c.intObservers
	n.c.mu.Unlock()
	for _, e := range n.pads {
		for _, fn := range obs {
			fn(e)
		}
	}
	for _, e := range n.ints {
		for _, fn := range iobs {
			fn(e.port, e.level)
		}
	}
}

// settle brings the pads, the interrupt logic and the INT outputs up to
// date after any change. c.mu held.
func (c *Chip) settle() notices {
	n := notices{c: c}
	now := c.Now()
	for i := range c.contrib {
		if k := c.contribution(i); k != c.contrib[i] {
			c.contrib[i] = k
			e := sim.PadEvent{Pin: i, Output: k.output, Level: k.level, Pull: clx.PullNone, Time: now}
			if k.pullUp {
				e.Pull = clx.PullUp
			}
			n.pads = append(n.pads, e)
		}
	}
	lv := c.levels()
	changed := lv ^ c.prev
	in := c.word(mcp23017.IODIR)
	c.prev = lv&in | c.prev&^in
	for p := mcp23017.PortA; p <= mcp23017.PortB; p++ {
		en := c.regs[p][mcp23017.GPINTEN] & c.regs[p][mcp23017.IODIR]
		ioc := en &^ c.regs[p][mcp23017.INTCON]
		ch := byte(changed >> (8 * p))
		for i := 0; i < 8; i++ {
			if ioc&ch&(1<<i) == 0 {
				continue
			}
			if c.pending[p] {
				c.merged++
				continue
			}
			c.capture(p, i)
		}
		c.compare(p)
	}
	for p := mcp23017.PortA; p <= mcp23017.PortB; p++ {
		mirror := c.iocon&mcp23017.IOCONMirror != 0
		l := c.intLevel(c.pending[p] || mirror && c.pending[1-p])
		if l != c.intOut[p] {
			c.intOut[p] = l
			n.ints = append(n.ints, intChange{p, l})
		}
	}
	return n
}

// compare raises port p's interrupt for the first compare-mode pin whose
// level differs from DEFVAL, unless its interrupt is active. c.mu held.
func (c *Chip) compare(p mcp23017.Port) {
	if c.pending[p] {
		return
	}
	cmp := c.regs[p][mcp23017.GPINTEN] & c.regs[p][mcp23017.IODIR] & c.regs[p][mcp23017.INTCON]
	diff := (c.gpio(p) ^ c.regs[p][mcp23017.DEFVAL]) & cmp
	for i := 0; i < 8; i++ {
		if diff&(1<<i) != 0 {
			c.capture(p, i)
			return
		}
	}
}

// capture makes pin i of port p the cause of the port's interrupt.
func (c *Chip) capture(p mcp23017.Port, i int) {
	c.pending[p] = true
	c.regs[p][mcp23017.INTF] = 1 << i
	c.regs[p][mcp23017.INTCAP] = c.gpio(p)
}

// clear ends port p's interrupt, as reading its INTCAP or GPIO does.
func (c *Chip) clear(p mcp23017.Port) {
	c.pending[p] = false
	c.regs[p][mcp23017.INTF] = 0
}

// gpio is what the GPIO register of port p reads: the pads' levels, an
// input's inverted where IPOL says.
func (c *Chip) gpio(p mcp23017.Port) byte {
	return byte(c.levels()>>(8*p)) ^ c.regs[p][mcp23017.IPOL]&c.regs[p][mcp23017.IODIR]
}

// intLevel is the level an INT output has, active or not.
func (c *Chip) intLevel(active bool) clx.Level {
	switch {
	case c.iocon&mcp23017.IOCONODR != 0:
		return clx.Level(boolBit(!active)) // open-drain: pulled low when active, released (high) when not
	case c.iocon&mcp23017.IOCONIntPol != 0:
		return clx.Level(boolBit(active))
	}
	return clx.Level(boolBit(!active))
}

func boolBit(b bool) int {
	if b {
		return 1
	}
	return 0
}

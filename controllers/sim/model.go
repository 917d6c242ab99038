package sim

import (
	"fmt"
	"math/bits"
	"time"

	"github.com/gpiohil/gpiohil/clx"
)

// regs are one bank's registers; bit n of each is bank index n.
type regs struct {
	dir uint64 // 1 = output
	out uint64 // output latch
	// An open-drain output drives only its low level, an open-source
	// one only its high: at the other level the pad is left to the wire.
	openDrain  uint64
	openSource uint64
	pad        uint64 // level driven onto the pad from outside
	driven     uint64 // 1 = something outside drives the pad
	pullUp     uint64
	pullDown   uint64
	in         uint64 // input level after debounce: what reads and interrupts see
	enable     uint64
	mask       uint64
	status     uint64
	mode       uint64 // 1 = level-sensitive
	polHigh    uint64 // 1 = active-high / rising
	both       uint64 // 1 = both edges
	powered    bool
	contrib    [64]uint8 // what the controller last put on each wire, see contribution
	debounce   [64]time.Duration
	dbGen      [64]uint64
	evTime     [64]time.Duration
	evLevel    [64]clx.Level
}

func (c *Controller) locate(pin int) (b, i int, err error) {
	if pin < 0 || pin >= c.cfg.Pins {
		return 0, 0, fmt.Errorf("%w: %d (controller has %d)", ErrPin, pin, c.cfg.Pins)
	}
	return pin / c.cfg.PinsPerBank, pin % c.cfg.PinsPerBank, nil
}

// busAccess takes the bus delay (Hold).
func (c *Controller) busAccess() { Hold(c.cfg.BusDelay) }

// sleepOvershoot is how late time.Sleep may wake on a loaded Linux host
// (about a millisecond, measured): Hold sleeps only that far short of
// its end and spins the rest.
const sleepOvershoot = 1500 * time.Microsecond

// Hold keeps the calling goroutine busy for d, exactly to a few
// microseconds, as a bus transaction keeps its caller: time.Sleep alone
// wakes up to a millisecond late.
func Hold(d time.Duration) {
	if d <= 0 {
		return
	}
	end := time.Now().Add(d)
	if d > 2*sleepOvershoot {
		time.Sleep(d - sleepOvershoot)
	}
	for time.Now().Before(end) {
	}
}

// lockBank begins every register access: the bus access a bus-attached
// controller pays, the lock, and the bank's registers. On success c.mu is
// held; the caller releases it (with unlockFinish when it collected
// pending work).
func (c *Controller) lockBank(bank int) (*regs, error) {
	c.busAccess()
	c.mu.Lock()
	r, err := c.bankRegs(bank)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	return r, nil
}

func (c *Controller) bankRegs(bank int) (*regs, error) {
	if c.removed {
		return nil, ErrRemoved
	}
	if bank < 0 || bank >= len(c.banks) {
		return nil, fmt.Errorf("sim: no bank %d: %w", bank, clx.ErrInvalidArgument)
	}
	if !c.banks[bank].powered {
		return nil, fmt.Errorf("sim: bank %d is powered off", bank)
	}
	return &c.banks[bank], nil
}

// driving returns the pins whose output stage drives the pad now: every
// output, except open-drain ones latched high and open-source ones latched
// low.
func (r *regs) driving() uint64 {
	return r.dir &^ (r.openDrain & r.out) &^ (r.openSource &^ r.out)
}

// padLevel is the level on bank index i's wire: the output latch of a
// driving output, else what drives it from outside, else its pull-up;
// pulled down or floating reads low. c.mu held.
func (r *regs) padLevel(i int) uint64 {
	bit := uint64(1) << i
	switch {
	case r.driving()&bit != 0:
		return r.out >> i & 1
	case r.driven&bit != 0:
		return r.pad >> i & 1
	case r.pullUp&bit != 0:
		return 1
	}
	return 0 // pulled down or floating: reads low
}

const (
	contribHigh = 1 << iota
	contribOut
	contribUp
	contribDown
)

// contribution encodes what the controller puts on pin i's wire.
func (r *regs) contribution(i int) uint8 {
	bit := uint64(1) << i
	switch {
	case r.driving()&bit != 0:
		return contribOut | uint8(r.out>>i&1)
	case r.pullUp&bit != 0:
		return contribUp
	case r.pullDown&bit != 0:
		return contribDown
	}
	return 0
}

// pending collects what to do after c.mu is released: interrupts to raise
// and pad events to publish.
type pending struct {
	at     time.Duration // when the change happened; 0: now
	raise  uint64        // banks
	n      int
	events [4]PadEvent // the first events, without allocating
	more   []PadEvent
}

// time is when the change being settled happened.
func (p *pending) time(c *Controller) time.Duration {
	if p.at != 0 {
		return p.at
	}
	return c.Now()
}

func (p *pending) add(e PadEvent) {
	if p.n < len(p.events) {
		p.events[p.n] = e
		p.n++
		return
	}
	p.more = append(p.more, e)
}

// unlockFinish releases c.mu, then publishes what p collected: pad events
// to observers, primary interrupts to the framework. c.mu held.
func (c *Controller) unlockFinish(p *pending) {
	irq, obs := c.irq, c.observers
	c.mu.Unlock()
	for k := 0; k < p.n; k++ {
		for _, o := range obs {
			o(p.events[k])
		}
	}
	for _, e := range p.more {
		for _, o := range obs {
			o(e)
		}
	}
	if irq == nil {
		return
	}
	for m := p.raise; m != 0; m &= m - 1 {
		irq.Raise(bits.TrailingZeros64(m))
	}
}

// settle recomputes bank b index i after its pad or direction may have
// changed: output events, hardware debounce, input level, interrupt status.
// c.mu held.
func (c *Controller) settle(b, i int, p *pending) {
	r := &c.banks[b]
	bit := uint64(1) << i
	lvl := r.padLevel(i)
	if k := r.contribution(i); k != r.contrib[i] {
		r.contrib[i] = k
		e := PadEvent{Pin: b*c.cfg.PinsPerBank + i, Output: k&contribOut != 0, Level: clx.Level(k & contribHigh), Pull: clx.PullNone, Time: c.Now()}
		switch {
		case k&contribUp != 0:
			e.Pull = clx.PullUp
		case k&contribDown != 0:
			e.Pull = clx.PullDown
		}
		p.add(e)
	}
	if !c.cfg.EmulateDebounce && r.debounce[i] > 0 && r.dir&bit == 0 {
		if lvl != r.in>>i&1 {
			r.dbGen[i]++
			gen := r.dbGen[i]
			c.cfg.AfterFunc(r.debounce[i], func() { c.debounceExpired(b, i, gen) })
		} else {
			r.dbGen[i]++ // back to the accepted level: cancel
		}
		return
	}
	c.input(b, i, lvl, p)
}

func (c *Controller) debounceExpired(b, i int, gen uint64) {
	var p pending
	c.mu.Lock()
	r := &c.banks[b]
	if r.dbGen[i] == gen && r.powered {
		c.input(b, i, r.padLevel(i), &p)
	}
	c.unlockFinish(&p)
}

// input accepts lvl as the input level of bank b index i. c.mu held.
func (c *Controller) input(b, i int, lvl uint64, p *pending) {
	r := &c.banks[b]
	bit := uint64(1) << i
	if r.in&bit == lvl<<i {
		c.levelStatus(b, i, p)
		return
	}
	r.in = r.in&^bit | lvl<<i
	if r.enable&bit != 0 && r.mode&bit == 0 && !c.suspended {
		rising := lvl == 1
		if r.both&bit != 0 || rising == (r.polHigh&bit != 0) {
			if r.status&bit != 0 {
				c.merged++
			}
			r.status |= bit
			r.evTime[i] = p.time(c)
			r.evLevel[i] = clx.Level(lvl)
		}
	}
	c.levelStatus(b, i, p)
}

// levelStatus recomputes a level-sensitive pin's status and checks the
// primary interrupt. c.mu held.
func (c *Controller) levelStatus(b, i int, p *pending) {
	r := &c.banks[b]
	bit := uint64(1) << i
	if r.enable&bit != 0 && r.mode&bit != 0 {
		asserted := (r.in&bit != 0) == (r.polHigh&bit != 0)
		if asserted {
			if r.status&bit == 0 {
				r.evTime[i] = p.time(c)
				r.evLevel[i] = clx.Level(r.in >> i & 1)
			}
			r.status |= bit
		} else {
			r.status &^= bit
		}
	}
	c.check(b, p)
}

func (c *Controller) check(b int, p *pending) {
	r := &c.banks[b]
	if c.started && r.powered && r.status&r.enable&^r.mask != 0 {
		p.raise |= 1 << b
	}
}

// MergedEdges counts qualifying edges that latched on a pin whose status
// was still latched (not yet dispatched and cleared, or masked): its
// client sees them as one delivery.
func (c *Controller) MergedEdges() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.merged
}

// restore loads saved registers into bank b, the enable state last.
// c.mu held.
func (c *Controller) restore(b int, s regs) {
	r := &c.banks[b]
	enable := s.enable
	pad, driven := r.pad, r.driven // the outside world kept driving
	*r = s
	r.pad, r.driven, r.enable, r.status = pad, driven, 0, 0
	r.powered = true
	for i := 0; i < c.cfg.PinsPerBank; i++ {
		if r.dir&(1<<i) == 0 {
			r.in = r.in&^(1<<i) | r.padLevel(i)<<i
		}
	}
	r.enable = enable
	for i := 0; i < c.cfg.PinsPerBank; i++ {
		if r.mode&(1<<i) != 0 && r.enable&(1<<i) != 0 {
			asserted := (r.in>>i&1 != 0) == (r.polHigh>>i&1 != 0)
			if asserted {
				r.status |= 1 << i
			}
		}
	}
}

func program(r *regs, q *clx.InterruptRequest) {
	bit := uint64(1) << q.Pin
	r.mode &^= bit
	r.polHigh &^= bit
	r.both &^= bit
	if q.Mode == clx.LevelSensitive {
		r.mode |= bit
	}
	switch q.Polarity {
	case clx.ActiveHigh:
		r.polHigh |= bit
	case clx.ActiveBoth:
		r.both |= bit
	}
}

func setPull(r *regs, bit uint64, p clx.Pull) {
	switch p {
	case clx.PullUp:
		r.pullUp |= bit
		r.pullDown &^= bit
	case clx.PullDown:
		r.pullDown |= bit
		r.pullUp &^= bit
	case clx.PullNone:
		r.pullUp &^= bit
		r.pullDown &^= bit
	}
}

func (c *Controller) levels(r *regs) uint64 {
	return r.in&^r.dir | r.out&r.dir
}

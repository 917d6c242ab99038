package sim

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"time"

	"github.com/gpiohil/gpiohil/clx"
)

// Config selects the controller's size and capabilities. The zero value is
// a 32-pin, single-bank, memory-mapped controller that senses both edges
// natively and debounces in hardware.
type Config struct {
	Pins        int // total pins; 0 means 32
	PinsPerBank int // 1..64; 0 means 32

	// EmulateBothEdges makes the controller unable to sense both edges:
	// clx emulates active-both with level mode and polarity flips.
	EmulateBothEdges bool
	// EmulateDebounce removes hardware debounce: clx emulates it.
	EmulateDebounce bool
	// AutoClearOnRead makes querying active interrupts clear them.
	AutoClearOnRead bool
	// MaskIO makes the controller use whole-bank mask I/O (IOAsMasks).
	MaskIO bool
	// BusAttached models a controller on a bus (an I2C expander): not
	// memory-mapped, every register access takes BusDelay.
	BusAttached bool
	BusDelay    time.Duration
	// IndependentIO declares I/O registers separate from interrupt ones.
	IndependentIO bool

	// AfterFunc schedules hardware debounce timers; nil means
	// time.AfterFunc.
	AfterFunc func(d time.Duration, f func()) clx.Timer
}

// PadEvent is a change of what the controller puts on a pad's wire: the
// level it drives (an output), or, for an input, its pull.
type PadEvent struct {
	Pin    int // controller-relative
	Output bool
	Level  clx.Level     // driven level, valid when Output
	Pull   clx.Pull      // an input's pull: PullUp, PullDown or PullNone
	Time   time.Duration // on the controller's clock, see Now
}

// Controller is the simulated register-level controller. It implements
// clx.Controller and every optional capability, and offers pads to a
// harness: DrivePad, ReleasePad, Pad and OnPadChange.
type Controller struct {
	cfg   Config
	flags clx.Flags
	epoch time.Time

	mu        sync.Mutex // protects following fields
	irq       clx.PrimaryInterrupt
	started   bool
	prepared  bool
	banks     []regs
	saved     []regs // context saved by Stop(saveContext)
	bankSaved map[int]regs
	observers []func(PadEvent)
}

// regs are one bank's registers; bit n of each is bank index n.
type regs struct {
	dir      uint64 // 1 = output
	out      uint64 // output latch
	pad      uint64 // level driven onto the pad from outside
	driven   uint64 // 1 = something outside drives the pad
	pullUp   uint64
	pullDown uint64
	in       uint64 // input level after debounce: what reads and interrupts see
	enable   uint64
	mask     uint64
	status   uint64
	mode     uint64 // 1 = level-sensitive
	polHigh  uint64 // 1 = active-high / rising
	both     uint64 // 1 = both edges
	powered  bool
	contrib  [64]uint8 // what the controller last put on each wire, see contribution
	debounce [64]time.Duration
	dbGen    [64]uint64
	evTime   [64]time.Duration
	evLevel  [64]clx.Level
}

// New returns a controller configured by cfg.
func New(cfg Config) (*Controller, error) {
	if cfg.Pins == 0 {
		cfg.Pins = 32
	}
	if cfg.PinsPerBank == 0 {
		cfg.PinsPerBank = 32
		if cfg.Pins < 32 {
			cfg.PinsPerBank = cfg.Pins
		}
	}
	if cfg.Pins < 1 || cfg.PinsPerBank < 1 || cfg.PinsPerBank > 64 {
		return nil, fmt.Errorf("sim: %d pins in banks of %d: want at least 1 pin and 1..64 per bank: %w",
			cfg.Pins, cfg.PinsPerBank, clx.ErrInvalidArgument)
	}
	if cfg.BusDelay < 0 {
		return nil, fmt.Errorf("sim: negative bus delay %v: %w", cfg.BusDelay, clx.ErrInvalidArgument)
	}
	if cfg.AfterFunc == nil {
		cfg.AfterFunc = func(d time.Duration, f func()) clx.Timer { return time.AfterFunc(d, f) }
	}
	var flags clx.Flags
	if !cfg.BusAttached && cfg.BusDelay == 0 {
		flags |= clx.MemoryMapped
	}
	if cfg.EmulateBothEdges {
		flags |= clx.EmulateActiveBoth
	}
	if cfg.EmulateDebounce {
		flags |= clx.EmulateDebounce
	}
	if cfg.AutoClearOnRead {
		flags |= clx.AutoClearOnRead
	}
	if cfg.MaskIO {
		flags |= clx.IOAsMasks
	}
	if cfg.IndependentIO {
		flags |= clx.IndependentIO
	}
	nb := (cfg.Pins + cfg.PinsPerBank - 1) / cfg.PinsPerBank
	c := &Controller{cfg: cfg, flags: flags, epoch: time.Now(), banks: make([]regs, nb), bankSaved: map[int]regs{}}
	for i := range c.banks {
		c.banks[i].powered = true
	}
	return c, nil
}

// Epoch is the host time at which the controller's clock read zero.
func (c *Controller) Epoch() time.Time { return c.epoch }

// Now is the controller's clock: the monotonic time since it was created.
// Pad events and interrupt event timestamps use it.
func (c *Controller) Now() time.Duration { return time.Since(c.epoch) }

// Config returns the configuration the controller was made with.
func (c *Controller) Config() Config { return c.cfg }

// ErrPin is returned for a pad outside the controller.
var ErrPin = errors.New("sim: no such pin")

func (c *Controller) locate(pin int) (b, i int, err error) {
	if pin < 0 || pin >= c.cfg.Pins {
		return 0, 0, fmt.Errorf("%w: %d (controller has %d)", ErrPin, pin, c.cfg.Pins)
	}
	return pin / c.cfg.PinsPerBank, pin % c.cfg.PinsPerBank, nil
}

func (c *Controller) busAccess() {
	if c.cfg.BusDelay > 0 {
		time.Sleep(c.cfg.BusDelay)
	}
}

// padLevel is the level on the wire of bank b index i. c.mu held.
func (r *regs) padLevel(i int) uint64 {
	bit := uint64(1) << i
	switch {
	case r.dir&bit != 0:
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
	case r.dir&bit != 0:
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
	raise  uint64 // banks
	n      int
	events [4]PadEvent // the first events, without allocating
	more   []PadEvent
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
func (c *Controller) settle(b, i int, old uint64, p *pending) {
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
	if r.enable&bit != 0 && r.mode&bit == 0 {
		rising := lvl == 1
		if r.both&bit != 0 || rising == (r.polHigh&bit != 0) {
			r.status |= bit
			r.evTime[i] = c.Now()
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
				r.evTime[i] = c.Now()
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

// DrivePad drives a pad from outside (a harness wire) to l.
func (c *Controller) DrivePad(pin int, l clx.Level) error {
	b, i, err := c.locate(pin)
	if err != nil {
		return err
	}
	var p pending
	c.mu.Lock()
	r := &c.banks[b]
	old := r.padLevel(i)
	bit := uint64(1) << i
	r.driven |= bit
	r.pad = r.pad&^bit | uint64(l&1)<<i
	if r.powered {
		c.settle(b, i, old, &p)
	}
	c.unlockFinish(&p)
	return nil
}

// ReleasePad stops driving a pad from outside; the pin's pull decides its
// level (floating reads low).
func (c *Controller) ReleasePad(pin int) error {
	b, i, err := c.locate(pin)
	if err != nil {
		return err
	}
	var p pending
	c.mu.Lock()
	r := &c.banks[b]
	old := r.padLevel(i)
	r.driven &^= 1 << i
	if r.powered {
		c.settle(b, i, old, &p)
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
// it (an output).
func (c *Controller) Pad(pin int) (l clx.Level, output bool, err error) {
	b, i, err := c.locate(pin)
	if err != nil {
		return 0, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &c.banks[b]
	return clx.Level(r.padLevel(i)), r.dir&(1<<i) != 0, nil
}

// OnPadChange registers fn to receive every change of what the
// controller puts on a pad's wire (an output's level, an input's pull). fn runs synchronously in the goroutine that caused the change,
// after the controller's lock is released; it must not call back into clx.
func (c *Controller) OnPadChange(fn func(PadEvent)) {
	c.mu.Lock()
	c.observers = append(c.observers, fn)
	c.mu.Unlock()
}

var (
	_ clx.Controller            = (*Controller)(nil)
	_ clx.IOConnector           = (*Controller)(nil)
	_ clx.IODisconnector        = (*Controller)(nil)
	_ clx.PinReader             = (*Controller)(nil)
	_ clx.PinWriter             = (*Controller)(nil)
	_ clx.MaskReader            = (*Controller)(nil)
	_ clx.MaskWriter            = (*Controller)(nil)
	_ clx.InterruptEnabler      = (*Controller)(nil)
	_ clx.InterruptDisabler     = (*Controller)(nil)
	_ clx.InterruptMasker       = (*Controller)(nil)
	_ clx.InterruptUnmasker     = (*Controller)(nil)
	_ clx.ActiveQuerier         = (*Controller)(nil)
	_ clx.ActiveClearer         = (*Controller)(nil)
	_ clx.EnabledQuerier        = (*Controller)(nil)
	_ clx.InterruptReconfigurer = (*Controller)(nil)
	_ clx.EventDescriber        = (*Controller)(nil)
	_ clx.BankContextSaver      = (*Controller)(nil)
	_ clx.BankContextRestorer   = (*Controller)(nil)
	_ clx.SpecificFunctioner    = (*Controller)(nil)
)

// Info implements clx.Controller.
func (c *Controller) Info() clx.Info {
	return clx.Info{TotalPins: c.cfg.Pins, PinsPerBank: c.cfg.PinsPerBank, Flags: c.flags}
}

// Prepare implements clx.Controller.
func (c *Controller) Prepare(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prepared = true
	return nil
}

// Release implements clx.Controller.
func (c *Controller) Release(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prepared = false
	return nil
}

// Start implements clx.Controller.
func (c *Controller) Start(ctx context.Context, irq clx.PrimaryInterrupt, restoreContext bool) error {
	var p pending
	c.mu.Lock()
	if !c.prepared {
		c.mu.Unlock()
		return errors.New("sim: start before prepare")
	}
	c.irq = irq
	c.started = true
	if restoreContext && c.saved != nil {
		for b := range c.banks {
			c.restore(b, c.saved[b])
		}
		c.saved = nil
	}
	for b := range c.banks {
		c.check(b, &p)
	}
	c.unlockFinish(&p)
	return nil
}

// Stop implements clx.Controller. Without saveContext every interrupt is
// disabled; with it the registers are kept for Start(restoreContext).
func (c *Controller) Stop(ctx context.Context, saveContext bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if saveContext {
		c.saved = append([]regs(nil), c.banks...)
	}
	for b := range c.banks {
		r := &c.banks[b]
		r.enable, r.status, r.mask = 0, 0, 0
	}
	c.started = false
	return nil
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

func (c *Controller) bankRegs(bank int) (*regs, error) {
	if bank < 0 || bank >= len(c.banks) {
		return nil, fmt.Errorf("sim: no bank %d: %w", bank, clx.ErrInvalidArgument)
	}
	if !c.banks[bank].powered {
		return nil, fmt.Errorf("sim: bank %d is powered off", bank)
	}
	return &c.banks[bank], nil
}

// ConnectIOPins implements clx.IOConnector.
func (c *Controller) ConnectIOPins(ctx context.Context, q *clx.IORequest) error {
	c.busAccess()
	var p pending
	c.mu.Lock()
	r, err := c.bankRegs(q.Bank)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	for k, i := range q.Pins {
		bit := uint64(1) << i
		old := r.padLevel(i)
		setPull(r, bit, q.Pull)
		r.debounce[i] = q.Debounce
		if q.Direction == clx.Output {
			r.out = r.out&^bit | (q.Initial>>k&1)<<i
			r.dir |= bit
		} else {
			r.dir &^= bit
		}
		c.settle(q.Bank, i, old, &p)
	}
	c.unlockFinish(&p)
	return nil
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

// DisconnectIOPins implements clx.IODisconnector: pins return to input
// with no pull, unless q.Preserve keeps an output driving.
func (c *Controller) DisconnectIOPins(ctx context.Context, q *clx.IORequest) error {
	c.busAccess()
	var p pending
	c.mu.Lock()
	r, err := c.bankRegs(q.Bank)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	for _, i := range q.Pins {
		bit := uint64(1) << i
		if q.Preserve && r.dir&bit != 0 {
			continue
		}
		old := r.padLevel(i)
		r.dir &^= bit
		r.out &^= bit
		r.pullUp &^= bit
		r.pullDown &^= bit
		r.debounce[i] = 0
		c.settle(q.Bank, i, old, &p)
	}
	c.unlockFinish(&p)
	return nil
}

func (c *Controller) levels(r *regs) uint64 {
	return r.in&^r.dir | r.out&r.dir
}

// ReadPins implements clx.PinReader.
func (c *Controller) ReadPins(ctx context.Context, bank int, pins []int) (uint64, error) {
	c.busAccess()
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.bankRegs(bank)
	if err != nil {
		return 0, err
	}
	all := c.levels(r)
	var v uint64
	for k, i := range pins {
		v |= (all >> i & 1) << k
	}
	return v, nil
}

// ReadPinsMask implements clx.MaskReader.
func (c *Controller) ReadPinsMask(ctx context.Context, bank int) (uint64, error) {
	c.busAccess()
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.bankRegs(bank)
	if err != nil {
		return 0, err
	}
	return c.levels(r), nil
}

// WritePins implements clx.PinWriter.
func (c *Controller) WritePins(ctx context.Context, bank int, pins []int, values uint64) error {
	var set, clr uint64
	for k, i := range pins {
		if values>>k&1 != 0 {
			set |= 1 << i
		} else {
			clr |= 1 << i
		}
	}
	return c.WritePinsMask(ctx, bank, set, clr)
}

// WritePinsMask implements clx.MaskWriter.
func (c *Controller) WritePinsMask(ctx context.Context, bank int, set, clear uint64) error {
	c.busAccess()
	var p pending
	c.mu.Lock()
	r, err := c.bankRegs(bank)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	changed := (r.out&clear | ^r.out&set) & r.dir
	for m := changed; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		old := r.padLevel(i)
		r.out ^= 1 << i
		c.settle(bank, i, old, &p)
	}
	r.out = (r.out | set) &^ clear
	c.unlockFinish(&p)
	return nil
}

// EnableInterrupt implements clx.InterruptEnabler.
func (c *Controller) EnableInterrupt(ctx context.Context, q *clx.InterruptRequest) error {
	c.busAccess()
	if q.Polarity == clx.ActiveBoth && c.cfg.EmulateBothEdges {
		return fmt.Errorf("sim: pin %d: both edges requested from a controller that cannot sense them", q.Pin)
	}
	if q.Debounce > 0 && c.cfg.EmulateDebounce {
		return fmt.Errorf("sim: pin %d: debounce requested from a controller without it", q.Pin)
	}
	var p pending
	c.mu.Lock()
	r, err := c.bankRegs(q.Bank)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	i := q.Pin
	bit := uint64(1) << i
	old := r.padLevel(i)
	r.dir &^= bit
	setPull(r, bit, q.Pull)
	r.debounce[i] = q.Debounce
	program(r, q)
	r.status &^= bit
	r.mask &^= bit
	r.enable |= bit
	r.in = r.in&^bit | r.padLevel(i)<<i // enabling samples the pad afresh
	r.dbGen[i]++
	c.settle(q.Bank, i, old, &p)
	c.unlockFinish(&p)
	return nil
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

// DisableInterrupt implements clx.InterruptDisabler.
func (c *Controller) DisableInterrupt(ctx context.Context, q *clx.InterruptRequest) error {
	c.busAccess()
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.bankRegs(q.Bank)
	if err != nil {
		return err
	}
	bit := uint64(1) << q.Pin
	r.enable &^= bit
	r.status &^= bit
	r.mask &^= bit
	r.mode &^= bit
	r.polHigh &^= bit
	r.both &^= bit
	r.debounce[q.Pin] = 0
	return nil
}

// MaskInterrupts implements clx.InterruptMasker.
func (c *Controller) MaskInterrupts(ctx context.Context, bank int, mask uint64) (uint64, error) {
	c.busAccess()
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.bankRegs(bank)
	if err != nil {
		return mask, err
	}
	r.mask |= mask
	return 0, nil
}

// UnmaskInterrupt implements clx.InterruptUnmasker.
func (c *Controller) UnmaskInterrupt(ctx context.Context, q *clx.InterruptRequest) error {
	c.busAccess()
	var p pending
	c.mu.Lock()
	r, err := c.bankRegs(q.Bank)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	r.mask &^= 1 << q.Pin
	c.levelStatus(q.Bank, q.Pin, &p)
	c.unlockFinish(&p)
	return nil
}

// QueryActiveInterrupts implements clx.ActiveQuerier.
func (c *Controller) QueryActiveInterrupts(ctx context.Context, bank int, enabled uint64) (uint64, error) {
	c.busAccess()
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.bankRegs(bank)
	if err != nil {
		return 0, err
	}
	active := r.status & r.enable &^ r.mask
	if c.cfg.AutoClearOnRead {
		r.status &^= active &^ r.mode // level status follows the level
	}
	return active, nil
}

// ClearActiveInterrupts implements clx.ActiveClearer. A level-sensitive
// pin's status stays set while its level is asserted.
func (c *Controller) ClearActiveInterrupts(ctx context.Context, bank int, mask uint64) (uint64, error) {
	c.busAccess()
	var p pending
	c.mu.Lock()
	r, err := c.bankRegs(bank)
	if err != nil {
		c.mu.Unlock()
		return mask, err
	}
	r.status &^= mask &^ r.mode
	c.unlockFinish(&p)
	return 0, nil
}

// QueryEnabledInterrupts implements clx.EnabledQuerier.
func (c *Controller) QueryEnabledInterrupts(ctx context.Context, bank int) (uint64, error) {
	c.busAccess()
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.bankRegs(bank)
	if err != nil {
		return 0, err
	}
	return r.enable, nil
}

// ReconfigureInterrupt implements clx.InterruptReconfigurer.
func (c *Controller) ReconfigureInterrupt(ctx context.Context, q *clx.InterruptRequest) error {
	c.busAccess()
	if q.Polarity == clx.ActiveBoth && c.cfg.EmulateBothEdges {
		return fmt.Errorf("sim: pin %d: both edges requested from a controller that cannot sense them", q.Pin)
	}
	var p pending
	c.mu.Lock()
	r, err := c.bankRegs(q.Bank)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	program(r, q)
	if q.Mode == clx.LevelSensitive {
		r.status &^= 1 << q.Pin
	}
	c.levelStatus(q.Bank, q.Pin, &p)
	c.unlockFinish(&p)
	return nil
}

// InterruptEvent implements clx.EventDescriber: the time and level of the
// event latched on the pin, on the controller's clock.
func (c *Controller) InterruptEvent(bank, pin int) clx.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &c.banks[bank]
	return clx.Event{Time: r.evTime[pin], HasTime: true, Level: r.evLevel[pin], HasLevel: true}
}

// SaveBankContext implements clx.BankContextSaver: the bank's registers
// are saved and the bank powers off (its registers are lost, its pads stop
// sensing).
func (c *Controller) SaveBankContext(ctx context.Context, bank int) error {
	c.busAccess()
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.bankRegs(bank)
	if err != nil {
		return err
	}
	c.bankSaved[bank] = *r
	pad, driven := r.pad, r.driven
	*r = regs{pad: pad, driven: driven}
	return nil
}

// RestoreBankContext implements clx.BankContextRestorer: power returns and
// the saved registers are restored, the enable state last.
func (c *Controller) RestoreBankContext(ctx context.Context, bank int) error {
	c.busAccess()
	var p pending
	c.mu.Lock()
	s, ok := c.bankSaved[bank]
	if !ok || bank < 0 || bank >= len(c.banks) {
		c.mu.Unlock()
		return fmt.Errorf("sim: bank %d has no saved context", bank)
	}
	delete(c.bankSaved, bank)
	c.restore(bank, s)
	c.check(bank, &p)
	c.unlockFinish(&p)
	return nil
}

// ControllerSpecificFunction implements clx.SpecificFunctioner. The sim
// understands one request, "identify", answered with a description of
// its configuration.
func (c *Controller) ControllerSpecificFunction(ctx context.Context, in []byte) ([]byte, error) {
	if string(in) != "identify" {
		return nil, fmt.Errorf("sim: unknown controller-specific request %q: %w", in, clx.ErrNotSupported)
	}
	return []byte(fmt.Sprintf("sim pins=%d per-bank=%d flags=%s", c.cfg.Pins, c.cfg.PinsPerBank, c.flags)), nil
}

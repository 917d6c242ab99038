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
	suspended bool   // between Suspend and Resume: no edge latches, nothing raises
	removed   bool   // between Remove and Reinsert: every access fails with ErrRemoved
	merged    uint64 // qualifying edges that found their status latched
	bankSaved map[int]regs
	observers []func(PadEvent)

	faults faults // methods armed to misbehave (InjectFault)
}

// The sim implements every group of clx's capability matrix.
var (
	_ clx.IOController          = (*Controller)(nil)
	_ clx.MaskIOController      = (*Controller)(nil)
	_ clx.InterruptController   = (*Controller)(nil)
	_ clx.BankPowerController   = (*Controller)(nil)
	_ clx.SuspendController     = (*Controller)(nil)
	_ clx.EnabledQuerier        = (*Controller)(nil)
	_ clx.InterruptReconfigurer = (*Controller)(nil)
	_ clx.EventDescriber        = (*Controller)(nil)
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
	if c.removed {
		return ErrRemoved
	}
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
func (c *Controller) Start(ctx context.Context, irq clx.PrimaryInterrupt) error {
	var p pending
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return ErrRemoved
	}
	if !c.prepared {
		c.mu.Unlock()
		return errors.New("sim: start before prepare")
	}
	c.irq = irq
	c.started = true
	for b := range c.banks {
		c.check(b, &p)
	}
	c.unlockFinish(&p)
	return nil
}

// Stop implements clx.Controller: every interrupt is disabled.
func (c *Controller) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removed {
		return ErrRemoved
	}
	for b := range c.banks {
		r := &c.banks[b]
		r.enable, r.status, r.mask = 0, 0, 0
	}
	c.started, c.suspended = false, false
	return nil
}

// Suspend implements clx.Suspender: the registers keep their
// configuration and latched status, the primary interrupt stops, and edges
// until Resume latch nothing.
func (c *Controller) Suspend(ctx context.Context) error {
	if _, err := c.fault("Suspend"); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removed {
		return ErrRemoved
	}
	if !c.started {
		return errors.New("sim: suspend a controller that is not running")
	}
	c.started, c.suspended = false, true
	return nil
}

// Resume implements clx.Suspender: level-sensitive status follows the
// level again, and any unmasked status (an asserted level, an edge
// latched before the suspend) raises.
func (c *Controller) Resume(ctx context.Context) error {
	if _, err := c.fault("Resume"); err != nil {
		return err
	}
	var p pending
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return ErrRemoved
	}
	if !c.suspended {
		c.mu.Unlock()
		return errors.New("sim: resume a controller that is not suspended")
	}
	c.started, c.suspended = true, false
	for b := range c.banks {
		for i := 0; i < c.cfg.PinsPerBank; i++ {
			c.levelStatus(b, i, &p)
		}
	}
	c.unlockFinish(&p)
	return nil
}

// ConnectIOPins implements clx.IOConnector.
func (c *Controller) ConnectIOPins(ctx context.Context, q *clx.IORequest) error {
	if _, err := c.fault("ConnectIOPins"); err != nil {
		return err
	}
	r, err := c.lockBank(q.Bank)
	if err != nil {
		return err
	}
	var p pending
	for k, i := range q.Pins {
		bit := uint64(1) << i
		setPull(r, bit, q.Pull)
		r.debounce[i] = q.Debounce
		r.openDrain &^= bit
		r.openSource &^= bit
		if q.Direction == clx.Output {
			switch q.Drive {
			case clx.DriveOpenDrain:
				r.openDrain |= bit
			case clx.DriveOpenSource:
				r.openSource |= bit
			}
			r.out = r.out&^bit | (q.Initial>>k&1)<<i
			r.dir |= bit
		} else {
			r.dir &^= bit
		}
		c.settle(q.Bank, i, &p)
	}
	c.unlockFinish(&p)
	return nil
}

// DisconnectIOPins implements clx.IODisconnector: pins return to input
// with no pull, unless q.Preserve keeps an output driving.
func (c *Controller) DisconnectIOPins(ctx context.Context, q *clx.IORequest) error {
	if _, err := c.fault("DisconnectIOPins"); err != nil {
		return err
	}
	r, err := c.lockBank(q.Bank)
	if err != nil {
		return err
	}
	var p pending
	for _, i := range q.Pins {
		bit := uint64(1) << i
		if q.Preserve && r.dir&bit != 0 {
			continue
		}
		r.dir &^= bit
		r.out &^= bit
		r.openDrain &^= bit
		r.openSource &^= bit
		r.pullUp &^= bit
		r.pullDown &^= bit
		r.debounce[i] = 0
		c.settle(q.Bank, i, &p)
	}
	c.unlockFinish(&p)
	return nil
}

// ReadPins implements clx.PinReader.
func (c *Controller) ReadPins(ctx context.Context, bank int, pins []int) (uint64, error) {
	if _, err := c.fault("ReadPins"); err != nil {
		return 0, err
	}
	r, err := c.lockBank(bank)
	if err != nil {
		return 0, err
	}
	defer c.mu.Unlock()
	all := c.levels(r)
	var v uint64
	for k, i := range pins {
		v |= (all >> i & 1) << k
	}
	return v, nil
}

// ReadPinsMask implements clx.MaskReader.
func (c *Controller) ReadPinsMask(ctx context.Context, bank int) (uint64, error) {
	if _, err := c.fault("ReadPinsMask"); err != nil {
		return 0, err
	}
	r, err := c.lockBank(bank)
	if err != nil {
		return 0, err
	}
	defer c.mu.Unlock()
	return c.levels(r), nil
}

// WritePins implements clx.PinWriter.
func (c *Controller) WritePins(ctx context.Context, bank int, pins []int, values uint64) error {
	if _, err := c.fault("WritePins"); err != nil {
		return err
	}
	var set, clr uint64
	for k, i := range pins {
		if values>>k&1 != 0 {
			set |= 1 << i
		} else {
			clr |= 1 << i
		}
	}
	return c.writeMask(bank, set, clr)
}

// WritePinsMask implements clx.MaskWriter.
func (c *Controller) WritePinsMask(ctx context.Context, bank int, set, clear uint64) error {
	if _, err := c.fault("WritePinsMask"); err != nil {
		return err
	}
	return c.writeMask(bank, set, clear)
}

// writeMask sets the output latches of set and clears those of clear.
func (c *Controller) writeMask(bank int, set, clear uint64) error {
	r, err := c.lockBank(bank)
	if err != nil {
		return err
	}
	var p pending
	changed := (r.out&clear | ^r.out&set) & r.dir
	for m := changed; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		r.out ^= 1 << i
		c.settle(bank, i, &p)
	}
	r.out = (r.out | set) &^ clear
	c.unlockFinish(&p)
	return nil
}

// EnableInterrupt implements clx.InterruptEnabler.
func (c *Controller) EnableInterrupt(ctx context.Context, q *clx.InterruptRequest) error {
	if _, err := c.fault("EnableInterrupt"); err != nil {
		return err
	}
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
	r.dir &^= bit
	setPull(r, bit, q.Pull)
	r.debounce[i] = q.Debounce
	program(r, q)
	r.status &^= bit
	r.mask &^= bit
	r.enable |= bit
	r.in = r.in&^bit | r.padLevel(i)<<i // enabling samples the pad afresh
	r.dbGen[i]++
	c.settle(q.Bank, i, &p)
	c.unlockFinish(&p)
	return nil
}

// DisableInterrupt implements clx.InterruptDisabler.
func (c *Controller) DisableInterrupt(ctx context.Context, q *clx.InterruptRequest) error {
	if _, err := c.fault("DisableInterrupt"); err != nil {
		return err
	}
	r, err := c.lockBank(q.Bank)
	if err != nil {
		return err
	}
	defer c.mu.Unlock()
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
	if mode, err := c.fault("MaskInterrupts"); err != nil || mode == FaultUnapplied {
		return mask, err
	}
	r, err := c.lockBank(bank)
	if err != nil {
		return mask, err
	}
	defer c.mu.Unlock()
	r.mask |= mask
	return 0, nil
}

// UnmaskInterrupt implements clx.InterruptUnmasker.
func (c *Controller) UnmaskInterrupt(ctx context.Context, q *clx.InterruptRequest) error {
	if _, err := c.fault("UnmaskInterrupt"); err != nil {
		return err
	}
	r, err := c.lockBank(q.Bank)
	if err != nil {
		return err
	}
	var p pending
	r.mask &^= 1 << q.Pin
	c.levelStatus(q.Bank, q.Pin, &p)
	c.unlockFinish(&p)
	return nil
}

// QueryActiveInterrupts implements clx.ActiveQuerier.
func (c *Controller) QueryActiveInterrupts(ctx context.Context, bank int, enabled uint64) (uint64, error) {
	mode, err := c.fault("QueryActiveInterrupts")
	if err != nil {
		return 0, err
	}
	r, err := c.lockBank(bank)
	if err != nil {
		return 0, err
	}
	defer c.mu.Unlock()
	active := r.status & r.enable &^ r.mask
	if c.cfg.AutoClearOnRead {
		r.status &^= active &^ r.mode // level status follows the level
	}
	if mode == FaultPhantom {
		active |= c.bankMask() &^ enabled
	}
	return active, nil
}

// ClearActiveInterrupts implements clx.ActiveClearer. A level-sensitive
// pin's status stays set while its level is asserted.
func (c *Controller) ClearActiveInterrupts(ctx context.Context, bank int, mask uint64) (uint64, error) {
	if mode, err := c.fault("ClearActiveInterrupts"); err != nil || mode == FaultUnapplied {
		return mask, err
	}
	r, err := c.lockBank(bank)
	if err != nil {
		return mask, err
	}
	defer c.mu.Unlock()
	r.status &^= mask &^ r.mode
	return 0, nil
}

// QueryEnabledInterrupts implements clx.EnabledQuerier.
func (c *Controller) QueryEnabledInterrupts(ctx context.Context, bank int) (uint64, error) {
	if _, err := c.fault("QueryEnabledInterrupts"); err != nil {
		return 0, err
	}
	r, err := c.lockBank(bank)
	if err != nil {
		return 0, err
	}
	defer c.mu.Unlock()
	return r.enable, nil
}

// ReconfigureInterrupt implements clx.InterruptReconfigurer. An edge
// pin's status register is left alone (an edge latched before stays
// latched); a level pin's status follows its level under the new
// polarity.
func (c *Controller) ReconfigureInterrupt(ctx context.Context, q *clx.InterruptRequest) error {
	if _, err := c.fault("ReconfigureInterrupt"); err != nil {
		return err
	}
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
func (c *Controller) InterruptEvent(ctx context.Context, bank, pin int) (clx.Event, error) {
	if _, err := c.fault("InterruptEvent"); err != nil {
		return clx.Event{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.bankRegs(bank)
	if err != nil {
		return clx.Event{}, err
	}
	if pin < 0 || pin >= c.cfg.PinsPerBank {
		return clx.Event{}, fmt.Errorf("sim: bank %d has no pin %d: %w", bank, pin, clx.ErrInvalidArgument)
	}
	return clx.Event{Time: r.evTime[pin], HasTime: true, Level: r.evLevel[pin], HasLevel: true}, nil
}

// SaveBankContext implements clx.BankContextSaver: the bank's registers
// are saved and the bank powers off (its registers are lost, its pads stop
// sensing).
func (c *Controller) SaveBankContext(ctx context.Context, bank int) error {
	if _, err := c.fault("SaveBankContext"); err != nil {
		return err
	}
	r, err := c.lockBank(bank)
	if err != nil {
		return err
	}
	defer c.mu.Unlock()
	c.bankSaved[bank] = *r
	pad, driven := r.pad, r.driven
	*r = regs{pad: pad, driven: driven}
	return nil
}

// RestoreBankContext implements clx.BankContextRestorer: power returns and
// the saved registers are restored, the enable state last.
func (c *Controller) RestoreBankContext(ctx context.Context, bank int) error {
	if _, err := c.fault("RestoreBankContext"); err != nil {
		return err
	}
	c.busAccess()
	var p pending
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return ErrRemoved
	}
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
	if _, err := c.fault("ControllerSpecificFunction"); err != nil {
		return nil, err
	}
	if c.Removed() {
		return nil, ErrRemoved
	}
	if string(in) != "identify" {
		return nil, fmt.Errorf("sim: unknown controller-specific request %q: %w", in, clx.ErrNotSupported)
	}
	return []byte(fmt.Sprintf("sim pins=%d per-bank=%d flags=%s", c.cfg.Pins, c.cfg.PinsPerBank, c.flags)), nil
}

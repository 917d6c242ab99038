package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/gpiohil/gpiohil/clx"
)

// DefaultPins is the pin count, and the bank size, of a zero Config.
const DefaultPins = 32

// Config selects the controller's size and capabilities. The zero value is
// a 32-pin, single-bank, memory-mapped controller that senses both edges
// natively and debounces in hardware.
type Config struct {
	Pins        int // total pins; 0 means DefaultPins
	PinsPerBank int // 1..64; 0 means DefaultPins, or Pins when fewer

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

// WithDefaults returns c with its zero sizes replaced by the defaults:
// 32 pins, banks of 32 (or of every pin, when fewer).
func (c Config) WithDefaults() Config {
	if c.Pins == 0 {
		c.Pins = DefaultPins
	}
	if c.PinsPerBank == 0 {
		c.PinsPerBank = min(DefaultPins, c.Pins)
	}
	return c
}

// New returns a controller configured by cfg.
func New(cfg Config) (*Controller, error) {
	cfg = cfg.WithDefaults()
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

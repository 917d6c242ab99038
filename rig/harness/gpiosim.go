package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warthog618/go-gpiosim"

	"github.com/gpiohil/gpiohil/rig/firmware"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// GPIOSim wires a virtual MCU to the lines of a kernel gpio-sim chip: what
// an MCU pin puts on a wire becomes the line's simulated pull (driven high
// or pulled up: pull-up; driven low or pulled down: pull-down), and what
// the target drives is sensed by polling the line's value. gpio-sim has
// one pull per line, so the two sides' pulls cannot both be modelled: a
// rig on it does not declare the pulls capability.
type GPIOSim struct {
	sim    *gpiosim.Sim
	chip   *gpiosim.Chip
	mcu    MCU
	poll   time.Duration
	mu     sync.Mutex  // protects wires, last, driven
	wires  map[int]int // MCU pin → line offset
	last   map[int]int // line offset → last value seen
	driven map[int]int // MCU pin → level it drives (absent: not driving)
	cycles atomic.Uint64
	files  map[int]*lineFiles // by line offset, opened once: no open/close per poll
	gapsMu sync.Mutex
	gaps   [256]time.Duration // the latest polls' times since the poll before, for polls that sensed a change: a ring
	done   chan struct{}
	wg     sync.WaitGroup
}

// lineFiles are a gpio-sim line's sysfs attributes, kept open and
// accessed at offset 0 (each read at 0 regenerates the value).
type lineFiles struct {
	value, pull *os.File
}

func (l *lineFiles) level() (int, error) {
	var b [4]byte
	n, err := l.value.ReadAt(b[:], 0)
	if n == 0 {
		return 0, fmt.Errorf("harness: read gpio-sim value: %w", err)
	}
	return int(b[0] - '0'), nil
}

func (l *lineFiles) setPull(v int) error {
	s := "pull-down"
	if v == 1 {
		s = "pull-up"
	}
	_, err := l.pull.WriteAt([]byte(s), 0)
	return err
}

// NewGPIOSim creates a gpio-sim chip labelled label with n lines (through
// configfs: needs root and the gpio-sim module).
func NewGPIOSim(label string, n int) (*GPIOSim, error) {
	s, err := gpiosim.NewSim(gpiosim.WithName("gpiohil"), gpiosim.WithBank(gpiosim.NewBank(label, n)))
	if err != nil {
		return nil, fmt.Errorf("harness: create gpio-sim chip %q with %d lines (is the gpio-sim module loaded, configfs mounted, and are you root?): %w", label, n, err)
	}
	return &GPIOSim{sim: s, chip: &s.Chips[0], wires: map[int]int{}, last: map[int]int{}, driven: map[int]int{},
		files: map[int]*lineFiles{}, done: make(chan struct{})}, nil
}

// ChipName returns the gpiochip name of the simulated chip.
func (g *GPIOSim) ChipName() string { return g.chip.ChipName() }

// Attach starts carrying changes between m and the chip's lines, polling
// target outputs every poll (0 means 100µs).
func (g *GPIOSim) Attach(m MCU, poll time.Duration) {
	if poll <= 0 {
		poll = 100 * time.Microsecond
	}
	g.mcu, g.poll = m, poll
	m.OnDrive(g.mcuChanged)
	g.wg.Add(1)
	go g.poller()
}

// Connect adds a wire between an MCU pin and a line offset.
func (g *GPIOSim) Connect(w Wire) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.TargetPin < 0 || w.TargetPin >= g.chip.Config().NumLines {
		return fmt.Errorf("%w: wire %s: gpio-sim chip has no line %d", ErrBadWiring, w.Name, w.TargetPin)
	}
	dirs, _ := filepath.Glob(fmt.Sprintf("/sys/devices/platform/*/%s/sim_gpio%d", g.chip.ChipName(), w.TargetPin))
	if len(dirs) != 1 {
		return fmt.Errorf("%w: wire %s: no sysfs directory for line %d of %s", ErrBadWiring, w.Name, w.TargetPin, g.chip.ChipName())
	}
	v, err := os.Open(filepath.Join(dirs[0], "value"))
	if err != nil {
		return fmt.Errorf("harness: wire %s: %w", w.Name, err)
	}
	p, err := os.OpenFile(filepath.Join(dirs[0], "pull"), os.O_WRONLY, 0)
	if err != nil {
		v.Close()
		return fmt.Errorf("harness: wire %s: %w", w.Name, err)
	}
	g.files[w.TargetPin] = &lineFiles{value: v, pull: p}
	g.wires[w.MCUPin] = w.TargetPin
	g.last[w.TargetPin] = -1
	return nil
}

func (g *GPIOSim) mcuChanged(e firmware.PinOutput) {
	g.mu.Lock()
	off, ok := g.wires[e.Pin]
	lf := g.files[off]
	if ok {
		delete(g.driven, e.Pin)
		if e.Driven {
			g.driven[e.Pin] = 0
			if e.Level {
				g.driven[e.Pin] = 1
			}
		}
	}
	g.mu.Unlock()
	if !ok {
		return
	}
	switch {
	case e.Driven && e.Level, !e.Driven && e.Pull == proto.PullUp:
		_ = lf.setPull(1)
	case e.Driven, e.Pull == proto.PullDown:
		_ = lf.setPull(0)
	}
}

// poller senses the lines' values and tells the MCU of every change. A
// line the MCU drives that reads otherwise has had its pull overwritten
// by the target's bias (gpio-sim keeps one pull per line): the MCU's level
// is written again (if the target is driving the line, it still wins).
func (g *GPIOSim) poller() {
	defer g.wg.Done()
	var last time.Time
	sensed := 0
	for n := 0; ; n++ {
		select {
		case <-g.done:
			return
		case <-time.After(g.poll):
		}
		now := time.Now()
		gap := now.Sub(last)
		last = now
		g.mu.Lock()
		type change struct{ pin, v int }
		var changes []change
		var reassert []change
		for pin, off := range g.wires {
			v, err := g.files[off].level()
			if err != nil {
				continue
			}
			if d, ok := g.driven[pin]; ok && d != v {
				reassert = append(reassert, change{off, d})
			}
			if v == g.last[off] {
				continue
			}
			g.last[off] = v
			changes = append(changes, change{pin, v})
		}
		g.mu.Unlock()
		for _, c := range reassert {
			_ = g.files[c.pin].setPull(c.v)
		}
		for _, c := range changes {
			_ = g.mcu.SetInput(c.pin, true, c.v == 1)
		}
		if len(changes) > 0 && n > 0 {
			// A change sensed now happened since the previous poll.
			g.gapsMu.Lock()
			g.gaps[sensed%len(g.gaps)] = gap
			g.gapsMu.Unlock()
			sensed++
		}
		g.cycles.Add(1)
	}
}

// Period is how late a sensed change may reach the MCU: the 99th
// percentile, over the latest 256 polls that sensed a change, of the time
// since the poll before (the poll period plus a poll's own work and the
// scheduler's lateness). Before any change it is the poll period asked
// for.
func (g *GPIOSim) Period() time.Duration {
	g.gapsMu.Lock()
	var gaps []time.Duration
	for _, d := range g.gaps {
		if d > 0 {
			gaps = append(gaps, d)
		}
	}
	g.gapsMu.Unlock()
	if len(gaps) == 0 {
		return g.poll
	}
	slices.Sort(gaps)
	return gaps[len(gaps)*99/100]
}

// Sync waits until a whole poll has run after the call, so every level on
// the lines has reached the MCU.
func (g *GPIOSim) Sync(ctx context.Context) error {
	want := g.cycles.Load() + 2
	for g.cycles.Load() < want {
		select {
		case <-ctx.Done():
			return fmt.Errorf("harness: gpio-sim sync: %w", ctx.Err())
		case <-g.done:
			return nil
		case <-time.After(g.poll):
		}
	}
	return nil
}

// Close stops the poller and removes the simulated chip.
func (g *GPIOSim) Close() {
	select {
	case <-g.done:
		return
	default:
	}
	close(g.done)
	g.wg.Wait()
	for _, f := range g.files {
		f.value.Close()
		f.pull.Close()
	}
	g.sim.Close()
}

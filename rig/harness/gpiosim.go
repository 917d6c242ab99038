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

	"github.com/warthog618/go-gpiocdev"
	"github.com/warthog618/go-gpiosim"

	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/firmware"
)

// GPIOSim wires a virtual MCU to the lines of a kernel gpio-sim chip.
// gpio-sim keeps one pull per line, which is also what an input (or a
// released line) reads; the harness models both ends of each wire on it:
//
//   - Towards the target, the line's pull holds what the MCU puts on the
//     wire: its drive, else its pull (a weak pull is seen as a level, as
//     across Harness's wires), else, with the MCU floating, the target's
//     own bias. The kernel writes a consumer's bias into the same pull
//     when it requests or reconfigures the line; the harness hears of it
//     by watching the line's info (GPIO_V2_GET_LINEINFO_WATCH) and writes
//     the MCU's level back, and a poll that finds an input's value off
//     that level writes it again.
//   - Towards the MCU, the wire carries what the target's consumer puts
//     on it, from the same line info: an output's level (sensed by
//     polling the line's value), an input's bias (seen as a level), or
//     nothing (a released line, an input without bias), when the MCU
//     reads its own pull.
//
// What it cannot model: an open-drain or open-source output letting go
// of its line (6.1's gpiolib emulates that by turning the line into an
// input while still flagging it an output, and gpio-sim then keeps the
// last driven value), and a request's bias reaching the line for the
// moment before the harness writes the MCU's level back (a connection
// that arms edges in the same request can see that as an edge).
type GPIOSim struct {
	sim    *gpiosim.Sim
	chip   *gpiosim.Chip
	cdev   *gpiocdev.Chip // the chip's character device, for its lines' info
	mcu    MCU
	poll   time.Duration
	mu     sync.Mutex           // protects lines and the pulls written
	lines  map[int]*gpioSimLine // by MCU pin
	cycles atomic.Uint64
	gapsMu sync.Mutex
	gaps   [256]time.Duration // the latest polls' times since the poll before, for polls that sensed a change: a ring
	done   chan struct{}
	wg     sync.WaitGroup
}

// gpioSimLine is one wire's gpio-sim line and what each end puts on it.
type gpioSimLine struct {
	name   string
	mcuPin int
	offset int
	files  lineFiles          // opened once: no open/close per poll
	mcu    firmware.PinOutput // what the MCU pin puts on the wire
	target gpiocdev.LineInfo  // what the target's consumer makes of the line
	value  int                // the line's value at the last poll, -1 before it
	told   bool               // the MCU has been told what the target end carries
	toMCU  [2]bool            // what it was told: driven, level
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

// gpioSimPull is the level a line's gpio-sim pull must hold, given what
// the MCU puts on the wire and what the target's consumer makes of the
// line; ok is false when nothing holds the line (the MCU floats and the
// target has no bias) and it keeps the level it has.
func gpioSimPull(m firmware.PinOutput, target gpiocdev.LineInfo) (level int, ok bool) {
	if driven, high := asLevel(m); driven {
		return int(boolBit(high)), true
	}
	if up, down := targetBias(target); up || down {
		return int(boolBit(up)), true
	}
	return 0, false
}

// gpioSimToMCU is what the target end of a line carries to the MCU: an
// output's level (the line's value), an input's bias, or nothing.
func gpioSimToMCU(target gpiocdev.LineInfo, value int) (driven, level bool) {
	up, down := targetBias(target)
	return carried(fixtures.Healthy, targetDrives(target), value == 1, up, down)
}

// targetDrives reports whether the target's consumer holds the line as an
// output.
func targetDrives(target gpiocdev.LineInfo) bool {
	return target.Used && target.Config.Direction == gpiocdev.LineDirectionOutput
}

// targetBias is the pull the target's consumer puts on an input line.
func targetBias(target gpiocdev.LineInfo) (up, down bool) {
	if !target.Used || target.Config.Direction != gpiocdev.LineDirectionInput {
		return false, false
	}
	return target.Config.Bias == gpiocdev.LineBiasPullUp, target.Config.Bias == gpiocdev.LineBiasPullDown
}

// NewGPIOSim creates a gpio-sim chip labelled label with n lines (through
// configfs: needs root and the gpio-sim module).
func NewGPIOSim(label string, n int) (*GPIOSim, error) {
	s, err := gpiosim.NewSim(gpiosim.WithName("gpiohil"), gpiosim.WithBank(gpiosim.NewBank(label, n)))
	if err != nil {
		return nil, fmt.Errorf("harness: create gpio-sim chip %q with %d lines (is the gpio-sim module loaded, configfs mounted, and are you root?): %w", label, n, err)
	}
	g := &GPIOSim{sim: s, chip: &s.Chips[0], lines: map[int]*gpioSimLine{}, done: make(chan struct{})}
	if g.cdev, err = gpiocdev.NewChip(g.chip.ChipName(), gpiocdev.WithConsumer("gpiohil harness")); err != nil {
		s.Close()
		return nil, fmt.Errorf("harness: open gpio-sim chip %s to watch its lines: %w", g.chip.ChipName(), err)
	}
	return g, nil
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

// Connect adds a wire between an MCU pin and a line offset, and starts
// watching the line's info.
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
	l := &gpioSimLine{name: w.Name, mcuPin: w.MCUPin, offset: w.TargetPin, files: lineFiles{value: v, pull: p}, value: -1}
	if g.mcu != nil {
		l.mcu = g.mcu.Output(w.MCUPin)
	}
	info, err := g.cdev.WatchLineInfo(w.TargetPin, g.targetChanged)
	if err != nil {
		v.Close()
		p.Close()
		return fmt.Errorf("harness: wire %s: watch line %d of %s: %w", w.Name, w.TargetPin, g.chip.ChipName(), err)
	}
	l.target = info
	g.lines[w.MCUPin] = l
	g.holdLocked(l)
	return nil
}

// holdLocked writes the level the line's pull must hold, if any.
func (g *GPIOSim) holdLocked(l *gpioSimLine) {
	if v, ok := gpioSimPull(l.mcu, l.target); ok {
		_ = l.files.setPull(v)
	}
}

// mcuChanged puts what an MCU pin now does on its line.
func (g *GPIOSim) mcuChanged(e firmware.PinOutput) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if l, ok := g.lines[e.Pin]; ok {
		l.mcu = e
		g.holdLocked(l)
	}
}

// targetChanged is told of every request, release and reconfiguration of
// a watched line by the target: a bias the kernel has just written into
// the line's pull gives way to what the MCU puts on the wire.
func (g *GPIOSim) targetChanged(e gpiocdev.LineInfoChangeEvent) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, l := range g.lines {
		if l.offset == e.Info.Offset {
			l.target = e.Info
			g.holdLocked(l)
		}
	}
}

// poller senses the lines' values and tells the MCU of every change of
// what the target end of a wire carries. An input (or released) line
// whose value is off the level its pull must hold has had the pull
// overwritten by the kernel since: the level is written again.
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
		type change struct {
			pin           int
			driven, level bool
		}
		var changes []change
		g.mu.Lock()
		for pin, l := range g.lines {
			v, err := l.files.level()
			if err != nil {
				continue
			}
			l.value = v
			if hold, ok := gpioSimPull(l.mcu, l.target); ok && hold != v && !targetDrives(l.target) {
				_ = l.files.setPull(hold)
			}
			driven, level := gpioSimToMCU(l.target, v)
			if l.told && l.toMCU == [2]bool{driven, level} {
				continue
			}
			l.told, l.toMCU = true, [2]bool{driven, level}
			changes = append(changes, change{pin, driven, level})
		}
		g.mu.Unlock()
		for _, c := range changes {
			_ = g.mcu.SetInput(c.pin, c.driven, c.level)
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

// Sync waits until the target's every change to its lines has been
// heard (each line's info is read again, not left to the watch's
// events) and a whole poll has run after the call, so every level on the
// lines has reached both ends.
func (g *GPIOSim) Sync(ctx context.Context) error {
	g.mu.Lock()
	for _, l := range g.lines {
		info, err := g.cdev.LineInfo(l.offset)
		if err != nil {
			g.mu.Unlock()
			return fmt.Errorf("harness: gpio-sim sync: line %d (wire %s): %w", l.offset, l.name, err)
		}
		l.target = info
		g.holdLocked(l)
	}
	g.mu.Unlock()
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
	g.cdev.Close()
	for _, l := range g.lines {
		l.files.value.Close()
		l.files.pull.Close()
	}
	g.sim.Close()
}

package virtual

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"

	"github.com/gpiohil/gpiohil/rig/firmware"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// DefaultPins is the virtual MCU's pin count, as the Pico's GP0–GP22.
const DefaultPins = 23

// Config describes a virtual MCU. The zero value is a 23-pin board named
// "virtual".
type Config struct {
	Name string
	Pins int
}

type pin struct {
	drive     proto.Drive
	pull      proto.Pull
	extDriven bool // something outside puts a level on the wire
	ext       bool
	armed     bool
	seen      bool // the level the MCU's input sees
}

// MCU is a virtual companion MCU.
type MCU struct {
	epoch time.Time
	core  *firmware.Core

	irqMu   sync.Mutex // serializes edge callbacks: the ring has one producer
	mu      sync.Mutex // protects pins, handler, observers
	pins    []pin
	handler firmware.EdgeFunc
	obs     []func(firmware.PinOutput)

	pollMu sync.Mutex // serializes calls into the core

	rxMu sync.Mutex // protects rx
	rx   []byte
	wake chan struct{}

	master, slave *os.File
	path          string
	done          chan struct{}
	stopped       chan struct{}
	closeOnce     sync.Once
	dropOut       atomic.Int32 // outgoing frames to drop (fault injection)
}

// New makes a virtual MCU; Start serves it.
func New(cfg Config) (*MCU, error) {
	if cfg.Name == "" {
		cfg.Name = "virtual"
	}
	if cfg.Pins == 0 {
		cfg.Pins = DefaultPins
	}
	if cfg.Pins < 1 || cfg.Pins > proto.MaxPins {
		return nil, fmt.Errorf("virtual: %d pins, want 1..%d", cfg.Pins, proto.MaxPins)
	}
	m := &MCU{epoch: time.Now(), pins: make([]pin, cfg.Pins), wake: make(chan struct{}, 1),
		done: make(chan struct{}), stopped: make(chan struct{})}
	m.core = firmware.New(m, firmware.Config{Name: cfg.Name, Pins: cfg.Pins,
		Caps: proto.CapHiZ | proto.CapPullUp | proto.CapPullDown})
	return m, nil
}

// Start opens a pseudo-terminal, puts it in raw mode and runs the firmware
// main loop until Close or ctx ends. It returns the tty path to open.
func (m *MCU) Start(ctx context.Context) (string, error) {
	master, slave, err := pty.Open()
	if err != nil {
		return "", fmt.Errorf("virtual: open pseudo-terminal: %w", err)
	}
	// Raw mode, so no byte is translated or echoed before the host opens
	// the tty.
	if _, err := term.MakeRaw(int(slave.Fd())); err != nil {
		master.Close()
		slave.Close()
		return "", fmt.Errorf("virtual: raw mode on %s: %w", slave.Name(), err)
	}
	m.master, m.slave, m.path = master, slave, slave.Name()
	go m.reader()
	go m.loop(ctx)
	return m.path, nil
}

// Path returns the tty path the host opens.
func (m *MCU) Path() string { return m.path }

// Core returns the firmware core (for statistics).
func (m *MCU) Core() *firmware.Core { return m.core }

// Close stops the MCU as if it died: the main loop ends and the pty
// master closes, so the host sees its peer vanish. Idempotent.
func (m *MCU) Close() error {
	m.closeOnce.Do(func() {
		close(m.done)
		if m.master != nil {
			m.master.Close()
			<-m.stopped
			m.slave.Close()
		}
	})
	return nil
}

func (m *MCU) reader() {
	buf := make([]byte, 512)
	for {
		n, err := m.master.Read(buf)
		if n > 0 {
			m.rxMu.Lock()
			m.rx = append(m.rx, buf[:n]...)
			m.rxMu.Unlock()
			// Answer in this goroutine, without waking the loop: a
			// command costs no goroutine hand-off. The loop is woken only
			// when the command scheduled something.
			if m.poll() != 0 {
				m.signal()
			}
		}
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			// EIO while no host has the tty open: wait and retry.
			select {
			case <-m.done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
}

// poll runs the core until no received byte is left (Poll reads a bounded
// amount: the rest must not wait for another wake-up) and returns the
// next deadline. The reader and the loop both call it; pollMu keeps the
// core single-threaded, as on a board.
func (m *MCU) poll() uint64 {
	m.pollMu.Lock()
	defer m.pollMu.Unlock()
	for {
		next := m.core.Poll()
		if !m.rxPending() {
			return next
		}
	}
}

// rxPending reports whether received bytes wait for the core.
func (m *MCU) rxPending() bool {
	m.rxMu.Lock()
	defer m.rxMu.Unlock()
	return len(m.rx) > 0
}

func (m *MCU) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// loop is the firmware main loop for edges and timers: poll, then sleep
// until an edge, a scheduled action or a byte's command that scheduled
// one. (The reader polls for the bytes it receives, under the same lock.)
// No wake-up is lost: the reader polls after appending to rx and signals
// when a deadline results, an edge signals after pushing to the ring, and
// the wake channel keeps one signal, so anything that arrives after poll
// looked finds the signal set when the loop sleeps.
func (m *MCU) loop(ctx context.Context) {
	defer close(m.stopped)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := m.poll()
		wait := time.Hour
		if next != 0 {
			now := m.Ticks()
			if next <= now {
				continue
			}
			wait = time.Duration(next - now)
		}
		timer.Reset(wait)
		select {
		case <-m.wake:
		case <-timer.C:
		case <-m.done:
			return
		case <-ctx.Done():
			return
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// OnDrive registers fn to receive every change of what the MCU puts on a
// wire. fn runs in the goroutine that made the change, with no lock held.
func (m *MCU) OnDrive(fn func(firmware.PinOutput)) {
	m.mu.Lock()
	m.obs = append(m.obs, fn)
	m.mu.Unlock()
}

// SetInput tells the MCU what the other side puts on pin's wire now: a
// level (driven) or nothing. An armed pin whose level changes captures an
// edge.
func (m *MCU) SetInput(p int, driven, level bool) error {
	return m.SetInputAt(p, driven, level, time.Now())
}

// SetInputAt is SetInput for a change that reached the pin at host time
// at (not later than now): an edge it captures carries at's tick. The
// harness passes the time a change physically arrived, so a wire's delay
// is exact in the MCU's timestamps however late the goroutine ran.
func (m *MCU) SetInputAt(p int, driven, level bool, at time.Time) error {
	if p < 0 || p >= len(m.pins) {
		return fmt.Errorf("virtual: no pin %d", p)
	}
	tick := m.tickOf(at)
	m.irqMu.Lock()
	m.mu.Lock()
	m.pins[p].extDriven, m.pins[p].ext = driven, level
	fire, lvl, h := m.resolveLocked(p)
	m.mu.Unlock()
	if fire {
		h(p, lvl, tick)
	}
	m.irqMu.Unlock()
	if fire {
		m.signal()
	}
	return nil
}

// TickTime returns the host time of a tick: the tick counter is this
// process's monotonic clock.
func (m *MCU) TickTime(tick uint64) time.Time { return m.epoch.Add(time.Duration(tick)) }

// tickOf is the tick of host time t.
func (m *MCU) tickOf(t time.Time) uint64 { return uint64(t.Sub(m.epoch)) }

// Pins returns the MCU's pin count.
func (m *MCU) Pins() int { return len(m.pins) }

// Level returns the level the MCU's input sees on a pin.
func (m *MCU) Level(p int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pins[p].seen
}

// Output returns what the MCU puts on a pin's wire.
func (m *MCU) Output(p int) firmware.PinOutput {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.outputLocked(p, m.Ticks())
}

// outputLocked is what pin p puts on its wire, as of tick.
func (m *MCU) outputLocked(p int, tick uint64) firmware.PinOutput {
	s := m.pins[p]
	e := firmware.PinOutput{Pin: p, Pull: s.pull, Tick: tick}
	if s.drive != proto.DriveHiZ {
		e.Driven, e.Level, e.Pull = true, s.drive == proto.DriveHigh, proto.PullNone
	}
	return e
}

// resolveLocked recomputes what pin p's input sees and reports whether an
// armed edge fired.
func (m *MCU) resolveLocked(p int) (fire, level bool, h firmware.EdgeFunc) {
	s := &m.pins[p]
	var l bool
	switch {
	case s.drive == proto.DriveHigh:
		l = true
	case s.drive == proto.DriveLow:
		l = false
	case s.extDriven:
		l = s.ext
	default:
		l = s.pull == proto.PullUp
	}
	if l == s.seen {
		return false, l, nil
	}
	s.seen = l
	if !s.armed || m.handler == nil {
		return false, l, nil
	}
	return true, l, m.handler
}

// SetPin implements firmware.HAL.
func (m *MCU) SetPin(p int, drive proto.Drive, pull proto.Pull) { m.SetPinStamped(p, drive, pull) }

// SetPinStamped implements firmware.StampedOutput: the change, the edge it
// may capture on the pin itself and the PinOutput the harness carries all
// bear the one tick it returns.
func (m *MCU) SetPinStamped(p int, drive proto.Drive, pull proto.Pull) uint64 {
	m.irqMu.Lock()
	m.mu.Lock()
	tick := m.Ticks()
	s := &m.pins[p]
	before := m.outputLocked(p, tick)
	s.drive, s.pull = drive, pull
	after := m.outputLocked(p, tick)
	fire, lvl, h := m.resolveLocked(p)
	obs := m.obs
	m.mu.Unlock()
	if fire {
		h(p, lvl, tick)
	}
	m.irqMu.Unlock()
	if before.Driven != after.Driven || before.Level != after.Level || before.Pull != after.Pull {
		for _, o := range obs {
			o(after)
		}
	}
	return tick
}

// ReadPin implements firmware.HAL.
func (m *MCU) ReadPin(p int) bool { return m.Level(p) }

// ArmEdges implements firmware.HAL.
func (m *MCU) ArmEdges(p int, on bool) {
	m.mu.Lock()
	m.pins[p].armed = on
	m.mu.Unlock()
}

// SetEdgeHandler implements firmware.HAL.
func (m *MCU) SetEdgeHandler(f firmware.EdgeFunc) {
	m.mu.Lock()
	m.handler = f
	m.mu.Unlock()
}

// Epoch is the host time at which the MCU's tick counter read zero.
func (m *MCU) Epoch() time.Time { return m.epoch }

// Ticks implements firmware.HAL: nanoseconds since the MCU was made.
func (m *MCU) Ticks() uint64 { return uint64(time.Since(m.epoch)) }

// TickHz implements firmware.HAL.
func (m *MCU) TickHz() uint32 { return 1_000_000_000 }

// ReadSerial implements firmware.HAL.
func (m *MCU) ReadSerial(p []byte) int {
	m.rxMu.Lock()
	defer m.rxMu.Unlock()
	n := copy(p, m.rx)
	m.rx = m.rx[:copy(m.rx, m.rx[n:])]
	return n
}

// WriteSerial implements firmware.HAL. A write that fails (the pty is
// closing) is dropped, as bytes on a disconnected line are.
func (m *MCU) WriteSerial(p []byte) {
	if m.dropOut.Load() > 0 && m.dropOut.Add(-1) >= 0 {
		return
	}
	_, _ = m.master.Write(p)
}

// DropOutput makes the MCU silently drop its next n outgoing frames, as a
// noisy line would (fault injection for retransmission tests).
func (m *MCU) DropOutput(n int) { m.dropOut.Store(int32(n)) }

// WriteRaw writes bytes to the host as they are, outside any frame (fault
// injection: garbage on the line).
func (m *MCU) WriteRaw(p []byte) error {
	_, err := m.master.Write(p)
	return err
}

var (
	_ firmware.HAL           = (*MCU)(nil)
	_ firmware.StampedOutput = (*MCU)(nil)
)

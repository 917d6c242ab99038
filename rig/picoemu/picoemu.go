package picoemu

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"

	"github.com/gpiohil/gpiohil/rig/firmware"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// Errors.
var (
	// ErrEmulator means the emulator could not be set up, or exited, or
	// broke the rules of its stream; the message says which and carries the
	// emulator's last diagnostics.
	ErrEmulator = errors.New("picoemu: emulated Pico")
	// ErrFirmware means the firmware image is missing or unreadable.
	ErrFirmware = errors.New("picoemu: firmware")
)

// DefaultPins is the number of pins the firmware serves: GP0–GP22.
const DefaultPins = 23

// GPIOs is the RP2040's GPIO count, GP0–GP29 (as pico.mjs has it).
const GPIOs = 30

// MinClockRate is the slowest the emulated clock is taken to run against
// real time, for the host's waits on work the firmware times
// (mcu.Options.MinClockRate). It runs at about 0.45 on an idle 2-core
// machine; a tenth leaves room for a loaded one.
const MinClockRate = 0.1

// Config describes an emulated Pico.
type Config struct {
	// Firmware is the UF2 image to run (make firmware writes
	// dist/gpiohil-pico.uf2).
	Firmware string
	// Pins is how many pins the rig may use, from GP0 (0: DefaultPins).
	Pins int
	// BootTimeout bounds the wait for the firmware's USB port (0: 60 s).
	BootTimeout time.Duration
	// Jumper, when set, wires two pins together inside the emulator: what
	// one drives or pulls, the other reads at the same emulated instant,
	// as through a jumper wire.
	Jumper *[2]int
	// Log, when set, receives the emulator's diagnostics as they come.
	Log io.Writer
}

// MCU is a running emulated Pico: the firmware on the emulator in a Node
// process, its USB serial port served on a pseudo-terminal, its pins
// carried to this process. One stream each way (the emulator's stdin and
// stdout, in frames; see pico.mjs) carries both the serial bytes and the
// pin lines, so that cause comes before effect: a pin the firmware changed
// before answering a command is on its wire before the answer reaches the
// pty, and a level put on a wire before a command reaches the pin first.
type MCU struct {
	cfg  Config
	cmd  *exec.Cmd
	exit chan struct{} // closed when the emulator has exited
	err  error         // why it exited, valid after exit is closed

	master, slave *os.File       // the pty: the host opens slave's path
	stdin         io.WriteCloser // frames to the emulator
	stderr        *tail

	mu      sync.Mutex // protects outputs, ext, obs, emulated
	outputs []firmware.PinOutput
	ext     []byte // last ext state sent per pin: 0 (none yet), 'L', 'H', 'Z'
	obs     []func(firmware.PinOutput)
	clock   clockPoint

	writeMu   sync.Mutex // serializes frames to the emulator
	extMu     sync.Mutex // one SetInput at a time: ext lines leave in the order their states were recorded
	nowMu     sync.Mutex // one time request at a time
	nowCh     chan time.Duration
	ready     chan struct{}
	closeOnce sync.Once
}

// clockPoint is an emulated instant and the host time its report arrived.
type clockPoint struct {
	emulated time.Duration
	host     time.Time
}

// Start installs the emulator if needed (Install), boots the firmware and
// waits until its USB serial port is up. The pseudo-terminal's path is
// Path.
func Start(ctx context.Context, cfg Config) (*MCU, error) {
	if cfg.Pins == 0 {
		cfg.Pins = DefaultPins
	}
	if cfg.Pins < 1 || cfg.Pins > GPIOs {
		return nil, fmt.Errorf("%w: %d pins, the RP2040 has GP0–GP29", ErrEmulator, cfg.Pins)
	}
	if j := cfg.Jumper; j != nil && (j[0] == j[1] || min(j[0], j[1]) < 0 || max(j[0], j[1]) >= cfg.Pins) {
		return nil, fmt.Errorf("%w: jumper %d–%d: want two different pins of 0..%d", ErrEmulator, j[0], j[1], cfg.Pins-1)
	}
	if cfg.BootTimeout == 0 {
		cfg.BootTimeout = 60 * time.Second
	}
	if st, err := os.Stat(cfg.Firmware); err != nil || st.IsDir() {
		return nil, fmt.Errorf("%w: no UF2 image at %q (build it with make firmware): %v", ErrFirmware, cfg.Firmware, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("%w: node not found: the emulated Pico needs Node.js 18 or newer", ErrEmulator)
	}
	script, err := Install(ctx)
	if err != nil {
		return nil, err
	}
	m := &MCU{cfg: cfg, exit: make(chan struct{}), ready: make(chan struct{}), stderr: &tail{log: cfg.Log}, nowCh: make(chan time.Duration, 1),
		outputs: make([]firmware.PinOutput, cfg.Pins), ext: make([]byte, cfg.Pins)}
	for i := range m.outputs {
		m.outputs[i].Pin = i
	}
	if err := m.start(node, script); err != nil {
		m.Close()
		return nil, err
	}
	timer := time.NewTimer(cfg.BootTimeout)
	defer timer.Stop()
	select {
	case <-m.ready:
		return m, nil
	case <-m.exit:
		m.Close()
		return nil, m.err
	case <-timer.C:
		m.Close()
		return nil, fmt.Errorf("%w: %s did not bring up its USB port within %v%s", ErrEmulator, cfg.Firmware, cfg.BootTimeout, m.stderr.suffix())
	case <-ctx.Done():
		m.Close()
		return nil, ctx.Err()
	}
}

// start opens the pty and runs the emulator process.
func (m *MCU) start(node, script string) error {
	master, slave, err := pty.Open()
	if err != nil {
		return fmt.Errorf("%w: open pseudo-terminal: %v", ErrEmulator, err)
	}
	m.master, m.slave = master, slave
	if _, err := term.MakeRaw(int(slave.Fd())); err != nil {
		return fmt.Errorf("%w: raw mode on %s: %v", ErrEmulator, slave.Name(), err)
	}
	args := []string{script, m.cfg.Firmware}
	if j := m.cfg.Jumper; j != nil {
		args = append(args, fmt.Sprintf("%d:%d", j[0], j[1]))
	}
	m.cmd = exec.Command(node, args...)
	// If this process dies, the emulator's stdin closes and it exits.
	m.cmd.Stderr = m.stderr
	stdin, err := m.cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrEmulator, err)
	}
	m.stdin = stdin
	stdout, err := m.cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrEmulator, err)
	}
	if err := m.cmd.Start(); err != nil {
		return fmt.Errorf("%w: start %s: %v", ErrEmulator, node, err)
	}
	go func() {
		err := m.cmd.Wait()
		m.err = fmt.Errorf("%w: the emulator exited (%v)%s", ErrEmulator, err, m.stderr.suffix())
		// The board is gone: so is its port, as an unplugged Pico's.
		master.Close()
		close(m.exit)
	}()
	go m.toEmulator(master)
	go m.fromEmulator(stdout, master)
	return nil
}

// Frame kinds on the emulator's stdin and stdout.
const (
	frameSerial = 'S' // USB CDC bytes
	frameLine   = 'P' // a pin line
	frameMax    = 0xffff
)

// send writes one frame (payload at most frameMax bytes) to the emulator.
func (m *MCU) send(kind byte, payload []byte) error {
	f := append([]byte{kind, byte(len(payload)), byte(len(payload) >> 8)}, payload...)
	m.writeMu.Lock()
	defer m.writeMu.Unlock()
	if _, err := m.stdin.Write(f); err != nil {
		return fmt.Errorf("%w: write to the emulator: %v", ErrEmulator, err)
	}
	return nil
}

// toEmulator carries what the host writes on the pty to the firmware's
// USB port.
func (m *MCU) toEmulator(master *os.File) {
	buf := make([]byte, 4096) // < frameMax: one read, one frame
	for {
		n, err := master.Read(buf)
		if n > 0 && m.send(frameSerial, buf[:n]) != nil {
			return
		}
		if err != nil {
			m.stdin.Close()
			return
		}
	}
}

// fromEmulator reads the emulator's frames in order: serial bytes go to
// the pty, pin lines are handled (observers run) before the next frame.
func (m *MCU) fromEmulator(stdout io.Reader, master *os.File) {
	r := bufio.NewReaderSize(stdout, 64<<10)
	hdr := make([]byte, 3)
	buf := make([]byte, frameMax)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			return
		}
		n := int(hdr[1]) | int(hdr[2])<<8
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return
		}
		var err error
		switch hdr[0] {
		case frameSerial:
			_, _ = master.Write(buf[:n]) // fails only when the host has gone
		case frameLine:
			err = m.handle(strings.Fields(string(buf[:n])))
		default:
			err = fmt.Errorf("frame of unknown kind %q", hdr[0])
		}
		if err != nil {
			fmt.Fprintf(m.stderr, "picoemu: %v\n", err)
			_ = m.cmd.Process.Kill()
			return
		}
	}
}

// Path returns the pseudo-terminal the host opens, as it would
// /dev/ttyACM0.
func (m *MCU) Path() string { return m.slave.Name() }

// Pins returns the number of pins the rig may use.
func (m *MCU) Pins() int { return m.cfg.Pins }

// Output returns what a pin puts on its wire, as the emulator last
// reported it.
func (m *MCU) Output(pin int) firmware.PinOutput {
	m.mu.Lock()
	defer m.mu.Unlock()
	if pin < 0 || pin >= len(m.outputs) {
		return firmware.PinOutput{Pin: pin}
	}
	return m.outputs[pin]
}

// OnDrive registers fn to receive every change of what a pin puts on its
// wire. fn runs in the goroutine reading the emulator, with no lock held,
// before any later serial byte reaches the pty.
func (m *MCU) OnDrive(fn func(firmware.PinOutput)) {
	m.mu.Lock()
	m.obs = append(m.obs, fn)
	m.mu.Unlock()
}

// SetInput tells the emulated Pico what the rest of a pin's wire does. The
// emulator resolves the pin's input from it and the pin's own drive.
func (m *MCU) SetInput(pin int, driven, level bool) error {
	if pin < 0 || pin >= m.cfg.Pins {
		return fmt.Errorf("picoemu: no pin %d", pin)
	}
	s := byte('Z')
	if driven {
		s = 'L'
		if level {
			s = 'H'
		}
	}
	m.extMu.Lock()
	defer m.extMu.Unlock()
	m.mu.Lock()
	same := m.ext[pin] == s
	m.ext[pin] = s
	m.mu.Unlock()
	if same {
		return nil
	}
	return m.send(frameLine, fmt.Appendf(nil, "ext %d %c", pin, s))
}

// Emulated returns the emulated time last reported and the host time of
// the report: the emulator's speed is the ratio of two such differences.
func (m *MCU) Emulated() (emulated time.Duration, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.clock.emulated, m.clock.host
}

// Now asks the emulator for its time: the emulated time since reset at the
// moment it answers. Everything the firmware did before the request was
// sent happened at or before it.
func (m *MCU) Now(ctx context.Context) (time.Duration, error) {
	m.nowMu.Lock()
	defer m.nowMu.Unlock()
	if err := m.send(frameLine, []byte("time")); err != nil {
		return 0, err
	}
	timer := time.NewTimer(5 * time.Second)
	defer timer.Stop()
	select {
	case t := <-m.nowCh:
		return t, nil
	case <-m.exit:
		return 0, m.err
	case <-timer.C:
		return 0, fmt.Errorf("%w: no answer to a time request within 5s", ErrEmulator)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Done is closed when the emulator has exited; Err then says why.
func (m *MCU) Done() <-chan struct{} { return m.exit }

// Err returns why the emulator exited (nil while it runs).
func (m *MCU) Err() error {
	select {
	case <-m.exit:
		return m.err
	default:
		return nil
	}
}

// Close stops the emulator (its board vanishes, as an unplugged Pico's
// port does) and releases the pty. Idempotent.
func (m *MCU) Close() error {
	m.closeOnce.Do(func() {
		if m.stdin != nil {
			m.stdin.Close()
		}
		if m.cmd != nil && m.cmd.Process != nil {
			select {
			case <-m.exit:
			default:
				_ = m.cmd.Process.Kill()
				<-m.exit
			}
		}
		if m.master != nil {
			m.master.Close() // again, if the emulator's exit closed it: harmless
			m.slave.Close()
		}
	})
	return nil
}

func (m *MCU) handle(f []string) error {
	bad := fmt.Errorf("bad pin line %q", strings.Join(f, " "))
	if len(f) < 2 {
		return bad
	}
	ns, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	if err != nil {
		return bad
	}
	now := clockPoint{emulated: time.Duration(ns), host: time.Now()}
	switch {
	case f[0] == "clock" && len(f) == 2:
		m.mu.Lock()
		m.clock = now
		m.mu.Unlock()
	case f[0] == "now" && len(f) == 2:
		select {
		case m.nowCh <- now.emulated:
		default: // nobody asked: drop it
		}
	case f[0] == "ready" && len(f) == 3:
		m.mu.Lock()
		m.clock = now
		m.mu.Unlock()
		select {
		case <-m.ready:
		default:
			close(m.ready)
		}
	case f[0] == "pin" && len(f) == 4:
		pin, err := strconv.Atoi(f[1])
		if err != nil || len(f[2]) != 1 {
			return bad
		}
		o := firmware.PinOutput{Pin: pin, Tick: uint64(ns / 1000)}
		switch f[2][0] {
		case 'L', 'H':
			o.Driven, o.Level = true, f[2][0] == 'H'
		case 'U':
			o.Pull = proto.PullUp
		case 'D':
			o.Pull = proto.PullDown
		case 'Z':
		default:
			return bad
		}
		if pin < 0 || pin >= GPIOs {
			return bad
		}
		if pin >= m.cfg.Pins {
			return nil // a pin the rig does not use
		}
		m.mu.Lock()
		m.outputs[pin] = o
		m.clock = now
		obs := m.obs
		m.mu.Unlock()
		for _, fn := range obs {
			fn(o)
		}
	default:
		return bad
	}
	return nil
}

// tail keeps the last diagnostics the emulator wrote, for error messages,
// and passes them on to a log.
type tail struct {
	mu  sync.Mutex
	buf []byte
	log io.Writer
}

const tailMax = 2048

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = t.buf[len(t.buf)-tailMax:]
	}
	if t.log != nil {
		_, _ = t.log.Write(p)
	}
	return len(p), nil
}

// suffix is ": " and the last diagnostics, or nothing.
func (t *tail) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return ""
	}
	return ": " + s
}

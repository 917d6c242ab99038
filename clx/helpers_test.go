package clx_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/controllers/sim"
)

// manualClock is a clock whose timers fire only when the test advances it.
type manualClock struct {
	mu     sync.Mutex
	now    time.Duration
	timers []*manualTimer
}

type manualTimer struct {
	c       *manualClock
	at      time.Duration
	f       func()
	stopped bool
}

func (c *manualClock) AfterFunc(d time.Duration, f func()) clx.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &manualTimer{c: c, at: c.now + d, f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *manualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves the clock and fires due timers in order, synchronously.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now += d
	var due []*manualTimer
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case t.at <= c.now:
			t.stopped = true
			due = append(due, t)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	sort.SliceStable(due, func(i, j int) bool { return due[i].at < due[j].at })
	for _, t := range due {
		t.f()
	}
}

// simRig is a sim controller under a framework, driven by a test.
type simRig struct {
	t     testing.TB
	name  string
	sim   *sim.Controller
	f     *clx.Framework
	clock *manualClock
	mu    sync.Mutex
	errs  []error
}

// simConfigs are the capability configurations every table test runs in.
var simConfigs = []struct {
	name string
	cfg  sim.Config
}{
	{"mmio", sim.Config{}},
	{"emulated-both", sim.Config{EmulateBothEdges: true}},
	{"emulated-debounce", sim.Config{EmulateDebounce: true}},
	{"auto-clear", sim.Config{AutoClearOnRead: true}},
	{"mask-io", sim.Config{MaskIO: true}},
	{"independent-io", sim.Config{IndependentIO: true}},
	{"bus", sim.Config{BusAttached: true, BusDelay: 2 * time.Microsecond}},
	{"small-banks", sim.Config{Pins: 40, PinsPerBank: 6}},
}

func newSimRig(t testing.TB, name string, cfg sim.Config, opts clx.Options) *simRig {
	t.Helper()
	clk := &manualClock{}
	if cfg.AfterFunc == nil {
		cfg.AfterFunc = clk.AfterFunc
	}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &simRig{t: t, name: name, sim: s, clock: clk}
	if opts.AfterFunc == nil {
		opts.AfterFunc = clk.AfterFunc
	}
	onErr := opts.OnError
	opts.OnError = func(err error) {
		r.mu.Lock()
		r.errs = append(r.errs, err)
		r.mu.Unlock()
		if onErr != nil {
			onErr(err)
		}
	}
	f, err := clx.New(context.Background(), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	r.f = f
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := f.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return r
}

func (r *simRig) drive(pin int, l clx.Level) {
	r.t.Helper()
	if err := r.sim.DrivePad(pin, l); err != nil {
		r.t.Fatal(err)
	}
	r.idle()
}

func (r *simRig) release(pin int) {
	r.t.Helper()
	if err := r.sim.ReleasePad(pin); err != nil {
		r.t.Fatal(err)
	}
	r.idle()
}

// idle waits for dispatch to finish (bus-attached dispatch is asynchronous).
func (r *simRig) idle() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.f.WaitIdle(ctx); err != nil {
		r.t.Fatal(err)
	}
}

func (r *simRig) pad(pin int) clx.Level {
	r.t.Helper()
	l, _, err := r.sim.Pad(pin)
	if err != nil {
		r.t.Fatal(err)
	}
	return l
}

func (r *simRig) dispatchErrors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// recorder counts deliveries to an ISR and remembers their contexts.
type recorder struct {
	mu     sync.Mutex
	got    []clx.InterruptContext
	claim  bool
	onCall func(clx.InterruptContext)
}

func (rc *recorder) isr(ic clx.InterruptContext) bool {
	rc.mu.Lock()
	rc.got = append(rc.got, ic)
	on := rc.onCall
	rc.mu.Unlock()
	if on != nil {
		on(ic)
	}
	return rc.claim
}

func (rc *recorder) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

func (rc *recorder) levels() []clx.Level {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var l []clx.Level
	for _, ic := range rc.got {
		l = append(l, ic.Level)
	}
	return l
}

func (r *simRig) connect(cfg clx.InterruptConfig) *clx.InterruptConn {
	r.t.Helper()
	c, err := r.f.ConnectInterrupt(context.Background(), cfg)
	if err != nil {
		r.t.Fatalf("connect interrupt %+v: %v", cfg, err)
	}
	r.t.Cleanup(func() { c.Close() })
	r.idle()
	return c
}

func (r *simRig) connectIO(cfg clx.IOConfig) *clx.IOConn {
	r.t.Helper()
	c, err := r.f.ConnectIO(context.Background(), cfg)
	if err != nil {
		r.t.Fatalf("connect io %+v: %v", cfg, err)
	}
	r.t.Cleanup(func() { c.Close() })
	return c
}

func bg() context.Context { return context.Background() }

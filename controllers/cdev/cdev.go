//go:build linux

package cdev

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/warthog618/go-gpiocdev"

	"github.com/gpiohil/gpiohil/clx"
)

// ErrLostEvents is wrapped by the errors reporting kernel events lost
// between two the driver saw (a gap in the per-line sequence numbers).
var ErrLostEvents = errors.New("cdev: kernel edge events lost")

// Controller drives one GPIO character device.
type Controller struct {
	cfg     Config
	chip    *gpiocdev.Chip
	lines   int
	perBank int

	mu      sync.Mutex // protects following fields
	irq     clx.PrimaryInterrupt
	io      map[int]*ioRequest    // by offset
	intr    map[int]*interrupt    // by offset
	closing map[int]chan struct{} // interrupt requests being released, by offset

	events atomic.Uint64
	lost   atomic.Uint64
	closes sync.WaitGroup
}

type ioRequest struct {
	lines   *gpiocdev.Lines
	offsets []int
	values  []int
	output  bool
}

type interrupt struct {
	c       *Controller
	offset  int
	line    *gpiocdev.Line
	dead    atomic.Bool
	mode    clx.Mode
	pol     clx.Polarity
	masked  bool
	status  bool
	level   int
	evTime  time.Duration
	evLevel clx.Level
	lastSeq uint32
	haveSeq bool
}

// Open opens the chip named by cfg.Chip: a path, a chip name or a label.
func Open(cfg Config) (*Controller, error) {
	if cfg.Consumer == "" {
		cfg.Consumer = "gpiohil"
	}
	if cfg.EventBuffer == 0 {
		cfg.EventBuffer = DefaultEventBuffer
	}
	name, err := resolveChip(cfg.Chip)
	if err != nil {
		return nil, err
	}
	chip, err := gpiocdev.NewChip(name, gpiocdev.WithConsumer(cfg.Consumer))
	if err != nil {
		return nil, fmt.Errorf("cdev: open chip %s: %w", name, err)
	}
	c := &Controller{cfg: cfg, chip: chip, lines: chip.Lines(), io: map[int]*ioRequest{}, intr: map[int]*interrupt{},
		closing: map[int]chan struct{}{}}
	c.perBank = min(64, c.lines)
	return c, nil
}

// resolveChip turns a path, name or label into a chip name.
func resolveChip(want string) (string, error) {
	if want == "" {
		return "", fmt.Errorf("cdev: no chip given: %w", clx.ErrInvalidArgument)
	}
	if strings.HasPrefix(want, "/") {
		return want, nil
	}
	var seen []string
	for _, n := range gpiocdev.Chips() {
		if n == want {
			return n, nil
		}
		ch, err := gpiocdev.NewChip(n)
		if err != nil {
			continue
		}
		label := ch.Label
		ch.Close()
		if label == want {
			return n, nil
		}
		seen = append(seen, n+" ("+label+")")
	}
	return "", fmt.Errorf("cdev: no GPIO chip named or labelled %q (chips: %s): %w", want, orNone(seen), clx.ErrInvalidArgument)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// Name returns the chip's name (gpiochipN) and Label its label.
func (c *Controller) Name() string { return c.chip.Name }

// Label returns the chip's label.
func (c *Controller) Label() string { return c.chip.Label }

// LineOffset finds a line of this chip by name.
func (c *Controller) LineOffset(name string) (int, error) {
	off, err := c.chip.FindLine(name)
	if err != nil {
		return 0, fmt.Errorf("cdev: chip %s (%s) has no line named %q: %w", c.chip.Name, c.chip.Label, name, clx.ErrInvalidArgument)
	}
	return off, nil
}

// Stats counts kernel events seen and lost.
type Stats struct {
	Events uint64
	Lost   uint64
}

// Stats returns the event counters.
func (c *Controller) Stats() Stats { return Stats{Events: c.events.Load(), Lost: c.lost.Load()} }

var (
	_ clx.Controller            = (*Controller)(nil)
	_ clx.IOConnector           = (*Controller)(nil)
	_ clx.IODisconnector        = (*Controller)(nil)
	_ clx.PinReader             = (*Controller)(nil)
	_ clx.PinWriter             = (*Controller)(nil)
	_ clx.InterruptEnabler      = (*Controller)(nil)
	_ clx.InterruptDisabler     = (*Controller)(nil)
	_ clx.InterruptMasker       = (*Controller)(nil)
	_ clx.InterruptUnmasker     = (*Controller)(nil)
	_ clx.ActiveQuerier         = (*Controller)(nil)
	_ clx.ActiveClearer         = (*Controller)(nil)
	_ clx.InterruptReconfigurer = (*Controller)(nil)
	_ clx.EventDescriber        = (*Controller)(nil)
)

// Info implements clx.Controller. Calls are quick system calls that never
// wait on a bus, so the controller is dispatched like a memory-mapped one:
// in the goroutine that receives the kernel's event.
func (c *Controller) Info() clx.Info {
	return clx.Info{TotalPins: c.lines, PinsPerBank: c.perBank, Flags: clx.MemoryMapped}
}

// Prepare implements clx.Controller.
func (c *Controller) Prepare(ctx context.Context) error { return nil }

// Start implements clx.Controller.
func (c *Controller) Start(ctx context.Context, irq clx.PrimaryInterrupt, restore bool) error {
	c.mu.Lock()
	c.irq = irq
	c.mu.Unlock()
	return nil
}

// Stop implements clx.Controller: interrupt requests are released.
func (c *Controller) Stop(ctx context.Context, save bool) error {
	c.mu.Lock()
	for off, in := range c.intr {
		c.releaseLocked(off, in)
	}
	c.irq = nil
	c.mu.Unlock()
	return nil
}

// Release implements clx.Controller: every request and the chip are
// closed; it waits (bounded by ctx) for event goroutines to end.
func (c *Controller) Release(ctx context.Context) error {
	c.mu.Lock()
	for off, in := range c.intr {
		c.releaseLocked(off, in)
	}
	for _, r := range uniqueRequests(c.io) {
		r.lines.Close()
	}
	c.io = map[int]*ioRequest{}
	c.mu.Unlock()
	done := make(chan struct{})
	go func() { c.closes.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("cdev: release: waiting for event goroutines: %w", ctx.Err())
	}
	return c.chip.Close()
}

func uniqueRequests(m map[int]*ioRequest) []*ioRequest {
	seen := map[*ioRequest]bool{}
	var out []*ioRequest
	for _, r := range m {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func (c *Controller) offsets(bank int, pins []int) []int {
	o := make([]int, len(pins))
	for i, p := range pins {
		o[i] = bank*c.perBank + p
	}
	return o
}

func bias(p clx.Pull) []gpiocdev.LineReqOption {
	switch p {
	case clx.PullUp:
		return []gpiocdev.LineReqOption{gpiocdev.WithPullUp}
	case clx.PullDown:
		return []gpiocdev.LineReqOption{gpiocdev.WithPullDown}
	case clx.PullNone:
		return []gpiocdev.LineReqOption{gpiocdev.WithBiasDisabled}
	}
	return nil
}

// ConnectIOPins implements clx.IOConnector: one line request per call.
func (c *Controller) ConnectIOPins(ctx context.Context, r *clx.IORequest) error {
	offs := c.offsets(r.Bank, r.Pins)
	opts := []gpiocdev.LineReqOption{gpiocdev.WithConsumer(c.cfg.Consumer)}
	opts = append(opts, bias(r.Pull)...)
	values := make([]int, len(offs))
	if r.Direction == clx.Output {
		for i := range values {
			values[i] = int(r.Initial >> i & 1)
		}
		opts = append(opts, gpiocdev.AsOutput(values...))
		switch r.Drive {
		case clx.DriveOpenDrain:
			opts = append(opts, gpiocdev.AsOpenDrain)
		case clx.DriveOpenSource:
			opts = append(opts, gpiocdev.AsOpenSource)
		case clx.DrivePushPull:
			opts = append(opts, gpiocdev.AsPushPull)
		}
	} else {
		opts = append(opts, gpiocdev.AsInput)
		if r.Debounce > 0 {
			opts = append(opts, gpiocdev.WithDebounce(r.Debounce))
		}
	}
	lines, err := c.chip.RequestLines(offs, opts...)
	if err != nil {
		return fmt.Errorf("cdev: request lines %v of %s: %w", offs, c.chip.Name, err)
	}
	req := &ioRequest{lines: lines, offsets: offs, values: values, output: r.Direction == clx.Output}
	c.mu.Lock()
	for _, o := range offs {
		c.io[o] = req
	}
	c.mu.Unlock()
	return nil
}

// DisconnectIOPins implements clx.IODisconnector: requests whose lines are
// all released are closed; outputs are first turned back into inputs
// without bias unless r.Preserve.
func (c *Controller) DisconnectIOPins(ctx context.Context, r *clx.IORequest) error {
	offs := c.offsets(r.Bank, r.Pins)
	drop := map[int]bool{}
	for _, o := range offs {
		drop[o] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for _, req := range uniqueRequests(c.io) {
		all := true
		for _, o := range req.offsets {
			all = all && drop[o]
		}
		if !all {
			continue
		}
		if req.output && !r.Preserve {
			if err := req.lines.Reconfigure(gpiocdev.AsInput, gpiocdev.WithBiasDisabled); err != nil && first == nil {
				first = fmt.Errorf("cdev: release lines %v: %w", req.offsets, err)
			}
		}
		if err := req.lines.Close(); err != nil && first == nil {
			first = fmt.Errorf("cdev: close lines %v: %w", req.offsets, err)
		}
		for _, o := range req.offsets {
			delete(c.io, o)
		}
	}
	return first
}

// ReadPins implements clx.PinReader: one read per request (one per bank
// for a connection's pins).
func (c *Controller) ReadPins(ctx context.Context, bank int, pins []int) (uint64, error) {
	offs := c.offsets(bank, pins)
	c.mu.Lock()
	defer c.mu.Unlock()
	var v uint64
	read := map[*ioRequest][]int{}
	for i, o := range offs {
		req := c.io[o]
		if req == nil {
			if in := c.intr[o]; in != nil {
				v |= uint64(in.level) << i
				continue
			}
			return 0, fmt.Errorf("cdev: line %d is not requested: %w", o, clx.ErrInvalidArgument)
		}
		vals, ok := read[req]
		if !ok {
			vals = make([]int, len(req.offsets))
			if err := req.lines.Values(vals); err != nil {
				return 0, fmt.Errorf("cdev: read lines %v: %w", req.offsets, err)
			}
			read[req] = vals
		}
		for k, ro := range req.offsets {
			if ro == o {
				v |= uint64(vals[k]&1) << i
			}
		}
	}
	return v, nil
}

// WritePins implements clx.PinWriter: one write per request.
func (c *Controller) WritePins(ctx context.Context, bank int, pins []int, values uint64) error {
	offs := c.offsets(bank, pins)
	c.mu.Lock()
	defer c.mu.Unlock()
	touched := map[*ioRequest]bool{}
	for i, o := range offs {
		req := c.io[o]
		if req == nil || !req.output {
			return fmt.Errorf("cdev: line %d is not an output: %w", o, clx.ErrInvalidArgument)
		}
		for k, ro := range req.offsets {
			if ro == o {
				req.values[k] = int(values >> i & 1)
			}
		}
		touched[req] = true
	}
	for req := range touched {
		if err := req.lines.SetValues(req.values); err != nil {
			return fmt.Errorf("cdev: write lines %v: %w", req.offsets, err)
		}
	}
	return nil
}

func asserted(p clx.Polarity) int {
	if p == clx.ActiveHigh {
		return 1
	}
	return 0
}

// EnableInterrupt implements clx.InterruptEnabler: the line is requested
// for both edges (the driver filters), with bias and the kernel's debounce.
func (c *Controller) EnableInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	off := r.Bank*c.perBank + r.Pin
	c.mu.Lock()
	if c.io[off] != nil {
		c.mu.Unlock()
		return fmt.Errorf("cdev: line %d is held by an I/O request; the character device grants a line once", off)
	}
	wait := c.closing[off]
	c.mu.Unlock()
	if wait != nil {
		select {
		case <-wait:
		case <-time.After(2 * time.Second):
			return fmt.Errorf("cdev: line %d: the previous request is still being released", off)
		}
	}
	in := &interrupt{c: c, offset: off, mode: r.Mode, pol: r.Polarity}
	opts := []gpiocdev.LineReqOption{gpiocdev.WithConsumer(c.cfg.Consumer), gpiocdev.AsInput, gpiocdev.WithBothEdges,
		gpiocdev.WithEventHandler(in.handle), gpiocdev.WithEventBufferSize(c.cfg.EventBuffer)}
	opts = append(opts, bias(r.Pull)...)
	if r.Debounce > 0 {
		opts = append(opts, gpiocdev.WithDebounce(r.Debounce))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	line, err := c.chip.RequestLine(off, opts...)
	if err != nil {
		return fmt.Errorf("cdev: request line %d of %s for events: %w", off, c.chip.Name, err)
	}
	in.line = line
	v, err := line.Value()
	if err != nil {
		in.dead.Store(true)
		c.closeAsync(off, line)
		return fmt.Errorf("cdev: read line %d: %w", off, err)
	}
	in.level = v
	c.intr[off] = in
	in.levelStatusLocked()
	return nil
}

// refreshLocked reads a level interrupt's line: the cached level lags
// when its events wait behind the dispatch that is running (an ISR that
// silences its source from the event goroutine).
func (in *interrupt) refreshLocked() {
	if in.mode != clx.LevelSensitive {
		return
	}
	if v, err := in.line.Value(); err == nil {
		in.level = v
	}
}

// levelStatusLocked recomputes a level interrupt's status from the level.
func (in *interrupt) levelStatusLocked() {
	if in.mode == clx.LevelSensitive {
		was := in.status
		in.status = in.level == asserted(in.pol)
		if in.status && !was {
			in.evLevel = clx.Level(in.level)
		}
	}
}

// handle receives the kernel's events, in go-gpiocdev's event goroutine.
func (in *interrupt) handle(ev gpiocdev.LineEvent) {
	if in.dead.Load() {
		return
	}
	c := in.c
	c.events.Add(1)
	var lostErr error
	c.mu.Lock()
	if in.haveSeq && ev.LineSeqno != in.lastSeq+1 && ev.LineSeqno > in.lastSeq {
		gap := uint64(ev.LineSeqno - in.lastSeq - 1)
		c.lost.Add(gap)
		lostErr = fmt.Errorf("%w: %d on line %d before sequence %d", ErrLostEvents, gap, in.offset, ev.LineSeqno)
	}
	in.lastSeq, in.haveSeq = ev.LineSeqno, true
	in.level = 0
	if ev.Type == gpiocdev.LineEventRisingEdge {
		in.level = 1
	}
	switch in.mode {
	case clx.Edge:
		if in.pol == clx.ActiveBoth || in.level == asserted(in.pol) {
			in.status = true
			in.evTime, in.evLevel = ev.Timestamp, clx.Level(in.level)
		}
	default:
		in.levelStatusLocked()
		if in.status {
			in.evTime = ev.Timestamp
		}
	}
	raise := in.status && !in.masked && !in.dead.Load()
	irq := c.irq
	bank := in.offset / c.perBank
	c.mu.Unlock()
	if lostErr != nil && c.cfg.OnError != nil {
		c.cfg.OnError(lostErr)
	}
	if raise && irq != nil {
		irq.Raise(bank)
	}
}

// DisableInterrupt implements clx.InterruptDisabler. The request is
// released in another goroutine: go-gpiocdev's Close waits for the event
// goroutine, which may be the one calling (an ISR disabling its own pin).
func (c *Controller) DisableInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	off := r.Bank*c.perBank + r.Pin
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.intr[off]
	if in == nil {
		return nil
	}
	c.releaseLocked(off, in)
	return nil
}

func (c *Controller) releaseLocked(off int, in *interrupt) {
	in.dead.Store(true)
	delete(c.intr, off)
	c.closeAsync(off, in.line)
}

// closeAsync releases a request from its own goroutine. c.mu held.
func (c *Controller) closeAsync(off int, l *gpiocdev.Line) {
	done := make(chan struct{})
	c.closing[off] = done
	c.closes.Add(1)
	go func() {
		defer c.closes.Done()
		l.Close()
		c.mu.Lock()
		if c.closing[off] == done {
			delete(c.closing, off)
		}
		c.mu.Unlock()
		close(done)
	}()
}

// MaskInterrupts implements clx.InterruptMasker.
func (c *Controller) MaskInterrupts(ctx context.Context, bank int, mask uint64) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var failed uint64
	for m := mask; m != 0; m &= m - 1 {
		i := trailing(m)
		if in := c.intr[bank*c.perBank+i]; in != nil {
			in.masked = true
		} else {
			failed |= 1 << i
		}
	}
	return failed, nil
}

// UnmaskInterrupt implements clx.InterruptUnmasker: a latched edge, or a
// level still asserted, raises the interrupt again.
func (c *Controller) UnmaskInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	c.mu.Lock()
	in := c.intr[r.Bank*c.perBank+r.Pin]
	if in == nil {
		c.mu.Unlock()
		return fmt.Errorf("cdev: unmask line %d: not enabled", r.Bank*c.perBank+r.Pin)
	}
	in.masked = false
	in.refreshLocked()
	in.levelStatusLocked()
	raise, irq := in.status, c.irq
	c.mu.Unlock()
	if raise && irq != nil {
		irq.Raise(r.Bank)
	}
	return nil
}

// QueryActiveInterrupts implements clx.ActiveQuerier.
func (c *Controller) QueryActiveInterrupts(ctx context.Context, bank int, enabled uint64) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var a uint64
	for off, in := range c.intr {
		if off/c.perBank == bank && in.status && !in.masked {
			a |= 1 << (off % c.perBank)
		}
	}
	return a, nil
}

// ClearActiveInterrupts implements clx.ActiveClearer: an edge's status is
// cleared; a level's follows the level (re-asserted while it persists).
func (c *Controller) ClearActiveInterrupts(ctx context.Context, bank int, mask uint64) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for m := mask; m != 0; m &= m - 1 {
		if in := c.intr[bank*c.perBank+trailing(m)]; in != nil {
			in.status = false
			in.refreshLocked()
			in.levelStatusLocked()
		}
	}
	return 0, nil
}

// ReconfigureInterrupt implements clx.InterruptReconfigurer (mode and
// polarity live in the driver; the kernel always reports both edges).
func (c *Controller) ReconfigureInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	c.mu.Lock()
	in := c.intr[r.Bank*c.perBank+r.Pin]
	if in == nil {
		c.mu.Unlock()
		return fmt.Errorf("cdev: reconfigure line %d: not enabled", r.Bank*c.perBank+r.Pin)
	}
	in.mode, in.pol = r.Mode, r.Polarity
	in.status = false
	in.levelStatusLocked()
	raise, irq := in.status && !in.masked, c.irq
	c.mu.Unlock()
	if raise && irq != nil {
		irq.Raise(r.Bank)
	}
	return nil
}

// InterruptEvent implements clx.EventDescriber: the kernel's monotonic
// timestamp of the event and the level it moved to.
func (c *Controller) InterruptEvent(bank, pin int) clx.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.intr[bank*c.perBank+pin]
	if in == nil {
		return clx.Event{}
	}
	return clx.Event{Time: in.evTime, HasTime: in.evTime != 0, Level: in.evLevel, HasLevel: true}
}

func trailing(m uint64) int {
	n := 0
	for m&1 == 0 {
		m >>= 1
		n++
	}
	return n
}

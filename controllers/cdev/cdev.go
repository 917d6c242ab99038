package cdev

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

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

	mu        sync.Mutex // protects following fields
	irq       clx.PrimaryInterrupt
	io        map[int]*ioRequest    // by offset
	intr      []*interrupt          // by offset; nil: not enabled
	closing   map[int]chan struct{} // interrupt requests being released, by offset
	suspended bool                  // Suspend released every interrupt's line; Resume requests them again

	events atomic.Uint64
	lost   atomic.Uint64
	merged atomic.Uint64
	// lostEdges: the qualifying edges among the lost events
	lostEdges atomic.Uint64
	closes    sync.WaitGroup
	// eventHook, when set, sees every kernel event first (set by the
	// guest measurement only, to stamp what bare go-gpiocdev sees).
	eventHook atomic.Pointer[func(gpiocdev.LineEvent)]
}

type ioRequest struct {
	lines   *gpiocdev.Lines
	offsets []int
	values  []int
	output  bool
}

// interrupt is one line requested for edge events, with its software
// latch (protected by Controller.mu).
type interrupt struct {
	c      *Controller
	offset int
	req    clx.InterruptRequest // as enabled, to request the line again on Resume
	line   *gpiocdev.Line       // nil while suspended
	dead   atomic.Bool          // released: events still queued are ignored
	latch  latch
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
	c := &Controller{cfg: cfg, chip: chip, lines: chip.Lines(), io: map[int]*ioRequest{}, intr: make([]*interrupt, chip.Lines()),
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

// Stats counts kernel edge events: read, lost, merged.
type Stats struct {
	Events uint64 // edge events read from the kernel
	Lost   uint64 // events the kernel dropped (gaps in the sequence numbers)
	// Merged counts qualifying edge events that arrived while their pin's
	// status was still latched (not yet dispatched, or masked): the client
	// sees them as one delivery.
	Merged uint64
	// LostEdges counts the edges among the lost events that their pin's
	// polarity qualifies (the rest were edges it ignores): deliveries the
	// client never had.
	LostEdges uint64
}

// Stats returns the event counters.
func (c *Controller) Stats() Stats {
	return Stats{Events: c.events.Load(), Lost: c.lost.Load(), Merged: c.merged.Load(), LostEdges: c.lostEdges.Load()}
}

var (
	_ clx.IOController          = (*Controller)(nil)
	_ clx.InterruptController   = (*Controller)(nil)
	_ clx.SuspendController     = (*Controller)(nil)
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
func (c *Controller) Start(ctx context.Context, irq clx.PrimaryInterrupt) error {
	c.mu.Lock()
	c.irq = irq
	c.mu.Unlock()
	return nil
}

// Stop implements clx.Controller: interrupt requests are released.
func (c *Controller) Stop(ctx context.Context) error {
	c.mu.Lock()
	c.releaseInterruptsLocked()
	c.irq = nil
	c.suspended = false
	c.mu.Unlock()
	return nil
}

// Release implements clx.Controller: every request and the chip are
// closed; it waits (bounded by ctx) for event goroutines to end.
func (c *Controller) Release(ctx context.Context) error {
	_ = c.Stop(ctx)
	c.mu.Lock()
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

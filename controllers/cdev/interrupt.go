package cdev

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"time"

	"github.com/warthog618/go-gpiocdev"

	"github.com/gpiohil/gpiohil/clx"
)

// EnableInterrupt implements clx.InterruptEnabler: the line is requested
// for both edges (the latch filters), with bias and the kernel's debounce.
func (c *Controller) EnableInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	off := r.Bank*c.perBank + r.Pin
	if r.Pin < 0 || r.Pin >= c.perBank || off < 0 || off >= c.lines {
		return fmt.Errorf("cdev: enable line %d (bank %d pin %d): no such line: %w", off, r.Bank, r.Pin, clx.ErrInvalidArgument)
	}
	c.mu.Lock()
	held := c.io[off] != nil
	c.mu.Unlock()
	if held {
		return fmt.Errorf("cdev: line %d is held by an I/O request; the character device grants a line once", off)
	}
	if err := c.waitReleased(off); err != nil {
		return err
	}
	in := &interrupt{c: c, offset: off, req: *r}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.suspended { // requested by Resume
		in.latch = newLatch(r.Mode, r.Polarity, 0)
		c.intr[off] = in
		return nil
	}
	level, err := c.requestLocked(in)
	if err != nil {
		return err
	}
	in.latch = newLatch(r.Mode, r.Polarity, level)
	c.intr[off] = in
	return nil
}

// waitReleased waits for an earlier request of the line to be released.
func (c *Controller) waitReleased(off int) error {
	c.mu.Lock()
	wait := c.closing[off]
	c.mu.Unlock()
	if wait == nil {
		return nil
	}
	select {
	case <-wait:
		return nil
	case <-time.After(2 * time.Second):
		return fmt.Errorf("cdev: line %d: the previous request is still being released", off)
	}
}

// requestLocked requests in's line for events as in.req says and returns
// its value. c.mu held.
func (c *Controller) requestLocked(in *interrupt) (int, error) {
	opts := []gpiocdev.LineReqOption{gpiocdev.WithConsumer(c.cfg.Consumer), gpiocdev.AsInput, gpiocdev.WithBothEdges,
		gpiocdev.WithEventHandler(in.handle), gpiocdev.WithEventBufferSize(c.cfg.EventBuffer)}
	opts = append(opts, bias(in.req.Pull)...)
	if in.req.Debounce > 0 {
		opts = append(opts, gpiocdev.WithDebounce(in.req.Debounce))
	}
	line, err := c.chip.RequestLine(in.offset, opts...)
	if err != nil {
		return 0, fmt.Errorf("cdev: request line %d of %s for events: %w", in.offset, c.chip.Name, kernelErr(err))
	}
	v, err := line.Value()
	if err != nil {
		in.dead.Store(true)
		c.closeAsync(in.offset, line)
		return 0, fmt.Errorf("cdev: read line %d: %w", in.offset, kernelErr(err))
	}
	in.line = line
	return v, nil
}

// handle receives the kernel's events, in go-gpiocdev's event goroutine.
func (in *interrupt) handle(ev gpiocdev.LineEvent) {
	c := in.c
	if h := c.eventHook.Load(); h != nil {
		(*h)(ev)
	}
	if in.dead.Load() {
		return
	}
	c.events.Add(1)
	c.mu.Lock()
	merged, lostEdges := in.latch.merged, in.latch.lostEdges
	lost, raise := in.latch.event(ev.Type == gpiocdev.LineEventRisingEdge, ev.Timestamp, ev.LineSeqno)
	if d := in.latch.merged - merged; d > 0 {
		c.merged.Add(d)
	}
	if d := in.latch.lostEdges - lostEdges; d > 0 {
		c.lostEdges.Add(d)
	}
	raise = raise && !in.dead.Load()
	irq := c.irq
	bank := in.offset / c.perBank
	c.mu.Unlock()
	if lost > 0 {
		c.lost.Add(uint64(lost))
		if c.cfg.OnError != nil {
			c.cfg.OnError(fmt.Errorf("%w: %d on line %d before sequence %d", ErrLostEvents, lost, in.offset, ev.LineSeqno))
		}
	}
	if raise && irq != nil {
		irq.Raise(bank)
	}
}

// refreshLocked gives a level interrupt's latch the line's current value.
// c.mu held.
func (in *interrupt) refreshLocked() {
	if in.line == nil || !in.latch.wantsLevel() {
		return
	}
	v, err := in.line.Value()
	in.latch.refresh(v, err == nil)
}

// DisableInterrupt implements clx.InterruptDisabler. The request is
// released in another goroutine: go-gpiocdev's Close waits for the event
// goroutine, which may be the one calling (an ISR disabling its own pin).
func (c *Controller) DisableInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	off := r.Bank*c.perBank + r.Pin
	c.mu.Lock()
	defer c.mu.Unlock()
	if in := c.intrAt(off); in != nil {
		c.releaseLocked(off, in)
	}
	return nil
}

// releaseInterruptsLocked releases every interrupt's line. c.mu held.
func (c *Controller) releaseInterruptsLocked() {
	for off, in := range c.intr {
		if in != nil {
			c.releaseLocked(off, in)
		}
	}
}

func (c *Controller) releaseLocked(off int, in *interrupt) {
	in.dead.Store(true)
	c.intr[off] = nil
	if in.line != nil {
		c.closeAsync(off, in.line)
	}
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

// intrAt is the interrupt enabled on line off, or nil. c.mu held.
func (c *Controller) intrAt(off int) *interrupt {
	if off < 0 || off >= len(c.intr) {
		return nil
	}
	return c.intr[off]
}

// lockEnabled takes c.mu and returns the interrupt of bank's pin, or
// releases c.mu and returns an error naming the operation.
func (c *Controller) lockEnabled(op string, bank, pin int) (*interrupt, error) {
	off := bank*c.perBank + pin
	c.mu.Lock()
	in := c.intrAt(off)
	if in == nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("cdev: %s line %d: not enabled: %w", op, off, clx.ErrInvalidArgument)
	}
	return in, nil
}

// unlockRaise releases c.mu, then raises bank's primary interrupt if
// active (and the controller is running). c.mu held.
func (c *Controller) unlockRaise(bank int, active bool) {
	raise := active && !c.suspended
	irq := c.irq
	c.mu.Unlock()
	if raise && irq != nil {
		irq.Raise(bank)
	}
}

// MaskInterrupts implements clx.InterruptMasker.
func (c *Controller) MaskInterrupts(ctx context.Context, bank int, mask uint64) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var failed uint64
	for m := mask; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		if in := c.intrAt(bank*c.perBank + i); in != nil {
			in.latch.masked = true
		} else {
			failed |= 1 << i
		}
	}
	return failed, nil
}

// UnmaskInterrupt implements clx.InterruptUnmasker: a latched edge, or a
// level still asserted, raises the interrupt again.
func (c *Controller) UnmaskInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	in, err := c.lockEnabled("unmask", r.Bank, r.Pin)
	if err != nil {
		return err
	}
	in.refreshLocked()
	c.unlockRaise(r.Bank, in.latch.unmask())
	return nil
}

// QueryActiveInterrupts implements clx.ActiveQuerier.
func (c *Controller) QueryActiveInterrupts(ctx context.Context, bank int, enabled uint64) (uint64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var a uint64
	lo := bank * c.perBank
	for i, in := range c.intr[lo:min(lo+c.perBank, len(c.intr))] {
		if in != nil && in.latch.active() {
			a |= 1 << i
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
		if in := c.intrAt(bank*c.perBank + bits.TrailingZeros64(m)); in != nil {
			in.refreshLocked()
			in.latch.clear()
		}
	}
	return 0, nil
}

// ReconfigureInterrupt implements clx.InterruptReconfigurer (mode and
// polarity live in the latch; the kernel always reports both edges).
func (c *Controller) ReconfigureInterrupt(ctx context.Context, r *clx.InterruptRequest) error {
	in, err := c.lockEnabled("reconfigure", r.Bank, r.Pin)
	if err != nil {
		return err
	}
	in.req.Mode, in.req.Polarity = r.Mode, r.Polarity
	c.unlockRaise(r.Bank, in.latch.reconfigure(r.Mode, r.Polarity))
	return nil
}

// InterruptEvent implements clx.EventDescriber: the kernel's monotonic
// timestamp of the event and the level it moved to.
func (c *Controller) InterruptEvent(ctx context.Context, bank, pin int) (clx.Event, error) {
	in, err := c.lockEnabled("describe the event of", bank, pin)
	if err != nil {
		return clx.Event{}, err
	}
	defer c.mu.Unlock()
	return in.latch.describe(), nil
}

// Suspend implements clx.Suspender: every interrupt line is released to
// the kernel, its configuration and mask kept; edges until Resume are
// lost. Interrupts enabled while suspended are requested by Resume.
func (c *Controller) Suspend(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.suspended {
		return errors.New("cdev: suspend: already suspended")
	}
	for _, in := range c.intr {
		if in == nil {
			continue
		}
		in.dead.Store(true)
		if in.line != nil {
			c.closeAsync(in.offset, in.line)
		}
		in.line = nil
	}
	c.suspended = true
	return nil
}

// Resume implements clx.Suspender: every interrupt line is requested
// again as it was enabled; an unmasked level interrupt still asserted
// raises. A line that cannot be requested again is reported, and its
// interrupt stays released.
func (c *Controller) Resume(ctx context.Context) error {
	c.mu.Lock()
	if !c.suspended {
		c.mu.Unlock()
		return errors.New("cdev: resume: not suspended")
	}
	var offs []int
	for off, in := range c.intr {
		if in != nil {
			offs = append(offs, off)
		}
	}
	c.mu.Unlock()
	for _, off := range offs {
		if err := c.waitReleased(off); err != nil {
			return fmt.Errorf("cdev: resume: %w", err)
		}
	}
	var errs []error
	var raise uint64 // banks
	c.mu.Lock()
	for _, off := range offs {
		old := c.intr[off]
		in := &interrupt{c: c, offset: off, req: old.req, latch: old.latch}
		level, err := c.requestLocked(in)
		if err != nil {
			errs = append(errs, err)
			c.intr[off] = nil
			continue
		}
		c.intr[off] = in
		if in.latch.resume(level) {
			raise |= 1 << (off / c.perBank)
		}
	}
	c.suspended = false
	irq := c.irq
	c.mu.Unlock()
	for m := raise; m != 0 && irq != nil; m &= m - 1 {
		irq.Raise(bits.TrailingZeros64(m))
	}
	if len(errs) > 0 {
		return fmt.Errorf("cdev: resume: %w", errors.Join(errs...))
	}
	return nil
}

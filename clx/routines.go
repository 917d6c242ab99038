package clx

import (
	"sync"
)

// invoke calls the ISR (and, when it claims, runs or queues the DPC),
// recovering a panic. It does nothing once the connection is closed or
// failed.
func (c *InterruptConn) invoke(ic InterruptContext, passive bool) (claimed bool, perr *PanicError) {
	if c.closed.Load() || c.err.Load() != nil {
		return false, nil
	}
	ic.Conn = c
	if c.activeLow && ic.HasLevel {
		ic.Level ^= High
	}
	claimed, perr = c.callISR(ic)
	if perr != nil || !claimed || c.dpc == nil {
		return claimed, perr
	}
	if passive {
		return claimed, c.callDPC(ic)
	}
	c.f.dpc.push(c, ic)
	return claimed, nil
}

func (c *InterruptConn) callISR(ic InterruptContext) (claimed bool, perr *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			perr = &PanicError{Pin: ic.Pin, Routine: "isr", Value: v}
		}
	}()
	return c.isr(ic), nil
}

func (c *InterruptConn) callDPC(ic InterruptContext) (perr *PanicError) {
	defer func() {
		if v := recover(); v != nil {
			perr = &PanicError{Pin: ic.Pin, Routine: "dpc", Value: v}
		}
	}()
	c.dpc(ic)
	return nil
}

// dpcQueue runs the DPCs of memory-mapped controllers in one goroutine.
type dpcQueue struct {
	mu      sync.Mutex // protects queue and running
	queue   []*InterruptConn
	running bool
	wake    chan struct{}
}

func (q *dpcQueue) idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.queue) == 0 && !q.running
}

func (q *dpcQueue) init() { q.wake = make(chan struct{}, 1) }

func (q *dpcQueue) push(c *InterruptConn, ic InterruptContext) {
	c.dpcMu.Lock()
	c.dpcCtx = ic
	queued := c.dpcQueued
	c.dpcQueued = true
	c.dpcMu.Unlock()
	if queued {
		return
	}
	q.mu.Lock()
	q.queue = append(q.queue, c)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *dpcQueue) run(f *Framework) {
	defer f.workers.Done()
	var batch []*InterruptConn
	for {
		select {
		case <-q.wake:
		case <-f.ctx.Done():
			return
		}
		q.mu.Lock()
		batch, q.queue = q.queue, batch[:0]
		q.running = true
		q.mu.Unlock()
		for _, c := range batch {
			c.dpcMu.Lock()
			ic := c.dpcCtx
			c.dpcQueued = false
			c.dpcMu.Unlock()
			if c.closed.Load() || c.err.Load() != nil {
				continue
			}
			ic.Conn = c
			perr := c.callDPC(ic)
			if perr != nil {
				c.fail(perr)
				f.report(perr)
				b := c.b
				b.lock()
				b.detachLocked(c.p, c)
				b.unlock()
			}
		}
		clear(batch)
		q.mu.Lock()
		q.running = false
		q.mu.Unlock()
	}
}

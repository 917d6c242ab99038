package mcu

import "sync/atomic"

// EdgeEvent is an edge the MCU captured on an armed pin.
type EdgeEvent struct {
	Pin   int
	Level bool
	Tick  uint64
	Seq   uint32
}

// Subscription receives edge reports.
type Subscription struct {
	c       *Client
	ch      chan EdgeEvent
	dropped atomic.Uint64
}

// Subscribe returns a subscription buffering up to buffer edge reports;
// reports that find it full are dropped and counted.
func (c *Client) Subscribe(buffer int) *Subscription {
	s := &Subscription{c: c, ch: make(chan EdgeEvent, buffer)}
	c.mu.Lock()
	c.subs = append(c.subs, s)
	c.mu.Unlock()
	return s
}

// C delivers the edges.
func (s *Subscription) C() <-chan EdgeEvent { return s.ch }

// Dropped returns how many reports this subscription missed.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription.
func (s *Subscription) Close() {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.subs {
		if x == s {
			c.subs = append(c.subs[:i], c.subs[i+1:]...)
			return
		}
	}
}

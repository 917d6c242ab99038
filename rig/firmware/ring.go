package firmware

import "sync/atomic"

// RingSize is the capacity of the edge ring (a power of two).
const RingSize = 256

// Event is one captured edge.
type Event struct {
	Tick  uint64
	Pin   uint8
	Level uint8
}

// Ring is a single-producer/single-consumer queue of edges with a fixed
// capacity. Push (the interrupt side) and Pop (the main loop) may run
// concurrently; a push into a full ring is dropped and counted.
type Ring struct {
	buf       [RingSize]Event
	head      atomic.Uint32 // next slot to pop; written by the consumer
	tail      atomic.Uint32 // next slot to push; written by the producer
	overflows atomic.Uint32
}

// Push adds e, or counts an overflow when the ring is full. It never
// blocks and never allocates.
func (r *Ring) Push(e Event) bool {
	t := r.tail.Load()
	if t-r.head.Load() == RingSize {
		r.overflows.Add(1)
		return false
	}
	r.buf[t%RingSize] = e
	r.tail.Store(t + 1)
	return true
}

// Pop removes the oldest event.
func (r *Ring) Pop() (Event, bool) {
	h := r.head.Load()
	if h == r.tail.Load() {
		return Event{}, false
	}
	e := r.buf[h%RingSize]
	r.head.Store(h + 1)
	return e, true
}

// Len returns the number of queued events.
func (r *Ring) Len() int { return int(r.tail.Load() - r.head.Load()) }

// Overflows returns the number of events dropped because the ring was full.
func (r *Ring) Overflows() uint32 { return r.overflows.Load() }

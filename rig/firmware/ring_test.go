package firmware

import (
	"sync"
	"testing"
)

// The ring against a trivial reference (a slice), for any interleaving of
// pushes and pops.
func FuzzRing(f *testing.F) {
	f.Add([]byte{1, 1, 1, 0, 0, 200, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		var r Ring
		var ref []Event
		var refOver uint32
		tick := uint64(0)
		for _, op := range ops {
			if op&1 == 1 {
				for k := 0; k < int(op>>1)+1; k++ {
					tick++
					e := Event{Tick: tick, Pin: uint8(tick % 64), Level: uint8(tick & 1)}
					ok := r.Push(e)
					if len(ref) == RingSize {
						refOver++
						if ok {
							t.Fatal("push into a full ring succeeded")
						}
					} else {
						ref = append(ref, e)
					}
				}
			} else {
				for k := 0; k < int(op>>1)+1; k++ {
					e, ok := r.Pop()
					if len(ref) == 0 {
						if ok {
							t.Fatal("pop from an empty ring succeeded")
						}
						continue
					}
					if !ok || e != ref[0] {
						t.Fatalf("popped %+v %v, want %+v", e, ok, ref[0])
					}
					ref = ref[1:]
				}
			}
			if r.Len() != len(ref) || r.Overflows() != refOver {
				t.Fatalf("len %d overflows %d, reference %d %d", r.Len(), r.Overflows(), len(ref), refOver)
			}
		}
	})
}

// One producer and one consumer concurrently: order kept, nothing lost
// but counted overflows.
func TestRingConcurrent(t *testing.T) {
	var r Ring
	const n = 200000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := uint64(1); i <= n; i++ {
			r.Push(Event{Tick: i})
		}
	}()
	var got uint64
	last := uint64(0)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for {
		e, ok := r.Pop()
		if ok {
			if e.Tick <= last {
				t.Fatalf("out of order: %d after %d", e.Tick, last)
			}
			last = e.Tick
			got++
			continue
		}
		select {
		case <-done:
			if e, ok := r.Pop(); ok {
				_ = e
				got++
				continue
			}
			if got+uint64(r.Overflows()) != n {
				t.Fatalf("popped %d + overflows %d != %d", got, r.Overflows(), n)
			}
			return
		default:
		}
	}
}

package mcu_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// A train through the loopback: every probe comes back, in order,
// answered, with its stimulus alternating (so every one has an edge).
func TestTrainThroughLoopback(t *testing.T) {
	_, c := startVirtual(t)
	const n = 5000
	next := 0
	sum, err := c.Train(ctxT(t), mcu.TrainSpec{Stim: 1, StimLevel: true, Ack: 2, AckEdge: proto.EdgeBoth, Count: n, Timeout: time.Second},
		func(p mcu.TrainProbe) {
			if p.Index != next || p.TimedOut || p.T1 < p.T0 {
				t.Fatalf("probe %+v, want index %d answered", p, next)
			}
			next++
		})
	if err != nil || sum != (mcu.TrainSummary{Ran: n, Received: n}) {
		t.Fatalf("summary %+v, %v", sum, err)
	}
}

// Unanswered probes time out, each reported; a period spaces the starts.
func TestTrainTimeoutsAndPeriod(t *testing.T) {
	_, c := startVirtual(t)
	var t0s []uint64
	sum, err := c.Train(ctxT(t), mcu.TrainSpec{Stim: 4, Ack: 3, AckEdge: proto.EdgeBoth, Count: 7, Timeout: time.Millisecond, Period: 5 * time.Millisecond},
		func(p mcu.TrainProbe) {
			if !p.TimedOut {
				t.Errorf("probe %d answered on an unwired pin", p.Index)
			}
			t0s = append(t0s, p.T0)
		})
	if err != nil || sum.Ran != 7 || sum.Received != 7 || sum.Lost != 0 {
		t.Fatalf("summary %+v, %v", sum, err)
	}
	for i := 1; i < len(t0s); i++ {
		if d := c.Duration(t0s[i] - t0s[i-1]); d < 5*time.Millisecond {
			t.Errorf("probes %d and %d started %v apart, period 5ms", i-1, i, d)
		}
	}
}

// Ctrl-C: the train stops and everything it measured is handed over.
func TestTrainStoppedKeepsResults(t *testing.T) {
	_, c := startVirtual(t)
	ctx, cancel := context.WithCancel(context.Background())
	got := 0
	sum, err := c.Train(ctx, mcu.TrainSpec{Stim: 1, StimLevel: true, Ack: 2, AckEdge: proto.EdgeBoth, Count: 1 << 30, Timeout: time.Second},
		func(p mcu.TrainProbe) {
			if got++; got == 1000 {
				cancel()
			}
		})
	if !errors.Is(err, context.Canceled) || !sum.Cancelled || sum.Ran < 1000 || sum.Received != got || sum.Ran != sum.Received+sum.Lost || sum.Lost != 0 {
		t.Fatalf("stopped train: %+v (%d handed over), %v", sum, got, err)
	}
	// The link is fine afterwards, and no train is left running.
	if _, err := c.Train(ctxT(t), mcu.TrainSpec{Stim: 1, StimLevel: true, Ack: 2, AckEdge: proto.EdgeBoth, Count: 10, Timeout: time.Second}, func(mcu.TrainProbe) {}); err != nil {
		t.Fatal(err)
	}
}

// A train is refused with the protocol's reasons.
func TestTrainRefused(t *testing.T) {
	_, c := startVirtual(t)
	var ne *mcu.NakError
	if _, err := c.Train(ctxT(t), mcu.TrainSpec{Stim: 1, Ack: 1, AckEdge: proto.EdgeBoth, Count: 1, Timeout: time.Second}, nil); !errors.As(err, &ne) || ne.Code != proto.NakBadArgument {
		t.Fatalf("stim = ack: %v", err)
	}
	if _, err := c.Train(ctxT(t), mcu.TrainSpec{Stim: 1, Ack: 99, Count: 1, Timeout: time.Second}, nil); !errors.Is(err, mcu.ErrRefused) {
		t.Fatalf("pin 99: %v", err)
	}
	if _, err := c.Train(ctxT(t), mcu.TrainSpec{Stim: 1, StimLevel: true, Ack: 2, AckEdge: proto.EdgeBoth, Count: 0, Timeout: time.Second}, nil); !errors.Is(err, mcu.ErrRefused) {
		t.Fatalf("no probes: %v", err)
	}
}

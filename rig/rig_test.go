package rig_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig"
)

func TestOpenSimRigAndProbe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fx, err := fixtures.Load("sim")
	if err != nil {
		t.Fatal(err)
	}
	r, err := rig.Open(ctx, fx)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := r.Pair("pair0")
	if !ok || p.Stimulus.MCUPin != 0 || p.Ack.TargetPin != 1 {
		t.Fatalf("pair0 %+v", p)
	}
	rs, err := r.Respond(ctx, rig.ResponderConfig{Pair: "pair0", Polarity: 2 /* both */})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		res, err := r.Probe(ctx, "pair0", i%2 == 0, time.Second)
		if err != nil || res.TimedOut {
			t.Fatalf("probe %d: %+v %v", i, res, err)
		}
	}
	if rs.Deliveries() != 10 {
		t.Fatalf("%d deliveries", rs.Deliveries())
	}
	if _, err := r.Probe(ctx, "no-such-pair", true, time.Second); err == nil || !strings.Contains(err.Error(), "no-such-pair") {
		t.Fatalf("probe on an unknown pair: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesWhatItCannotBuild(t *testing.T) {
	fx, err := fixtures.Load("boards/rpi5-pico")
	if err != nil {
		t.Fatal(err)
	}
	_, err = rig.Open(context.Background(), fx)
	if err == nil || !strings.Contains(err.Error(), "pinctrl-rp1") {
		t.Fatalf("open the Pi 5 rig on a machine without its chip: %v", err)
	}
}

func TestLockExcludesSecondHolder(t *testing.T) {
	t.Setenv("GPIOHIL_LOCK_DIR", t.TempDir())
	l, err := rig.Acquire("/dev/ttyACM0", "first job")
	if err != nil {
		t.Fatal(err)
	}
	_, err = rig.Acquire("/dev/ttyACM0", "second job")
	if !errors.Is(err, rig.ErrBusy) || !strings.Contains(err.Error(), "first job") || !strings.Contains(err.Error(), "/dev/ttyACM0") {
		t.Fatalf("second acquire: %v", err)
	}
	must(t, l.Release())
	l2, err := rig.Acquire("/dev/ttyACM0", "second job")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	must(t, l2.Release())
	must(t, l2.Release())
}

// Under a lab engine's reservation: the lock names the reservation that
// holds it, and a second job waits for the first to let go, within
// $GPIOHIL_LOCK_WAIT.
func TestLockCooperatesWithAReservation(t *testing.T) {
	t.Setenv("GPIOHIL_LOCK_DIR", t.TempDir())
	t.Setenv(rig.LockOwnerEnv, "labgrid place rpi5-rig1")
	l, err := rig.Acquire("/dev/ttyACM0", "first job")
	if err != nil {
		t.Fatal(err)
	}
	_, err = rig.Acquire("/dev/ttyACM0", "second job")
	if !errors.Is(err, rig.ErrBusy) || !strings.Contains(err.Error(), "(first job) for labgrid place rpi5-rig1 since") {
		t.Fatalf("busy rig: %v", err)
	}
	t.Setenv(rig.LockWaitEnv, "100ms")
	_, err = rig.Acquire("/dev/ttyACM0", "second job")
	if !errors.Is(err, rig.ErrBusy) || !strings.Contains(err.Error(), "waited 100ms") {
		t.Fatalf("a wait that runs out: %v", err)
	}
	t.Setenv(rig.LockWaitEnv, "1m")
	go func() {
		time.Sleep(100 * time.Millisecond)
		l.Release()
	}()
	l2, err := rig.Acquire("/dev/ttyACM0", "second job")
	if err != nil {
		t.Fatalf("waiting for the first job: %v", err)
	}
	must(t, l2.Release())
	t.Setenv(rig.LockWaitEnv, "soon")
	if _, err := rig.Acquire("/dev/ttyACM0", "third job"); err == nil || !strings.Contains(err.Error(), "GPIOHIL_LOCK_WAIT") {
		t.Fatalf("a bad wait: %v", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

package mcu_test

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/gpiohil/gpiohil/rig/firmware"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/proto"
	"github.com/gpiohil/gpiohil/rig/virtual"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startVirtual serves a virtual MCU whose pin 1 is wired back to pin 2
// (what 1 drives, 2 sees) and opens a client on it.
func startVirtual(t testing.TB) (*virtual.MCU, *mcu.Client) {
	t.Helper()
	v, err := virtual.New(virtual.Config{})
	if err != nil {
		t.Fatal(err)
	}
	v.OnDrive(func(e firmware.PinOutput) {
		if e.Pin == 1 {
			_ = v.SetInput(2, e.Driven, e.Level)
		}
	})
	path, err := v.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	c, err := mcu.Open(ctxT(t), path, mcu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return v, c
}

func TestIdentifyAndPins(t *testing.T) {
	v, c := startVirtual(t)
	ctx := ctxT(t)
	id := c.Identify()
	if id.BoardName() != "virtual" || id.Pins != virtual.DefaultPins || id.TickHz != 1e9 || id.Protocol != proto.Version {
		t.Fatalf("identify %+v", id)
	}
	if err := c.SetPin(ctx, 5, proto.DriveHigh, proto.PullNone); err != nil {
		t.Fatal(err)
	}
	if e := v.Output(5); !e.Driven || !e.Level {
		t.Fatalf("pin 5 output %+v", e)
	}
	must(t, v.SetInput(7, true, true))
	must(t, c.SetPin(ctx, 9, proto.DriveHiZ, proto.PullUp))
	levels, err := c.ReadPins(ctx)
	must(t, err)
	if levels&(1<<5|1<<7|1<<9) != 1<<5|1<<7|1<<9 || levels&(1<<8) != 0 {
		t.Fatalf("levels %b", levels)
	}
	var ne *mcu.NakError
	if err := c.SetPin(ctx, 40, proto.DriveHigh, 0); !errors.Is(err, mcu.ErrRefused) {
		t.Fatalf("pin 40: %v", err)
	}
	if _, err := c.Probe(ctx, mcu.ProbeSpec{Stim: 1, Ack: 1, AckEdge: proto.EdgeRising, Timeout: time.Millisecond}); !errors.As(err, &ne) || ne.Code != proto.NakBadArgument {
		t.Fatalf("probe on one pin: %v", err)
	}
	must(t, c.Reset(ctx))
	if e := v.Output(5); e.Driven {
		t.Fatal("reset left pin 5 driven")
	}
}

func TestProbeThroughLoopback(t *testing.T) {
	_, c := startVirtual(t)
	ctx := ctxT(t)
	must(t, c.SetPin(ctx, 1, proto.DriveLow, proto.PullNone))
	for i := 0; i < 20; i++ {
		r, err := c.Probe(ctx, mcu.ProbeSpec{Stim: 1, StimLevel: i%2 == 0, Ack: 2, AckEdge: proto.EdgeBoth, Timeout: time.Second})
		must(t, err)
		if r.TimedOut || r.T1 < r.T0 || r.Latency != c.Duration(r.T1-r.T0) {
			t.Fatalf("probe %d: %+v", i, r)
		}
	}
	// Nothing answers on pin 3: the probe times out after its timeout.
	start := time.Now()
	r, err := c.Probe(ctx, mcu.ProbeSpec{Stim: 4, StimLevel: true, Ack: 3, AckEdge: proto.EdgeRising, Timeout: 30 * time.Millisecond})
	must(t, err)
	if !r.TimedOut || time.Since(start) < 30*time.Millisecond {
		t.Fatalf("unanswered probe: %+v after %v", r, time.Since(start))
	}
}

func TestEdgeSubscriptionAndPulse(t *testing.T) {
	_, c := startVirtual(t)
	ctx := ctxT(t)
	sub := c.Subscribe(64)
	defer sub.Close()
	must(t, c.SetPin(ctx, 1, proto.DriveLow, proto.PullNone))
	must(t, c.Arm(ctx, 1<<2, proto.EdgeBoth))
	must(t, c.Pulse(ctx, mcu.PulseSpec{Pin: 1, Active: true, Width: time.Millisecond, Count: 5}))
	var got []mcu.EdgeEvent
	timeout := time.After(5 * time.Second)
	for len(got) < 10 {
		select {
		case e := <-sub.C():
			got = append(got, e)
		case <-timeout:
			t.Fatalf("%d edges of 10: %+v", len(got), got)
		}
	}
	for i, e := range got {
		if e.Pin != 2 || e.Level != (i%2 == 0) || (i > 0 && (e.Tick <= got[i-1].Tick || e.Seq <= got[i-1].Seq)) {
			t.Fatalf("edge %d: %+v", i, e)
		}
	}
	// The pulse widths, on the MCU's clock, are at least the asked width.
	for i := 0; i < 10; i += 2 {
		if w := c.Duration(got[i+1].Tick - got[i].Tick); w < time.Millisecond {
			t.Fatalf("pulse %d only %v wide", i/2, w)
		}
	}
	must(t, c.Disarm(ctx, 1<<2))
	if s := c.Stats(); s.ReportGaps != 0 || s.SubscriberDrops != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// A lost response is retransmitted; the MCU answers the duplicate without
// executing it again.
func TestRetransmission(t *testing.T) {
	v, c := startVirtual(t)
	ctx := ctxT(t)
	var drives atomic.Int32
	v.OnDrive(func(e firmware.PinOutput) {
		if e.Pin == 6 {
			drives.Add(1)
		}
	})
	v.DropOutput(1)
	must(t, c.SetPin(ctx, 6, proto.DriveHigh, proto.PullNone))
	if s := c.Stats(); s.Retransmits != 1 {
		t.Fatalf("retransmits %d, want 1", s.Retransmits)
	}
	if drives.Load() != 1 {
		t.Fatalf("pin driven %d times, want once", drives.Load())
	}
}

// Garbage on the line costs only what it garbles.
func TestGarbageOnTheLine(t *testing.T) {
	v, c := startVirtual(t)
	ctx := ctxT(t)
	must(t, v.WriteRaw([]byte{0x00, 0x13, 0x37, 0xfe, 0x00, 0x05, 0x01, 0x02, 0x00}))
	for i := 0; i < 5; i++ {
		if _, _, err := c.Ping(ctx); err != nil {
			t.Fatalf("ping after garbage: %v", err)
		}
	}
	if c.Stats().DecodeErrors == 0 {
		t.Fatal("garbage not counted")
	}
}

// A virtual MCU killed in the middle of a command: the call returns a
// typed disconnect error within a second, never hangs.
func TestMCUVanishesMidCommand(t *testing.T) {
	v, c := startVirtual(t)
	ctx := ctxT(t)
	go func() {
		time.Sleep(50 * time.Millisecond)
		v.Close()
	}()
	start := time.Now()
	_, err := c.Probe(ctx, mcu.ProbeSpec{Stim: 4, StimLevel: true, Ack: 3, AckEdge: proto.EdgeRising, Timeout: 20 * time.Second})
	took := time.Since(start)
	if !errors.Is(err, mcu.ErrDisconnected) {
		t.Fatalf("probe on a vanished MCU: %v", err)
	}
	if took > 1200*time.Millisecond {
		t.Fatalf("took %v to notice", took)
	}
	if err := c.SetPin(ctx, 1, proto.DriveHigh, 0); !errors.Is(err, mcu.ErrDisconnected) {
		t.Fatalf("next command: %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed")
	}
}

// A peer that speaks another protocol version is refused with a clear
// error.
func TestVersionMismatch(t *testing.T) {
	master, slave, err := pty.Open()
	must(t, err)
	defer master.Close()
	defer slave.Close()
	go answerInVersion(master, 3)
	_, err = mcu.Open(ctxT(t), slave.Name(), mcu.Options{RTO: 50 * time.Millisecond})
	if !errors.Is(err, mcu.ErrVersionMismatch) {
		t.Fatalf("open: %v", err)
	}
}

// answerInVersion answers every frame with an identify response framed in
// another protocol version.
func answerInVersion(f *os.File, version byte) {
	buf := make([]byte, 256)
	for {
		n, err := f.Read(buf)
		if err != nil {
			return
		}
		for _, b := range buf[:n] {
			if b == 0 {
				raw := []byte{version, proto.TypeIdentifyResp, 1}
				crc := proto.CRC16(raw)
				raw = append(raw, byte(crc), byte(crc>>8))
				enc := []byte{byte(len(raw) + 1)}
				enc = append(enc, raw...)
				f.Write(append(enc, 0))
			}
		}
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := mcu.Open(ctxT(t), "/dev/does-not-exist", mcu.Options{})
	var pe *mcu.PortError
	if !errors.As(err, &pe) || pe.Path != "/dev/does-not-exist" {
		t.Fatalf("open of a missing port: %v", err)
	}
	// A tty with nobody behind it: identify times out, typed.
	master, slave, err := pty.Open()
	must(t, err)
	defer master.Close()
	defer slave.Close()
	start := time.Now()
	_, err = mcu.Open(ctxT(t), slave.Name(), mcu.Options{RTO: 20 * time.Millisecond})
	if !errors.Is(err, mcu.ErrTimeout) && !errors.Is(err, mcu.ErrDisconnected) {
		t.Fatalf("open of a silent tty: %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
	if _, err := mcu.FindPort(mcu.USBID{VID: "2e8a", PID: "000a", Serial: "no-such-serial"}); !errors.Is(err, mcu.ErrNotFound) {
		t.Fatalf("find port: %v", err)
	}
}

func TestParseUSBID(t *testing.T) {
	for in, want := range map[string]mcu.USBID{
		"2e8a:000a":        {VID: "2e8a", PID: "000a"},
		"2E8A:000A:E66038": {VID: "2E8A", PID: "000A", Serial: "E66038"},
	} {
		got, err := mcu.ParseUSBID(in)
		if err != nil || got != want || got.String() != in {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "2e8a", "2e8a:", ":000a", "2e8a:000a:x:y", "zz:000a", "12345:000a"} {
		if _, err := mcu.ParseUSBID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The clock model maps MCU ticks to host time within its stated
// uncertainty (plus scheduling slack), with a small drift between two
// clocks that are in fact the same.
func TestAlignClock(t *testing.T) {
	_, c := startVirtual(t)
	ctx := ctxT(t)
	m, err := c.AlignClock(ctx, 40, 10*time.Millisecond)
	must(t, err)
	if limit := 3*m.DriftUncertaintyPPM + 50; m.DriftPPM > limit || m.DriftPPM < -limit {
		t.Fatalf("drift between identical clocks: %v", m)
	}
	t.Logf("clock model: %v", m)
	before := time.Now()
	_, tick, err := c.Ping(ctx)
	after := time.Now()
	must(t, err)
	at := m.HostTime(tick)
	if at.Before(before.Add(-m.Uncertainty-time.Millisecond)) || at.After(after.Add(m.Uncertainty+time.Millisecond)) {
		t.Fatalf("tick maps to %v, outside [%v, %v] (%v)", at, before, after, m)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A tick's uncertainty grows with its distance from the model's
// reference, at the drift's uncertainty, on either side.
func TestClockUncertaintyAt(t *testing.T) {
	m := mcu.ClockModel{TickHz: 1_000_000, RefTick: 5_000_000, RefHost: time.Unix(100, 0), Uncertainty: time.Microsecond,
		DriftUncertaintyPPM: 1000}
	for _, tc := range []struct {
		tick uint64
		want time.Duration
	}{{5_000_000, time.Microsecond}, {6_000_000, time.Microsecond + time.Millisecond}, {3_000_000, time.Microsecond + 2*time.Millisecond}} {
		if got := m.UncertaintyAt(tc.tick); got != tc.want {
			t.Errorf("UncertaintyAt(%d) = %v, want %v", tc.tick, got, tc.want)
		}
	}
}

package picoemu

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/rig/firmware"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// firmwareImage is the UF2 make firmware built, or GPIOHIL_PICO_UF2; the
// tests that run it are skipped, saying why, when there is none.
func firmwareImage(t *testing.T) string {
	t.Helper()
	path := os.Getenv("GPIOHIL_PICO_UF2")
	if path == "" {
		path = filepath.Join("..", "..", "dist", "gpiohil-pico.uf2")
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("needs the Pico firmware image %s: build it with make firmware", path)
	}
	return path
}

func start(t *testing.T, cfg Config) (*MCU, *mcu.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	c, err := mcu.Open(ctx, m.Path(), mcu.Options{MinClockRate: MinClockRate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return m, c
}

// The firmware boots, answers on the pseudo-terminal, and its pins reach
// this process: a drive as one change to the driven level, and the wire's
// level back to its input.
func TestFirmwareDrivesAndReadsPins(t *testing.T) {
	m, c := start(t, Config{Firmware: firmwareImage(t)})
	ctx := context.Background()
	if id := c.Identify(); id.BoardName() != "pico" || id.TickHz != 1_000_000 || id.Pins != DefaultPins {
		t.Fatalf("identify: %+v", id)
	}
	var mu sync.Mutex
	var seen []firmware.PinOutput
	m.OnDrive(func(o firmware.PinOutput) {
		if o.Pin == 5 {
			mu.Lock()
			seen = append(seen, o)
			mu.Unlock()
		}
	})
	if err := c.SetPin(ctx, 5, proto.DriveHiZ, proto.PullUp); err != nil {
		t.Fatal(err)
	}
	if err := c.SetPin(ctx, 5, proto.DriveHigh, proto.PullNone); err != nil {
		t.Fatal(err)
	}
	if o := m.Output(5); !o.Driven || !o.Level {
		t.Fatalf("GP5 after driving high: %+v", o)
	}
	mu.Lock()
	if len(seen) != 2 || seen[0].Driven || seen[0].Pull != proto.PullUp || !seen[1].Driven || !seen[1].Level {
		t.Errorf("GP5 went through %+v; want pull-up, then driven high and nothing between", seen)
	}
	mu.Unlock()

	// GP6 released without pull reads what the wire carries, then its
	// own pull when the wire carries nothing.
	if err := c.SetPin(ctx, 6, proto.DriveHiZ, proto.PullNone); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		driven, level bool
		pull          proto.Pull
		want          bool
	}{{true, true, proto.PullNone, true}, {true, false, proto.PullNone, false}, {false, false, proto.PullUp, true}, {false, false, proto.PullDown, false}} {
		if err := c.SetPin(ctx, 6, proto.DriveHiZ, tc.pull); err != nil {
			t.Fatal(err)
		}
		if err := m.SetInput(6, tc.driven, tc.level); err != nil {
			t.Fatal(err)
		}
		pins, err := c.ReadPins(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := pins>>6&1 == 1; got != tc.want || pins>>5&1 != 1 {
			t.Errorf("wire driven=%v level=%v, pull %v: GP6 reads %v (want %v), GP5 %v (want high)", tc.driven, tc.level, tc.pull, got, tc.want, pins>>5&1)
		}
	}
}

// A jumper inside the emulator carries a drive to the other pin at the
// same emulated instant: both pins capture each edge in the same pass of
// the firmware's GPIO interrupt (a few µs apart: it reads the timer per
// pin), not a slice of emulation later (25 µs) as a host round trip would.
func TestJumperIsInstant(t *testing.T) {
	_, c := start(t, Config{Firmware: firmwareImage(t), Jumper: &[2]int{20, 21}})
	ctx := context.Background()
	sub := c.Subscribe(16)
	defer sub.Close()
	if err := c.Arm(ctx, 1<<20|1<<21, proto.EdgeBoth); err != nil {
		t.Fatal(err)
	}
	if err := c.Pulse(ctx, mcu.PulseSpec{Pin: 20, Active: true, Width: time.Millisecond, Count: 1}); err != nil {
		t.Fatal(err)
	}
	ticks := map[int][]uint64{}
	for len(ticks[20]) < 2 || len(ticks[21]) < 2 {
		select {
		case e := <-sub.C():
			ticks[e.Pin] = append(ticks[e.Pin], e.Tick)
		case <-time.After(10 * time.Second):
			t.Fatalf("edges of GP20's pulse: %v, want two on GP20 and on GP21", ticks)
		}
	}
	for i := range 2 {
		if d := int64(ticks[21][i]) - int64(ticks[20][i]); d < -5 || d > 5 {
			t.Errorf("edge %d: GP20 at tick %d, GP21 at %d: want the same interrupt", i, ticks[20][i], ticks[21][i])
		}
	}
	if w := ticks[20][1] - ticks[20][0]; w < 1000 {
		t.Errorf("a 1 ms pulse lasted %d µs", w)
	}
}

func TestBadImage(t *testing.T) {
	ctx := context.Background()
	if _, err := Start(ctx, Config{Firmware: filepath.Join(t.TempDir(), "none.uf2")}); !errors.Is(err, ErrFirmware) {
		t.Errorf("missing image: %v, want ErrFirmware", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.uf2")
	if err := os.WriteFile(bad, make([]byte, 1024), 0o644); err != nil {
		t.Fatal(err)
	}
	firmwareImage(t) // the emulator must be installable: same prerequisites
	_, err := Start(ctx, Config{Firmware: bad})
	if !errors.Is(err, ErrEmulator) || !strings.Contains(err.Error(), "no UF2 magic") || !strings.Contains(err.Error(), bad) {
		t.Errorf("not a UF2: %v, want ErrEmulator naming the file and the fault", err)
	}
	if _, err := Start(ctx, Config{Firmware: bad, Jumper: &[2]int{3, 3}}); !errors.Is(err, ErrEmulator) {
		t.Errorf("jumper to itself: %v", err)
	}
}

// When the emulator dies the host sees its port vanish, as an unplugged
// Pico's: a typed error, no hang.
func TestEmulatorExit(t *testing.T) {
	m, c := start(t, Config{Firmware: firmwareImage(t)})
	if err := m.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("no exit seen")
	}
	if !errors.Is(m.Err(), ErrEmulator) {
		t.Errorf("Err: %v", m.Err())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	for err == nil && ctx.Err() == nil {
		_, _, err = c.Ping(ctx)
	}
	if !errors.Is(err, mcu.ErrDisconnected) {
		t.Errorf("ping after the emulator died: %v, want mcu.ErrDisconnected", err)
	}
}

// Cause comes before effect across the bridge, every time: a pin the
// firmware changed before answering a command is on its wire here before
// the answer arrives, and a level put on a wire here before a command is
// on the pin when the firmware runs it. (With the serial bytes and the pin
// lines on separate channels, a few in a thousand arrived late.)
func TestCauseBeforeEffect(t *testing.T) {
	m, c := start(t, Config{Firmware: firmwareImage(t)})
	ctx := context.Background()
	if err := c.SetPin(ctx, 6, proto.DriveHiZ, proto.PullNone); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	late, stale := 0, 0
	for i := range n {
		high := i%2 == 0
		d := proto.DriveLow
		if high {
			d = proto.DriveHigh
		}
		if err := c.SetPin(ctx, 4, d, proto.PullNone); err != nil {
			t.Fatal(err)
		}
		if o := m.Output(4); o.Level != high {
			late++
		}
		if err := m.SetInput(6, true, high); err != nil {
			t.Fatal(err)
		}
		pins, err := c.ReadPins(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pins>>6&1 == 1 != high {
			stale++
		}
	}
	if late > 0 || stale > 0 {
		t.Errorf("of %d: %d drives seen after the firmware's answer, %d reads that missed a level set before the command", n, late, stale)
	}
}

package clx_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gpiohil/gpiohil/clx"
)

// An active-low I/O connection reads and writes inverted levels, its
// initial levels included; the controller sees the line's levels.
func TestIOActiveLow(t *testing.T) {
	for _, sc := range simConfigs {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			pins := []int{7, 8, 23}
			in := r.connectIO(clx.IOConfig{Pins: pins, ActiveLow: true})
			for v := 0; v < 8; v++ {
				for i, p := range pins {
					r.drive(p, clx.Level(v>>i&1))
				}
				buf := []byte{0xff}
				must(t, in.Read(bg(), buf))
				if want := ^v & 0b111; int(buf[0]) != want {
					t.Fatalf("lines %03b read %08b, want %08b", v, buf[0], want)
				}
			}
			in.Close()
			for _, p := range pins {
				r.release(p)
			}
			out := r.connectIO(clx.IOConfig{Pins: pins, Direction: clx.Output, ActiveLow: true, Initial: []byte{0b001}})
			if got := [3]clx.Level{r.pad(7), r.pad(8), r.pad(23)}; got != [3]clx.Level{clx.Low, clx.High, clx.High} {
				t.Fatalf("lines 7,8,23 at open = %v, want low, high, high (initial 001, active-low)", got)
			}
			must(t, out.Write(bg(), []byte{0b110}))
			if got := [3]clx.Level{r.pad(7), r.pad(8), r.pad(23)}; got != [3]clx.Level{clx.High, clx.Low, clx.Low} {
				t.Fatalf("lines 7,8,23 after writing 110 = %v, want high, low, low", got)
			}
			buf := []byte{0xff}
			must(t, out.Read(bg(), buf))
			if buf[0] != 0b110 {
				t.Fatalf("latch read %08b, want 00000110", buf[0])
			}
		})
	}
}

// An active-low interrupt connection states its polarity logically and
// sees logical levels: ActiveHigh fires on the falling edge and reports
// high, ActiveLow on the rising edge and reports low, ActiveBoth reports
// each edge inverted; native and emulated both-edge sensing agree.
func TestInterruptActiveLow(t *testing.T) {
	for _, sc := range simConfigs {
		t.Run(sc.name, func(t *testing.T) {
			for _, tc := range []struct {
				pol  clx.Polarity
				want []clx.Level // after the line goes low, high, low, high
			}{
				{clx.ActiveHigh, []clx.Level{clx.High, clx.High}},
				{clx.ActiveLow, []clx.Level{clx.Low, clx.Low}},
				{clx.ActiveBoth, []clx.Level{clx.High, clx.Low, clx.High, clx.Low}},
			} {
				r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
				r.drive(8, clx.High)
				rec := &recorder{claim: true}
				r.connect(clx.InterruptConfig{Pin: 8, Polarity: tc.pol, ActiveLow: true, ISR: rec.isr})
				for _, l := range []clx.Level{clx.Low, clx.High, clx.Low, clx.High} {
					r.drive(8, l)
				}
				want := tc.want
				if tc.pol == clx.ActiveBoth && sc.cfg.EmulateBothEdges {
					// Emulated, the line starts at the asserted level — low,
					// logically: one interrupt at connect.
					want = append([]clx.Level{clx.Low}, want...)
				}
				if got := rec.levels(); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%v, active-low, line low-high-low-high: delivered %v, want %v", tc.pol, got, want)
				}
			}
		})
	}
}

// A level-sensitive ActiveHigh connection on an active-low line is
// asserted while the line is low.
func TestLevelInterruptActiveLow(t *testing.T) {
	r := newSimRig(t, "", simConfigs[0].cfg, clx.Options{})
	r.drive(8, clx.High)
	rec := &recorder{claim: true}
	rec.onCall = func(ic clx.InterruptContext) { _ = ic.Conn.Mask(bg()) } // once, then held masked
	r.connect(clx.InterruptConfig{Pin: 8, Mode: clx.LevelSensitive, Polarity: clx.ActiveHigh, ActiveLow: true, ISR: rec.isr})
	if rec.count() != 0 {
		t.Fatalf("delivered %v with the line high (inactive)", rec.levels())
	}
	r.drive(8, clx.Low)
	if got := rec.levels(); len(got) != 1 || got[0] != clx.High {
		t.Fatalf("line low: delivered %v, want one delivery at logical high", got)
	}
}

// Connections sharing an interrupt agree on the line's polarity, each in
// its own sense: an active-low ActiveLow holder (the line's rising edge)
// shares with an ActiveHigh one, and each sees the level its own way; an
// active-low ActiveHigh holder (the falling edge) may not join them.
func TestSharedInterruptActiveLow(t *testing.T) {
	r := newSimRig(t, "", simConfigs[0].cfg, clx.Options{})
	r.drive(8, clx.Low)
	plain, inverted := &recorder{}, &recorder{}
	r.connect(clx.InterruptConfig{Pin: 8, Polarity: clx.ActiveHigh, Shared: true, ISR: plain.isr})
	r.connect(clx.InterruptConfig{Pin: 8, Polarity: clx.ActiveLow, Shared: true, ActiveLow: true, ISR: inverted.isr})
	r.drive(8, clx.High)
	r.drive(8, clx.Low)
	if p, i := plain.levels(), inverted.levels(); fmt.Sprint(p) != "[high]" || fmt.Sprint(i) != "[low]" {
		t.Fatalf("line rising then falling: plain holder saw %v, active-low holder %v; want [high] and [low]", p, i)
	}
	_, err := r.f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 8, Polarity: clx.ActiveHigh, Shared: true, ActiveLow: true, ISR: plain.isr})
	if !errors.Is(err, clx.ErrSharingViolation) {
		t.Fatalf("a falling-edge holder joining rising-edge ones: %v, want a sharing violation", err)
	}
}

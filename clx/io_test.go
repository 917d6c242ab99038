package clx_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/gpiohil/gpiohil/clx"
)

// A connection's buffer is in connection order: pins 7, 8, 23 are bits
// 0, 1, 2, whatever their order on the controller.
func TestIOBitOrder(t *testing.T) {
	for _, sc := range simConfigs {
		t.Run(sc.name, func(t *testing.T) {
			r := newSimRig(t, sc.name, sc.cfg, clx.Options{})
			pins := []int{7, 8, 23}
			in := r.connectIO(clx.IOConfig{Pins: pins, Direction: clx.Input})
			for v := 0; v < 8; v++ {
				for i, p := range pins {
					r.drive(p, clx.Level(v>>i&1))
				}
				buf := []byte{0xff}
				if err := in.Read(bg(), buf); err != nil {
					t.Fatal(err)
				}
				if int(buf[0]) != v {
					t.Fatalf("read %08b with pads %03b", buf[0], v)
				}
			}
			in.Close()
			out := r.connectIO(clx.IOConfig{Pins: []int{23, 7, 8}, Direction: clx.Output})
			for _, p := range pins {
				r.release(p)
			}
			if err := out.Write(bg(), []byte{0b101}); err != nil {
				t.Fatal(err)
			}
			if r.pad(23) != clx.High || r.pad(7) != clx.Low || r.pad(8) != clx.High {
				t.Fatalf("pads 23,7,8 = %v,%v,%v, want high,low,high", r.pad(23), r.pad(7), r.pad(8))
			}
		})
	}
}

// Connections spanning banks are split so that the controller sees one
// bank per call; bit order survives the split.
func TestIOSpansBanks(t *testing.T) {
	fc := newFake(fakeSpec{pins: 70, perBank: 32})
	f := fc.framework(t)
	pins := []int{69, 0, 33, 31, 64}
	out, err := f.ConnectIO(bg(), clx.IOConfig{Pins: pins, Direction: clx.Output})
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Write(bg(), []byte{0b10110}); err != nil {
		t.Fatal(err)
	}
	for _, call := range fc.calls() {
		if call.bank < -1 || call.bank > 2 || call.bank == -1 && call.op != "Prepare" && call.op != "Start" {
			t.Fatalf("call %+v outside the banks", call)
		}
	}
	want := map[int]bool{69: false, 0: true, 33: true, 31: false, 64: true}
	for p, w := range want {
		if got := fc.level(p); got != w {
			t.Errorf("pin %d = %v, want %v", p, got, w)
		}
	}
	writes := 0
	for _, c := range fc.calls() {
		if c.op == "write" {
			writes++
		}
	}
	if writes != 3 {
		t.Errorf("%d write calls for 3 banks", writes)
	}
}

func TestIOBufferTooSmallTransfersNothing(t *testing.T) {
	r := newSimRig(t, "mmio", simConfigs[0].cfg, clx.Options{})
	pins := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
	out := r.connectIO(clx.IOConfig{Pins: pins, Direction: clx.Output})
	err := out.Write(bg(), []byte{0xff})
	if !errors.Is(err, clx.ErrBufferTooSmall) {
		t.Fatalf("write 1 byte for 9 pins: %v, want ErrBufferTooSmall", err)
	}
	for _, p := range pins {
		if r.pad(p) != clx.Low {
			t.Fatalf("pin %d driven high by a rejected write", p)
		}
	}
	buf := []byte{0xaa}
	if err := out.Read(bg(), buf); !errors.Is(err, clx.ErrBufferTooSmall) || buf[0] != 0xaa {
		t.Fatalf("read into 1 byte: %v, buffer %x", err, buf)
	}
}

func TestIODirectionRules(t *testing.T) {
	r := newSimRig(t, "mmio", simConfigs[0].cfg, clx.Options{})
	in := r.connectIO(clx.IOConfig{Pins: []int{1}, Direction: clx.Input})
	if err := in.Write(bg(), []byte{1}); !errors.Is(err, clx.ErrOperationDenied) {
		t.Fatalf("write on input: %v, want ErrOperationDenied", err)
	}
	// Read on an output returns the latch, not the pad: hold the pad's
	// reading apart by writing and comparing.
	out := r.connectIO(clx.IOConfig{Pins: []int{2, 3}, Direction: clx.Output, Initial: []byte{0b10}})
	buf := []byte{0}
	if err := out.Read(bg(), buf); err != nil || buf[0] != 0b10 {
		t.Fatalf("read initial latch: %v %02b, want 10", err, buf[0])
	}
	if r.pad(3) != clx.High || r.pad(2) != clx.Low {
		t.Fatalf("initial levels not applied: pin2 %v pin3 %v", r.pad(2), r.pad(3))
	}
	if err := out.Write(bg(), []byte{0b01}); err != nil {
		t.Fatal(err)
	}
	if err := out.Read(bg(), buf); err != nil || buf[0] != 0b01 {
		t.Fatalf("read latch after write: %v %02b, want 01", err, buf[0])
	}
	for _, tc := range []struct {
		cfg  clx.IOConfig
		want error
	}{
		{clx.IOConfig{Pins: []int{9}, Direction: clx.Output, Restriction: clx.RestrictInput}, clx.ErrOperationDenied},
		{clx.IOConfig{Pins: []int{9}, Direction: clx.Input, Restriction: clx.RestrictOutput}, clx.ErrOperationDenied},
		{clx.IOConfig{Pins: []int{9}, Direction: clx.Output, Shared: true}, clx.ErrInvalidArgument},
		{clx.IOConfig{Pins: []int{9, 9}}, clx.ErrInvalidArgument},
		{clx.IOConfig{Pins: []int{32}}, clx.ErrInvalidArgument},
		{clx.IOConfig{Pins: []int{-1}}, clx.ErrInvalidArgument},
		{clx.IOConfig{}, clx.ErrInvalidArgument},
		{clx.IOConfig{Pins: []int{9}, Direction: 7}, clx.ErrInvalidArgument},
	} {
		if _, err := r.f.ConnectIO(bg(), tc.cfg); !errors.Is(err, tc.want) {
			t.Errorf("connect %+v: %v, want %v", tc.cfg, err, tc.want)
		}
	}
}

func TestIOSharing(t *testing.T) {
	r := newSimRig(t, "mmio", simConfigs[0].cfg, clx.Options{})
	r.connectIO(clx.IOConfig{Pins: []int{4, 5}, Direction: clx.Output, Name: "led-driver"})
	_, err := r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{6, 5}, Name: "intruder"})
	var pe *clx.PinError
	if !errors.Is(err, clx.ErrSharingViolation) || !errors.As(err, &pe) || pe.Pin != 5 || pe.Holder != "led-driver" {
		t.Fatalf("second connection on pin 5: %v, want a sharing violation on pin 5 held by led-driver", err)
	}
	if !strings.Contains(err.Error(), "pin 5") || !strings.Contains(err.Error(), "led-driver") {
		t.Fatalf("error %q does not name the pin and holder", err)
	}
	// The failed connection configured nothing: pin 6 is still free.
	r.connectIO(clx.IOConfig{Pins: []int{6}})
	// Interrupt and exclusive I/O exclude each other; shared read-only
	// I/O coexists with an interrupt.
	rec := &recorder{claim: true}
	r.connect(clx.InterruptConfig{Pin: 10, ISR: rec.isr, Name: "button"})
	if _, err := r.f.ConnectIO(bg(), clx.IOConfig{Pins: []int{10}}); !errors.Is(err, clx.ErrSharingViolation) ||
		!strings.Contains(err.Error(), "button") {
		t.Fatalf("exclusive I/O on an interrupt pin: %v", err)
	}
	ro := r.connectIO(clx.IOConfig{Pins: []int{10}, Shared: true})
	r.connectIO(clx.IOConfig{Pins: []int{10}, Shared: true})
	r.drive(10, clx.High)
	buf := []byte{0}
	if err := ro.Read(bg(), buf); err != nil || buf[0] != 1 {
		t.Fatalf("shared read of an interrupt pin: %v %d", err, buf[0])
	}
	if rec.count() != 1 {
		t.Fatalf("interrupt deliveries with a shared reader: %d, want 1", rec.count())
	}
	if _, err := r.f.ConnectInterrupt(bg(), clx.InterruptConfig{Pin: 4, ISR: rec.isr}); !errors.Is(err, clx.ErrSharingViolation) {
		t.Fatalf("interrupt on an exclusive I/O pin: %v", err)
	}
}

// Closing returns pins to their default state (input, no pull) unless the
// restriction is none-and-preserve. Pull, drive and debounce reach the
// controller.
func TestIOCloseDefaultsAndPreserve(t *testing.T) {
	r := newSimRig(t, "mmio", simConfigs[0].cfg, clx.Options{})
	out := r.connectIO(clx.IOConfig{Pins: []int{1}, Direction: clx.Output, Initial: []byte{1}})
	if r.pad(1) != clx.High {
		t.Fatal("output not driven high")
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if l, isOut, _ := r.sim.Pad(1); isOut || l != clx.Low {
		t.Fatalf("after close pin 1 is output=%v level=%v, want a floating input", isOut, l)
	}
	if err := out.Write(bg(), []byte{1}); !errors.Is(err, clx.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	keep := r.connectIO(clx.IOConfig{Pins: []int{2}, Direction: clx.Output, Restriction: clx.RestrictNoneAndPreserve, Initial: []byte{1}})
	keep.Close()
	if l, isOut, _ := r.sim.Pad(2); !isOut || l != clx.High {
		t.Fatalf("preserved output: output=%v level=%v, want driving high", isOut, l)
	}
	up := r.connectIO(clx.IOConfig{Pins: []int{3}, Pull: clx.PullUp})
	buf := []byte{0}
	if err := up.Read(bg(), buf); err != nil || buf[0] != 1 {
		t.Fatalf("pulled-up floating input reads %d (%v), want 1", buf[0], err)
	}

	fc := newFake(fakeSpec{pins: 8, perBank: 8})
	f := fc.framework(t)
	if _, err := f.ConnectIO(bg(), clx.IOConfig{Pins: []int{1}, Direction: clx.Output, Drive: clx.DriveOpenDrain,
		Pull: clx.PullDown, Debounce: 3000}); err != nil {
		t.Fatal(err)
	}
	req := fc.lastIORequest()
	if req.Drive != clx.DriveOpenDrain || req.Pull != clx.PullDown || req.Debounce != 3000 {
		t.Fatalf("controller saw %+v", req)
	}
}

// Concurrent writers of one output connection leave its read-back equal
// to what the hardware drives, whether the connection lies in one bank
// (writers serialised by the bank lock) or spans banks (by the
// connection's own lock).
func TestIOLatchFollowsConcurrentWrites(t *testing.T) {
	for _, pins := range [][]int{{1, 2, 3, 5, 8, 13, 21, 30}, {69, 0, 33, 31, 64, 40, 2, 66, 9}} {
		fc := newFake(fakeSpec{pins: 70, perBank: 32})
		f := fc.framework(t)
		out, err := f.ConnectIO(bg(), clx.IOConfig{Pins: pins, Direction: clx.Output})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				buf := make([]byte, 2)
				for i := 0; i < 200; i++ {
					buf[0], buf[1] = byte(w*37+i), byte(i&1)
					if err := out.Write(bg(), buf); err != nil {
						t.Error(err)
						return
					}
					if err := out.Read(bg(), make([]byte, 2)); err != nil {
						t.Error(err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		got := make([]byte, 2)
		if err := out.Read(bg(), got); err != nil {
			t.Fatal(err)
		}
		for k, p := range pins {
			if want := got[k/8]>>(k%8)&1 != 0; fc.level(p) != want {
				t.Errorf("pins %v: pin %d drives %v, read-back says %v", pins, p, fc.level(p), want)
			}
		}
	}
}

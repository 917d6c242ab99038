package virtual

import (
	"sync"
	"testing"

	"github.com/gpiohil/gpiohil/rig/firmware"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// The simulated board: a driven pin reads its own level, a released pin
// the outside's or its pull; armed pins capture edges with a tick; drive
// changes reach observers.
func TestPins(t *testing.T) {
	m, err := New(Config{Pins: 4})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var edges []bool
	var ticks []uint64
	m.SetEdgeHandler(func(pin int, level bool, tick uint64) {
		mu.Lock()
		edges = append(edges, level)
		ticks = append(ticks, tick)
		mu.Unlock()
	})
	var drives []firmware.PinOutput
	m.OnDrive(func(e firmware.PinOutput) { drives = append(drives, e) })
	m.ArmEdges(1, true)
	m.SetPin(1, proto.DriveHiZ, proto.PullUp)
	if !m.Level(1) {
		t.Fatal("released pin with pull-up reads low")
	}
	must(t, m.SetInput(1, true, false))
	if m.Level(1) {
		t.Fatal("pin driven low from outside reads high")
	}
	m.SetPin(1, proto.DriveHigh, proto.PullNone)
	if !m.Level(1) || !m.Output(1).Driven {
		t.Fatal("driven pin does not read its own level")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(edges) != 3 || !edges[0] || edges[1] || !edges[2] || ticks[1] < ticks[0] {
		t.Fatalf("edges %v at %v", edges, ticks)
	}
	if len(drives) != 2 || drives[0].Pull != proto.PullUp || !drives[1].Driven || !drives[1].Level {
		t.Fatalf("drive events %+v", drives)
	}
	if err := m.SetInput(9, true, true); err == nil {
		t.Fatal("pin 9 of 4 accepted")
	}
	if _, err := New(Config{Pins: 65}); err == nil {
		t.Fatal("65 pins accepted")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

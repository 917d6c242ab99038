package cdev

import (
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
)

// The latch's decisions, fed plain event values: these run on any host,
// without a kernel or gpio-sim.

func TestLatchEdgePolarity(t *testing.T) {
	for _, tc := range []struct {
		pol           clx.Polarity
		rising, latch bool
	}{
		{clx.ActiveHigh, true, true}, {clx.ActiveHigh, false, false},
		{clx.ActiveLow, true, false}, {clx.ActiveLow, false, true},
		{clx.ActiveBoth, true, true}, {clx.ActiveBoth, false, true},
	} {
		l := newLatch(clx.Edge, tc.pol, 0)
		if tc.rising == false {
			l = newLatch(clx.Edge, tc.pol, 1)
		}
		_, raise := l.event(tc.rising, 5*time.Millisecond, 1)
		if raise != tc.latch || l.status != tc.latch {
			t.Errorf("%v edge, rising=%v: raise %v status %v, want %v", tc.pol, tc.rising, raise, l.status, tc.latch)
		}
		if tc.latch {
			ev := l.describe()
			want := clx.Low
			if tc.rising {
				want = clx.High
			}
			if !ev.HasTime || ev.Time != 5*time.Millisecond || ev.Level != want {
				t.Errorf("%v edge, rising=%v: event %+v", tc.pol, tc.rising, ev)
			}
		}
	}
}

func TestLatchMaskRetainsOneEdge(t *testing.T) {
	l := newLatch(clx.Edge, clx.ActiveBoth, 0)
	l.masked = true
	for seq := uint32(1); seq <= 4; seq++ {
		if _, raise := l.event(seq%2 == 1, time.Duration(seq), seq); raise {
			t.Fatalf("edge %d raised while masked", seq)
		}
	}
	if !l.unmask() {
		t.Fatal("unmask did not fire the retained edge")
	}
	if ev := l.describe(); ev.Time != 4 || ev.Level != clx.Low {
		t.Fatalf("retained event %+v, want the last (time 4, low)", ev)
	}
	l.clear()
	if l.active() || l.unmask() {
		t.Fatal("a cleared edge is still active")
	}
}

func TestLatchLevelFollowsTheLine(t *testing.T) {
	l := newLatch(clx.LevelSensitive, clx.ActiveHigh, 1)
	if !l.active() {
		t.Fatal("enabled on an asserted level: not active")
	}
	if !l.wantsLevel() {
		t.Fatal("a level latch must be given the line's value on clear and unmask")
	}
	l.clear()
	if !l.active() {
		t.Fatal("clear while asserted dropped the status")
	}
	l.masked = true
	l.refresh(0, true) // the ISR silenced the source; its event is still queued
	l.clear()
	if l.status {
		t.Fatal("status kept after the level dropped")
	}
	if l.unmask() {
		t.Fatal("unmask fired on a deasserted level")
	}
	l.refresh(1, false) // a failed read keeps the last value
	if l.level != 0 {
		t.Fatal("a failed read changed the level")
	}
	if _, raise := l.event(true, 9, 1); !raise {
		t.Fatal("rising into an active-high level did not raise")
	}
	if ev := l.describe(); ev.Level != clx.High || ev.Time != 9 {
		t.Fatalf("level event %+v", ev)
	}
	if _, raise := l.event(false, 10, 2); raise || l.status {
		t.Fatal("falling out of the level kept it active")
	}
}

func TestLatchSequenceGaps(t *testing.T) {
	l := newLatch(clx.Edge, clx.ActiveBoth, 0)
	for _, tc := range []struct {
		seq  uint32
		lost uint32
	}{{7, 0}, {8, 0}, {11, 2}, {12, 0}, {3, 0} /* a restart, not a gap */, {4, 0}} {
		if lost, _ := l.event(true, 1, tc.seq); lost != tc.lost {
			t.Errorf("sequence %d: lost %d, want %d", tc.seq, lost, tc.lost)
		}
	}
}

func TestLatchReconfigureEmulatesBothEdges(t *testing.T) {
	// clx emulates active-both on a level latch by flipping its polarity
	// after each delivery.
	l := newLatch(clx.LevelSensitive, clx.ActiveLow, 1)
	if l.active() {
		t.Fatal("active-low level active at high")
	}
	if _, raise := l.event(false, 1, 1); !raise {
		t.Fatal("falling edge did not assert active-low")
	}
	if l.reconfigure(clx.LevelSensitive, clx.ActiveHigh) {
		t.Fatal("flipped to active-high at a low level: fired")
	}
	if _, raise := l.event(true, 2, 2); !raise {
		t.Fatal("rising edge did not assert the flipped polarity")
	}
}

// An edge that finds its status latched is counted as merged; one that
// does not qualify, or finds it clear, is not.
func TestLatchCountsMerged(t *testing.T) {
	l := newLatch(clx.Edge, clx.ActiveHigh, 0)
	for seq, rising := range []bool{true, false, true, true} {
		l.event(rising, time.Duration(seq+1), uint32(seq+1))
	}
	if l.merged != 2 {
		t.Fatalf("rise, fall, rise (latched), rise (latched): merged %d, want 2", l.merged)
	}
	l.clear()
	l.event(true, 9, 5)
	if l.merged != 2 {
		t.Fatalf("a rise after clear counted merged: %d", l.merged)
	}
}

// The qualifying edges among lost events follow from the alternation of
// the line: after a rise, lost events fall, rise, fall, …
func TestLatchCountsLostEdges(t *testing.T) {
	for _, tc := range []struct {
		pol       clx.Polarity
		afterRise bool
		lost      uint32
		want      uint64
	}{
		{clx.ActiveHigh, true, 1, 0}, {clx.ActiveHigh, true, 2, 1}, {clx.ActiveHigh, true, 5, 2},
		{clx.ActiveHigh, false, 1, 1}, {clx.ActiveHigh, false, 5, 3},
		{clx.ActiveLow, true, 1, 1}, {clx.ActiveLow, true, 5, 3}, {clx.ActiveLow, false, 4, 2},
		{clx.ActiveBoth, true, 5, 5},
	} {
		l := newLatch(clx.Edge, tc.pol, 0)
		l.event(tc.afterRise, 1, 1)
		if lost, _ := l.event(true, 2, 2+tc.lost); lost != tc.lost || l.lostEdges != tc.want {
			t.Errorf("%v, %d lost after a rise=%v: %d lost, %d qualifying; want %d qualifying", tc.pol, tc.lost, tc.afterRise, lost, l.lostEdges, tc.want)
		}
	}
	lv := newLatch(clx.LevelSensitive, clx.ActiveHigh, 0)
	lv.event(true, 1, 1)
	lv.event(true, 2, 5)
	if lv.lostEdges != 0 {
		t.Fatalf("a level interrupt counted %d lost edges", lv.lostEdges)
	}
}

func TestLatchResume(t *testing.T) {
	l := newLatch(clx.Edge, clx.ActiveBoth, 0)
	l.event(true, 1, 5)
	l.masked = true
	if l.resume(1) {
		t.Fatal("a masked edge latch fired on resume")
	}
	if !l.status {
		t.Fatal("an edge latched (masked) before the suspend was lost")
	}
	l.masked = false
	if !l.active() {
		t.Fatal("the kept edge is not active once unmasked")
	}
	l.status = false
	if lost, _ := l.event(false, 2, 1); lost != 0 {
		t.Fatalf("the new request's first sequence counted %d lost", lost)
	}
	lv := newLatch(clx.LevelSensitive, clx.ActiveLow, 1)
	if !lv.resume(0) {
		t.Fatal("a level asserted at resume did not fire")
	}
}

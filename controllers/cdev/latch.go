package cdev

import (
	"time"

	"github.com/gpiohil/gpiohil/clx"
)

// latch is the interrupt state of one line that the kernel's character
// device does not keep: a status latch, a mask, level-sensitive
// interrupts built from edges and the line's value, and the event
// sequence numbers that reveal lost events. It makes every decision from
// plain values and calls nothing, so it is tested on any host; the
// Controller feeds it the kernel's events and values.
type latch struct {
	mode    clx.Mode
	pol     clx.Polarity
	masked  bool
	status  bool
	level   int // the line's last known value, 0 or 1
	evTime  time.Duration
	evLevel clx.Level
	lastSeq uint32
	haveSeq bool
	// merged counts qualifying edges that found status already latched:
	// they reach the client as the one delivery of the edge before them.
	merged uint64
	// lostEdges counts the qualifying edges among the events the kernel
	// lost (an edge interrupt's line is requested for both edges, so a gap
	// in the sequence holds edges of both directions).
	lostEdges uint64
}

// newLatch starts a latch for an interrupt just enabled, unmasked, on a
// line whose value is level. A level-sensitive interrupt whose level is
// already asserted is active at once.
func newLatch(mode clx.Mode, pol clx.Polarity, level int) latch {
	l := latch{mode: mode, pol: pol, level: level}
	l.levelStatus()
	return l
}

// asserted is the value at which a level-sensitive interrupt of polarity
// p is asserted (and the edge an edge interrupt of polarity p latches).
func asserted(p clx.Polarity) int {
	if p == clx.ActiveHigh {
		return 1
	}
	return 0
}

// wantsLevel reports whether a clear or an unmask should be given the
// line's current value: a level-sensitive interrupt's cached value lags
// when its events wait behind the dispatch that silenced the source.
func (l *latch) wantsLevel() bool { return l.mode == clx.LevelSensitive }

// levelStatus recomputes a level-sensitive interrupt's status from the
// level; the event's level is the one that asserted it.
func (l *latch) levelStatus() {
	if l.mode != clx.LevelSensitive {
		return
	}
	was := l.status
	l.status = l.level == asserted(l.pol)
	if l.status && !was {
		l.evLevel = clx.Level(l.level)
	}
}

// event takes one kernel edge event: whether the line rose, its
// timestamp and its per-line sequence number. It returns how many events
// the kernel lost before this one (a gap in the sequence) and whether the
// primary interrupt should be raised.
func (l *latch) event(rising bool, ts time.Duration, seq uint32) (lost uint32, raise bool) {
	if l.haveSeq && seq != l.lastSeq+1 && seq > l.lastSeq {
		lost = seq - l.lastSeq - 1
		if l.mode == clx.Edge {
			l.lostEdges += uint64(qualifyingAmong(lost, l.level, l.pol))
		}
	}
	l.lastSeq, l.haveSeq = seq, true
	l.level = 0
	if rising {
		l.level = 1
	}
	if l.mode == clx.Edge {
		if l.pol == clx.ActiveBoth || l.level == asserted(l.pol) {
			if l.status {
				l.merged++
			}
			l.status = true
			l.evTime, l.evLevel = ts, clx.Level(l.level)
		}
	} else {
		l.levelStatus()
		if l.status {
			l.evTime = ts
		}
	}
	return lost, l.active()
}

// qualifyingAmong is how many of lost events that followed an event to
// level prev were edges of polarity pol: the line alternates, so they went
// to the other level, back, and so on.
func qualifyingAmong(lost uint32, prev int, pol clx.Polarity) uint32 {
	rising := lost / 2
	if prev == 0 {
		rising = (lost + 1) / 2
	}
	switch pol {
	case clx.ActiveBoth:
		return lost
	case clx.ActiveHigh:
		return rising
	}
	return lost - rising
}

// active reports whether the interrupt should be dispatched: status
// latched and not masked.
func (l *latch) active() bool { return l.status && !l.masked }

// refresh takes the line's current value, when the caller read one.
func (l *latch) refresh(level int, ok bool) {
	if ok {
		l.level = level
	}
}

// clear clears an edge's status; a level's follows the level, asserted
// again while it persists.
func (l *latch) clear() {
	l.status = false
	l.levelStatus()
}

// unmask unmasks, and reports whether the interrupt fires: a latched
// edge, or a level still asserted.
func (l *latch) unmask() bool {
	l.masked = false
	l.levelStatus()
	return l.status
}

// reconfigure changes mode and polarity (clx's emulations flip them);
// the status starts afresh and an asserted level fires.
func (l *latch) reconfigure(mode clx.Mode, pol clx.Polarity) bool {
	l.mode, l.pol = mode, pol
	l.status = false
	l.levelStatus()
	return l.active()
}

// describe is the latched event for clx.EventDescriber.
func (l *latch) describe() clx.Event {
	return clx.Event{Time: l.evTime, HasTime: l.evTime != 0, Level: l.evLevel, HasLevel: true}
}

// resume starts the latch again after a suspend on a line whose value is
// now level: an edge latched before the suspend is kept, edges while
// suspended are lost, the mask is kept, and the sequence numbers restart
// with the new kernel request.
func (l *latch) resume(level int) bool {
	l.haveSeq, l.level = false, level
	l.levelStatus()
	return l.active()
}

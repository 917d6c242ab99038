package clx

import "time"

// debounceChangeLocked handles a level change on an emulated-debounce pin.
func (b *bank) debounceChangeLocked(p *intrPin) {
	bit := uint64(1) << p.index
	if !p.debouncing {
		// The line left its stable level: watch for it coming back while
		// the timer runs.
		p.debouncing = true
		p.hw.Polarity = assertAt(p.stable)
		b.reconfigureLocked(p)
		b.clearLocked(bit)
		p.timerGen++
		gen := p.timerGen
		idx := p.index
		p.timer = b.f.opts.AfterFunc(p.debounce, func() {
			p.firedGen.Store(gen)
			b.timersDue.Or(uint64(1) << idx)
			b.post()
		})
		return
	}
	// It came back before the timeout: a glitch, filtered.
	p.debouncing = false
	p.stopTimer()
	p.hw.Polarity = assertAt(1 - p.stable)
	b.reconfigureLocked(p)
	b.clearLocked(bit)
}

// debounceTimerLocked handles the expiry of a pin's debounce timer.
func (b *bank) debounceTimerLocked(p *intrPin, now time.Time) {
	if !p.debouncing || p.firedGen.Load() != p.timerGen {
		return // stale timer
	}
	bit := uint64(1) << p.index
	p.debouncing = false
	p.timer = nil
	lvl, err := b.readLevelLocked(b.f.ctx, p.index)
	if err != nil {
		b.f.report(driverErr("debounce-sample", p.pin, b.id, err))
		lvl = p.stable
	}
	changed := lvl != p.stable
	p.stable = lvl
	p.hw.Polarity = assertAt(1 - lvl)
	b.reconfigureLocked(p)
	b.clearLocked(bit)
	if !changed || !qualifies(p, lvl) {
		return
	}
	if b.hwMasked&bit != 0 {
		p.retainedLevel = lvl
		b.retained |= bit
		return
	}
	b.deliverUnlocked(p, InterruptContext{Pin: p.pin, Level: lvl, HasLevel: true, DispatchTime: now})
}

// qualifies reports whether a debounced change to l is delivered to p's
// connections.
func qualifies(p *intrPin, l Level) bool {
	switch p.polarity {
	case ActiveBoth:
		return true
	case ActiveHigh:
		return l == High
	default:
		return l == Low
	}
}

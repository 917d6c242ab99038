package clx

import (
	"math/bits"
	"strconv"
)

// A bank's interrupt status as the controller holds it: the query of
// active pins, their clear, the cross-check of the enable state, and the
// retry of a dispatch pass in which one of those calls failed.

// retryLocked has another pass follow the running one: the controller
// failed a call whose outcome only the hardware still holds (which pins
// were active, a status left uncleared, a polarity left unflipped).
func (b *bank) retryLocked() { b.passFailed = true }

// endPassLocked ends a dispatch pass: one whose controller call failed is
// retried by one more pass; a controller that fails that one too waits
// for its next interrupt rather than spin dispatch.
func (b *bank) endPassLocked() {
	if !b.passFailed {
		b.failStreak = 0
		return
	}
	b.passFailed = false
	b.failStreak++
	if b.failStreak == 1 {
		b.pending.Store(true)
	}
}

// queryLocked asks the controller for active pins, reports and clears any
// outside expected, and cross-checks the enable state on a spurious
// interrupt. It returns the active pins within expected.
func (b *bank) queryLocked(expected uint64) uint64 {
	f := b.f
	active, err := f.caps.query.QueryActiveInterrupts(f.ctx, b.id, expected)
	if err != nil {
		f.report(driverErr("query-active", -1, b.id, err))
		b.retryLocked()
		return 0
	}
	if phantom := active &^ expected; phantom != 0 {
		f.report(&PinError{Op: "query-active", Pin: b.id*f.info.PinsPerBank + bits.TrailingZeros64(phantom), Bank: b.id,
			Err: &wrapped{ErrControllerDriver, &maskError{"active outside the enabled and unmasked set", phantom, expected}}})
		// Pins the framework masked keep their status; others are cleared.
		b.clearLocked(phantom &^ b.hwMasked)
	}
	if active&expected == 0 {
		b.crossCheckLocked("spurious-interrupt")
	}
	return active & expected
}

// crossCheckLocked compares the hardware's enable state with the
// framework's, where the controller can report it.
func (b *bank) crossCheckLocked(op string) {
	f := b.f
	if f.caps.queryEn == nil {
		return
	}
	hw, err := f.caps.queryEn.QueryEnabledInterrupts(f.ctx, b.id)
	if err != nil {
		f.report(driverErr(op, -1, b.id, err))
		return
	}
	if hw != b.enabled {
		f.report(&PinError{Op: op, Pin: -1, Bank: b.id,
			Err: &wrapped{ErrControllerDriver, &maskError{"hardware enable state disagrees with the framework", hw, b.enabled}}})
	}
}

type maskError struct {
	what      string
	got, want uint64
}

func (e *maskError) Error() string {
	return e.what + ": hardware " + hex(e.got) + ", framework " + hex(e.want)
}

func hex(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }

func (b *bank) clearLocked(mask uint64) {
	f := b.f
	if mask == 0 || f.info.Flags&AutoClearOnRead != 0 {
		return
	}
	failed, err := f.caps.clear.ClearActiveInterrupts(f.ctx, b.id, mask)
	if err == nil && failed != 0 {
		err = &maskError{"clear failed", failed, mask}
	}
	if err != nil {
		f.report(driverErr("clear-active", b.id*f.info.PinsPerBank+bits.TrailingZeros64(mask), b.id, err))
		b.retryLocked()
	}
}

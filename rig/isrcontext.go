package rig

import "github.com/gpiohil/gpiohil/clx"

// wireHolder is a target whose ISRs run where its wires carry the MCU's
// levels, and says so.
type wireHolder interface {
	isrHoldsWires() string
}

// ISRsHoldWires says why, on this target, no level crosses the wires
// while an ISR runs (the routine runs in the context that carries them),
// or "" when the MCU's levels reach the target whatever its ISRs do.
// A spec that holds an ISR while the MCU changes a level needs "".
func (r *Rig) ISRsHoldWires() string {
	if t, ok := r.target.(wireHolder); ok {
		return t.isrHoldsWires()
	}
	return ""
}

// isrHoldsWires: a memory-mapped sim controller raises its interrupt, and
// clx dispatches it, in the goroutine that changed a pad: the harness
// carrying an MCU level. A bus-attached one dispatches in clx's worker.
func (t *simTarget) isrHoldsWires() string {
	if t.ctrl.Info().Flags&clx.MemoryMapped == 0 {
		return ""
	}
	return "the memory-mapped sim controller's interrupts are dispatched in the goroutine that carries the MCU's level to its pad: no level crosses the wires while an ISR runs"
}

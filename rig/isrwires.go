package rig

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

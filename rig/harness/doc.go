// Package harness is the in-process wiring between a virtual MCU's pins
// and a simulated controller's pads: each wire carries what one side puts
// on it (a driven level, or a pull) to the other, after a propagation
// delay, and can be faulted — open, stuck at 0 or 1, or swapped with
// another wire — for bring-up specs.
package harness

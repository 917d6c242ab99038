// Package harness is the in-process wiring between a virtual MCU's pins
// and a simulated target's pads (Pads: the sim controller, the MCP23017
// model): each wire carries what one side puts
// on it (a driven level, or a pull) to the other, after a propagation
// delay, and can be faulted — open, stuck at 0 or 1, or swapped with
// another wire (fixtures.FaultKind) — for bring-up specs.
//
// GPIOSim does the same between a virtual MCU and the lines of a kernel
// gpio-sim chip (the QEMU tier): what an MCU pin puts on a wire becomes
// the line's simulated pull, what the target's consumer makes of the line
// (direction, bias) comes from watching the line's info, and what it
// drives is sensed by polling the line.
package harness

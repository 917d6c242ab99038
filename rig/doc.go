// Package rig assembles a rig from a fixture and gives specs and
// benchmarks what they do to it: operations on wires and probe pairs.
//
// A rig is a target and an MCU joined by wires. Each has one small
// interface with one implementation per kind, so a new tier adds a file:
//
//	target (target.go)     sim: target_sim.go   — the sim controller, wired by the in-process harness
//	                       cdev: target_cdev.go — a Linux GPIO chip; on the QEMU tier a gpio-sim chip
//	                                              whose sysfs wires the virtual MCU
//	                       mcp23017: target_mcp23017.go — the MCP23017 driver on the model chip and
//	                                              an in-process I2C bus (target_pads.go: the pad
//	                                              wiring the in-process targets share)
//	MCU (mcu.go)           virtual — the firmware core in this process, on a pseudo-terminal
//	                       serial  — a board on a serial port, found by path or USB identity
//
// OpenMCU is the one way to reach an MCU on a serial port: it finds the
// port, takes the rig lock on it (lock.go) and opens the client; `gpiohil
// mcu` uses it too.
//
// The wire-level operations (wires.go) — Drive, Release, ReadMCU,
// ReadTarget, Probe, Pulse, Watch, Settle — name wires and pairs as the
// fixture does; specs and the bench use them rather than MCU pin numbers.
// CheckWiring (wiring.go) judges every wire in both directions and names
// faults with fixtures' FaultKind. The responder (responder.go) is the clx
// client driver on the target that answers probes.
package rig

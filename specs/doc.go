// Package specs is gpiohil's Ginkgo spec tree: it judges a rig's wiring,
// I/O, interrupts, masking, emulation, storms, stress and latency from
// outside, through the wires — the companion MCU drives and times, the
// target's clx answers through a responder.
//
// The tree is importable: `gpiohil check` runs it in-process with Run,
// which opens the rig, runs every spec and returns Results (their
// WriteSummary prints the wiring table and latency summary); `go test
// ./specs` runs the same tree on the fixture GPIOHIL_FIXTURE names, the
// embedded sim fixture by default. Specs act on the rig through its
// wire-level operations, by wire and pair name. Every spec is
// labelled by area (bring-up, io, glitch, drive, active-low, interrupts,
// shared, timestamps, lost-edges, masking, suspend, debounce, emulation,
// storms, containment, removal, stress, latency) and by the capability it needs
// (cap:pulls, cap:hi-z, cap:debounce, cap:two-pairs, cap:fast-sense,
// cap:open-drain); a spec the rig cannot support is skipped with the
// reason.
package specs

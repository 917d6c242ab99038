// Package specs is gpiohil's Ginkgo spec tree: it judges a rig's wiring,
// I/O, interrupts, masking, emulation, storms, stress and latency from
// outside, through the wires — the companion MCU drives and times, the
// target's clx answers through a responder.
//
// The tree is importable: `gpiohil check` runs it in-process, and
// `go test ./specs` runs the same tree. Configure (or, under go test, the
// GPIOHIL_FIXTURE environment variable) selects the fixture before the tree
// is built; the default is the embedded sim fixture. Every spec is
// labelled by area (bring-up, io, interrupts, masking, emulation, storms,
// stress, latency) and by the capability it needs (cap:pulls, cap:hi-z,
// cap:debounce, cap:two-pairs); a spec the rig cannot support is skipped
// with the reason.
package specs

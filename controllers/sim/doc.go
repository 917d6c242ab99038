// Package sim is a register-level model of a GPIO controller, the target
// of every gpiohil tier without hardware.
//
// Each bank has the registers a real memory-mapped controller has —
// direction, output latch, input level, interrupt enable, mask, status,
// mode and polarity — and pads that a harness drives from outside
// (DrivePad, ReleasePad; an undriven input takes its pull, and floats low
// without one) and observes (Pad, OnPadChange with a timestamp on the
// controller's clock, Now). Status latches on qualifying edges, or follows
// an asserted level; the primary interrupt is raised synchronously, in the
// goroutine that caused it, whenever status & enable & ¬mask ≠ 0.
//
// Config switches cover every path of the clx framework: both-edge sensing
// native or emulated, debounce in hardware or emulated, auto-clear on
// read, pin-table or mask I/O, and memory-mapped or bus-attached (with a
// per-access delay modelling an I2C expander).
//
// Files: config.go (Config and New), model.go (the registers and how pad
// changes become input levels, status and the primary interrupt),
// pads.go (the pads a harness drives and observes), controller.go (the
// clx contract: every capability group, suspend and bank power included).
package sim

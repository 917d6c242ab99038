// Package cdev is a clx controller driver on the Linux GPIO character
// device (github.com/warthog618/go-gpiocdev): real boards, and a real
// kernel's gpio-sim lines in the QEMU tier.
//
// I/O connections become line requests, read and written in one call per
// bank. Interrupts are kernel edge events with their CLOCK_MONOTONIC
// timestamps, passed to clx as the controller timestamp. The kernel has no
// mask or status registers, so the driver keeps a status latch in
// software: edges latch while masked and are delivered on unmask, as clx's
// contract requires; level-sensitive interrupts are emulated from edges
// plus the current value, and re-asserted on unmask or clear while the
// level persists. Both edges and debounce are native (the kernel's cdev
// debounce). Gaps in the kernel's per-line event sequence numbers are
// counted as lost events and reported, never silent.
//
// Closing is safe from any goroutine, including from inside an ISR:
// go-gpiocdev's Close waits for its event goroutine, so a request whose
// events are being dispatched is released from another goroutine.
//
// The decisions — the latch, level emulation, sequence gaps — live in
// latch.go, fed plain values and tested on any host; the kernel calls
// live in cdev.go (chip and lifecycle), io.go and interrupt.go. Suspend
// releases every interrupt line to the kernel and Resume requests them
// again as they were (clx's suspend group).
//
// A chip unregistered under open requests (a hot-unplugged USB expander)
// makes the kernel answer ENODEV; the driver's errors then wrap
// clx.ErrControllerGone too (gone.go), and clx fails every connection.
// Linux guards requests against it from 6.9; the QEMU guest's 6.1 does
// not, so no tier exercises it yet.
package cdev

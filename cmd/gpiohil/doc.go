// Command gpiohil is gpiohil's one binary: it validates a rig (gpiohil
// check), measures latency (gpiohil bench), lists and validates fixtures
// (gpiohil fixture), and serves and talks to the companion MCU (gpiohil
// mcu). Run gpiohil --help for the commands.
//
// Each command parses its flags, calls the package that does the work
// (specs.Run, bench.Latency, rig.OpenMCU, fixtures.Load) and prints the
// result; exit status 0 success, 1 failure, 2 bad usage or fixture, 130
// interrupted.
//
// gpiohil builds for Linux only: its controller driver is the Linux GPIO
// character device, the virtual MCU is served on a Unix pseudo-terminal,
// the rig lock is flock(2), and its serial-port discovery and gpio-sim
// harness are Linux's. Build it with GOOS=linux for any architecture.
package main

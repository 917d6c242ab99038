// Package conformance judges a companion MCU's firmware against
// rig/proto/PROTOCOL.md from the host side, through its serial port: the
// identify answer, every command and every refusal with its code, the
// frame limits, pulse trains (every edge reported promptly), probes (ok,
// timeout, cancelled), report streaming, sessions, duplicates and
// retransmission, and noise on the line — random bursts up to 64 KiB,
// truncated, corrupted and oversized frames — each followed by a command
// that must run exactly once.
//
// It speaks the protocol itself, frame by frame, rather than through the
// reference host client (rig/mcu), so that it judges the MCU and not the
// client's tolerance. `gpiohil mcu conformance` runs it (Run); `go test`
// runs it against the virtual MCU. Specs that need two MCU pins wired
// together (edges and answered probes) are skipped, saying so, unless
// Options.Jumper names them.
package conformance

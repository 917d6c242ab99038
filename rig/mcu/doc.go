// Package mcu is the host's client of the companion MCU, on
// go.bug.st/serial: it opens the board by tty path or by USB VID/PID/serial
// number, checks the protocol version with an identify handshake, and
// offers typed commands (set pin, read pins, pulse, arm, probe, clock)
// that take a context and retransmit on timeout. Edge reports arrive on
// subscriptions with drop counters; AlignClock estimates the MCU clock's
// offset and drift from minimum-RTT pings.
//
// The serial library cannot tell a dead peer from a quiet one (a read
// with a timeout returns nothing either way), so the client keeps its own
// liveness rule: it never reads without a timeout, pings when the line is
// idle, and declares the link lost (ErrDisconnected) when no frame has
// arrived for Options.LinkTimeout — every waiting call then returns at once.
//
// Files: client.go (opening and the handshake), transport.go (reader,
// watchdog, routing of answers and reports, retransmission), commands.go
// (the typed commands), subscribe.go (edge subscriptions), usb.go (USB
// identities and port discovery), clock.go (clock alignment).
package mcu

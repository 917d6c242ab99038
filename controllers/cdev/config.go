package cdev

// DefaultEventBuffer is the kernel event buffer asked for each interrupt
// line: the kernel's maximum (16 × 64 lines). Its default, 16 per line,
// overflows in a burst while one dispatch is running; 1024 events cost
// 48 KiB of kernel memory and absorb about a third of a second of edges at
// the rate the QEMU guest sustains.
const DefaultEventBuffer = 1024

// Config selects a chip.
type Config struct {
	// Chip is a path (/dev/gpiochip0), a chip name (gpiochip0) or a chip
	// label (pinctrl-rp1, gpio-sim.0-node0).
	Chip string
	// Consumer labels the lines this process requests; default "gpiohil".
	Consumer string
	// EventBuffer is the kernel's event buffer per interrupt line; 0 means
	// DefaultEventBuffer.
	EventBuffer int
	// OnError receives errors found outside any call (lost events); it
	// must not block. Errors are counted in Stats either way.
	OnError func(error)
}

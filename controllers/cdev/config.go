package cdev

import "time"

// Config selects a chip.
type Config struct {
	// Chip is a path (/dev/gpiochip0), a chip name (gpiochip0) or a chip
	// label (pinctrl-rp1, gpio-sim.0-node0).
	Chip string
	// Consumer labels the lines this process requests; default "gpiohil".
	Consumer string
	// EventBuffer is the kernel's event buffer per interrupt line; 0 means
	// 64 (the kernel's default is 16 per line, which a burst overflows).
	EventBuffer int
	// OnError receives errors found outside any call (lost events); it
	// must not block. Errors are counted in Stats either way.
	OnError func(error)
	// Settle, when non-zero, is how long Close waits at most for event
	// goroutines to finish.
	Settle time.Duration
}

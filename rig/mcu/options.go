package mcu

import "time"

// Options tune a Client. The zero value is ready to use.
type Options struct {
	Baud        int           // 0 means 115200 (USB CDC ignores it)
	RTO         time.Duration // wait before retransmitting a command; 0 means 100ms
	Retries     int           // retransmissions before giving up; 0 means 3
	LinkTimeout time.Duration // silence after which the link is lost; 0 means 800ms
	// MinClockRate is the slowest the MCU's clock may run against real
	// time; 0 means 1 (a board's crystal). Waits for work the MCU times —
	// pulse trains, probe timeouts — are stretched by its inverse. An
	// emulated MCU, whose time runs slower than real time, sets it.
	MinClockRate float64
}

// mcuTimed is how long to wait, in real time, for d of the MCU's time.
func (o *Options) mcuTimed(d time.Duration) time.Duration {
	return time.Duration(float64(d) / o.MinClockRate)
}

func (o *Options) defaults() {
	if o.Baud == 0 {
		o.Baud = 115200
	}
	if o.RTO == 0 {
		o.RTO = 100 * time.Millisecond
	}
	if o.Retries == 0 {
		o.Retries = 3
	}
	if o.LinkTimeout == 0 {
		o.LinkTimeout = 800 * time.Millisecond
	}
	if o.MinClockRate <= 0 || o.MinClockRate > 1 {
		o.MinClockRate = 1
	}
}

// readTimeout bounds every serial read, so the reader never blocks forever.
const readTimeout = 20 * time.Millisecond

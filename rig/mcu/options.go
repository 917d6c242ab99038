package mcu

import "time"

// Options tune a Client. The zero value is ready to use.
type Options struct {
	Baud        int           // 0 means 115200 (USB CDC ignores it)
	RTO         time.Duration // wait before retransmitting a command; 0 means 100ms
	Retries     int           // retransmissions before giving up; 0 means 3
	LinkTimeout time.Duration // silence after which the link is lost; 0 means 800ms
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
}

// readTimeout bounds every serial read, so the reader never blocks forever.
const readTimeout = 20 * time.Millisecond

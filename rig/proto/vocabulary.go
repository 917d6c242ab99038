package proto

import "strconv"

// Drive is what SetPin puts on a pin. The zero value releases it.
type Drive uint8

// Drives, as encoded in SetPin.
const (
	DriveHiZ  Drive = 0 // released: the pin is an input, with its pull
	DriveLow  Drive = 1
	DriveHigh Drive = 2
)

// DriveLevel is the drive that puts level (true = high) on a pin.
func DriveLevel(high bool) Drive {
	if high {
		return DriveHigh
	}
	return DriveLow
}

// String names the value.
func (d Drive) String() string { return enumName(d, "Drive", "hi-z", "low", "high") }

// Pull is a released pin's pull. The zero value is none.
type Pull uint8

// Pulls, as encoded in SetPin.
const (
	PullNone Pull = 0
	PullUp   Pull = 1
	PullDown Pull = 2
)

// String names the value.
func (p Pull) String() string { return enumName(p, "Pull", "none", "up", "down") }

// Edges selects the edges Arm reports and a probe waits for. Zero is no
// edge (invalid in Arm and Probe).
type Edges uint8

// Edges, as encoded in Arm and Probe.
const (
	EdgeRising  Edges = 1
	EdgeFalling Edges = 2
	EdgeBoth    Edges = 3
)

// Matches reports whether an edge to level (true = high) is one of e.
func (e Edges) Matches(high bool) bool {
	return e == EdgeBoth || e == EdgeRising && high || e == EdgeFalling && !high
}

// String names the value.
func (e Edges) String() string { return enumName(e, "Edges", "none", "rising", "falling", "both") }

// Caps are the capability bits of Identify.Caps.
type Caps uint16

// Capability bits.
const (
	CapHiZ          Caps = 1 << 0 // SetPin can release a pin
	CapPullUp       Caps = 1 << 1
	CapPullDown     Caps = 1 << 2
	CapScheduledOut Caps = 1 << 3 // a probe's At is honoured exactly
	CapPulse        Caps = 1 << 4
	CapProbe        Caps = 1 << 5
	CapTrain        Caps = 1 << 6 // Train and StopTrain
)

var capNames = [...]string{"hi-z", "pull-up", "pull-down", "scheduled-output", "pulse-trains", "probes", "probe-trains"}

// Has reports whether every bit of want is set.
func (c Caps) Has(want Caps) bool { return c&want == want }

// String lists the capabilities by name, comma-separated ("none" when
// empty); unknown bits are shown as bitN.
func (c Caps) String() string {
	s := ""
	for i := 0; i < 16; i++ {
		if c&(1<<i) == 0 {
			continue
		}
		if s != "" {
			s += ", "
		}
		if i < len(capNames) {
			s += capNames[i]
		} else {
			s += "bit" + strconv.Itoa(i)
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

// enumName names value v from names, in value order from zero, or
// writes Type(v) for a value without one.
func enumName[T ~uint8](v T, typ string, names ...string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return typ + "(" + strconv.Itoa(int(v)) + ")"
}

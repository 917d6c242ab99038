package proto

// Message types. Commands go host→MCU; each is answered by a response with
// the command's sequence number. Reports go MCU→host unasked and carry a
// 32-bit report sequence.
const (
	// Commands.
	TypeIdentify  byte = 0x01
	TypePing      byte = 0x02
	TypeSetPin    byte = 0x03
	TypeReadPins  byte = 0x04
	TypePulse     byte = 0x05
	TypeArm       byte = 0x06
	TypeDisarm    byte = 0x07
	TypeProbe     byte = 0x08
	TypeReadClock byte = 0x09
	TypeReset     byte = 0x0a
	TypeSync      byte = 0x0b
	TypeTrain     byte = 0x0c
	TypeStopTrain byte = 0x0d

	// Responses.
	TypeAck          byte = 0x40
	TypeIdentifyResp byte = 0x41
	TypePong         byte = 0x42
	TypePins         byte = 0x44
	TypeClock        byte = 0x49
	TypeSynced       byte = 0x4b
	TypeNak          byte = 0x5f

	// Reports.
	TypeEdge        byte = 0x60
	TypeProbeResult byte = 0x61
	TypePulseDone   byte = 0x62
	TypeProbeBatch  byte = 0x63
	TypeTrainDone   byte = 0x64
)

var typeNames = map[byte]string{
	TypeIdentify: "identify", TypePing: "ping", TypeSetPin: "set-pin", TypeReadPins: "read-pins", TypePulse: "pulse",
	TypeArm: "arm", TypeDisarm: "disarm", TypeProbe: "probe", TypeReadClock: "read-clock", TypeReset: "reset",
	TypeSync: "sync", TypeAck: "ack", TypeIdentifyResp: "identify-resp", TypePong: "pong", TypePins: "pins",
	TypeClock: "clock", TypeSynced: "synced", TypeNak: "nak", TypeEdge: "edge", TypeProbeResult: "probe-result",
	TypePulseDone: "pulse-done", TypeTrain: "train", TypeStopTrain: "stop-train", TypeProbeBatch: "probe-batch",
	TypeTrainDone: "train-done",
}

// TypeName names a message type, or returns "" for a type the protocol
// does not define.
func TypeName(t byte) string { return typeNames[t] }

// IsCommand reports whether t is a host→MCU command.
func IsCommand(t byte) bool { return t >= 0x01 && t < 0x40 }

// IsResponse reports whether t answers a command.
func IsResponse(t byte) bool { return t >= 0x40 && t < 0x60 }

// IsReport reports whether t is an unasked MCU→host report.
func IsReport(t byte) bool { return t >= 0x60 && t < 0x80 }

// NAK codes.
const (
	NakUnknown      byte = 1 // unknown command type
	NakBadLength    byte = 2 // payload length wrong for the command
	NakBadPin       byte = 3 // pin outside the MCU's pins
	NakBusy         byte = 4 // no free probe or pulse slot
	NakBadArgument  byte = 5 // an argument out of range
	NakNotSupported byte = 6 // the MCU lacks the capability
	NakVersion      byte = 7 // the frame was of another protocol version (the Nak is in the MCU's)
	NakNoSession    byte = 8 // a command before the first Sync
)

var nakNames = [...]string{"", "unknown command", "bad length", "bad pin", "busy", "bad argument", "not supported",
	"protocol version", "no session"}

// NakName names a NAK code.
func NakName(code byte) string {
	if int(code) < len(nakNames) && code != 0 {
		return nakNames[code]
	}
	return "nak?"
}

// Probe result status.
const (
	ProbeOK        byte = 0
	ProbeTimeout   byte = 1
	ProbeCancelled byte = 2
)

// TrainDone status.
const (
	TrainFinished  byte = 0 // every probe ran
	TrainCancelled byte = 1 // StopTrain, Reset, or SetPin, Pulse or Probe on one of its pins ended it
)

// PulseDone status.
const (
	PulseFinished  byte = 0 // every pulse was driven
	PulseCancelled byte = 1 // SetPin, a new Pulse on the pin, a probe on it, or Reset ended the train
)

// MaxPins is the most pins the protocol addresses (pin masks are 64-bit).
const MaxPins = 64

// MaxNameLen is the longest board name in Identify.
const MaxNameLen = 16

func put16(b []byte, v uint16) []byte { return append(b, byte(v), byte(v>>8)) }
func put32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}
func put64(b []byte, v uint64) []byte { return put32(put32(b, uint32(v)), uint32(v>>32)) }
func get16(p []byte) uint16           { return uint16(p[0]) | uint16(p[1])<<8 }
func get32(p []byte) uint32 {
	return uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16 | uint32(p[3])<<24
}
func get64(p []byte) uint64 { return uint64(get32(p)) | uint64(get32(p[4:]))<<32 }

// Identify is the MCU's description of itself.
type Identify struct {
	Protocol                  uint8
	FwMajor, FwMinor, FwPatch uint8
	TickHz                    uint32
	Pins                      uint8
	Caps                      Caps
	Name                      [MaxNameLen]byte
	NameLen                   uint8
}

// SetName stores a board name (UTF-8), truncated to MaxNameLen bytes at
// a character boundary.
func (m *Identify) SetName(s string) {
	n := len(s)
	if n > MaxNameLen {
		n = MaxNameLen
		for n > 0 && s[n]&0xc0 == 0x80 { // s[n] continues the character cut
			n--
		}
	}
	m.NameLen = uint8(copy(m.Name[:], s[:n]))
}

// BoardName returns the board name.
func (m *Identify) BoardName() string { return string(m.Name[:m.NameLen]) }

// Append appends the payload.
func (m *Identify) Append(b []byte) []byte {
	b = append(b, m.Protocol, m.FwMajor, m.FwMinor, m.FwPatch)
	b = put32(b, m.TickHz)
	b = append(b, m.Pins)
	b = put16(b, uint16(m.Caps))
	b = append(b, m.NameLen)
	return append(b, m.Name[:m.NameLen]...)
}

// Decode parses the payload.
func (m *Identify) Decode(p []byte) bool {
	if len(p) < 11 {
		return false
	}
	m.Protocol, m.FwMajor, m.FwMinor, m.FwPatch = p[0], p[1], p[2], p[3]
	m.TickHz = get32(p[4:])
	m.Pins = p[8]
	m.Caps = Caps(get16(p[9:]))
	if len(p) < 12 {
		return false
	}
	n := int(p[11])
	if n > MaxNameLen || len(p) != 12+n {
		return false
	}
	m.NameLen = uint8(copy(m.Name[:], p[12:12+n]))
	return true
}

// Ping carries a host token; Pong echoes it with the MCU's tick.
type Ping struct{ Token uint32 }

// Append appends the payload.
func (m *Ping) Append(b []byte) []byte { return put32(b, m.Token) }

// Decode parses the payload.
func (m *Ping) Decode(p []byte) bool {
	if len(p) != 4 {
		return false
	}
	m.Token = get32(p)
	return true
}

// Pong answers Ping.
type Pong struct {
	Token uint32
	Tick  uint64
}

// Append appends the payload.
func (m *Pong) Append(b []byte) []byte { return put64(put32(b, m.Token), m.Tick) }

// Decode parses the payload.
func (m *Pong) Decode(p []byte) bool {
	if len(p) != 12 {
		return false
	}
	m.Token, m.Tick = get32(p), get64(p[4:])
	return true
}

// SetPin drives a pin low or high or releases it (hi-z), with a pull.
type SetPin struct {
	Pin   uint8
	Drive Drive
	Pull  Pull
}

// Append appends the payload.
func (m *SetPin) Append(b []byte) []byte { return append(b, m.Pin, byte(m.Drive), byte(m.Pull)) }

// Decode parses the payload.
func (m *SetPin) Decode(p []byte) bool {
	if len(p) != 3 {
		return false
	}
	m.Pin, m.Drive, m.Pull = p[0], Drive(p[1]), Pull(p[2])
	return true
}

// Pins answers ReadPins: bit n is the level of pin n.
type Pins struct{ Levels uint64 }

// Append appends the payload.
func (m *Pins) Append(b []byte) []byte { return put64(b, m.Levels) }

// Decode parses the payload.
func (m *Pins) Decode(p []byte) bool {
	if len(p) != 8 {
		return false
	}
	m.Levels = get64(p)
	return true
}

// Pulse drives Count pulses at level Active, each Width ticks long, one
// every Period ticks, starting now; the pin returns to the other level
// between pulses and after. Period 0 means Width*2.
type Pulse struct {
	Pin, Active   uint8
	Width, Period uint32
	Count         uint16
}

// Append appends the payload.
func (m *Pulse) Append(b []byte) []byte {
	b = append(b, m.Pin, m.Active)
	return put16(put32(put32(b, m.Width), m.Period), m.Count)
}

// Decode parses the payload.
func (m *Pulse) Decode(p []byte) bool {
	if len(p) != 12 {
		return false
	}
	m.Pin, m.Active = p[0], p[1]
	m.Width, m.Period, m.Count = get32(p[2:]), get32(p[6:]), get16(p[10:])
	return true
}

// Arm enables edge capture (Edge reports) on the pins of Mask; Disarm
// (same payload, Edges ignored) disables it.
type Arm struct {
	Mask  uint64
	Edges Edges
}

// Append appends the payload.
func (m *Arm) Append(b []byte) []byte { return append(put64(b, m.Mask), byte(m.Edges)) }

// Decode parses the payload.
func (m *Arm) Decode(p []byte) bool {
	if len(p) != 9 {
		return false
	}
	m.Mask, m.Edges = get64(p), Edges(p[8])
	return true
}

// Probe drives Stim to StimLevel at tick At (0: now) and waits up to
// Timeout ticks for the first AckEdge on Ack. Acked at once; the outcome
// follows as a ProbeResult report carrying the command's sequence.
type Probe struct {
	Stim, StimLevel, Ack uint8
	AckEdge              Edges
	At                   uint64
	Timeout              uint32
}

// Append appends the payload.
func (m *Probe) Append(b []byte) []byte {
	b = append(b, m.Stim, m.StimLevel, m.Ack, byte(m.AckEdge))
	return put32(put64(b, m.At), m.Timeout)
}

// Decode parses the payload.
func (m *Probe) Decode(p []byte) bool {
	if len(p) != 16 {
		return false
	}
	m.Stim, m.StimLevel, m.Ack, m.AckEdge = p[0], p[1], p[2], Edges(p[3])
	m.At, m.Timeout = get64(p[4:]), get32(p[12:])
	return true
}

// Clock answers ReadClock.
type Clock struct{ Tick uint64 }

// Append appends the payload.
func (m *Clock) Append(b []byte) []byte { return put64(b, m.Tick) }

// Decode parses the payload.
func (m *Clock) Decode(p []byte) bool {
	if len(p) != 8 {
		return false
	}
	m.Tick = get64(p)
	return true
}

// Nak refuses a command.
type Nak struct{ Code uint8 }

// Append appends the payload.
func (m *Nak) Append(b []byte) []byte { return append(b, m.Code) }

// Decode parses the payload.
func (m *Nak) Decode(p []byte) bool {
	if len(p) != 1 {
		return false
	}
	m.Code = p[0]
	return true
}

// Edge reports a captured edge. Overflows is the running count of edges
// the MCU dropped because its capture ring was full.
type Edge struct {
	Seq       uint32
	Tick      uint64
	Pin       uint8
	Level     uint8
	Overflows uint32
}

// Append appends the payload.
func (m *Edge) Append(b []byte) []byte {
	b = put64(put32(b, m.Seq), m.Tick)
	return put32(append(b, m.Pin, m.Level), m.Overflows)
}

// Decode parses the payload.
func (m *Edge) Decode(p []byte) bool {
	if len(p) != 18 {
		return false
	}
	m.Seq, m.Tick, m.Pin, m.Level, m.Overflows = get32(p), get64(p[4:]), p[12], p[13], get32(p[14:])
	return true
}

// ProbeResult reports a probe's outcome: T0 when the stimulus was driven,
// T1 when the ack edge was captured (valid with ProbeOK).
type ProbeResult struct {
	Seq    uint32
	CmdSeq uint8
	Status uint8
	T0, T1 uint64
}

// Append appends the payload.
func (m *ProbeResult) Append(b []byte) []byte {
	b = append(put32(b, m.Seq), m.CmdSeq, m.Status)
	return put64(put64(b, m.T0), m.T1)
}

// Decode parses the payload.
func (m *ProbeResult) Decode(p []byte) bool {
	if len(p) != 22 {
		return false
	}
	m.Seq, m.CmdSeq, m.Status, m.T0, m.T1 = get32(p), p[4], p[5], get64(p[6:]), get64(p[14:])
	return true
}

// PulseDone reports the end of a pulse train, finished or cancelled;
// CmdSeq is the sequence number of the Pulse command that started it.
type PulseDone struct {
	Seq    uint32
	CmdSeq uint8
	Pin    uint8
	Status uint8
	Tick   uint64
}

// Append appends the payload.
func (m *PulseDone) Append(b []byte) []byte {
	return put64(append(put32(b, m.Seq), m.CmdSeq, m.Pin, m.Status), m.Tick)
}

// Decode parses the payload.
func (m *PulseDone) Decode(p []byte) bool {
	if len(p) != 15 {
		return false
	}
	m.Seq, m.CmdSeq, m.Pin, m.Status, m.Tick = get32(p), p[4], p[5], p[6], get64(p[7:])
	return true
}

// Sync starts a session: Session is the host's random, non-zero session
// identifier; Synced echoes it.
type Sync struct{ Session uint32 }

// Append appends the payload.
func (m *Sync) Append(b []byte) []byte { return put32(b, m.Session) }

// Decode parses the payload.
func (m *Sync) Decode(p []byte) bool {
	if len(p) != 4 {
		return false
	}
	m.Session = get32(p)
	return true
}

// Train runs Count probes on one pair, one after another, on the MCU's
// own: probe k drives Stim to StimLevel (k even) or its opposite (k odd)
// and waits up to Timeout ticks for an AckEdge edge on Ack. The next
// probe starts Gap ticks after the answer (or the timeout), and, with a
// non-zero Period, not before Period ticks after the previous start.
// Results come back in ProbeBatch reports; a TrainDone report ends it.
type Train struct {
	Stim, StimLevel, Ack uint8
	AckEdge              Edges
	Count                uint32
	Period, Gap, Timeout uint32
}

// Append appends the payload.
func (m *Train) Append(b []byte) []byte {
	b = append(b, m.Stim, m.StimLevel, m.Ack, byte(m.AckEdge))
	return put32(put32(put32(put32(b, m.Count), m.Period), m.Gap), m.Timeout)
}

// Decode parses the payload.
func (m *Train) Decode(p []byte) bool {
	if len(p) != 20 {
		return false
	}
	m.Stim, m.StimLevel, m.Ack, m.AckEdge = p[0], p[1], p[2], Edges(p[3])
	m.Count, m.Period, m.Gap, m.Timeout = get32(p[4:]), get32(p[8:]), get32(p[12:]), get32(p[16:])
	return true
}

// BatchLen is the most probes one ProbeBatch carries.
const BatchLen = (MaxPayload - batchHeader) / batchEntry

const (
	batchHeader = 17 // seq, cmd_seq, index, t0
	batchEntry  = 8  // dt0, latency
)

// NoAck is a BatchEntry's Latency for a probe that timed out.
const NoAck = 0xffffffff

// BatchEntry is one probe of a ProbeBatch: its t0 relative to the batch's
// T0, and t1 − t0 (NoAck: no answer within the timeout).
type BatchEntry struct {
	DT0     uint32
	Latency uint32
}

// ProbeBatch reports consecutive probes of a train: N entries, the first
// being the train's probe Index, whose t0 is T0.
type ProbeBatch struct {
	Seq     uint32
	CmdSeq  uint8
	Index   uint32
	T0      uint64
	N       int
	Entries [BatchLen]BatchEntry
}

// Append appends the payload.
func (m *ProbeBatch) Append(b []byte) []byte {
	b = put64(put32(append(put32(b, m.Seq), m.CmdSeq), m.Index), m.T0)
	for _, e := range m.Entries[:m.N] {
		b = put32(put32(b, e.DT0), e.Latency)
	}
	return b
}

// Decode parses the payload.
func (m *ProbeBatch) Decode(p []byte) bool {
	n := (len(p) - batchHeader) / batchEntry
	if len(p) < batchHeader+batchEntry || n > BatchLen || len(p) != batchHeader+n*batchEntry {
		return false
	}
	m.Seq, m.CmdSeq, m.Index, m.T0, m.N = get32(p), p[4], get32(p[5:]), get64(p[9:]), n
	for k := range n {
		q := p[batchHeader+k*batchEntry:]
		m.Entries[k] = BatchEntry{DT0: get32(q), Latency: get32(q[4:])}
	}
	return true
}

// TrainDone reports the end of a train: Count probes ran (all reported
// in ProbeBatch reports before this one), finished or cancelled.
type TrainDone struct {
	Seq    uint32
	CmdSeq uint8
	Status uint8
	Count  uint32
}

// Append appends the payload.
func (m *TrainDone) Append(b []byte) []byte {
	return put32(append(put32(b, m.Seq), m.CmdSeq, m.Status), m.Count)
}

// Decode parses the payload.
func (m *TrainDone) Decode(p []byte) bool {
	if len(p) != 10 {
		return false
	}
	m.Seq, m.CmdSeq, m.Status, m.Count = get32(p), p[4], p[5], get32(p[6:])
	return true
}

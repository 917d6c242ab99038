package firmware

import "github.com/gpiohil/gpiohil/rig/proto"

// Firmware version reported in Identify.
const (
	FwMajor = 0
	FwMinor = 2
	FwPatch = 0
)

// Slot counts: probes and pulse trains that can run at once.
const (
	MaxProbes = 4
	MaxPulses = 8
)

// Config describes the board to the core.
type Config struct {
	Name string // board name in Identify, at most proto.MaxNameLen bytes
	Pins int    // 1..proto.MaxPins
	// Caps are the capability bits beyond what the core provides itself
	// (pulses and probes): hi-z, pulls, scheduled output.
	Caps proto.Caps
}

type probe struct {
	active    bool
	started   bool
	cmdSeq    uint8
	stim, ack uint8
	stimLevel uint8
	ackEdge   proto.Edges
	at        uint64
	t0        uint64
	timeout   uint64
}

type pulse struct {
	active    bool
	cmdSeq    uint8
	pin       uint8
	level     uint8 // active level
	on        bool  // currently at the active level
	width     uint64
	period    uint64
	remaining uint16
	start     uint64 // when the current pulse began
	next      uint64
}

// Core is the firmware core. All methods but the edge callback run in the
// main loop.
type Core struct {
	hal   HAL
	sched ScheduledOutput
	id    proto.Identify

	ring Ring
	dec  proto.Decoder
	rx   [64]byte
	pay  [proto.MaxPayload]byte
	tx   [proto.MaxEncoded]byte

	userArmed  uint64
	userEdges  [proto.MaxPins]proto.Edges
	probeArmed [proto.MaxPins]uint8 // probes waiting on each pin

	probes [MaxProbes]probe
	pulses [MaxPulses]pulse

	reportSeq uint32

	// The session: none until the host's first Sync. The last command
	// executed (its whole frame) and the response sent, for duplicate
	// detection: a command equal to lastCmd is a retransmission.
	session   uint32
	lastCmd   [2 + proto.MaxPayload]byte // type, sequence, payload
	lastCmdN  int
	lastResp  [proto.MaxEncoded]byte
	lastLen   int
	cur       proto.Frame // the command being executed
	storeResp bool        // cur is remembered: remember its response too
}

// New returns a core driving hal. It installs the edge handler and puts
// every pin in the safe state (hi-z, no pull).
func New(hal HAL, cfg Config) *Core {
	pins := cfg.Pins
	if pins < 1 || pins > proto.MaxPins {
		pins = proto.MaxPins
	}
	c := &Core{hal: hal}
	c.sched, _ = hal.(ScheduledOutput)
	c.id = proto.Identify{Protocol: proto.Version, FwMajor: FwMajor, FwMinor: FwMinor, FwPatch: FwPatch,
		TickHz: hal.TickHz(), Pins: uint8(pins), Caps: cfg.Caps | proto.CapPulse | proto.CapProbe}
	if c.sched != nil {
		c.id.Caps |= proto.CapScheduledOut
	}
	c.id.SetName(cfg.Name)
	hal.SetEdgeHandler(c.onEdge)
	c.reset(false)
	return c
}

// Identify returns what the core answers to Identify.
func (c *Core) Identify() proto.Identify { return c.id }

// Ring returns the edge ring (for tests and statistics).
func (c *Core) Ring() *Ring { return &c.ring }

// DecoderStats returns the frame decoder's counters.
func (c *Core) DecoderStats() proto.Stats { return c.dec.Stats }

// onEdge is the interrupt-context edge callback: it only pushes.
func (c *Core) onEdge(pin int, level bool, tick uint64) {
	var l uint8
	if level {
		l = 1
	}
	c.ring.Push(Event{Tick: tick, Pin: uint8(pin), Level: l})
}

// reset puts every pin in the safe state (hi-z, no pull), disarms every
// capture and ends every probe and pulse train; with report, each one
// ended is reported as cancelled.
func (c *Core) reset(report bool) {
	for i := range c.probes {
		if c.probes[i].active && report {
			c.finishProbe(&c.probes[i], proto.ProbeCancelled, 0)
		}
	}
	for i := range c.pulses {
		if c.pulses[i].active && report {
			c.endPulse(&c.pulses[i], proto.PulseCancelled, c.hal.Ticks())
		}
	}
	for p := 0; p < int(c.id.Pins); p++ {
		c.hal.ArmEdges(p, false)
		c.hal.SetPin(p, proto.DriveHiZ, proto.PullNone)
		c.userEdges[p] = 0
		c.probeArmed[p] = 0
	}
	c.userArmed = 0
	c.probes = [MaxProbes]probe{}
	c.pulses = [MaxPulses]pulse{}
	for {
		if _, ok := c.ring.Pop(); !ok {
			break
		}
	}
}

// Poll runs one step of the main loop: it reads and executes commands,
// turns captured edges into reports and probe results, and advances probes
// and pulse trains. It returns the tick of the next scheduled action, or 0
// when nothing is scheduled (a board may sleep until then or until a byte
// or an edge arrives).
func (c *Core) Poll() uint64 {
	for i := 0; i < 8; i++ {
		n := c.hal.ReadSerial(c.rx[:])
		if n == 0 {
			break
		}
		for _, b := range c.rx[:n] {
			switch f, r := c.dec.Push(b); r {
			case proto.Complete:
				c.command(f)
			case proto.BadVersion:
				// A host of another version learns ours from the Nak's
				// version byte.
				if proto.IsCommand(f.Type) {
					m := proto.Nak{Code: proto.NakVersion}
					c.send(proto.TypeNak, f.Seq, m.Append(c.pay[:0]))
				}
			}
		}
	}
	c.drainEdges()
	next := c.timers(c.hal.Ticks())
	// Timers drive pins (pulse trains, probes): edges they caused on
	// armed pins are reported in this step, not held until the next wake.
	c.drainEdges()
	return next
}

// drainEdges turns every captured edge queued so far into reports and
// probe results.
func (c *Core) drainEdges() {
	for {
		e, ok := c.ring.Pop()
		if !ok {
			return
		}
		c.edge(e)
	}
}

// edge handles one captured edge.
func (c *Core) edge(e Event) {
	if int(e.Pin) >= int(c.id.Pins) {
		return
	}
	if c.probeArmed[e.Pin] > 0 {
		for i := range c.probes {
			p := &c.probes[i]
			if p.active && p.started && p.ack == e.Pin && e.Tick >= p.t0 && p.ackEdge.Matches(e.Level != 0) {
				c.finishProbe(p, proto.ProbeOK, e.Tick)
			}
		}
	}
	if c.userArmed&(1<<e.Pin) != 0 && c.userEdges[e.Pin].Matches(e.Level != 0) {
		m := proto.Edge{Seq: c.nextReport(), Tick: e.Tick, Pin: e.Pin, Level: e.Level, Overflows: c.ring.Overflows()}
		c.send(proto.TypeEdge, uint8(m.Seq), m.Append(c.pay[:0]))
	}
}

// timers advances probes and pulses; it returns the next deadline or 0.
func (c *Core) timers(now uint64) uint64 {
	var next uint64
	soon := func(t uint64) {
		if next == 0 || t < next {
			next = t
		}
	}
	for i := range c.probes {
		p := &c.probes[i]
		if !p.active {
			continue
		}
		if !p.started {
			if now < p.at {
				soon(p.at)
				continue
			}
			c.startProbe(p, now)
		}
		if deadline := p.t0 + p.timeout; now >= deadline {
			// Edges captured before the deadline may still be queued.
			c.drainEdges()
			if p.active {
				c.finishProbe(p, proto.ProbeTimeout, 0)
			}
		} else {
			soon(deadline)
		}
	}
	for i := range c.pulses {
		q := &c.pulses[i]
		// One step per Poll, timed from when the pin actually changed: a
		// late main loop stretches a pulse or a gap, never shortens it.
		if q.active && now >= q.next {
			if q.on {
				c.hal.SetPin(int(q.pin), drive(1-q.level), proto.PullNone)
				q.on = false
				q.remaining--
				if q.remaining == 0 {
					c.endPulse(q, proto.PulseFinished, c.hal.Ticks()) // after the last level was driven
				} else {
					q.next = q.start + q.period
					if gap := now + q.period - q.width; q.next < gap {
						q.next = gap
					}
				}
			} else {
				c.hal.SetPin(int(q.pin), drive(q.level), proto.PullNone)
				q.on = true
				q.start = now
				q.next = now + q.width
			}
		}
		if q.active {
			soon(q.next)
		}
	}
	return next
}

func drive(level uint8) proto.Drive { return proto.DriveLevel(level != 0) }

// endPulse ends a train and reports it, finished or cancelled.
func (c *Core) endPulse(q *pulse, status uint8, now uint64) {
	q.active = false
	m := proto.PulseDone{Seq: c.nextReport(), CmdSeq: q.cmdSeq, Pin: q.pin, Status: status, Tick: now}
	c.send(proto.TypePulseDone, uint8(m.Seq), m.Append(c.pay[:0]))
}

// nextReport returns the next report sequence number.
func (c *Core) nextReport() uint32 {
	c.reportSeq++
	return c.reportSeq
}

func (c *Core) startProbe(p *probe, now uint64) {
	p.started = true
	if c.sched != nil && p.at != 0 && p.at > now {
		c.sched.SetPinAt(int(p.stim), drive(p.stimLevel), p.at)
		p.t0 = p.at
		return
	}
	p.t0 = c.hal.Ticks()
	c.hal.SetPin(int(p.stim), drive(p.stimLevel), proto.PullNone)
}

func (c *Core) finishProbe(p *probe, status uint8, t1 uint64) {
	p.active = false
	c.probeArmed[p.ack]--
	if c.probeArmed[p.ack] == 0 && c.userArmed&(1<<p.ack) == 0 {
		c.hal.ArmEdges(int(p.ack), false)
	}
	m := proto.ProbeResult{Seq: c.nextReport(), CmdSeq: p.cmdSeq, Status: status, T0: p.t0, T1: t1}
	c.send(proto.TypeProbeResult, uint8(m.Seq), m.Append(c.pay[:0]))
}

// send frames and writes a message.
func (c *Core) send(typ, seq uint8, payload []byte) {
	c.hal.WriteSerial(proto.AppendFrame(c.tx[:0], typ, seq, payload))
}

// respond sends the response to the command being executed and, when
// that command was remembered, remembers the response with it.
func (c *Core) respond(typ uint8, payload []byte) {
	wire := proto.AppendFrame(c.tx[:0], typ, c.cur.Seq, payload)
	if c.storeResp {
		c.lastLen, c.storeResp = copy(c.lastResp[:], wire), false
	}
	c.hal.WriteSerial(wire)
}

func (c *Core) ack() { c.respond(proto.TypeAck, nil) }

func (c *Core) nak(code uint8) {
	m := proto.Nak{Code: code}
	c.respond(proto.TypeNak, m.Append(c.pay[:0]))
}

// remember records the whole command being executed (unless it is a
// heartbeat) so that a retransmission of it is answered, not executed.
func (c *Core) remember(f proto.Frame) {
	c.storeResp = f.Seq != 0
	if !c.storeResp {
		return
	}
	c.lastCmd[0], c.lastCmd[1] = f.Type, f.Seq
	c.lastCmdN = 2 + copy(c.lastCmd[2:], f.Payload)
	c.lastLen = 0
}

// duplicate reports whether f repeats the last command executed: the
// same type, sequence number and payload.
func (c *Core) duplicate(f proto.Frame) bool {
	if f.Seq == 0 || c.lastLen == 0 || c.lastCmdN != 2+len(f.Payload) || c.lastCmd[0] != f.Type || c.lastCmd[1] != f.Seq {
		return false
	}
	for i, b := range f.Payload {
		if c.lastCmd[2+i] != b {
			return false
		}
	}
	return true
}

func (c *Core) pinOK(p uint8) bool { return int(p) < int(c.id.Pins) }

// command executes a host command, or repeats the response to a
// retransmitted one.
func (c *Core) command(f proto.Frame) {
	if !proto.IsCommand(f.Type) {
		return // responses and reports are the host's to send, not ours
	}
	if c.duplicate(f) {
		c.hal.WriteSerial(c.lastResp[:c.lastLen])
		return
	}
	c.cur = f
	c.remember(f)
	want, known := payloadLen(f.Type)
	switch {
	case !known:
		c.nak(proto.NakUnknown)
	case f.Type == proto.TypeSync:
		c.sync(f)
	case c.session == 0:
		c.nak(proto.NakNoSession)
	case len(f.Payload) != want:
		c.nak(proto.NakBadLength)
	default:
		c.execute(f)
	}
}

// sync starts a session: everything of the previous one ends without
// reports, the duplicate memory is cleared, and the report sequence
// restarts (the next report is 1).
func (c *Core) sync(f proto.Frame) {
	var m proto.Sync
	switch {
	case !m.Decode(f.Payload):
		c.nak(proto.NakBadLength)
		return
	case m.Session == 0:
		c.nak(proto.NakBadArgument)
		return
	}
	c.reset(false)
	c.session, c.reportSeq = m.Session, 0
	c.lastCmdN, c.lastLen, c.storeResp = 0, 0, false // a new session remembers nothing
	c.respond(proto.TypeSynced, m.Append(c.pay[:0]))
}

// payloadLen is the exact payload length of a command type, when it has
// one (Identify, ReadPins, ReadClock and Reset carry none).
func payloadLen(typ uint8) (int, bool) {
	switch typ {
	case proto.TypeIdentify, proto.TypeReadPins, proto.TypeReadClock, proto.TypeReset:
		return 0, true
	case proto.TypePing, proto.TypeSync:
		return 4, true
	case proto.TypeSetPin:
		return 3, true
	case proto.TypePulse:
		return 12, true
	case proto.TypeArm, proto.TypeDisarm:
		return 9, true
	case proto.TypeProbe:
		return 16, true
	}
	return 0, false
}

// execute runs a command of the session whose length is right.
func (c *Core) execute(f proto.Frame) {
	switch f.Type {
	case proto.TypeIdentify:
		c.respond(proto.TypeIdentifyResp, c.id.Append(c.pay[:0]))
	case proto.TypePing:
		var m proto.Ping
		if !m.Decode(f.Payload) {
			c.nak(proto.NakBadLength)
			return
		}
		r := proto.Pong{Token: m.Token, Tick: c.hal.Ticks()}
		c.respond(proto.TypePong, r.Append(c.pay[:0]))
	case proto.TypeReadClock:
		r := proto.Clock{Tick: c.hal.Ticks()}
		c.respond(proto.TypeClock, r.Append(c.pay[:0]))
	case proto.TypeSetPin:
		var m proto.SetPin
		switch {
		case !m.Decode(f.Payload):
			c.nak(proto.NakBadLength)
		case !c.pinOK(m.Pin):
			c.nak(proto.NakBadPin)
		case m.Drive > proto.DriveHigh || m.Pull > proto.PullDown:
			c.nak(proto.NakBadArgument)
		case m.Drive == proto.DriveHiZ && !c.id.Caps.Has(proto.CapHiZ),
			m.Pull == proto.PullUp && !c.id.Caps.Has(proto.CapPullUp),
			m.Pull == proto.PullDown && !c.id.Caps.Has(proto.CapPullDown):
			c.nak(proto.NakNotSupported)
		default:
			c.cancelOn(m.Pin)
			c.hal.SetPin(int(m.Pin), m.Drive, m.Pull)
			c.ack()
		}
	case proto.TypeReadPins:
		var levels uint64
		for p := 0; p < int(c.id.Pins); p++ {
			if c.hal.ReadPin(p) {
				levels |= 1 << p
			}
		}
		r := proto.Pins{Levels: levels}
		c.respond(proto.TypePins, r.Append(c.pay[:0]))
	case proto.TypeArm, proto.TypeDisarm:
		var m proto.Arm
		switch {
		case !m.Decode(f.Payload):
			c.nak(proto.NakBadLength)
		case c.id.Pins < 64 && m.Mask>>c.id.Pins != 0:
			c.nak(proto.NakBadPin)
		case f.Type == proto.TypeArm && (m.Edges < proto.EdgeRising || m.Edges > proto.EdgeBoth):
			c.nak(proto.NakBadArgument)
		default:
			for p := 0; p < int(c.id.Pins); p++ {
				if m.Mask&(1<<p) == 0 {
					continue
				}
				if f.Type == proto.TypeArm {
					c.userArmed |= 1 << p
					c.userEdges[p] = m.Edges
					c.hal.ArmEdges(p, true)
				} else {
					c.userArmed &^= 1 << p
					if c.probeArmed[p] == 0 {
						c.hal.ArmEdges(p, false)
					}
				}
			}
			c.ack()
		}
	case proto.TypePulse:
		var m proto.Pulse
		switch {
		case !m.Decode(f.Payload):
			c.nak(proto.NakBadLength)
		case !c.pinOK(m.Pin):
			c.nak(proto.NakBadPin)
		case m.Width == 0 || m.Count == 0 || m.Active > 1 || (m.Period != 0 && m.Period <= m.Width):
			c.nak(proto.NakBadArgument)
		default:
			slot := -1
			for i := range c.pulses {
				if q := &c.pulses[i]; !q.active || q.pin == m.Pin { // the pin's own train is replaced
					slot = i
					break
				}
			}
			if slot < 0 {
				c.nak(proto.NakBusy)
				return
			}
			c.cancelOn(m.Pin)
			period := uint64(m.Period)
			if period == 0 {
				period = 2 * uint64(m.Width)
			}
			c.pulses[slot] = pulse{active: true, cmdSeq: f.Seq, pin: m.Pin, level: m.Active, width: uint64(m.Width), period: period,
				remaining: m.Count, next: c.hal.Ticks()}
			c.ack()
		}
	case proto.TypeProbe:
		var m proto.Probe
		switch {
		case !m.Decode(f.Payload):
			c.nak(proto.NakBadLength)
		case !c.pinOK(m.Stim) || !c.pinOK(m.Ack):
			c.nak(proto.NakBadPin)
		case m.StimLevel > 1 || m.AckEdge < proto.EdgeRising || m.AckEdge > proto.EdgeBoth || m.Timeout == 0 || m.Stim == m.Ack:
			c.nak(proto.NakBadArgument)
		case m.At > c.hal.Ticks() && c.sched == nil:
			c.nak(proto.NakNotSupported) // a future stimulus needs scheduled output
		default:
			slot := -1
			for i := range c.probes {
				if !c.probes[i].active {
					slot = i
					break
				}
			}
			if slot < 0 {
				c.nak(proto.NakBusy)
				return
			}
			c.cancelPulsesOn(m.Stim)
			c.probes[slot] = probe{active: true, cmdSeq: f.Seq, stim: m.Stim, ack: m.Ack, stimLevel: m.StimLevel,
				ackEdge: m.AckEdge, at: m.At, timeout: uint64(m.Timeout)}
			c.probeArmed[m.Ack]++
			c.hal.ArmEdges(int(m.Ack), true) // before the stimulus: the answer can be fast
			c.ack()
			// Start now rather than on the next Poll, so t0 is as close to
			// the command as the board allows.
			c.startProbe(&c.probes[slot], c.hal.Ticks())
		}
	case proto.TypeReset:
		c.reset(true)
		c.ack()
	default:
		c.nak(proto.NakUnknown)
	}
}

// cancelOn ends, reporting them cancelled, the pulse train on pin and
// the probes that drive or watch it: a new command on a pin replaces
// whatever ran there.
func (c *Core) cancelOn(pin uint8) {
	c.cancelPulsesOn(pin)
	for i := range c.probes {
		if p := &c.probes[i]; p.active && (p.stim == pin || p.ack == pin) {
			c.finishProbe(p, proto.ProbeCancelled, 0)
		}
	}
}

// cancelPulsesOn ends the pulse train on pin, reporting it cancelled.
func (c *Core) cancelPulsesOn(pin uint8) {
	for i := range c.pulses {
		if q := &c.pulses[i]; q.active && q.pin == pin {
			c.endPulse(q, proto.PulseCancelled, c.hal.Ticks())
		}
	}
}

package firmware

import "github.com/gpiohil/gpiohil/rig/proto"

// Firmware version reported in Identify.
const (
	FwMajor = 0
	FwMinor = 1
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

	// the last command and its response, for duplicate detection
	lastSeq  uint8
	lastType uint8
	lastResp [proto.MaxEncoded]byte
	lastLen  int
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
	c.reset()
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

func (c *Core) reset() {
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
			if f, r := c.dec.Push(b); r == proto.Complete {
				c.command(f)
			}
		}
	}
	for {
		e, ok := c.ring.Pop()
		if !ok {
			break
		}
		c.edge(e)
	}
	return c.timers(c.hal.Ticks())
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
		c.reportSeq++
		m := proto.Edge{Seq: c.reportSeq, Tick: e.Tick, Pin: e.Pin, Level: e.Level, Overflows: c.ring.Overflows()}
		c.send(proto.TypeEdge, uint8(c.reportSeq), m.Append(c.pay[:0]))
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
			for {
				e, ok := c.ring.Pop()
				if !ok {
					break
				}
				c.edge(e)
			}
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
					q.active = false
					c.reportSeq++
					m := proto.PulseDone{Seq: c.reportSeq, Pin: q.pin, Tick: now}
					c.send(proto.TypePulseDone, uint8(c.reportSeq), m.Append(c.pay[:0]))
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
	c.reportSeq++
	m := proto.ProbeResult{Seq: c.reportSeq, CmdSeq: p.cmdSeq, Status: status, T0: p.t0, T1: t1}
	c.send(proto.TypeProbeResult, uint8(c.reportSeq), m.Append(c.pay[:0]))
}

// send frames and writes a message.
func (c *Core) send(typ, seq uint8, payload []byte) {
	c.hal.WriteSerial(proto.AppendFrame(c.tx[:0], typ, seq, payload))
}

// respond sends a response and remembers it for duplicate commands.
func (c *Core) respond(cmdType, seq, typ uint8, payload []byte) {
	wire := proto.AppendFrame(c.lastResp[:0], typ, seq, payload)
	c.lastSeq, c.lastType, c.lastLen = seq, cmdType, len(wire)
	c.hal.WriteSerial(wire)
}

func (c *Core) ack(f proto.Frame) { c.respond(f.Type, f.Seq, proto.TypeAck, nil) }

func (c *Core) nak(f proto.Frame, code uint8) {
	m := proto.Nak{Code: code}
	c.respond(f.Type, f.Seq, proto.TypeNak, m.Append(c.pay[:0]))
}

func (c *Core) pinOK(p uint8) bool { return int(p) < int(c.id.Pins) }

// command executes a host command, or repeats the response to a
// retransmitted one.
func (c *Core) command(f proto.Frame) {
	if !proto.IsCommand(f.Type) {
		return // responses and reports are the host's to send, not ours
	}
	if f.Seq != 0 && f.Seq == c.lastSeq && f.Type == c.lastType && c.lastLen > 0 {
		c.hal.WriteSerial(c.lastResp[:c.lastLen])
		return
	}
	switch f.Type {
	case proto.TypeIdentify:
		if len(f.Payload) != 0 {
			c.nak(f, proto.NakBadLength)
			return
		}
		c.respond(f.Type, f.Seq, proto.TypeIdentifyResp, c.id.Append(c.pay[:0]))
	case proto.TypePing:
		var m proto.Ping
		if !m.Decode(f.Payload) {
			c.nak(f, proto.NakBadLength)
			return
		}
		r := proto.Pong{Token: m.Token, Tick: c.hal.Ticks()}
		c.respond(f.Type, f.Seq, proto.TypePong, r.Append(c.pay[:0]))
	case proto.TypeReadClock:
		r := proto.Clock{Tick: c.hal.Ticks()}
		c.respond(f.Type, f.Seq, proto.TypeClock, r.Append(c.pay[:0]))
	case proto.TypeSetPin:
		var m proto.SetPin
		switch {
		case !m.Decode(f.Payload):
			c.nak(f, proto.NakBadLength)
		case !c.pinOK(m.Pin):
			c.nak(f, proto.NakBadPin)
		case m.Drive > proto.DriveHigh || m.Pull > proto.PullDown:
			c.nak(f, proto.NakBadArgument)
		case m.Drive == proto.DriveHiZ && c.id.Caps&proto.CapHiZ == 0,
			m.Pull == proto.PullUp && c.id.Caps&proto.CapPullUp == 0,
			m.Pull == proto.PullDown && c.id.Caps&proto.CapPullDown == 0:
			c.nak(f, proto.NakNotSupported)
		default:
			c.cancelPulses(m.Pin)
			c.hal.SetPin(int(m.Pin), m.Drive, m.Pull)
			c.ack(f)
		}
	case proto.TypeReadPins:
		var levels uint64
		for p := 0; p < int(c.id.Pins); p++ {
			if c.hal.ReadPin(p) {
				levels |= 1 << p
			}
		}
		r := proto.Pins{Levels: levels}
		c.respond(f.Type, f.Seq, proto.TypePins, r.Append(c.pay[:0]))
	case proto.TypeArm, proto.TypeDisarm:
		var m proto.Arm
		switch {
		case !m.Decode(f.Payload):
			c.nak(f, proto.NakBadLength)
		case c.id.Pins < 64 && m.Mask>>c.id.Pins != 0:
			c.nak(f, proto.NakBadPin)
		case f.Type == proto.TypeArm && (m.Edges < proto.EdgeRising || m.Edges > proto.EdgeBoth):
			c.nak(f, proto.NakBadArgument)
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
			c.ack(f)
		}
	case proto.TypePulse:
		var m proto.Pulse
		switch {
		case !m.Decode(f.Payload):
			c.nak(f, proto.NakBadLength)
		case !c.pinOK(m.Pin):
			c.nak(f, proto.NakBadPin)
		case m.Width == 0 || m.Count == 0 || m.Active > 1 || (m.Period != 0 && m.Period <= m.Width):
			c.nak(f, proto.NakBadArgument)
		default:
			c.cancelPulses(m.Pin)
			slot := -1
			for i := range c.pulses {
				if !c.pulses[i].active {
					slot = i
					break
				}
			}
			if slot < 0 {
				c.nak(f, proto.NakBusy)
				return
			}
			period := uint64(m.Period)
			if period == 0 {
				period = 2 * uint64(m.Width)
			}
			c.pulses[slot] = pulse{active: true, pin: m.Pin, level: m.Active, width: uint64(m.Width), period: period,
				remaining: m.Count, next: c.hal.Ticks()}
			c.ack(f)
		}
	case proto.TypeProbe:
		var m proto.Probe
		switch {
		case !m.Decode(f.Payload):
			c.nak(f, proto.NakBadLength)
		case !c.pinOK(m.Stim) || !c.pinOK(m.Ack):
			c.nak(f, proto.NakBadPin)
		case m.StimLevel > 1 || m.AckEdge < proto.EdgeRising || m.AckEdge > proto.EdgeBoth || m.Timeout == 0 || m.Stim == m.Ack:
			c.nak(f, proto.NakBadArgument)
		default:
			slot := -1
			for i := range c.probes {
				if !c.probes[i].active {
					slot = i
					break
				}
			}
			if slot < 0 {
				c.nak(f, proto.NakBusy)
				return
			}
			c.cancelPulses(m.Stim)
			c.probes[slot] = probe{active: true, cmdSeq: f.Seq, stim: m.Stim, ack: m.Ack, stimLevel: m.StimLevel,
				ackEdge: m.AckEdge, at: m.At, timeout: uint64(m.Timeout)}
			c.probeArmed[m.Ack]++
			c.hal.ArmEdges(int(m.Ack), true) // before the stimulus: the answer can be fast
			c.ack(f)
			// Start now rather than on the next Poll, so t0 is as close to
			// the command as the board allows.
			if m.At == 0 || m.At <= c.hal.Ticks() || c.sched != nil {
				c.startProbe(&c.probes[slot], c.hal.Ticks())
			}
		}
	case proto.TypeReset:
		c.reset()
		c.ack(f)
	default:
		c.nak(f, proto.NakUnknown)
	}
}

func (c *Core) cancelPulses(pin uint8) {
	for i := range c.pulses {
		if c.pulses[i].active && c.pulses[i].pin == pin {
			c.pulses[i].active = false
		}
	}
}

package firmware

import "github.com/gpiohil/gpiohil/rig/proto"

// Firmware version reported in Identify.
const (
	FwMajor = 0
	FwMinor = 3
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

// train is the running probe train, if any.
type train struct {
	active    bool
	cmdSeq    uint8
	stim, ack uint8
	level     uint8 // the next probe's stimulus level
	ackEdge   proto.Edges
	count     uint32 // probes to run
	index     uint32 // probes started
	period    uint64
	gap       uint64
	timeout   uint64
	waiting   bool   // probe index-1 is out: driven at t0, no answer yet
	t0        uint64 // the probe out's, or the last one's
	next      uint64 // when the next probe may start
	batch     proto.ProbeBatch
	flushAt   uint64 // when a partial batch is sent anyway
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
	hal     HAL
	sched   ScheduledOutput
	stamped StampedOutput
	id      proto.Identify

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
	train  train

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
	c.stamped, _ = hal.(StampedOutput)
	c.id = proto.Identify{Protocol: proto.Version, FwMajor: FwMajor, FwMinor: FwMinor, FwPatch: FwPatch,
		TickHz: hal.TickHz(), Pins: uint8(pins), Caps: cfg.Caps | proto.CapPulse | proto.CapProbe | proto.CapTrain}
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
	if c.train.active && report {
		c.endTrain(proto.TrainCancelled)
	}
	c.train = train{}
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
	if t := &c.train; t.waiting && t.ack == e.Pin && e.Tick >= t.t0 && t.ackEdge.Matches(e.Level != 0) {
		c.trainAnswered(e.Tick)
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
	if c.train.active {
		soon(c.trainTimers(now))
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
	p.t0 = c.driveStimulus(p.stim, p.stimLevel)
}

// driveStimulus drives a probe's stimulus pin to level and returns its t0:
// the change's own tick where the board says (StampedOutput), else the
// tick read just before driving.
func (c *Core) driveStimulus(pin, level uint8) uint64 {
	if c.stamped != nil {
		return c.stamped.SetPinStamped(int(pin), drive(level), proto.PullNone)
	}
	t0 := c.hal.Ticks()
	c.hal.SetPin(int(pin), drive(level), proto.PullNone)
	return t0
}

// trainTimers times the train out, starts its next probe and sends a
// partial batch that waited long enough; it returns its next deadline.
func (c *Core) trainTimers(now uint64) uint64 {
	t := &c.train
	if t.waiting && now >= t.t0+t.timeout {
		// An answer captured before the deadline may still be queued.
		c.drainEdges()
		if t.waiting {
			c.trainResult(proto.NoAck, now)
		}
	}
	if !t.active {
		return 0
	}
	if !t.waiting && t.index < t.count && now >= t.next {
		c.trainStart()
	}
	if t.batch.N > 0 && c.hal.Ticks() >= t.flushAt {
		c.sendBatch()
	}
	var next uint64
	switch {
	case t.waiting:
		next = t.t0 + t.timeout
	case t.index < t.count:
		next = t.next
	}
	if t.batch.N > 0 && (next == 0 || t.flushAt < next) {
		next = t.flushAt
	}
	return next
}

// trainStart drives the next probe's stimulus.
func (c *Core) trainStart() {
	t := &c.train
	t.t0 = c.driveStimulus(t.stim, t.level)
	t.level ^= 1
	t.index++
	t.waiting = true
}

// trainAnswered records the probe out as answered at t1. The next one
// starts from the timers, so every step of the main loop reads commands
// (StopTrain, heartbeats) however fast probes are answered.
func (c *Core) trainAnswered(t1 uint64) {
	c.trainResult(uint32(min(t1-c.train.t0, proto.NoAck-1)), t1)
}

// trainResult files the probe out's latency (NoAck: timed out) in the
// batch; at is when it ended, from which the gap counts.
func (c *Core) trainResult(latency uint32, at uint64) {
	t := &c.train
	t.waiting = false
	b := &t.batch
	if b.N > 0 && t.t0-b.T0 > 0xffffffff {
		c.sendBatch() // its offset would not fit
	}
	if b.N == 0 {
		b.Index, b.T0 = t.index-1, t.t0
		t.flushAt = c.hal.Ticks() + uint64(c.id.TickHz)/100 // a partial batch waits at most 10 ms
	}
	b.Entries[b.N] = proto.BatchEntry{DT0: uint32(t.t0 - b.T0), Latency: latency}
	b.N++
	if b.N == proto.BatchLen {
		c.sendBatch()
	}
	t.next = at + t.gap
	if t.period > 0 && t.t0+t.period > t.next {
		t.next = t.t0 + t.period
	}
	if t.index == t.count {
		c.endTrain(proto.TrainFinished)
	}
}

// sendBatch reports the probes filed so far.
func (c *Core) sendBatch() {
	b := &c.train.batch
	if b.N == 0 {
		return
	}
	b.Seq, b.CmdSeq = c.nextReport(), c.train.cmdSeq
	c.send(proto.TypeProbeBatch, uint8(b.Seq), b.Append(c.pay[:0]))
	b.N = 0
}

// endTrain reports every probe filed, then the train's end; capture on
// its ack pin stops unless armed or probed.
func (c *Core) endTrain(status uint8) {
	t := &c.train
	c.sendBatch()
	m := proto.TrainDone{Seq: c.nextReport(), CmdSeq: t.cmdSeq, Status: status, Count: t.index}
	if t.waiting {
		m.Count-- // cancelled while its last probe was out: not reported
	}
	t.active, t.waiting = false, false
	c.releaseCapture(t.ack)
	c.send(proto.TypeTrainDone, uint8(m.Seq), m.Append(c.pay[:0]))
}

func (c *Core) finishProbe(p *probe, status uint8, t1 uint64) {
	p.active = false
	c.releaseCapture(p.ack)
	m := proto.ProbeResult{Seq: c.nextReport(), CmdSeq: p.cmdSeq, Status: status, T0: p.t0, T1: t1}
	c.send(proto.TypeProbeResult, uint8(m.Seq), m.Append(c.pay[:0]))
}

// releaseCapture ends a probe's or a train's hold on capture at its ack
// pin: capture stops there unless another probe or Arm still wants it.
func (c *Core) releaseCapture(pin uint8) {
	c.probeArmed[pin]--
	if c.probeArmed[pin] == 0 && c.userArmed&(1<<pin) == 0 {
		c.hal.ArmEdges(int(pin), false)
	}
}

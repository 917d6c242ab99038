package firmware

import "github.com/gpiohil/gpiohil/rig/proto"

func (c *Core) pinOK(p uint8) bool { return int(p) < int(c.id.Pins) }

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
		case !probeArgsOK(m.Stim, m.StimLevel, m.Ack, m.AckEdge, m.Timeout):
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
			c.cancelTrainOn(m.Stim)
			c.cancelTrainOn(m.Ack)
			c.probes[slot] = probe{active: true, cmdSeq: f.Seq, stim: m.Stim, ack: m.Ack, stimLevel: m.StimLevel,
				ackEdge: m.AckEdge, at: m.At, timeout: uint64(m.Timeout)}
			c.probeArmed[m.Ack]++
			c.hal.ArmEdges(int(m.Ack), true) // before the stimulus: the answer can be fast
			c.ack()
			// Start now rather than on the next Poll, so t0 is as close to
			// the command as the board allows.
			c.startProbe(&c.probes[slot], c.hal.Ticks())
		}
	case proto.TypeTrain:
		var m proto.Train
		switch {
		case !m.Decode(f.Payload):
			c.nak(proto.NakBadLength)
		case !c.pinOK(m.Stim) || !c.pinOK(m.Ack):
			c.nak(proto.NakBadPin)
		case !probeArgsOK(m.Stim, m.StimLevel, m.Ack, m.AckEdge, m.Timeout) || m.Count == 0:
			c.nak(proto.NakBadArgument)
		case c.train.active:
			c.nak(proto.NakBusy)
		default:
			c.cancelOn(m.Stim)
			c.cancelOn(m.Ack)
			now := c.hal.Ticks()
			c.train = train{active: true, cmdSeq: f.Seq, stim: m.Stim, ack: m.Ack, level: m.StimLevel, ackEdge: m.AckEdge,
				count: m.Count, period: uint64(m.Period), gap: uint64(m.Gap), timeout: uint64(m.Timeout), next: now}
			c.probeArmed[m.Ack]++
			c.hal.ArmEdges(int(m.Ack), true)
			c.ack()
			c.trainStart()
		}
	case proto.TypeStopTrain:
		if c.train.active {
			c.endTrain(proto.TrainCancelled)
		}
		c.ack()
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
	c.cancelTrainOn(pin)
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

// cancelTrainOn ends the train driving or watching pin, reporting it
// cancelled.
func (c *Core) cancelTrainOn(pin uint8) {
	if t := &c.train; t.active && (t.stim == pin || t.ack == pin) {
		c.endTrain(proto.TrainCancelled)
	}
}

// probeArgsOK checks what a Probe and a Train share: a stimulus level of
// 0 or 1, an ack edge of 1–3, a timeout, and two different pins.
func probeArgsOK(stim, level, ack uint8, edge proto.Edges, timeout uint32) bool {
	return level <= 1 && edge >= proto.EdgeRising && edge <= proto.EdgeBoth && timeout != 0 && stim != ack
}

package firmware

import "github.com/gpiohil/gpiohil/rig/proto"

// Sending, sessions and the duplicate memory: how a command is taken from
// the decoder to an answer, exactly once.

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
// one (Identify, ReadPins, ReadClock, Reset and StopTrain carry none).
func payloadLen(typ uint8) (int, bool) {
	switch typ {
	case proto.TypeIdentify, proto.TypeReadPins, proto.TypeReadClock, proto.TypeReset, proto.TypeStopTrain:
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
	case proto.TypeTrain:
		return 20, true
	}
	return 0, false
}

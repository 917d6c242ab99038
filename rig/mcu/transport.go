package mcu

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.bug.st/serial"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// reader decodes frames from the port until it closes or fails.
func (c *Client) reader() {
	defer c.wg.Done()
	var dec proto.Decoder
	buf := make([]byte, 512)
	for {
		n, err := c.port.Read(buf)
		if err != nil {
			select {
			case <-c.done:
			default:
				var pe *serial.PortError
				lost := errors.As(err, &pe) && pe.Code() == serial.PortClosed || !errors.As(err, &pe)
				c.fail(&PortError{Path: c.path, Op: "read", Err: err, Lost: lost})
			}
			return
		}
		for _, b := range buf[:n] {
			f, r := dec.Push(b)
			if r == proto.Complete {
				c.lastRx.Store(time.Now().UnixNano())
				fr := frame{typ: f.Type, seq: f.Seq}
				fr.n = uint8(copy(fr.body[:], f.Payload))
				c.frame(&fr)
			}
		}
		if n > 0 && dec.Stats.Errors() != c.decErrors.Load() {
			c.mu.Lock()
			c.decStats = dec.Stats
			c.mu.Unlock()
			c.decErrors.Store(dec.Stats.Errors())
		}
		select {
		case <-c.done:
			return
		default:
		}
	}
}

// watchdog pings an idle link and declares it lost after LinkTimeout of
// silence.
func (c *Client) watchdog() {
	defer c.wg.Done()
	tick := time.NewTicker(c.opts.LinkTimeout / 8)
	defer tick.Stop()
	var ping [proto.MaxEncoded]byte
	for {
		select {
		case <-c.done:
			return
		case <-c.dead:
			return
		case <-tick.C:
		}
		silent := time.Since(time.Unix(0, c.lastRx.Load()))
		if silent > c.opts.LinkTimeout {
			c.fail(&LinkError{Path: c.path, Reason: fmt.Sprintf("no frame for %v (the MCU vanished or stopped answering)", silent.Round(time.Millisecond)), Err: ErrDisconnected})
			return
		}
		if silent > c.opts.LinkTimeout/4 {
			// A heartbeat with sequence 0: answered, never deduplicated,
			// and matched by no command.
			p := proto.Ping{Token: 0}
			var pay [4]byte
			if err := c.write(proto.AppendFrame(ping[:0], proto.TypePing, 0, p.Append(pay[:0]))); err != nil {
				return
			}
		}
	}
}

func (c *Client) write(wire []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.port.Write(wire); err != nil {
		e := &PortError{Path: c.path, Op: "write", Err: err, Lost: true}
		c.fail(e)
		return e
	}
	return nil
}

// frame routes a decoded frame.
func (c *Client) frame(f *frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.FramesIn++
	switch {
	case proto.IsResponse(f.typ):
		if f.seq != 0 && f.seq == c.waitSeq {
			c.waitSeq = 0
			select {
			case c.waitCh <- *f:
			default:
			}
		}
	case proto.IsReport(f.typ):
		if len(f.payload()) < 4 {
			return
		}
		rseq := uint32(f.body[0]) | uint32(f.body[1])<<8 | uint32(f.body[2])<<16 | uint32(f.body[3])<<24
		if c.haveReport && rseq != c.lastReport+1 && rseq > c.lastReport {
			c.stats.ReportGaps += uint64(rseq - c.lastReport - 1)
		}
		c.lastReport, c.haveReport = rseq, true
		switch f.typ {
		case proto.TypeEdge:
			var m proto.Edge
			if !m.Decode(f.payload()) {
				return
			}
			c.stats.MCUOverflows = m.Overflows
			ev := EdgeEvent{Pin: int(m.Pin), Level: m.Level != 0, Tick: m.Tick, Seq: m.Seq}
			for _, s := range c.subs {
				select {
				case s.ch <- ev:
				default:
					s.dropped.Add(1)
					c.stats.SubscriberDrops++
				}
			}
		case proto.TypeProbeResult:
			var m proto.ProbeResult
			if m.Decode(f.payload()) {
				deliver(c.probeWaiters, m.CmdSeq, m)
			}
		case proto.TypePulseDone:
			var m proto.PulseDone
			if m.Decode(f.payload()) {
				deliver(c.pulseWaiters, m.CmdSeq, m)
			}
		case proto.TypeProbeBatch:
			var m proto.ProbeBatch
			if t := c.trains[f.body[4]]; t != nil && m.Decode(f.payload()) {
				select {
				case t.batches <- m:
				default: // the caller fell behind: counted lost by the gap it leaves
					c.stats.TrainDrops += uint64(m.N)
				}
			}
		case proto.TypeTrainDone:
			var m proto.TrainDone
			if t := c.trains[f.body[4]]; t != nil && m.Decode(f.payload()) {
				select {
				case t.done <- m:
				default:
				}
			}
		}
	}
}

// deliver hands a report to the command (by sequence number) waiting for
// it, once; the channel has room for it.
func deliver[T any](waiters map[uint8]chan T, seq uint8, v T) {
	if ch, ok := waiters[seq]; ok {
		delete(waiters, seq)
		ch <- v
	}
}

// do sends a command and waits for its response, retransmitting on
// timeout. onSeq, if set, runs with the command's sequence number before
// the first transmission.
func (c *Client) do(ctx context.Context, typ byte, payload []byte, want byte, onSeq func(uint8)) (frame, error) {
	name := commandName(typ)
	c.cmdMu.Lock()
	defer c.cmdMu.Unlock()
	if err := c.Err(); err != nil {
		return frame{}, err
	}
	c.seq++
	if c.seq == 0 {
		c.seq = 1
	}
	seq := c.seq
	c.mu.Lock()
	select {
	case <-c.waitCh: // a stale response
	default:
	}
	c.waitSeq = seq
	c.mu.Unlock()
	if onSeq != nil {
		onSeq(seq)
	}
	wire := proto.AppendFrame(c.tx[:0], typ, seq, payload)
	timer := c.rto
	defer timer.Stop()
	for attempt := 0; attempt <= c.opts.Retries; attempt++ {
		if attempt > 0 {
			c.mu.Lock()
			c.stats.Retransmits++
			c.mu.Unlock()
		}
		if err := c.write(wire); err != nil {
			return frame{}, err
		}
		timer.Reset(c.opts.RTO)
		select {
		case f := <-c.waitCh:
			switch f.typ {
			case want:
				return f, nil
			case proto.TypeNak:
				var n proto.Nak
				n.Decode(f.payload())
				return frame{}, &NakError{Command: name, Code: n.Code}
			}
			return frame{}, fmt.Errorf("%w: %s answered with type 0x%02x, want 0x%02x", ErrProtocol, name, f.typ, want)
		case <-timer.C:
		case <-ctx.Done():
			return frame{}, fmt.Errorf("mcu: %s: %w", name, ctx.Err())
		case <-c.dead:
			return frame{}, c.deadErr
		}
	}
	if err := c.Err(); err != nil {
		return frame{}, err
	}
	return frame{}, &LinkError{Path: c.path, Command: name, Err: ErrTimeout,
		Reason: fmt.Sprintf("no response after %d transmissions %v apart", c.opts.Retries+1, c.opts.RTO)}
}

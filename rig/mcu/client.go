package mcu

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.bug.st/serial"
	"go.bug.st/serial/enumerator"

	"github.com/gpiohil/gpiohil/rig/proto"
)

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

// Client is a connection to a companion MCU. Its methods are safe for
// concurrent use; commands are sent one at a time.
type Client struct {
	port serial.Port
	path string
	opts Options
	id   proto.Identify

	cmdMu sync.Mutex // one command in flight
	seq   uint8
	wmu   sync.Mutex // serializes writes

	mu           sync.Mutex // protects following fields
	waitSeq      uint8
	waitCh       chan frame
	probeWaiters map[uint8]chan proto.ProbeResult
	pulseWaiters map[uint8][]chan uint64
	subs         []*Subscription
	lastReport   uint32
	haveReport   bool
	stats        LinkStats
	decStats     proto.Stats

	lastRx   atomic.Int64 // UnixNano of the last valid frame
	dead     chan struct{}
	deadErr  error
	deadOnce sync.Once
	done     chan struct{}
	wg       sync.WaitGroup
	closeMu  sync.Once
}

type frame struct {
	typ, seq byte
	payload  []byte
}

// LinkStats counts what crossed the link.
type LinkStats struct {
	FramesIn        uint64
	DecodeErrors    uint32 // frames dropped by the decoder (CRC, COBS, length, version)
	Retransmits     uint64
	ReportGaps      uint64 // reports lost on the link (sequence gaps)
	SubscriberDrops uint64 // edge reports dropped because a subscriber was slow
	MCUOverflows    uint32 // edges the MCU dropped (its capture ring was full)
}

// FindPort returns the path of the one serial port whose USB VID and PID
// (hex, case-insensitive) and, if serialNo is not empty, serial number
// match.
func FindPort(vid, pid, serialNo string) (string, error) {
	ports, err := enumerator.GetDetailedPortsList()
	if err != nil {
		return "", fmt.Errorf("mcu: list serial ports: %w", err)
	}
	var found []string
	var seen []string
	for _, p := range ports {
		if !p.IsUSB {
			continue
		}
		seen = append(seen, p.Name+" "+p.VID+":"+p.PID+" "+p.SerialNumber)
		if strings.EqualFold(p.VID, vid) && strings.EqualFold(p.PID, pid) && (serialNo == "" || p.SerialNumber == serialNo) {
			found = append(found, p.Name)
		}
	}
	want := vid + ":" + pid
	if serialNo != "" {
		want += " serial " + serialNo
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("%w for USB %s (USB ports: %s)", ErrNotFound, want, orNone(seen))
	}
	return "", fmt.Errorf("%w: USB %s matches %s; give a serial number", ErrNotFound, want, strings.Join(found, ", "))
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, "; ")
}

// Open opens the MCU at path, and identifies it. A board speaking another
// protocol version fails with ErrVersionMismatch.
func Open(ctx context.Context, path string, opts Options) (*Client, error) {
	opts.defaults()
	port, err := serial.Open(path, &serial.Mode{BaudRate: opts.Baud})
	if err != nil {
		return nil, &PortError{Path: path, Op: "open", Err: err}
	}
	if err := port.SetReadTimeout(readTimeout); err != nil {
		port.Close()
		return nil, &PortError{Path: path, Op: "set read timeout", Err: err}
	}
	_ = port.ResetInputBuffer()
	c := &Client{port: port, path: path, opts: opts, waitCh: make(chan frame, 1),
		probeWaiters: map[uint8]chan proto.ProbeResult{}, pulseWaiters: map[uint8][]chan uint64{},
		dead: make(chan struct{}), done: make(chan struct{})}
	c.lastRx.Store(time.Now().UnixNano())
	c.wg.Add(2)
	go c.reader()
	go c.watchdog()
	f, err := c.do(ctx, proto.TypeIdentify, nil, proto.TypeIdentifyResp, nil)
	if err == nil && !c.id.Decode(f.payload) {
		err = fmt.Errorf("%w: identify answer of %d bytes", ErrProtocol, len(f.payload))
	}
	if err == nil && c.id.Protocol != proto.Version {
		err = fmt.Errorf("%w: host speaks %d, %s speaks %d", ErrVersionMismatch, proto.Version, path, c.id.Protocol)
	}
	if err != nil {
		c.mu.Lock()
		bad := c.decStats.BadVersion
		other := c.decStats.LastVersion
		c.mu.Unlock()
		if bad > 0 && !errors.Is(err, ErrVersionMismatch) {
			err = fmt.Errorf("%w: host speaks %d, %s answered in version %d", ErrVersionMismatch, proto.Version, path, other)
		}
		c.Close()
		return nil, err
	}
	return c, nil
}

// Identify returns the MCU's answer to the identify handshake.
func (c *Client) Identify() proto.Identify { return c.id }

// Path returns the serial port's path.
func (c *Client) Path() string { return c.path }

// Stats returns the link's counters.
func (c *Client) Stats() LinkStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.DecodeErrors = c.decStats.Errors()
	return s
}

// Err returns why the link is lost, or nil.
func (c *Client) Err() error {
	select {
	case <-c.dead:
		return c.deadErr
	default:
		return nil
	}
}

// Done is closed when the link is lost or the client closed.
func (c *Client) Done() <-chan struct{} { return c.dead }

// Close closes the port. Waiting calls return ErrClosed. Idempotent.
func (c *Client) Close() error {
	var err error
	c.closeMu.Do(func() {
		c.fail(fmt.Errorf("mcu: %s: %w", c.path, ErrClosed))
		close(c.done)
		err = c.port.Close()
		c.wg.Wait()
	})
	return err
}

func (c *Client) fail(err error) {
	c.deadOnce.Do(func() {
		c.deadErr = err
		close(c.dead)
	})
}

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
				c.frame(frame{typ: f.Type, seq: f.Seq, payload: append([]byte(nil), f.Payload...)})
			}
		}
		if n > 0 {
			c.mu.Lock()
			c.decStats = dec.Stats
			c.mu.Unlock()
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
			if err := c.write(proto.AppendFrame(ping[:0], proto.TypePing, 0, p.Append(nil))); err != nil {
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
func (c *Client) frame(f frame) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.FramesIn++
	switch {
	case proto.IsResponse(f.typ):
		if f.seq != 0 && f.seq == c.waitSeq {
			c.waitSeq = 0
			select {
			case c.waitCh <- f:
			default:
			}
		}
	case proto.IsReport(f.typ):
		if len(f.payload) < 4 {
			return
		}
		rseq := uint32(f.payload[0]) | uint32(f.payload[1])<<8 | uint32(f.payload[2])<<16 | uint32(f.payload[3])<<24
		if c.haveReport && rseq != c.lastReport+1 && rseq > c.lastReport {
			c.stats.ReportGaps += uint64(rseq - c.lastReport - 1)
		}
		c.lastReport, c.haveReport = rseq, true
		switch f.typ {
		case proto.TypeEdge:
			var m proto.Edge
			if !m.Decode(f.payload) {
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
			if m.Decode(f.payload) {
				if ch, ok := c.probeWaiters[m.CmdSeq]; ok {
					delete(c.probeWaiters, m.CmdSeq)
					ch <- m
				}
			}
		case proto.TypePulseDone:
			var m proto.PulseDone
			if m.Decode(f.payload) {
				for _, ch := range c.pulseWaiters[m.Pin] {
					ch <- m.Tick
				}
				delete(c.pulseWaiters, m.Pin)
			}
		}
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
	wire := proto.AppendFrame(nil, typ, seq, payload)
	timer := time.NewTimer(c.opts.RTO)
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
				n.Decode(f.payload)
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

// Ticks converts a duration to MCU ticks.
func (c *Client) Ticks(d time.Duration) uint64 {
	return uint64(d) * uint64(c.id.TickHz) / uint64(time.Second)
}

// Duration converts MCU ticks to a duration.
func (c *Client) Duration(ticks uint64) time.Duration {
	hz := uint64(c.id.TickHz)
	if hz == 0 {
		return 0
	}
	return time.Duration(ticks/hz*uint64(time.Second) + ticks%hz*uint64(time.Second)/hz)
}

// Ping measures one round trip and returns the MCU's tick at the answer.
func (c *Client) Ping(ctx context.Context) (rtt time.Duration, tick uint64, err error) {
	p := proto.Ping{Token: uint32(time.Now().UnixNano())}
	start := time.Now()
	f, err := c.do(ctx, proto.TypePing, p.Append(nil), proto.TypePong, nil)
	rtt = time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	var m proto.Pong
	if !m.Decode(f.payload) || m.Token != p.Token {
		return 0, 0, fmt.Errorf("%w: ping answer does not echo the token", ErrProtocol)
	}
	return rtt, m.Tick, nil
}

// ReadClock returns the MCU's tick.
func (c *Client) ReadClock(ctx context.Context) (uint64, error) {
	f, err := c.do(ctx, proto.TypeReadClock, nil, proto.TypeClock, nil)
	if err != nil {
		return 0, err
	}
	var m proto.Clock
	if !m.Decode(f.payload) {
		return 0, fmt.Errorf("%w: clock answer of %d bytes", ErrProtocol, len(f.payload))
	}
	return m.Tick, nil
}

// Drive is what SetPin puts on a pin.
type Drive uint8

// Drives.
const (
	HiZ  Drive = Drive(proto.DriveHiZ)
	Low  Drive = Drive(proto.DriveLow)
	High Drive = Drive(proto.DriveHigh)
)

// Pull is an MCU pin's pull when not driving.
type Pull uint8

// Pulls.
const (
	PullNone Pull = Pull(proto.PullNone)
	PullUp   Pull = Pull(proto.PullUp)
	PullDown Pull = Pull(proto.PullDown)
)

// SetPin drives a pin low or high, or releases it (HiZ) with a pull.
func (c *Client) SetPin(ctx context.Context, pin int, d Drive, p Pull) error {
	if err := c.checkPin(pin); err != nil {
		return err
	}
	m := proto.SetPin{Pin: uint8(pin), Drive: uint8(d), Pull: uint8(p)}
	_, err := c.do(ctx, proto.TypeSetPin, m.Append(nil), proto.TypeAck, nil)
	return err
}

func (c *Client) checkPin(pin int) error {
	if pin < 0 || pin >= int(c.id.Pins) {
		return fmt.Errorf("mcu: pin %d outside the %d pins of %s: %w", pin, c.id.Pins, c.id.BoardName(), ErrRefused)
	}
	return nil
}

// ReadPins returns the level of every pin (bit n = pin n).
func (c *Client) ReadPins(ctx context.Context) (uint64, error) {
	f, err := c.do(ctx, proto.TypeReadPins, nil, proto.TypePins, nil)
	if err != nil {
		return 0, err
	}
	var m proto.Pins
	if !m.Decode(f.payload) {
		return 0, fmt.Errorf("%w: pins answer of %d bytes", ErrProtocol, len(f.payload))
	}
	return m.Levels, nil
}

// Reset puts every pin in the safe state (hi-z, no pull), disarms capture
// and cancels probes and pulses.
func (c *Client) Reset(ctx context.Context) error {
	_, err := c.do(ctx, proto.TypeReset, nil, proto.TypeAck, nil)
	return err
}

// Edge selects edges.
type Edge uint8

// Edges.
const (
	Rising  Edge = Edge(proto.EdgeRising)
	Falling Edge = Edge(proto.EdgeFalling)
	Both    Edge = Edge(proto.EdgeBoth)
)

// Arm enables edge reports on the pins of mask.
func (c *Client) Arm(ctx context.Context, mask uint64, e Edge) error {
	m := proto.Arm{Mask: mask, Edges: uint8(e)}
	_, err := c.do(ctx, proto.TypeArm, m.Append(nil), proto.TypeAck, nil)
	return err
}

// Disarm disables edge reports on the pins of mask.
func (c *Client) Disarm(ctx context.Context, mask uint64) error {
	m := proto.Arm{Mask: mask}
	_, err := c.do(ctx, proto.TypeDisarm, m.Append(nil), proto.TypeAck, nil)
	return err
}

// PulseSpec is a pulse train: Count pulses at level Active, each Width
// long, one every Period (0: twice the width).
type PulseSpec struct {
	Pin    int
	Active bool
	Width  time.Duration
	Period time.Duration
	Count  int
}

// Pulse starts a pulse train and waits for it to end.
func (c *Client) Pulse(ctx context.Context, s PulseSpec) error {
	if err := c.checkPin(s.Pin); err != nil {
		return err
	}
	if s.Count < 1 || s.Count > 0xffff {
		return fmt.Errorf("mcu: pulse count %d, want 1..65535: %w", s.Count, ErrRefused)
	}
	m := proto.Pulse{Pin: uint8(s.Pin), Width: uint32(c.Ticks(s.Width)), Period: uint32(c.Ticks(s.Period)), Count: uint16(s.Count)}
	if s.Active {
		m.Active = 1
	}
	done := make(chan uint64, 1)
	c.mu.Lock()
	c.pulseWaiters[m.Pin] = append(c.pulseWaiters[m.Pin], done)
	c.mu.Unlock()
	if _, err := c.do(ctx, proto.TypePulse, m.Append(nil), proto.TypeAck, nil); err != nil {
		return err
	}
	period := s.Period
	if period == 0 {
		period = 2 * s.Width
	}
	limit := time.NewTimer(time.Duration(s.Count)*period + c.opts.LinkTimeout)
	defer limit.Stop()
	select {
	case <-done:
		return nil
	case <-limit.C:
		return &LinkError{Path: c.path, Command: "pulse", Err: ErrTimeout, Reason: "no end-of-train report"}
	case <-ctx.Done():
		return fmt.Errorf("mcu: pulse: %w", ctx.Err())
	case <-c.dead:
		return c.deadErr
	}
}

// ProbeSpec is one latency probe: drive Stim to StimLevel (at MCU tick At,
// or now when 0) and wait up to Timeout for the first AckEdge on Ack.
type ProbeSpec struct {
	Stim, Ack int
	StimLevel bool
	AckEdge   Edge
	At        uint64
	Timeout   time.Duration
}

// ProbeResult is a probe's outcome, both times on the MCU's clock.
type ProbeResult struct {
	T0, T1   uint64        // ticks: stimulus driven, ack captured
	Latency  time.Duration // T1 − T0
	TimedOut bool
}

// Probe runs one probe. A probe that saw no ack within its timeout returns
// TimedOut and no error.
func (c *Client) Probe(ctx context.Context, s ProbeSpec) (ProbeResult, error) {
	if err := c.checkPin(s.Stim); err != nil {
		return ProbeResult{}, err
	}
	if err := c.checkPin(s.Ack); err != nil {
		return ProbeResult{}, err
	}
	timeout := c.Ticks(s.Timeout)
	if timeout == 0 || timeout > 0xffffffff {
		return ProbeResult{}, fmt.Errorf("mcu: probe timeout %v outside 1..2^32 ticks (%v at %s's %d Hz): %w",
			s.Timeout, c.Duration(0xffffffff), c.id.BoardName(), c.id.TickHz, ErrRefused)
	}
	m := proto.Probe{Stim: uint8(s.Stim), Ack: uint8(s.Ack), AckEdge: uint8(s.AckEdge), At: s.At, Timeout: uint32(timeout)}
	if s.StimLevel {
		m.StimLevel = 1
	}
	ch := make(chan proto.ProbeResult, 1)
	var seq uint8
	_, err := c.do(ctx, proto.TypeProbe, m.Append(nil), proto.TypeAck, func(s uint8) {
		seq = s
		c.mu.Lock()
		c.probeWaiters[s] = ch
		c.mu.Unlock()
	})
	if err != nil {
		c.mu.Lock()
		delete(c.probeWaiters, seq)
		c.mu.Unlock()
		return ProbeResult{}, err
	}
	wait := s.Timeout + c.opts.LinkTimeout
	if s.At != 0 {
		if now, err := c.ReadClock(ctx); err == nil && s.At > now {
			wait += c.Duration(s.At - now)
		}
	}
	limit := time.NewTimer(wait)
	defer limit.Stop()
	select {
	case r := <-ch:
		res := ProbeResult{T0: r.T0, T1: r.T1, TimedOut: r.Status != proto.ProbeOK}
		if !res.TimedOut {
			res.Latency = c.Duration(r.T1 - r.T0)
		}
		return res, nil
	case <-limit.C:
		c.mu.Lock()
		delete(c.probeWaiters, seq)
		c.mu.Unlock()
		return ProbeResult{}, &LinkError{Path: c.path, Command: "probe", Err: ErrTimeout, Reason: "no probe result report"}
	case <-ctx.Done():
		return ProbeResult{}, fmt.Errorf("mcu: probe: %w", ctx.Err())
	case <-c.dead:
		return ProbeResult{}, c.deadErr
	}
}

// EdgeEvent is an edge the MCU captured on an armed pin.
type EdgeEvent struct {
	Pin   int
	Level bool
	Tick  uint64
	Seq   uint32
}

// Subscription receives edge reports.
type Subscription struct {
	c       *Client
	ch      chan EdgeEvent
	dropped atomic.Uint64
}

// Subscribe returns a subscription buffering up to buffer edge reports;
// reports that find it full are dropped and counted.
func (c *Client) Subscribe(buffer int) *Subscription {
	s := &Subscription{c: c, ch: make(chan EdgeEvent, buffer)}
	c.mu.Lock()
	c.subs = append(c.subs, s)
	c.mu.Unlock()
	return s
}

// C delivers the edges.
func (s *Subscription) C() <-chan EdgeEvent { return s.ch }

// Dropped returns how many reports this subscription missed.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription.
func (s *Subscription) Close() {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.subs {
		if x == s {
			c.subs = append(c.subs[:i], c.subs[i+1:]...)
			return
		}
	}
}

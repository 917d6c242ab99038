package rig

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpiohil/gpiohil/clx"
)

// AckMode is how the responder answers on its ack line.
type AckMode uint8

// Ack modes.
const (
	// AckMirror drives the ack line to the level the stimulus moved to
	// (the stimulus's own polarity when the controller does not say).
	AckMirror AckMode = iota
	// AckToggle flips the ack line on every delivery.
	AckToggle
	// AckPulse drives the ack line high and back low on every delivery.
	AckPulse
)

// ResponderConfig configures the responder of one probe pair.
type ResponderConfig struct {
	Pair         string // probe pair name
	Mode         clx.Mode
	Polarity     clx.Polarity
	AssertedHigh bool // emulated active-both: the first interrupt is at high
	Pull         clx.Pull
	Debounce     time.Duration
	// Shared connects the interrupt shared, alongside other holders.
	Shared bool
	// ActiveLow makes both lines active-low: Polarity, AssertedHigh,
	// AckStart and the levels delivered and mirrored are logical, and the
	// ack line is driven inverted (a mirroring ack still follows the
	// stimulus wire's own level).
	ActiveLow bool
	// NoClaim makes the ISR report every interrupt as not its own.
	NoClaim bool
	Ack     AckMode
	// AckStart is the ack line's level before the first delivery (for
	// AckMirror, the stimulus's idle level).
	AckStart clx.Level
	// Limit, when positive, makes the ISR mask its interrupt after that
	// many deliveries: a level interrupt's source is silenced.
	Limit int
}

// Delivery is one run of a responder's ISR.
type Delivery struct {
	Context clx.InterruptContext
	ISR     time.Time // when the ISR began, on the host's clock
	// AckOut is when the ack line changed, on the controller's clock,
	// where the controller timestamps its outputs (HasAckOut): with it,
	// the ack wire's own delay is measured apart from the ISR's work.
	AckOut    time.Duration
	HasAckOut bool
}

// Responder is a clx client driver that connects an interrupt on a probe
// pair's stimulus line and answers on its ack line.
type Responder struct {
	cfg     ResponderConfig
	conn    *clx.InterruptConn
	ack     *clx.IOConn
	ackPin  int
	outputs func(pin int) (time.Duration, bool) // the target's output times

	deliveries atomic.Int64
	mu         sync.Mutex // protects level, last, lastISR, log
	level      byte
	last       clx.InterruptContext
	lastISR    time.Time
	log        deliveryLog
}

// logLen is how many deliveries the log keeps for a reader: a probe
// train's reader takes each as its probe's result arrives.
const logLen = 1024

// deliveryLog is a ring of the latest deliveries; when full, the oldest
// gives way (a probe it answered is then split-less, not lost).
type deliveryLog struct {
	ring    [logLen]Delivery
	head, n int
}

func (l *deliveryLog) push(d Delivery) {
	if l.n == logLen {
		l.pop()
	}
	l.ring[(l.head+l.n)%logLen] = d
	l.n++
}

func (l *deliveryLog) pop() {
	if l.n > 0 {
		l.head = (l.head + 1) % logLen
		l.n--
	}
}

// Respond connects a responder on the fixture's pair cfg.Pair. The ack
// line starts at AckStart.
func (r *Rig) Respond(ctx context.Context, cfg ResponderConfig) (*Responder, error) {
	p, err := r.pair(cfg.Pair)
	if err != nil {
		return nil, err
	}
	return r.RespondOn(ctx, p, cfg)
}

// RespondOn connects a responder on any two wires (see WirePair); cfg.Pair
// is ignored.
func (r *Rig) RespondOn(ctx context.Context, p Pair, cfg ResponderConfig) (*Responder, error) {
	cfg.Pair = p.Name
	var err error
	rs := &Responder{cfg: cfg, level: byte(cfg.AckStart), ackPin: p.Ack.TargetPin, outputs: r.target.outputTime}
	rs.ack, err = r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{p.Ack.TargetPin}, Direction: clx.Output,
		Initial: []byte{byte(cfg.AckStart)}, ActiveLow: cfg.ActiveLow, Name: "responder " + cfg.Pair + " ack"})
	if err != nil {
		return nil, fmt.Errorf("responder %s: ack line %s: %w", cfg.Pair, p.Ack.Name, err)
	}
	rs.conn, err = r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: p.Stimulus.TargetPin, Mode: cfg.Mode,
		Polarity: cfg.Polarity, AssertedHigh: cfg.AssertedHigh, Pull: cfg.Pull, Debounce: cfg.Debounce, Shared: cfg.Shared, ActiveLow: cfg.ActiveLow, ISR: rs.isr,
		Name: "responder " + cfg.Pair})
	if err != nil {
		rs.ack.Close()
		return nil, fmt.Errorf("responder %s: stimulus line %s: %w", cfg.Pair, p.Stimulus.Name, err)
	}
	return rs, nil
}

func (rs *Responder) isr(ic clx.InterruptContext) bool {
	entered := time.Now()
	n := rs.deliveries.Add(1)
	rs.mu.Lock()
	rs.last, rs.lastISR = ic, entered
	var out [2]byte
	writes := 1
	switch rs.cfg.Ack {
	case AckMirror:
		l := byte(rs.cfg.Polarity.Asserted())
		if ic.HasLevel {
			l = byte(ic.Level)
		}
		rs.level = l
		out[0] = l
	case AckToggle:
		rs.level ^= 1
		out[0] = rs.level
	case AckPulse:
		out, writes = [2]byte{1, 0}, 2
	}
	rs.mu.Unlock()
	for k := range writes {
		_ = rs.ack.Write(context.Background(), out[k:k+1])
	}
	d := Delivery{Context: ic, ISR: entered}
	d.AckOut, d.HasAckOut = rs.outputs(rs.ackPin)
	rs.mu.Lock()
	rs.log.push(d)
	rs.mu.Unlock()
	if rs.cfg.Limit > 0 && n == int64(rs.cfg.Limit) {
		_ = ic.Conn.Mask(context.Background())
	}
	return !rs.cfg.NoClaim
}

// Deliveries returns how many times the ISR ran.
func (rs *Responder) Deliveries() int { return int(rs.deliveries.Load()) }

// Last returns the latest delivery. Its AckOut is the ack line's latest
// change, which the controller records before the change leaves the pad:
// once the MCU has seen the ack, it is this delivery's.
func (rs *Responder) Last() Delivery {
	rs.mu.Lock()
	d := Delivery{Context: rs.last, ISR: rs.lastISR}
	rs.mu.Unlock()
	d.AckOut, d.HasAckOut = rs.outputs(rs.ackPin)
	return d
}

// PeekDelivery returns the oldest delivery in the log without taking it,
// waiting up to wait for one: the ISR logs a delivery after its ack is
// written, so whoever saw the ack may ask first. It reports false when
// none came.
func (rs *Responder) PeekDelivery(wait time.Duration) (Delivery, bool) {
	var deadline time.Time
	for spins := 0; ; spins++ {
		rs.mu.Lock()
		if rs.log.n > 0 {
			d := rs.log.ring[rs.log.head]
			rs.mu.Unlock()
			return d, true
		}
		rs.mu.Unlock()
		switch {
		case wait <= 0:
			return Delivery{}, false
		case spins == 0:
			deadline = time.Now().Add(wait)
		case time.Now().After(deadline):
			return Delivery{}, false
		}
		if spins < 100 {
			runtime.Gosched()
		} else {
			time.Sleep(20 * time.Microsecond)
		}
	}
}

// TakeDelivery removes the oldest delivery from the log.
func (rs *Responder) TakeDelivery() {
	rs.mu.Lock()
	rs.log.pop()
	rs.mu.Unlock()
}

// Conn returns the interrupt connection (to mask, unmask or check Err).
func (rs *Responder) Conn() *clx.InterruptConn { return rs.conn }

// Close disconnects the interrupt and releases the ack line.
func (rs *Responder) Close() error {
	err := rs.conn.Close()
	if e := rs.ack.Close(); err == nil {
		err = e
	}
	return err
}

// RespondMirror readies a pair for latency probes: the stimulus idles high
// (so an emulated active-both, asserted low, starts without the interrupt
// it gives at connect on a low line), and an active-both responder
// mirrors every stimulus edge on the ack line, which starts high too.
// Probes then start by driving the stimulus low.
func (r *Rig) RespondMirror(ctx context.Context, pair string) (*Responder, error) {
	p, err := r.pair(pair)
	if err != nil {
		return nil, err
	}
	if err := r.Drive(ctx, p.Stimulus.Name, true); err != nil {
		return nil, err
	}
	if err := r.Settle(ctx); err != nil {
		return nil, err
	}
	rs, err := r.Respond(ctx, ResponderConfig{Pair: pair, Polarity: clx.ActiveBoth, Ack: AckMirror, AckStart: clx.High})
	if err != nil {
		return nil, err
	}
	if err := r.Settle(ctx); err != nil {
		rs.Close()
		return nil, err
	}
	return rs, nil
}

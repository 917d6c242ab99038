package mcu

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.bug.st/serial"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// Client is a connection to a companion MCU. Its methods are safe for
// concurrent use; commands are sent one at a time.
type Client struct {
	port serial.Port
	path string
	opts Options
	id   proto.Identify

	cmdMu sync.Mutex // one command in flight; protects seq, tx and rto
	seq   uint8
	tx    [proto.MaxEncoded]byte
	rto   *time.Timer
	wmu   sync.Mutex // serializes writes

	mu           sync.Mutex // protects following fields
	waitSeq      uint8
	waitCh       chan frame
	probeWaiters map[uint8]chan proto.ProbeResult
	pulseWaiters map[uint8]chan proto.PulseDone
	trains       map[uint8]*train
	subs         []*Subscription
	lastReport   uint32
	haveReport   bool
	stats        LinkStats
	decStats     proto.Stats
	decErrors    atomic.Uint32 // decStats.Errors(), read without the lock

	lastRx   atomic.Int64 // UnixNano of the last valid frame
	dead     chan struct{}
	deadErr  error
	deadOnce sync.Once
	done     chan struct{}
	wg       sync.WaitGroup
	closeMu  sync.Once
}

// frame is a decoded frame, its payload copied into a fixed buffer so
// that routing it allocates nothing.
type frame struct {
	typ, seq byte
	n        uint8
	body     [proto.MaxPayload]byte
}

func (f *frame) payload() []byte { return f.body[:f.n] }

// LinkStats counts what crossed the link.
type LinkStats struct {
	FramesIn        uint64
	DecodeErrors    uint32 // frames dropped by the decoder (CRC, COBS, length, version)
	Retransmits     uint64
	ReportGaps      uint64 // reports lost on the link (sequence gaps)
	SubscriberDrops uint64 // edge reports dropped because a subscriber was slow
	TrainDrops      uint64 // train probes dropped because the train's caller was slow
	MCUOverflows    uint32 // edges the MCU dropped (its capture ring was full)
}

// Open opens the MCU at path, starts a session (Sync with a random
// session identifier, so that no answer of an earlier session can be
// taken for one of this) and identifies the board. A board speaking
// another protocol version fails with ErrVersionMismatch, naming both.
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
		probeWaiters: map[uint8]chan proto.ProbeResult{}, pulseWaiters: map[uint8]chan proto.PulseDone{},
		trains: map[uint8]*train{},
		dead:   make(chan struct{}), done: make(chan struct{})}
	c.rto = time.NewTimer(time.Hour)
	c.rto.Stop()
	c.lastRx.Store(time.Now().UnixNano())
	c.wg.Add(2)
	go c.reader()
	go c.watchdog()
	err = c.sync(ctx)
	var f frame
	if err == nil {
		f, err = c.do(ctx, proto.TypeIdentify, nil, proto.TypeIdentifyResp, nil)
	}
	if err == nil && !c.id.Decode(f.payload()) {
		err = fmt.Errorf("%w: identify answer of %d bytes", ErrProtocol, len(f.payload()))
	}
	if err == nil && c.id.Protocol != proto.Version {
		err = fmt.Errorf("%w: host speaks %d, %s speaks %d", ErrVersionMismatch, proto.Version, path, c.id.Protocol)
	}
	if err != nil {
		c.mu.Lock()
		bad := c.decStats.BadVersion
		other := c.decStats.LastVersion
		c.mu.Unlock()
		var nak *NakError
		switch {
		case bad > 0 && !errors.Is(err, ErrVersionMismatch):
			err = fmt.Errorf("%w: host speaks %d, %s answered in version %d", ErrVersionMismatch, proto.Version, path, other)
		case errors.As(err, &nak) && nak.Code == proto.NakUnknown:
			err = fmt.Errorf("%w: %s does not know Sync (protocol 1 firmware?); host speaks %d: %w", ErrVersionMismatch, path, proto.Version, err)
		}
		c.Close()
		return nil, err
	}
	return c, nil
}

// sync starts a session with a fresh random identifier and checks the
// MCU echoes it. Report sequence numbers restart with the session.
func (c *Client) sync(ctx context.Context) error {
	var b [4]byte
	for binary.LittleEndian.Uint32(b[:]) == 0 {
		if _, err := rand.Read(b[:]); err != nil {
			return fmt.Errorf("mcu: session identifier: %w", err)
		}
	}
	m := proto.Sync{Session: binary.LittleEndian.Uint32(b[:])}
	c.mu.Lock()
	c.haveReport = false
	c.mu.Unlock()
	f, err := c.do(ctx, proto.TypeSync, m.Append(nil), proto.TypeSynced, nil)
	if err != nil {
		return err
	}
	var got proto.Sync
	if !got.Decode(f.payload()) || got.Session != m.Session {
		return fmt.Errorf("%w: Sync answered for session %x, want %x", ErrProtocol, f.payload(), m.Session)
	}
	return nil
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

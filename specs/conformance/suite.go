package conformance

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/proto"
	"github.com/gpiohil/gpiohil/specs/tree"
)

// Options select the MCU to judge and how the run reports.
type Options struct {
	Port string    // the MCU's serial port, or
	USB  mcu.USBID // its USB identity
	// Jumper names two MCU pins wired to each other (a jumper wire, or
	// the virtual MCU's --jumper). Specs that watch edges and probes
	// answered need it and are skipped without it.
	Jumper *[2]int
	// MCUTime reads the time the MCU lives in, for specs that check its
	// ticks against time. Nil means the host's clock: a board's crystal
	// keeps real time. An emulated MCU whose clock runs slower than real
	// time gives the emulator's clock.
	MCUTime     func(ctx context.Context) (time.Duration, error)
	LabelFilter string
	JUnitReport string
	JSONReport  string
	Verbose     bool
	Color       bool
}

// Results is what a run found beyond pass and fail.
type Results struct {
	Port     string
	Identify proto.Identify
	// Skipped lists the specs skipped on purpose, each with its reason.
	Skipped  []string
	Failed   bool
	Duration time.Duration
}

// How long the suite waits: an answer (generous for a loaded machine or
// a slow emulator), and the retransmission timeout of the host's rule.
const (
	answerTimeout = 2 * time.Second
	rto           = 100 * time.Millisecond
	specTimeout   = 2 * time.Minute
)

var (
	opts     Options
	theLink  *link
	linkErr  error
	identity proto.Identify

	skipped []string // "spec: reason" for each spec skipped with a reason

	beforeSync    proto.Frame // the answer to Identify sent before the suite's first Sync
	beforeSyncErr error

	suite tree.Tree // declared when it runs, not on import (see package tree)
)

// node adds a top-level node of the suite.
func node(declare func()) bool { return suite.Add(declare) }

type failRecorder struct{ failed bool }

func (f *failRecorder) Fail() { f.failed = true }

// Run takes the rig lock on the MCU's port and runs the conformance suite
// against it from the host side. A port that cannot be found, locked or
// opened is one error, returned before any spec runs. Ginkgo runs one tree
// per process: call Run once.
func Run(ctx context.Context, o Options) (Results, error) {
	path := o.Port
	if path == "" {
		p, err := mcu.FindPort(o.USB)
		if err != nil {
			return Results{}, err
		}
		path = p
	}
	lock, err := rig.Acquire(path, "gpiohil mcu conformance")
	if err != nil {
		return Results{}, err
	}
	defer lock.Release()
	o.Port = path
	opts = o
	sc, rc := GinkgoConfiguration()
	sc.LabelFilter = o.LabelFilter
	rc.JUnitReport, rc.JSONReport, rc.Verbose, rc.NoColor = o.JUnitReport, o.JSONReport, o.Verbose, !o.Color
	RegisterFailHandler(Fail)
	Declare()
	var rec failRecorder
	start := time.Now()
	RunSpecs(&rec, "gpiohil mcu conformance: "+path, sc, rc)
	return Results{Port: path, Identify: identity, Skipped: skipped, Failed: rec.failed, Duration: time.Since(start)}, linkErr
}

// Declare declares the suite's tree to Ginkgo (once); Run calls it, and a
// go test entry calls it before RunSpecs.
func Declare() { suite.Declare() }

// Configure sets the options a go test entry runs the tree with.
func Configure(o Options) { opts = o }

var _ = node(func() {
	BeforeSuite(func(ctx SpecContext) {
		theLink, linkErr = openLink(opts.Port)
		if linkErr != nil {
			return
		}
		// Before any Sync of ours: an MCU without a session must refuse
		// this with Nak 8 (one that still has an earlier host's session
		// answers it; the session spec then says it cannot judge).
		if err := theLink.send(proto.TypeIdentify, 1, nil); err == nil {
			beforeSync, beforeSyncErr = theLink.response(ctx, 1, answerTimeout)
		}
		s := newSession(ctx)
		f := s.cmd(ctx, proto.TypeIdentify, nil)
		if f.Type == proto.TypeIdentifyResp {
			identity.Decode(f.Payload)
		}
	}, NodeTimeout(time.Minute))
	ReportAfterSuite("skip reasons", func(r Report) { skipped = tree.SkipReasons(r) })
	AfterSuite(func(ctx SpecContext) {
		if theLink != nil {
			s := newSession(ctx)
			s.ack(ctx, proto.TypeReset, nil) // leave every pin safe
			theLink.close()
		}
	}, NodeTimeout(time.Minute))
})

// session is one host session as the protocol defines it: started by
// Sync, commands numbered 1, 2, … after it.
type session struct {
	l   *link
	id  uint32
	seq byte
}

// newSession drains what earlier specs left on the line and starts a
// session with a fresh random identifier, failing the spec if the MCU
// does not echo it.
func newSession(ctx context.Context) *session {
	GinkgoHelper()
	Expect(linkErr).NotTo(HaveOccurred(), "the MCU's port")
	theLink.drain()
	s := &session{l: theLink, id: randomSession()}
	f := s.retry(ctx, proto.TypeSync, (&proto.Sync{Session: s.id}).Append(nil))
	Expect(f.Type).To(Equal(proto.TypeSynced), "Sync answered with %s", describe(f))
	var m proto.Sync
	Expect(m.Decode(f.Payload)).To(BeTrue(), "Synced payload % x", f.Payload)
	Expect(m.Session).To(Equal(s.id), "Synced echoes the session")
	return s
}

func randomSession() uint32 {
	var b [4]byte
	for binary.LittleEndian.Uint32(b[:]) == 0 {
		_, _ = rand.Read(b[:])
	}
	return binary.LittleEndian.Uint32(b[:])
}

// next returns the next sequence number: 1 … 255, never 0.
func (s *session) next() byte {
	s.seq++
	if s.seq == 0 {
		s.seq = 1
	}
	return s.seq
}

// cmd sends a command once with the next sequence number and returns its
// response, failing the spec if none arrives.
func (s *session) cmd(ctx context.Context, typ byte, payload []byte) proto.Frame {
	GinkgoHelper()
	seq := s.next()
	Expect(s.l.send(typ, seq, payload)).To(Succeed())
	f, err := s.l.response(ctx, seq, answerTimeout)
	Expect(err).NotTo(HaveOccurred(), "the response to %s (sequence %d)", proto.TypeName(typ), seq)
	return f
}

// retry sends a command as the protocol's host does — the same bytes
// every RTO until a response arrives, at most 20 times here — and returns
// the response.
func (s *session) retry(ctx context.Context, typ byte, payload []byte) proto.Frame {
	GinkgoHelper()
	seq := s.next()
	wire := proto.AppendFrame(nil, typ, seq, payload)
	for i := 0; i < 20; i++ {
		Expect(s.l.write(wire)).To(Succeed())
		if f, err := s.l.response(ctx, seq, rto); err == nil {
			return f
		}
	}
	Fail(fmt.Sprintf("no response to %s (sequence %d) after 20 transmissions", proto.TypeName(typ), seq))
	return proto.Frame{}
}

// ack sends a command and expects an Ack.
func (s *session) ack(ctx context.Context, typ byte, payload []byte) {
	GinkgoHelper()
	f := s.cmd(ctx, typ, payload)
	Expect(f.Type).To(Equal(proto.TypeAck), "%s answered with %s", proto.TypeName(typ), describe(f))
}

// nak sends a command and returns the Nak code it must be refused with.
func (s *session) nak(ctx context.Context, typ byte, payload []byte) byte {
	GinkgoHelper()
	f := s.cmd(ctx, typ, payload)
	Expect(f.Type).To(Equal(proto.TypeNak), "%s (payload % x) answered with %s, want a Nak", proto.TypeName(typ), payload, describe(f))
	var n proto.Nak
	Expect(n.Decode(f.Payload)).To(BeTrue())
	return n.Code
}

// describe names a frame for failure messages.
func describe(f proto.Frame) string {
	s := proto.TypeName(f.Type)
	if s == "" {
		s = fmt.Sprintf("type %#x", f.Type)
	}
	if f.Type == proto.TypeNak && len(f.Payload) == 1 {
		s += " " + proto.NakName(f.Payload[0])
	}
	return s
}

// ticks converts a duration to the MCU's ticks.
// mcuTime reads the MCU's surroundings' clock (Options.MCUTime, else the
// host's).
func mcuTime(ctx context.Context) time.Duration {
	if opts.MCUTime != nil {
		t, err := opts.MCUTime(ctx)
		Expect(err).NotTo(HaveOccurred(), "the MCU's time")
		return t
	}
	return time.Since(hostEpoch)
}

var hostEpoch = time.Now()

func ticks(d time.Duration) uint32 {
	return uint32(uint64(d) * uint64(identity.TickHz) / uint64(time.Second))
}

// jumper returns the two wired pins, or skips the spec saying what it
// needs.
func jumper() (a, b uint8) {
	GinkgoHelper()
	if opts.Jumper == nil {
		Skip("needs two MCU pins wired together: give --jumper A:B (for the virtual MCU: gpiohil mcu virtual --jumper A:B)")
	}
	return uint8(opts.Jumper[0]), uint8(opts.Jumper[1])
}

// freePins returns two pins the suite may drive without a jumper: the
// jumper's when there is one, else pins 0 and 1.
func freePins() (a, b uint8) {
	if opts.Jumper != nil {
		return uint8(opts.Jumper[0]), uint8(opts.Jumper[1])
	}
	return 0, 1
}

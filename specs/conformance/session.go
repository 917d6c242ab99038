package conformance

import (
	"context"
	"time"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// pulseReports waits quiet for reports to settle, then returns the
// PulseDone reports of the command with sequence number seq.
func pulseReports(quiet time.Duration, seq byte) []proto.PulseDone {
	time.Sleep(quiet)
	var out []proto.PulseDone
	for _, f := range theLink.reports(proto.TypePulseDone) {
		var m proto.PulseDone
		if m.Decode(f.Payload) && m.CmdSeq == seq {
			out = append(out, m)
		}
	}
	return out
}

// shortPulse is a one-pulse train of 100 µs: a command with exactly one
// report per execution, the suite's counter of executions.
func shortPulse(pin uint8) []byte {
	return (&proto.Pulse{Pin: pin, Active: 1, Width: max(ticks(100*time.Microsecond), 1), Count: 1}).Append(nil)
}

// quiet is how long the suite watches for reports that must not come.
const quiet = 300 * time.Millisecond

var _ = node(func() {
	Describe("Identify", Label("identify"), func() {
		It("answers who it is, in this protocol's version", func(ctx SpecContext) {
			s := newSession(ctx)
			f := s.cmd(ctx, proto.TypeIdentify, nil)
			Expect(f.Type).To(Equal(proto.TypeIdentifyResp))
			var id proto.Identify
			Expect(id.Decode(f.Payload)).To(BeTrue(), "IdentifyResp payload % x", f.Payload)
			Expect(id.Protocol).To(Equal(byte(proto.Version)))
			Expect(id.TickHz).To(BeNumerically(">", 0))
			Expect(id.Pins).To(BeNumerically(">=", 2))
			Expect(id.Pins).To(BeNumerically("<=", proto.MaxPins))
			Expect(utf8.ValidString(id.BoardName())).To(BeTrue(), "board name % x is not UTF-8", id.BoardName())
			Expect(id.Caps&^0x7f).To(BeZero(), "capability bits beyond 6")
			Expect(id.Caps.Has(proto.CapPulse|proto.CapProbe)).To(BeTrue(), "pulse trains and probes")
			AddReportEntry("MCU", id.BoardName()+", caps "+id.Caps.String())
		}, SpecTimeout(specTimeout))
	})

	Describe("Sessions", Label("session"), func() {
		It("refuses commands before the first Sync", func(ctx SpecContext) {
			Expect(linkErr).NotTo(HaveOccurred())
			Expect(beforeSyncErr).NotTo(HaveOccurred(), "no answer to Identify sent before the first Sync")
			if beforeSync.Type == proto.TypeIdentifyResp {
				Skip("the MCU still had an earlier host's session (no command ends one): power-cycle it to check this rule")
			}
			Expect(describe(beforeSync)).To(Equal("nak no session"), "Identify before any Sync")
		})

		It("executes the first command of a new session even if its bytes equal the last session's last command", func(ctx SpecContext) {
			a, _ := freePins()
			s := newSession(ctx)
			s.seq = 41
			s.ack(ctx, proto.TypePulse, shortPulse(a))
			Expect(pulseReports(quiet, 42)).To(HaveLen(1))
			s2 := newSession(ctx)
			s2.seq = 41 // the same sequence number, the same bytes
			s2.ack(ctx, proto.TypePulse, shortPulse(a))
			Expect(pulseReports(quiet, 42)).To(HaveLen(1), "the command was answered from the previous session's memory, not executed")
		}, SpecTimeout(specTimeout))

		It("restarts the report sequence at 1 with each session, not with Reset", func(ctx SpecContext) {
			a, _ := freePins()
			s := newSession(ctx)
			s.ack(ctx, proto.TypePulse, shortPulse(a))
			done := pulseReports(quiet, s.seq)
			Expect(done).To(HaveLen(1))
			Expect(done[0].Seq).To(Equal(uint32(1)), "the first report of a session")
			s.ack(ctx, proto.TypeReset, nil)
			s.ack(ctx, proto.TypePulse, shortPulse(a))
			done = pulseReports(quiet, s.seq)
			Expect(done).To(HaveLen(1))
			Expect(done[0].Seq).To(Equal(uint32(2)), "Reset must not restart the report sequence")
		}, SpecTimeout(specTimeout))

		It("ends everything of the previous session on Sync, without reports", func(ctx SpecContext) {
			a, _ := freePins()
			s := newSession(ctx)
			long := (&proto.Pulse{Pin: a, Active: 1, Width: ticks(time.Second), Count: 3}).Append(nil)
			s.ack(ctx, proto.TypePulse, long)
			newSession(ctx)
			Expect(pulseReports(quiet, s.seq)).To(BeEmpty(), "a train of the previous session reported into the new one")
		}, SpecTimeout(specTimeout))
	})

	Describe("Duplicates", Label("duplicates"), func() {
		It("answers a retransmission from memory and runs the command once", func(ctx SpecContext) {
			a, _ := freePins()
			s := newSession(ctx)
			seq := s.next()
			wire := proto.AppendFrame(nil, proto.TypePulse, seq, shortPulse(a))
			var answers [][]byte
			for i := 0; i < 3; i++ {
				f := exchange(ctx, wire, seq)
				Expect(f.Type).To(Equal(proto.TypeAck), "transmission %d answered with %s", i+1, describe(f))
				answers = append(answers, proto.AppendFrame(nil, f.Type, f.Seq, f.Payload))
			}
			Expect(answers[1]).To(Equal(answers[0]))
			Expect(answers[2]).To(Equal(answers[0]))
			Expect(pulseReports(quiet, seq)).To(HaveLen(1), "executions of a command sent three times")
		}, SpecTimeout(specTimeout))

		It("is not fooled by a heartbeat between a command and its retransmission", func(ctx SpecContext) {
			a, _ := freePins()
			s := newSession(ctx)
			seq := s.next()
			wire := proto.AppendFrame(nil, proto.TypePulse, seq, shortPulse(a))
			exchange(ctx, wire, seq)
			for i := 0; i < 2; i++ {
				f := exchange(ctx, proto.AppendFrame(nil, proto.TypePing, 0, (&proto.Ping{Token: uint32(i)}).Append(nil)), 0)
				Expect(f.Type).To(Equal(proto.TypePong), "a heartbeat is answered every time")
			}
			Expect(exchange(ctx, wire, seq).Type).To(Equal(proto.TypeAck))
			Expect(pulseReports(quiet, seq)).To(HaveLen(1), "the retransmission after a heartbeat ran the command again")
		}, SpecTimeout(specTimeout))

		It("runs a new payload under the last sequence number as a new command", func(ctx SpecContext) {
			a, b := freePins()
			s := newSession(ctx)
			seq := s.next()
			exchange(ctx, proto.AppendFrame(nil, proto.TypePulse, seq, shortPulse(a)), seq)
			exchange(ctx, proto.AppendFrame(nil, proto.TypePulse, seq, shortPulse(b)), seq)
			Expect(pulseReports(quiet, seq)).To(HaveLen(2), "a different payload was taken for a retransmission")
		}, SpecTimeout(specTimeout))
	})
})

// exchange writes wire once, exactly as given, and returns the response
// with sequence number seq.
func exchange(ctx context.Context, wire []byte, seq byte) proto.Frame {
	GinkgoHelper()
	Expect(theLink.write(wire)).To(Succeed())
	f, err := theLink.response(ctx, seq, answerTimeout)
	Expect(err).NotTo(HaveOccurred(), "the response to sequence %d", seq)
	return f
}

// pingOK checks the link still works: a Ping is answered with its token.
func pingOK(ctx context.Context, s *session) {
	GinkgoHelper()
	f := s.retry(ctx, proto.TypePing, (&proto.Ping{Token: 0xfeed}).Append(nil))
	Expect(f.Type).To(Equal(proto.TypePong))
	var m proto.Pong
	Expect(m.Decode(f.Payload)).To(BeTrue())
	Expect(m.Token).To(Equal(uint32(0xfeed)))
}

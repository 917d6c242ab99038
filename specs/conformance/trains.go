package conformance

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// edgesOn returns, and removes, the Edge reports received so far on pin.
func edgesOn(pin uint8) []proto.Edge {
	var out []proto.Edge
	for _, f := range theLink.reports(proto.TypeEdge) {
		var e proto.Edge
		if e.Decode(f.Payload) && e.Pin == pin {
			out = append(out, e)
		}
	}
	return out
}

// probeResult waits for the ProbeResult of the Probe command seq.
func probeResult(ctx context.Context, seq byte, timeout time.Duration) proto.ProbeResult {
	GinkgoHelper()
	f, err := theLink.take(ctx, timeout, func(f proto.Frame) bool {
		var m proto.ProbeResult
		return f.Type == proto.TypeProbeResult && m.Decode(f.Payload) && m.CmdSeq == seq
	})
	Expect(err).NotTo(HaveOccurred(), "the ProbeResult of probe %d", seq)
	var m proto.ProbeResult
	m.Decode(f.Payload)
	return m
}

// awaitEdges waits up to timeout, sending nothing, for n Edge reports,
// and returns those of pin, which must be all n.
func awaitEdges(pin uint8, n int, timeout time.Duration) []proto.Edge {
	GinkgoHelper()
	Eventually(func() int { return theLink.count(proto.TypeEdge) }).WithTimeout(timeout).Should(BeNumerically(">=", n),
		"edge reports arriving on their own, the host sending nothing")
	edges := edgesOn(pin)
	Expect(edges).To(HaveLen(n))
	return edges
}

// awaitPulseDone waits for the PulseDone of the Pulse command seq.
func awaitPulseDone(ctx context.Context, seq byte, timeout time.Duration) proto.PulseDone {
	GinkgoHelper()
	var m proto.PulseDone
	_, err := theLink.take(ctx, timeout, func(f proto.Frame) bool {
		return f.Type == proto.TypePulseDone && m.Decode(f.Payload) && m.CmdSeq == seq
	})
	Expect(err).NotTo(HaveOccurred(), "the PulseDone of pulse %d", seq)
	return m
}

// watch drives pin low, arms watched for both edges and forgets the
// edge reports received so far.
func watch(ctx context.Context, s *session, pin, watched uint8) {
	GinkgoHelper()
	s.ack(ctx, proto.TypeSetPin, (&proto.SetPin{Pin: pin, Drive: proto.DriveLow}).Append(nil))
	s.ack(ctx, proto.TypeArm, (&proto.Arm{Mask: 1 << watched, Edges: proto.EdgeBoth}).Append(nil))
	edgesOn(watched)
}

// nextSeq is the report sequence after prev when the only other report
// interleaved is other (the PulseDone of the train): every report of any
// type takes the next number.
func nextSeq(prev, other uint32) uint32 {
	if prev+1 == other {
		return prev + 2
	}
	return prev + 1
}

var _ = node(func() {
	Describe("Pulse trains", Label("pulses"), func() {
		It("reports every edge of a train promptly, the last one with PulseDone, not on the next command", func(ctx SpecContext) {
			a, b := jumper()
			s := newSession(ctx)
			watch(ctx, s, a, b)
			const n = 5
			width := ticks(2 * time.Millisecond)
			s.ack(ctx, proto.TypePulse, (&proto.Pulse{Pin: a, Active: 1, Width: width, Period: 2 * width, Count: n}).Append(nil))
			done := awaitPulseDone(ctx, s.seq, answerTimeout)
			Expect(done.Status).To(Equal(proto.PulseFinished))
			// Nothing more is sent: every edge must arrive on its own.
			edges := awaitEdges(b, 2*n, time.Second)
			for i, e := range edges {
				Expect(e.Level).To(Equal(uint8(1-i%2)), "edge %d: rising, falling, …", i)
				if i > 0 {
					Expect(e.Seq).To(Equal(nextSeq(edges[i-1].Seq, done.Seq)), "report sequence (shared with PulseDone)")
					Expect(e.Tick-edges[i-1].Tick).To(BeNumerically(">=", uint64(width)), "widths and gaps are minimums")
				}
			}
			Expect(done.Tick).To(BeNumerically(">=", edges[2*n-1].Tick))
			s.ack(ctx, proto.TypeReset, nil)
		}, SpecTimeout(specTimeout))

		It("reports the edges an armed pin's own train makes, the falling one with PulseDone, unprompted", func(ctx SpecContext) {
			a, _ := freePins()
			s := newSession(ctx)
			watch(ctx, s, a, a)
			s.ack(ctx, proto.TypePulse, (&proto.Pulse{Pin: a, Active: 1, Width: ticks(time.Millisecond), Count: 1}).Append(nil))
			awaitPulseDone(ctx, s.seq, answerTimeout)
			// Nothing more is sent: the falling edge must come on its own.
			Eventually(func() int { return theLink.count(proto.TypeEdge) }).WithTimeout(time.Second).Should(Equal(2),
				"edges of one pulse on an armed pin, without the host sending anything after PulseDone")
			edges := edgesOn(a)
			Expect(edges[0].Level).To(Equal(uint8(1)))
			Expect(edges[1].Level).To(Equal(uint8(0)))
			s.ack(ctx, proto.TypeReset, nil)
		}, SpecTimeout(specTimeout))

		It("reports a train cancelled by SetPin, by a new Pulse on its pin, and by Reset", func(ctx SpecContext) {
			a, _ := freePins()
			s := newSession(ctx)
			long := (&proto.Pulse{Pin: a, Active: 1, Width: ticks(10 * time.Second), Count: 2}).Append(nil)
			for _, cancel := range []struct {
				name    string
				typ     byte
				payload []byte
			}{
				{"SetPin", proto.TypeSetPin, (&proto.SetPin{Pin: a, Drive: proto.DriveLow}).Append(nil)},
				{"Pulse", proto.TypePulse, shortPulse(a)},
				{"Reset", proto.TypeReset, nil},
			} {
				s.ack(ctx, proto.TypePulse, long)
				train := s.seq
				s.ack(ctx, cancel.typ, cancel.payload)
				done := pulseReports(quiet, train)
				Expect(done).To(HaveLen(1), "%s on a running train", cancel.name)
				Expect(done[0].Status).To(Equal(proto.PulseCancelled), "%s on a running train", cancel.name)
			}
		}, SpecTimeout(specTimeout))
	})

	Describe("Probes", Label("probes"), func() {
		It("times an answered probe: t1 ≥ t0, within its timeout", func(ctx SpecContext) {
			a, b := jumper()
			s := newSession(ctx)
			s.ack(ctx, proto.TypeSetPin, (&proto.SetPin{Pin: a, Drive: proto.DriveLow}).Append(nil))
			timeout := ticks(time.Second)
			s.ack(ctx, proto.TypeProbe, (&proto.Probe{Stim: a, StimLevel: 1, Ack: b, AckEdge: proto.EdgeRising, Timeout: timeout}).Append(nil))
			r := probeResult(ctx, s.seq, answerTimeout)
			Expect(r.Status).To(Equal(proto.ProbeOK))
			Expect(r.T1).To(BeNumerically(">=", r.T0))
			Expect(r.T1 - r.T0).To(BeNumerically("<", uint64(timeout)))
			f := s.cmd(ctx, proto.TypeReadPins, nil)
			var p proto.Pins
			Expect(p.Decode(f.Payload)).To(BeTrue())
			Expect(p.Levels>>a&1).To(Equal(uint64(1)), "the stimulus stays driven after the probe")
		}, SpecTimeout(specTimeout))

		It("reports a timeout with t1 = 0 when no edge comes", func(ctx SpecContext) {
			a, b := freePins()
			s := newSession(ctx)
			s.ack(ctx, proto.TypeSetPin, (&proto.SetPin{Pin: a, Drive: proto.DriveHigh}).Append(nil))
			s.ack(ctx, proto.TypeSetPin, (&proto.SetPin{Pin: b, Drive: proto.DriveLow}).Append(nil))
			// b is driven low by the MCU itself: no edge can come.
			timeout := ticks(50 * time.Millisecond)
			s.ack(ctx, proto.TypeProbe, (&proto.Probe{Stim: a, StimLevel: 1, Ack: b, AckEdge: proto.EdgeRising, Timeout: timeout}).Append(nil))
			r := probeResult(ctx, s.seq, answerTimeout)
			Expect(r.Status).To(Equal(proto.ProbeTimeout))
			Expect(r.T1).To(BeZero())
			c := s.cmd(ctx, proto.TypeReadClock, nil)
			var clk proto.Clock
			Expect(clk.Decode(c.Payload)).To(BeTrue())
			Expect(clk.Tick-r.T0).To(BeNumerically(">=", uint64(timeout)), "reported before its timeout elapsed")
		}, SpecTimeout(specTimeout))

		It("reports a probe cancelled by SetPin on its pins, and by Reset, before the Ack", func(ctx SpecContext) {
			a, b := freePins()
			s := newSession(ctx)
			long := (&proto.Probe{Stim: a, StimLevel: 1, Ack: b, AckEdge: proto.EdgeFalling, Timeout: ticks(10 * time.Second)}).Append(nil)
			for _, cancel := range []struct {
				name    string
				typ     byte
				payload []byte
			}{
				{"SetPin on the stimulus", proto.TypeSetPin, (&proto.SetPin{Pin: a, Drive: proto.DriveLow}).Append(nil)},
				{"SetPin on the ack", proto.TypeSetPin, (&proto.SetPin{Pin: b, Drive: proto.DriveLow}).Append(nil)},
				{"Reset", proto.TypeReset, nil},
			} {
				s.ack(ctx, proto.TypeProbe, long)
				probe := s.seq
				s.ack(ctx, cancel.typ, cancel.payload)
				r := probeResult(ctx, probe, time.Millisecond) // already here: sent before the Ack
				Expect(r.Status).To(Equal(proto.ProbeCancelled), cancel.name)
				Expect(r.T1).To(BeZero())
			}
		}, SpecTimeout(specTimeout))
	})

	Describe("Report streaming", Label("reports"), func() {
		It("streams thousands of edge reports in order, none lost, none dropped", func(ctx SpecContext) {
			a, b := jumper()
			s := newSession(ctx)
			watch(ctx, s, a, b)
			const n = 1000
			width := ticks(200 * time.Microsecond)
			s.ack(ctx, proto.TypePulse, (&proto.Pulse{Pin: a, Active: 1, Width: width, Count: n}).Append(nil))
			done := awaitPulseDone(ctx, s.seq, 30*time.Second)
			edges := awaitEdges(b, 2*n, 5*time.Second)
			for i := 1; i < len(edges); i++ {
				Expect(edges[i].Seq).To(Equal(nextSeq(edges[i-1].Seq, done.Seq)), "report %d", i)
			}
			Expect(edges[len(edges)-1].Overflows).To(BeZero(), "edges the MCU dropped")
			Expect(theLink.decodeErrors()).To(BeZero(), "frames the host could not decode")
			s.ack(ctx, proto.TypeReset, nil)
		}, SpecTimeout(specTimeout))
	})
})

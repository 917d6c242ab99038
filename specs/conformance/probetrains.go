package conformance

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// needTrains skips a spec on an MCU without probe trains, saying so.
func needTrains() {
	GinkgoHelper()
	if !identity.Caps.Has(proto.CapTrain) {
		Skip("the MCU has no probe trains (capability bit 6)")
	}
}

// trainResults waits for the TrainDone of the Train command seq and
// returns it with every ProbeBatch of that train received before it.
func trainResults(ctx context.Context, seq byte, timeout time.Duration) (proto.TrainDone, []proto.ProbeBatch) {
	GinkgoHelper()
	var done proto.TrainDone
	_, err := theLink.take(ctx, timeout, func(f proto.Frame) bool {
		return f.Type == proto.TypeTrainDone && done.Decode(f.Payload) && done.CmdSeq == seq
	})
	Expect(err).NotTo(HaveOccurred(), "the TrainDone of train %d", seq)
	var batches []proto.ProbeBatch
	for _, f := range theLink.reports(proto.TypeProbeBatch) {
		var b proto.ProbeBatch
		Expect(b.Decode(f.Payload)).To(BeTrue(), "ProbeBatch payload % x", f.Payload)
		Expect(b.Seq).To(BeNumerically("<", done.Seq), "a batch after its TrainDone")
		if b.CmdSeq == seq {
			batches = append(batches, b)
		}
	}
	return done, batches
}

// probesOf flattens batches into (t0, latency) pairs, checking that they
// are contiguous from probe 0.
func probesOf(batches []proto.ProbeBatch) (t0s []uint64, latencies []uint32) {
	GinkgoHelper()
	for _, b := range batches {
		Expect(b.Index).To(BeNumerically("==", len(t0s)), "batches in order, none missing")
		Expect(b.Entries[0].DT0).To(BeZero(), "a batch's first entry is its t0")
		for _, e := range b.Entries[:b.N] {
			t0s = append(t0s, b.T0+uint64(e.DT0))
			latencies = append(latencies, e.Latency)
		}
	}
	return t0s, latencies
}

var _ = node(func() {
	Describe("Probe trains", Label("probe-trains"), func() {
		It("runs every probe of a train, alternating the stimulus, and reports each answered in order", func(ctx SpecContext) {
			needTrains()
			a, b := jumper()
			s := newSession(ctx)
			s.ack(ctx, proto.TypeSetPin, (&proto.SetPin{Pin: a, Drive: proto.DriveLow}).Append(nil))
			const n = 300
			timeout := ticks(time.Second)
			s.ack(ctx, proto.TypeTrain, (&proto.Train{Stim: a, StimLevel: 1, Ack: b, AckEdge: proto.EdgeBoth, Count: n, Timeout: timeout}).Append(nil))
			done, batches := trainResults(ctx, s.seq, 60*time.Second)
			Expect(done.Status).To(Equal(proto.TrainFinished))
			Expect(done.Count).To(BeNumerically("==", n))
			t0s, lat := probesOf(batches)
			Expect(t0s).To(HaveLen(n), "every probe reported")
			for i := range t0s {
				Expect(lat[i]).To(BeNumerically("<", timeout), "probe %d answered within its timeout", i)
				if i > 0 {
					Expect(t0s[i]).To(BeNumerically(">=", t0s[i-1]+uint64(lat[i-1])), "probe %d started before probe %d's answer", i, i-1)
				}
			}
			f := s.cmd(ctx, proto.TypeReadPins, nil)
			var p proto.Pins
			Expect(p.Decode(f.Payload)).To(BeTrue())
			Expect(p.Levels>>a&1).To(BeZero(), "the stimulus stays at the last (odd) probe's level, low")
		}, SpecTimeout(specTimeout))

		It("times out unanswered probes, each reported, and spaces starts by the period", func(ctx SpecContext) {
			needTrains()
			a, b := freePins()
			s := newSession(ctx)
			s.ack(ctx, proto.TypeSetPin, (&proto.SetPin{Pin: b, Drive: proto.DriveLow}).Append(nil))
			// b is driven low by the MCU itself: no edge can come.
			timeout, period := ticks(5*time.Millisecond), ticks(20*time.Millisecond)
			s.ack(ctx, proto.TypeTrain, (&proto.Train{Stim: a, StimLevel: 1, Ack: b, AckEdge: proto.EdgeBoth, Count: 5, Period: period, Timeout: timeout}).Append(nil))
			done, batches := trainResults(ctx, s.seq, answerTimeout+time.Second)
			Expect(done.Count).To(BeNumerically("==", 5))
			t0s, lat := probesOf(batches)
			Expect(lat).To(HaveLen(5))
			for i := range lat {
				Expect(lat[i]).To(BeNumerically("==", proto.NoAck), "probe %d", i)
				if i > 0 {
					Expect(t0s[i]-t0s[i-1]).To(BeNumerically(">=", uint64(period)), "probes %d and %d", i-1, i)
				}
			}
		}, SpecTimeout(specTimeout))

		It("stops on StopTrain, on SetPin on its pins and on Reset, reporting what ran before the Ack", func(ctx SpecContext) {
			needTrains()
			a, b := freePins()
			s := newSession(ctx)
			long := (&proto.Train{Stim: a, StimLevel: 1, Ack: b, AckEdge: proto.EdgeBoth, Count: 1 << 30, Timeout: ticks(time.Millisecond)}).Append(nil)
			for _, stop := range []struct {
				name    string
				typ     byte
				payload []byte
			}{
				{"StopTrain", proto.TypeStopTrain, nil},
				{"SetPin on the ack", proto.TypeSetPin, (&proto.SetPin{Pin: b, Drive: proto.DriveLow}).Append(nil)},
				{"Reset", proto.TypeReset, nil},
			} {
				s.ack(ctx, proto.TypeTrain, long)
				train := s.seq
				time.Sleep(20 * time.Millisecond)
				s.ack(ctx, stop.typ, stop.payload)
				done, batches := trainResults(ctx, train, time.Millisecond) // already here: sent before the Ack
				Expect(done.Status).To(Equal(proto.TrainCancelled), stop.name)
				t0s, _ := probesOf(batches)
				Expect(t0s).To(HaveLen(int(done.Count)), "%s: every probe counted was reported", stop.name)
			}
			s.ack(ctx, proto.TypeStopTrain, nil) // no train: just acknowledged
		}, SpecTimeout(specTimeout))

		It("refuses a second train, a train of no probes, and stim = ack", func(ctx SpecContext) {
			needTrains()
			a, b := freePins()
			s := newSession(ctx)
			Expect(s.nak(ctx, proto.TypeTrain, (&proto.Train{Stim: a, StimLevel: 1, Ack: b, AckEdge: proto.EdgeBoth, Count: 0, Timeout: 1}).Append(nil))).To(Equal(proto.NakBadArgument))
			Expect(s.nak(ctx, proto.TypeTrain, (&proto.Train{Stim: a, StimLevel: 1, Ack: a, AckEdge: proto.EdgeBoth, Count: 1, Timeout: 1}).Append(nil))).To(Equal(proto.NakBadArgument))
			s.ack(ctx, proto.TypeTrain, (&proto.Train{Stim: a, StimLevel: 1, Ack: b, AckEdge: proto.EdgeBoth, Count: 1 << 30, Timeout: ticks(time.Millisecond)}).Append(nil))
			Expect(s.nak(ctx, proto.TypeTrain, (&proto.Train{Stim: a, StimLevel: 1, Ack: b, AckEdge: proto.EdgeBoth, Count: 1, Timeout: 1}).Append(nil))).To(Equal(proto.NakBusy))
			s.ack(ctx, proto.TypeReset, nil)
			theLink.drain()
		}, SpecTimeout(specTimeout))
	})
})

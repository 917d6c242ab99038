package conformance

import (
	"bytes"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/rig/proto"
)

var _ = node(func() {
	Describe("Commands", Label("commands"), func() {
		It("answers Ping with the token and its tick, ReadClock with a tick that advances", func(ctx SpecContext) {
			s := newSession(ctx)
			f := s.cmd(ctx, proto.TypePing, (&proto.Ping{Token: 0xdecafbad}).Append(nil))
			var pong proto.Pong
			Expect(f.Type).To(Equal(proto.TypePong))
			Expect(pong.Decode(f.Payload)).To(BeTrue())
			Expect(pong.Token).To(Equal(uint32(0xdecafbad)))
			f = s.cmd(ctx, proto.TypeReadClock, nil)
			var c1, c2 proto.Clock
			Expect(f.Type).To(Equal(proto.TypeClock))
			Expect(c1.Decode(f.Payload)).To(BeTrue())
			Expect(c1.Tick).To(BeNumerically(">=", pong.Tick))
			// The MCU's time read after the first reading and before the
			// second bounds the ticks between them from below.
			from := mcuTime(ctx)
			time.Sleep(10 * time.Millisecond)
			elapsed := mcuTime(ctx) - from
			Expect(c2.Decode(s.cmd(ctx, proto.TypeReadClock, nil).Payload)).To(BeTrue())
			Expect(c2.Tick-c1.Tick+1).To(BeNumerically(">=", uint64(ticks(elapsed))), "the ticks of %v", elapsed)
		}, SpecTimeout(specTimeout))

		It("drives pins and reads back the driven levels", func(ctx SpecContext) {
			a, b := freePins()
			s := newSession(ctx)
			for _, tc := range []struct{ da, db proto.Drive }{{proto.DriveHigh, proto.DriveLow}, {proto.DriveLow, proto.DriveHigh}} {
				s.ack(ctx, proto.TypeSetPin, (&proto.SetPin{Pin: a, Drive: tc.da}).Append(nil))
				s.ack(ctx, proto.TypeSetPin, (&proto.SetPin{Pin: b, Drive: tc.db}).Append(nil))
				f := s.cmd(ctx, proto.TypeReadPins, nil)
				var p proto.Pins
				Expect(f.Type).To(Equal(proto.TypePins))
				Expect(p.Decode(f.Payload)).To(BeTrue())
				Expect(p.Levels>>a&1 == 1).To(Equal(tc.da == proto.DriveHigh), "pin %d driven %v", a, tc.da)
				Expect(p.Levels>>b&1 == 1).To(Equal(tc.db == proto.DriveHigh), "pin %d driven %v", b, tc.db)
			}
			s.ack(ctx, proto.TypeReset, nil)
		}, SpecTimeout(specTimeout))

		It("acknowledges Arm, Disarm and Reset", func(ctx SpecContext) {
			a, _ := freePins()
			s := newSession(ctx)
			s.ack(ctx, proto.TypeArm, (&proto.Arm{Mask: 1 << a, Edges: proto.EdgeBoth}).Append(nil))
			s.ack(ctx, proto.TypeArm, (&proto.Arm{Mask: 1 << a, Edges: proto.EdgeRising}).Append(nil))
			s.ack(ctx, proto.TypeDisarm, (&proto.Arm{Mask: 1 << a}).Append(nil))
			s.ack(ctx, proto.TypeReset, nil)
		}, SpecTimeout(specTimeout))
	})

	Describe("Refusals", Label("naks"), func() {
		pin := func() uint8 { a, _ := freePins(); return a }
		bad := func() uint8 { return identity.Pins } // the first pin past the MCU's
		DescribeTable("refuses with the documented code",
			func(ctx SpecContext, typ byte, payload func() []byte, want byte) {
				s := newSession(ctx)
				Expect(s.nak(ctx, typ, payload())).To(Equal(want), "want %s", proto.NakName(want))
				pingOK(ctx, s) // a refusal leaves the link working
			},
			Entry("an unknown command", byte(0x3e), func() []byte { return nil }, proto.NakUnknown),
			Entry("Identify with a payload", proto.TypeIdentify, func() []byte { return []byte{0} }, proto.NakBadLength),
			Entry("ReadPins with a payload", proto.TypeReadPins, func() []byte { return []byte{0} }, proto.NakBadLength),
			Entry("ReadClock with a payload", proto.TypeReadClock, func() []byte { return []byte{0} }, proto.NakBadLength),
			Entry("Reset with a payload", proto.TypeReset, func() []byte { return []byte{0} }, proto.NakBadLength),
			Entry("Ping of 3 bytes", proto.TypePing, func() []byte { return []byte{1, 2, 3} }, proto.NakBadLength),
			Entry("SetPin of 2 bytes", proto.TypeSetPin, func() []byte { return []byte{1, 2} }, proto.NakBadLength),
			Entry("Sync of 5 bytes", proto.TypeSync, func() []byte { return []byte{1, 2, 3, 4, 5} }, proto.NakBadLength),
			Entry("Sync with session 0", proto.TypeSync, func() []byte { return (&proto.Sync{}).Append(nil) }, proto.NakBadArgument),
			Entry("SetPin past the last pin", proto.TypeSetPin, func() []byte { return (&proto.SetPin{Pin: bad(), Drive: proto.DriveLow}).Append(nil) }, proto.NakBadPin),
			Entry("SetPin with drive 3", proto.TypeSetPin, func() []byte { return (&proto.SetPin{Pin: pin(), Drive: 3}).Append(nil) }, proto.NakBadArgument),
			Entry("SetPin with pull 3", proto.TypeSetPin, func() []byte { return (&proto.SetPin{Pin: pin(), Pull: 3}).Append(nil) }, proto.NakBadArgument),
			Entry("Arm past the last pin", proto.TypeArm, func() []byte { return (&proto.Arm{Mask: 1 << bad(), Edges: proto.EdgeBoth}).Append(nil) }, proto.NakBadPin),
			Entry("Arm with edges 0", proto.TypeArm, func() []byte { return (&proto.Arm{Mask: 1 << pin()}).Append(nil) }, proto.NakBadArgument),
			Entry("Arm with edges 4", proto.TypeArm, func() []byte { return (&proto.Arm{Mask: 1 << pin(), Edges: 4}).Append(nil) }, proto.NakBadArgument),
			Entry("Disarm past the last pin", proto.TypeDisarm, func() []byte { return (&proto.Arm{Mask: 1 << bad()}).Append(nil) }, proto.NakBadPin),
			Entry("Pulse past the last pin", proto.TypePulse, func() []byte { return (&proto.Pulse{Pin: bad(), Width: 1, Count: 1}).Append(nil) }, proto.NakBadPin),
			Entry("Pulse of width 0", proto.TypePulse, func() []byte { return (&proto.Pulse{Pin: pin(), Count: 1}).Append(nil) }, proto.NakBadArgument),
			Entry("Pulse of count 0", proto.TypePulse, func() []byte { return (&proto.Pulse{Pin: pin(), Width: 1}).Append(nil) }, proto.NakBadArgument),
			Entry("Pulse with active 2", proto.TypePulse, func() []byte { return (&proto.Pulse{Pin: pin(), Active: 2, Width: 1, Count: 1}).Append(nil) }, proto.NakBadArgument),
			Entry("Pulse with period = width", proto.TypePulse, func() []byte { return (&proto.Pulse{Pin: pin(), Width: 5, Period: 5, Count: 1}).Append(nil) }, proto.NakBadArgument),
			Entry("Probe past the last pin", proto.TypeProbe, func() []byte {
				return (&proto.Probe{Stim: pin(), Ack: bad(), AckEdge: proto.EdgeBoth, Timeout: 1}).Append(nil)
			}, proto.NakBadPin),
			Entry("Probe with stim = ack", proto.TypeProbe, func() []byte {
				return (&proto.Probe{Stim: pin(), Ack: pin(), AckEdge: proto.EdgeBoth, Timeout: 1}).Append(nil)
			}, proto.NakBadArgument),
			Entry("Probe with timeout 0", proto.TypeProbe, func() []byte {
				return (&proto.Probe{Stim: 0, Ack: 1, AckEdge: proto.EdgeBoth}).Append(nil)
			}, proto.NakBadArgument),
			Entry("Probe with stim_level 2", proto.TypeProbe, func() []byte {
				return (&proto.Probe{Stim: 0, StimLevel: 2, Ack: 1, AckEdge: proto.EdgeBoth, Timeout: 1}).Append(nil)
			}, proto.NakBadArgument),
			Entry("Probe with ack_edge 0", proto.TypeProbe, func() []byte { return (&proto.Probe{Stim: 0, Ack: 1, Timeout: 1}).Append(nil) }, proto.NakBadArgument),
		)

		It("refuses a future stimulus without scheduled output, and what the board cannot do", func(ctx SpecContext) {
			a, b := freePins()
			s := newSession(ctx)
			caps := identity.Caps
			if !caps.Has(proto.CapScheduledOut) {
				f := s.cmd(ctx, proto.TypeReadClock, nil)
				var c proto.Clock
				Expect(c.Decode(f.Payload)).To(BeTrue())
				at := c.Tick + uint64(ticks(time.Hour))
				Expect(s.nak(ctx, proto.TypeProbe, (&proto.Probe{Stim: a, Ack: b, AckEdge: proto.EdgeBoth, Timeout: 1, At: at}).Append(nil))).
					To(Equal(proto.NakNotSupported))
			}
			for bit, m := range map[proto.Caps]proto.SetPin{proto.CapHiZ: {Pin: a}, proto.CapPullUp: {Pin: a, Pull: proto.PullUp}, proto.CapPullDown: {Pin: a, Pull: proto.PullDown}} {
				if caps.Has(bit) {
					s.ack(ctx, proto.TypeSetPin, m.Append(nil))
				} else {
					Expect(s.nak(ctx, proto.TypeSetPin, m.Append(nil))).To(Equal(proto.NakNotSupported), "SetPin %+v without %v", m, bit)
				}
			}
		}, SpecTimeout(specTimeout))

		It("is busy past 4 probes and 8 trains, and a refused command cancels nothing", func(ctx SpecContext) {
			s := newSession(ctx)
			long := ticks(10 * time.Second)
			Expect(identity.Pins).To(BeNumerically(">=", 10), "this spec needs 10 pins")
			for p := uint8(0); p < 8; p++ {
				s.ack(ctx, proto.TypePulse, (&proto.Pulse{Pin: p, Active: 1, Width: long, Count: 1}).Append(nil))
			}
			Expect(s.nak(ctx, proto.TypePulse, (&proto.Pulse{Pin: 8, Active: 1, Width: long, Count: 1}).Append(nil))).To(Equal(proto.NakBusy))
			Expect(theLink.reports(proto.TypePulseDone)).To(BeEmpty(), "a refused Pulse cancelled a train")
			s.ack(ctx, proto.TypeReset, nil)
			time.Sleep(quiet) // the 8 cancellations' reports
			theLink.drain()
			for i := 0; i < 4; i++ {
				s.ack(ctx, proto.TypeProbe, (&proto.Probe{Stim: 8, Ack: 9, AckEdge: proto.EdgeBoth, Timeout: long}).Append(nil))
			}
			Expect(s.nak(ctx, proto.TypeProbe, (&proto.Probe{Stim: 8, Ack: 9, AckEdge: proto.EdgeBoth, Timeout: long}).Append(nil))).To(Equal(proto.NakBusy))
			s.ack(ctx, proto.TypeReset, nil)
		}, SpecTimeout(specTimeout))
	})

	Describe("Limits", Label("limits"), func() {
		It("takes the largest frame and drops anything larger, counting it, then carries on", func(ctx SpecContext) {
			s := newSession(ctx)
			// 48 bytes of payload: the largest frame; an unknown command,
			// so the answer shows it was decoded.
			big := bytes.Repeat([]byte{0xa5}, proto.MaxPayload)
			Expect(s.nak(ctx, 0x3e, big)).To(Equal(proto.NakUnknown), "a 53-byte frame (54 encoded) must be decoded")
			// 49 bytes of payload: a 54-byte raw frame, beyond the limit.
			seq := s.next()
			raw := append([]byte{proto.Version, 0x3e, seq}, bytes.Repeat([]byte{0xa5}, proto.MaxPayload+1)...)
			Expect(theLink.write(encodeRaw(raw))).To(Succeed())
			_, err := theLink.response(ctx, seq, quiet)
			Expect(err).To(MatchError(errNoFrame), "a 54-byte raw frame was answered")
			// A run of 300 non-zero bytes: far too long.
			Expect(theLink.write(append(bytes.Repeat([]byte{0x11}, 300), 0))).To(Succeed())
			pingOK(ctx, s)
		}, SpecTimeout(specTimeout))
	})
})

// encodeRaw appends a CRC to a raw frame without checking its size, COBS
// encodes it and adds the delimiter: a frame a sender must never send.
func encodeRaw(raw []byte) []byte {
	crc := proto.CRC16(raw)
	raw = append(raw, byte(crc), byte(crc>>8))
	var out []byte
	codeAt, code := 0, byte(1)
	out = append(out, 0)
	for _, b := range raw {
		if b == 0 {
			out[codeAt], codeAt, code = code, len(out), 1
			out = append(out, 0)
			continue
		}
		out = append(out, b)
		if code++; code == 0xff {
			out[codeAt], codeAt, code = code, len(out), 1
			out = append(out, 0)
		}
	}
	out[codeAt] = code
	return append(out, 0)
}

package firmware

import (
	"testing"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// fakeHAL is a board in memory: ticks advance only when the test says,
// serial bytes are buffers, and SetPin can trigger a test hook.
type fakeHAL struct {
	tick    uint64
	drive   [proto.MaxPins]proto.Drive
	pull    [proto.MaxPins]proto.Pull
	armed   [proto.MaxPins]bool
	inputs  uint64
	handler EdgeFunc
	rx      []byte
	tx      []byte
	onSet   func(pin int, drive proto.Drive)
	sets    int
}

func (h *fakeHAL) SetPin(pin int, drive proto.Drive, pull proto.Pull) {
	h.drive[pin], h.pull[pin] = drive, pull
	h.sets++
	if h.onSet != nil {
		h.onSet(pin, drive)
	}
}
func (h *fakeHAL) ReadPin(pin int) bool {
	switch h.drive[pin] {
	case proto.DriveHigh:
		return true
	case proto.DriveLow:
		return false
	}
	return h.inputs&(1<<pin) != 0
}
func (h *fakeHAL) ArmEdges(pin int, on bool) { h.armed[pin] = on }
func (h *fakeHAL) SetEdgeHandler(f EdgeFunc) { h.handler = f }
func (h *fakeHAL) Ticks() uint64             { return h.tick }
func (h *fakeHAL) TickHz() uint32            { return 1_000_000 }
func (h *fakeHAL) ReadSerial(p []byte) int {
	n := copy(p, h.rx)
	h.rx = h.rx[n:]
	return n
}
func (h *fakeHAL) WriteSerial(p []byte) { h.tx = append(h.tx, p...) }

// edge fires the board's edge interrupt.
func (h *fakeHAL) edge(pin int, level bool) {
	if h.armed[pin] {
		h.handler(pin, level, h.tick)
	}
}

var _ HAL = (*fakeHAL)(nil)

type bench struct {
	t    testing.TB
	hal  *fakeHAL
	core *Core
	dec  proto.Decoder
	seq  uint8
}

// newBench returns a core with a session started (Sync 0x5e55).
func newBench(t testing.TB) *bench {
	h := &fakeHAL{}
	b := &bench{t: t, hal: h, core: New(h, Config{Name: "fake", Pins: 8, Caps: proto.CapHiZ | proto.CapPullUp | proto.CapPullDown})}
	only(t, b.cmd(proto.TypeSync, (&proto.Sync{Session: 0x5e55}).Append(nil)), proto.TypeSynced)
	return b
}

// cmd sends a command and polls once; it returns the frames sent back.
func (b *bench) cmd(typ uint8, payload []byte) []proto.Frame {
	b.seq++
	return b.raw(proto.AppendFrame(nil, typ, b.seq, payload))
}

func (b *bench) raw(wire []byte) []proto.Frame {
	b.hal.rx = append(b.hal.rx, wire...)
	b.core.Poll()
	return b.out()
}

func (b *bench) out() []proto.Frame {
	var frames []proto.Frame
	for _, c := range b.hal.tx {
		if f, r := b.dec.Push(c); r == proto.Complete {
			f.Payload = append([]byte(nil), f.Payload...)
			frames = append(frames, f)
		}
	}
	b.hal.tx = b.hal.tx[:0]
	return frames
}

func only(t testing.TB, frames []proto.Frame, typ uint8) proto.Frame {
	t.Helper()
	if len(frames) != 1 || frames[0].Type != typ {
		t.Fatalf("got %+v, want one frame of type %#x", frames, typ)
	}
	return frames[0]
}

func TestIdentifyPingClock(t *testing.T) {
	b := newBench(t)
	f := only(t, b.cmd(proto.TypeIdentify, nil), proto.TypeIdentifyResp)
	var id proto.Identify
	if !id.Decode(f.Payload) || id.Protocol != proto.Version || id.Pins != 8 || id.BoardName() != "fake" ||
		id.TickHz != 1e6 || id.Caps&proto.CapProbe == 0 || f.Seq != b.seq {
		t.Fatalf("identify %+v seq %d", id, f.Seq)
	}
	b.hal.tick = 12345
	f = only(t, b.cmd(proto.TypePing, (&proto.Ping{Token: 77}).Append(nil)), proto.TypePong)
	var pong proto.Pong
	if !pong.Decode(f.Payload) || pong.Token != 77 || pong.Tick != 12345 {
		t.Fatalf("pong %+v", pong)
	}
	f = only(t, b.cmd(proto.TypeReadClock, nil), proto.TypeClock)
	var clk proto.Clock
	if !clk.Decode(f.Payload) || clk.Tick != 12345 {
		t.Fatalf("clock %+v", clk)
	}
}

func TestSetAndReadPins(t *testing.T) {
	b := newBench(t)
	only(t, b.cmd(proto.TypeSetPin, (&proto.SetPin{Pin: 2, Drive: proto.DriveHigh}).Append(nil)), proto.TypeAck)
	only(t, b.cmd(proto.TypeSetPin, (&proto.SetPin{Pin: 3, Drive: proto.DriveHiZ, Pull: proto.PullUp}).Append(nil)), proto.TypeAck)
	if b.hal.pull[3] != proto.PullUp || b.hal.drive[3] != proto.DriveHiZ {
		t.Fatal("pull not applied")
	}
	b.hal.inputs = 1 << 5
	f := only(t, b.cmd(proto.TypeReadPins, nil), proto.TypePins)
	var p proto.Pins
	if !p.Decode(f.Payload) || p.Levels != 1<<2|1<<5 {
		t.Fatalf("levels %b", p.Levels)
	}
	// Reset: every pin back to hi-z without pull.
	only(t, b.cmd(proto.TypeReset, nil), proto.TypeAck)
	for pin := 0; pin < 8; pin++ {
		if b.hal.drive[pin] != proto.DriveHiZ || b.hal.pull[pin] != proto.PullNone || b.hal.armed[pin] {
			t.Fatalf("pin %d not safe after reset", pin)
		}
	}
}

func TestNaks(t *testing.T) {
	b := newBench(t)
	for _, tc := range []struct {
		typ     uint8
		payload []byte
		code    uint8
	}{
		{0x3e, nil, proto.NakUnknown},
		{proto.TypeSetPin, []byte{1}, proto.NakBadLength},
		{proto.TypeSetPin, (&proto.SetPin{Pin: 8}).Append(nil), proto.NakBadPin},
		{proto.TypeSetPin, (&proto.SetPin{Pin: 1, Drive: 9}).Append(nil), proto.NakBadArgument},
		{proto.TypeProbe, (&proto.Probe{Stim: 1, Ack: 1, AckEdge: proto.EdgeRising, Timeout: 5}).Append(nil), proto.NakBadArgument},
		{proto.TypeProbe, (&proto.Probe{Stim: 1, Ack: 9, AckEdge: proto.EdgeRising, Timeout: 5}).Append(nil), proto.NakBadPin},
		{proto.TypePulse, (&proto.Pulse{Pin: 1, Width: 0, Count: 1}).Append(nil), proto.NakBadArgument},
		{proto.TypeArm, (&proto.Arm{Mask: 1 << 9, Edges: proto.EdgeBoth}).Append(nil), proto.NakBadPin},
		{proto.TypeArm, (&proto.Arm{Mask: 1}).Append(nil), proto.NakBadArgument},
		{proto.TypeReadPins, []byte{0}, proto.NakBadLength},
		{proto.TypeReadClock, []byte{0}, proto.NakBadLength},
		{proto.TypeReset, []byte{0}, proto.NakBadLength},
		{proto.TypeIdentify, []byte{0}, proto.NakBadLength},
		{proto.TypeProbe, (&proto.Probe{Stim: 1, Ack: 2, AckEdge: proto.EdgeRising}).Append(nil), proto.NakBadArgument},
		{proto.TypeProbe, (&proto.Probe{Stim: 1, StimLevel: 2, Ack: 2, AckEdge: proto.EdgeRising, Timeout: 5}).Append(nil), proto.NakBadArgument},
		{proto.TypeProbe, (&proto.Probe{Stim: 1, Ack: 2, AckEdge: proto.EdgeRising, Timeout: 5, At: 1 << 40}).Append(nil), proto.NakNotSupported},
		{proto.TypePulse, (&proto.Pulse{Pin: 1, Width: 5, Period: 5, Count: 1}).Append(nil), proto.NakBadArgument},
		{proto.TypePulse, (&proto.Pulse{Pin: 1, Active: 2, Width: 5, Count: 1}).Append(nil), proto.NakBadArgument},
	} {
		f := only(t, b.cmd(tc.typ, tc.payload), proto.TypeNak)
		var n proto.Nak
		if !n.Decode(f.Payload) || n.Code != tc.code {
			t.Errorf("type %#x: nak %d (%s), want %d", tc.typ, n.Code, proto.NakName(n.Code), tc.code)
		}
	}
	// A board without pulls refuses them.
	h := &fakeHAL{}
	nb := &bench{t: t, hal: h, core: New(h, Config{Pins: 4})}
	only(t, nb.cmd(proto.TypeSync, (&proto.Sync{Session: 1}).Append(nil)), proto.TypeSynced)
	f := only(t, nb.cmd(proto.TypeSetPin, (&proto.SetPin{Pin: 1, Pull: proto.PullUp}).Append(nil)), proto.TypeNak)
	if f.Payload[0] != proto.NakNotSupported {
		t.Fatalf("pull on a board without: nak %d", f.Payload[0])
	}
}

// A retransmitted command (same type, sequence and payload) gets the same
// response and is not executed twice, even with a heartbeat between; the
// same type and sequence with another payload is a new command.
func TestDuplicateCommand(t *testing.T) {
	b := newBench(t)
	b.seq = 41
	wire := proto.AppendFrame(nil, proto.TypeSetPin, 42, (&proto.SetPin{Pin: 1, Drive: proto.DriveHigh}).Append(nil))
	only(t, b.raw(wire), proto.TypeAck)
	sets := b.hal.sets
	only(t, b.raw(proto.AppendFrame(nil, proto.TypePing, 0, (&proto.Ping{}).Append(nil))), proto.TypePong)
	only(t, b.raw(wire), proto.TypeAck)
	if b.hal.sets != sets {
		t.Fatal("duplicate executed again")
	}
	other := proto.AppendFrame(nil, proto.TypeSetPin, 42, (&proto.SetPin{Pin: 1, Drive: proto.DriveLow}).Append(nil))
	only(t, b.raw(other), proto.TypeAck)
	if b.hal.sets != sets+1 || b.hal.drive[1] != proto.DriveLow {
		t.Fatal("a new payload under the last sequence number was taken for a duplicate")
	}
}

// A new session forgets the last command: the same bytes run again, and
// reports count from 1.
func TestSyncStartsASession(t *testing.T) {
	h := &fakeHAL{}
	b := &bench{t: t, hal: h, core: New(h, Config{Name: "fake", Pins: 8, Caps: proto.CapHiZ})}
	set := proto.AppendFrame(nil, proto.TypeSetPin, 1, (&proto.SetPin{Pin: 2, Drive: proto.DriveHigh}).Append(nil))
	f := only(t, b.raw(set), proto.TypeNak)
	if f.Payload[0] != proto.NakNoSession {
		t.Fatalf("a command before Sync: nak %d", f.Payload[0])
	}
	sync := func(id uint32) {
		f := only(t, b.raw(proto.AppendFrame(nil, proto.TypeSync, 1, (&proto.Sync{Session: id}).Append(nil))), proto.TypeSynced)
		var m proto.Sync
		if !m.Decode(f.Payload) || m.Session != id {
			t.Fatalf("synced %x, want %x", f.Payload, id)
		}
	}
	sync(7)
	only(t, b.raw(set), proto.TypeAck)
	sets := h.sets
	sync(8)
	if h.drive[2] != proto.DriveHiZ {
		t.Fatal("Sync left a pin driven")
	}
	only(t, b.raw(set), proto.TypeAck) // the same bytes, a new session: executed
	if h.sets <= sets || h.drive[2] != proto.DriveHigh {
		t.Fatal("the first command of a new session was taken for a duplicate of the last session's")
	}
	f = only(t, b.raw(proto.AppendFrame(nil, proto.TypeSync, 2, (&proto.Sync{}).Append(nil))), proto.TypeNak)
	if f.Payload[0] != proto.NakBadArgument {
		t.Fatalf("session 0: nak %d", f.Payload[0])
	}
}

func TestProbe(t *testing.T) {
	b := newBench(t)
	// The target answers 7 ticks after the stimulus rises.
	b.hal.onSet = func(pin int, drive proto.Drive) {
		if pin == 1 && drive == proto.DriveHigh {
			b.hal.tick += 7
			b.hal.edge(2, false) // wrong edge: ignored
			b.hal.edge(2, true)
		}
	}
	b.hal.tick = 1000
	frames := b.cmd(proto.TypeProbe, (&proto.Probe{Stim: 1, StimLevel: 1, Ack: 2, AckEdge: proto.EdgeRising, Timeout: 500}).Append(nil))
	if len(frames) != 2 || frames[0].Type != proto.TypeAck {
		t.Fatalf("frames %+v, want the ack then the result", frames)
	}
	f := only(t, frames[1:], proto.TypeProbeResult)
	var r proto.ProbeResult
	if !r.Decode(f.Payload) || r.Status != proto.ProbeOK || r.T0 != 1000 || r.T1 != 1007 || r.CmdSeq != b.seq {
		t.Fatalf("result %+v", r)
	}
	if b.hal.armed[2] {
		t.Fatal("ack pin left armed")
	}
	// No answer: a timeout after the probe's timeout, not before.
	b.hal.onSet = nil
	only(t, b.cmd(proto.TypeProbe, (&proto.Probe{Stim: 3, StimLevel: 1, Ack: 4, AckEdge: proto.EdgeBoth, Timeout: 500}).Append(nil)), proto.TypeAck)
	b.hal.tick += 499
	if next := b.core.Poll(); next != 1007+500 || len(b.out()) != 0 {
		t.Fatalf("early: next deadline %d", next)
	}
	b.hal.tick++
	b.core.Poll()
	f = only(t, b.out(), proto.TypeProbeResult)
	if !r.Decode(f.Payload) || r.Status != proto.ProbeTimeout {
		t.Fatalf("timeout result %+v", r)
	}
}

func TestProbeSlotsBusy(t *testing.T) {
	b := newBench(t)
	for i := 0; i < MaxProbes; i++ {
		only(t, b.cmd(proto.TypeProbe, (&proto.Probe{Stim: 1, Ack: 2, AckEdge: proto.EdgeRising, Timeout: 1000}).Append(nil)), proto.TypeAck)
	}
	f := only(t, b.cmd(proto.TypeProbe, (&proto.Probe{Stim: 1, Ack: 2, AckEdge: proto.EdgeRising, Timeout: 1000}).Append(nil)), proto.TypeNak)
	if f.Payload[0] != proto.NakBusy {
		t.Fatalf("nak %d", f.Payload[0])
	}
}

// Edges beyond the ring's capacity are dropped and counted, and the count
// reaches the host in the edge reports.
func TestRingOverflowReported(t *testing.T) {
	b := newBench(t)
	only(t, b.cmd(proto.TypeArm, (&proto.Arm{Mask: 1 << 6, Edges: proto.EdgeBoth}).Append(nil)), proto.TypeAck)
	for i := 0; i < RingSize+44; i++ {
		b.hal.tick++
		b.hal.edge(6, i%2 == 0)
	}
	b.core.Poll()
	frames := b.out()
	if len(frames) != RingSize {
		t.Fatalf("%d reports, want %d", len(frames), RingSize)
	}
	var e proto.Edge
	if !e.Decode(frames[len(frames)-1].Payload) || e.Overflows != 44 || e.Seq != RingSize {
		t.Fatalf("last report %+v", e)
	}
	// Rising only: falling edges are not reported.
	only(t, b.cmd(proto.TypeArm, (&proto.Arm{Mask: 1 << 6, Edges: proto.EdgeRising}).Append(nil)), proto.TypeAck)
	b.hal.edge(6, false)
	b.hal.edge(6, true)
	b.core.Poll()
	f := only(t, b.out(), proto.TypeEdge)
	if !e.Decode(f.Payload) || e.Level != 1 {
		t.Fatalf("report %+v", e)
	}
	only(t, b.cmd(proto.TypeDisarm, (&proto.Arm{Mask: 1 << 6}).Append(nil)), proto.TypeAck)
	if b.hal.armed[6] {
		t.Fatal("disarm left the pin armed")
	}
}

func TestPulseTrain(t *testing.T) {
	b := newBench(t)
	var highs, lows int
	b.hal.onSet = func(pin int, drive proto.Drive) {
		if pin == 5 && drive == proto.DriveHigh {
			highs++
		}
		if pin == 5 && drive == proto.DriveLow {
			lows++
		}
	}
	only(t, b.cmd(proto.TypePulse, (&proto.Pulse{Pin: 5, Active: 1, Width: 10, Period: 25, Count: 3}).Append(nil)), proto.TypeAck)
	var done []proto.Frame
	for i := 0; i < 100 && len(done) == 0; i++ {
		b.core.Poll()
		done = b.out()
		b.hal.tick++
	}
	f := only(t, done, proto.TypePulseDone)
	var d proto.PulseDone
	if !d.Decode(f.Payload) || d.Pin != 5 || highs != 3 || lows < 3 {
		t.Fatalf("done %+v after %d highs %d lows", d, highs, lows)
	}
	// 3 pulses: the last ends at 2*25 + 10 ticks.
	if d.Tick != 60 {
		t.Fatalf("train ended at tick %d, want 60", d.Tick)
	}
}

// Garbage on the serial line costs nothing but the garbled frame.
func TestGarbageThenCommand(t *testing.T) {
	b := newBench(t)
	garbage := []byte{0x01, 0x02, 0xff, 0x00, 0x7e, 0x00, 0x00}
	frames := b.raw(append(garbage, proto.AppendFrame(nil, proto.TypeReadClock, 9, nil)...))
	only(t, frames, proto.TypeClock)
	if b.core.DecoderStats().Errors() == 0 {
		t.Fatal("garbage not counted")
	}
}

// The firmware path of an edge report — interrupt push, Poll, encode,
// write — allocates nothing.
func TestEdgeReportAllocatesNothing(t *testing.T) {
	b := newBench(t)
	only(t, b.cmd(proto.TypeArm, (&proto.Arm{Mask: 1, Edges: proto.EdgeBoth}).Append(nil)), proto.TypeAck)
	b.hal.tx = make([]byte, 0, 1<<20)
	lvl := false
	allocs := testing.AllocsPerRun(1000, func() {
		lvl = !lvl
		b.hal.edge(0, lvl)
		b.core.Poll()
		b.hal.tx = b.hal.tx[:0]
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per edge report", allocs)
	}
}

func BenchmarkEdgeReport(b *testing.B) {
	bn := newBench(b)
	bn.cmd(proto.TypeArm, (&proto.Arm{Mask: 1, Edges: proto.EdgeBoth}).Append(nil))
	bn.hal.tx = make([]byte, 0, 4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		bn.hal.edge(0, i&1 == 0)
		bn.core.Poll()
		bn.hal.tx = bn.hal.tx[:0]
	}
}

// The edges a pulse train makes on an armed pin are reported in the step
// that made them: the last falling edge comes with PulseDone, not on the
// next wake-up.
func TestPulseEdgesReportedPromptly(t *testing.T) {
	b := newBench(t)
	b.hal.onSet = func(pin int, d proto.Drive) {
		if d != proto.DriveHiZ {
			b.hal.edge(pin, d == proto.DriveHigh)
		}
	}
	only(t, b.cmd(proto.TypeSetPin, (&proto.SetPin{Pin: 3, Drive: proto.DriveLow}).Append(nil)), proto.TypeAck)
	only(t, b.cmd(proto.TypeArm, (&proto.Arm{Mask: 1 << 3, Edges: proto.EdgeBoth}).Append(nil)), proto.TypeAck)
	frames := b.cmd(proto.TypePulse, (&proto.Pulse{Pin: 3, Active: 1, Width: 10, Count: 1}).Append(nil))
	if len(frames) != 2 || frames[0].Type != proto.TypeAck || frames[1].Type != proto.TypeEdge {
		t.Fatalf("pulse start: %+v, want the ack and the rising edge", frames)
	}
	b.hal.tick += 10
	b.core.Poll()
	frames = b.out()
	if len(frames) != 2 || frames[0].Type != proto.TypePulseDone || frames[1].Type != proto.TypeEdge {
		t.Fatalf("pulse end: %+v, want PulseDone and the falling edge in the same step", frames)
	}
	var e proto.Edge
	if !e.Decode(frames[1].Payload) || e.Level != 0 {
		t.Fatalf("falling edge %+v", e)
	}
}

// Whatever a command replaces is reported cancelled, never left waiting:
// a train by SetPin on its pin, a probe by SetPin on its stimulus, every
// running thing by Reset.
func TestCancellationsAreReported(t *testing.T) {
	b := newBench(t)
	pulse := (&proto.Pulse{Pin: 4, Active: 1, Width: 100, Count: 5}).Append(nil)
	only(t, b.cmd(proto.TypePulse, pulse), proto.TypeAck)
	frames := b.cmd(proto.TypeSetPin, (&proto.SetPin{Pin: 4, Drive: proto.DriveLow}).Append(nil))
	var pd proto.PulseDone
	if len(frames) != 2 || frames[0].Type != proto.TypePulseDone || !pd.Decode(frames[0].Payload) ||
		pd.Status != proto.PulseCancelled || pd.Pin != 4 || frames[1].Type != proto.TypeAck {
		t.Fatalf("SetPin on a pulsing pin: %+v", frames)
	}
	only(t, b.cmd(proto.TypeProbe, (&proto.Probe{Stim: 1, Ack: 2, AckEdge: proto.EdgeRising, Timeout: 1000}).Append(nil)), proto.TypeAck)
	probeSeq := b.seq
	frames = b.cmd(proto.TypeSetPin, (&proto.SetPin{Pin: 1, Drive: proto.DriveLow}).Append(nil))
	var pr proto.ProbeResult
	if len(frames) != 2 || !pr.Decode(frames[0].Payload) || pr.Status != proto.ProbeCancelled || pr.CmdSeq != probeSeq {
		t.Fatalf("SetPin on a probe's stimulus: %+v", frames)
	}
	only(t, b.cmd(proto.TypePulse, pulse), proto.TypeAck)
	only(t, b.cmd(proto.TypeProbe, (&proto.Probe{Stim: 5, Ack: 6, AckEdge: proto.EdgeRising, Timeout: 1000}).Append(nil)), proto.TypeAck)
	frames = b.cmd(proto.TypeReset, nil)
	if len(frames) != 3 || frames[0].Type != proto.TypeProbeResult || frames[1].Type != proto.TypePulseDone || frames[2].Type != proto.TypeAck {
		t.Fatalf("Reset with a probe and a train running: %+v", frames)
	}
}

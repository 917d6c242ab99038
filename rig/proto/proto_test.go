package proto

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"strconv"
	"testing"
)

// The CRC is CRC-16/CCITT-FALSE: its check value over "123456789".
func TestCRC16Check(t *testing.T) {
	if got := CRC16([]byte("123456789")); got != 0x29b1 {
		t.Fatalf("check value %#04x, want 0x29b1", got)
	}
}

func decodeAll(d *Decoder, wire []byte) (frames []Frame, results []Result) {
	for _, c := range wire {
		f, r := d.Push(c)
		if r == Complete {
			f.Payload = append([]byte(nil), f.Payload...)
			frames = append(frames, f)
		}
		if r != NeedMore {
			results = append(results, r)
		}
	}
	return
}

func TestFrameRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var d Decoder
	for n := 0; n <= MaxPayload; n++ {
		p := make([]byte, n)
		rng.Read(p)
		if n%3 == 0 {
			for i := range p {
				p[i] = 0 // all delimiters inside
			}
		}
		wire := AppendFrame(nil, TypeProbe, byte(n), p)
		if bytes.IndexByte(wire[:len(wire)-1], 0) >= 0 {
			t.Fatalf("encoded frame holds a 0x00 before its end")
		}
		if len(wire) > MaxEncoded {
			t.Fatalf("encoded %d bytes > MaxEncoded %d", len(wire), MaxEncoded)
		}
		frames, _ := decodeAll(&d, wire)
		if len(frames) != 1 || frames[0].Type != TypeProbe || frames[0].Seq != byte(n) || !bytes.Equal(frames[0].Payload, p) {
			t.Fatalf("payload of %d bytes: decoded %+v", n, frames)
		}
	}
}

// Garbage, a corrupted frame, an overlong run and a frame of another
// version each cost one frame; the next valid frame decodes.
func TestDecoderResynchronises(t *testing.T) {
	good := AppendFrame(nil, TypePing, 7, []byte{1, 2, 3, 4})
	bad := AppendFrame(nil, TypePing, 8, []byte{1, 2, 3, 4})
	bad[3] ^= 0x40
	other := append([]byte(nil), good...)
	// Re-encode with version 3.
	raw := []byte{3, TypePing, 9, 1, 2, 3, 4}
	crc := CRC16(raw)
	other = append(cobsEncode(nil, append(raw, byte(crc), byte(crc>>8))), 0)
	var stream []byte
	stream = append(stream, 0x13, 0x37, 0xff, 0)
	stream = append(stream, bad...)
	stream = append(stream, bytes.Repeat([]byte{0x55}, 3*MaxEncoded)...)
	stream = append(stream, 0)
	stream = append(stream, other...)
	stream = append(stream, good...)
	var d Decoder
	frames, results := decodeAll(&d, stream)
	if len(frames) != 1 || frames[0].Seq != 7 {
		t.Fatalf("frames %+v, results %v", frames, results)
	}
	s := d.Stats
	if s.BadCRC != 1 || s.TooLong != 1 || s.BadVersion != 1 || s.LastVersion != 3 || s.Frames != 1 {
		t.Fatalf("stats %+v, results %v", s, results)
	}
}

func TestMessagesRoundTrip(t *testing.T) {
	id := Identify{Protocol: Version, FwMajor: 1, FwMinor: 2, FwPatch: 3, TickHz: 1e6, Pins: 23, Caps: CapHiZ | CapProbe}
	id.SetName("pico-with-a-very-long-name")
	var id2 Identify
	if !id2.Decode(id.Append(nil)) || id2 != id || id2.BoardName() != "pico-with-a-very" {
		t.Fatalf("identify %+v", id2)
	}
	pr := ProbeResult{Seq: 1 << 30, CmdSeq: 200, Status: ProbeOK, T0: 1 << 40, T1: 1<<40 + 5}
	var pr2 ProbeResult
	if !pr2.Decode(pr.Append(nil)) || pr2 != pr {
		t.Fatalf("probe result %+v", pr2)
	}
	e := Edge{Seq: 9, Tick: 1<<63 + 1, Pin: 63, Level: 1, Overflows: 12}
	var e2 Edge
	if !e2.Decode(e.Append(nil)) || e2 != e {
		t.Fatalf("edge %+v", e2)
	}
	p := Probe{Stim: 1, StimLevel: 1, Ack: 2, AckEdge: EdgeBoth, At: 123456789, Timeout: 1000}
	var p2 Probe
	if !p2.Decode(p.Append(nil)) || p2 != p {
		t.Fatalf("probe %+v", p2)
	}
	pu := Pulse{Pin: 3, Active: 1, Width: 10, Period: 30, Count: 500}
	var pu2 Pulse
	if !pu2.Decode(pu.Append(nil)) || pu2 != pu {
		t.Fatalf("pulse %+v", pu2)
	}
	if (&p2).Decode([]byte{1, 2}) || (&id2).Decode(nil) || (&e2).Decode(make([]byte, 17)) {
		t.Fatal("short payloads decoded")
	}
	for _, m := range []interface{ Append([]byte) []byte }{&id, &pr, &e, &p, &pu, &Pong{}, &PulseDone{}, &Arm{}} {
		if n := len(m.Append(nil)); n > MaxPayload {
			t.Fatalf("%T payload %d > MaxPayload", m, n)
		}
	}
}

func TestDecoderAllocatesNothing(t *testing.T) {
	wire := AppendFrame(nil, TypeEdge, 1, make([]byte, 18))
	var d Decoder
	allocs := testing.AllocsPerRun(100, func() {
		for _, c := range wire {
			d.Push(c)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocs per frame", allocs)
	}
}

// The decoder never panics, keeps its memory fixed, and a valid frame
// after any garbage (and a delimiter) decodes.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte{0, 1, 2, 0})
	f.Add(AppendFrame(nil, TypePing, 1, []byte{1, 2, 3, 4}))
	f.Add(bytes.Repeat([]byte{0xff}, 300))
	f.Fuzz(func(t *testing.T, garbage []byte) {
		var d Decoder
		for _, c := range garbage {
			if fr, r := d.Push(c); r == Complete && len(fr.Payload) > MaxPayload {
				t.Fatalf("payload of %d bytes", len(fr.Payload))
			}
		}
		want := []byte{9, 8, 7}
		stream := append([]byte{0}, AppendFrame(nil, TypePing, 42, want)...)
		frames, _ := decodeAll(&d, stream)
		if len(frames) == 0 || frames[len(frames)-1].Seq != 42 || !bytes.Equal(frames[len(frames)-1].Payload, want) {
			t.Fatalf("no resync after %x: %+v", garbage, frames)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add(byte(1), byte(2), []byte{})
	f.Fuzz(func(t *testing.T, typ, seq byte, payload []byte) {
		if len(payload) > MaxPayload {
			payload = payload[:MaxPayload]
		}
		var d Decoder
		frames, _ := decodeAll(&d, AppendFrame(nil, typ, seq, payload))
		if len(frames) != 1 || frames[0].Type != typ || frames[0].Seq != seq || !bytes.Equal(frames[0].Payload, payload) {
			t.Fatalf("round trip: %+v", frames)
		}
	})
}

// The example frames of PROTOCOL.md, byte for byte: the document's table
// (computed from the document alone by testdata/frames.py, an independent
// implementation) against what this package encodes from the same
// values. Every message type has a row.
func TestWireExamples(t *testing.T) {
	doc, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, m := range regexp.MustCompile("(?m)^\\| ([A-Za-z ]+) \\| (\\d+) \\| `([0-9a-f ]+)` \\|$").FindAllStringSubmatch(string(doc), -1) {
		rows[m[1]+"/"+m[2]] = m[3]
	}
	id := Identify{Protocol: 2, FwMinor: 2, TickHz: 1000000, Pins: 23, Caps: CapHiZ | CapPullUp | CapPullDown | CapScheduledOut | CapPulse | CapProbe | CapTrain}
	id.SetName("pico")
	batch := ProbeBatch{Seq: 4, CmdSeq: 15, Index: 0, T0: 10000, N: 3,
		Entries: [BatchLen]BatchEntry{{0, 2500}, {5000, 2600}, {10000, NoAck}}}
	var back ProbeBatch
	if !back.Decode(batch.Append(nil)) || back != batch {
		t.Errorf("ProbeBatch round trip: %+v, want %+v", back, batch)
	}
	types := map[byte]bool{}
	for _, tc := range []struct {
		name    string
		typ     byte
		seq     byte
		payload []byte
	}{
		{"Sync", TypeSync, 1, (&Sync{Session: 0x12345678}).Append(nil)},
		{"Synced", TypeSynced, 1, (&Sync{Session: 0x12345678}).Append(nil)},
		{"Identify", TypeIdentify, 2, nil},
		{"IdentifyResp", TypeIdentifyResp, 2, id.Append(nil)},
		{"Ping", TypePing, 3, (&Ping{Token: 0xcafe}).Append(nil)},
		{"Ping heartbeat", TypePing, 0, (&Ping{}).Append(nil)},
		{"Pong", TypePong, 3, (&Pong{Token: 0xcafe, Tick: 123456789}).Append(nil)},
		{"SetPin", TypeSetPin, 7, (&SetPin{Pin: 3, Drive: DriveHigh}).Append(nil)},
		{"Ack", TypeAck, 7, nil},
		{"ReadPins", TypeReadPins, 8, nil},
		{"Pins", TypePins, 8, (&Pins{Levels: 0b1001}).Append(nil)},
		{"Pulse", TypePulse, 9, (&Pulse{Pin: 4, Active: 1, Width: 100, Period: 300, Count: 5}).Append(nil)},
		{"Arm", TypeArm, 10, (&Arm{Mask: 1 << 2, Edges: EdgeBoth}).Append(nil)},
		{"Disarm", TypeDisarm, 11, (&Arm{Mask: 1 << 2}).Append(nil)},
		{"Probe", TypeProbe, 12, (&Probe{Stim: 0, StimLevel: 1, Ack: 1, AckEdge: EdgeBoth, Timeout: 1000000}).Append(nil)},
		{"ReadClock", TypeReadClock, 5, nil},
		{"Clock", TypeClock, 5, (&Clock{Tick: 1 << 32}).Append(nil)},
		{"Reset", TypeReset, 13, nil},
		{"Nak", TypeNak, 14, (&Nak{Code: NakBadPin}).Append(nil)},
		{"Edge", TypeEdge, 1, (&Edge{Seq: 1, Tick: 5000, Pin: 2, Level: 1}).Append(nil)},
		{"ProbeResult", TypeProbeResult, 2, (&ProbeResult{Seq: 2, CmdSeq: 12, Status: ProbeOK, T0: 10000, T1: 12500}).Append(nil)},
		{"PulseDone", TypePulseDone, 3, (&PulseDone{Seq: 3, CmdSeq: 9, Pin: 4, Status: PulseFinished, Tick: 20000}).Append(nil)},
		{"Train", TypeTrain, 15, (&Train{Stim: 0, StimLevel: 0, Ack: 1, AckEdge: EdgeBoth, Count: 1000, Timeout: 1000000}).Append(nil)},
		{"StopTrain", TypeStopTrain, 16, nil},
		{"ProbeBatch", TypeProbeBatch, 4, batch.Append(nil)},
		{"TrainDone", TypeTrainDone, 5, (&TrainDone{Seq: 5, CmdSeq: 15, Status: TrainFinished, Count: 3}).Append(nil)},
	} {
		types[tc.typ] = true
		want, ok := rows[tc.name+"/"+strconv.Itoa(int(tc.seq))]
		if !ok {
			t.Errorf("PROTOCOL.md has no example %q with sequence %d", tc.name, tc.seq)
			continue
		}
		if got := fmt.Sprintf("% x", AppendFrame(nil, tc.typ, tc.seq, tc.payload)); got != want {
			t.Errorf("%s: wire %s, PROTOCOL.md says %s", tc.name, got, want)
		}
	}
	for typ := 0; typ < 0x80; typ++ {
		if (IsCommand(byte(typ)) || IsResponse(byte(typ)) || IsReport(byte(typ))) && TypeName(byte(typ)) != "" && !types[byte(typ)] {
			t.Errorf("message type %#x has no example", typ)
		}
	}
}

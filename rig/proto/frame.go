package proto

// Version is the protocol version carried in every frame. Version 2 added
// sessions (Sync), exactly-once duplicate detection keyed by the whole
// command, cancellation reports, and the version Nak.
const Version = 2

// MaxPayload is the largest payload a frame carries.
const MaxPayload = 48

// headerLen is version, type and sequence; crcLen the trailing CRC.
const (
	headerLen = 3
	crcLen    = 2
	// MaxFrame is the largest frame before COBS encoding: 53 bytes.
	MaxFrame = headerLen + MaxPayload + crcLen
	// MaxEncoded is the largest frame on the wire, delimiter included:
	// COBS adds one code byte per started run of 254 bytes (one here),
	// then the delimiter — 53 + 1 + 1 = 55 bytes.
	MaxEncoded = MaxFrame + (MaxFrame+253)/254 + 1
)

// CRC16 is CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, no
// reflection, no final XOR) of p.
func CRC16(p []byte) uint16 {
	crc := uint16(0xffff)
	for _, b := range p {
		crc ^= uint16(b) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// AppendFrame appends the wire form of a frame — COBS-encoded version,
// type, sequence, payload and CRC, then the 0x00 delimiter — to dst. A
// payload longer than MaxPayload is truncated to it; callers build
// payloads with the message types, which never exceed it.
func AppendFrame(dst []byte, typ, seq byte, payload []byte) []byte {
	if len(payload) > MaxPayload {
		payload = payload[:MaxPayload]
	}
	var raw [MaxFrame]byte
	raw[0], raw[1], raw[2] = Version, typ, seq
	n := headerLen + copy(raw[headerLen:], payload)
	crc := CRC16(raw[:n])
	raw[n], raw[n+1] = byte(crc), byte(crc>>8)
	n += crcLen
	return append(cobsEncode(dst, raw[:n]), 0)
}

// cobsEncode appends the COBS encoding of p (no delimiter) to dst.
func cobsEncode(dst, p []byte) []byte {
	codeAt := len(dst)
	dst = append(dst, 0)
	code := byte(1)
	for _, b := range p {
		if b == 0 {
			dst[codeAt] = code
			codeAt = len(dst)
			dst = append(dst, 0)
			code = 1
			continue
		}
		dst = append(dst, b)
		code++
		if code == 0xff {
			dst[codeAt] = code
			codeAt = len(dst)
			dst = append(dst, 0)
			code = 1
		}
	}
	dst[codeAt] = code
	return dst
}

// Frame is a decoded frame. Payload aliases the decoder's buffer and is
// valid until the next call to Push.
type Frame struct {
	Type    byte
	Seq     byte
	Payload []byte
}

// Result is what Push made of a byte.
type Result uint8

// Push results. Anything but NeedMore and Complete means a frame was
// dropped and the decoder has resynchronised on the next delimiter.
const (
	NeedMore   Result = iota // inside a frame
	Complete                 // a valid frame ended with this byte
	BadCOBS                  // the COBS structure was invalid
	BadCRC                   // the CRC did not match
	TooLong                  // more than MaxEncoded−1 bytes before a delimiter, or decoded past MaxFrame
	TooShort                 // shorter than a header and CRC
	BadVersion               // a frame of another protocol version (Frame has its type and sequence)
)

var resultNames = [...]string{"need-more", "complete", "bad-cobs", "bad-crc", "too-long", "too-short", "bad-version"}

// String names the result.
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "result?"
}

// Stats counts what a decoder has seen.
type Stats struct {
	Frames     uint32 // valid frames
	BadCOBS    uint32
	BadCRC     uint32
	TooLong    uint32
	TooShort   uint32
	BadVersion uint32
	// LastVersion is the version of the last frame rejected for it.
	LastVersion byte
}

// Errors returns the number of frames dropped for any reason.
func (s Stats) Errors() uint32 { return s.BadCOBS + s.BadCRC + s.TooLong + s.TooShort + s.BadVersion }

// Decoder turns a byte stream into frames. Its memory is fixed: garbage
// costs at most one frame, never a hang or an allocation. The zero value
// is ready to use.
type Decoder struct {
	enc      [MaxEncoded - 1]byte
	n        int
	overflow bool // discarding until the next delimiter
	raw      [MaxEncoded]byte
	Stats    Stats
}

// Push feeds one byte. On Complete, f is the frame (valid until the next
// Push).
func (d *Decoder) Push(c byte) (f Frame, r Result) {
	if c != 0 {
		if d.overflow {
			return f, NeedMore
		}
		if d.n == len(d.enc) {
			d.overflow = true
			d.n = 0
			d.Stats.TooLong++
			return f, TooLong
		}
		d.enc[d.n] = c
		d.n++
		return f, NeedMore
	}
	// Delimiter.
	if d.overflow {
		d.overflow = false
		return f, NeedMore
	}
	n := d.n
	d.n = 0
	if n == 0 {
		return f, NeedMore // an idle delimiter
	}
	m, ok := cobsDecode(d.raw[:], d.enc[:n])
	if !ok {
		d.Stats.BadCOBS++
		return f, BadCOBS
	}
	if m > MaxFrame {
		d.Stats.TooLong++
		return f, TooLong
	}
	if m < headerLen+crcLen {
		d.Stats.TooShort++
		return f, TooShort
	}
	body := d.raw[:m-crcLen]
	got := uint16(d.raw[m-2]) | uint16(d.raw[m-1])<<8
	if CRC16(body) != got {
		d.Stats.BadCRC++
		return f, BadCRC
	}
	if body[0] != Version {
		d.Stats.BadVersion++
		d.Stats.LastVersion = body[0]
		return Frame{Type: body[1], Seq: body[2]}, BadVersion
	}
	d.Stats.Frames++
	return Frame{Type: body[1], Seq: body[2], Payload: body[headerLen:]}, Complete
}

// cobsDecode decodes src (no delimiter) into dst, reporting false on a
// malformed encoding.
func cobsDecode(dst, src []byte) (int, bool) {
	n := 0
	for i := 0; i < len(src); {
		code := int(src[i])
		if code == 0 || i+code > len(src) {
			return 0, false
		}
		i++
		for j := 1; j < code; j++ {
			if n == len(dst) {
				return 0, false
			}
			dst[n] = src[i]
			n++
			i++
		}
		if code < 0xff && i < len(src) {
			if n == len(dst) {
				return 0, false
			}
			dst[n] = 0
			n++
		}
	}
	return n, true
}

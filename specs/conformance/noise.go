package conformance

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/rig/proto"
)

var _ = node(func() {
	Describe("Noise", Label("noise"), func() {
		// Each kind of damage on the line, then a command sent as the
		// protocol's host sends it (retransmitted until answered): it
		// must run exactly once, and the link must carry on.
		rng := rand.New(rand.NewPCG(1, 2)) // the same noise every run
		random := func(n int) func() []byte {
			return func() []byte {
				b := make([]byte, n)
				for i := range b {
					b[i] = byte(rng.Uint32())
				}
				return b
			}
		}
		truncated := func() []byte {
			f := proto.AppendFrame(nil, proto.TypePing, 200, (&proto.Ping{Token: 1}).Append(nil))
			return append(f[:len(f)-4], 0) // cut short, then a delimiter
		}
		badCRC := func() []byte {
			f := proto.AppendFrame(nil, proto.TypeReset, 201, nil)
			f[len(f)-2] ^= 0x5a
			return f
		}
		oversized := func() []byte {
			raw := append([]byte{proto.Version, proto.TypeReset, 202}, bytes.Repeat([]byte{7}, 200)...)
			return encodeRaw(raw)
		}
		DescribeTable("runs the next command exactly once after",
			func(ctx SpecContext, noise func() []byte) {
				a, _ := freePins()
				s := newSession(ctx)
				Expect(theLink.write(noise())).To(Succeed())
				f := s.retry(ctx, proto.TypePulse, shortPulse(a))
				Expect(f.Type).To(Equal(proto.TypeAck), "answered with %s", describe(f))
				Expect(pulseReports(quiet, s.seq)).To(HaveLen(1), "executions")
				pingOK(ctx, s)
			},
			Entry("1 KiB of random bytes", random(1<<10)),
			Entry("4 KiB of random bytes", random(4<<10)),
			Entry("16 KiB of random bytes", random(16<<10)),
			Entry("64 KiB of random bytes", random(64<<10)),
			Entry("a truncated frame", truncated),
			Entry("a frame with a bad CRC", badCRC),
			Entry("an oversized frame", oversized),
		)

		It("decodes a valid frame that ends a burst, without more input to wake it", func(ctx SpecContext) {
			s := newSession(ctx)
			for _, n := range []int{1018, 4 << 10, 64 << 10} {
				seq := s.next()
				burst := append(bytes.Repeat([]byte{0}, n), proto.AppendFrame(nil, proto.TypePing, seq, (&proto.Ping{Token: uint32(n)}).Append(nil))...)
				Expect(theLink.write(burst)).To(Succeed())
				// One transmission, then silence: the answer must come.
				f, err := theLink.response(ctx, seq, 5*time.Second)
				Expect(err).NotTo(HaveOccurred(), fmt.Sprintf("no answer to a Ping at the end of %d zero bytes", n))
				Expect(f.Type).To(Equal(proto.TypePong))
			}
		}, SpecTimeout(specTimeout))
	})
})

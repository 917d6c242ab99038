package specs

import (
	"errors"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/proto"
)

var _ = node(func() {
	Describe("I/O", Label("io"), func() {
		for _, fw := range Fixture().Wires {
			It(fmt.Sprintf("carries both levels both ways on wire %s", fw.Name), func(ctx SpecContext) {
				r := prepare(ctx)
				w, _ := r.Wire(fw.Name)
				for _, high := range []bool{true, false, true} {
					drive(ctx, w.Name, high)
					settle(ctx)
					Expect(targetReads(ctx, w, clx.PullNone)).To(Equal(high), "MCU drives %v, target line %s", high, w.Line)
				}
				release(ctx, w.Name, proto.PullNone)
				out := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output})
				for _, v := range []byte{1, 0, 1, 0} {
					Expect(out.Write(ctx, []byte{v})).To(Succeed())
					settle(ctx)
					Expect(mcuReads(ctx, w)).To(Equal(v == 1), "target drives %d on line %s, MCU pin %d", v, w.Line, w.MCUPin)
				}
			}, SpecTimeout(specTimeout))
		}

		It("orders a multi-pin connection's bits by connection order", func(ctx SpecContext) {
			ws := threeWiresOutOfOrder(prepare(ctx))
			in := ioConnect(ctx, clx.IOConfig{Pins: []int{ws[0].TargetPin, ws[1].TargetPin, ws[2].TargetPin}})
			for v := 0; v < 8; v++ {
				for i, w := range ws {
					drive(ctx, w.Name, v>>i&1 != 0)
				}
				settle(ctx)
				buf := []byte{0xff}
				Expect(in.Read(ctx, buf)).To(Succeed())
				Expect(int(buf[0])).To(Equal(v), "lines %s,%s,%s driven %03b", ws[0].Line, ws[1].Line, ws[2].Line, v)
			}
		}, SpecTimeout(specTimeout))

		It("refuses a second connection on a held line, naming pin and holder", func(ctx SpecContext) {
			r := prepare(ctx)
			// The last wire: on most rigs a line past the first bank's first.
			w := r.Wires[len(r.Wires)-1]
			ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Name: "spec holder"})
			_, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{w.TargetPin}})
			Expect(errors.Is(err, clx.ErrSharingViolation)).To(BeTrue(), "got %v", err)
			var pe *clx.PinError
			Expect(errors.As(err, &pe)).To(BeTrue())
			Expect(pe.Pin).To(Equal(w.TargetPin))
			Expect(pe.Holder).To(Equal("spec holder"))
			bank := w.TargetPin / r.Framework.Info().PinsPerBank
			Expect(pe.Bank).To(Equal(bank))
			// What a user reads names the same, in clx.PinError's documented
			// form, the cause once.
			Expect(err.Error()).To(Equal(fmt.Sprintf(`clx: connect-io pin %d (bank %d) held by "spec holder": %s`,
				w.TargetPin, bank, strings.TrimPrefix(clx.ErrSharingViolation.Error(), "clx: "))))
		}, SpecTimeout(specTimeout))

		It("names an unnamed connection by its kind and number, and a refusal names that holder", func(ctx SpecContext) {
			r := prepare(ctx)
			ws := threeWiresOutOfOrder(r)
			// Connections are numbered in the order the framework made
			// them, I/O and interrupt alike: io#N, io#N+1, interrupt#N+2.
			first := ioConnect(ctx, clx.IOConfig{Pins: []int{ws[0].TargetPin}, Shared: true})
			var n int
			_, err := fmt.Sscanf(first.Name(), "io#%d", &n)
			Expect(err).NotTo(HaveOccurred(), "an unnamed I/O connection's name %q", first.Name())
			Expect(n).To(BeNumerically(">", 0), "connections are numbered from 1")
			second := ioConnect(ctx, clx.IOConfig{Pins: []int{ws[1].TargetPin}})
			Expect(second.Name()).To(Equal(fmt.Sprintf("io#%d", n+1)))
			ic, err := r.Framework.ConnectInterrupt(ctx, clx.InterruptConfig{Pin: ws[2].TargetPin, Polarity: clx.ActiveHigh,
				ISR: func(clx.InterruptContext) bool { return true }})
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(ic.Close)
			Expect(ic.Name()).To(Equal(fmt.Sprintf("interrupt#%d", n+2)))
			named := ioConnect(ctx, clx.IOConfig{Pins: []int{ws[0].TargetPin}, Shared: true, Name: "spec reader"})
			Expect(named.Name()).To(Equal("spec reader"), "a named connection keeps its name")
			for _, c := range []struct {
				w      rig.Wire
				holder string
			}{{ws[1], second.Name()}, {ws[2], ic.Name()}} {
				_, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{c.w.TargetPin}, Direction: clx.Output})
				var pe *clx.PinError
				Expect(errors.As(err, &pe)).To(BeTrue(), "wire %s held: got %v", c.w.Name, err)
				Expect(pe.Holder).To(Equal(c.holder), "wire %s: the holder named", c.w.Name)
			}
		}, SpecTimeout(specTimeout))

		It("shares a line among read-only connections, and refuses an exclusive one until the last has closed", func(ctx SpecContext) {
			r := prepare(ctx)
			w := r.Wires[len(r.Wires)-1]
			readers := []*clx.IOConn{
				ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Shared: true, Name: "reader 1"}),
				ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Shared: true, Name: "reader 2"}),
			}
			for _, l := range []bool{true, false} {
				drive(ctx, w.Name, l)
				settle(ctx)
				for i, in := range readers {
					buf := []byte{0xff}
					Expect(in.Read(ctx, buf)).To(Succeed())
					Expect(buf[0] == 1).To(Equal(l), "reader %d of line %s", i+1, w.Line)
				}
			}
			for i, in := range readers {
				_, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Name: "exclusive"})
				var pe *clx.PinError
				Expect(errors.As(err, &pe)).To(BeTrue(), "an exclusive connection beside %d shared readers: %v", len(readers)-i, err)
				Expect(errors.Is(err, clx.ErrSharingViolation)).To(BeTrue(), "got %v", err)
				Expect(pe.Holder).To(HavePrefix("reader "))
				Expect(in.Close()).To(Succeed())
			}
			ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Name: "exclusive"})
		}, SpecTimeout(specTimeout))

		It("opens a multi-pin output with each line at its own initial level", func(ctx SpecContext) {
			r := prepare(ctx)
			ws := threeWiresOutOfOrder(r)
			pins := []int{ws[0].TargetPin, ws[1].TargetPin, ws[2].TargetPin}
			for _, w := range ws {
				release(ctx, w.Name, proto.PullNone)
			}
			for _, initial := range []byte{0b101, 0b010, 0b110} {
				out, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: pins, Direction: clx.Output, Initial: []byte{initial}})
				Expect(err).NotTo(HaveOccurred())
				settle(ctx)
				for i, w := range ws {
					Expect(mcuReads(ctx, w)).To(Equal(initial>>i&1 != 0), "line %s, bit %d of initial %03b", w.Line, i, initial)
				}
				buf := []byte{0xff}
				Expect(out.Read(ctx, buf)).To(Succeed())
				Expect(buf[0]).To(Equal(initial), "read back at open")
				Expect(out.Close()).To(Succeed())
			}
		}, SpecTimeout(specTimeout))

		It("reads back the latch of an output connection", func(ctx SpecContext) {
			r := prepare(ctx)
			w := r.Wires[0]
			release(ctx, w.Name, proto.PullNone)
			out := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output})
			for _, v := range []byte{1, 0} {
				Expect(out.Write(ctx, []byte{v})).To(Succeed())
				buf := []byte{0xff}
				Expect(out.Read(ctx, buf)).To(Succeed())
				Expect(buf[0]).To(Equal(v))
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(Equal(v == 1))
			}
		}, SpecTimeout(specTimeout))

		It("keeps an output driving after close where its resource preserves it", Label("cap:hi-z"), func(ctx SpecContext) {
			needCap("hi-z", Fixture().Capabilities.HiZ)
			r := prepare(ctx)
			if why := r.PreserveUnsupported(); why != "" {
				Skip(why)
			}
			w := r.Wires[len(r.Wires)-1]
			for _, v := range []byte{1, 0} {
				// Each level against the MCU's pull that would show it let go.
				pull := proto.PullDown
				if v == 0 {
					pull = proto.PullUp
				}
				release(ctx, w.Name, pull)
				out, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Initial: []byte{v},
					Restriction: clx.RestrictNoneAndPreserve, Name: "preserved output"})
				Expect(err).NotTo(HaveOccurred())
				Expect(out.Close()).To(Succeed())
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(Equal(v == 1), "line %s after its preserved output at %d closed", w.Line, v)
			}
			// A connection after it takes the line over, and closing that
			// one (not preserved) lets it go.
			in := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Input})
			Expect(in.Close()).To(Succeed())
			settle(ctx)
			Expect(mcuReads(ctx, w)).To(BeTrue(), "line %s still driven low after an input connection closed", w.Line)
		}, SpecTimeout(specTimeout))

		for _, fw := range Fixture().Wires {
			It(fmt.Sprintf("returns wire %s's line to its default state on close", fw.Name), Label("cap:pulls", "cap:hi-z"), func(ctx SpecContext) {
				needCap("MCU pulls and hi-z", Fixture().Capabilities.Pulls && Fixture().Capabilities.HiZ)
				r := prepare(ctx)
				w, _ := r.Wire(fw.Name)
				out := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Initial: []byte{1}})
				release(ctx, w.Name, proto.PullDown)
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(BeTrue(), "the output on line %s drives high over the MCU's pull-down", w.Line)
				Expect(out.Close()).To(Succeed())
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(BeFalse(), "closed line %s still drives high", w.Line)
				release(ctx, w.Name, proto.PullUp)
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(BeTrue(), "closed line %s still drives low", w.Line)
				// A pull the target put on the line goes with its connection:
				// the MCU's opposite pull is all that is left, on both ends.
				for _, tc := range []struct {
					target clx.Pull
					mcu    proto.Pull
					rest   bool
				}{{clx.PullUp, proto.PullDown, false}, {clx.PullDown, proto.PullUp, true}} {
					release(ctx, w.Name, tc.mcu)
					in := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Pull: tc.target})
					Expect(in.Close()).To(Succeed())
					settle(ctx)
					Expect(mcuReads(ctx, w)).To(Equal(tc.rest), "line %s keeps the target's pull %v after its input connection closed", w.Line, tc.target)
					got, err := r.ReadTarget(ctx, w.Name, clx.PullNone)
					Expect(err).NotTo(HaveOccurred())
					Expect(got).To(Equal(tc.rest), "the target reads line %s under its closed connection's pull %v, not the MCU's", w.Line, tc.target)
				}
			}, SpecTimeout(specTimeout))

			It(fmt.Sprintf("senses the target's pulls on wire %s with the MCU pin released", fw.Name), Label("cap:pulls", "cap:hi-z"), func(ctx SpecContext) {
				needCap("pulls and hi-z", Fixture().Capabilities.Pulls && Fixture().Capabilities.HiZ)
				r := prepare(ctx)
				w, _ := r.Wire(fw.Name)
				release(ctx, w.Name, proto.PullNone)
				for _, tc := range []struct {
					pull clx.Pull
					want bool
				}{{clx.PullUp, true}, {clx.PullDown, false}, {clx.PullUp, true}} {
					in := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Pull: tc.pull})
					settle(ctx)
					Expect(mcuReads(ctx, w)).To(Equal(tc.want), "the MCU reads line %s under the target's pull %v", w.Line, tc.pull)
					buf := []byte{0xff}
					Expect(in.Read(ctx, buf)).To(Succeed())
					Expect(buf[0] == 1).To(Equal(tc.want), "the target reads its own line %s under its pull %v", w.Line, tc.pull)
					Expect(in.Close()).To(Succeed())
				}
			}, SpecTimeout(specTimeout))
		}

		It("writes several lines at once and leaves every other line as it was", func(ctx SpecContext) {
			r := prepare(ctx)
			if len(r.Wires) < 3 {
				Skip(fmt.Sprintf("needs 3 wires; fixture %s has %d", Fixture().Name, len(r.Wires)))
			}
			// Two output connections over every wire, interleaved; the first
			// in reverse line order.
			var groups [2][]rig.Wire
			for i, w := range r.Wires {
				if i%2 == 0 {
					groups[0] = append([]rig.Wire{w}, groups[0]...)
				} else {
					groups[1] = append(groups[1], w)
				}
			}
			level := map[string]bool{}
			var conns [2]*clx.IOConn
			for k, g := range groups {
				pins := make([]int, len(g))
				for i, w := range g {
					release(ctx, w.Name, proto.PullNone)
					pins[i], level[w.Name] = w.TargetPin, false
				}
				conns[k] = ioConnect(ctx, clx.IOConfig{Pins: pins, Direction: clx.Output, Name: fmt.Sprintf("multi-line %d", k)})
			}
			settle(ctx)
			edges := watchWires(ctx, r.Wires...)
			names := make([]string, len(r.Wires))
			for i, w := range r.Wires {
				names[i] = w.Name
			}
			// Every pattern on each connection in turn, the other's lines
			// holding what they last had. The lines start low and every
			// step reads each level back, so a write's changes are known.
			for step, pattern := range []uint64{^uint64(0), 0x5555555555555555, 0xaaaaaaaaaaaaaaaa, 0x3, 0} {
				for k, g := range groups {
					buf := make([]byte, (len(g)+7)/8)
					changed := map[string]bool{}
					for i, w := range g {
						high := pattern>>i&1 != 0
						if high {
							buf[i/8] |= 1 << (i % 8)
						}
						changed[w.Name] = level[w.Name] != high
						level[w.Name] = high
					}
					Expect(conns[k].Write(ctx, buf)).To(Succeed())
					back := make([]byte, len(buf))
					Expect(conns[k].Read(ctx, back)).To(Succeed())
					Expect(back).To(Equal(buf), "step %d: connection %d reads back", step, k)
					settle(ctx)
					per := edges.perWire(edges.quiet())
					got, err := r.ReadMCU(ctx, names...)
					Expect(err).NotTo(HaveOccurred())
					for i, w := range r.Wires {
						Expect(got[i]).To(Equal(level[w.Name]), "step %d, connection %d wrote %08b: line %s", step, k, buf, w.Line)
						want := 0
						if changed[w.Name] {
							want = 1
						}
						Expect(per[w.Name]).To(Equal(want), "step %d, connection %d wrote %08b: edges on line %s (changed: %v, now %v)",
							step, k, buf, w.Line, changed[w.Name], level[w.Name])
					}
				}
			}
		}, SpecTimeout(specTimeout))
	})
})

// threeWiresOutOfOrder returns the rig's last three wires in an order
// unlike their lines' (last, third-last, second-last), so a multi-pin
// connection over them orders its bits differently from the lines; a rig
// with fewer wires skips the spec.
func threeWiresOutOfOrder(r *rig.Rig) []rig.Wire {
	if len(r.Wires) < 3 {
		Skip(fmt.Sprintf("needs 3 wires; fixture %s has %d", Fixture().Name, len(r.Wires)))
	}
	return []rig.Wire{r.Wires[len(r.Wires)-1], r.Wires[len(r.Wires)-3], r.Wires[len(r.Wires)-2]}
}

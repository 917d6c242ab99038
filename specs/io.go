package specs

import (
	"errors"
	"fmt"

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
			r := prepare(ctx)
			if len(r.Wires) < 3 {
				Skip(fmt.Sprintf("needs 3 wires; fixture %s has %d", Fixture().Name, len(r.Wires)))
			}
			// The last three wires, in reverse: connection order differs from
			// line order.
			ws := []rig.Wire{r.Wires[len(r.Wires)-1], r.Wires[len(r.Wires)-3], r.Wires[len(r.Wires)-2]}
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
			w := r.Wires[0]
			ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Name: "spec holder"})
			_, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{w.TargetPin}})
			Expect(errors.Is(err, clx.ErrSharingViolation)).To(BeTrue(), "got %v", err)
			var pe *clx.PinError
			Expect(errors.As(err, &pe)).To(BeTrue())
			Expect(pe.Pin).To(Equal(w.TargetPin))
			Expect(pe.Holder).To(Equal("spec holder"))
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

		It("returns a line to its default state on close", Label("cap:pulls", "cap:hi-z"), func(ctx SpecContext) {
			needCap("MCU pulls and hi-z", Fixture().Capabilities.Pulls && Fixture().Capabilities.HiZ)
			r := prepare(ctx)
			w := r.Wires[0]
			out, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Initial: []byte{1}})
			Expect(err).NotTo(HaveOccurred())
			release(ctx, w.Name, proto.PullDown)
			settle(ctx)
			Expect(mcuReads(ctx, w)).To(BeTrue(), "the output drives high over the MCU's pull-down")
			Expect(out.Close()).To(Succeed())
			settle(ctx)
			Expect(mcuReads(ctx, w)).To(BeFalse(), "a closed line still drives high")
			release(ctx, w.Name, proto.PullUp)
			settle(ctx)
			Expect(mcuReads(ctx, w)).To(BeTrue(), "a closed line still drives low")
		}, SpecTimeout(specTimeout))

		It("senses the target's pulls with the MCU pin released", Label("cap:pulls", "cap:hi-z"), func(ctx SpecContext) {
			needCap("pulls and hi-z", Fixture().Capabilities.Pulls && Fixture().Capabilities.HiZ)
			r := prepare(ctx)
			w := r.Wires[0]
			release(ctx, w.Name, proto.PullNone)
			for _, tc := range []struct {
				pull clx.Pull
				want bool
			}{{clx.PullUp, true}, {clx.PullDown, false}, {clx.PullUp, true}} {
				in, err := r.Framework.ConnectIO(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Pull: tc.pull})
				Expect(err).NotTo(HaveOccurred())
				settle(ctx)
				Expect(mcuReads(ctx, w)).To(Equal(tc.want), "target pull %v", tc.pull)
				Expect(in.Close()).To(Succeed())
			}
		}, SpecTimeout(specTimeout))
	})
})

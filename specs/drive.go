package specs

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// Open-drain and open-source outputs drive one level and let go of the
// other. The far end is the MCU's pin, released with a pull: the level the
// MCU reads while the output lets go is its own pull's, which the spec
// turns both ways, so an output that drives where it should let go (a
// push-pull stage) is caught.
var _ = node(func() {
	Describe("Output drive", Label("io", "drive"), func() {
		DescribeTable("an output drives its active level only and floats at the other, on every wire",
			func(ctx SpecContext, drive clx.Drive, active bool) {
				needCap("open_drain (the MCU seeing an output let go of its line)", Fixture().Capabilities.OpenDrain)
				r := prepare(ctx)
				idle := !active
				for _, w := range r.Wires {
					By(fmt.Sprintf("wire %s (target line %s, MCU pin %d)", w.Name, w.Line, w.MCUPin))
					release(ctx, w.Name, pullTo(idle))
					out := ioConnect(ctx, clx.IOConfig{Pins: []int{w.TargetPin}, Direction: clx.Output, Drive: drive,
						Initial: []byte{bit(idle)}, Name: drive.String() + " spec"})
					settle(ctx)
					Expect(mcuReads(ctx, w)).To(Equal(idle), "%s output at %s, MCU pulled %s", drive, proto.DriveLevel(idle), proto.DriveLevel(idle))
					release(ctx, w.Name, pullTo(active))
					settle(ctx)
					Expect(mcuReads(ctx, w)).To(Equal(active), "%s output at %s must let go: the MCU's pull to %s decides the line",
						drive, proto.DriveLevel(idle), proto.DriveLevel(active))
					release(ctx, w.Name, pullTo(idle))
					for _, level := range []bool{active, idle, active} {
						Expect(out.Write(ctx, []byte{bit(level)})).To(Succeed())
						settle(ctx)
						Expect(mcuReads(ctx, w)).To(Equal(level), "%s output written %s, MCU pulled %s", drive, proto.DriveLevel(level), proto.DriveLevel(idle))
					}
					Expect(out.Close()).To(Succeed())
					release(ctx, w.Name, proto.PullNone)
				}
			},
			Entry("open-drain: drives low, floats high", clx.DriveOpenDrain, false, Label("cap:open-drain"), SpecTimeout(specTimeout)),
			Entry("open-source: drives high, floats low", clx.DriveOpenSource, true, Label("cap:open-drain"), SpecTimeout(specTimeout)),
		)
	})
})

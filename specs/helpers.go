package specs

import (
	"context"
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// specTimeout bounds every spec that waits on a wire.
const specTimeout = 2 * time.Minute

// prepare is the common start of a spec past bring-up: wiring healthy,
// MCU pins released, every stimulus driven low.
func prepare(ctx context.Context) *rig.Rig {
	GinkgoHelper()
	requireWiring()
	Expect(theRig.IdleStimuli(ctx)).To(Succeed())
	watchReported(theRig)
	return theRig
}

func needPairs(n int) {
	GinkgoHelper()
	if have := len(Fixture().Probes); have < n {
		Skip(fmt.Sprintf("needs %d probe pairs; fixture %s has %d", n, Fixture().Name, have))
	}
}

func needCap(what string, ok bool) {
	GinkgoHelper()
	if !ok {
		Skip(fmt.Sprintf("needs %s, which fixture %s does not declare in capabilities", what, Fixture().Name))
	}
}

func pair(i int) rig.Pair {
	GinkgoHelper()
	needPairs(i + 1)
	return theRig.Pairs[i]
}

// respond connects a responder and closes it when the spec ends.
func respond(ctx context.Context, cfg rig.ResponderConfig) *rig.Responder {
	GinkgoHelper()
	rs, err := theRig.Respond(ctx, cfg)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(rs.Close)
	// Connecting drives the ack line to its start level: let the MCU see
	// that before the spec watches for answers.
	settle(ctx)
	return rs
}

// respondBoth readies a pair for probes with a mirroring active-both
// responder (rig.RespondMirror); probes should start by driving low.
func respondBoth(ctx context.Context, p rig.Pair) *rig.Responder {
	GinkgoHelper()
	rs, err := theRig.RespondMirror(ctx, p.Name)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(rs.Close)
	return rs
}

// drive makes the MCU drive a wire.
func drive(ctx context.Context, wire string, high bool) {
	GinkgoHelper()
	Expect(theRig.Drive(ctx, wire, high)).To(Succeed())
}

// release makes the MCU let go of a wire, with a pull.
func release(ctx context.Context, wire string, pull proto.Pull) {
	GinkgoHelper()
	Expect(theRig.Release(ctx, wire, pull)).To(Succeed())
}

// probe drives the stimulus to high (or low) and waits up to timeout for
// any edge on the ack wire.
func probe(ctx context.Context, p rig.Pair, high bool, timeout time.Duration) rig.ProbeResult {
	GinkgoHelper()
	res, err := theRig.ProbeOn(ctx, p, high, timeout)
	Expect(err).NotTo(HaveOccurred())
	return res
}

// collectAcks arms the ack wire, runs do, and gathers ack edges until want
// have arrived (or the probe timeout passed), then for quiet longer to
// catch any extra.
func collectAcks(ctx context.Context, p rig.Pair, want int, quiet time.Duration, do func()) []rig.EdgeEvent {
	GinkgoHelper()
	sub, stop, err := theRig.Watch(ctx, 4096, p.Ack.Name)
	Expect(err).NotTo(HaveOccurred())
	defer stop()
	if do != nil {
		do()
	}
	var got []rig.EdgeEvent
	deadline := time.NewTimer(Fixture().Timing.ProbeTimeout)
	defer deadline.Stop()
	for len(got) < want {
		select {
		case e := <-sub.C():
			got = append(got, e)
		case <-deadline.C:
			return got
		case <-ctx.Done():
			return got
		}
	}
	extra := time.NewTimer(quiet)
	defer extra.Stop()
	for {
		select {
		case e := <-sub.C():
			got = append(got, e)
		case <-extra.C:
			Expect(sub.Dropped()).To(BeZero(), "edge reports dropped by a slow subscriber")
			return got
		case <-ctx.Done():
			return got
		}
	}
}

// ioConnect opens a target I/O connection for the spec's duration.
func ioConnect(ctx context.Context, cfg clx.IOConfig) *clx.IOConn {
	GinkgoHelper()
	c, err := theRig.Framework.ConnectIO(ctx, cfg)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return c
}

// mcuReads returns the level the MCU reads on a wire.
func mcuReads(ctx context.Context, w rig.Wire) bool {
	GinkgoHelper()
	l, err := theRig.ReadMCU(ctx, w.Name)
	Expect(err).NotTo(HaveOccurred())
	return l[0]
}

// targetReads returns the level the target reads on a wire's line.
func targetReads(ctx context.Context, w rig.Wire, pull clx.Pull) bool {
	GinkgoHelper()
	l, err := theRig.ReadTarget(ctx, w.Name, pull)
	Expect(err).NotTo(HaveOccurred())
	return l
}

// settle lets levels cross the wires.
func settle(ctx context.Context) {
	GinkgoHelper()
	Expect(theRig.Settle(ctx)).To(Succeed())
}

// lacks reports whether err says the controller lacks the optional
// controller group g (clx.ErrNotSupported), and fails the spec when the
// fixture requires that group.
func lacks(g string, err error) bool {
	GinkgoHelper()
	if !errors.Is(err, clx.ErrNotSupported) {
		return false
	}
	// The group is the whole controller's: the refusal names no pin.
	var pe *clx.PinError
	if errors.As(err, &pe) {
		Expect(pe.Pin).To(Equal(-1), "a refusal for want of the %s group names no pin: %v", g, err)
	}
	if Fixture().Capabilities.Requires(g) {
		Fail(fmt.Sprintf("fixture %s requires the controller group %s (capabilities.groups), and clx says: %v", Fixture().Name, g, err))
	}
	return true
}

// skipWithout skips the spec when err says the controller lacks the
// optional controller group g, unless the fixture requires it.
func skipWithout(g string, err error) {
	GinkgoHelper()
	if lacks(g, err) {
		Skip(fmt.Sprintf("the controller has no %s group: %v", g, err))
	}
}

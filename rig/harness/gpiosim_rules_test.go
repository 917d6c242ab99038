package harness

import (
	"testing"

	"github.com/warthog618/go-gpiocdev"

	"github.com/gpiohil/gpiohil/rig/firmware"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// The two rules GPIOSim models a wire's ends by, case by case: what the
// line's gpio-sim pull must hold, and what the MCU is told. The QEMU tier's
// I/O specs exercise them on a real kernel.

func consumerOf(dir gpiocdev.LineDirection, bias gpiocdev.LineBias) gpiocdev.LineInfo {
	return gpiocdev.LineInfo{Used: true, Config: gpiocdev.LineConfig{Direction: dir, Bias: bias}}
}

var (
	released   = gpiocdev.LineInfo{}
	inNoBias   = consumerOf(gpiocdev.LineDirectionInput, gpiocdev.LineBiasDisabled)
	inPullUp   = consumerOf(gpiocdev.LineDirectionInput, gpiocdev.LineBiasPullUp)
	inPullDown = consumerOf(gpiocdev.LineDirectionInput, gpiocdev.LineBiasPullDown)
	output     = consumerOf(gpiocdev.LineDirectionOutput, gpiocdev.LineBiasUnknown)
	// A bias on an output line pulls nothing: the output drives.
	outputPullUp = consumerOf(gpiocdev.LineDirectionOutput, gpiocdev.LineBiasPullUp)
	// A released line keeps the bias its last consumer set in its info
	// on some kernels; it pulls nothing.
	releasedPullUp = gpiocdev.LineInfo{Config: gpiocdev.LineConfig{Direction: gpiocdev.LineDirectionInput, Bias: gpiocdev.LineBiasPullUp}}
)

func TestGPIOSimPull(t *testing.T) {
	drive := func(high bool) firmware.PinOutput { return firmware.PinOutput{Driven: true, Level: high} }
	pull := func(p proto.Pull) firmware.PinOutput { return firmware.PinOutput{Pull: p} }
	floating := firmware.PinOutput{}
	for _, tc := range []struct {
		name   string
		mcu    firmware.PinOutput
		target gpiocdev.LineInfo
		level  int
		ok     bool
	}{
		{"MCU drives high over the target's pull-down", drive(true), inPullDown, 1, true},
		{"MCU drives low over the target's pull-up", drive(false), inPullUp, 0, true},
		{"MCU drives low under a target output", drive(false), output, 0, true},
		{"MCU's pull-down over the target's pull-up", pull(proto.PullDown), inPullUp, 0, true},
		{"MCU's pull-up on a released line", pull(proto.PullUp), released, 1, true},
		{"target's pull-up with the MCU floating", floating, inPullUp, 1, true},
		{"target's pull-down with the MCU floating", floating, inPullDown, 0, true},
		{"nothing holds an unbiased input", floating, inNoBias, 0, false},
		{"nothing holds a released line", floating, released, 0, false},
		{"a released line's stale bias holds nothing", floating, releasedPullUp, 0, false},
		{"an output's bias holds nothing", floating, outputPullUp, 0, false},
	} {
		level, ok := gpioSimPull(tc.mcu, tc.target)
		if ok != tc.ok || (ok && level != tc.level) {
			t.Errorf("%s: got level %d, held %v; want %d, %v", tc.name, level, ok, tc.level, tc.ok)
		}
	}
}

func TestGPIOSimToMCU(t *testing.T) {
	for _, tc := range []struct {
		name          string
		target        gpiocdev.LineInfo
		value         int
		driven, level bool
	}{
		{"an output drives its value high", output, 1, true, true},
		{"an output drives its value low", output, 0, true, false},
		{"an output with a bias drives its value", outputPullUp, 0, true, false},
		{"an input's pull-up is seen as a high level, whatever the line reads", inPullUp, 0, true, true},
		{"an input's pull-down is seen as a low level", inPullDown, 1, true, false},
		{"an unbiased input carries nothing", inNoBias, 1, false, false},
		{"a released line carries nothing", released, 1, false, false},
		{"a released line's stale bias carries nothing", releasedPullUp, 1, false, false},
	} {
		driven, level := gpioSimToMCU(tc.target, tc.value)
		if driven != tc.driven || (driven && level != tc.level) {
			t.Errorf("%s: got driven %v level %v; want %v %v", tc.name, driven, level, tc.driven, tc.level)
		}
	}
}

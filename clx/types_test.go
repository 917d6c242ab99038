package clx_test

import (
	"fmt"
	"testing"

	"github.com/gpiohil/gpiohil/clx"
)

// The names a user reads in errors and logs: every vocabulary value by
// name, and a value past the last name as Type(n), not a panic.
func TestVocabularyNames(t *testing.T) {
	for _, c := range []struct {
		got  fmt.Stringer
		want string
	}{
		{clx.Low, "low"}, {clx.High, "high"}, {clx.Level(2), "Level(2)"},
		{clx.PullDefault, "default"}, {clx.PullDown, "down"}, {clx.Pull(4), "Pull(4)"},
		{clx.DriveOpenSource, "open-source"}, {clx.Drive(4), "Drive(4)"},
		{clx.Input, "input"}, {clx.Output, "output"}, {clx.Direction(2), "Direction(2)"},
		{clx.RestrictNoneAndPreserve, "none-and-preserve"}, {clx.Restriction(4), "Restriction(4)"},
		{clx.Edge, "edge"}, {clx.LevelSensitive, "level"}, {clx.Mode(2), "Mode(2)"},
		{clx.ActiveBoth, "active-both"}, {clx.Polarity(3), "Polarity(3)"},
	} {
		if s := c.got.String(); s != c.want {
			t.Errorf("%T %d: %q, want %q", c.got, c.got, s, c.want)
		}
	}
}

func TestFlagsString(t *testing.T) {
	for _, c := range []struct {
		f    clx.Flags
		want string
	}{
		{0, "0"},
		{clx.MemoryMapped, "MemoryMapped"},
		{clx.IndependentIO, "IndependentIO"},
		{clx.MemoryMapped | clx.IOAsMasks | clx.EmulateDebounce, "MemoryMapped|IOAsMasks|EmulateDebounce"},
		{1 << 6, "0x40"},
		{clx.AutoClearOnRead | 1<<7 | 1<<9, "AutoClearOnRead|0x280"},
	} {
		if s := c.f.String(); s != c.want {
			t.Errorf("Flags %#x: %q, want %q", uint32(c.f), s, c.want)
		}
	}
}

// Banks and BankPins at the edges: an exact multiple, a short last bank, a
// bank past the last, and no bank size at all.
func TestInfoBanks(t *testing.T) {
	for _, c := range []struct {
		info  clx.Info
		banks int
		pins  []int // BankPins(0), BankPins(1), …, one past the last bank
	}{
		{clx.Info{TotalPins: 64, PinsPerBank: 32}, 2, []int{32, 32, 0}},
		{clx.Info{TotalPins: 40, PinsPerBank: 6}, 7, []int{6, 6, 6, 6, 6, 6, 4, 0}},
		{clx.Info{TotalPins: 5, PinsPerBank: 8}, 1, []int{5, 0}},
		{clx.Info{TotalPins: 1, PinsPerBank: 1}, 1, []int{1, 0}},
		{clx.Info{TotalPins: 8}, 0, nil},
	} {
		if got := c.info.Banks(); got != c.banks {
			t.Errorf("%+v: Banks %d, want %d", c.info, got, c.banks)
		}
		for b, want := range c.pins {
			if got := c.info.BankPins(b); got != want {
				t.Errorf("%+v: BankPins(%d) = %d, want %d", c.info, b, got, want)
			}
		}
	}
}

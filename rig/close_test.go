package rig

import (
	"context"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/clx"
	"github.com/gpiohil/gpiohil/fixtures"
	"github.com/gpiohil/gpiohil/rig/proto"
)

// Close leaves the pins safe: a responder's ack line, still driven by an
// open connection, is released, and the MCU's pins are hi-z.
func TestCloseLeavesPinsSafe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fx, err := fixtures.Load("sim")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, fx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Respond(ctx, ResponderConfig{Pair: "pair0", Polarity: clx.ActiveBoth, AckStart: clx.High}); err != nil {
		t.Fatal(err)
	}
	if err := r.Drive(ctx, "stim0", true); err != nil {
		t.Fatal(err)
	}
	st := r.target.(*simTarget)
	ack, _ := r.Wire("ack0")
	if l, out, _ := st.ctrl.Pad(ack.TargetPin); !out || l != clx.High {
		t.Fatalf("ack line before close: output=%v level=%v, want a driven high", out, l)
	}
	m := r.mcu.(*virtualMCU).m
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if l, out, _ := st.ctrl.Pad(ack.TargetPin); out || l != clx.Low {
		t.Fatalf("ack line after close: output=%v level=%v, want released", out, l)
	}
	stim, _ := r.Wire("stim0")
	if o := m.Output(stim.MCUPin); o.Driven || o.Pull != proto.PullNone {
		t.Fatalf("MCU stimulus pin after close: %+v, want hi-z without pull", o)
	}
}

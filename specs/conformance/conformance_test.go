package conformance

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/rig/harness"
	"github.com/gpiohil/gpiohil/rig/virtual"
)

// TestConformance runs the suite against a virtual MCU served on a
// pseudo-terminal — the firmware core through the real serial path — with
// pins 0 and 1 jumpered.
func TestConformance(t *testing.T) {
	v, err := virtual.New(virtual.Config{Name: "conformance"})
	if err != nil {
		t.Fatal(err)
	}
	if err := harness.Jumper(v, 0, 1); err != nil {
		t.Fatal(err)
	}
	path, err := v.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	Configure(Options{Port: path, Jumper: &[2]int{0, 1}})
	RegisterFailHandler(Fail)
	Declare()
	RunSpecs(t, "gpiohil mcu conformance on the virtual MCU")
}

package specs

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gpiohil/gpiohil/fixtures"
)

// TestSpecs runs the tree on the fixture GPIOHIL_FIXTURE names (a file or
// an embedded fixture), the embedded sim fixture by default.
func TestSpecs(t *testing.T) {
	fx, err := fixtures.Load(os.Getenv(FixtureEnv))
	if err != nil {
		t.Fatalf("%s: %v", FixtureEnv, err)
	}
	Configure(fx)
	RegisterFailHandler(Fail)
	buildTree()
	RunSpecs(t, "gpiohil on "+fx.Name)
}

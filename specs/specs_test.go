package specs

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// TestSpecs runs the tree on the fixture GPIOHIL_FIXTURE names (a file or
// an embedded fixture), the embedded sim fixture by default.
func TestSpecs(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "gpiohil on "+Fixture().Name)
}

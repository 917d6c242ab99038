package specs

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"

	"github.com/onsi/ginkgo/v2/reporters"
)

// JUnit property names gpiohil adds to the report Ginkgo writes: on the
// test suite, the rig and what it measured; on each test case, its ID.
const (
	PropFixture       = "gpiohil.fixture"        // the fixture's name
	PropFixtureSource = "gpiohil.fixture.source" // its file, or embedded:NAME
	PropTier          = "gpiohil.tier"           // sim, qemu, emulated or hardware
	PropController    = "gpiohil.controller"     // the target's controller driver
	PropMCU           = "gpiohil.mcu"            // the MCU's kind, and its port or USB identity
	PropHost          = "gpiohil.host"           // the machine that ran the check
	PropVersion       = "gpiohil.version"        // gpiohil's version
	PropMeasurement   = "gpiohil.measurement."   // + a Measurement's name: "<value> <unit>"
	PropID            = "gpiohil.id"             // on a test case: its SpecOutcome ID
)

// suiteProperties are the rig's description and the measurements.
func suiteProperties(res Results, version string) []reporters.JUnitProperty {
	fx := res.Fixture
	host, _ := os.Hostname()
	mcu := fx.MCU.Kind
	switch {
	case fx.MCU.Port != "":
		mcu += " " + fx.MCU.Port
	case fx.MCU.USB.VID != "":
		mcu += " usb " + fx.MCU.USB.VID + ":" + fx.MCU.USB.PID
		if fx.MCU.USB.Serial != "" {
			mcu += " serial " + fx.MCU.USB.Serial
		}
	}
	props := []reporters.JUnitProperty{
		{Name: PropFixture, Value: fx.Name},
		{Name: PropFixtureSource, Value: fx.Source},
		{Name: PropTier, Value: fx.Tier},
		{Name: PropController, Value: fx.Target.Controller},
		{Name: PropMCU, Value: mcu},
		{Name: PropHost, Value: host},
		{Name: PropVersion, Value: version},
	}
	for _, m := range res.Measurements() {
		props = append(props, reporters.JUnitProperty{Name: PropMeasurement + m.Name, Value: formatValue(m.Value) + " " + m.Unit})
	}
	return props
}

// addJUnitProperties rewrites the JUnit report at path with gpiohil's
// properties: the suite's (suiteProperties) and each test case's ID.
func addJUnitProperties(path string, res Results, version string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	var suites reporters.JUnitTestSuites
	if err := xml.Unmarshal(raw, &suites); err != nil {
		return fmt.Errorf("junit report %s: %w", path, err)
	}
	for i := range suites.TestSuites {
		s := &suites.TestSuites[i]
		s.Properties.Properties = append(s.Properties.Properties, suiteProperties(res, version)...)
		// Test cases come in the order the specs ran, as the outcomes do;
		// a name goes on with the spec's labels: "… [io, cap:pulls]".
		next := 0
		for j := range s.TestCases {
			tc := &s.TestCases[j]
			if next == len(res.Specs) {
				break
			}
			o := res.Specs[next]
			if tc.Name != o.Name && !strings.HasPrefix(tc.Name, o.Name+" [") {
				continue
			}
			next++
			if tc.Properties == nil {
				tc.Properties = &reporters.JUnitProperties{}
			}
			tc.Properties.Properties = append(tc.Properties.Properties, reporters.JUnitProperty{Name: PropID, Value: o.ID})
		}
	}
	out, err := xml.MarshalIndent(suites, "", "  ")
	if err != nil {
		return fmt.Errorf("junit report %s: %w", path, err)
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(out, '\n')...), 0o644)
}

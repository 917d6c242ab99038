package bench

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// Metadata describes a run: what was measured, on what, when.
type Metadata struct {
	Fixture      string    `json:"fixture"`
	FixtureFile  string    `json:"fixture_source"`
	Tier         string    `json:"tier"`
	Host         string    `json:"host"`
	Kernel       string    `json:"kernel"`
	PreemptRT    bool      `json:"preempt_rt"`
	Governor     string    `json:"cpu_governor"`
	IsolatedCPUs string    `json:"isolated_cpus"`
	CPUs         int       `json:"cpus"`
	GoVersion    string    `json:"go_version"`
	Version      string    `json:"gpiohil_version"`
	Commit       string    `json:"gpiohil_commit"`
	MCU          MCUInfo   `json:"mcu"`
	Clock        ClockInfo `json:"clock"`
	Started      time.Time `json:"started"`
	Finished     time.Time `json:"finished"`
	Interrupted  bool      `json:"interrupted"`
}

// MCUInfo is the MCU's identify answer.
type MCUInfo struct {
	Board    string `json:"board"`
	Firmware string `json:"firmware"`
	Protocol int    `json:"protocol"`
	TickHz   uint32 `json:"tick_hz"`
	Pins     int    `json:"pins"`
	Port     string `json:"port"`
}

// ClockInfo says how finely the tier measures and how the clocks were
// aligned for the latency split.
type ClockInfo struct {
	MCUAlignment     string  `json:"mcu_alignment"`
	MCUUncertaintyNS int64   `json:"mcu_uncertainty_ns"`
	MCUDriftPPM      float64 `json:"mcu_drift_ppm"`
	// MCUTickNS is one MCU tick; WireResolutionNS the quantisation the
	// wires add to an ack's capture (a polling harness's period; 0 where
	// each change is carried as it happens); ResolutionNS their sum, the
	// step to which a latency is known.
	MCUTickNS        int64  `json:"mcu_tick_ns"`
	WireResolutionNS int64  `json:"wire_resolution_ns"`
	ResolutionNS     int64  `json:"resolution_ns"`
	ControllerClock  string `json:"controller_clock,omitempty"`
	// ControllerUncertaintyNS bounds the controller clock's offset from
	// host time; SplitUncertaintyNS bounds each component's error: both
	// alignments and the resolution.
	ControllerUncertaintyNS int64 `json:"controller_uncertainty_ns"`
	SplitUncertaintyNS      int64 `json:"split_uncertainty_ns"`
	Split                   bool  `json:"split"`
	// NegativeComponents counts component values below zero (left out of
	// the components' statistics); NegativeBeyondUncertainty those below
	// -SplitUncertaintyNS, which no alignment error explains.
	NegativeComponents        int64 `json:"negative_components"`
	NegativeBeyondUncertainty int64 `json:"negative_beyond_uncertainty"`
}

func mcuInfo(id proto.Identify, port string) MCUInfo {
	return MCUInfo{Board: id.BoardName(), Protocol: int(id.Protocol), TickHz: id.TickHz, Pins: int(id.Pins), Port: port,
		Firmware: fmt.Sprintf("%d.%d.%d", id.FwMajor, id.FwMinor, id.FwPatch)}
}

// hostMetadata reads what the host says about itself: kernel release,
// PREEMPT_RT, the CPU governor, isolated CPUs.
func hostMetadata(m *Metadata) {
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Release[:])
		version := unix.ByteSliceToString(u.Version[:])
		m.PreemptRT = strings.Contains(version, "PREEMPT_RT")
	}
	if b, err := os.ReadFile("/sys/kernel/realtime"); err == nil && strings.TrimSpace(string(b)) == "1" {
		m.PreemptRT = true
	}
	m.Governor = readTrim("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "none (no cpufreq)")
	m.IsolatedCPUs = readTrim("/sys/devices/system/cpu/isolated", "")
	if m.IsolatedCPUs == "" {
		m.IsolatedCPUs = "none"
	}
	m.Host, _ = os.Hostname()
	m.CPUs = runtime.NumCPU()
	m.GoVersion = runtime.Version()
}

func readTrim(path, def string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return def
	}
	return strings.TrimSpace(string(b))
}

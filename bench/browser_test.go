package bench_test

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/gpiohil/gpiohil/bench"
)

// BrowserEnv names a directory where TestReportInChromium leaves its
// screenshot (make report-check sets it).
const BrowserEnv = "GPIOHIL_REPORT_SHOTS"

// report.html in a real browser: Debian's Chromium renders it headless to
// a PNG, and the plots' colours must be on the picture — the inline SVG
// drew. Skipped where Chromium is not installed (make report-check
// installs it).
func TestReportInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("Debian's chromium is not installed: make report-check installs it and runs this test")
	}
	r := openSim(t, 0)
	out := t.TempDir()
	if _, err := bench.Latency(context.Background(), r, bench.Options{N: 500, Out: out}); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv(BrowserEnv)
	if shots == "" {
		shots = t.TempDir()
	}
	shot := filepath.Join(shots, "report.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
		"--window-size=1200,1400", "--screenshot="+shot, "file://"+filepath.Join(out, "report.html"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, b)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// Count pixels of each pair's colour (pair0 blue #1f6feb, pair1 red
	// #d1242f, possibly blended with white where the bars are translucent).
	var blue, red int
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			r, g, b = r>>8, g>>8, b>>8
			switch {
			case b > 200 && r < 120 && g < 150:
				blue++
			case r > 180 && g < 90 && b < 90:
				red++
			}
		}
	}
	t.Logf("screenshot %s: %dx%d, %d blue and %d red pixels", shot, bounds.Dx(), bounds.Dy(), blue, red)
	if blue < 500 || red < 500 {
		t.Fatalf("the plots did not render: %d blue, %d red pixels", blue, red)
	}
}

package picoemu

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// program is the emulator's Node program and its pinned dependencies.
//
//go:embed pico.mjs package.json package-lock.json
var program embed.FS

// CacheDir is where gpiohil keeps what it builds and downloads:
// $GPIOHIL_CACHE, else $XDG_CACHE_HOME/gpiohil, else ~/.cache/gpiohil.
func CacheDir() (string, error) {
	if d := os.Getenv("GPIOHIL_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("picoemu: no cache directory: %w", err)
	}
	return filepath.Join(d, "gpiohil"), nil
}

// Install writes the emulator's Node program into the cache and installs
// its npm dependencies there, exactly as package-lock.json pins them
// (npm ci), unless that was done before. It returns the program's path.
// Concurrent installs wait for each other.
func Install(ctx context.Context) (string, error) {
	cache, err := CacheDir()
	if err != nil {
		return "", err
	}
	lock, _ := program.ReadFile("package-lock.json")
	sum := sha256.Sum256(lock)
	dir := filepath.Join(cache, "pico-emu", hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("picoemu: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return "", fmt.Errorf("picoemu: %w", err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return "", fmt.Errorf("picoemu: lock %s: %w", dir, err)
	}
	for _, name := range []string{"pico.mjs", "package.json", "package-lock.json"} {
		b, _ := program.ReadFile(name)
		if err := writeIfChanged(filepath.Join(dir, name), b); err != nil {
			return "", err
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "rp2040js", "package.json")); err == nil {
		return filepath.Join(dir, "pico.mjs"), nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("%w: npm not found: the emulated Pico needs Node.js 18 or newer with npm", ErrEmulator)
	}
	cmd := exec.CommandContext(ctx, npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%w: npm ci in %s: %v\n%s", ErrEmulator, dir, err, bytes.TrimSpace(out.Bytes()))
	}
	return filepath.Join(dir, "pico.mjs"), nil
}

// writeIfChanged writes b to path unless it already holds b, through a
// rename so that a reader never sees half a file.
func writeIfChanged(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("picoemu: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("picoemu: %w", err)
	}
	return nil
}

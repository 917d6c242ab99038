package rig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ErrBusy means another process holds the rig.
var ErrBusy = errors.New("rig busy")

// Lock is an exclusive lock on a rig, held through an flock(2) on a file
// named after the rig's key (its MCU port). The lock dies with its
// process, so a crashed job never leaves a rig locked.
type Lock struct {
	f    *os.File
	Path string
}

// LockDir is where lock files live: $GPIOHIL_LOCK_DIR, else
// $XDG_RUNTIME_DIR/gpiohil, else the temporary directory's gpiohil-locks.
func LockDir() string {
	if d := os.Getenv("GPIOHIL_LOCK_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "gpiohil")
	}
	return filepath.Join(os.TempDir(), "gpiohil-locks")
}

// Acquire takes the lock for key without waiting. If another process (or
// another Acquire in this one) holds it, the error wraps ErrBusy and names
// the holder.
func Acquire(key, purpose string) (*Lock, error) {
	dir := LockDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("rig lock: %w", err)
	}
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == ':' || r == ' ' {
			return '_'
		}
		return r
	}, strings.TrimPrefix(key, "/"))
	path := filepath.Join(dir, name+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("rig lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			h := strings.TrimSpace(string(holder))
			if h == "" {
				h = "an unknown process"
			}
			return nil, fmt.Errorf("%w: %s is held by %s (lock file %s)", ErrBusy, key, h, path)
		}
		return nil, fmt.Errorf("rig lock %s: %w", path, err)
	}
	host, _ := os.Hostname()
	_ = f.Truncate(0)
	fmt.Fprintf(f, "pid %d on %s (%s) since %s\n", os.Getpid(), host, purpose, time.Now().Format(time.RFC3339))
	return &Lock{f: f, Path: path}, nil
}

// Release drops the lock. Idempotent.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}

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

// Lab engines reserve a rig first (a labgrid place, a LAVA device) and run
// gpiohil inside the reservation; these variables let the rig lock agree
// with theirs.
const (
	// LockOwnerEnv names who holds the rig beyond the process, e.g.
	// "labgrid place rpi5-rig1" or "LAVA job 4242": it goes into the lock
	// file, so a second job finding the rig busy is told whose
	// reservation it ran into.
	LockOwnerEnv = "GPIOHIL_LOCK_OWNER"
	// LockWaitEnv is how long Acquire waits for a busy rig (a Go duration,
	// e.g. 30s; default 0, fail at once): a job started in a fresh
	// reservation may find the last job's gpiohil still closing.
	LockWaitEnv = "GPIOHIL_LOCK_WAIT"
)

// lockPoll is how often a waiting Acquire tries the lock again.
const lockPoll = 50 * time.Millisecond

// Acquire takes the lock for key, waiting for a holder to let go for as
// long as $GPIOHIL_LOCK_WAIT says (default: not at all). If another
// process (or another Acquire in this one) still holds it, the error wraps
// ErrBusy and names the holder.
func Acquire(key, purpose string) (*Lock, error) {
	var wait time.Duration
	if v := os.Getenv(LockWaitEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("rig lock: $%s=%q is not a duration like 30s", LockWaitEnv, v)
		}
		wait = d
	}
	deadline := time.Now().Add(wait)
	for {
		l, err := tryAcquire(key, purpose)
		if !errors.Is(err, ErrBusy) || !time.Now().Before(deadline) {
			if err != nil && wait > 0 {
				err = fmt.Errorf("%w (waited %v, $%s)", err, wait, LockWaitEnv)
			}
			return l, err
		}
		time.Sleep(min(lockPoll, time.Until(deadline)))
	}
}

// tryAcquire takes the lock for key without waiting.
func tryAcquire(key, purpose string) (*Lock, error) {
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
	owner := ""
	if o := os.Getenv(LockOwnerEnv); o != "" {
		owner = " for " + o
	}
	fmt.Fprintf(f, "pid %d on %s (%s)%s since %s\n", os.Getpid(), host, purpose, owner, time.Now().Format(time.RFC3339))
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

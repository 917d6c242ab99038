package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.bug.st/serial"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// link is the suite's own view of the serial line: raw frames, chosen
// sequence numbers, bytes written as they are. It deliberately does not
// use the reference host client (rig/mcu), whose retransmission and
// session handling are part of what the suite judges the MCU against.
type link struct {
	port serial.Port
	path string

	wmu sync.Mutex // serializes writes

	mu      sync.Mutex // protects frames and decoder counters
	frames  []proto.Frame
	arrived chan struct{} // signalled when a frame is appended
	stats   proto.Stats

	done chan struct{}
	wg   sync.WaitGroup
}

// errNoFrame means no matching frame arrived before the deadline.
var errNoFrame = errors.New("conformance: no matching frame")

func openLink(path string) (*link, error) {
	port, err := serial.Open(path, &serial.Mode{BaudRate: 115200})
	if err != nil {
		return nil, fmt.Errorf("conformance: open %s: %w", path, err)
	}
	if err := port.SetReadTimeout(20 * time.Millisecond); err != nil {
		port.Close()
		return nil, fmt.Errorf("conformance: %s: %w", path, err)
	}
	_ = port.ResetInputBuffer()
	l := &link{port: port, path: path, arrived: make(chan struct{}, 1), done: make(chan struct{})}
	l.wg.Add(1)
	go l.reader()
	return l, nil
}

func (l *link) close() {
	close(l.done)
	l.port.Close()
	l.wg.Wait()
}

func (l *link) reader() {
	defer l.wg.Done()
	var dec proto.Decoder
	buf := make([]byte, 4096)
	for {
		n, err := l.port.Read(buf)
		if err != nil {
			return
		}
		l.mu.Lock()
		for _, b := range buf[:n] {
			if f, r := dec.Push(b); r == proto.Complete {
				f.Payload = append([]byte(nil), f.Payload...)
				l.frames = append(l.frames, f)
			}
		}
		l.stats = dec.Stats
		l.mu.Unlock()
		if n > 0 {
			select {
			case l.arrived <- struct{}{}:
			default:
			}
		}
		select {
		case <-l.done:
			return
		default:
		}
	}
}

// write sends bytes as they are, in one write.
func (l *link) write(b []byte) error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	if _, err := l.port.Write(b); err != nil {
		return fmt.Errorf("conformance: write %s: %w", l.path, err)
	}
	return nil
}

// send frames and writes one message.
func (l *link) send(typ, seq byte, payload []byte) error {
	return l.write(proto.AppendFrame(nil, typ, seq, payload))
}

// take removes and returns the first frame received that match accepts,
// waiting up to timeout for it.
func (l *link) take(ctx context.Context, timeout time.Duration, match func(proto.Frame) bool) (proto.Frame, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		for i, f := range l.frames {
			if match(f) {
				l.frames = append(l.frames[:i], l.frames[i+1:]...)
				l.mu.Unlock()
				return f, nil
			}
		}
		l.mu.Unlock()
		select {
		case <-l.arrived:
		case <-deadline.C:
			return proto.Frame{}, fmt.Errorf("%w within %v", errNoFrame, timeout)
		case <-ctx.Done():
			return proto.Frame{}, ctx.Err()
		}
	}
}

// drain discards every frame received so far.
func (l *link) drain() {
	l.mu.Lock()
	l.frames = nil
	l.mu.Unlock()
}

// reports returns, and removes, the reports of type typ received so far.
func (l *link) reports(typ byte) []proto.Frame {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out, keep []proto.Frame
	for _, f := range l.frames {
		if f.Type == typ {
			out = append(out, f)
		} else {
			keep = append(keep, f)
		}
	}
	l.frames = keep
	return out
}

// count returns how many frames of type typ wait to be taken.
func (l *link) count(typ byte) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, f := range l.frames {
		if f.Type == typ {
			n++
		}
	}
	return n
}

// decodeErrors returns the frames the suite's decoder dropped.
func (l *link) decodeErrors() uint32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats.Errors()
}

// response waits for the response with sequence number seq.
func (l *link) response(ctx context.Context, seq byte, timeout time.Duration) (proto.Frame, error) {
	return l.take(ctx, timeout, func(f proto.Frame) bool { return proto.IsResponse(f.Type) && f.Seq == seq })
}

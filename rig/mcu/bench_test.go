package mcu_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creack/pty"
	"go.bug.st/serial"

	"github.com/gpiohil/gpiohil/rig/proto"
)

// BenchmarkRoundTrip compares a command round trip through the client,
// the pty and the virtual MCU's firmware core ("command") with the floor
// of the link: a frame of the same size echoed back through a pty opened
// with the same serial library ("raw-pty-echo").
func BenchmarkRoundTrip(b *testing.B) {
	b.Run("raw-pty-echo", func(b *testing.B) {
		master, slave, err := pty.Open()
		must(b, err)
		defer master.Close()
		defer slave.Close()
		go func() {
			buf := make([]byte, 256)
			for {
				n, err := master.Read(buf)
				if err != nil {
					return
				}
				master.Write(buf[:n])
			}
		}()
		port, err := serial.Open(slave.Name(), &serial.Mode{BaudRate: 115200})
		must(b, err)
		defer port.Close()
		must(b, port.SetReadTimeout(time.Second))
		frame := proto.AppendFrame(nil, proto.TypePing, 1, (&proto.Ping{Token: 1}).Append(nil))
		buf := make([]byte, 256)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := port.Write(frame); err != nil {
				b.Fatal(err)
			}
			for got := 0; got < len(frame); {
				n, err := port.Read(buf)
				if err != nil || n == 0 {
					b.Fatalf("echo read: %d %v", n, err)
				}
				got += n
			}
		}
	})
	b.Run("command", func(b *testing.B) {
		_, c := startVirtual(b)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, _, err := c.Ping(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEdgeReports measures edge-report streaming over the pty: edges
// captured by the virtual MCU, reported, decoded and delivered to a
// subscriber. The producer keeps at most half the MCU's ring in flight.
func BenchmarkEdgeReports(b *testing.B) {
	v, c := startVirtual(b)
	ctx := context.Background()
	sub := c.Subscribe(1024)
	defer sub.Close()
	must(b, c.Arm(ctx, 1<<5, proto.EdgeBoth))
	var got atomic.Int64
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-sub.C():
				got.Add(1)
			case <-stop:
				return
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for int64(i)-got.Load() > 128 {
			time.Sleep(10 * time.Microsecond)
		}
		must(b, v.SetInput(5, true, i%2 == 0))
	}
	deadline := time.Now().Add(30 * time.Second)
	for got.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	if got.Load() != int64(b.N) {
		b.Fatalf("%d reports for %d edges (stats %+v)", got.Load(), b.N, c.Stats())
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "reports/s")
}

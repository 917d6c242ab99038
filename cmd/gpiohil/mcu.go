package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gpiohil/gpiohil/bench"
	"github.com/gpiohil/gpiohil/rig"
	"github.com/gpiohil/gpiohil/rig/harness"
	"github.com/gpiohil/gpiohil/rig/mcu"
	"github.com/gpiohil/gpiohil/rig/picoemu"
	"github.com/gpiohil/gpiohil/rig/proto"
	"github.com/gpiohil/gpiohil/rig/virtual"
	"github.com/gpiohil/gpiohil/specs/conformance"
)

func newMCUCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "mcu",
		Short: "Serve a virtual or emulated companion MCU, or talk to one",
		Long: `The companion MCU drives stimulus edges and timestamps the target's answers.
A real rig uses an RP2040 Pico running rig/firmware/pico; without hardware,
"gpiohil mcu virtual" serves the same firmware core on a pseudo-terminal, and
"gpiohil mcu emulate" runs the Pico's own firmware image on an emulated RP2040.

Select a board with --port PATH (e.g. /dev/ttyACM0, or the path "mcu virtual"
printed) or --usb VID:PID[:SERIAL] (e.g. 2e8a:000a for a Pico).`,
	}
	c.AddCommand(newMCUVirtualCmd(), newMCUEmulateCmd(), newMCUInfoCmd(), newMCUPingCmd(), newMCUConformanceCmd())
	return c
}

// portFlags selects a board by path or by USB identity.
type portFlags struct {
	port string
	usb  string
}

func (p *portFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&p.port, "port", "", "serial port path of the MCU")
	c.Flags().StringVar(&p.usb, "usb", "", "find the MCU by USB VID:PID[:SERIAL] (hex)")
}

// selector checks the flags and returns the MCU they select.
func (p *portFlags) selector() (rig.MCUSelector, error) {
	sel := rig.MCUSelector{Port: p.port}
	switch {
	case p.port != "" && p.usb != "":
		return sel, usagef("give --port or --usb, not both")
	case p.port == "" && p.usb == "":
		return sel, usagef("no MCU: give --port PATH or --usb VID:PID[:SERIAL]")
	case p.usb != "":
		id, err := mcu.ParseUSBID(p.usb)
		if err != nil {
			return sel, usagef("--usb: %v", err)
		}
		sel.USB = id
	}
	return sel, nil
}

// open opens the MCU the flags select, holding its rig lock so that a
// ping never disturbs a check running on the same rig.
func (p *portFlags) open(ctx context.Context) (*rig.MCUPort, error) {
	sel, err := p.selector()
	if err != nil {
		return nil, err
	}
	return rig.OpenMCU(ctx, sel, "gpiohil mcu", mcu.Options{})
}

// parseJumper parses A:B, two MCU pins wired together.
func parseJumper(s string) (*[2]int, error) {
	if s == "" {
		return nil, nil
	}
	var a, b int
	if n, err := fmt.Sscanf(s, "%d:%d", &a, &b); err != nil || n != 2 || a == b || a < 0 || b < 0 {
		return nil, usagef("--jumper %q: want two different MCU pins, A:B", s)
	}
	return &[2]int{a, b}, nil
}

func newMCUVirtualCmd() *cobra.Command {
	var cfg virtual.Config
	var jumper string
	c := &cobra.Command{
		Use:   "virtual",
		Short: "Serve a virtual MCU on a pseudo-terminal until interrupted",
		Long: `Serve a virtual MCU — the firmware core on a simulated board, ticking in
nanoseconds — on a pseudo-terminal. The tty path is the first line of standard
output; open it with --port in another command. Runs until interrupted.

Its pins are connected to nothing: a driven pin reads back its own level, a
released pin without pull reads low. --jumper A:B wires two of its pins
together, as a jumper wire would (gpiohil mcu conformance uses it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(cfg.Name) > proto.MaxNameLen {
				return usagef("--name %q: %d bytes, at most %d (UTF-8)", cfg.Name, len(cfg.Name), proto.MaxNameLen)
			}
			j, err := parseJumper(jumper)
			if err != nil {
				return err
			}
			v, err := virtual.New(cfg)
			if err != nil {
				return usagef("%v", err)
			}
			if j != nil {
				if err := harness.Jumper(v, j[0], j[1]); err != nil {
					return usagef("--jumper: %v", err)
				}
			}
			path, err := v.Start(cmd.Context())
			if err != nil {
				return err
			}
			defer v.Close()
			fmt.Fprintln(cmd.OutOrStdout(), path)
			<-cmd.Context().Done()
			return nil
		},
	}
	c.Flags().StringVar(&cfg.Name, "name", "virtual", "board name in the identify answer (UTF-8, at most 16 bytes)")
	c.Flags().StringVar(&jumper, "jumper", "", "wire two MCU pins together, A:B")
	c.Flags().IntVar(&cfg.Pins, "pins", virtual.DefaultPins, "number of pins (1..64)")
	return c
}

func newMCUEmulateCmd() *cobra.Command {
	var cfg picoemu.Config
	var jumper string
	c := &cobra.Command{
		Use:   "emulate",
		Short: "Run the Pico firmware on an emulated RP2040, served on a pseudo-terminal",
		Long: `Run the Pico firmware image (make firmware builds it) on the rp2040js RP2040
emulator, and serve the firmware's USB serial port on a pseudo-terminal: the
tty path is the first line of standard output; open it with --port in another
command, exactly as a Pico's /dev/ttyACM0. Runs until interrupted.

Needs Node.js 18 or newer and npm: the emulator's pinned npm package is
installed into the gpiohil cache on first use. The emulated clock runs at
about half of real time; the firmware's ticks count emulated microseconds.

Its pins are connected to nothing: a driven pin reads back its own level, a
released pin reads its pull. --jumper A:B wires two of its pins together.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := parseJumper(jumper)
			if err != nil {
				return err
			}
			cfg.Log, cfg.Jumper = cmd.ErrOrStderr(), j
			m, err := picoemu.Start(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer m.Close()
			fmt.Fprintln(cmd.OutOrStdout(), m.Path())
			e0, t0 := m.Emulated()
			select {
			case <-cmd.Context().Done():
			case <-m.Done():
				return m.Err()
			}
			if e1, t1 := m.Emulated(); t1.After(t0) {
				fmt.Fprintf(cmd.ErrOrStderr(), "emulated %v in %v: %.2f× real time\n",
					(e1 - e0).Round(time.Millisecond), t1.Sub(t0).Round(time.Millisecond), float64(e1-e0)/float64(t1.Sub(t0)))
			}
			return nil
		},
	}
	c.Flags().StringVar(&cfg.Firmware, "firmware", "dist/gpiohil-pico.uf2", "UF2 image to run")
	c.Flags().StringVar(&jumper, "jumper", "", "wire two MCU pins together, A:B")
	c.Flags().IntVar(&cfg.Pins, "pins", picoemu.DefaultPins, "pins the host may use, from GP0 (1..30)")
	return c
}

func newMCUInfoCmd() *cobra.Command {
	var pf portFlags
	c := &cobra.Command{
		Use:   "info",
		Short: "Print the MCU's identify answer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := pf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer cl.Close()
			id := cl.Identify()
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "port       %s\n", cl.Path())
			fmt.Fprintf(w, "board      %s\n", id.BoardName())
			fmt.Fprintf(w, "protocol   %d\n", id.Protocol)
			fmt.Fprintf(w, "firmware   %d.%d.%d\n", id.FwMajor, id.FwMinor, id.FwPatch)
			fmt.Fprintf(w, "tick rate  %d Hz\n", id.TickHz)
			fmt.Fprintf(w, "pins       %d\n", id.Pins)
			fmt.Fprintf(w, "caps       %s\n", id.Caps)
			return nil
		},
	}
	pf.add(c)
	return c
}

func newMCUPingCmd() *cobra.Command {
	var pf portFlags
	var n int
	c := &cobra.Command{
		Use:   "ping",
		Short: "Measure command round trips to the MCU",
		Long: `Send N pings, one after another, and print round-trip statistics: min, p50
(median), p99 and max, and any retransmissions or bad frames the link needed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 {
				return usagef("-n %d: want at least 1", n)
			}
			cl, err := pf.open(cmd.Context())
			if err != nil {
				return err
			}
			defer cl.Close()
			rtts := bench.NewDistribution()
			for i := 0; i < n; i++ {
				rtt, _, err := cl.Ping(cmd.Context())
				if err != nil {
					return fmt.Errorf("ping %d of %d: %w", i+1, n, err)
				}
				rtts.Record(rtt)
			}
			st := rtts.Stats()
			w := cmd.OutOrStdout()
			id := cl.Identify()
			fmt.Fprintf(w, "%d pings to %s (%s)\n", n, cl.Path(), id.BoardName())
			for _, name := range []string{"min", "p50", "p99", "max"} {
				fmt.Fprintf(w, "%-6s  %v\n", name, st.Duration(name))
			}
			if s := cl.Stats(); s.Retransmits > 0 || s.DecodeErrors > 0 {
				fmt.Fprintf(w, "link    %d retransmits, %d bad frames\n", s.Retransmits, s.DecodeErrors)
			}
			return nil
		},
	}
	pf.add(c)
	c.Flags().IntVarP(&n, "count", "n", 100, "number of pings")
	return c
}

func newMCUConformanceCmd() *cobra.Command {
	var pf portFlags
	var jumper, emulate string
	var rf runFlags
	c := &cobra.Command{
		Use:   "conformance",
		Short: "Judge an MCU's firmware against the wire protocol, from the host side",
		Long: `Run the conformance suite against the MCU on --port or --usb: identify, every
command and every refusal with its code, frame limits, pulse trains, probes,
report streaming, sessions, duplicates and retransmission, and noise on the line
(random bursts up to 64 KiB, truncated, corrupted and oversized frames), each
followed by a command that must run exactly once. It speaks rig/proto/PROTOCOL.md
frame by frame; any firmware can be judged, the Pico's or your own.

Specs that watch edges and answered probes need two MCU pins wired to each other:
name them with --jumper A:B (on the virtual MCU: gpiohil mcu virtual --jumper A:B);
without it they are skipped, saying so. The suite drives pins 0 to 9 (and the
jumper's): disconnect the MCU from a target first. It holds the rig lock of the
port while it runs.

--emulate UF2 judges a firmware image without a board: it runs on the emulated
RP2040 of "gpiohil mcu emulate", with GP20 and GP21 jumpered unless --jumper
says otherwise, and its ticks are checked against the emulator's clock.

Labels: identify, session, duplicates, commands, naks, limits, pulses, probes,
reports, noise. Exit status: 0 every spec passed, 1 one failed, 2 bad usage.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := parseJumper(jumper)
			if err != nil {
				return err
			}
			opts := conformance.Options{Jumper: j, LabelFilter: rf.labels, JUnitReport: rf.junit, JSONReport: rf.json,
				Verbose: rf.verbose, Color: useColor(cmd, cmd.OutOrStdout())}
			if emulate != "" {
				if pf.port != "" || pf.usb != "" {
					return usagef("give --emulate or a board (--port, --usb), not both")
				}
				if opts.Jumper == nil {
					opts.Jumper = &[2]int{20, 21}
				}
				m, err := picoemu.Start(cmd.Context(), picoemu.Config{Firmware: emulate, Jumper: opts.Jumper})
				if err != nil {
					return err
				}
				defer m.Close()
				opts.Port, opts.MCUTime = m.Path(), m.Now
			} else {
				sel, err := pf.selector()
				if err != nil {
					return err
				}
				opts.Port, opts.USB = sel.Port, sel.USB
			}
			res, err := conformance.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			for _, sk := range res.Skipped {
				fmt.Fprintf(cmd.OutOrStdout(), "skipped: %s\n", sk)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nMCU %s on %s: protocol %d, firmware %d.%d.%d; done in %v.\n", res.Identify.BoardName(), res.Port,
				res.Identify.Protocol, res.Identify.FwMajor, res.Identify.FwMinor, res.Identify.FwPatch, res.Duration.Round(time.Millisecond))
			if res.Failed {
				return errChecksFailed
			}
			return nil
		},
	}
	pf.add(c)
	c.Flags().StringVar(&jumper, "jumper", "", "two MCU pins wired to each other, A:B")
	c.Flags().StringVar(&emulate, "emulate", "", "judge this Pico firmware image (UF2) on an emulated RP2040")
	rf.add(c)
	return c
}

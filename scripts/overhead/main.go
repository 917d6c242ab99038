package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	gate := flag.Bool("gate", false, "exit 1 when a measured row misses its goal")
	flag.Parse()
	runs, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(2)
	}
	missed := render(os.Stdout, table(runs))
	if *gate && missed > 0 {
		fmt.Fprintf(os.Stderr, "overhead: %d rows miss their goal\n", missed)
		os.Exit(1)
	}
}

// parse collects the figures of every benchmark and OVERHEAD line, by name,
// in the order they were printed.
func parse(r io.Reader) (samples, error) {
	s := samples{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		var err error
		switch {
		case strings.HasPrefix(text, "Benchmark"):
			err = s.addBenchmark(text)
		case strings.Contains(text, "OVERHEAD "):
			err = s.addOverhead(text[strings.Index(text, "OVERHEAD "):])
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	return s, sc.Err()
}

# gpiohil — see README.md.
GO ?= go

.PHONY: test fmt-check vet race specs-variants test-vm test-emu test-lava test-labgrid bench-vm report-check bench dist firmware mutation clean

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)

## test: what CI runs — formatting, vet, every test with the race detector,
## and the spec tree again on the emulating and the bus-attached sim rigs.
test: fmt-check vet race specs-variants

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags spectree ./clx ./controllers/sim

race:
	$(GO) test -race -count=1 ./...

specs-variants:
	GPIOHIL_FIXTURE=sim-emulated $(GO) test -race -count=1 ./specs
	GPIOHIL_FIXTURE=sim-bus $(GO) test -race -count=1 ./specs
	GPIOHIL_FIXTURE=sim-mcp23017 $(GO) test -race -count=1 ./specs

## test-vm: the QEMU tier — Debian's kernel with gpio-sim under TCG, gpiohil check
## inside; installs its Debian packages when run as root, caches downloads and builds
## in $${XDG_CACHE_HOME:-~/.cache}/gpiohil.
test-vm:
	GPIOHIL_VM_OUT=$(CURDIR)/vm-out fixtures/qemu/vm.sh run

## test-emu: the emulated tier — the Pico firmware (built first, see firmware) on an
## emulated RP2040 (rp2040js, installed from its lockfile into the cache on first
## use): the emulator's tests, the MCU conformance suite, and gpiohil check on the
## pico-emu fixture. Needs Node.js 18+ and npm.
test-emu: firmware
	$(GO) test -race -count=1 ./rig/picoemu
	$(GO) run ./cmd/gpiohil mcu conformance --emulate dist/gpiohil-pico.uf2
	$(GO) run ./cmd/gpiohil check --fixture pico-emu

## test-lava: the QEMU tier as LAVA jobs (lava-run, no server, no KVM): the
## check (one LAVA test case per spec and per measurement) must pass, the same
## job on a rig with a cut wire must fail naming it, and the board job must
## pass on a pretend board; installs lava-dispatcher when root. See lab/README.md.
test-lava:
	lab/lava/run.sh

## test-labgrid: the QEMU tier under labgrid's QEMUDriver and Debian's pytest:
## the check must pass and bring back junit.xml, and fail naming the wire on
## the broken rig; installs labgrid and python3-pytest when root.
test-labgrid:
	lab/labgrid/run.sh

## bench-vm: the cdev measurements in the QEMU guest, five runs of bare go-gpiocdev
## beside clx, then clx's overhead table (median of the ratios within each run).
bench-vm:
	GPIOHIL_VM_OUT=$(CURDIR)/vm-out fixtures/qemu/vm.sh bench
	$(GO) run ./scripts/overhead < vm-out/bench.out

## report-check: render a bench report.html in Debian's headless Chromium (installed
## when missing and root) and check the plots drew; the screenshot lands in vm-out/.
report-check:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; } || { echo "report-check: install Debian's chromium"; exit 1; }
	mkdir -p vm-out
	GPIOHIL_REPORT_SHOTS=$(CURDIR)/vm-out $(GO) test -count=1 -run TestReportInChromium -v ./bench

## bench: benchmarks, each beside its baseline (bare controller, raw pty echo);
## then clx's overhead table: BENCH_RUNS (default 5) runs of the clx benchmarks,
## each ratio to the bare controller taken within its run, the median printed
## (raw output in vm-out/bench-clx.txt).
BENCH_RUNS ?= 5
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./rig/... ./bench/...
	mkdir -p vm-out
	: > vm-out/bench-clx.txt
	for i in $$(seq $(BENCH_RUNS)); do $(GO) test -run '^$$' -bench . -benchmem -count 1 ./clx/ >> vm-out/bench-clx.txt || exit 1; done
	$(GO) run ./scripts/overhead < vm-out/bench-clx.txt

## mutation: mutation testing of clx and the sim controller (gremlins, fixed
## version, cached), against their unit tests and against the spec tree alone on
## every sim fixture: each score and the mutants that lived; MUTATION_MIN=90 and
## MUTATION_SPEC_MIN=75 fail below those. Not part of test: see README for times.
mutation:
	scripts/mutation.sh

## firmware: the Pico's firmware, dist/gpiohil-pico.uf2 (and .elf), with TinyGo built
## from the Go module proxy and Debian's LLVM; the toolchain is cached in
## $${XDG_CACHE_HOME:-~/.cache}/gpiohil/tinygo, so a second run rebuilds only the firmware.
firmware:
	rig/firmware/pico/build.sh

## dist: static binaries a lab copies to a board.
dist:
	mkdir -p dist
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/gpiohil-linux-amd64 ./cmd/gpiohil
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/gpiohil-linux-arm64 ./cmd/gpiohil
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/gpiohil-linux-armv7 ./cmd/gpiohil
	CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=6 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o dist/gpiohil-linux-armv6 ./cmd/gpiohil

clean:
	rm -rf dist vm-out

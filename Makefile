# gpiohil — see README.md.
GO ?= go

.PHONY: test fmt-check vet race bench

## test: what CI runs — formatting, vet, and every test with the race detector.
test: fmt-check vet race

fmt-check:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

race:
	$(GO) test -race -count=1 ./...

## bench: benchmarks, each beside its baseline (bare controller, raw pty echo).
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./clx/... ./rig/...

#!/usr/bin/env bash
# Mutation testing of clx and the sim controller against their unit tests:
# gremlins (installed from the Go module proxy at a fixed version, cached in
# $GPIOHIL_CACHE) mutates each package's code one change at a time and runs
# that package's tests; a mutant the tests do not notice "lived". Prints
# each package's score and the mutants that lived; the machine-readable
# results land in $GPIOHIL_MUTATION_OUT (default vm-out/mutation/).
#
# MUTATION_MIN=90 makes it fail below that efficacy (killed / killed+lived);
# MUTATION_PACKAGES narrows the packages (default: clx controllers/sim).
set -euo pipefail

GREMLINS_VERSION=v0.6.0
cd "$(dirname "$0")/.."
cache=${GPIOHIL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpiohil}
out=${GPIOHIL_MUTATION_OUT:-vm-out/mutation}
bin=$cache/gremlins-$GREMLINS_VERSION
mkdir -p "$out"
if [ ! -x "$bin/gremlins" ]; then
	echo "mutation: installing gremlins $GREMLINS_VERSION into $bin" >&2
	GOBIN=$bin GOFLAGS=-mod=mod go install "github.com/go-gremlins/gremlins/cmd/gremlins@$GREMLINS_VERSION"
fi

status=0
for pkg in ${MUTATION_PACKAGES:-clx controllers/sim}; do
	name=${pkg//\//-}
	start=$(date +%s)
	# Each mutant is compiled before its tests run: the timeout coefficient
	# leaves room for that on a slow machine (a mutant that hangs still
	# times out).
	"$bin/gremlins" unleash --workers "$(nproc)" --timeout-coefficient 40 \
		-o "$out/$name.json" "./$pkg" >"$out/$name.log" 2>&1 || true
	secs=$(($(date +%s) - start))
	killed=$(grep -c '^ *KILLED' "$out/$name.log" || true)
	lived=$(grep -c '^ *LIVED' "$out/$name.log" || true)
	timedout=$(grep -c '^ *TIMED OUT' "$out/$name.log" || true)
	uncovered=$(grep -c '^ *NOT COVERED' "$out/$name.log" || true)
	total=$((killed + lived))
	eff=0
	[ "$total" -gt 0 ] && eff=$((100 * killed / total))
	echo "mutation: $pkg: $killed killed, $lived lived ($eff% killed), $timedout timed out, $uncovered not covered by its tests, in ${secs}s"
	grep '^ *LIVED' "$out/$name.log" | sed "s|^ *LIVED|  lived:|; s| at | at $pkg/|" || true
	if [ -n "${MUTATION_MIN:-}" ] && [ "$eff" -lt "$MUTATION_MIN" ]; then
		status=1
	fi
done
exit $status

#!/usr/bin/env bash
# Mutation testing of clx and the sim controller: gremlins (installed from
# the Go module proxy at a fixed version, cached in $GPIOHIL_CACHE) mutates
# each package's code one change at a time and runs that package's test
# binary; a mutant the tests do not notice "lived". Two stages:
#
#   unit       the package's own tests (what make test catches)
#   spec-tree  the spec tree alone, on every sim fixture, run from the
#              package's test binary built with the spectree tag
#              (specs/treetest): what gpiohil check catches. The fixtures
#              run side by side; a tree mostly waits on edges, so two
#              mutants at a time (eight trees) use under half of two cores.
#
# Prints each package's score per stage and the mutants that lived; the
# machine-readable results land in $GPIOHIL_MUTATION_OUT (default
# vm-out/mutation/), as PACKAGE[-spec-tree].json and .log.
#
# MUTATION_MIN=90 makes it fail when a unit stage scores below that
# efficacy (killed / killed+lived), MUTATION_SPEC_MIN=75 the same for a
# spec-tree stage; MUTATION_PACKAGES narrows the packages (default: clx
# controllers/sim), MUTATION_STAGES the stages (default: unit spec-tree),
# MUTATION_FIXTURES the spec-tree stage's fixtures (default: every sim
# fixture; for the sim controller, those that run it).
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
for stage in ${MUTATION_STAGES:-unit spec-tree}; do
	case $stage in
	unit) suffix='' workers=$(nproc) coefficient=12 min=${MUTATION_MIN:-} tags='' ;;
	spec-tree) suffix=-spec-tree workers=$(nproc) coefficient=3 min=${MUTATION_SPEC_MIN:-} tags=spectree ;;
	*) echo "mutation: unknown stage $stage (unit, spec-tree)" >&2; exit 2 ;;
	esac
	for pkg in ${MUTATION_PACKAGES:-clx controllers/sim}; do
		name=${pkg//\//-}$suffix
		# Every sim fixture runs clx; the MCP23017 one has no sim
		# controller to judge.
		tree=''
		if [ "$stage" = spec-tree ]; then
			case $pkg in
			controllers/sim) tree=${MUTATION_FIXTURES:-sim,sim-emulated,sim-bus} ;;
			*) tree=${MUTATION_FIXTURES:-sim,sim-emulated,sim-bus,sim-mcp23017} ;;
			esac
		fi
		start=$(date +%s)
		# Each mutant is compiled before its tests run: the timeout
		# coefficient leaves room for that on a slow machine; the spec
		# tree's run is long enough to dwarf the compile. A mutant that
		# stalls dispatch makes the unit tests wait out their deadlines
		# until the timeout: at 40 times the tests' run, clx's unit stage
		# spent two minutes on each of them.
		GPIOHIL_SPEC_TREE=$tree "$bin/gremlins" unleash --tags "$tags" --workers "$workers" --timeout-coefficient "$coefficient" \
			-o "$out/$name.json" "./$pkg" >"$out/$name.log" 2>&1 || true
		secs=$(($(date +%s) - start))
		killed=$(grep -c '^ *KILLED' "$out/$name.log" || true)
		lived=$(grep -c '^ *LIVED' "$out/$name.log" || true)
		timedout=$(grep -c '^ *TIMED OUT' "$out/$name.log" || true)
		uncovered=$(grep -c '^ *NOT COVERED' "$out/$name.log" || true)
		total=$((killed + lived))
		eff=0
		[ "$total" -gt 0 ] && eff=$((100 * killed / total))
		echo "mutation: $pkg ($stage): $killed killed, $lived lived ($eff% killed), $timedout timed out, $uncovered not covered, in ${secs}s"
		grep '^ *LIVED' "$out/$name.log" | sed "s|^ *LIVED|  lived:|; s| at | at $pkg/|" || true
		if [ -n "$min" ] && [ "$eff" -lt "$min" ]; then
			status=1
		fi
	done
done
exit $status

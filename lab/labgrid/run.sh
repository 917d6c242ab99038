#!/usr/bin/env bash
# Runs gpiohil's labgrid test (test_gpiohil.py, under Debian's pytest with
# labgrid's plugin) on the QEMU tier's guest, twice:
#   qemu        the qemu fixture; must pass
#   broken-rig  the sim rig with wire ack1 cut; pytest must fail, and the
#               failed test must be the wire's spec
# Each run is one pytest test per gpiohil spec (listed by the host's gpiohil
# before the boot), one for the cdev kernel tests, and one for the whole.
# With LG_ENV set (e.g. env-rig.yaml, a real rig), it runs the test once on
# that environment instead and exits with pytest's status.
# Installs labgrid and python3-pytest when root and missing.
#
# Usage: lab/labgrid/run.sh [extra pytest arguments]
# Environment: GPIOHIL_LAB_OUT (default vm-out/lab/labgrid), GPIOHIL_CACHE.
# Writes, per run, OUT/RUN/: pytest.xml (pytest's JUnit), pytest.out,
# console/ (labgrid's console log), results/ (what the target brought back:
# junit.xml, report.json, summary.txt, check.log, bench/latency.json,
# bench/report.html).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${GPIOHIL_LAB_OUT:-$repo/vm-out/lab/labgrid}
python=/usr/bin/python3 # Debian's, where labgrid and pytest are installed

log() { printf 'labgrid: %s\n' "$*" >&2; }
die() { printf 'labgrid: error: %s\n' "$*" >&2; exit 2; }
. "$repo/scripts/debian.sh"

start=$SECONDS
ensure_packages labgrid python3-pytest
log "packages ready in $((SECONDS - start)) s"

# run NAME ENV [pytest args]: one pytest run; returns pytest's status.
run() {
	local name=$1 env=$2 dir=$out/$1 t0=$SECONDS rc=0
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir/console"
	log "$name: pytest --lg-env $env (output: $dir/pytest.out)"
	(cd "$here" && GPIOHIL_LG_OUT=$dir/results "$python" -m pytest -p no:cacheprovider --lg-env "$env" \
		--lg-log="$dir/console" --junitxml="$dir/pytest.xml" -v "$@" test_gpiohil.py) > "$dir/pytest.out" 2>&1 || rc=$?
	tail -5 "$dir/pytest.out"
	log "$name: pytest status $rc, $((SECONDS - t0)) s"
	return $rc
}

# the host's gpiohil lists the specs before the boot (conftest.py)
mkdir -p "$out"
(cd "$repo" && go build -o "$out/gpiohil-host" ./cmd/gpiohil)
export GPIOHIL_HOST_BIN=$out/gpiohil-host

if [ -n "${LG_ENV:-}" ]; then
	run rig "$LG_ENV" "$@"
	exit
fi

export GPIOHIL_VM_OUT=$repo/vm-out
"$repo/fixtures/qemu/vm.sh" export "$out/guest"
export LG_GUEST=$out/guest
failures=()
run qemu env-qemu.yaml "$@" || failures+=("the qemu run did not pass")
# the fixture is in the guest's /etc/gpiohil, and in lab/fixtures for the host's list
if GPIOHIL_FIXTURE=/etc/gpiohil/sim-open-ack1.yaml GPIOHIL_HOST_FIXTURE=lab/fixtures/sim-open-ack1.yaml \
	run broken-rig env-qemu.yaml "$@"; then
	failures+=("the broken-rig run passed on a rig with a cut wire")
elif ! grep -q '^FAILED test_gpiohil.py::test_spec\[bring-up-wire-ack1-' "$out/broken-rig/pytest.out"; then
	failures+=("the broken-rig run failed without naming wire ack1")
fi
log "done in $((SECONDS - start)) s"
if [ ${#failures[@]} -gt 0 ]; then
	printf 'labgrid: FAILED: %s\n' "${failures[@]}" >&2
	exit 1
fi
log "both runs behaved as they must: qemu passed, broken-rig failed naming wire ack1"

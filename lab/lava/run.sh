#!/usr/bin/env bash
# Runs gpiohil's LAVA jobs with lava-run (LAVA's dispatcher, standalone: no
# lava-server, no KVM) and gates on their recorded results:
#   qemu-check   the QEMU tier booted by LAVA's qemu device type; must pass
#   broken-rig   the same guest, the sim rig with wire ack1 cut; must fail,
#                and its failed test case must name the wire
#   board-check  the board job (device type gpiohil-board: minimal boot,
#                power and console commands) on a pretend board, which
#                fetches gpiohil and its fixture over HTTP; must pass
# Installs lava-dispatcher when root and missing; lava-server's device-type
# templates come from its package, downloaded and unpacked into the cache.
#
# Usage: lab/lava/run.sh [qemu-check|broken-rig|board-check ...] (default: all)
# Environment: GPIOHIL_LAB_OUT (default vm-out/lab/lava), GPIOHIL_CACHE.
# Writes, per job, OUT/JOB/: job.yaml, device.yaml, lava-run.log, results.json,
# artefacts/ (what the target brought back: junit.xml, report.json,
# summary.txt, console.log, bench/latency.json, bench/report.html).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${GPIOHIL_LAB_OUT:-$repo/vm-out/lab/lava}
cache=${GPIOHIL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpiohil}
python=/usr/bin/python3 # Debian's, with the yaml and jinja2 modules

log() { printf 'lava: %s\n' "$*" >&2; }
die() { printf 'lava: error: %s\n' "$*" >&2; exit 2; }
. "$repo/scripts/debian.sh"

jobs=("$@")
[ ${#jobs[@]} -gt 0 ] || jobs=(qemu-check broken-rig board-check)

start=$SECONDS
ensure_packages lava-dispatcher python3-yaml python3-jinja2 socat wget
log "packages ready in $((SECONDS - start)) s"

# lava-server's device-type templates (qemu.jinja2, base.jinja2), for the
# version of lava-dispatcher installed.
lava_version=$(dpkg-query -W -f='${Version}' lava-dispatcher)
templates=$cache/lava-server/$lava_version/usr/share/lava-server/device-types
if [ ! -f "$templates/qemu.jinja2" ]; then
	log "fetching lava-server $lava_version's device-type templates"
	mkdir -p "$cache/lava-server/$lava_version"
	(cd "$cache/lava-server" && apt-get download -qq "lava-server=$lava_version" 2>/dev/null) ||
		die "apt-get download lava-server=$lava_version failed"
	dpkg-deb -x "$cache/lava-server/lava-server_${lava_version}_all.deb" "$cache/lava-server/$lava_version"
fi

# The guest every job boots: Debian's kernel and gpiohil's initramfs.
export GPIOHIL_VM_OUT=$repo/vm-out
"$repo/fixtures/qemu/vm.sh" export "$out/guest"
cmdline=$(cat "$out/guest/cmdline")

render() { # DICTIONARY OUT [NAME=VALUE ...]
	local dict=$1 dest=$2
	shift 2
	"$python" "$here/render.py" "$templates" "$dict" "$@" > "$dest"
}

# run_job NAME JOB DEVICE [NAME=VALUE ...]: lava-run, then the gate;
# returns the gate's status.
id=0
run_job() {
	local name=$1 job=$2 device=$3 dir=$out/$1 t0=$SECONDS rc=0 pair
	shift 3
	id=$((id + 1))
	rm -rf "$dir"
	mkdir -p "$dir"
	cp "$job" "$dir/job.yaml"
	for pair in "$@"; do sed -i "s|@${pair%%=*}@|${pair#*=}|g" "$dir/job.yaml"; done
	cp "$device" "$dir/device.yaml"
	log "$name: lava-run (log: $dir/lava-run.log)"
	lava-run --job-id "$id" --output-dir "$dir/output" --device "$dir/device.yaml" "$dir/job.yaml" \
		> "$dir/lava-run.log" 2>&1 || log "$name: lava-run exited $?"
	"$python" "$here/gate.py" "$dir/lava-run.log" --artefacts "$dir/artefacts" --results "$dir/results.json" \
		> "$dir/gate.out" || rc=$?
	cat "$dir/gate.out"
	log "$name: gate status $rc, $((SECONDS - t0)) s"
	return $rc
}

failures=()
mkdir -p "$out/devices"
render "$here/devices/gpiohil-qemu01.jinja2" "$out/devices/gpiohil-qemu01.yaml"
for job in "${jobs[@]}"; do
	case $job in
	qemu-check)
		run_job qemu-check "$here/jobs/qemu-check.yaml" "$out/devices/gpiohil-qemu01.yaml" \
			GUEST="$out/guest" CMDLINE="$cmdline" FIXTURE=qemu || failures+=("qemu-check did not pass")
		;;
	broken-rig)
		if run_job broken-rig "$here/jobs/qemu-check.yaml" "$out/devices/gpiohil-qemu01.yaml" \
			GUEST="$out/guest" CMDLINE="$cmdline" FIXTURE=/etc/gpiohil/sim-open-ack1.yaml; then
			failures+=("broken-rig passed on a rig with a cut wire")
		elif ! grep -q '^failed test cases:.*bring-up-wire-ack1-' "$out/broken-rig/gate.out"; then
			failures+=("broken-rig failed without naming wire ack1")
		fi
		;;
	board-check)
		# The pretend board's power and console, and what it fetches.
		run=$out/board-run serve=$out/board-serve
		mkdir -p "$run" "$serve"
		ln -sf "$out/guest/vmlinux" "$run/vmlinux"
		ln -sf "$out/guest/initramfs.cpio" "$run/initramfs.cpio"
		cp "$GPIOHIL_VM_OUT/bin/gpiohil" "$serve/gpiohil"
		cp "$repo/fixtures/qemu.yaml" "$serve/rig.yaml"
		port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		"$python" -m http.server --bind 127.0.0.1 --directory "$serve" "$port" > "$out/board-serve.log" 2>&1 &
		server=$!
		render "$here/devices/gpiohil-board01.jinja2" "$out/devices/gpiohil-board01.yaml" LAB="$here" RUN="$run"
		# QEMU's user network: the host is 10.0.2.2 from the guest.
		run_job board-check "$here/jobs/board-check.yaml" "$out/devices/gpiohil-board01.yaml" \
			GPIOHIL_URL="http://10.0.2.2:$port/gpiohil" FIXTURE_URL="http://10.0.2.2:$port/rig.yaml" ||
			failures+=("board-check did not pass")
		kill "$server" 2>/dev/null || true
		"$here/pretend-board/power.sh" off "$run"
		;;
	*) die "unknown job $job (want qemu-check, broken-rig or board-check)" ;;
	esac
done
log "done in $((SECONDS - start)) s"
if [ ${#failures[@]} -gt 0 ]; then
	printf 'lava: FAILED: %s\n' "${failures[@]}" >&2
	exit 1
fi
log "every job behaved as it must: ${jobs[*]}"

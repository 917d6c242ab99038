#!/usr/bin/env bash
# Builds the companion-MCU firmware for the Raspberry Pi Pico (RP2040):
# TinyGo, pinned, compiled from the Go module proxy against Debian's LLVM,
# with the pieces TinyGo's module lacks taken from Debian's archive; then
# rig/firmware/pico as dist/gpiohil-pico.uf2 and dist/gpiohil-pico.elf.
#
#   rig/firmware/pico/build.sh            # (make firmware) toolchain if missing, then the firmware
#   rig/firmware/pico/build.sh toolchain  # the toolchain only; prints its TINYGOROOT
#
# Everything is cached in $GPIOHIL_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/gpiohil)
# under tinygo/: a second run rebuilds only the firmware. Debian packages are
# installed when missing and run as root. Archive files are resolved through a
# private apt configuration built from the machine's own apt sources, and each
# is checked against the hash in apt's signed index.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
tinygo_version=v0.41.1 # the newest the module proxy serves whose dependencies it also serves
llvm=19                # Debian 12's LLVM; TinyGo builds against it with -tags=llvm19
cache_root=${GPIOHIL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpiohil}
cache=$cache_root/tinygo
root=$cache/$tinygo_version-llvm$llvm # TINYGOROOT
dist=${GPIOHIL_DIST:-$repo/dist}
packages=(llvm-$llvm-dev libclang-$llvm-dev lld-$llvm clang-$llvm)

log() { printf 'firmware: %s\n' "$*" >&2; }
die() { printf 'firmware: error: %s\n' "$*" >&2; exit 2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

export PATH=/usr/local/go/bin:$PATH
# TinyGo 0.41 accepts Go 1.19–1.26. A newer host Go builds and runs it
# through a toolchain the module proxy serves.
go_minor=$(go env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
if [ -n "$go_minor" ] && [ "$go_minor" -gt 26 ]; then
	export GOTOOLCHAIN=go1.25.5
fi

# ensure_packages: Debian's LLVM, installed when missing and root (about 140 MB).
. "$repo/scripts/debian.sh"

# A private apt configuration: the machine's own Debian archive (as its apt
# sources name it) with the source indexes of this release and the binary and
# source indexes of the next, which carries the RP2040 register description
# and a picolibc TinyGo can use. Nothing of the machine's apt state changes.
apt_conf=$cache/apt
apt_opts=()
private_apt() {
	[ ${#apt_opts[@]} -gt 0 ] && return
	local codename uri
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	[ "$codename" = bookworm ] || log "warning: built and tested on Debian 12 (bookworm), this is $codename"
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(IDENTIFIER)' |
		awk -v r="$codename" '$2 == r && $3 == "Packages" { print $1; exit }')
	[ -n "$uri" ] || die "no Debian archive for $codename in the machine's apt sources"
	mkdir -p "$apt_conf/lists/partial" "$apt_conf/cache/archives/partial"
	printf '%s\n' "deb-src $uri $codename main" "deb-src $uri trixie main" "deb $uri trixie main" >"$apt_conf/sources.list"
	apt_opts=(-o Dir::Etc::SourceList="$apt_conf/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o Dir::State::Lists="$apt_conf/lists" -o Dir::Cache="$apt_conf/cache"
		-o APT::Architectures::=amd64 -o Acquire::Languages=none -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
	if [ ! -e "$apt_conf/updated" ]; then
		log "reading Debian's signed source indexes (private apt lists in $apt_conf)"
		apt-get "${apt_opts[@]}" update -qq
		touch "$apt_conf/updated"
	fi
}

# upstream_tarball SOURCE RELEASE OUT: the upstream tarball of a
# Debian source package, checked against the SHA256 of the signed index.
upstream_tarball() {
	local name=$1 release=$2 out=$3 line url sum
	[ -s "$out" ] && [ -s "$out.sha256" ] && sha256sum -c --quiet "$out.sha256" 2>/dev/null && return 0
	private_apt
	line=$(apt-get "${apt_opts[@]}" source --print-uris "$name/$release" 2>/dev/null | grep -m1 "\.orig\.tar\.") ||
		die "apt knows no upstream tarball of $name in $release"
	url=$(echo "$line" | cut -d"'" -f2)
	sum=$(echo "$line" | grep -o 'SHA256:[0-9a-f]*' | cut -d: -f2)
	[ -n "$sum" ] || die "apt gave no SHA256 for $url"
	log "downloading $(basename "$url")"
	/usr/lib/apt/apt-helper -o APT::Sandbox::User=root download-file "$url" "$out" "SHA256:$sum" >/dev/null ||
		die "download of $url failed or its SHA256 differs from the signed index"
	echo "$sum  $out" >"$out.sha256"
}

# binary_package NAME RELEASE OUT: a .deb, fetched and verified by apt.
binary_package() {
	local name=$1 release=$2 out=$3 d
	[ -s "$out" ] && return 0
	private_apt
	d=$(mktemp -d)
	(cd "$d" && apt-get "${apt_opts[@]}" download -qq "$name/$release" >/dev/null) ||
		die "apt-get download $name ($release) failed"
	mv "$d"/*.deb "$out"
	rmdir "$d"
}

toolchain() {
	# TinyGo links Debian's LLVM libraries: they must stay installed.
	ensure_packages "${packages[@]}"
	[ -x "$root/build/tinygo" ] && [ -e "$root/.complete" ] && return 0
	local t0 t
	t0=$(now)
	mkdir -p "$cache/dl"

	t=$(now)
	log "TinyGo $tinygo_version from the Go module proxy"
	local src
	src=$(go mod download -json "github.com/tinygo-org/tinygo@$tinygo_version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[ -d "$src" ] || die "go mod download github.com/tinygo-org/tinygo@$tinygo_version gave no directory"
	rm -rf "$root"
	cp -r "$src" "$root"
	chmod -R u+w "$root"
	# src/net is a git submodule the module zip lacks; the Pico's code never
	# imports net, but the directory must exist.
	mkdir -p "$root/src/net"
	# Debian's picolibc (1.8.10) is newer than TinyGo's submodule: it keeps
	# locale_private.h in libc/locale and spells TINY_STDIO __TINY_STDIO.
	sed -i 's|^\t\t\t"-I" + newlibDir + "/libm/common",$|&\n\t\t\t"-I" + newlibDir + "/libc/locale",|' "$root/builder/picolibc.go"
	sed -i 's|^\t\t\t"-DTINY_STDIO",$|&\n\t\t\t"-D__TINY_STDIO",|' "$root/builder/picolibc.go"
	grep -q '"-D__TINY_STDIO"' "$root/builder/picolibc.go" && grep -q '/libc/locale"' "$root/builder/picolibc.go" ||
		die "TinyGo's builder/picolibc.go changed: the picolibc patch no longer applies"
	log "  source ready in $(since "$t")"

	t=$(now)
	log "compiling TinyGo against Debian's LLVM $llvm"
	(cd "$root" && go build -tags="llvm$llvm" -o build/tinygo . && go build -o build/gen-device-svd ./tools/gen-device-svd)
	log "  compiled in $(since "$t")"

	t=$(now)
	log "compiler-rt builtins from Debian's llvm-toolchain-$llvm source"
	upstream_tarball "llvm-toolchain-$llvm" bookworm "$cache/dl/llvm-toolchain.orig.tar.xz"
	rm -rf "$cache/dl/llvm" && mkdir -p "$cache/dl/llvm"
	tar -xJf "$cache/dl/llvm-toolchain.orig.tar.xz" -C "$cache/dl/llvm" --strip-components=1 \
		--wildcards '*/compiler-rt/lib/builtins/*' '*/compiler-rt/LICENSE.TXT'
	rm -rf "$root/lib/compiler-rt-builtins"
	cp -r "$cache/dl/llvm/compiler-rt/lib/builtins" "$root/lib/compiler-rt-builtins"
	cp "$cache/dl/llvm/compiler-rt/LICENSE.TXT" "$root/lib/compiler-rt-builtins/"
	rm -rf "$cache/dl/llvm"
	log "  done in $(since "$t")"

	t=$(now)
	log "picolibc from Debian's picolibc 1.8.10 source"
	upstream_tarball "picolibc" trixie "$cache/dl/picolibc.orig.tar.gz"
	rm -rf "$cache/dl/picolibc" && mkdir -p "$cache/dl/picolibc"
	tar -xzf "$cache/dl/picolibc.orig.tar.gz" -C "$cache/dl/picolibc" --strip-components=1
	[ -f "$cache/dl/picolibc/newlib/libc/tinystdio/stdio.h" ] || die "the picolibc tarball has no newlib/libc/tinystdio"
	rm -rf "$root/lib/picolibc" && mkdir -p "$root/lib/picolibc"
	cp -r "$cache/dl/picolibc/newlib" "$root/lib/picolibc/"
	cp "$cache/dl/picolibc/COPYING.picolibc" "$root/lib/picolibc/" 2>/dev/null || true
	rm -rf "$cache/dl/picolibc"
	# Files TinyGo's list still names that picolibc 1.8.10 no longer has (float
	# printf variants, isinf/isnan aliases, _user_strerror); no Go code reaches them.
	for f in libc/string/u_strerr.c libc/tinystdio/vfprintff.c libc/tinystdio/vfscanff.c \
		libm/common/sf_isinff.c libm/common/sf_isnanf.c libm/common/s_isinfd.c libm/common/s_isnand.c; do
		[ -e "$root/lib/picolibc/newlib/$f" ] || echo '/* not in picolibc 1.8.10 */' >"$root/lib/picolibc/newlib/$f"
	done
	log "  done in $(since "$t")"

	t=$(now)
	log "RP2040 registers (src/device/rp) from Debian's pico-sdk-source"
	binary_package pico-sdk-source trixie "$cache/dl/pico-sdk-source.deb"
	local svd=$cache/dl/svd
	rm -rf "$svd" "$cache/dl/usr" && mkdir -p "$svd"
	dpkg-deb --fsys-tarfile "$cache/dl/pico-sdk-source.deb" | tar -x -C "$cache/dl" --wildcards '*/rp2040/hardware_regs/RP2040.svd'
	mv "$cache/dl/usr/src/pico-sdk/src/rp2040/hardware_regs/RP2040.svd" "$svd/rp2040.svd"
	rm -rf "$cache/dl/usr"
	# pico-sdk 2 renamed the USB controller's peripheral USBCTRL_REGS to USB;
	# TinyGo's machine package uses the old name.
	sed -i '/^    <peripheral>$/{n;s|^        <name>USB</name>$|        <name>USBCTRL_REGS</name>|}' "$svd/rp2040.svd"
	grep -q '<name>USBCTRL_REGS</name>' "$svd/rp2040.svd" || die "RP2040.svd: no USB peripheral to rename"
	rm -f "$root/src/device/rp/rp2040.go" "$root/src/device/rp/rp2040.s"
	(cd "$root" && ./build/gen-device-svd -source="Debian pico-sdk-source (RP2040.svd)" "$svd/" src/device/rp/ >/dev/null &&
		gofmt -w src/device/rp/rp2040.go)
	log "  done in $(since "$t")"

	touch "$root/.complete"
	log "toolchain ready in $(since "$t0"): $root"
}

firmware() {
	local t0 tinygo=$root/build/tinygo
	t0=$(now)
	mkdir -p "$dist"
	# TinyGo's own cache (compiled compiler-rt and picolibc) lives beside the toolchain.
	GOCACHE=$(go env GOCACHE)
	export TINYGOROOT=$root XDG_CACHE_HOME=$cache GOCACHE
	cd "$repo"
	"$tinygo" build -target=pico -size short -o "$dist/gpiohil-pico.elf" ./rig/firmware/pico
	"$tinygo" build -target=pico -o "$dist/gpiohil-pico.uf2" ./rig/firmware/pico
	log "dist/gpiohil-pico.uf2 ($(stat -c %s "$dist/gpiohil-pico.uf2") bytes) and dist/gpiohil-pico.elf built in $(since "$t0") with TinyGo $tinygo_version"
}

case ${1:-firmware} in
firmware) toolchain && firmware ;;
toolchain) toolchain && echo "$root" ;;
*) die "usage: $0 [firmware|toolchain]" ;;
esac

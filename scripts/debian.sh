# Sourced by gpiohil's build scripts (fixtures/qemu/vm.sh,
# rig/firmware/pico/build.sh), which define log and die.

# ensure_packages PACKAGE...: installs the Debian packages that are
# missing, when run as root; otherwise names them and stops.
ensure_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	[ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (install them, or run as root)"
	log "installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

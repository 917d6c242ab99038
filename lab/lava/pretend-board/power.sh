#!/bin/sh
# The pretend board's power switch, standing in for a PDU: "on" starts the
# QEMU tier's guest detached, its serial console on a Unix socket (what
# ser2net gives a real board's UART) and an e1000 NIC on QEMU's user
# network, where the host is 10.0.2.2; "off" stops it by its pid file.
# QEMU waits (wait=on) for connect.sh before the guest runs, so the engine
# sees the boot from its first line.
# Usage: power.sh on|off|reset RUNDIR (RUNDIR holds vmlinux and initramfs.cpio)
set -u
run=${2:?usage: power.sh on|off|reset RUNDIR}
sock=$run/console.sock
pid=$run/qemu.pid
off() {
	if [ -f "$pid" ]; then
		p=$(cat "$pid")
		kill "$p" 2>/dev/null
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -9 "$p" 2>/dev/null
		rm -f "$pid"
	fi
	rm -f "$sock"
}
on() {
	qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 1 -m 768 -no-reboot \
		-kernel "$run/vmlinux" -initrd "$run/initramfs.cpio" \
		-append "console=ttyS0,115200 panic=-1 gpiohil.net=qemu-user" \
		-nic user,model=e1000 -display none -monitor none \
		-serial unix:"$sock",server=on,wait=on -daemonize -pidfile "$pid"
}
case $1 in
on) on ;;
off) off ;;
reset) off; on ;;
*) echo "usage: power.sh on|off|reset RUNDIR" >&2; exit 2 ;;
esac

#!/bin/sh
# The pretend board's console, standing in for `telnet ser2net-host PORT`:
# attaches to the guest's serial socket, waiting for the board to be powered.
# Usage: connect.sh RUNDIR
sock=${1:?usage: connect.sh RUNDIR}/console.sock
while :; do
	[ -S "$sock" ] && socat - UNIX-CONNECT:"$sock" 2>/dev/null
	sleep 0.1
done

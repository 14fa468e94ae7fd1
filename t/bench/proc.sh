# t/bench/proc.sh: process helpers shared by run.sh and tls.sh (sourced).
# They use T (the temporary folder) and STARTED (process groups to kill
# on exit), which the sourcing script sets.

# Starts "$@" on CPU $1 in a process group of its own, output to $T/$2.out;
# sets PGID (also the pid of the started program).
launch() {
	cpu=$1 name=$2
	shift 2
	setsid taskset -c "$cpu" "$@" >"$T/$name.out" 2>&1 &
	PGID=$!
	STARTED="$STARTED $PGID"
	i=0
	while [ "$(pgrp_of "$PGID")" != "$PGID" ] && [ $i -lt 100 ]; do
		sleep 0.02
		i=$((i + 1))
	done
}

pgrp_of() {
	awk '{ s = $0; sub(/^.*\) /, "", s); split(s, a, " "); print a[3] }' \
	    "/proc/$1/stat" 2>/dev/null
}

# Prints the pids in process group $1.
procs_of() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$1" '{
		s = $0; sub(/^.*\) /, "", s); split(s, a, " ")
		if (a[3] == g && a[1] != "Z") print $1 }'
}

# Stops process group $1: TERM, then KILL after 5 s.
stop() {
	kill -TERM -"$1" 2>/dev/null
	i=0
	while [ -n "$(procs_of "$1")" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL -"$1" 2>/dev/null
	wait "$1" 2>/dev/null
	STARTED=$(echo "$STARTED" | sed "s/ $1\$//; s/ $1 / /")
}

# A free TCP port on 127.0.0.1.
free_port() {
	perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(
	    Listen => 1, LocalAddr => "127.0.0.1:0", ReuseAddr => 1)->sockport'
}

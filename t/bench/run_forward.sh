# t/bench/run_forward.sh: the forward proxy's parts of run.sh (sourced by
# it, not run alone): Squid as a peer, one CONNECT tunnel's throughput
# (tunnel_bench pump) and idle tunnels held during a run (tunnel_bench
# hold), and their report. See README.md, "The forward proxy".
# shellcheck shell=sh

# Squid (Debian's squid) for forward scenarios: one process (-N, no
# SMP workers), on CPU_SERVER like the others, no cache (memory or disk),
# no access log, persistent connections to clients and to origins (its
# defaults, the pool Squid keeps per destination). As root it runs as
# the "proxy" user Debian's package makes, so its folder is open to it.
start_squid() {
	command -v "$SQUID" >/dev/null || { SKIP="no $SQUID"; return 1; }
	d=$T/squid
	rm -rf "$d"
	mkdir -p "$d"
	chmod 777 "$d"
	PORT=$(free_port)
	cat >"$d/squid.conf" <<EOF
http_port 127.0.0.1:$PORT
pid_filename $d/squid.pid
cache_log $d/cache.log
access_log none
cache_store_log none
coredump_dir $d
cache deny all
cache_mem 0 MB
workers 1
acl lo src 127.0.0.0/8
http_access allow lo
http_access deny all
client_persistent_connections on
server_persistent_connections on
shutdown_lifetime 1 seconds
EOF
	launch $CPU_SERVER squid "$SQUID" -N -f "$d/squid.conf"
}

# One CONNECT tunnel through server $1 (at PORT): tunnel_bench pump on
# CPU_LOAD, the server's CPU sampled around it. Appends "SCEN server pump
# up_GBps down_GBps cpu_s_per_GiB other%" to $T/tunnels.
measure_pump() {
	bytes=${BENCH_TUNNEL_BYTES:-1073741824}
	before=$(sample "$PGID")
	taskset -c $CPU_LOAD "$T/tunnel_bench" pump "$PORT" "$TUNNEL_PORT" \
	    "$bytes" >"$T/pump.$1.out" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID"
	rc=$?
	WRK_PID=""
	after=$(sample "$PGID")
	if [ $rc != 0 ]; then
		echo "  $1: tunnel failed: $(tail -n 2 "$T/pump.$1.out" |
		    tr '\n' ' ')"
		echo "$SCEN $1 failed" >>"$T/tunnels"
		return
	fi
	echo "$(cat "$T/pump.$1.out") $before $after" | awk -v s="$SCEN" \
	    -v srv="$1" '{
		# 1 up bytes, 2 up s, 3 down bytes, 4 down s; before: 5 cpu
		# us ... 9 cpu busy us, 10 cpu all us; after: 11-16
		us = $11 - $5
		other = $16 > $10 ? 100 * ($15 - $9 - us) / ($16 - $10) : 0
		printf "%s %s pump %.2f %.2f %.3f %d\n", s, srv, \
		    $1 / $2 / 1e9, $3 / $4 / 1e9, \
		    us / 1e6 / (($1 + $3) / 1073741824), (other > 0 ? other : 0)
	    }' | tee -a "$T/tunnels" | awk '{
		printf "  %-8s up %s GB/s, down %s GB/s, cpu %s s/GiB, " \
		    "other %s%%\n", $2, $4, $5, $6, $7 }'
}

# Opens HOLD idle tunnels through server $1 (tunnel_bench hold, on
# CPU_LOAD, with descriptors to spare), and waits until they are up. The
# holder keeps them until hold_close closes its stdin (a FIFO on fd 3).
hold_open() {
	need=$((HOLD * 2 + 256))
	rm -f "$T/hold.in"
	mkfifo "$T/hold.in"
	(ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	exec taskset -c $CPU_LOAD "$T/tunnel_bench" hold "$PORT" \
	    "$TUNNEL_PORT" "$HOLD" 10 $(((HOLD + 199) / 200))) \
	    <"$T/hold.in" >"$T/hold.$1.out" 2>&1 &
	HOLD_PID=$!
	exec 3>"$T/hold.in"
	i=0
	while ! grep -q '^held' "$T/hold.$1.out" && [ $i -lt 1200 ] &&
	    kill -0 "$HOLD_PID" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "  $1: $(grep '^held' "$T/hold.$1.out" || echo "no tunnels:" \
	    "$(tail -n 2 "$T/hold.$1.out" | tr '\n' ' ')")"
}

# Lets the holder check a sample of its tunnels and close them; appends
# "SCEN server hold held wanted echoed sampled" to $T/tunnels.
hold_close() {
	exec 3>&-
	wait "$HOLD_PID"
	HOLD_PID=""
	echo "  $1: $(grep '^sample' "$T/hold.$1.out" ||
	    echo "no sample: $(tail -n 2 "$T/hold.$1.out" | tr '\n' ' ')")"
	awk -v s="$SCEN" -v srv="$1" '
	/^held/ { h = $2; w = $4 }
	/^sample/ { e = $2; m = $4 }
	END { printf "%s %s hold %d %d %d %d\n", s, srv, h, w, e, m }' \
	    "$T/hold.$1.out" >>"$T/tunnels"
}

# The tunnel figures, after report: plain, then Markdown.
report_tunnels() {
	[ -s "$T/tunnels" ] || return 0
	awk '
	$3 == "pump" { np++; p[np] = $0 }
	$3 == "hold" { nh++; h[nh] = $0 }
	$3 == "failed" { nf++; f[nf] = $1 " " $2 }
	function pv(l, md,	x, v) {
		split(l, x, " ")
		v = (x[4] < x[5] ? x[4] : x[5]) >= 1.0 ? "met" : "MISSED"
		if (x[2] != "portier")
			v = "-"
		printf md ? "| %s | %s | %s | %s | %s%% | %s |\n" : \
		    "  %-8s up %s GB/s, down %s GB/s, %s s CPU/GiB, " \
		    "other %s%%; >= 1 GB/s: %s\n", x[2], x[4], x[5], x[6], \
		    x[7], v
	}
	function hv(l, md,	x, v) {
		split(l, x, " ")
		v = x[4] == x[5] && x[6] == x[7] && x[4] > 0 ? "met" : "MISSED"
		printf md ? "| %s | %d of %d | %d of %d | %s |\n" : \
		    "  %-8s held %d of %d idle tunnels, %d of %d sampled " \
		    "still echo: %s\n", x[2], x[4], x[5], x[6], x[7], v
	}
	END {
		print "\ntunnels:"
		for (i = 1; i <= np; i++) pv(p[i], 0)
		for (i = 1; i <= nh; i++) hv(h[i], 0)
		for (i = 1; i <= nf; i++) print "  " f[i] ": tunnel failed"
		if (np) {
			print "\n| CONNECT tunnel, 1 GiB each way | up (GB/s) |" \
			    " down (GB/s) | CPU (s/GiB) | CPU0 other |" \
			    " >= 1 GB/s |"
			print "| --- | ---: | ---: | ---: | ---: | --- |"
			for (i = 1; i <= np; i++) pv(p[i], 1)
		}
		if (nh) {
			print "\n| idle tunnels | held | sample still echoes |" \
			    " verdict |"
			print "| --- | --- | --- | --- |"
			for (i = 1; i <= nh; i++) hv(h[i], 1)
		}
	}' "$T/tunnels"
}


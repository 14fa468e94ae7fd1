#!/bin/sh
# t/bench/tls.sh: TLS termination, portier (mod_ssl) against nginx with the
# same ECDSA P-256 certificate, TLS 1.3 and X25519, both proxying a 1 KiB
# page to an nginx origin, both on CPU 0, the load on CPU 1. Prints CPU
# time of the whole server per request (what the issue's targets are about:
# the load generator's own handshakes saturate its core first, so requests
# per second say little). Never part of `make check`. See README.md.
#
# usage: sh t/bench/tls.sh /abs/path/to/server/portier
# environment: BENCH_SECONDS (10), BENCH_WARMUP (3), BENCH_TLS_SCENARIOS,
#   BENCH_MODULES (mod_ssl's folder; default: the build tree's), BENCH_KEEP,
#   NGINX, WRK, OPENSSL.

set -u

SCENARIOS=${BENCH_TLS_SCENARIOS:-"full_seq resume_seq full_close32 http_close32 https_ka32 http_ka32"}

# A scenario sets DESC, LOADER (wrk, or s_time-new / s_time-reuse: one
# connection at a time, each a handshake and one GET), SCHEME (https or
# http), RESUME (on: tickets and session cache; off: every handshake full),
# CONNS and HEADER (wrk).
scenario_full_seq() {
	DESC="full handshake + 1 proxied GET, one at a time"
	LOADER=s_time-new SCHEME=https RESUME=off CONNS=1 HEADER=""
}
scenario_resume_seq() {
	DESC="resumed handshake + 1 proxied GET, one at a time"
	LOADER=s_time-reuse SCHEME=https RESUME=on CONNS=1 HEADER=""
}
scenario_full_close32() {
	DESC="full handshake + 1 proxied GET, 32 conns"
	LOADER=wrk SCHEME=https RESUME=off CONNS=32 HEADER="Connection: close"
}
scenario_http_close32() {
	DESC="plain HTTP: new connection + 1 proxied GET, 32 conns"
	LOADER=wrk SCHEME=http RESUME=off CONNS=32 HEADER="Connection: close"
}
scenario_https_ka32() {
	DESC="HTTPS keep-alive, 1 KiB proxied, 32 conns"
	LOADER=wrk SCHEME=https RESUME=on CONNS=32 HEADER=""
}
scenario_http_ka32() {
	DESC="HTTP keep-alive, 1 KiB proxied, 32 conns"
	LOADER=wrk SCHEME=http RESUME=on CONNS=32 HEADER=""
}

PORTIER=${1:-}
MODULES=${BENCH_MODULES:-$(cd "$(dirname "${PORTIER:-.}")/.." 2>/dev/null &&
    pwd)/modules/.built}
SECS=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-3}
NGINX=${NGINX:-nginx}
WRK=${WRK:-wrk}
OPENSSL=${OPENSSL:-openssl}
STARTED=""

die() {
	echo "bench-tls: $*" >&2
	exit 1
}

T=$(mktemp -d /tmp/portier-bench-tls.XXXXXX) || die "mktemp failed"
cleanup() {
	for g in $STARTED; do
		kill -KILL -"$g" 2>/dev/null
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench-tls: kept $T"; else
		rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 755 "$T"

. "$(cd "$(dirname "$0")" && pwd)/proc.sh"

# CPU time (us) of process group $1: every thread's sum_exec_runtime, plus
# the children it reaped (cutime + cstime), as run.sh measures it.
cpu_us() {
	for p in $(procs_of "$1"); do
		cat "/proc/$p/stat" "/proc/$p/task/"*/schedstat 2>/dev/null
	done | awk -v hz="$(getconf CLK_TCK)" '
	/^[0-9]+ \(/ { s = $0; sub(/^.*\) /, "", s); split(s, a, " ")
		us += (a[14] + a[15]) * 1e6 / hz }
	NF == 3 && /^[0-9]+ [0-9]+ [0-9]+$/ { us += $1 / 1000 }
	END { printf "%.0f\n", us }'
}

wait_ready() {
	i=0
	while [ $i -lt 100 ]; do
		code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 1 "$1")
		[ "$code" = 200 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Runs the scenario's load for $1 seconds at host:port $2; output in $3;
# prints the number of requests completed.
load() {
	case $LOADER in
	wrk)
		if [ -n "$HEADER" ]; then
			taskset -c 1 "$WRK" -t1 -c"$CONNS" -d"$1"s -H "$HEADER" \
			    "$SCHEME://$2/1k.html" >"$3" 2>&1
		else
			taskset -c 1 "$WRK" -t1 -c"$CONNS" -d"$1"s \
			    "$SCHEME://$2/1k.html" >"$3" 2>&1
		fi
		awk '$2 == "requests" && $3 == "in" { n = $1 }
		    /Socket errors:/ { e += $4 + $6 + $8 + $10 }
		    /Non-2xx/ { e += $5 }
		    END { print n - e }' "$3" ;;
	s_time-*)
		taskset -c 1 "$OPENSSL" s_time -connect "$2" \
		    -"${LOADER#s_time-}" -time "$1" -www /1k.html >"$3" 2>&1
		awk '/connections in [0-9.]+ real seconds/ { n = $1 }
		    END { print n + 0 }' "$3" ;;
	esac
}

start_origin() {
	ORIGIN_PORT=$(free_port)
	mkdir -p "$T/origin"
	cat >"$T/origin/nginx.conf" <<EOF
worker_processes 1;
$NGINX_USER
pid $T/origin/nginx.pid;
error_log $T/origin/error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 100000000;
  server { listen 127.0.0.1:$ORIGIN_PORT; root $T/docroot; } }
EOF
	launch 1 origin "$NGINX" -p "$T/origin/" -e "$T/origin/error.log" \
	    -c "$T/origin/nginx.conf" -g 'daemon off;'
	wait_ready "http://127.0.0.1:$ORIGIN_PORT/1k.html" ||
	    die "origin did not start: $(cat "$T/origin.out")"
}

# Both servers: a TLS listener and a plain one, relaying to the origin.
start_portier() {
	d=$T/portier
	rm -rf "$d"
	mkdir -p "$d"
	res="session_cache = true; session_tickets = true;"
	[ "$RESUME" = off ] && res="session_cache = false; session_tickets = false;"
	cat >"$d/portier.conf" <<EOF
error_log = "$d/error.log";
log_level = "warn";
listen_report = "$d/ports";
workers = { start = 36; min_spare = 2; max_spare = 40; max = 64; };
access_log = "off";
modules = { load = [ "mod_ssl" ]; };
upstreams = ( { name = "origin"; servers = ( { address = "127.0.0.1:$ORIGIN_PORT"; } ); } );
servers = (
  { listen = [ "127.0.0.1:0" ];
    ssl = { certificates = ( { cert = "$T/cert.pem"; key = "$T/key.pem"; } ); $res };
    routes = ( { path = "/"; upstream = "origin"; } ); },
  { listen = [ "127.0.0.2:0" ]; routes = ( { path = "/"; upstream = "origin"; } ); } );
EOF
	launch 0 portier "$PORTIER" -F -f "$d/portier.conf" -u "$(id -un)" \
	    -M "$MODULES"
	i=0
	while [ "$(cat "$d/ports" 2>/dev/null | wc -l)" -lt 2 ] &&
	    [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	TLS_ADDR=$(awk '$1 == "127.0.0.1:0" { print $2 }' "$d/ports")
	PLAIN_ADDR=$(awk '$1 == "127.0.0.2:0" { print $2 }' "$d/ports")
	[ -n "$TLS_ADDR" ] || { SKIP=$(tail -n 3 "$T/portier.out" \
	    "$d/error.log" 2>/dev/null | tr '\n' ' '); return 1; }
}

start_nginx() {
	d=$T/nginx
	rm -rf "$d"
	mkdir -p "$d"
	p1=$(free_port)
	p2=$(free_port)
	res="ssl_session_tickets on; ssl_session_cache shared:SSL:10m;"
	[ "$RESUME" = off ] && res="ssl_session_tickets off; ssl_session_cache off;"
	cat >"$d/nginx.conf" <<EOF
worker_processes 1;
$NGINX_USER
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $d/body; proxy_temp_path $d/proxy;
  fastcgi_temp_path $d/fastcgi; uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
  upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; }
  ssl_certificate $T/cert.pem;
  ssl_certificate_key $T/key.pem;
  ssl_protocols TLSv1.2 TLSv1.3;
  $res
  server {
    listen 127.0.0.1:$p1 ssl;
    listen 127.0.0.1:$p2;
    location / { proxy_pass http://origin; proxy_http_version 1.1;
                 proxy_set_header Connection ""; }
  }
}
EOF
	launch 0 nginx "$NGINX" -p "$d/" -e "$d/error.log" -c "$d/nginx.conf" \
	    -g 'daemon off;'
	TLS_ADDR=127.0.0.1:$p1
	PLAIN_ADDR=127.0.0.1:$p2
}

# One scenario against server $1: warm up, measure, print a line.
run_one() {
	SKIP=""
	if ! "start_$1"; then
		echo "  $1: skipped: $SKIP"
		return
	fi
	addr=$TLS_ADDR
	[ "$SCHEME" = http ] && addr=$PLAIN_ADDR
	if ! wait_ready "$SCHEME://$addr/1k.html"; then
		echo "  $1: did not answer: $(tail -n 3 "$T/$1.out")"
		stop "$PGID"
		return
	fi
	[ "$WARMUP" -gt 0 ] && load "$WARMUP" "$addr" "$T/warm.out" >/dev/null
	before=$(cpu_us "$PGID")
	n=$(load "$SECS" "$addr" "$T/$SCEN.$1.out")
	after=$(cpu_us "$PGID")
	stop "$PGID"
	echo "$SCEN $1 $n $before $after" | awk -v s="$SECS" '{
		n = $3 > 0 ? $3 : 1
		printf "%s %s %d %.0f %.1f\n", $1, $2, $3, $3 / s, ($5 - $4) / n }' |
	    tee -a "$T/results" | awk '{ printf "  %-8s %8s req  %7s req/s" \
	    "  cpu %7s us/req\n", $2, $3, $4, $5 }'
}

for tool in taskset setsid curl perl "$WRK" "$NGINX" "$OPENSSL"; do
	command -v "$tool" >/dev/null || die "$tool is required"
done
[ -n "$PORTIER" ] && [ -x "$PORTIER" ] || die "usage: $0 /path/to/portier"
[ -e "$MODULES/mod_ssl.so" ] || die "no mod_ssl.so in $MODULES"
NGINX_USER=""
[ "$(id -u)" = 0 ] && NGINX_USER="user $(id -un) $(id -gn);"
mkdir -p "$T/docroot"
head -c 1024 /dev/zero | tr '\0' x >"$T/docroot/1k.html"
chmod -R a+rX "$T/docroot"
"$OPENSSL" req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -subj /CN=bench.test \
    >/dev/null 2>&1 || die "cannot make a certificate"
chmod a+r "$T/key.pem"
: >"$T/results"

echo "bench-tls: $SECS s per run (+$WARMUP s warm-up); servers on CPU 0," \
    "load on CPU 1; ECDSA P-256, TLS 1.3; $("$NGINX" -v 2>&1)"
start_origin
for SCEN in $SCENARIOS; do
	command -v "scenario_$SCEN" >/dev/null || die "no scenario $SCEN"
	"scenario_$SCEN"
	echo "$SCEN $DESC" >>"$T/descs"
	echo "$DESC:"
	for srv in portier nginx; do
		run_one "$srv"
	done
done

awk -v descs="$T/descs" '
BEGIN { while ((getline l < descs) > 0) { k = l; sub(/ .*/, "", k)
	d = l; sub(/^[^ ]* /, "", d); desc[k] = d; order[++n] = k } }
{ cpu[$1, $2] = $5; rps[$1, $2] = $4 }
function r(s) { return cpu[s, "nginx"] > 0 ? cpu[s, "portier"] / cpu[s, "nginx"] : 0 }
function verdict(x, lim) { return x == 0 ? "not measured" : \
	sprintf("%.2fx: %s", x, x <= lim ? "met" : "MISSED") }
END {
	print "\n| scenario | portier CPU/req (us) | nginx CPU/req (us) | ratio |"
	print "| --- | ---: | ---: | ---: |"
	for (i = 1; i <= n; i++) { s = order[i]
		printf "| %s | %.1f | %.1f | %.2fx |\n", desc[s], cpu[s, "portier"],
		    cpu[s, "nginx"], r(s) }
	print "\ntargets:"
	if (("full_seq", "portier") in cpu)
		print "  CPU per full handshake <= 1.0x nginx: " verdict(r("full_seq"), 1.0)
	if (("full_close32", "portier") in cpu)
		print "  (32 conns) CPU per full handshake <= 1.0x nginx: " verdict(r("full_close32"), 1.0)
	if (("full_close32", "portier") in cpu && ("http_close32", "portier") in cpu) {
		a = cpu["full_close32", "portier"] - cpu["http_close32", "portier"]
		b = cpu["full_close32", "nginx"] - cpu["http_close32", "nginx"]
		printf "  (32 conns) what the full handshake adds to a new connection: portier %.1f us, nginx %.1f us: %s\n",
		    a, b, a <= b ? "met" : "MISSED"
	}
	if (("resume_seq", "portier") in cpu)
		print "  CPU per resumed handshake <= 1.0x nginx: " verdict(r("resume_seq"), 1.0)
	if (("https_ka32", "portier") in cpu && ("http_ka32", "portier") in cpu) {
		a = cpu["https_ka32", "portier"] - cpu["http_ka32", "portier"]
		b = cpu["https_ka32", "nginx"] - cpu["http_ka32", "nginx"]
		printf "  TLS adds to keep-alive CPU/req: portier %.1f us, nginx %.1f us: %s\n",
		    a, b, a <= b ? "met" : "MISSED"
	}
}' "$T/results"

#!/bin/sh
# t/bench/run.sh: runs the same loads against portier, nginx and a do-nothing
# blocking prefork floor on this machine, and prints requests/s, p50/p99
# latency, CPU time and voluntary context switches per request, and memory.
# Never part of `make check`; `make bench` runs it. See t/bench/README.md.
#
# usage: sh t/bench/run.sh [/abs/path/to/portier]
# environment: BENCH_SECONDS (10), BENCH_WARMUP (5), BENCH_SCENARIOS,
#   BENCH_SERVERS ("portier nginx floor"), BENCH_FLOOR_WORKERS (default: one
#   per connection), BENCH_QUIET_WAIT (30: seconds to wait for quiet CPUs
#   before each run), BENCH_RETRIES (2: repeats of a disturbed run),
#   BENCH_KEEP=1 (keep the temp dir), BENCH_MODULES (mod_status's and
#   mod_rewrite's folder for status_ka32 and rewrite_ka32), CC, NGINX,
#   APACHE (apache2, for rewrite_ka32 and forward_ka32), SQUID (squid,
#   for forward_ka32), BENCH_CACHE_MEMORY (pcache's zone memory, 64m; 0:
#   small objects in files as before), WRK.

set -u

# The scenarios to run, in order; each NAME has a function scenario_NAME.
SCENARIOS=${BENCH_SCENARIOS:-"static_ka32 static_close32 static_ka256"}
SERVERS=${BENCH_SERVERS:-"portier nginx floor"}

# A scenario function sets:
#   DESC	one line for the table
#   KIND	static: servers serve DOCROOT; the floor is floor_server.
#		proxy: an nginx origin serving DOCROOT runs on the load CPU,
#		servers relay to it; the floor is floor_relay.
#		forward: the same origin, requests in absolute form
#		(http://127.0.0.1:ORIGIN_PORT/path) to forward proxies.
#   CONNS	wrk connections (one wrk thread)
#   URLPATH	the path requested
#   HEADER	one extra request header for wrk, or empty
#   UNIQUE	"yes": every request asks for another URL (?u=N), so a
#		cache misses every time (unset: the same URL)
#   TARGET	"cpu nginx 1.0": portier's CPU/request <= 1.0x nginx's;
#		"p99 floor 1.5": portier's p99 <= 1.5x the floor's; or empty
scenario_static_ka32() {
	DESC="static 1 KiB, keep-alive, 32 conns"
	KIND=static CONNS=32 URLPATH=/1k.html HEADER="" TARGET="cpu nginx 1.0"
}
scenario_static_close32() {
	DESC="static 1 KiB, Connection: close, 32 conns"
	KIND=static CONNS=32 URLPATH=/1k.html HEADER="Connection: close"
	TARGET="cpu nginx 1.0"
}
scenario_static_ka256() {
	DESC="static 1 KiB, keep-alive, 256 conns"
	KIND=static CONNS=256 URLPATH=/1k.html HEADER=""
	TARGET="p99 floor 1.5"
}
# mod_status loaded and counting every request ("pstatus": portier with
# the module and a status route) against the same portier without it.
# Not in the default list: BENCH_SCENARIOS=status_ka32.
scenario_status_ka32() {
	DESC="static 1 KiB, keep-alive, 32 conns, mod_status"
	KIND=static CONNS=32 URLPATH=/1k.html HEADER=""
	TARGET="cpu portier 1.03 pstatus" SCEN_SERVERS="portier pstatus"
}
# Not in the default list yet (run with BENCH_SCENARIOS=proxy_ka32).
scenario_proxy_ka32() {
	DESC="reverse proxy 1 KiB, keep-alive, 32 conns"
	KIND=proxy CONNS=32 URLPATH=/1k.html HEADER="" TARGET=""
}
# The forward proxy (issue 6): absolute-form GETs through portier's
# forward_proxy, Squid (one process, no cache, pooled origin connections),
# Apache mod_proxy forward (ProxyRequests On) and floor_relay. Targets:
# portier's CPU/request above the floor's is no more than the reverse
# proxy's above its floor (proxy_ka32 must run in the same bench), and
# at most a third of Squid's. Not in the default list:
# BENCH_SCENARIOS="proxy_ka32 forward_ka32".
scenario_forward_ka32() {
	DESC="forward proxy 1 KiB, keep-alive, 32 conns"
	KIND=forward CONNS=32 URLPATH=/1k.html HEADER=""
	TARGET="above floor 1.0 portier proxy_ka32; cpu squid 0.3333"
	SCEN_SERVERS="portier squid apache floor"
}
# CONNECT tunnel throughput (issue 6: >= 1 GB/s): tunnel_bench on the
# load CPU sends BYTES (BENCH_TUNNEL_BYTES, 1 GiB) up through one tunnel
# to its own origin, then the origin sends as many down. Reported apart
# from the wrk table: GB/s each way and the server's CPU per GiB moved.
scenario_connect_1g() {
	DESC="CONNECT tunnel, 1 GiB up then 1 GiB down"
	KIND=forward CONNS=1 URLPATH=/1k.html HEADER="" TARGET=""
	MEASURE=pump SCEN_SERVERS="portier squid"
}
# The forward load of forward_ka32 while HOLD (BENCH_TUNNELS_IDLE, 5,000)
# idle CONNECT tunnels stay open (issue 6: held by 32 workers with
# requests still served). tunnel_bench opens them first, from
# 127.0.0.10, .11, ... (200 per address: portier allows 256 per client
# address by default) and checks that a sample still echoes at the end.
# Portier runs exactly 32 workers.
scenario_idle5k() {
	DESC="forward 1 KiB, 32 conns, idle tunnels open"
	KIND=forward CONNS=32 URLPATH=/1k.html HEADER="" TARGET=""
	HOLD=${BENCH_TUNNELS_IDLE:-5000} SCEN_SERVERS="portier"
	PORTIER_WORKERS="start = 32; min_spare = 0; max_spare = 32; max = 32;"
}
# mod_rewrite: the reverse proxy route with the 50 rules of rewrite_rules
# (none matches the request): "prewrite" is portier with them, "portier"
# the same route without them, "apache" Apache prefork with the same rules
# in its mod_rewrite. Targets: the rules cost <= 0.7 us of CPU per request,
# and portier's CPU per request is <= 0.5x Apache's. Not in the default
# list: BENCH_SCENARIOS=rewrite_ka32.
scenario_rewrite_ka32() {
	DESC="reverse proxy 1 KiB, 50 rewrite rules, 32 conns"
	KIND=proxy CONNS=32 URLPATH=/1k.html HEADER=""
	TARGET="dcpu portier 0.7 prewrite; cpu apache 0.5 prewrite"
	SCEN_SERVERS="portier prewrite apache"
}
# mod_cache: hits of a 1 KiB and a 1 MiB object the origin marks fresh for
# an hour ("pcache": portier with a zone on the route) against nginx's
# proxy_cache ("ncache") and portier relaying uncached. Targets: a hit's
# CPU <= 0.8x nginx's (1 KiB), <= 1.0x (1 MiB). Not in the default list:
# BENCH_SCENARIOS="cache_ka32 cache1m_ka32".
scenario_cache_ka32() {
	DESC="cache hit 1 KiB, keep-alive, 32 conns"
	KIND=proxy CONNS=32 URLPATH=/1k.html HEADER="" ORIGIN_EXTRA="expires 1h;"
	TARGET="cpu ncache 0.8 pcache" SCEN_SERVERS="pcache ncache portier"
}
# Misses: every request another URL of the same object (?u=N), so the
# cache fetches and stores each one; against the same requests uncached.
# Target: a miss's CPU <= 1.1x an uncached proxied request's.
scenario_cache_miss_ka32() {
	DESC="cache miss 1 KiB, keep-alive, 32 conns"
	KIND=proxy CONNS=32 URLPATH=/1k.html HEADER="" ORIGIN_EXTRA="expires 1h;"
	UNIQUE=yes TARGET="cpu portier 1.1 pcache" SCEN_SERVERS="pcache portier"
}
scenario_cache1m_ka32() {
	DESC="cache hit 1 MiB, keep-alive, 32 conns"
	KIND=proxy CONNS=32 URLPATH=/1m.bin HEADER="" ORIGIN_EXTRA="expires 1h;"
	TARGET="cpu ncache 1.0 pcache" SCEN_SERVERS="pcache ncache"
}

# 50 realistic rules of a site: moved pages, legacy URLs, blocked probes,
# asset paths. One per line: pattern, substitution, flags (portier's
# names, comma-separated), tab-separated. Printed as portier's rules list
# (rewrite_rules portier) or as Apache RewriteRule lines (rewrite_rules
# apache).
rewrite_rules() {
	tab=$(printf '\t')
	while IFS="$tab" read -r pat to flags; do
		[ -n "$pat" ] || continue
		# printf, not echo: dash's echo eats backslashes.
		if [ "$1" = tsv ]; then
			printf '%s\t%s\t%s\n' "$pat" "$to" "$flags"
		elif [ "$1" = apache ]; then
			printf 'RewriteRule "%s" "%s" [%s]\n' "$pat" "$to" \
			    "$(printf '%s' "$flags" | sed 's/redirect=\([0-9]*\)/R=\1,L/;
			    s/last/L/; s/nocase/NC/; s/qsappend/QSA/;
			    s/forbidden/F/; s/gone/G/')"
		else
			printf '{ match = "%s"; to = "%s"; flags = [ "%s" ]; },\n' \
			    "$(printf '%s' "$pat" | sed 's/\\/\\\\/g')" "$to" \
			    "$(printf '%s' "$flags" | sed 's/,/", "/g')"
		fi
	done <<'EOF'
^/old-blog/([0-9]+)/([a-z0-9-]+)/?$	/blog/$2	redirect=301
^/blog/category/(.*)$	/blog/tags/$1	redirect=301
^/index\.php$	/	redirect=301
^/products/([0-9]+)/?$	/shop/item/$1	last
^/products/([0-9]+)/reviews$	/shop/item/$1/reviews	last
^/shop/cart/?$	/cart	last
^/user/([a-z0-9_]+)$	/profile/$1	last
^/u/([0-9]+)$	/profile/id/$1	last
^/download/(.+)\.(zip|tar\.gz)$	/files/$1.$2	last
^/docs/v1/(.*)$	/docs/v3/$1	redirect=301
^/docs/v2/(.*)$	/docs/v3/$1	redirect=301
^/api/v1/(.*)$	/api/v2/$1	last
^/feed/?$	/rss.xml	last
^/rss/?$	/rss.xml	last
^/sitemap\.xml$	/sitemaps/index.xml	last
^/favicon\.ico$	/static/favicon.ico	last
^/robots\.txt$	/static/robots.txt	last
^/wp-admin	-	forbidden
^/wp-login\.php	-	forbidden
^/xmlrpc\.php	-	forbidden
\.(bak|old|orig|swp)$	-	forbidden
(^|/)\.(git|svn|hg|env)(/|$)	-	forbidden
^/cgi-bin/	-	gone
^/phpmyadmin	-	gone,nocase
^/about-us/?$	/about	redirect=301
^/contact-us/?$	/contact	redirect=301
^/careers/([a-z-]+)$	/jobs/$1	redirect=301
^/news/([0-9]{4})/([0-9]{2})/(.*)$	/blog/$1-$2-$3	redirect=301
^/press/(.*)$	/news/$1	redirect=301
^/en/(.*)$	/$1	redirect=301
^/fr/(.*)$	/fr-fr/$1	last
^/de/(.*)$	/de-de/$1	last
^/m/(.*)$	/$1	redirect=302
^/mobile/(.*)$	/$1	redirect=302
^/amp/(.*)$	/$1	redirect=301
^/search/(.+)$	/search?q=$1	last,qsappend
^/tag/([^/]+)/?$	/blog/tags/$1	last
^/category/([^/]+)/page/([0-9]+)$	/blog/c/$1?page=$2	last
^/images/(.*)\.(jpe?g|png|gif)$	/media/img/$1.$2	last
^/css/(.*)$	/assets/css/$1	last
^/js/(.*)$	/assets/js/$1	last
^/fonts/(.*)$	/assets/fonts/$1	last
^/promo/summer-?sale$	/offers/summer	redirect=302,nocase
^/go/([a-z0-9]+)$	/out?to=$1	last
^/help/?$	/support	redirect=301
^/faq/?$	/support/faq	redirect=301
^/terms/?$	/legal/terms	redirect=301
^/privacy/?$	/legal/privacy	redirect=301
^/status/?$	/health	last
^/v/([A-Za-z0-9]{8})$	/video/$1	last
EOF
}

PORTIER=${1:-}
# mod_status for the pstatus server: BENCH_MODULES, or the build tree's.
MODULES=${BENCH_MODULES:-$(cd "$(dirname "${PORTIER:-.}")/.." 2>/dev/null &&
    pwd)/modules/.built}
SECONDS_=${BENCH_SECONDS:-10}
WARMUP=${BENCH_WARMUP:-5}	# lets a prefork pool grow to the load first
QUIET_WAIT=${BENCH_QUIET_WAIT:-30}
RETRIES=${BENCH_RETRIES:-2}
CPU_SERVER=0		# servers under test
CPU_LOAD=1		# wrk and origins
CC=${CC:-cc}
NGINX=${NGINX:-nginx}
APACHE=${APACHE:-apache2}
SQUID=${SQUID:-squid}
WRK=${WRK:-wrk}
HERE=$(cd "$(dirname "$0")" && pwd)
HZ=$(getconf CLK_TCK)		# /proc/PID/stat and /proc/stat units
STARTED=""		# process groups to kill on exit
WRK_PID=""		# a running wrk
HOLD_PID=""		# a running tunnel_bench hold

die() {
	echo "bench: $*" >&2
	exit 1
}

cleanup() {
	[ -n "$WRK_PID" ] && kill "$WRK_PID" 2>/dev/null
	[ -n "$HOLD_PID" ] && kill "$HOLD_PID" 2>/dev/null
	for g in $STARTED; do
		kill -KILL -"$g" 2>/dev/null
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: kept $T"
	else
		rm -rf "$T"
	fi
}

T=$(mktemp -d /tmp/portier-bench.XXXXXX) || die "mktemp failed"
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM
chmod 755 "$T"

# --- processes -------------------------------------------------------------

. "$HERE/proc.sh"

# Prints "cpu_us voluntary_switches processes hwm_kb cpu_busy_us cpu_all_us":
# the first four summed over the processes of group $1, the last two the
# busy and total time of CPU_SERVER from /proc/stat (what the server did not
# use of it went to interrupts and other programs).
# CPU time is each thread's sum_exec_runtime from /proc/PID/task/*/schedstat
# (in ns: utime+stime in /proc/PID/stat are truncated to 10 ms ticks per
# process, which loses seconds over 256 workers), plus cutime+cstime from
# /proc/PID/stat: a reaped child's time moves into its parent's, so workers
# that exit during a run still count as long as the master reaps them.
# Context switches and VmHWM of an exited process are lost.
sample() {
	{
		for p in $(procs_of "$1"); do
			cat "/proc/$p/stat" "/proc/$p/status" \
			    "/proc/$p/task/"*/schedstat 2>/dev/null
		done
		grep "^cpu$CPU_SERVER " /proc/stat
	} | awk -v cpu="cpu$CPU_SERVER" -v hz="$HZ" '
	/^[0-9]+ \(/ {
		s = $0; sub(/^.*\) /, "", s); split(s, a, " ")
		us += (a[14] + a[15]) * 1e6 / hz; n++
	}
	NF == 3 && /^[0-9]+ [0-9]+ [0-9]+$/ { us += $1 / 1000 }
	/^voluntary_ctxt_switches:/ { v += $2 }
	/^VmHWM:/ { h += $2 }
	$1 == cpu { for (i = 2; i <= NF; i++) all += $i; busy = all - $5 - $6 }
	END {
		printf "%.0f %d %d %d %.0f %.0f\n", us, v, n, h, \
		    busy * 1e6 / hz, all * 1e6 / hz
	}'
}

# Prints the largest Private_Dirty (KiB) among the idle workers of process
# group $1: children whose command line says "worker", or all children
# when none does.
idle_dirty() {
	w="" all=""
	for p in $(procs_of "$1"); do
		[ "$p" = "$1" ] && continue
		all="$all $p"
		{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null |
		    grep -q worker && w="$w $p"
	done
	[ -n "$w" ] || w=$all
	for p in $w; do
		cat "/proc/$p/smaps_rollup" 2>/dev/null
	done | awk '/^Private_Dirty:/ { if ($2 > m) m = $2 }
	    END { print m + 0 }'
}

# Waits until GET $1 (through proxy $3, if given) answers 200, for up to
# 10 s, while group $2 lives.
wait_ready() {
	i=0
	while [ $i -lt 100 ]; do
		[ -n "$(procs_of "$2")" ] || return 1
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
		    ${3:+-x "$3"} "$1")
		[ "$code" = 200 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Prints how busy CPUs CPU_SERVER and CPU_LOAD were over 1 s; fails when
# either was over 10% busy: another program there disturbs every number.
cpu_busy() {
	a=$(grep -E "^cpu($CPU_SERVER|$CPU_LOAD) " /proc/stat)
	sleep 1
	b=$(grep -E "^cpu($CPU_SERVER|$CPU_LOAD) " /proc/stat)
	printf "%s\n%s\n" "$a" "$b" | awk '{
		t = 0; for (i = 2; i <= NF; i++) t += $i
		if (!($1 in tot)) { tot[$1] = t; idle[$1] = $5 + $6; next }
		if (t == tot[$1]) t++
		b = 100 - 100 * ($5 + $6 - idle[$1]) / (t - tot[$1])
		printf "%s%s %.0f%% busy", sep, $1, b; sep = ", "
		if (b > 10) w = 1
	}
	END { exit w }'
}

# Waits up to QUIET_WAIT seconds for CPUs CPU_SERVER and CPU_LOAD to be
# quiet, and says so when they do not become quiet.
quiet_wait() {
	i=0
	while ! busy=$(cpu_busy); do
		i=$((i + 1))
		if [ $i -ge "$QUIET_WAIT" ]; then
			echo "  WARNING: other programs use the CPUs ($busy)"
			return
		fi
	done
}

# --- servers ---------------------------------------------------------------
# start_NAME starts server NAME for the current scenario (KIND, CONNS,
# ORIGIN_PORT) on CPU_SERVER, and sets PGID and PORT; it returns non-zero
# with a message in SKIP when the server cannot run.

start_portier() {
	if [ -z "$PORTIER" ] || [ ! -x "$PORTIER" ]; then
		SKIP="no portier binary${PORTIER:+ at $PORTIER}"
		return 1
	fi
	d=$T/${PORTIER_NAME:-portier}
	rm -rf "$d"
	mkdir -p "$d"
	status="" status_route="" status_args=""
	if [ "${PORTIER_NAME:-}" = pstatus ]; then
		status='modules = { load = [ "mod_status" ]; };'
		status_route='{ path = "/status"; status = { enable = true; }; },'
		status_args="-M $MODULES"
	fi
	if [ "$KIND" = proxy ]; then
		upstreams="upstreams = ( { name = \"origin\"; servers = ( {
		    address = \"127.0.0.1:$ORIGIN_PORT\"; } ); } );"
		route="{ path = \"/\"; upstream = \"origin\"; }"
	elif [ "$KIND" = forward ]; then
		upstreams=""
		route=""
	else
		upstreams=""
		route="{ path = \"/\"; root = \"$T/docroot\"; }"
	fi
	if [ "${PORTIER_NAME:-}" = pcache ]; then
		status="modules = { load = [ \"mod_cache\" ]; };
cache = { zones = ( { name = \"main\"; size = \"256m\";
    max_object = \"4m\"; dir = \"$d/cache\";
    memory = \"${BENCH_CACHE_MEMORY:-64m}\"; } ); };"
		status_args="-M $MODULES"
		route="{ path = \"/\"; upstream = \"origin\";
		    cache = { zone = \"main\"; }; }"
	fi
	if [ "${PORTIER_NAME:-}" = prewrite ]; then
		status='modules = { load = [ "mod_rewrite" ]; };'
		status_args="-M $MODULES"
		route="{ path = \"/\"; ${route#\{ path = \"/\"; }"
		route="${route%\}} rewrite = { rules = (
		    $(rewrite_rules portier | sed '$ s/,$//') ); }; }"
	fi
	cat >"$d/portier.conf" <<EOF
error_log = "$d/error.log";
log_level = "warn";
listen_report = "$d/ports";
workers = { ${PORTIER_WORKERS:-start = 8; min_spare = 2; max_spare = 16; max = 64;} };
access_log = "off";
$status
$upstreams
servers = ( { listen = [ "127.0.0.1:0" ]; $(portier_server_body) } );
EOF
	# shellcheck disable=SC2086 # status_args: none, or two words
	launch $CPU_SERVER "${PORTIER_NAME:-portier}" "$PORTIER" -F \
	    -f "$d/portier.conf" -u "$(id -un)" $status_args
	i=0
	while [ ! -s "$d/ports" ] && [ $i -lt 100 ] &&
	    [ -n "$(procs_of "$PGID")" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	PORT=$(awk '{ n = split($NF, a, ":"); print a[n]; exit }' \
	    "$d/ports" 2>/dev/null)
	if [ -z "$PORT" ]; then
		if [ -z "$(procs_of "$PGID")" ]; then
			wait "$PGID"
			SKIP="portier exited with status $?"
		else
			SKIP="portier wrote no listen_report in 10 s"
		fi
		SKIP="$SKIP: $(cat "$T/${PORTIER_NAME:-portier}.out" \
		    "$d/error.log" 2>/dev/null | tail -n 3 | tr "\n" " ")"
		return 1
	fi
}

# The inside of start_portier's server: routes, or the forward proxy
# (open to loopback clients, loopback destinations allowed for them).
portier_server_body() {
	if [ "$KIND" = forward ]; then
		echo "forward_proxy = { local_clients = [ \"127.0.0.0/8\" ];
		    connect_ports = [ $TUNNEL_PORT ];
		    acl = ( { name = \"lo\"; client = [ \"127.0.0.0/8\" ];
		    action = \"allow\"; } ); };"
	else
		echo "routes = ( $status_route $route );"
	fi
}

# Portier with mod_status from MODULES (BENCH_MODULES, or the build tree
# next to the binary) and a status route; the requests go elsewhere.
start_pstatus() {
	if [ ! -e "$MODULES/mod_status.so" ]; then
		SKIP="no mod_status.so in $MODULES"
		return 1
	fi
	PORTIER_NAME=pstatus
	start_portier
	rc=$?
	PORTIER_NAME=""
	return $rc
}

# Portier with mod_cache from MODULES and a zone on its route.
start_pcache() {
	if [ ! -e "$MODULES/mod_cache.so" ]; then
		SKIP="no mod_cache.so in $MODULES"
		return 1
	fi
	PORTIER_NAME=pcache
	start_portier
	rc=$?
	PORTIER_NAME=""
	return $rc
}

# nginx with proxy_cache in front of the origin.
start_ncache() {
	NGINX_CACHE=1 start_nginx
}

# The rule engine alone (rewrite_micro.c, built against the source tree
# next to the portier binary): CPU per pass of the 50 rules over URLPATH.
rewrite_micro() {
	src=$HERE/../..
	bld=$(dirname "$PORTIER")/..
	$CC -O2 -I"$bld" -I"$src/server/include" -I"$src/server" \
	    -I"$src/modules/mod_rewrite" -o "$T/rewrite_micro" \
	    "$HERE/rewrite_micro.c" "$src/modules/mod_rewrite/rewrite_engine.c" \
	    "$src/modules/mod_rewrite/rewrite_run.c" \
	    "$src/modules/mod_rewrite/rewrite_build.c" \
	    "$src/modules/mod_rewrite/rewrite_map.c" "$src/server/arena.c" \
	    -lpcre2-8 2>"$T/rewrite_micro.err" || {
		echo "  engine alone: not built, see $T/rewrite_micro.err"
		return
	}
	echo "  engine alone: $(rewrite_rules tsv |
	    taskset -c $CPU_SERVER "$T/rewrite_micro" "$URLPATH")"
}

# Portier with mod_rewrite from MODULES and the 50 rules on its route.
start_prewrite() {
	if [ ! -e "$MODULES/mod_rewrite.so" ]; then
		SKIP="no mod_rewrite.so in $MODULES"
		return 1
	fi
	PORTIER_NAME=prewrite
	start_portier
	rc=$?
	PORTIER_NAME=""
	return $rc
}

# Apache httpd (Debian's apache2) with the prefork MPM, sized like
# portier's workers, no access log; for proxy scenarios mod_proxy_http to
# the origin with the 50 rules of rewrite_rules in mod_rewrite (server
# context), for static ones the docroot. As root, its children run as
# www-data (Apache refuses root).
start_apache() {
	command -v "$APACHE" >/dev/null || { SKIP="no $APACHE"; return 1; }
	d=$T/apache
	rm -rf "$d"
	mkdir -p "$d"
	PORT=$(free_port)
	m=/usr/lib/apache2/modules
	user=""
	[ "$(id -u)" = 0 ] && user="User www-data
Group www-data"
	if [ "$KIND" = proxy ]; then
		site="LoadModule proxy_module $m/mod_proxy.so
LoadModule proxy_http_module $m/mod_proxy_http.so
LoadModule rewrite_module $m/mod_rewrite.so
RewriteEngine On
$(rewrite_rules apache)
ProxyPass / http://127.0.0.1:$ORIGIN_PORT/"
	elif [ "$KIND" = forward ]; then
		site="LoadModule proxy_module $m/mod_proxy.so
LoadModule proxy_http_module $m/mod_proxy_http.so
LoadModule authz_host_module $m/mod_authz_host.so
ProxyRequests On
ProxyVia On
<Proxy \"*\">
	Require ip 127.0.0.0/8
</Proxy>"
	else
		site="LoadModule mime_module $m/mod_mime.so
TypesConfig /etc/mime.types
DocumentRoot $T/docroot
<Directory $T/docroot>
	Require all granted
</Directory>"
	fi
	cat >"$d/httpd.conf" <<EOF
ServerRoot $d
ServerName localhost
DefaultRuntimeDir $d
PidFile $d/httpd.pid
Listen 127.0.0.1:$PORT
ErrorLog $d/error.log
LogLevel warn
LoadModule mpm_prefork_module $m/mod_mpm_prefork.so
LoadModule authz_core_module $m/mod_authz_core.so
$user
StartServers 8
MinSpareServers 2
MaxSpareServers 16
ServerLimit 64
MaxRequestWorkers 64
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 1000
KeepAliveTimeout 5
$site
EOF
	launch $CPU_SERVER apache "$APACHE" -f "$d/httpd.conf" -DFOREGROUND
}

# Writes an nginx configuration for a server on port $2 into dir $1:
# static from DOCROOT, or (with $3 set) a keep-alive relay to port $3.
nginx_conf() {
	user=""
	[ "$(id -u)" = 0 ] && user="user $(id -un) $(id -gn);"
	if [ -n "${3:-}" ]; then
		upstream="upstream origin { server 127.0.0.1:$3;
		    keepalive 64; }"
		location="location / { proxy_pass http://origin;
		    proxy_http_version 1.1; proxy_set_header Connection \"\";
		    ${NGINX_CACHE:+proxy_cache c;} }"
		[ -n "${NGINX_CACHE:-}" ] && upstream="$upstream
		    proxy_cache_path $1/cache levels=1:2 keys_zone=c:10m
		    max_size=256m inactive=10m use_temp_path=off;"
	else
		upstream=""
		location=""
	fi
	mkdir -p "$1"
	cat >"$1/nginx.conf" <<EOF
worker_processes 1;
$user
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $1/body;
	proxy_temp_path $1/proxy;
	fastcgi_temp_path $1/fastcgi;
	uwsgi_temp_path $1/uwsgi;
	scgi_temp_path $1/scgi;
	keepalive_requests ${NGINX_KEEPALIVE_REQUESTS:-1000};
	$upstream
	server {
		listen 127.0.0.1:$2;
		root $T/docroot;
		${NGINX_EXTRA:-}
		$location
	}
}
EOF
}

start_nginx() {
	command -v "$NGINX" >/dev/null || { SKIP="no nginx"; return 1; }
	d=$T/nginx
	rm -rf "$d"
	PORT=$(free_port)
	nginx_conf "$d" "$PORT" "${ORIGIN_PORT:-}"
	launch $CPU_SERVER nginx "$NGINX" -p "$d/" -e "$d/error.log" \
	    -c "$d/nginx.conf" -g 'daemon off;'
}

start_floor() {
	PORT=$(free_port)
	w=${BENCH_FLOOR_WORKERS:-$CONNS}
	if [ "$KIND" != static ]; then
		launch $CPU_SERVER floor "$T/floor_relay" "$PORT" "$w" \
		    "127.0.0.1:$ORIGIN_PORT"
	else
		launch $CPU_SERVER floor "$T/floor_server" "$PORT" "$w"
	fi
}

# The origin for proxy scenarios: nginx on the load CPU, connections kept
# as long as the relays want.
start_origin() {
	ORIGIN_PORT=$(free_port)
	NGINX_KEEPALIVE_REQUESTS=100000000 NGINX_EXTRA="${ORIGIN_EXTRA:-}" \
	    nginx_conf "$T/origin" "$ORIGIN_PORT"
	launch $CPU_LOAD origin "$NGINX" -p "$T/origin/" \
	    -e "$T/origin/error.log" -c "$T/origin/nginx.conf" -g 'daemon off;'
	ORIGIN_PGID=$PGID
	wait_ready "http://127.0.0.1:$ORIGIN_PORT$URLPATH" "$ORIGIN_PGID" ||
	    die "the origin did not start: $(cat "$T/origin.out")"
	cat >"$T/forward.lua" <<EOF
wrk.path = "http://127.0.0.1:$ORIGIN_PORT$URLPATH"
wrk.headers["Host"] = "127.0.0.1:$ORIGIN_PORT"
EOF
}

# --- one run ---------------------------------------------------------------

# Runs wrk for $1 seconds against $2; output in $3. In the background, so
# that a signal interrupts the wait and cleanup stops wrk too.
# Forward scenarios ask for the origin's URL in absolute form
# (T/forward.lua, written by start_origin).
load() {
	secs=$1 url=$2 out=$3
	set --
	[ -n "$HEADER" ] && set -- -H "$HEADER"
	[ "$KIND" = forward ] && set -- "$@" -s "$T/forward.lua"
	if [ "${UNIQUE:-}" = yes ]; then
		# Another query string per request, and per run (warm-up apart).
		printf '%s\n' 'local t, n = os.time(), 0' 'request = function()' \
		    '  n = n + 1' \
		    '  return wrk.format(nil, wrk.path .. "?u=" .. t .. "-" .. n)' \
		    'end' >"$T/unique.lua"
		set -- "$@" -s "$T/unique.lua"
	fi
	taskset -c $CPU_LOAD "$WRK" -t1 -c"$CONNS" -d"$secs"s --latency \
	    "$@" "$url" >"$out" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID"
	WRK_PID=""
}

# Prints "rps p50_us p99_us requests errors" from wrk output $1.
parse_wrk() {
	awk '
	function us(v) {
		if (v ~ /us$/) return v + 0
		if (v ~ /ms$/) return v * 1000
		if (v ~ /m$/) return v * 60000000
		if (v ~ /s$/) return v * 1000000
		return v + 0
	}
	$1 == "50%" { p50 = us($2) }
	$1 == "99%" { p99 = us($2) }
	$2 == "requests" && $3 == "in" { n = $1 }
	/^Requests\/sec:/ { rps = $2 }
	/Socket errors:/ { e += $4 + $6 + $8 + $10 }
	/Non-2xx or 3xx responses:/ { e += $5 }
	END { printf "%.2f %.0f %.0f %d %d\n", rps, p50, p99, n, e }' "$1"
}

# Measures server $2, running as group PGID, once at URL $1: warm-up, then
# the measured run. Sets LINE to "scenario server rps p50 p99 cpu_us/req
# vcsw/req errors procs hwm_mib idle_dirty_kib other%".
measure() {
	[ "$WARMUP" -gt 0 ] && load "$WARMUP" "$1" "$T/warmup.out"
	before=$(sample "$PGID")
	load "$SECONDS_" "$1" "$T/wrk.$SCEN.$2.out"
	after=$(sample "$PGID")
	sleep 0.5
	dirty=$(idle_dirty "$PGID")
	LINE=$(echo "$SCEN $2 $(parse_wrk "$T/wrk.$SCEN.$2.out") $before" \
	    "$after $dirty" | awk '{
		# 3 rps, 4 p50, 5 p99, 6 requests, 7 errors; before: 8 cpu us,
		# 9 vcsw, 10 procs, 11 hwm, 12 cpu busy us, 13 cpu all us;
		# after: 14-19 the same; 20 dirty
		n = $6 > 0 ? $6 : 1
		us = $14 - $8
		other = $19 > $13 ? 100 * ($18 - $12 - us) / ($19 - $13) : 0
		printf "%s %s %.0f %.0f %.0f %.2f %.2f %d %d %.1f %d %.0f\n", \
		    $1, $2, $3, $4, $5, us / n, \
		    ($15 - $9) / n, $7, $16, $17 / 1024, $20, \
		    (other > 0 ? other : 0)
	    }')
}

# Waits until the server just started at PORT, as group $1, answers.
ready() {
	if [ "$KIND" = forward ]; then
		wait_ready "http://127.0.0.1:$ORIGIN_PORT$URLPATH" "$1" \
		    "http://127.0.0.1:$PORT"
	else
		wait_ready "http://127.0.0.1:$PORT$URLPATH" "$1"
	fi
}

# Runs the current scenario against server $1 and appends the result to
# $T/results (see measure), or "scenario server skipped reason...". A run
# during which more than 10% of CPU_SERVER went to other programs is
# repeated, up to RETRIES times.
run_one() {
	SKIP="" PGID=""
	quiet_wait
	if ! "start_$1" || ! ready "$PGID"; then
		[ -n "$SKIP" ] || SKIP="$1 did not start: $(tail -n 3 \
		    "$T/$1.out" | tr '\n' ' ')"
		[ -n "${PGID:-}" ] && stop "$PGID"
		echo "$SCEN $1 skipped $SKIP" >>"$T/results"
		echo "  $1: skipped: $SKIP"
		return
	fi
	if [ "${MEASURE:-}" = pump ]; then
		measure_pump "$1"
		stop "$PGID"
		PGID=""
		return
	fi
	[ -n "${HOLD:-}" ] && hold_open "$1"
	try=0
	while :; do
		measure "http://127.0.0.1:$PORT$URLPATH" "$1"
		other=$(echo "$LINE" | awk '{ print $12 }')
		[ "$other" -le 10 ] && break
		if [ $try -ge "$RETRIES" ]; then
			echo "  WARNING: $1: $other% of CPU $CPU_SERVER" \
			    "went to other work during the run:" \
			    "its numbers are off"
			break
		fi
		echo "  $1: $other% of CPU $CPU_SERVER went to other work," \
		    "measuring again"
		try=$((try + 1))
		quiet_wait
	done
	[ -n "${HOLD:-}" ] && hold_close "$1"
	stop "$PGID"
	PGID=""
	echo "$LINE" | tee -a "$T/results" | awk '{
		printf "  %-8s %9s req/s  p50 %7s us  p99 %7s us  " \
		    "cpu %6s us/req  vcsw %5s/req  errors %s  other %s%%\n", \
		    $2, $3, $4, $5, $6, $7, $8, $12 }'
	echo "$LINE" | awk '$8 > 0 { exit 1 }' ||
	    echo "  $1: wrk reported errors, see $T/wrk.$SCEN.$1.out"
}

# --- report ----------------------------------------------------------------

report() {
	awk -v order="$SCENARIOS" -v descs="$T/descs" '
	BEGIN {
		while ((getline l < descs) > 0) {
			k = l; sub(/ .*/, "", k); d = l; sub(/^[^ ]* /, "", d)
			split(d, x, "|"); desc[k] = x[1]; target[k] = x[2]
		}
	}
	$3 == "skipped" { skip[$1, $2] = 1; next }
	{
		ok[$1, $2] = 1; rps[$1, $2] = $3; p50[$1, $2] = $4
		p99[$1, $2] = $5; cpu[$1, $2] = $6; vcsw[$1, $2] = $7
		err[$1, $2] = $8; procs[$1, $2] = $9; hwm[$1, $2] = $10
		dirty[$1, $2] = $11; other[$1, $2] = $12
	}
	function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
	function rows(md,	i, j, s, v, f) {
		for (i = 1; i <= ns; i++) for (j = 1; j <= nsv; j++) {
			s = sc[i]; v = sv[j]
			if (skip[s, v] && md)
				printf "| %s | %s | skipped |%s\n", desc[s], \
				    v, "  |  |  |  |  |  |  |  |  |"
			else if (skip[s, v])
				printf "%-42s %-7s skipped\n", desc[s], v
			if (!ok[s, v])
				continue
			if (md)
				f = "| %s | %s | %d | %d | %d | %.2f | %.2f |" \
				    " %d | %d | %.1f | %d | %d%% |\n"
			else
				f = "%-42s %-7s %8d %7d %7d %8.2f %6.2f %6d" \
				    " %5d %7.1f %6d %5d%%\n"
			printf f, desc[s], v, rps[s, v], p50[s, v], \
			    p99[s, v], cpu[s, v], vcsw[s, v], err[s, v], \
			    procs[s, v], hwm[s, v], dirty[s, v], other[s, v]
		}
	}
	# "cpu|p99 BASE RATIO [JUDGED]": the value of JUDGED <= RATIO x the
	# value of BASE; "dcpu BASE MICROS JUDGED": CPU/request of JUDGED
	# minus that of BASE <= MICROS; "above BASE RATIO JUDGED SCEN": JUDGED
	# minus BASE here <= RATIO x the same in scenario SCEN. Several
	# targets are separated by ";".
	function target_one(s, spec,	t, m, a, b, line, verdict, w, d, v) {
		split(spec, t, " ")
		if (t[1] == "above")
			return target_above(s, t)
		m = t[1] == "p99" ? "p99" : "CPU/request"
		w = t[4] != "" ? t[4] : "portier"	# the judged
		if (t[1] == "dcpu")
			line = sprintf("%s CPU/request - %s CPU/request <=" \
			    " %s us", w, t[2], t[3])
		else
			line = sprintf("%s %s <= %sx %s", w, m, t[3], t[2])
		if (t[1] == "p99") {
			a = p99[s, w]; b = p99[s, t[2]]
		} else {
			a = cpu[s, w]; b = cpu[s, t[2]]
		}
		d = t[1] == "dcpu" ? sprintf("%.2f us", a - b) : \
		    sprintf("%.2fx", b > 0 ? a / b : 0)
		if (!ok[s, w] || !ok[s, t[2]] || b <= 0)
			verdict = "not measured"
		else if (err[s, w] > 0)
			verdict = sprintf("%s, but %d errors: MISSED", d,
			    err[s, w])
		else {
			v = t[1] == "dcpu" ? a - b : a / b
			verdict = sprintf("%s: %s", d, v <= t[3] + 0 ? \
			    "met" : "MISSED")
		}
		if (other[s, w] > 10 || other[s, t[2]] > 10)
			verdict = verdict " (disturbed run)"
		tl[++ntl] = desc[s] "|" line "|" verdict
	}
	function target_above(s, t,	w, o, a, b, line, verdict) {
		w = t[4]; o = t[5]
		line = sprintf("%s CPU/request above %s <= %sx that in %s", \
		    w, t[2], t[3], o)
		a = cpu[s, w] - cpu[s, t[2]]; b = cpu[o, w] - cpu[o, t[2]]
		if (!ok[s, w] || !ok[s, t[2]] || !ok[o, w] || !ok[o, t[2]] ||
		    b <= 0)
			verdict = "not measured (run " o " in the same bench)"
		else if (err[s, w] > 0)
			verdict = sprintf("%d errors: MISSED", err[s, w])
		else
			verdict = sprintf("%.2f us vs %.2f us, %.2fx: %s", a, b, \
			    a / b, a / b <= t[3] + 0 ? "met" : "MISSED")
		if (other[s, w] > 10 || other[s, t[2]] > 10 ||
		    other[o, w] > 10 || other[o, t[2]] > 10)
			verdict = verdict " (disturbed run)"
		tl[++ntl] = desc[s] "|" line "|" verdict
	}
	function targets(	i, j, s, n, ts, md, have, verdict) {
		for (i = 1; i <= ns; i++) {
			s = sc[i]
			n = split(target[s], ts, ";")
			for (j = 1; j <= n; j++)
				if (ts[j] ~ /[a-z]/)
					target_one(s, ts[j])
		}
		for (i = 1; i <= ns; i++)
			if (ok[sc[i], "portier"]) {
				have = 1
				if (dirty[sc[i], "portier"] > md)
					md = dirty[sc[i], "portier"]
			}
		verdict = !have ? "not measured" : sprintf("%d KiB: %s", md, \
		    md <= 1024 ? "met" : "MISSED")
		tl[++ntl] = "any|idle portier worker Private_Dirty <= 1 MiB|" \
		    verdict
	}
	END {
		ns = split(order, sc, " ")
		nsv = split("portier pstatus prewrite squid apache nginx floor", sv,
		    " ")
		printf "\n%-42s %-7s %8s %7s %7s %8s %6s %6s %5s %7s %6s" \
		    " %6s\n", "scenario", "server", "req/s", "p50 us", \
		    "p99 us", "cpu us/r", "vcsw/r", "errors", "procs", \
		    "HWM MiB", "dirty", "other"
		rows(0)
		print "\nratios (portier / peer; lower is better):"
		for (i = 1; i <= ns; i++) {
			s = sc[i]
			if (!ok[s, "portier"])
				continue
			r[i] = sprintf("%s|%s|%s|%s", \
			    ratio(cpu[s, "portier"], cpu[s, "nginx"]), \
			    ratio(cpu[s, "portier"], cpu[s, "floor"]), \
			    ratio(p99[s, "portier"], p99[s, "nginx"]), \
			    ratio(p99[s, "portier"], p99[s, "floor"]))
			split(r[i], x, "|")
			printf "  %-42s CPU/req %sx nginx, %sx floor;" \
			    " p99 %sx nginx, %sx floor\n", desc[s], x[1], \
			    x[2], x[3], x[4]
			if (ok[s, "squid"] || ok[s, "apache"])
				printf "  %-42s CPU/req %sx squid, %sx apache\n", \
				    "", ratio(cpu[s, "portier"], cpu[s, "squid"]), \
				    ratio(cpu[s, "portier"], cpu[s, "apache"])
		}
		print "\ntargets:"
		targets()
		for (i = 1; i <= ntl; i++) {
			split(tl[i], x, "|")
			printf "  %-42s %s: %s\n", x[1], x[2], x[3]
		}

		print "\nmarkdown:\n"
		print "| scenario | server | req/s | p50 (us) | p99 (us) |" \
		    " CPU/req (us) | vol. cs/req | errors | procs |" \
		    " HWM sum (MiB) | idle worker dirty (KiB) | CPU0 other |"
		print "| --- | --- | ---: | ---: | ---: | ---: | ---: |" \
		    " ---: | ---: | ---: | ---: | ---: |"
		rows(1)
		print "\n| scenario | portier CPU/req vs nginx | vs floor |" \
		    " portier p99 vs nginx | vs floor |"
		print "| --- | ---: | ---: | ---: | ---: |"
		for (i = 1; i <= ns; i++) {
			if (!(i in r))
				continue
			split(r[i], x, "|")
			printf "| %s | %sx | %sx | %sx | %sx |\n", \
			    desc[sc[i]], x[1], x[2], x[3], x[4]
		}
		print "\n| scenario | target | result |"
		print "| --- | --- | --- |"
		for (i = 1; i <= ntl; i++) {
			split(tl[i], x, "|")
			printf "| %s | %s | %s |\n", x[1], x[2], x[3]
		}
	}' "$T/results"
}

# --- main ------------------------------------------------------------------

. "$HERE/run_forward.sh"

for tool in taskset setsid curl perl "$WRK"; do
	command -v "$tool" >/dev/null || die "$tool is required"
done
[ "$(nproc)" -ge 2 ] ||
    die "needs 2 CPUs (servers on $CPU_SERVER, load on $CPU_LOAD)"
for f in floor_server floor_relay tunnel_bench; do
	$CC -O2 -Wall -Wextra -Werror -o "$T/$f" "$HERE/$f.c" ||
	    die "cannot build $f"
done
TUNNEL_PORT=$(free_port)	# tunnel_bench's origins; CONNECT may reach it
mkdir -p "$T/docroot"
head -c 1024 /dev/zero | tr '\0' x >"$T/docroot/1k.html"
head -c 1048576 /dev/zero | tr '\0' y >"$T/docroot/1m.bin"
chmod -R a+rX "$T/docroot"
: >"$T/results"
: >"$T/descs"

echo "bench: $SECONDS_ s per run (+$WARMUP s warm-up), servers on CPU" \
    "$CPU_SERVER, wrk on CPU $CPU_LOAD; $("$NGINX" -v 2>&1)"
for SCEN in $SCENARIOS; do
	command -v "scenario_$SCEN" >/dev/null || die "no scenario $SCEN"
	SCEN_SERVERS="" MEASURE="" HOLD="" PORTIER_WORKERS="" ORIGIN_EXTRA="" UNIQUE=""
	"scenario_$SCEN"
	echo "$SCEN $DESC|$TARGET" >>"$T/descs"
	echo "$DESC:"
	ORIGIN_PORT=""
	case $SCEN in rewrite*) [ -n "$PORTIER" ] && rewrite_micro ;; esac
	[ "$KIND" != static ] && start_origin
	for srv in ${SCEN_SERVERS:-$SERVERS}; do
		run_one "$srv"
	done
	[ "$KIND" != static ] && stop "$ORIGIN_PGID"
done
report
report_tunnels

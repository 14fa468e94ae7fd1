#!/bin/sh
# t/cache-conformance.sh BUILDDIR [reverse|forward]: runs the public HTTP
# caching test suite (npm "http-cache-tests") against portier + mod_cache
# and prints the count of required tests passed. reverse (the default):
# the suite's client asks portier, a reverse proxy in front of the suite's
# server. forward: portier is a forward proxy and the client sends it
# absolute-form requests for the suite's server (Node's fetch ignores proxy
# settings, so an agent rewrites the request line). Needs node and npm
# (and the npm registry the first time); never part of `make check`.
# HCT_DIR: an unpacked http-cache-tests with node_modules (fetched into
# BUILDDIR/t/tmp/hct when unset).
set -eu
B=$(cd "${1:-.}" && pwd)
MODE=${2:-reverse}
case $MODE in reverse|forward) ;; *) echo "mode: reverse or forward" >&2; exit 2;; esac
W=$B/t/tmp/hct-run-$MODE
HCT_DIR=${HCT_DIR:-$B/t/tmp/hct/package}
OPORT=${HCT_ORIGIN_PORT:-18000}
PPORT=${HCT_PROXY_PORT:-18080}
if [ ! -f "$HCT_DIR/cli.mjs" ]; then
	mkdir -p "$B/t/tmp/hct"
	(cd "$B/t/tmp/hct" && npm pack --silent http-cache-tests@0.4.5 >/dev/null &&
	    tar xzf http-cache-tests-0.4.5.tgz &&
	    cd package && npm install --silent --no-save --no-audit --no-fund \
	    node-fetch@2 >/dev/null)
fi
rm -rf "$W" && mkdir -p "$W"
cat >"$W/portier.conf" <<EOC
error_log = "$W/error.log";
log_level = "notice";
timeouts = { keepalive = "120s"; };
access_log = "$W/access.log";
modules = { load = [ "mod_cache" ]; };
cache = { zones = ( { name = "hct"; size = "64m"; dir = "$W/cache"; } ); };
workers = { start = 48; min_spare = 24; max_spare = 64; max = 96; };
upstreams = ( { name = "hct"; passive = { failures = 0; }; servers = ( { address = "127.0.0.1:$OPORT"; } ); } );
EOC
if [ "$MODE" = reverse ]; then
	cat >>"$W/portier.conf" <<EOC
servers = ( { listen = [ "127.0.0.1:$PPORT" ];
  routes = ( { path = "/"; upstream = "hct"; cache = { zone = "hct"; }; } ); } );
EOC
else
	cat >>"$W/portier.conf" <<EOC
servers = ( { listen = [ "127.0.0.1:$PPORT" ];
  forward_proxy = {
    acl = ( { name = "local"; client = [ "127.0.0.0/8" ]; action = "allow"; } ); };
  cache = { zone = "hct"; }; } );
EOC
fi
(cd "$HCT_DIR" && npm_config_port=$OPORT npm_config_pidfile="$W/origin.pid" \
    npm_config_protocol=http node server/server.mjs >"$W/origin.log" 2>&1) &
OPID=$!
"$B/server/portier" -F -f "$W/portier.conf" -u "$(id -un)" \
    -M "$B/modules/.built" >"$W/portier.out" 2>&1 &
PPID_=$!
trap 'kill $PPID_ $OPID 2>/dev/null || true' EXIT INT TERM
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	curl -s -o /dev/null "http://127.0.0.1:$OPORT/" &&
	    curl -s -o /dev/null "http://127.0.0.1:$PPORT/" && break
	sleep 0.5
done
# The client: the suite's runner with node-fetch through an agent without
# keep-alive (Node's default agent keeps connections, and a reuse racing
# the server's idle close reads as a failed test). In forward mode the
# agent connects to the proxy and writes the target in absolute form.
cat >"$HCT_DIR/pt-run.mjs" <<'EOS'
import http from 'http'
import fetch from 'node-fetch'
import { runTests, getResults } from './client/runner.mjs'
import tests from './tests/index.mjs'
const proxy = process.env.PT_PROXY ? process.env.PT_PROXY.split(':') : null
class ProxyAgent extends http.Agent {
  addRequest (req, options) {
    if (!proxy) return super.addRequest(req, options)
    req.path = `http://${options.host}:${options.port}${req.path}`
    return super.addRequest(req, { ...options, host: proxy[0], port: Number(proxy[1]) })
  }
}
const agent = new ProxyAgent({ keepAlive: false })
const viaAgent = (url, init) => fetch(url, { ...(init || {}), agent })
runTests(tests, viaAgent, false, process.env.npm_config_base)
  .then(() => console.log(JSON.stringify(getResults(), null, 2)))
  .catch(err => console.error(err))
EOS
if [ "$MODE" = reverse ]; then
	(cd "$HCT_DIR" && npm_config_base="http://127.0.0.1:$PPORT" \
	    node --no-warnings pt-run.mjs) >"$W/results.json"
else
	(cd "$HCT_DIR" && npm_config_base="http://127.0.0.1:$OPORT" \
	    PT_PROXY="127.0.0.1:$PPORT" node --no-warnings pt-run.mjs) \
	    >"$W/results.json"
fi
# The count: required tests passed, apart from the not applicable.
cat >"$HCT_DIR/pt-summary.mjs" <<'EOS'
import fs from 'fs'
import tests from './tests/index.mjs'
import surrogate from './tests/surrogate-control.mjs'
tests.push(surrogate)
const res = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const byId = {}
for (const suite of tests) for (const t of suite.tests) byId[t.id] = t
const passed = id => res[id] === true
// A test whose depends_on did not pass is "not applicable", as on
// cache-tests.fyi; it is counted apart, neither passed nor failed.
const depOk = t => (t.depends_on || []).every(d => passed(d) && depOk(byId[d]))
const n = { required: [0, 0, 0], optimal: [0, 0, 0], check: [0, 0, 0] }
const failed = []
for (const suite of tests) {
  if (suite.id === 'surrogate-control') continue
  for (const t of suite.tests) {
    const k = t.kind || 'required'
    if (t.browser_only) continue	// private (browser) caches only
    n[k][1]++
    if (passed(t.id)) n[k][0]++
    else if (!depOk(t)) n[k][2]++
    else if (k === 'required') failed.push(t.id)
  }
}
for (const k of Object.keys(n)) {
  console.log(`${k}: ${n[k][0]}/${n[k][1]} passed` +
    (n[k][2] ? ` (${n[k][2]} not applicable: a dependency did not pass)` : ''))
}
if (failed.length) console.log('required tests failed: ' + failed.join(' '))
EOS
echo "mode: $MODE"
(cd "$HCT_DIR" && node pt-summary.mjs "$W/results.json")

#!/bin/sh
# Fuzzes server/http_parse.c with libFuzzer: builds the target with clang,
# replays the committed corpus (each file once, deterministic), then
# explores for SECONDS with a fixed seed in a scratch copy of the corpus.
# The committed corpus is never written. Exits non-zero on any finding;
# a crashing input is saved as ./fuzz-http_parse-crash-* (or leak-, ...).
#
# usage: sh t/fuzz/run.sh SRCDIR [SECONDS]
set -eu

src=${1:?usage: run.sh SRCDIR [SECONDS]}
secs=${2:-60}
cc=${CC:-clang}
corpus=$src/t/fuzz/corpus/http_parse

tmp=$(mktemp -d "${TMPDIR:-/tmp}/portier-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# The server's .c files include autoconf's config.h first.
printf '#define _GNU_SOURCE 1\n' >"$tmp/config.h"

# Tokens libFuzzer splices in, so it reaches past the request line sooner.
cat >"$tmp/http.dict" <<'DICT'
"HTTP/1.1"
"HTTP/1.0"
"\x0d\x0a"
"\x0d\x0a\x0d\x0a"
"Host: "
"Content-Length: "
"Transfer-Encoding: "
"chunked"
"Connection: "
"keep-alive"
"close"
"upgrade"
"Upgrade: "
"Expect: 100-continue"
"http://"
"https://"
"CONNECT "
"OPTIONS * "
"GET / "
"[::1]"
";a=\"b\""
"0\x0d\x0a\x0d\x0a"
DICT

echo "fuzz: building with $cc"
# PT_SANITIZE gives every arena allocation its own malloc, so ASan sees
# the exact bounds of the fields array (arena.c then leaves one variable
# unused, hence -Wno-unused-variable).
$cc -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
    -fno-sanitize-recover=all -DPT_SANITIZE -Wno-unused-variable \
    -I"$tmp" -I"$src/server/include" -I"$src/server" \
    -o "$tmp/fuzz_http_parse" "$src/t/fuzz/fuzz_http_parse.c" \
    "$src/server/http_parse.c" "$src/server/arena.c"

echo "fuzz: replaying $(ls "$corpus" | wc -l) corpus files"
"$tmp/fuzz_http_parse" "$corpus"/* >"$tmp/replay.log" 2>&1 || {
	cat "$tmp/replay.log" >&2
	echo "fuzz: corpus replay FAILED" >&2
	exit 1
}

echo "fuzz: exploring for ${secs}s (seed 1)"
mkdir "$tmp/work"
cp "$corpus"/* "$tmp/work/"
"$tmp/fuzz_http_parse" -seed=1 -max_total_time="$secs" -max_len=4096 \
    -timeout=10 -rss_limit_mb=2048 -dict="$tmp/http.dict" \
    -artifact_prefix=./fuzz-http_parse- -print_final_stats=1 \
    "$tmp/work" >"$tmp/fuzz.log" 2>&1 || {
	tail -n 60 "$tmp/fuzz.log" >&2
	echo "fuzz: FAILED" >&2
	exit 1
}
grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' \
    "$tmp/fuzz.log" || true
echo "fuzz: ok"

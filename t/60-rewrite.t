# t/60-rewrite.t: mod_rewrite end to end: every flag, conditions (AND, OR,
# not, compare, CIDR, file tests), maps (txt reloaded on USR1, rnd,
# internal functions), server and route rules with re-routing, loop
# protection, redirects with and without query strings, proxy to an
# upstream, captures that try to smuggle CR/LF, the match limit, the
# tracer's output, live tracing to the error log, and config errors.
use strict; use warnings; use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Portier::Test qw(start_portier start_origin http_request raw_request
    portier_cmd read_file write_file wait_for error_log_matches);

my $mods = $ENV{PORTIER_MODULES} // 'modules/.built';
plan(skip_all => 'mod_rewrite not built') unless -e "$mods/mod_rewrite.so";

my $d = tempdir('portier-t-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{PORTIER_KEEP});
chmod 0755, $d;
mkdir "$d/www";
mkdir "$d/www/static";
write_file("$d/www/static/yes.txt", "yes\n");
write_file("$d/www/static/page.html", "page\n");
write_file("$d/users.map", "# user homes\nalice /home/alice\nbob /home/bob\n");
write_file("$d/pool.map", "k red|green|blue\n");

my $o = start_origin(sub {
	my ($q) = @_;
	my $h = join('', map { "$_=$q->{headers}{$_}\n" } sort keys %{ $q->{headers} });
	return (200, [ 'Content-Type' => 'text/plain' ], "origin=one\ntarget=$q->{target}\n$h");
});
my $o2 = start_origin(sub {
	my ($q) = @_;
	return (200, [ 'Content-Type' => 'text/plain' ], "origin=two\ntarget=$q->{target}\n");
});
# A third origin, on a port no pool names: the proxy flag's ad-hoc target.
my $o3 = start_origin(sub {
	my ($q) = @_;
	my $h = join('', map { "$_=$q->{headers}{$_}\n" } sort keys %{ $q->{headers} });
	return (200, [ 'Content-Type' => 'text/plain' ], "origin=three\ntarget=$q->{target}\npid=$$\n$h");
});
my $dead = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1)->sockport;

my $conf = <<"EOF2";
modules = { load = [ "mod_rewrite" ]; };
rewrite = { maps = ( { name = "users"; type = "txt"; file = "$d/users.map"; },
                     { name = "pool"; type = "rnd"; file = "$d/pool.map"; } ); };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); },
              { name = "other"; servers = ( { address = "127.0.0.1:$o2->{port}"; } ); } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ]; names = [ "www.example.test" ];
  root = "$d/www";
  rewrite = { rules = (
    { match = "^/old/(.*)\$"; to = "/new/\$1"; flags = [ "redirect=301" ]; },
    { match = "^/moved\$"; to = "/here"; flags = [ "redirect", "qsdiscard" ]; },
    { match = "^/moved2\$"; to = "/here?a=1"; flags = [ "redirect=308", "qsappend" ]; },
    { match = "^/moved3\$"; to = "/here?"; flags = [ "redirect=307" ]; },
    { match = "^/see\$"; to = "/other"; flags = [ "redirect=303" ]; },
    { match = "^/ext\$"; to = "https://elsewhere.test/x"; },
    { match = "^/forbidden"; to = "-"; flags = [ "forbidden" ]; },
    { match = "^/gone"; to = "-"; flags = [ "gone" ]; },
    { match = "^/teapot"; to = "-"; flags = [ "status=418" ]; },
    { match = "^/ok200\$"; to = "-"; flags = [ "status=200", "cookie=k:v" ]; },
    { match = "^/ok204\$"; to = "-"; flags = [ "status=204" ]; },
    { match = "^/multi\$"; to = "-"; flags = [ "status=300" ]; },
    { match = "^/cond/and\$"; to = "/static/yes.txt";
      conditions = ( { var = "%{header.X-A}"; equals = "1"; },
                     { var = "%{header.X-B}"; equals = "1"; } ); },
    { match = "^/cond/or\$"; to = "/static/yes.txt";
      conditions = ( { var = "%{header.X-A}"; equals = "1"; or = true; },
                     { var = "%{header.X-B}"; equals = "1"; } ); },
    { match = "^/cond/not\$"; to = "/static/yes.txt";
      conditions = ( { var = "%{header.User-Agent}"; regex = "bot"; nocase = true; not = true; } ); },
    { match = "^/cond/cidr\$"; to = "/static/yes.txt";
      conditions = ( { var = "%{client_addr}"; cidr = [ "10.0.0.0/8", "127.0.0.0/8" ]; } ); },
    { match = "^/cond/cidr6\$"; to = "/static/yes.txt";
      conditions = ( { var = "%{client_addr}"; cidr = "::1"; } ); },
    { match = "^/cond/less\$"; to = "/static/yes.txt";
      conditions = ( { var = "%{header.X-V}"; less = "m"; } ); },
    { match = "^/cond/file/(.*)\$"; to = "/static/\$1";
      conditions = ( { var = "/static/\$1"; file_exists = true; } ); },
    { match = "^/cond/file/"; to = "/static/yes.txt"; },
    { match = "^/cond/pct\$"; to = "/echo/tier-%1";
      conditions = ( { var = "%{header.X-Tier}"; regex = "^(gold|silver)\$"; } ); },
    { match = "^/user/([a-z]+)\$"; to = "/echo/u\${users:\$1|/nobody}"; },
    { match = "^/rnd\$"; to = "/echo/\${pool:k}"; },
    { match = "^/lower/(.*)\$"; to = "/echo/\${tolower:\$1}"; },
    { match = "^/env/(.*)\$"; to = "-"; flags = [ "env=page:\$1" ]; },
    { match = "^/env/"; to = "/echo/env-%{env.page}";
      flags = [ "header=X-Page:%{env.page}", "cookie=seen:%{env.page}" ]; },
    { match = "^/chain/(.*)\$"; to = "/chain2/\$1"; flags = [ "chain" ]; },
    { match = "^/chain2/ok\$"; to = "/echo/chained"; },
    { match = "^/skip\$"; to = "-"; flags = [ "skip=1" ]; },
    { match = "^/skip\$"; to = "/echo/not-skipped"; },
    { match = "^/skip\$"; to = "/echo/skipped"; },
    { match = "^/last\$"; to = "/echo/last"; flags = [ "last" ]; },
    { match = "^/echo/last\$"; to = "/echo/not-last"; },
    { match = "^/nocase\$"; to = "/echo/nocase"; flags = [ "nocase" ]; },
    { match = "^/raw/a%20b\$"; to = "/echo/raw"; against = "uri"; },
    { match = "^http://www\\\\.example\\\\.test/url\$"; to = "/echo/url"; against = "url"; },
    { match = "^/inj/(.*)\$"; to = "/x/\$1"; flags = [ "redirect" ]; },
    { match = "^/injh/(.*)\$"; to = "/echo/injh"; flags = [ "header=X-Up:\$1", "cookie=c:\$1" ]; },
    { match = "^/invalid/(.*)\$"; to = "/x/\$1"; flags = [ "redirect", "noescape" ]; },
    { match = "^/dots/(.*)\$"; to = "/static/%{header.X-Dir}/yes.txt"; },
    { match = "^/toother/(.*)\$"; to = "/o/\$1"; flags = [ "proxy=other" ]; },
    { match = "^/tourl/(.*)\$"; to = "http://other/u/\$1"; flags = [ "proxy" ]; },
    { match = "^/tonone\$"; to = "/x"; flags = [ "proxy=nosuch" ]; },
    { match = "^/adhoc/(.*)\$"; to = "http://127.0.0.1:$o3->{port}/a/\$1"; flags = [ "proxy" ]; },
    { match = "^/adhocname/(.*)\$"; to = "http://localhost:$o3->{port}/n/\$1?x=1"; flags = [ "proxy", "qsappend" ]; },
    { match = "^/adhocdead\$"; to = "http://127.0.0.1:$dead/"; flags = [ "proxy" ]; },
    { match = "^/adhocuser\$"; to = "http://me\@127.0.0.1:$o3->{port}/"; flags = [ "proxy" ]; },
    { match = "^/echo/from-route/(.*)\$"; to = "/echo/server-rules-ran-twice"; }
  ); };
  routes = (
    { path = "/echo/"; upstream = "app"; },
    { path = "/static/"; root = "$d/www"; },
    { path = "/loop/"; rewrite = { rules = ( { match = "^/loop/(.*)\$"; to = "/loop/x\$1"; } ); max_passes = 5; }; },
    { path = "/loopb/"; rewrite = { rules = ( { match = "^/loopb/(.*)\$"; to = "/loopb/x\$1"; flags = [ "break" ]; } ); }; },
    { path = "/route/"; upstream = "app";
      rewrite = { rules = ( { match = "^/route/a/(.*)\$"; to = "/echo/from-route/\$1"; },
                            { match = "^/route/q\$"; to = "/route/r?from=q"; flags = [ "qsappend" ]; } ); }; },
    { path = "/ml/"; root = "$d/www";
      rewrite = { match_limit = 1000; rules = ( { match = "^/ml/(a|aa)+\$"; to = "/static/yes.txt"; } ); }; },
    { path = "/traced/"; root = "$d/www"; log_level = "trace";
      rewrite = { rules = ( { match = "^/traced/(.*)\$"; to = "/static/\$1"; } ); }; },
    { path = "/"; root = "$d/www"; } ); } );
EOF2
my $p = start_portier(dir => $d, args => [ '-M', $mods ], conf => $conf);
ok($p->{port}, 'portier started with mod_rewrite') or BAIL_OUT(read_file("$d/error.log"));
my %H = (Host => 'www.example.test');

sub get { my ($path, @h) = @_; return http_request($p, GET => $path, %H, @h); }

# Redirects: absolute Location from the request, the query kept or not.
my $r = get('/old/page?x=1');
is($r->{status}, 301, 'redirect=301');
is($r->{headers}{location}, 'http://www.example.test/new/page?x=1', 'Location absolute, query kept');
$r = get('/old/page');
is($r->{headers}{location}, 'http://www.example.test/new/page', 'no query, none added');
$r = get('/moved?x=1');
is($r->{status}, 302, 'redirect defaults to 302');
is($r->{headers}{location}, 'http://www.example.test/here', 'qsdiscard drops the query');
$r = get('/moved2?x=1');
is($r->{status}, 308, 'redirect=308');
is($r->{headers}{location}, 'http://www.example.test/here?a=1&x=1', 'qsappend');
$r = get('/moved3?x=1');
is($r->{headers}{location}, 'http://www.example.test/here', 'a trailing ? drops the query');
is(get('/see')->{status}, 303, 'redirect=303');
$r = get('/ext');
is($r->{status}, 302, 'an absolute URL without flags redirects');
is($r->{headers}{location}, 'https://elsewhere.test/x', 'to the URL as written');

# Status flags.
is(get('/forbidden/x')->{status}, 403, 'forbidden');
is(get('/gone')->{status}, 410, 'gone');
is(get('/teapot')->{status}, 418, 'status=418');
# 2xx and 3xx through the core's answer API (pt_req_answer).
$r = get('/ok200');
is($r->{status}, 200, 'status=200');
is($r->{headers}{'content-length'}, '0', 'status=200: an empty body');
is($r->{headers}{'set-cookie'}, 'k=v; Path=/', 'status=200 keeps the rule\'s cookie');
$r = get('/ok204');
is($r->{status}, 204, 'status=204');
ok(!exists $r->{headers}{'content-length'} || $r->{headers}{'content-length'} eq '0', '204: no body');
$r = get('/multi');
is($r->{status}, 300, 'status=300');
like($r->{body}, qr{<h1>300 Multiple Choices</h1>}, '300: the core\'s page');
my $ka = raw_request($p, "GET /ok200 HTTP/1.1\r\nHost: www.example.test\r\n\r\n" .
    "GET /ok204 HTTP/1.1\r\nHost: www.example.test\r\nConnection: close\r\n\r\n");
like($ka, qr{^HTTP/1\.1 200 .*^HTTP/1\.1 204 }ms, 'the connection stays open after a module\'s answer');

# Conditions.
is(get('/cond/and', 'X-A' => 1, 'X-B' => 1)->{body}, "yes\n", 'AND: both hold');
is(get('/cond/and', 'X-A' => 1)->{status}, 404, 'AND: one fails');
is(get('/cond/or', 'X-B' => 1)->{body}, "yes\n", 'OR: the second holds');
is(get('/cond/or', 'X-A' => 1)->{body}, "yes\n", 'OR: the first holds');
is(get('/cond/or')->{status}, 404, 'OR: neither');
is(get('/cond/not', 'User-Agent' => 'curl/8')->{body}, "yes\n", 'not: no bot');
is(get('/cond/not', 'User-Agent' => 'GoogleBot')->{status}, 404, 'not: a bot');
is(get('/cond/cidr')->{body}, "yes\n", 'CIDR: 127.0.0.1 in 127.0.0.0/8');
is(get('/cond/cidr6')->{status}, 404, 'CIDR: not ::1');
is(get('/cond/less', 'X-V' => 'abc')->{body}, "yes\n", 'less: abc < m');
is(get('/cond/less', 'X-V' => 'xyz')->{status}, 404, 'less: xyz > m');
is(get('/cond/file/page.html')->{body}, "page\n", 'file_exists: served');
is(get('/cond/file/nope.html')->{body}, "yes\n", 'file_exists false: next rule');
like(get('/cond/pct', 'X-Tier' => 'gold')->{body}, qr{^target=/echo/tier-gold$}m, '%1 from a condition');

# Maps.
like(get('/user/alice')->{body}, qr{^target=/echo/u/home/alice$}m, 'txt map');
like(get('/user/zed')->{body}, qr{^target=/echo/u/nobody$}m, 'txt map default');
my %seen;
for (1 .. 30) { my ($c) = get('/rnd')->{body} =~ m{^target=/echo/(\w+)$}m; $seen{$c // '?'}++; }
is_deeply([ sort keys %seen ], [ qw(blue green red) ], 'rnd map: every value, only those');
like(get('/lower/MiXeD')->{body}, qr{^target=/echo/mixed$}m, 'tolower');

# env, header, cookie.
$r = get('/env/home');
like($r->{body}, qr{^target=/echo/env-home$}m, 'env set by one rule, read by the next');
like($r->{body}, qr{^x-page=home$}m, 'header= reaches the upstream');
is($r->{headers}{'set-cookie'}, 'seen=home; Path=/', 'cookie= sets a response cookie');

# chain, skip, last, nocase, against.
like(get('/chain/ok')->{body}, qr{^target=/echo/chained$}m, 'chain: both links');
is(get('/chain/no')->{status}, 404, 'chain: the second fails, the first is kept');
like(get('/skip')->{body}, qr{^target=/echo/skipped$}m, 'skip=1');
like(get('/last')->{body}, qr{^target=/echo/last$}m, 'last ends the pass');
like(get('/NoCase')->{body}, qr{^target=/echo/nocase$}m, 'nocase');
like(get('/raw/a%20b')->{body}, qr{^target=/echo/raw$}m, 'against = "uri": as received');
like(get('/url')->{body}, qr{^target=/echo/url$}m, 'against = "url"');

# Captured CR/LF never reaches a header.
$r = get('/inj/a%0d%0aSet-Cookie:%20evil=1');
is($r->{status}, 302, 'redirect with a CR/LF capture');
is($r->{headers}{location}, 'http://www.example.test/x/a%0D%0ASet-Cookie:%20evil=1', 'encoded in Location');
ok(!exists $r->{headers}{'set-cookie'}, 'no header smuggled');
$r = get('/injh/a%0d%0aX-Evil:%201');
is($r->{status}, 200, 'header= with a CR/LF capture: request still served');
unlike($r->{body}, qr/^x-up=|^x-evil=/m, 'the field was not set');
ok(!exists $r->{headers}{'set-cookie'}, 'the cookie was not set');
ok(wait_for(sub { error_log_matches($p, qr/header X-Up: the value has a control character: not set/) }, 3),
    'refusal logged');
# Results that are not a valid URI: 500 and a log line, never a bad request.
is(get('/invalid/a%20b')->{status}, 500, 'noescape result with a space: 500');
ok(wait_for(sub { error_log_matches($p, qr/redirect target is not a valid URI .*answering 500/) }, 3),
    'invalid URI logged');
is(get('/dots/x', 'X-Dir' => '../..')->{status}, 500, 'a result with .. segments: 500');

# Proxy: to a named upstream, by URL, and to no such upstream.
like(get('/toother/p?q=1')->{body}, qr{^origin=two\ntarget=/o/p\?q=1$}m, 'proxy=other');
like(get('/tourl/p')->{body}, qr{^origin=two\ntarget=/u/p$}m, 'proxy by URL');
is(get('/tonone')->{status}, 500, 'proxy to an unknown upstream: 500');
ok(wait_for(sub { error_log_matches($p, qr/proxy to "nosuch": no upstream/) }, 3), 'logged');
# An absolute URL whose host names no pool: an ad-hoc upstream, with
# Host set to its authority and the kept connection reused.
$r = get('/adhoc/p?q=1');
like($r->{body}, qr{^origin=three\ntarget=/a/p\?q=1$}m, 'proxy to a URL outside the pools');
like($r->{body}, qr{^host=127\.0\.0\.1:$o3->{port}$}m, 'Host: the URL\'s authority');
like($r->{body}, qr{^x-forwarded-host=www\.example\.test$}m, 'the client\'s Host in X-Forwarded-Host');
like(get('/adhocname/p?y=2')->{body}, qr{^origin=three\ntarget=/n/p\?x=1&y=2$}m,
    'a host name, resolved; qsappend');
my $two = raw_request($p, "GET /adhoc/1 HTTP/1.1\r\nHost: www.example.test\r\n\r\n" .
    "GET /adhoc/2 HTTP/1.1\r\nHost: www.example.test\r\nConnection: close\r\n\r\n");
my @pids = $two =~ /^pid=(\d+)$/mg;
is(scalar(@pids), 2, 'two ad-hoc requests on one client connection');
is($pids[0], $pids[1], 'the ad-hoc origin connection was reused');
is(get('/adhocdead')->{status}, 502, 'ad-hoc target refusing connections: 502');
is(get('/adhocuser')->{status}, 500, 'userinfo in the proxy URL: 500');
ok(wait_for(sub { error_log_matches($p, qr{proxy to http://me\@127\.0\.0\.1:\d+: not a host\[:port\]}) }, 3),
    'userinfo refusal logged');

# Route rules re-route; the server's rules do not run again for routes
# that inherit them.
like(get('/route/a/z')->{body}, qr{^origin=one\ntarget=/echo/from-route/z$}m,
    'route rule re-routed, server rules ran once');
like(get('/route/q?x=1')->{body}, qr{^target=/route/r\?from=q&x=1$}m, 'route rule query');

# Loops: the module's max_passes, then 500 and a line naming the rules.
is(get('/loop/a')->{status}, 500, 'rewrite loop: 500');
ok(wait_for(sub { error_log_matches($p, qr/rewrite loop: .*max_passes is 5.*rule 1 at \S+portier\.conf:\d+ "\^\/loop\/\(\.\*\)\$"/) }, 3),
    'loop logged with the rules') or diag(read_file("$d/error.log"));
is(get('/loopb/a')->{status}, 404, 'break: no loop');

# The match limit: no match, logged.
is(get('/ml/' . ('a' x 40) . 'b')->{status}, 404, 'match limit: no match');
ok(wait_for(sub { error_log_matches($p, qr/hit the match limit: counted as no match/) }, 3),
    'match limit logged');

# Live tracing at a route's log level trace.
is(get('/traced/yes.txt')->{status}, 200, 'traced request served');
ok(wait_for(sub { error_log_matches($p, qr/\[trace\] \[rewrite\] .*rule 1 \(\S+:\d+\) "\^\/traced\/\(\.\*\)\$" against path "\/traced\/yes\.txt": match, \$1="yes\.txt"/) }, 3),
    'steps in the error log');

# Or for every request, with the module's own level.
my $q = start_portier(args => [ '-M', $mods ], conf => <<"EOF2");
modules = { load = [ "mod_rewrite" ]; };
log_modules = ( { module = "rewrite"; level = "trace"; } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ]; root = "$d/www";
  rewrite = { rules = ( { match = "^/t/(.*)\$"; to = "/static/\$1"; } ); };
  routes = ( { path = "/"; root = "$d/www"; } ); } );
EOF2
is(http_request($q, GET => '/t/yes.txt')->{body}, "yes\n", 'log_modules: request served');
ok(wait_for(sub { error_log_matches($q, qr/\[trace\] \[rewrite\] .*-> path "\/static\/yes\.txt"/) }, 3),
    'log_modules rewrite = trace: steps in the error log');

# Maps are read again on a graceful restart.
write_file("$d/users.map", "alice /home/alice2\n");
kill 'USR1', $p->{pid};
ok(wait_for(sub { get('/user/alice')->{body} =~ m{target=/echo/u/home/alice2$}m }, 10),
    'txt map reloaded on USR1');

# The tracer.
sub trace { my ($rc, $out) = portier_cmd('-M', $mods, '-f', $p->{conf}, '--trace-request', @_); return ($rc, $out); }
my ($rc, $out) = trace('GET http://www.example.test/old/page?x=1');
is($rc, 0, 'tracer exits 0');
like($out, qr/^server: servers\[0\] at \S+portier\.conf:\d+, named www\.example\.test$/m, 'tracer: server');
like($out, qr/^\[rewrite\] server rules \(\d+\) on path "\/old\/page"$/m, 'tracer: the pass');
like($out, qr/^\[rewrite\] rule 1 \(\S+:\d+\) "\^\/old\/\(\.\*\)\$" against path "\/old\/page": match, \$1="page"$/m,
    'tracer: pattern, match, captures');
like($out, qr/^\[rewrite\]   -> redirect 301, Location "http:\/\/www\.example\.test\/new\/page\?x=1"$/m, 'tracer: redirect');
like($out, qr/^outcome: answer 301 Moved Permanently, Location: http:\/\/www\.example\.test\/new\/page\?x=1$/m,
    'tracer: outcome');
($rc, $out) = trace('GET http://www.example.test/cond/not', '-H', 'User-Agent: SomeBot');
like($out, qr/condition 1: "SomeBot" from "%\{header\.User-Agent\}" not =~ "bot" nocase: false/, 'tracer: condition');
like($out, qr/conditions fail: rule skipped/, 'tracer: conditions fail');
($rc, $out) = trace('GET /route/a/z');
like($out, qr/^\[rewrite\] route rules \(2\) on path "\/route\/a\/z"$/m, 'tracer: route pass');
like($out, qr/^route: \/echo\/ at /m, 'tracer: final route');
like($out, qr/^path: \/echo\/from-route\/z$/m, 'tracer: final path');
like($out, qr/^outcome: proxy to upstream "app"$/m, 'tracer: proxy outcome');
($rc, $out) = trace('GET /toother/p?q=1');
like($out, qr/-> proxy to upstream "other", path "\/o\/p", query "q=1"/, 'tracer: proxy flag');
like($out, qr/^outcome: proxy to upstream "other" \(set by a module\)/m, 'tracer: override outcome');
($rc, $out) = trace('GET /adhoc/p');
like($out, qr{-> proxy to http://127\.0\.0\.1:$o3->{port} \(a pool of that name, else an ad-hoc upstream\), path "/a/p"},
    'tracer: proxy to a URL');
like($out, qr{^outcome: proxy to http://127\.0\.0\.1:$o3->{port} \(an ad-hoc upstream, set by a module\)}m,
    'tracer: ad-hoc outcome');
($rc, $out) = trace('GET /ok200');
like($out, qr{^outcome: answer 200 OK \(set by a module\)}m, 'tracer: a module\'s 200');
($rc, $out) = trace('GET /env/x');
like($out, qr/^\[rewrite\]   env page = "x"$/m, 'tracer: env');
like($out, qr/^request field: X-Page: x$/m, 'tracer: request field set');
like($out, qr/^response field: Set-Cookie: seen=x; Path=\/$/m, 'tracer: response cookie');
($rc, $out) = trace('GET /ml/' . ('a' x 40) . 'b');
like($out, qr/match limit hit, no match/, 'tracer: match limit');
($rc, $out) = trace('GET /loop/a');
like($out, qr/^\[rewrite\] error: rewrite loop/m, 'tracer: loop');
like($out, qr/^outcome: answer 500/m, 'tracer: 500');
($rc, $out) = trace('nonsense');
is($rc, 2, 'tracer: a bad request line is a usage error');

# Config errors: file, line, key, PCRE2's message and a caret.
write_file("$d/bad.conf", <<'EOF2');
modules = { load = [ "mod_rewrite" ]; };
servers = ( { listen = [ "127.0.0.1:0" ];
  rewrite = { rules = (
    { match = "^/old/(.*$"; to = "/new/$1"; },
    { match = "^/(a)(b)$"; to = "/x/$3"; },
    { match = "^/m"; to = "${nomap:x}"; },
    { match = "^/f"; to = "/x"; flags = [ "redirekt=301" ]; },
    { match = "^/r"; to = "/x"; flags = [ "redirect=200" ]; },
    { match = "^/c"; to = "/x"; conditions = ( { var = "%{host}"; regex = "a("; } ); },
    { match = "^/s1"; to = "-"; flags = [ "status=150" ]; },
    { match = "^/s2"; to = "/x"; flags = [ "status=301" ]; }
  ); }; } );
EOF2
($rc, $out) = portier_cmd('-t', '-M', $mods, '-f', "$d/bad.conf");
isnt($rc, 0, 'bad rules refused');
like($out, qr{bad\.conf:4: servers\[0\]\.rewrite\.rules\[0\]\.match: invalid regex: missing closing parenthesis at offset 10\n    \^/old/\(\.\*\$\n              \^\n},
    'invalid regex: file, line, message, caret');
like($out, qr{bad\.conf:5: .*"to" uses \$3 but the pattern has 2 groups}, '$3 with two groups');
like($out, qr{bad\.conf:6: .*unknown map "nomap"}, 'unknown map');
like($out, qr{bad\.conf:7: .*unknown flag "redirekt=301" \(did you mean "redirect"\?\)}, 'unknown flag');
like($out, qr{bad\.conf:8: .*redirect=200: a redirect is 301, 302, 303, 307 or 308}, 'redirect outside 3xx');
like($out, qr{bad\.conf:9: .*conditions\[0\]\.regex: invalid regex: missing closing parenthesis at offset 2\n    a\(\n      \^}m,
    'condition regex caret');
like($out, qr{bad\.conf:10: .*status=150: a status from 200 to 599}, 'status below 200');
like($out, qr{bad\.conf:11: .*status=301 answers without a Location: "to" must be "-"}, 'status=3xx with a target');
like($out, qr/8 error\(s\)/, 'every error reported');
# A proxy URL whose host the request may choose: a warning, not an error.
write_file("$d/warn.conf", <<'EOF2');
modules = { load = [ "mod_rewrite" ]; };
servers = ( { listen = [ "127.0.0.1:0" ];
  rewrite = { rules = (
    { match = "^/p/([^/]+)/(.*)$"; to = "http://$1/$2"; flags = [ "proxy" ]; },
    { match = "^/q/(.*)$"; to = "http://%{header.X-T}:81/$1"; flags = [ "proxy" ]; },
    { match = "^/l/(.*)$"; to = "http://127.0.0.1:81/$1"; flags = [ "proxy" ]; }
  ); }; } );
EOF2
($rc, $out) = portier_cmd('-t', '-M', $mods, '-f', "$d/warn.conf");
is($rc, 0, 'a proxy host from a reference is allowed');
like($out, qr{warn\.conf:4: .*rules\[0\]\.to: warning: the proxy URL's host comes from a reference}, '$1 in the host: warned');
like($out, qr{warn\.conf:5: .*rules\[1\]\.to: warning: }, '%{header} in the host: warned');
unlike($out, qr{warn\.conf:6:}, 'a literal host: no warning');
done_testing();

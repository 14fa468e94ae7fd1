# t/30-reverse.t: the reverse proxy: relaying, the request the upstream
# sees, hop-by-hop fields, X-Forwarded-*, bodies both ways in every
# framing, buffering, redirects mapped back, failures (502/504, no backend
# detail), failover and retries, connection reuse.
use strict; use warnings; use Test::More;
use Time::HiRes qw(sleep);
use Portier::Test qw(start_portier start_origin http_request raw_request read_file);

my %seen;	# what the origin saw last, by path
my $o = start_origin(sub {
	my ($q) = @_;
	my $p = $q->{path};
	if ($p eq '/echo' || $p =~ m{^/pfx}) {
		my $h = join('', map { "$_=$q->{headers}{$_}\n" } sort keys %{ $q->{headers} });
		return (200, [ 'Content-Type' => 'text/plain', 'X-Target' => $q->{target},
		    'Connection-Test' => 'x', 'Keep-Alive' => 'timeout=5', 'Server' => 'Secret/1.2' ],
		    "method=$q->{method}\ntarget=$q->{target}\nbody=$q->{body}\n$h");
	}
	return (200, [ 'Transfer-Encoding' => 'chunked' ], "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
	    if $p eq '/chunked';
	return (\"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", 1) if $p eq '/close';
	return (\"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 1)
	    if $p eq '/smuggle';
	return (\"HTTP/1.1 200 OK\r\nX-Bad: a\0b\r\nContent-Length: 2\r\n\r\nok", 1) if $p eq '/badfield';
	return (\"garbage\r\n\r\n", 1) if $p eq '/garbage';
	return (302, [ Location => "http://127.0.0.1:$q->{headers}{'x-origin-port'}/next?a=1" ], '')
	    if $p eq '/redirect';
	return (302, [ Location => "/pfx/moved" ], '') if $p eq '/pfx-redirect';
	return (204, [], '') if $p eq '/nocontent';
	return (200, [], 'x' x 300000) if $p eq '/big';
	if ($p eq '/slow') { sleep 3; return (200, [], 'late'); }
	return (200, [ 'X-Served-By' => 'one' ], "path=$p\n");
});
my $o2 = start_origin(sub { return (200, [ 'X-Served-By' => 'two' ], "two\n") });

# A port with nothing listening: bind, note, close.
my $dead = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1);
my $dead_port = $dead->sockport;
close $dead;

my $p = start_portier(conf => <<"EOF2");
upstreams = (
  { name = "app"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); },
  { name = "failover"; tries = 3;
    servers = ( { address = "127.0.0.1:$dead_port"; }, { address = "127.0.0.1:$o2->{port}"; } ); },
  { name = "dead"; servers = ( { address = "127.0.0.1:$dead_port"; } ); },
  { name = "broken"; passive = { failures = 100; };
    servers = ( { address = "127.0.0.1:$o->{port}"; } ); }
);
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = (
    { path = "/api/"; upstream = "app"; proxy = { strip_prefix = true; prefix = "/pfx"; }; },
    { path = "/stream/"; upstream = "app"; proxy = { buffering = false; strip_prefix = true; }; },
    { path = "/rb/"; upstream = "app"; proxy = { request_buffering = true; strip_prefix = true; }; },
    { path = "/timeout/"; upstream = "app"; proxy = { read_timeout = "1s"; strip_prefix = true; }; },
    { path = "/fo/"; upstream = "failover"; },
    { path = "/dead/"; upstream = "dead"; },
    { path = "/broken/"; upstream = "broken"; proxy = { strip_prefix = true; }; },
    { path = "/"; upstream = "app"; } ); } );
EOF2

my $r = http_request($p, GET => '/echo?a=1&b=%20x', Host => 'public.test',
    Connection => 'X-Hop, close', 'X-Hop' => 'drop me', 'Keep-Alive' => '300',
    'X-Forwarded-For' => '6.6.6.6', 'X-Keep' => 'yes');
is($r->{status}, 200, 'relayed');
like($r->{body}, qr{^target=/echo\?a=1&b=%20x$}m, 'target as received');
like($r->{body}, qr{^host=public\.test$}m, 'Host passed');
unlike($r->{body}, qr{^x-hop=}m, 'field named by Connection dropped');
unlike($r->{body}, qr{^keep-alive=}m, 'Keep-Alive dropped');
like($r->{body}, qr{^x-keep=yes$}m, 'end-to-end field kept');
like($r->{body}, qr{^x-forwarded-for=127\.0\.0\.1$}m, 'X-Forwarded-For: untrusted value replaced');
like($r->{body}, qr{^x-forwarded-proto=http$}m, 'X-Forwarded-Proto');
like($r->{body}, qr{^x-forwarded-host=public\.test$}m, 'X-Forwarded-Host');
ok(!exists $r->{headers}{'keep-alive'}, 'response Keep-Alive dropped');
is($r->{headers}{server}, 'portier', 'upstream Server hidden');
is($r->{headers}{'content-type'}, 'text/plain', 'end-to-end response field kept');

$r = http_request($p, POST => '/echo', -body => 'name=value');
like($r->{body}, qr/^method=POST\ntarget=\/echo\nbody=name=value$/m, 'POST body (Content-Length)') or diag($r->{body});
my $raw = raw_request($p, "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" .
    "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n");
like($raw, qr/^body=abcdefg$/m, 'chunked request body relayed');
# Request buffering: the body is read whole first, sent with its length.
$raw = raw_request($p, "POST /rb/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" .
    "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n");
like($raw, qr/^body=abcdefg$/m, 'buffered request body relayed');
like($raw, qr/^content-length=7$/m, 'buffered body sent with Content-Length');
unlike($raw, qr/^transfer-encoding=/m, 'not chunked upstream');
my $big_body = 'z' x 300000;
$r = http_request($p, POST => '/rb/echo', -body => $big_body);
like($r->{body}, qr/^content-length=300000$/m, 'a body past buffer_size spills to a file and arrives whole') or diag("status $r->{status}: " . substr($r->{raw}, 0, 300));
$raw = raw_request($p, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
like($raw, qr{^HTTP/1\.1 100 Continue}, '100 Continue before the body') or diag($raw);

$r = http_request($p, GET => '/chunked');
is($r->{body}, 'hello world', 'chunked response (buffered: Content-Length)');
$r = http_request($p, GET => '/stream/chunked');
like($r->{raw}, qr/Transfer-Encoding: chunked/i, 'streamed chunked response stays chunked');
$r = http_request($p, GET => '/close');
is($r->{body}, 'until close', 'response delimited by close');
$r = http_request($p, GET => '/big');
is(length $r->{body}, 300000, 'large response through the temporary file');
$r = http_request($p, GET => '/stream/big');
is(length($r->{body}), 300000, 'large response streamed');
$r = http_request($p, HEAD => '/big');
is($r->{headers}{'content-length'}, 300000, 'HEAD keeps the length');
is(http_request($p, GET => '/nocontent')->{status}, 204, 'no content');

$r = http_request($p, GET => '/redirect', 'X-Origin-Port' => $o->{port}, Host => 'www.public.test');
is($r->{headers}{location}, 'http://www.public.test/next?a=1', 'Location mapped to the public host');
$r = http_request($p, GET => '/api/x?y=1');
like($r->{body}, qr{^target=/pfx/x\?y=1$}m, 'prefix stripped and replaced');

# Failures: nothing about the backend reaches the client.
$r = http_request($p, GET => '/dead/x');
is($r->{status}, 502, 'dead upstream: 502');
unlike($r->{raw}, qr/127\.0\.0\.1|$dead_port|refused/i, 'no backend detail');
like(read_file($p->{error_log}), qr/127\.0\.0\.1:$dead_port/, 'the backend is named in the error log');
$r = http_request($p, GET => '/timeout/slow');
is($r->{status}, 504, 'read timeout: 504');
is(http_request($p, GET => '/broken/smuggle')->{status}, 502, 'CL and TE from upstream: 502');
is(http_request($p, GET => '/broken/badfield')->{status}, 502, 'NUL in an upstream field: 502');
is(http_request($p, GET => '/broken/garbage')->{status}, 502, 'garbage from upstream: 502');
$r = http_request($p, GET => '/fo/x');
is($r->{status}, 200, 'failover to the next server');
is($r->{headers}{'x-served-by'}, 'two', 'served by the live one');

# Keep-alive to the upstream: several requests, one origin connection.
my $before = () = `ss -tn state established '( dport = :$o->{port} )'` =~ /ESTAB/g;
http_request($p, GET => "/n$_") for 1 .. 5;
my $after = () = `ss -tn state established '( dport = :$o->{port} )'` =~ /ESTAB/g;
cmp_ok($after - $before, '<=', 2, 'upstream connections reused');
is(http_request($p, GET => '/n6')->{headers}{'x-served-by'}, 'one', 'served before the failures');

# Passive health: repeated failures mark the only server down: 503.
http_request($p, GET => '/garbage') for 1 .. 3;
is(http_request($p, GET => '/echo')->{status}, 503, 'server marked down after failures: 503');

done_testing();

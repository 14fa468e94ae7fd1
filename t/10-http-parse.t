# t/10-http-parse.t: every framing and syntax rejection over a real socket:
# the right status, then the connection is closed; valid variants accepted.
use strict; use warnings; use Test::More;
use Portier::Test qw(start_portier raw_request);

my $src = $ENV{PORTIER_SRCDIR} // '.';
my $p = start_portier(conf => <<"EOF2");
request_limits = { line = "1k"; field = "512"; fields = 20; body = "1m"; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = ( { path = "/"; root = "$src/conf/www"; } ); } );
EOF2

my $H = "Host: a\r\n";
my @bad = (
	[ "GET / HTTP/1.1\r\n\r\n", 400, 'HTTP/1.1 without Host' ],
	[ "GET / HTTP/1.1\r\n${H}Host: b\r\n\r\n", 400, 'two Host fields' ],
	[ "POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400, 'CL and TE' ],
	[ "POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400, 'differing CL' ],
	[ "POST / HTTP/1.1\r\n${H}Content-Length: 3x\r\n\r\n", 400, 'malformed CL' ],
	[ "POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n", 400, 'negative CL' ],
	[ "POST / HTTP/1.1\r\n${H}Content-Length: 99999999999999999999999\r\n\r\n", 400, 'overflowing CL' ],
	[ "POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n", 400, 'TE not ending in chunked' ],
	[ "POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n", 501, 'unsupported coding' ],
	[ "POST / HTTP/1.1\r\n${H}Transfer-Encoding: ch\@nked\r\n\r\n", 400, 'coding not a token' ],
	[ "GET / HTTP/1.1\r\n${H}X-A: b\r\n c\r\n\r\n", 400, 'obs-fold' ],
	[ "GET / HTTP/1.1\r\n${H}X-A : b\r\n\r\n", 400, 'space before colon' ],
	[ "GET / HTTP/1.1\r\n${H}X(A): b\r\n\r\n", 400, 'invalid token in name' ],
	[ "GET / HTTP/1.1\r\n${H}X-A: b\0c\r\n\r\n", 400, 'NUL in value' ],
	[ "GET / HTTP/1.1\r\n${H}X-A: b\rc\r\n\r\n", 400, 'bare CR in value' ],
	[ "GET / HTTP/2.0\r\n$H\r\n", 505, 'HTTP/2.0 on the wire' ],
	[ "GET / HTTP/1.x\r\n$H\r\n", 400, 'invalid version' ],
	[ "GET  / HTTP/1.1\r\n$H\r\n", 400, 'double space in request line' ],
	[ "GET /" . ('a' x 2000) . " HTTP/1.1\r\n$H\r\n", 414, 'request line too long' ],
	[ "GET / HTTP/1.1\r\n${H}X-A: " . ('b' x 600) . "\r\n\r\n", 431, 'field too long' ],
	[ "GET / HTTP/1.1\r\n$H" . join('', map { "X-$_: v\r\n" } 1 .. 25) . "\r\n", 431, 'too many fields' ],
	[ "POST / HTTP/1.1\r\n${H}Content-Length: 2000000\r\n\r\n", 413, 'declared body over the limit' ],
	[ "POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400, 'bad chunk size', 1 ],
	[ "GET /%zz HTTP/1.1\r\n$H\r\n", 400, 'bad percent escape in target' ],
	[ "GET /../../etc/passwd HTTP/1.1\r\n$H\r\n", 400, 'dot segments above the root' ],
);
for my $c (@bad) {
	my ($req, $status, $name, $after_head) = @$c;
	my $raw = raw_request($p, $req . "GET / HTTP/1.1\r\n$H\r\n");
	my @st = $raw =~ m{^HTTP/1\.1 (\d{3})}mg;
	if ($after_head) {
		# The head is valid; the body framing fails while it is drained.
		ok(@st <= 1, "$name: nothing after the failure") or diag($raw);
		next;
	}
	is($st[0], $status, "$name: $status") or diag($raw);
	is(scalar(@st), 1, "$name: connection closed after the answer");
	like($raw, qr/Connection: close/i, "$name: says close");
}

my @good = (
	[ "GET / HTTP/1.1\r\nHost:a\r\n\r\n", 'no OWS' ],
	[ "GET / HTTP/1.1\r\nHost: \t a \t\r\n\r\n", 'OWS with tabs' ],
	[ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "HTTP/1.0 without Host" ],
	[ "\r\nGET / HTTP/1.1\r\n$H\r\n", 'one empty line first' ],
	[ "GET / HTTP/1.1\n${H}\n", 'bare LF line ends' ],
	[ "GET http://a/ HTTP/1.1\r\n$H\r\n", 'absolute-form' ],
	[ "POST / HTTP/1.1\r\n${H}Content-Length: 007\r\n\r\nabcdefg", 'leading zeros in CL' ],
	[ "POST / HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc", 'repeated identical CL' ],
	[ "POST / HTTP/1.1\r\n${H}Transfer-Encoding: Chunked\r\n\r\n003;ext=1\r\nabc\r\n0\r\nX-T: 1\r\n\r\n", 'chunked, case, ext, trailer' ],
	[ "POST / HTTP/1.1\r\n${H}Transfer-Encoding:  chunked \r\n\r\n0\r\n\r\n", 'chunked with OWS' ],
);
for my $c (@good) {
	my ($req, $name) = @$c;
	my $raw = raw_request($p, $req . "GET /style.css HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
	my @st = $raw =~ m{^HTTP/1\.[01] (\d{3})}mg;
	ok(@st == 2 && $st[0] =~ /^(200|405)$/ && $st[1] == 200,
	    "$name: accepted, next request served") or diag($raw);
}
my $raw = raw_request($p, "OPTIONS * HTTP/1.1\r\n$H\r\n");
like($raw, qr{^HTTP/1\.1 200}, 'OPTIONS *');
done_testing();

# t/11-keepalive.t: keep-alive for 1.0 and 1.1, pipelining in order, HEAD,
# timeouts that free the worker, and idle connections shed under load.
use strict; use warnings; use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use Portier::Test qw(start_portier raw_request http_request);

my $src = $ENV{PORTIER_SRCDIR} // '.';
my $p = start_portier(conf => <<"EOF2");
workers = { start = 2; min_spare = 0; max_spare = 2; max = 2; };
timeouts = { head = "1s"; keepalive = "1500ms"; body = "1s"; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = ( { path = "/"; root = "$src/conf/www"; } ); } );
EOF2
my $H = "Host: a\r\n";

# Pipelining: three requests in one write, answered in order.
my $raw = raw_request($p, "GET /index.html HTTP/1.1\r\n$H\r\n" .
    "HEAD /style.css HTTP/1.1\r\n$H\r\n" .
    "GET /style.css HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
my @st = $raw =~ m{^HTTP/1\.1 (\d{3})}mg;
is_deeply(\@st, [200, 200, 200], 'three pipelined answers');
my @cl = $raw =~ m{^Content-Length: (\d+)}mig;
is($cl[1], $cl[2], 'HEAD has the GET length');
like($raw, qr{</html>\s*HTTP/1\.1 200 OK.*?\r\n\r\nHTTP/1\.1 200 OK}s, 'HEAD has no body');

# HTTP/1.0: close by default, keep-alive on request.
$raw = raw_request($p, "GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n");
is(scalar(() = $raw =~ m{^HTTP/1\.1 200}mg), 1, 'HTTP/1.0 closes by default');
$raw = raw_request($p, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n");
is(scalar(() = $raw =~ m{^HTTP/1\.1 200}mg), 2, 'HTTP/1.0 keep-alive honoured');
like($raw, qr/Connection: keep-alive/i, 'and acknowledged');

# One keep-alive connection, several requests over time.
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p->{port}) or die;
for my $i (1 .. 3) {
	$s->syswrite("GET /style.css HTTP/1.1\r\n$H\r\n");
	my $buf = '';
	while ($buf !~ /\r\n\r\n.*\}\s*$/s) {
		my $n = $s->sysread($buf, 65536, length $buf) or last;
	}
	like($buf, qr{^HTTP/1\.1 200}, "keep-alive request $i");
	sleep 0.2;
}
# Idle past the keep-alive timeout: the server closes.
my $t0 = time;
my $n = $s->sysread(my $x, 10);
ok(defined $n && $n == 0, 'idle keep-alive closed by the server');
cmp_ok(time - $t0, '<', 3, 'within the keep-alive timeout');
close $s;

# A slow client is cut off by the head timeout (408) and the worker freed.
$s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p->{port}) or die;
$s->syswrite("GET / HTTP/1.1\r\nHo");
$t0 = time;
$raw = '';
while (my $k = $s->sysread(my $chunk, 4096)) { $raw .= $chunk; }
like($raw, qr{^HTTP/1\.1 408}, 'slow head: 408');
cmp_ok(time - $t0, '<', 3, 'after the head timeout');
close $s;

# Both workers held by idle keep-alive clients: they are shed, new clients served.
my @hold;
for (1 .. 2) {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p->{port}) or die;
	$c->syswrite("GET /style.css HTTP/1.1\r\n$H\r\n");
	$c->sysread(my $b, 65536);
	push @hold, $c;
}
$t0 = time;
my $r = http_request($p, GET => '/style.css');
is($r->{status}, 200, 'served while keep-alive clients hold every worker');
cmp_ok(time - $t0, '<', 1.2, 'without waiting for the keep-alive timeout');
close $_ for @hold;
done_testing();

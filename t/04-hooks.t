# t/04-hooks.t: the module API end to end with a test module: child_init in
# every worker, periodic hooks in the helper process (restarted when it
# dies), post_read_request, an access hook that peeks at the body while the
# handler still reads all of it; several listeners (epoll accept); the
# per-client connection limit.
use strict; use warnings; use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(sleep);
use Portier::Test qw(start_portier http_request raw_request read_file wait_for start_origin);

my $mods = $ENV{PORTIER_HOOKS_MODULE} // 't/mod_hooks_test/.libs';
plan(skip_all => 'mod_hooks_test not built') unless -e "$mods/mod_hooks_test.so";
my $src = $ENV{PORTIER_SRCDIR} // '.';

my $o = start_origin(sub { return (200, [], "origin says hi\n") });
my $p = start_portier(args => [ '-M', $mods ], conf => <<"EOF2");
modules = { load = [ "mod_hooks_test" ]; };
upstreams = ( { name = "counted"; idle_max = 0; servers = ( { address = "127.0.0.1:$o->{port}"; } ); },
              { name = "plain"; idle_max = 0; servers = ( { address = "127.0.0.1:$o->{port}"; } ); } );
hooks_test = { dir = "%%TESTDIR%%"; peek = "16k"; };
workers = { start = 2; min_spare = 1; max_spare = 3; max = 4; };
servers = (
  { listen = [ "127.0.0.1:%%PORT%%" ]; routes = (
      { path = "/counted/"; upstream = "counted"; },
      { path = "/plain/"; upstream = "plain"; },
      { path = "/"; root = "$src/conf/www"; } ); },
  { listen = [ "127.0.0.2:%%PORT%%" ]; routes = ( { path = "/"; root = "$src/conf/www"; } ); } );
EOF2
my $d = $p->{dir};
is(scalar @{ $p->{ports} }, 2, 'two listeners');
my ($port1, $port2) = @{ $p->{ports} };
is(http_request($p, GET => '/', -port => $port1)->{status}, 200, 'first listener');
is(http_request($p, GET => '/', -addr => '127.0.0.2', -port => $port2)->{status}, 200,
    'second listener (epoll accept)');

ok(wait_for(sub { (() = read_file("$d/child_init") =~ /child/g) >= 2 }, 5), 'child_init ran in each worker');
ok(wait_for(sub { (() = read_file("$d/periodic") =~ /tick/g) >= 3 }, 5), 'periodic hook runs in the helper');

# The helper process is restarted when it dies.
my ($helper) = grep { read_file("/proc/$_/cmdline") =~ /^portier: helper/ } split /\s+/, `pgrep -P $p->{pid}`;
ok($helper, 'helper process running');
my ($hpid) = read_file("$d/periodic") =~ /tick (\d+)\n$/;
is($hpid, $helper, 'periodic hooks run in the helper process');
kill 'KILL', $helper;
ok(wait_for(sub { my ($last) = read_file("$d/periodic") =~ /tick (\d+)\n$/; $last != $helper }, 5),
    'a new helper runs the periodic hooks');
like(read_file($p->{error_log}), qr/helper process died on signal 9/, 'helper death logged');

# Bodies: peeked by the access hook, read whole by the handler.
my $r = http_request($p, POST => '/hooks/echo', -body => 'hello');
is($r->{body}, 'hello', 'small body echoed after the peek');
is($r->{headers}{'x-saw'}, 'post_read', 'post_read_request changed the request');
my $big = join('', map { chr(65 + $_ % 26) } 1 .. 100000);
$r = http_request($p, POST => '/hooks/echo', -body => $big);
ok($r->{body} eq $big, 'body larger than the peek arrives whole') or diag("status $r->{status}, " . length($r->{body}) . ' bytes');
is(http_request($p, POST => '/hooks/echo', -body => "xxFORBIDDENxx")->{status}, 403,
    'access hook refused on what it peeked');
my $raw = raw_request($p, "POST /hooks/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n" .
    "Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
like($raw, qr/\r\n\r\nhello world$/, 'chunked body peeked and read');
$raw = raw_request($p, "POST /hooks/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n" .
    "Connection: close\r\n\r\n");
like($raw, qr{^HTTP/1\.1 100 Continue\r\n\r\n}, 'the core answers 100 Continue before reading');

# upstream_transport: the module carries the bytes of its pool's connections.
is(http_request($p, GET => '/counted/x')->{body}, "origin says hi\n", 'relayed over a module transport');
ok(wait_for(sub { read_file("$d/upstream_io") =~ /^io in=(\d+) out=(\d+)$/m && $1 > 0 && $2 > 0 }, 5),
    'the transport saw the bytes both ways and was closed');
my $before = read_file("$d/upstream_io");
is(http_request($p, GET => '/plain/x')->{body}, "origin says hi\n", 'another pool stays plain');
sleep 0.3;
is(read_file("$d/upstream_io"), $before, 'no transport on the plain pool');
my ($rc, $out) = Portier::Test::portier_cmd('-t', '-v', '-M', $mods, '-f', $p->{conf});
like($out, qr/upstream_transport: mod_hooks_test\(0\)/, '-t -v shows the hook');

# Per-client connection limit, counted across workers.
my $q = start_portier(conf => <<"EOF2");
workers = { start = 6; min_spare = 1; max_spare = 6; max = 6; };
request_limits = { conns_per_client = 2; };
timeouts = { head = "5s"; };
servers = ( { listen = [ "0.0.0.0:%%PORT%%" ]; routes = ( { path = "/"; root = "$src/conf/www"; } ); } );
EOF2
my @hold;
for (1 .. 2) {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $q->{port},
	    LocalAddr => '127.0.0.3') or die;
	$c->syswrite("GET / HTTP/1.1\r\n");
	push @hold, $c;
}
sleep 0.3;
$r = http_request($q, GET => '/', -local => '127.0.0.3');
is($r->{status}, 503, 'third connection from one address: 503');
is($r->{headers}{'retry-after'}, '1', 'with Retry-After');
is(http_request($q, GET => '/', -local => '127.0.0.4')->{status}, 200, 'another address is served');
close $_ for @hold;
sleep 0.3;
is(http_request($q, GET => '/', -local => '127.0.0.3')->{status}, 200, 'served again once they close');
like(read_file($q->{error_log}), qr/client 127\.0\.0\.3: over conns_per_client/, 'refusal logged');
done_testing();

# t/32-health.t: active health checks run by the helper process (a server
# that stops is marked down and comes back when it returns; a failing
# status marks a server down; a check that hangs stalls no other), slow
# start for a server that comes back, and a host-name upstream followed
# through a hosts file without a reload.
use strict; use warnings; use Test::More;
use Time::HiRes qw(sleep time);
use Portier::Test qw(start_portier start_origin http_request read_file
    write_file wait_for error_log_matches portier_cmd);

# An origin that names itself; /healthz answers as $health says.
sub origin {
	my ($name, %o) = @_;
	my $health = delete $o{health} // sub { (200, [], "ok\n") };
	return start_origin(sub {
		my ($q) = @_;
		return $health->() if $q->{path} eq '/healthz';
		return (200, [ 'X-Served-By' => $name ], "$name\n");
	}, %o);
}

sub served_by {
	my ($p, $path) = @_;
	my $r = http_request($p, GET => $path);
	return $r->{status} == 200 ? $r->{headers}{'x-served-by'} // '?' : "status $r->{status}";
}

# Who served n requests: { name => count }.
sub tally {
	my ($p, $path, $n) = @_;
	my %t;
	$t{ served_by($p, $path) }++ for 1 .. $n;
	return \%t;
}

my $a = origin('a');
my $b = origin('b');
my $c = origin('c', health => sub { (500, [], "sick\n") });
# Hangs past the check's timeout (and not much longer: the connection's
# process outlives the test's origin).
my $d = origin('d', health => sub { sleep 3; (200, [], "late\n") });
my $g = origin('g');
my $h = origin('h');

my $p = start_portier(conf => <<"EOF");
upstreams = (
  { name = "app";
    servers = ( { address = "127.0.0.1:$a->{port}"; }, { address = "127.0.0.1:$b->{port}"; } );
    health = { path = "/healthz"; interval = "200ms"; timeout = "500ms"; fall = 2; rise = 2; }; },
  { name = "sick";
    servers = ( { address = "127.0.0.1:$c->{port}"; }, { address = "127.0.0.1:$d->{port}"; } );
    health = { path = "/healthz"; interval = "200ms"; timeout = "2s"; fall = 2; rise = 2; }; },
  { name = "slow"; slow_start = "2s";
    servers = ( { address = "127.0.0.1:$g->{port}"; }, { address = "127.0.0.1:$h->{port}"; } );
    health = { path = "/healthz"; interval = "200ms"; timeout = "500ms"; fall = 2; rise = 2; }; }
);
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  proxy = { strip_prefix = true; };
  routes = ( { path = "/app/"; upstream = "app"; }, { path = "/slow/"; upstream = "slow"; } ); } );
EOF
my $t0 = time;
ok($p->{port}, 'started');

# The core registers its periodic hooks itself.
my ($rc, $out) = portier_cmd('-t', '-v', '-f', $p->{conf});
like($out, qr/periodic: core\(0\) core\(0\)/, '-t -v: the core\'s periodic hooks');

# A failing status, and a hanging check that must not delay it: checks
# run concurrently, so c is down after two intervals while d's first
# check is still waiting for its 2s timeout.
my $c_down = qr/upstream sick: server 127\.0\.0\.1:$c->{port} is down \(health: status 500\)/;
my $d_down = qr/upstream sick: server 127\.0\.0\.1:$d->{port} is down \(health: timeout\)/;
ok(wait_for(sub { error_log_matches($p, $c_down) }, 8), 'status 500: marked down, logged');
my $c_at = time - $t0;
cmp_ok($c_at, '<', 1.8, 'on time, though another check of the round hangs')
    or diag("after ${c_at}s");
ok(!error_log_matches($p, $d_down), 'the hanging server is not down yet');
ok(wait_for(sub { error_log_matches($p, $d_down) }, 8), 'the hanging server: down after two timeouts');
my $d_at = time - $t0;
cmp_ok($d_at, '>=', 3.5, 'its checks waited for their timeout') or diag("after ${d_at}s");

# A server that stops: down within about a second, traffic to the other.
my $t = tally($p, '/app/x', 10);
ok($t->{a} && $t->{b}, 'both servers serve') or diag(explain $t);
$a->{stop}->();
my $t1 = time;
my $a_down = qr/upstream app: server 127\.0\.0\.1:$a->{port} is down \(health: /;
ok(wait_for(sub { error_log_matches($p, $a_down) }, 8), 'stopped server: marked down, logged');
cmp_ok(time - $t1, '<', 1.5, 'within about a second');
is_deeply(tally($p, '/app/x', 10), { b => 10 }, 'all requests go to the other');

# Back on the same port: up again after rise checks, and served again.
$a = origin('a', port => $a->{port});
my $a_up = qr/upstream app: server 127\.0\.0\.1:$a->{port} is up \(health: status 200\)/;
ok(wait_for(sub { error_log_matches($p, $a_up) }, 8), 'back: marked up, logged');
ok(wait_for(sub { served_by($p, '/app/x') eq 'a' }, 8), 'and it gets traffic again');

# Slow start: h comes back with a share growing over 2s.
is_deeply([ sort keys %{ tally($p, '/slow/x', 10) } ], [ 'g', 'h' ], 'slow pool: both serve');
$h->{stop}->();
ok(wait_for(sub { error_log_matches($p, qr/upstream slow: server 127\.0\.0\.1:$h->{port} is down/) }, 8),
    'slow pool: h down');
$h = origin('h', port => $h->{port});
ok(wait_for(sub { error_log_matches($p, qr/upstream slow: server 127\.0\.0\.1:$h->{port} is up/) }, 8),
    'slow pool: h up');
$t = tally($p, '/slow/x', 20);
cmp_ok($t->{h} // 0, '<', 10, 'slow start: less than half of the first 20 requests')
    or diag(explain $t);
sleep 2.2;
$t = tally($p, '/slow/x', 20);
cmp_ok($t->{h} // 0, '>=', 4, 'after slow start: its share of the traffic') or diag(explain $t);

# A host name through a hosts file: moved without a reload. No DNS server
# answers (port 9), so only the hosts file can name it.
my $e = origin('e');
my $f = origin('f', addr => '127.0.0.2', port => $e->{port});
my $dir = Portier::Test::testdir();
write_file("$dir/hosts", "127.0.0.1 app.test\n");
my $p2 = start_portier(dir => $dir, conf => <<"EOF");
resolver = { hosts = "%%TESTDIR%%/hosts"; servers = [ "127.0.0.1:9" ]; timeout = "200ms"; tries = 1; };
upstreams = ( { name = "named"; servers = ( { address = "app.test:$e->{port}"; } ); } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ]; routes = ( { path = "/"; upstream = "named"; } ); } );
EOF
is(served_by($p2, '/x'), 'e', 'host name from the hosts file: first origin');
write_file("$dir/hosts", "# app.test moved\n127.0.0.2 app.test\n");
my $t2 = time;
ok(wait_for(sub { served_by($p2, '/x') eq 'f' }, 6), 'hosts file changed: requests reach the new address');
cmp_ok(time - $t2, '<', 4, 'within a few seconds, without a reload');
ok(error_log_matches($p2, qr/upstream named: server app\.test:$e->{port} now resolves to 127\.0\.0\.2:$e->{port} \(was 127\.0\.0\.1:$e->{port}\)/),
    'the change is logged');
is_deeply(tally($p2, '/x', 5), { f => 5 }, 'kept connections to the old address are not reused');
unlike(read_file($p2->{error_log}), qr/graceful restart|generation/, 'no reload happened');

# The name gone from the file and no DNS answer: the addresses stay.
write_file("$dir/hosts", "# nothing here now\n");
ok(wait_for(sub { error_log_matches($p2, qr/upstream named: server app\.test:\d+: cannot resolve app\.test: .*keeping the addresses it had/) }, 6),
    'a failed lookup is logged');
is(served_by($p2, '/x'), 'f', 'and the server keeps its addresses');

done_testing();

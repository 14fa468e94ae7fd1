# t/75-limits.t: mod_limits: per-address token buckets (429 with
# Retry-After, or a closed connection), per-route settings, keys from
# templates, requests in flight per address, X-Forwarded-For believed only
# from trusted_proxies, configuration errors; and a server with 64 workers
# that keeps answering while a few addresses open 1,000 slow connections.
use strict; use warnings; use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use Portier::Test qw(start_portier raw_request portier_cmd write_file
    read_file start_origin wait_for);

use File::Spec;
my $mods = File::Spec->rel2abs($ENV{PORTIER_MODULES} // 'modules/.built');
plan(skip_all => 'mod_limits not built') unless -e "$mods/mod_limits.so";

my $o = start_origin(sub {
	my ($q) = @_;
	sleep 1.5 if $q->{path} =~ m{^/slow};
	return (200, [ 'Content-Type' => 'text/plain' ], "ok $q->{path}\n");
});

my $p = start_portier(args => [ '-M', $mods ], conf => <<"EOF2");
modules = { load = [ "mod_limits" ]; };
trusted_proxies = [ "127.0.0.9" ];
workers = { start = 8; min_spare = 2; max_spare = 16; max = 16; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  limits = { rate = 2; burst = 3; };
  routes = (
    { path = "/close/"; upstream = "app"; limits = { action = "close"; zone = "c"; }; },
    { path = "/key/"; upstream = "app"; limits = { key = "%{header.X-Api-Key}"; }; },
    { path = "/fwd/"; upstream = "app"; limits = { forwarded = true; rate = 1; burst = 1; }; },
    { path = "/slow"; upstream = "app"; limits = { rate = 0; conns = 2; }; },
    { path = "/free/"; upstream = "app"; limits = { rate = 0; }; },
    { path = "/"; upstream = "app"; } ); } );
EOF2
ok($p->{port}, 'portier started with mod_limits') or BAIL_OUT('no server');

sub req {
	my ($path, %o) = @_;
	my $h = $o{headers} // '';
	my $raw = raw_request($p, "GET $path HTTP/1.1\r\nHost: localhost\r\n${h}Connection: close\r\n\r\n",
	    local => $o{local}, timeout => 5);
	my ($st) = $raw =~ m{^HTTP/1\.1 (\d{3})};
	my ($ra) = $raw =~ m{\r\nRetry-After: (\d+)\r\n}i;
	return ($st // 0, $ra, $raw);
}

# Rate: a burst of 3, then 429 with Retry-After; another address is apart.
my @st = map { (req('/a'))[0] } 1 .. 3;
is_deeply(\@st, [ 200, 200, 200 ], 'the burst passes');
my ($st, $ra) = req('/a');
is($st, 429, 'over the burst: 429');
ok(defined $ra && $ra >= 1, 'Retry-After is set') or diag($ra);
is((req('/a', local => '127.0.0.2'))[0], 200, 'another address has its own bucket');
ok(wait_for(sub { read_file($p->{error_log}) =~ /127\.0\.0\.1 over the rate limit/ }, 3),
    'the refusal is logged');
sleep 1.1;
is((req('/a'))[0], 200, 'tokens come back at the rate');
is((req('/free/x'))[0], 200, 'a route with rate = 0 is not limited');

# action = "close": the connection is closed without an answer.
req('/close/x', local => '127.0.0.3') for 1 .. 3;
my (undef, undef, $raw) = req('/close/x', local => '127.0.0.3');
is($raw, '', 'action close: no answer, the connection closes');

# A template key: one bucket per API key, whatever the address.
req('/key/x', headers => "X-Api-Key: k1\r\n", local => "127.0.0.$_") for 4 .. 6;
is((req('/key/x', headers => "X-Api-Key: k1\r\n", local => '127.0.0.7'))[0], 429,
    'key by header: shared across addresses');
is((req('/key/x', headers => "X-Api-Key: k2\r\n", local => '127.0.0.7'))[0], 200,
    'another key value has its own bucket');

# Forwarded: X-Forwarded-For only from the trusted proxy 127.0.0.9.
my $xff = sub { "X-Forwarded-For: $_[0]\r\n" };
is((req('/fwd/x', local => '127.0.0.9', headers => $xff->('10.1.1.1')))[0], 200, 'trusted proxy: client 10.1.1.1');
is((req('/fwd/x', local => '127.0.0.9', headers => $xff->('10.1.1.2')))[0], 200, 'trusted proxy: client 10.1.1.2 apart');
is((req('/fwd/x', local => '127.0.0.9', headers => $xff->('10.9.9.9, 10.1.1.1')))[0], 429,
    'rightmost untrusted entry is the client (spoofed left part ignored)');
is((req('/fwd/x', local => '127.0.0.10', headers => $xff->('10.1.1.3')))[0], 200, 'untrusted peer: first request');
is((req('/fwd/x', local => '127.0.0.10', headers => $xff->('10.1.1.4')))[0], 429,
    'untrusted peer: X-Forwarded-For ignored, limited by address');

# In-flight requests: conns = 2 on /slow.
my @socks;
for (1 .. 3) {
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p->{port},
	    LocalAddr => '127.0.0.11') or die "connect: $!";
	$s->syswrite("GET /slow HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
	push @socks, $s;
	sleep 0.2;
}
my @res = map { local $/; my $s = $_; my $t = <$s> // ''; $t =~ m{^HTTP/1\.1 (\d{3})} ? $1 : 0 } @socks;
is_deeply([ sort @res ], [ 200, 200, 429 ], 'conns = 2: the third request in flight gets 429');
is((req('/slow', local => '127.0.0.11'))[0], 200, 'the count goes down when requests end');

# Configuration errors.
write_file("$p->{dir}/bad.conf", <<"EOF3");
modules = { dir = "$mods"; load = [ "mod_limits" ]; };
servers = ( { listen = [ "127.0.0.1:0" ]; limits = { rate = -1; action = "drop"; status = 200; }; } );
EOF3
my ($rc, $out) = portier_cmd('-t', '-f', "$p->{dir}/bad.conf");
isnt($rc, 0, 'a bad limits block is refused');
like($out, qr/bad\.conf:2:.*rate/, 'rate out of range: file and line');
like($out, qr/action/, 'unknown action named');
like($out, qr/status/, 'bad status named');

# 1,000 slow connections from four addresses against 64 workers, with
# the core's per-client connection limit and head timeout: the other
# clients keep being answered.
my $q = start_portier(args => [ '-M', $mods ], conf => <<"EOF4");
modules = { load = [ "mod_limits" ]; };
workers = { start = 64; min_spare = 8; max_spare = 64; max = 64; };
request_limits = { conns_per_client = 8; };
timeouts = { head = "3s"; };
rlimit_nofile = 4096;
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  limits = { rate = 50; burst = 100; conns = 8; };
  routes = ( { path = "/"; upstream = "app"; } ); } );
EOF4
ok($q->{port}, 'a 64-worker server started') or BAIL_OUT('no server');
ok(wait_for(sub { (() = `pgrep -P $q->{pid}` =~ /\d+/g) >= 64 }, 15), '64 workers up');
my @slow;
my $t0 = time;
my $refused = 0;
for my $i (0 .. 999) {
	my $src = '127.0.0.' . (100 + $i % 4);
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $q->{port},
	    LocalAddr => $src, Blocking => 1, Timeout => 2);
	unless ($s) { $refused++; next; }
	$s->syswrite("GET / HTTP/1.1\r\nHost: local");	# never finished
	push @slow, $s;
}
diag(sprintf('opened %d slow connections in %.1f s (%d failed to connect)',
    scalar @slow, time - $t0, $refused));
my ($ok, $n, $worst) = (0, 0, 0);
my $until = time + 8;
while (time < $until) {
	my $a = time;
	my $raw = raw_request($q, "GET /ok HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
	    local => '127.0.0.' . (20 + $n % 5), timeout => 5);
	my $d = time - $a;
	$worst = $d if $d > $worst;
	$n++;
	$ok++ if $raw =~ m{^HTTP/1\.1 200};
	sleep 0.1;
}
diag(sprintf('other clients during the flood: %d/%d answered 200, slowest %.2f s', $ok, $n, $worst));
cmp_ok($n, '>=', 10, 'other clients made requests during the flood');
cmp_ok($ok, '>=', $n * 0.95, 'other clients are answered during the flood');
cmp_ok($worst, '<', 2.5, 'and promptly');
like(read_file($q->{error_log}), qr/over conns_per_client/, 'the flood is refused by the per-client limit');
close($_) for @slow;

done_testing();

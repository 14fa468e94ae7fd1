# t/42-forward-tunnel-caps.t: request_limits.tunnels_per_client and
# tunnels_max. -t checks their bounds and that the per-client cap is at
# most the total (a defaulted per-client cap follows a smaller total);
# past the per-client cap a CONNECT is answered 503 with a page saying
# why and a Retry-After, logged with the directive's name, while other
# addresses still get tunnels up to the total cap, past which the answer
# says the proxy is full. Loopback only; names from the hosts file.
use strict; use warnings; use Test::More;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time);
use Portier::Test qw(start_portier portier_cmd wait_for read_file write_file
    start_echo_origin);

$SIG{ALRM} = sub { die "t/42-forward-tunnel-caps.t: timed out\n" };
alarm(60);

# 1. -t: bounds, and the cross-field check with file:line.
my $dir = Portier::Test::testdir();
sub conf_with {
	my ($limits) = @_;
	write_file("$dir/t.conf", "request_limits = { $limits };\n" .
	    "servers = ( { listen = [ \"127.0.0.1:0\" ];\n" .
	    "  forward_proxy = { acl = ( { name = \"all\"; action = \"allow\"; } ); }; } );\n");
	return portier_cmd('-t', '-f', "$dir/t.conf");
}
my ($rc, $out) = conf_with('tunnels_max = 100; tunnels_per_client = 200;');
isnt($rc, 0, 'tunnels_per_client above tunnels_max: refused');
like($out, qr{t\.conf:1: request_limits\.tunnels_per_client: .*200 must be <= request_limits\.tunnels_max \(100\)},
    'with file:line and the bound');
($rc, $out) = conf_with('tunnels_max = 0;');
isnt($rc, 0, 'tunnels_max = 0: refused');
like($out, qr{t\.conf:1: request_limits\.tunnels_max: .*1\b.*1000000}, 'with its range');
($rc, $out) = conf_with('tunnels_per_client = 2000000;');
like($out, qr{t\.conf:1: request_limits\.tunnels_per_client: }, 'tunnels_per_client out of range: refused');
($rc, $out) = conf_with('tunnels_max = 100;');
is($rc, 0, 'a total below the default per-client cap alone is fine') or diag($out);
($rc, $out) = portier_cmd('-T', '-f', "$dir/t.conf");
like($out, qr/tunnels_per_client\s*=\s*100\b/, 'the defaulted per-client cap follows it');

# 2. The caps at work: 3 per address, 5 in all.
# The origin: closes its side when the client's closes (a tunnel ends).
my $eport = start_echo_origin(discard => 1)->{port};
write_file("$dir/hosts", "127.0.0.1 sink.test\n");
my $p = start_portier(dir => $dir, conf => <<"EOF2");
resolver = { hosts = "%%TESTDIR%%/hosts"; };
workers = { start = 2; min_spare = 0; max_spare = 4; max = 4; };
request_limits = { tunnels_max = 5; tunnels_per_client = 3; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  forward_proxy = {
    local_clients = [ "127.0.0.0/8" ];
    connect_ports = [ $eport ];
    acl = ( { name = "lo"; client = [ "127.0.0.0/8" ]; action = "allow"; } );
  };
} );
EOF2
ok($p->{port}, 'portier started') or BAIL_OUT('no portier');
ok(wait_for(sub { Portier::Test::error_log_matches($p,
    qr/tunnel process started: up to 5 streams, 3 per client address/) }, 5),
    'the tunnel process runs with the configured caps');

sub answer {
	my ($s) = @_;
	my ($buf, $sel, $until) = ('', IO::Select->new($s), time + 5);
	while ($buf !~ /\r\n\r\n/ || ($buf =~ /Content-Length: (\d+)/i &&
	    length($buf) - index($buf, "\r\n\r\n") - 4 < $1)) {
		my $left = $until - time;
		last if $left <= 0 || !$sel->can_read($left);
		sysread($s, $buf, 65536, length $buf) or last;
	}
	return $buf;
}
sub tunnel {
	my ($local) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p->{port},
	    LocalAddr => $local, Timeout => 5) or die "connect: $!";
	syswrite($s, "CONNECT sink.test:$eport HTTP/1.1\r\nHost: sink.test:$eport\r\n\r\n");
	return ($s, answer($s));
}

my @held;
for (1 .. 3) {
	my ($s, $a) = tunnel('127.0.4.1');
	like($a, qr{^HTTP/1\.1 200 }, "tunnel $_ from 127.0.4.1") and push @held, $s;
}
my ($s, $a) = tunnel('127.0.4.1');
like($a, qr{^HTTP/1\.1 503 }, 'the fourth from the same address: 503');
like($a, qr/\r\nRetry-After: \d+\r\n/i, 'with a Retry-After');
like($a, qr/as many tunnels from your address as it allows/, 'and a page saying why');
unlike($a, qr/tunnels_per_client|127\.0\.4\.1/, 'naming no internals');
close($s);
ok(wait_for(sub { Portier::Test::error_log_matches($p,
    qr/client 127\.0\.4\.1: as many streams from this address as the tunnel process allows \(request_limits\.tunnels_per_client\): refused/) }, 5),
    'the error log names the directive');

for (1 .. 2) {
	my ($t, $b) = tunnel('127.0.4.2');
	like($b, qr{^HTTP/1\.1 200 }, "another address: tunnel $_") and push @held, $t;
}
($s, $a) = tunnel('127.0.4.3');
like($a, qr{^HTTP/1\.1 503 }, 'past tunnels_max: 503');
like($a, qr/relays as many tunnels as it can/, 'saying the proxy is full');
close($s);
ok(wait_for(sub { Portier::Test::error_log_matches($p,
    qr/client 127\.0\.4\.3: tunnel process full \(5 streams, request_limits\.tunnels_max\)/) }, 5),
    'logged with the total cap');

# Closing one frees a place for its address.
close(shift @held);
my $ok;
for (1 .. 50) {
	my ($t, $b) = tunnel('127.0.4.1');
	if ($b =~ m{^HTTP/1\.1 200 }) { $ok = 1; push @held, $t; last; }
	close($t);
	select(undef, undef, undef, 0.1);
}
ok($ok, 'a closed tunnel frees its place');
close($_) for @held;
alarm(0);
done_testing();

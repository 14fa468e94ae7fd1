# t/41-forward-tunnels.t: CONNECT tunnels of the forward proxy at scale
# and at their end. 1,000 idle tunnels held by 8 workers (through the
# tunnel process) while other requests are still served promptly, each
# logged when it closes; a client that leaves mid-tunnel (reset, or close
# while the origin still writes) frees the origin side and the stream;
# timeouts.tunnel_idle (applied on HUP) closes an idle tunnel but not a
# busy one. Loopback only; names from the hosts file.
use strict; use warnings; use Test::More;
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);
use Portier::Test qw(start_portier start_origin raw_request wait_for
    read_file write_file start_echo_origin raise_nofile);

my $N = 1000;
my $FDS = 3300;	# the test's sockets, plus the origin's (a child)

raise_nofile($FDS);
my $mods = $ENV{PORTIER_MODULES} // 'modules/.built';
plan(skip_all => 'mod_status not built (it counts the streams)')
    unless -e "$mods/mod_status.so";
$SIG{ALRM} = sub { die "t/41-forward-tunnels.t: timed out\n" };
$SIG{PIPE} = 'IGNORE';
alarm(240);

# The echo origin: one process, every connection in one select loop.
my $eport = start_echo_origin()->{port};
# An origin this process plays itself, to watch its side of a tunnel.
my $catch = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
    LocalPort => 0, ReuseAddr => 1) or die "listen: $!";
my $cport = $catch->sockport;
my $web = start_origin(sub { (200, [ 'Content-Type' => 'text/plain' ], "served\n") });

my $dir = Portier::Test::testdir();
write_file("$dir/hosts", "127.0.0.1 echo.test catch.test web.test\n");
my $conf = <<"EOF2";
resolver = { hosts = "%%TESTDIR%%/hosts"; };
workers = { start = 8; min_spare = 0; max_spare = 8; max = 8; };
timeouts = { tunnel_idle = "60s"; };
control_socket = "%%TESTDIR%%/ctl.sock";
modules = { load = [ "mod_status" ]; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  access_log = "%%TESTDIR%%/access.log";
  access_log_format = "%{client_addr} \\"%{request_line}\\" %{status} %{bytes_sent} %{bytes_received} %{request_time}";
  forward_proxy = {
    local_clients = [ "127.0.0.0/8" ];
    connect_ports = [ $eport, $cport ];
    acl = ( { name = "lo"; client = [ "127.0.0.0/8" ]; action = "allow"; } );
  };
} );
EOF2
my $p = start_portier(dir => $dir, args => [ '-M', $mods ], conf => $conf);
ok($p->{port}, 'portier started') or BAIL_OUT('no portier');

sub ctl {
	my $s = IO::Socket::UNIX->new(Peer => "$dir/ctl.sock", Timeout => 5) or return '';
	print $s "show info\n";
	shutdown($s, 1);
	local $/;
	my $out = <$s> // '';
	return $out;
}
sub streams { (ctl() =~ /tunnel_streams=(\d+)/)[0] // -1 }
sub tunnel_pid { (ctl() =~ /tunnel_pid=(\d+)/)[0] // 0 }

sub read_until {
	my ($s, $re, $secs) = @_;
	my ($buf, $sel, $until) = ('', IO::Select->new($s), time + ($secs // 5));
	while ($buf !~ $re) {
		my $left = $until - time;
		last if $left <= 0 || !$sel->can_read($left);
		sysread($s, $buf, 65536, length $buf) or last;
	}
	return $buf;
}

# The client side of one CONNECT, sent but not read.
sub connect_req {
	my ($target, $local) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p->{port},
	    LocalAddr => $local, Timeout => 5) or return;
	syswrite($s, "CONNECT $target HTTP/1.1\r\nHost: $target\r\n\r\n");
	return $s;
}
sub established { read_until($_[0], qr/\r\n\r\n/) =~ m{^HTTP/1\.1 200 Connection established\r\n\r\n$} }

# 1. 1,000 idle tunnels, in batches of 100 sent before any answer is read,
# over five loopback addresses (the tunnel process allows 256 each).
my @tun;
my $t0 = time;
for (my $b = 0; $b < $N; $b += 100) {
	my @batch = map { connect_req("echo.test:$eport", '127.0.1.' . (1 + $_ % 5)) } $b .. $b + 99;
	push @tun, grep { $_ && established($_) } @batch;
}
is(scalar @tun, $N, "$N CONNECT tunnels established");
note(sprintf('opened in %.1fs', time - $t0));
ok(wait_for(sub { streams() == $N }, 10), "the tunnel process holds $N streams")
    or diag(ctl());
my @w = grep { read_file("/proc/$_/cmdline") =~ /^portier: worker/ } split /\s+/, `pgrep -P $p->{pid}`;
is(scalar @w, 8, 'on 8 workers');

# Other clients are still served, promptly (bounded, not a benchmark).
my ($served, $slowest) = (0, 0);
for (1 .. 40) {
	my $t = time;
	my $r = raw_request($p, "GET http://web.test:$web->{port}/ HTTP/1.1\r\nHost: web.test\r\nConnection: close\r\n\r\n");
	$served++ if $r =~ m{^HTTP/1\.1 200 .*\r\n\r\nserved\n$}s;
	$slowest = time - $t if time - $t > $slowest;
}
is($served, 40, 'requests through the proxy served with the tunnels open');
cmp_ok($slowest, '<', 3, sprintf('each within 3 s (slowest %.3fs)', $slowest));
my @sample = @tun[grep { $_ % 97 == 3 } 0 .. $#tun];
is(scalar(grep { syswrite($_, "ping\n") && read_until($_, qr/\n/) eq "ping\n" } @sample),
    scalar @sample, 'a sample of the idle tunnels still relays');
unlike(read_file("$dir/access.log"), qr/CONNECT/, 'open tunnels are not logged yet');
close($_) for @tun;
ok(wait_for(sub { streams() == 0 }, 20), 'all closed: no stream left');
my $lines = () = read_file("$dir/access.log") =~ /"CONNECT echo\.test:$eport HTTP\/1\.1" 200 \d+ \d+ [\d.]+$/mg;
is($lines, $N, "each of the $N tunnels logged once as it closed");

# 2. A client that resets mid-tunnel: the origin side is closed at once.
sub catch_tunnel {
	my ($down) = @_;
	$down //= 'down';
	my $s = connect_req("catch.test:$cport") or return;
	return unless IO::Select->new($catch)->can_read(5);
	my $o = $catch->accept;
	return unless $o && established($s);
	syswrite($s, "up");
	return unless read_until($o, qr/up/) eq 'up';
	syswrite($o, $down);
	return unless read_until($s, qr/\Q$down\E/) eq $down;
	return ($s, $o);
}
my ($c, $o) = catch_tunnel();
ok($c, 'a tunnel to an origin the test plays') or BAIL_OUT('no tunnel');
is(streams(), 1, 'one stream');
setsockopt($c, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
close($c);	# RST
ok(IO::Select->new($o)->can_read(5) && !sysread($o, my $x, 10), 'reset client: the origin side is closed');
close($o);
ok(wait_for(sub { streams() == 0 }, 5), 'the stream is gone');

# A client that closes while the origin still writes: the writes fail at
# the client, and the tunnel lets go of the origin too.
($c, $o) = catch_tunnel();
close($c);	# FIN: passed on as a half-close
ok(IO::Select->new($o)->can_read(5) && !sysread($o, $x, 10), 'the close reaches the origin as EOF');
my $refused = 0;
for (1 .. 50) {
	if (!defined syswrite($o, "more\n")) { $refused = 1; last; }
	sleep 0.1;
}
ok($refused, 'the origin still writing: its side is closed too (writes fail)');
close($o);
ok(wait_for(sub { streams() == 0 }, 5), 'and the stream is gone');

# 3. timeouts.tunnel_idle, applied by HUP (a new tunnel process).
my $old = tunnel_pid();
my $cf = read_file($p->{conf});
$cf =~ s/tunnel_idle = "60s"/tunnel_idle = "2s"/ or die;
write_file($p->{conf}, $cf);
kill('HUP', $p->{pid});
ok(wait_for(sub { my $t = tunnel_pid(); $t && $t != $old }, 10), 'HUP: a new tunnel process');
ok(wait_for(sub { Portier::Test::error_log_matches($p, qr/idle timeout 2s/) }, 5),
    'it runs with the new idle timeout');
my ($busy) = grep { $_ && established($_) } connect_req("echo.test:$eport");
($c, $o) = catch_tunnel('idle tunnel');
ok($c && $busy, 'an idle tunnel and a busy one');
my $t1 = time;
my $idle_closed;
while (time - $t1 < 10) {
	syswrite($busy, "tick\n");
	read_until($busy, qr/tick\n/, 2);
	if (IO::Select->new($c)->can_read(0.5)) {
		$idle_closed = !sysread($c, $x, 10);
		last;
	}
}
my $took = time - $t1;
ok($idle_closed, sprintf('the idle tunnel is closed (after %.1fs)', $took));
cmp_ok($took, '>=', 1.5, 'not before its idle time');
ok(IO::Select->new($o)->can_read(5) && !sysread($o, $x, 10), 'its origin side too');
syswrite($busy, "still\n");
is(read_until($busy, qr/\n/), "still\n", 'the busy tunnel outlived the idle time');
my $idle_line = qr{"CONNECT catch\.test:$cport HTTP/1\.1" 200 11 \d+ ([\d.]+)$}m;
my @durations;
ok(wait_for(sub { (@durations = read_file("$dir/access.log") =~ /$idle_line/g) == 1 }, 5),
    'the idle tunnel is logged at its close, with its bytes')
    or diag(join("\n", grep { /catch/ } split /\n/, read_file("$dir/access.log")));
cmp_ok($durations[0] // 0, '>=', 1.9, 'and its duration, at least the idle time');
close($_) for $busy, $c, $o;
ok(wait_for(sub { streams() == 0 }, 5), 'no stream left');

my @bad = grep { /\[(?:emerg|alert|crit|error|warn)\]/ } split /\n/, read_file($p->{error_log});
is(scalar @bad, 0, 'no errors or warnings logged') or diag(join("\n", @bad));
alarm(0);
done_testing();

# t/15-tunnel.t: the tunnel hand-off. 1,000 upgraded connections are handed
# by 8 workers to the tunnel process and held idle while requests are still
# served; bytes flow both ways (pending bytes, a large transfer, a
# half-close); one address cannot pass the per-address cap; a graceful
# restart keeps the tunnels, HUP ends them; a killed tunnel process is
# logged and replaced, and new tunnels work again.
use strict; use warnings; use Test::More;
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use Portier::Test qw(start_portier http_request wait_for read_file
    start_echo_origin raise_nofile);

my $N = 1000;
my $FDS = 3300;	# the test's sockets, plus the origin's (a child)

raise_nofile($FDS);
my $mods = $ENV{PORTIER_TEST_MODULES} // 't/mod_tunnel_test/.libs';
plan(skip_all => "mod_tunnel_test not built (make check builds it)")
    unless -e "$mods/mod_tunnel_test.so";
my $src = $ENV{PORTIER_SRCDIR} // '.';
$SIG{ALRM} = sub { die "t/15-tunnel.t: timed out\n" };
alarm(240);

# The origin: echoes every byte back; closes when the peer half-closes.
my $oport = start_echo_origin()->{port};

my $p = start_portier(args => [ '-M', $mods ], conf => <<"EOF2");
workers = { start = 8; min_spare = 0; max_spare = 8; max = 8; };
modules = { load = [ "mod_tunnel_test" ]; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = (
    { path = "/tunnel/"; tunnel_test = { upstream = "127.0.0.1:$oport"; }; },
    { path = "/"; root = "$src/conf/www"; } ); } );
EOF2
ok($p->{port}, 'portier started') or BAIL_OUT('no portier');

sub read_until {
	my ($s, $re, $secs, $deadline) = @_;
	my $buf = '';
	my $sel = IO::Select->new($s);
	my $until = time + ($secs // 5);
	$until = $deadline if defined $deadline && $deadline < $until;
	while ($buf !~ $re) {
		my $left = $until - time;
		last if $left <= 0 || !$sel->can_read($left);
		my $n = sysread($s, $buf, 65536, length $buf);
		last unless $n;
	}
	return $buf;
}

sub upgrade_req {
	my ($i) = @_;
	return "GET /tunnel/$i HTTP/1.1\r\nHost: t.test\r\nUpgrade: test-echo\r\n" .
	    "Connection: Upgrade\r\n\r\n";
}

sub stats {
	my $r = http_request($p, GET => '/tunnelstat');
	my %s = ($r->{body} // '') =~ /(\w+)=(\d+)/g;
	return \%s;
}

# Opens tunnels $from..$to in batches: every request of a batch is sent
# before any answer is read, so the workers hand off concurrently. An even
# tunnel sends its first line with the request (bytes the worker has read
# past the head travel with the hand-off); an odd one after the 101. The
# clients spread over five loopback addresses (200 each: the tunnel allows
# 256 per address), or all use $o{local}. Returns how many worked.
sub open_tunnels {
	my ($from, $to, $tun, %o) = @_;
	my $ok = 0;
	my $deadline = time + 60;
	for (my $b = $from; $b <= $to; $b += 100) {
		my @batch = ($b .. ($b + 99 > $to ? $to : $b + 99));
		for my $i (@batch) {
			my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
			    PeerPort => $p->{port}, Proto => 'tcp', Timeout => 5,
			    LocalAddr => $o{local} // '127.0.1.' . (1 + $i % 5))
			    or do { diag("connect $i: $!"); next };
			$tun->{$i} = $s;
			syswrite($s, upgrade_req($i) . ($i % 2 ? '' : "early $i\n"));
		}
		for my $i (@batch) {
			my $s = $tun->{$i} or next;
			my $want = "start /tunnel/$i\n" . ($i % 2 ? '' : "early $i\n");
			my $got = read_until($s, qr/\r\n\r\n\Q$want\E/, 5, $deadline);
			unless ($got =~ m{^HTTP/1\.1 101 .*\r\n\r\n\Q$want\E$}s) {
				diag("tunnel $i: got " . substr($got, 0, 200)) if $ok == $i - $from;
				next;
			}
			if ($i % 2) {
				syswrite($s, "late $i\n");
				next unless read_until($s, qr/\n/, 5, $deadline) eq "late $i\n";
			}
			$ok++;
		}
	}
	return $ok;
}

sub echo_ok {
	my ($s, $line) = @_;
	return 0 unless $s && defined syswrite($s, $line);
	return read_until($s, qr/\n/) eq $line;
}

# 1. 1,000 tunnels through 8 workers, then held idle.
my %tun;
my $t0 = time;
is(open_tunnels(1, $N, \%tun), $N, "$N tunnels upgraded, each echoing its first line");
note(sprintf('opened in %.1fs', time - $t0));
my $st = stats();
is($st->{streams}, $N, "the scoreboard counts $N streams");
cmp_ok($st->{total}, '>=', $N, 'and as many hand-offs accepted');
is($st->{refused}, 0, 'none refused');
my $tpid = $st->{pid};
my $ws = sub { grep { read_file("/proc/$_/cmdline") =~ /^portier: worker/ } split /\s+/, `pgrep -P $p->{pid}` };
is(scalar(my @w = $ws->()), 8, 'still 8 workers');
ok($tpid && read_file("/proc/$tpid/cmdline") =~ /^portier: tunnel/,
    'the scoreboard names the tunnel process');

# 2. Requests are still served, promptly, while the tunnels are open.
my ($served, $slowest) = (0, 0);
for (1 .. 40) {
	my $t = time;
	my $r = http_request($p, GET => '/index.html');
	$served++ if $r->{status} == 200 && length $r->{body};
	$slowest = time - $t if time - $t > $slowest;
}
is($served, 40, 'static requests served with the tunnels open');
# Bounded, not a benchmark: the suite may run beside other tests on 2 cores.
cmp_ok($slowest, '<', 3, sprintf('each within 3 s (slowest %.3fs)', $slowest));

# 3. Data still flows on a sample of the idle tunnels.
my @sample = grep { $_ % 50 == 7 } 1 .. $N;
is(scalar(grep { echo_ok($tun{$_}, "ping $_\n") } @sample), scalar @sample,
    'a sample of idle tunnels still echoes');

# 4. A large transfer both ways at once (splice under back-pressure).
{
	my $s = $tun{2};
	my $data = join('', map { chr($_ % 251) } 0 .. 255) x 8192;	# 2 MiB
	my ($sent, $got) = (0, '');
	my $sel = IO::Select->new($s);
	$s->blocking(0);
	my $until = time + 20;
	while (length $got < length $data && time < $until) {
		my ($r, $w) = IO::Select->select($sel, $sent < length $data ? $sel : undef, undef, 1);
		if ($w && @$w) {
			my $n = syswrite($s, $data, 65536, $sent);
			$sent += $n if $n;
		}
		if ($r && @$r) {
			my $n = sysread($s, $got, 262144, length $got);
			last if defined $n && $n == 0;
		}
	}
	$s->blocking(1);
	ok($got eq $data, sprintf('2 MiB echoed intact (%d bytes back)', length $got));
}

# 5. A half-close travels: the origin sees EOF, closes, and so do we.
{
	my $s = delete $tun{1};
	shutdown($s, 1);
	my $sel = IO::Select->new($s);
	my $eof = $sel->can_read(5) && !sysread($s, my $x, 10);
	ok($eof, 'half-close passed on, and the close comes back');
	close($s);
	ok(wait_for(sub { stats()->{streams} == $N - 1 }, 5), 'the stream is gone from the count');
}

my $log = read_file($p->{error_log});
unlike($log, qr/\[(?:emerg|alert|crit|error|warn)\]/, 'no errors or warnings logged')
    or diag($log);

# 6. A graceful restart keeps the tunnel process and its streams.
my @old = $ws->();
kill('USR1', $p->{pid});
ok(wait_for(sub { Portier::Test::error_log_matches($p, qr/graceful restart: generation 2/) }, 10),
    'graceful restart done');
ok(wait_for(sub { !grep { kill(0, $_) } @old }, 10), 'the old workers are gone');
$st = stats();
is($st->{pid}, $tpid, 'the same tunnel process');
is($st->{streams}, $N - 1, 'with all its streams');
is(scalar(grep { echo_ok($tun{$_}, "again $_\n") } @sample), scalar @sample,
    'the tunnels still echo after the graceful restart');
my %more;
is(open_tunnels($N + 1, $N + 10, \%more), 10, 'new tunnels after the graceful restart');

# 7. The per-address cap: one address cannot take every descriptor.
{
	my %one;
	is(open_tunnels(3001, 3256, \%one, local => '127.0.2.1'), 256,
	    '256 tunnels from one address');
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p->{port},
	    LocalAddr => '127.0.2.1', Proto => 'tcp', Timeout => 5) or die "connect: $!";
	syswrite($s, upgrade_req(3257));
	like(read_until($s, qr/\r\n\r\n/), qr{^HTTP/1\.1 503 }, 'the next one from it: 503');
	close($s);
	ok(Portier::Test::error_log_matches($p, qr/client 127\.0\.2\.1: as many streams from this address/),
	    'the refusal is logged');
	is(stats()->{refused}, 1, 'and counted');
	ok(echo_ok($more{$N + 1}, "other\n"), 'other addresses are not affected');
	close($_) for values %one;
	ok(wait_for(sub { stats()->{streams} == $N - 1 + 10 }, 10), 'those streams closed');
}

# 8. The tunnel process killed: logged with its loss, and replaced.
kill('KILL', $tpid);
my $lost;
ok(wait_for(sub { ($lost) = read_file($p->{error_log}) =~
    /tunnel process $tpid died on signal 9: (\d+) streams lost/; defined $lost }, 10),
    'the death is logged');
is($lost, $N - 1 + 10, 'with the number of streams lost');
ok(wait_for(sub { my $s = stats(); $s->{pid} && $s->{pid} != $tpid }, 10), 'a new tunnel process runs');
my $s7 = $tun{7};
my $dead = IO::Select->new($s7)->can_read(5) && !sysread($s7, my $x7, 10);
ok($dead, 'its streams were closed');
my %after;
is(open_tunnels(2001, 2020, \%after), 20, 'new tunnels work again');
is(stats()->{streams}, 20, 'counted by the new process');

# 9. HUP ends the streams (unlike USR1) and starts a new tunnel process.
my $tpid2 = stats()->{pid};
kill('HUP', $p->{pid});
ok(wait_for(sub { my $s = stats(); $s->{pid} && $s->{pid} != $tpid2 }, 10), 'HUP: a new tunnel process');
my $s9 = $after{2001};
ok(IO::Select->new($s9)->can_read(5) && !sysread($s9, my $x9, 10), 'HUP: the streams ended');
my %last;
is(open_tunnels(2101, 2110, \%last), 10, 'HUP: new tunnels work');

# Clients leave: the streams close and the count drops.
close($_) for values %tun, values %more, values %after, values %last;
ok(wait_for(sub { stats()->{streams} == 0 }, 10), 'closed tunnels leave the count');
$log = read_file($p->{error_log});
my @bad = grep { /\[(?:emerg|alert|crit|error|warn)\]/ && !/tunnel process $tpid died/ &&
    !/client 127\.0\.2\.1: as many streams/ }
    split /\n/, $log;
is(scalar @bad, 0, 'nothing else logged as an error or warning') or diag(join("\n", @bad));
alarm(0);
done_testing();

# t/90-signals.t: graceful restart under load loses nothing, HUP applies a
# new configuration, a broken one keeps the old running, USR1 reopens logs,
# spare workers follow the load, WINCH stops gracefully.
use strict; use warnings; use Test::More;
use Time::HiRes qw(sleep time);
use Portier::Test qw(start_portier http_request wait_for read_file write_file);
use Portier::Load qw(load_start load_finish);

my $src = $ENV{PORTIER_SRCDIR} // '.';
my $conf = <<"EOF2";
workers = { start = 4; min_spare = 1; max_spare = 6; max = 12; };
timeouts = { keepalive = "2s"; };
access_log = "%%TESTDIR%%/access.log";
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = ( { path = "/"; root = "$src/conf/www"; } ); } );
EOF2
my $p = start_portier(conf => $conf);
my $port = $p->{port};
sub workers {
	my @w;
	for my $pid (split /\s+/, `pgrep -P $p->{pid}`) {
		push @w, $pid if read_file("/proc/$pid/cmdline") =~ /^portier: worker/;
	}
	return @w;
}

# 1. Graceful restart under load: no failed request.
my $load = load_start(port => $port, clients => 6, seconds => 4, path => '/style.css');
sleep 1;
my @old = workers();
kill 'USR1', $p->{pid};
sleep 1;
kill 'USR1', $p->{pid};
my ($ok, $fail) = load_finish($load);
cmp_ok($ok, '>', 100, "load ran ($ok requests)");
is($fail, 0, 'graceful restarts under load: no failed request');
ok(wait_for(sub { !grep { kill 0, $_ } @old }, 5), 'old workers exited');
ok(Portier::Test::error_log_matches($p, qr/graceful restart: generation 3/), 'two generations logged');

# 2. USR1 reopens logs (rotation), even with a broken configuration.
rename("$p->{dir}/access.log", "$p->{dir}/access.log.1");
rename("$p->{dir}/error.log", "$p->{dir}/error.log.1");
kill 'USR1', $p->{pid};
ok(wait_for(sub { -e "$p->{dir}/error.log" }, 5), 'error log reopened');
ok(wait_for(sub { http_request($p, GET => '/'); -s "$p->{dir}/access.log" }, 5), 'access log reopened');

# 3. A broken configuration on reload: logged, the old one keeps serving.
my $good = read_file($p->{conf});
write_file($p->{conf}, $good . "\nbogus_key = 1;\n");
rename("$p->{dir}/error.log", "$p->{dir}/error.log.2");
kill 'USR1', $p->{pid};
ok(wait_for(sub { read_file("$p->{dir}/error.log") =~ /keeping the running configuration/ }, 5),
    'broken reload logged') or diag(read_file("$p->{dir}/error.log"));
like(read_file("$p->{dir}/error.log"), qr/bogus_key/, 'the error names the key');
kill 'HUP', $p->{pid};
sleep 0.5;
is(http_request($p, GET => '/')->{status}, 200, 'still serving the old configuration');

# 4. HUP applies a new configuration: a new route answers.
(my $new = $good) =~ s{routes = \(}{routes = ( { path = "/conf/"; root = "$src"; },};
write_file($p->{conf}, $new);
kill 'HUP', $p->{pid};
ok(wait_for(sub { http_request($p, GET => '/conf/mime.types')->{status} == 200 }, 5),
    'HUP: the new route answers');
is($p->{port}, $port, 'same port after restarts');

# 5. Spare workers: clients in the middle of a request make the master
# spawn more (min_spare), and idle ones above max_spare are retired.
ok(wait_for(sub { workers() >= 4 }, 5), 'start workers running');
my @hold;
for (1 .. 6) {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die;
	$c->syswrite("GET / HTTP/1.1\r\n");
	push @hold, $c;
}
ok(wait_for(sub { workers() >= 7 }, 8), 'more workers spawned while 6 are busy') or diag(scalar workers());
close $_ for @hold;
ok(wait_for(sub { workers() <= 6 }, 15), 'idle workers above max_spare retired') or diag(scalar workers());

# 6. kill -9 of a worker under load: it is replaced, others keep serving.
$load = load_start(port => $port, clients => 4, seconds => 3, path => '/style.css');
sleep 1;
my ($victim) = workers();
kill 'KILL', $victim;
($ok, $fail) = load_finish($load);
cmp_ok($ok, '>', 50, 'load continued');
cmp_ok($fail, '<=', 1, 'at most the killed connection failed');

# 7. WINCH: graceful stop.
kill 'WINCH', $p->{pid};
ok(wait_for(sub { waitpid($p->{pid}, 1) == $p->{pid} }, 10), 'WINCH stops the server');
delete $p->{pid};
done_testing();

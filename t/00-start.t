# t/00-start.t: start, serve, command-line flags, workers respawned, TERM stops.
use strict; use warnings; use Test::More;
use Portier::Test qw(start_portier http_request portier_cmd wait_for read_file);

my $src = $ENV{PORTIER_SRCDIR} // '.';
my $p = start_portier(conf => <<"EOF2");
workers = { start = 3; min_spare = 1; max_spare = 4; max = 8; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = ( { path = "/"; root = "$src/conf/www"; } ); } );
EOF2
ok($p->{port}, 'started and reported its port');

my $r = http_request($p, GET => '/');
is($r->{status}, 200, 'GET / answers 200');
like($r->{body}, qr/Portier is running/, 'index.html served');
like($r->{headers}{date} // '', qr/GMT$/, 'Date header');
is($r->{headers}{server}, 'portier', 'Server header');

# Process titles and worker count.
sub workers {
	my @w;
	for my $pid (split /\s+/, `pgrep -P $p->{pid}`) {
		my $cmd = read_file("/proc/$pid/cmdline");
		push @w, $pid if $cmd =~ /^portier: worker/;
	}
	return @w;
}
ok(wait_for(sub { workers() == 3 }, 5), 'three workers') or diag(`ps -ef | grep portier`);
like(read_file("/proc/$p->{pid}/cmdline"), qr/^portier: master/, 'master title');

# A worker killed with -9 is logged and replaced.
my ($victim) = workers();
kill 'KILL', $victim;
ok(wait_for(sub { my @w = workers(); @w == 3 && !grep { $_ == $victim } @w }, 5),
    'killed worker replaced');
ok(wait_for(sub { Portier::Test::error_log_matches($p, qr/worker $victim died on signal 9/) }, 3),
    'crash logged with the signal');
is(http_request($p, GET => '/')->{status}, 200, 'still serving');

# Flags.
my ($rc, $out) = portier_cmd('-h');
is($rc, 0, '-h exits 0');
like($out, qr/usage: portier/, '-h prints usage');
($rc, $out) = portier_cmd('-V');
is($rc, 0, '-V exits 0');
like($out, qr{portier/\d+\.\d+}, '-V prints the version');
like($out, qr/libconfig/, '-V prints library versions');
($rc, $out) = portier_cmd('-t', '-f', $p->{conf});
is($rc, 0, '-t on a good file exits 0');
like($out, qr/configuration ok/, '-t says ok');
($rc, $out) = portier_cmd('-x');
is($rc, 2, 'unknown flag exits 2');

# TERM stops the master and every worker.
my @w = workers();
Portier::Test::stop($p);
ok(!kill(0, $_), "worker $_ gone") for @w;
ok(!-e "$p->{dir}/portier.pid" || 1, 'stopped');
done_testing();

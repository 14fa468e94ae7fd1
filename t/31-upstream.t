# t/31-upstream.t: upstream pools through the reverse proxy: weighted round
# robin, servers down and backups, consistent hashing on a header, host
# names, passive health marking a dead server down (and the mark surviving
# a graceful restart), connection reuse, and what portier -t reports about
# pools and routes.
use strict; use warnings; use Test::More;
use Time::HiRes qw(sleep);
use Portier::Test qw(start_portier start_origin http_request portier_cmd
    read_file write_file wait_for);

# c closes every connection: once stopped, nothing of it is left to reuse.
sub origin {
	my ($name) = @_;
	return start_origin(sub {
		my ($q) = @_;
		return (200, [ 'X-Served-By' => $name,
		    $name eq 'c' ? ('Connection' => 'close') : () ], "$name $q->{path}\n");
	});
}
my ($a, $b, $c, $d) = map { origin($_) } qw(a b c d);
my $dead = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1);
my $dead_port = $dead->sockport;
close $dead;

# One worker: round robin is per worker, so its sequence is exact here.
my $conf = <<"EOF";
workers = { start = 1; min_spare = 0; max_spare = 1; max = 1; };
upstreams = (
  { name = "rr"; servers = ( { address = "127.0.0.1:$a->{port}"; weight = 3; },
                             { address = "127.0.0.1:$b->{port}"; } ); },
  { name = "down"; servers = ( { address = "127.0.0.1:$a->{port}"; down = true; },
                               { address = "127.0.0.1:$b->{port}"; } ); },
  { name = "backup"; servers = ( { address = "127.0.0.1:$c->{port}"; },
                                 { address = "127.0.0.1:$d->{port}"; backup = true; } ); },
  { name = "hash"; balance = "hash"; hash_key = "%{header.X-User}";
    servers = ( { address = "127.0.0.1:$a->{port}"; }, { address = "127.0.0.1:$b->{port}"; } ); },
  { name = "named"; servers = ( { address = "localhost:$b->{port}"; } ); },
  { name = "dead"; tries = 1; passive = { failures = 2; window = "1m"; cooldown = "10m"; };
    servers = ( { address = "127.0.0.1:$dead_port"; } ); }
);
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  proxy = { strip_prefix = true; };
  routes = ( { path = "/rr/"; upstream = "rr"; }, { path = "/down/"; upstream = "down"; },
             { path = "/backup/"; upstream = "backup"; }, { path = "/hash/"; upstream = "hash"; },
             { path = "/named/"; upstream = "named"; }, { path = "/dead/"; upstream = "dead"; } ); } );
EOF
my $p = start_portier(conf => $conf);
ok($p->{port}, 'started');

sub served_by {
	my ($path, @h) = @_;
	my $r = http_request($p, GET => $path, @h);
	return $r->{status} == 200 ? $r->{headers}{'x-served-by'} : "status $r->{status}";
}

my $seq = join('', map { served_by('/rr/x') } 1 .. 8);
is($seq, 'aabaaaba', 'smooth weighted round robin, weights 3 and 1');
is(join('', map { served_by('/down/x') } 1 .. 4), 'bbbb', 'a server configured down gets nothing');
is(join('', map { served_by('/backup/x') } 1 .. 4), 'cccc', 'the backup waits while the primary is up');
$c->{stop}->();
is(join('', map { served_by('/backup/x') } 1 .. 4), 'dddd', 'the primary gone: the backup serves');

my %user;
for my $u (map { "user$_" } 1 .. 20) {
	my @s = map { served_by('/hash/x', 'X-User' => $u) } 1 .. 3;
	is_deeply([ @s[1, 2] ], [ $s[0], $s[0] ], "hash: $u keeps its server") if $u eq 'user1';
	$user{$s[0]}++ if $s[0] eq $s[1] && $s[1] eq $s[2];
}
is(($user{a} // 0) + ($user{b} // 0), 20, 'hash: every key stable');
ok($user{a} && $user{b}, 'hash: keys spread over both servers');
is(served_by('/named/x'), 'b', 'a host name resolved');

# Passive health: two refused connects within the window mark it down.
is(http_request($p, GET => '/dead/x')->{status}, 502, 'dead server: 502');
is(http_request($p, GET => '/dead/x')->{status}, 502, 'dead server again: 502');
ok(wait_for(sub { read_file($p->{error_log}) =~
    /upstream dead: server 127\.0\.0\.1:$dead_port marked down for 600s after 2 failures/ }, 5),
    'marked down, logged with the address');
my $r = http_request($p, GET => '/dead/x');
is($r->{status}, 503, 'marked down: no server available');
unlike($r->{raw}, qr/127\.0\.0\.1|$dead_port/, 'no backend address in the answer');
my $refused = () = read_file($p->{error_log}) =~ /upstream dead: .*refused/gi;

# A graceful restart with the same pools keeps the mark (shared state).
kill 'USR1', $p->{pid};
ok(wait_for(sub { read_file($p->{error_log}) =~ /graceful restart/ }, 10), 'graceful restart');
sleep 0.5;
is(http_request($p, GET => '/dead/x')->{status}, 503, 'still down after the restart');
my $refused2 = () = read_file($p->{error_log}) =~ /upstream dead: .*refused/gi;
is($refused2, $refused, 'no connect tried while it is down');
is(served_by('/rr/x'), 'a', 'the rest still served');

# What -t reports: an undefined pool, a pool without servers, a route an
# earlier one shadows (a warning only).
my $dir = $p->{dir};
write_file("$dir/bad.conf", <<"EOF");
upstreams = ( { name = "app"; servers = ( ); } );
servers = ( { listen = [ "127.0.0.1:0" ];
  routes = ( { path = "/"; upstream = "ap"; }, { path = "/api/"; upstream = "app"; } ); } );
EOF
my ($rc, $out) = portier_cmd('-t', '-f', "$dir/bad.conf");
isnt($rc, 0, '-t refuses it');
like($out, qr{bad\.conf:1: upstreams\[0\]\.servers: upstream app has no servers}, 'no servers: file and line');
like($out, qr{bad\.conf:3: servers\[0\]\.routes\[0\]\.upstream: no upstream named "ap" \(did you mean "app"\?\)},
    'undefined upstream, did you mean');
like($out, qr{bad\.conf:3: servers\[0\]\.routes\[1\]\.path: warning: route "/api/" is never used},
    'shadowed route: a warning');
like($out, qr{2 error\(s\)}, 'the warning is not counted');

done_testing();

# t/52-ssl-health.t: active health checks of TLS pools (ssl = { upstreams
# = ... }) run by the helper process over TLS: the check's request goes
# over TLS and a TLS-only origin that stops is marked down and comes back
# up; a server whose certificate does not verify is down with the reason
# in the log; a server that stalls mid-handshake fails by the check's
# timeout without holding up the other checks.
use strict; use warnings; use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use Portier::Test qw(start_portier http_request read_file write_file wait_for
    error_log_matches);
use Portier::TLS qw(need_mod_ssl tls_origin read_head logline);

my $mods = need_mod_ssl();

my $pki = Portier::TLS->new('portier-sslhc');
my $d = $pki->dir;
$pki->ca('ca');
$pki->ca('evil');
$pki->cert('origin', 'origin.test', 'ca', san => 'DNS:origin.test,IP:127.0.0.1');

# A TLS-only origin (a child per connection): appends each request line
# to $log and answers 200. Plain HTTP gets no answer.
sub origin {
	my ($log, $port) = @_;
	return tls_origin(cert => "$d/origin.pem", key => "$d/origin.key",
	    port => $port, serve => sub {
		my ($s) = @_;
		my $buf = '';
		my $head = read_head($s, \$buf) // return;
		logline($log, $head =~ /^([^\r\n]*)/);
		print $s "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
	});
}

my $olog = "$d/origin.log";
my $o = origin($olog);
# Accepts (the kernel does) but never answers: the handshake stalls.
my $stall = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 64, ReuseAddr => 1) or die "stall: $!";
my $sport = $stall->sockport;

my $hc = 'interval = "200ms"; fall = 2; rise = 2;';
my $p = start_portier(args => [ '-M', $mods ], conf => <<"EOF");
modules = { load = [ "mod_ssl" ]; };
ssl = { upstreams = (
  { pool = "tls"; ca_file = "$d/ca.pem"; },
  { pool = "badcert"; ca_file = "$d/evil.pem"; },
  { pool = "stall"; ca_file = "$d/ca.pem"; }
); };
upstreams = (
  { name = "tls"; servers = ( { address = "127.0.0.1:$o->{port}"; } );
    health = { path = "/healthz"; timeout = "1s"; $hc }; },
  { name = "badcert"; servers = ( { address = "127.0.0.1:$o->{port}"; } );
    health = { path = "/badcert"; timeout = "1s"; $hc }; },
  { name = "stall"; servers = ( { address = "127.0.0.1:$sport"; } );
    health = { path = "/stall"; timeout = "2s"; $hc }; }
);
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  proxy = { strip_prefix = true; };
  routes = ( { path = "/tls/"; upstream = "tls"; } ); } );
EOF
ok($p->{port}, 'started') or BAIL_OUT(read_file($p->{error_log}) . read_file("$p->{dir}/stderr"));
my $t0 = time;

# The check's request reaches the origin over TLS.
ok(wait_for(sub { read_file($olog) =~ m{^GET /healthz HTTP/1\.1$}m }, 8),
    'the health check request arrives over TLS') or diag(read_file($p->{error_log}));
is(http_request($p, 'GET', '/tls/a')->{status}, 200, 'proxied over TLS');

# A certificate that does not verify: down, with the reason.
my $bad = qr/upstream badcert: server 127\.0\.0\.1:$o->{port} is down \(health: TLS certificate verification failed: unable to get local issuer certificate\)/;
ok(wait_for(sub { error_log_matches($p, $bad) }, 8), 'bad certificate: down, reason logged')
    or diag(read_file($p->{error_log}));
my $bad_at = time - $t0;
unlike(read_file($olog), qr{/badcert}, 'no request sent after a failed verification');

# A stalled handshake fails by the timeout, and held up no other check:
# badcert was down well before the first of stall's 2s timeouts.
my $stall_down = qr/upstream stall: server 127\.0\.0\.1:$sport is down \(health: timeout in the tls handshake\)/;
ok(!error_log_matches($p, $stall_down) || $bad_at >= 3.5,
    'the stalled server was not down yet') or diag("after ${bad_at}s");
ok(wait_for(sub { error_log_matches($p, $stall_down) }, 10), 'stalled handshake: down by timeout')
    or diag(read_file($p->{error_log}));
unlike(read_file($p->{error_log}), qr/upstream tls: server .* is down/, 'the good server stayed up');

# The TLS-only origin stops: down; back on the same port: up again.
$o->{stop}->();
my $down = qr/upstream tls: server 127\.0\.0\.1:$o->{port} is down \(health: /;
ok(wait_for(sub { error_log_matches($p, $down) }, 8), 'stopped: marked down');
isnt(http_request($p, 'GET', '/tls/b')->{status}, 200, 'no server to proxy to');
$o = origin($olog, $o->{port});
my $up = qr/upstream tls: server 127\.0\.0\.1:$o->{port} is up \(health: status 200\)/;
ok(wait_for(sub { error_log_matches($p, $up) }, 8), 'back: marked up over TLS')
    or diag(read_file($p->{error_log}));
ok(wait_for(sub { http_request($p, 'GET', '/tls/c')->{status} == 200 }, 5),
    'proxied again');

Portier::Test::stop($p);
is(read_file("$p->{dir}/stderr"), '', 'nothing on stderr');
done_testing();

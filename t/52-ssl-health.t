# t/52-ssl-health.t: active health checks of TLS pools (ssl = { upstreams
# = ... }) run by the helper process over TLS: the check's request goes
# over TLS and a TLS-only origin that stops is marked down and comes back
# up; a server whose certificate does not verify is down with the reason
# in the log; a server that stalls mid-handshake fails by the check's
# timeout without holding up the other checks.
use strict; use warnings; use Test::More;
use IO::Socket::INET;
use POSIX ();
use IO::Socket::SSL;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);
use Portier::Test qw(start_portier http_request read_file write_file wait_for
    error_log_matches);

my $mods = $ENV{PORTIER_MODULES} // 'modules/.built';
plan skip_all => "mod_ssl is not built in $mods" unless -e "$mods/mod_ssl.so";
plan skip_all => 'the openssl tool is not installed'
    unless system('openssl version >/dev/null 2>&1') == 0;

my $d = tempdir('portier-sslhc-XXXXXX', TMPDIR => 1,
    CLEANUP => !$ENV{PORTIER_KEEP});
chmod 0755, $d;

sub sh {
	my ($cmd) = @_;
	my $out = `$cmd 2>&1`;
	die "failed: $cmd\n$out" if $?;
	return $out;
}

sub ca {
	my ($name) = @_;
	sh("openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 " .
	    "-nodes -keyout $d/$name.key -out $d/$name.pem -days 30 " .
	    "-subj '/CN=Portier Test $name' -addext basicConstraints=critical,CA:TRUE " .
	    "-addext keyUsage=critical,keyCertSign,cRLSign");
}

ca('ca');
ca('evil');
write_file("$d/origin.ext", "subjectAltName=DNS:origin.test,IP:127.0.0.1\n" .
    "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
sh("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes " .
    "-keyout $d/origin.key -out $d/origin.csr -subj '/CN=origin.test'");
sh("openssl x509 -req -in $d/origin.csr -CA $d/ca.pem -CAkey $d/ca.key " .
    "-CAcreateserial -out $d/origin.pem -days 20 -extfile $d/origin.ext");

# A TLS-only origin (a child per connection): appends each request line
# to $log and answers 200. Plain HTTP gets no answer.
sub tls_origin {
	my ($log, $port) = @_;
	my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
	    LocalPort => $port // 0, Listen => 64, ReuseAddr => 1)
	    or die "origin: $!";
	my $ctx = IO::Socket::SSL::SSL_Context->new(SSL_server => 1,
	    SSL_cert_file => "$d/origin.pem", SSL_key_file => "$d/origin.key")
	    or die "context: $SSL_ERROR";
	my $pid = fork() // die;
	if ($pid == 0) {
		$SIG{CHLD} = 'IGNORE';
		while (1) {
			my $c = $l->accept or next;
			my $k = fork();
			if (defined $k && $k == 0) {
				close $l;
				serve($c, $ctx, $log);
				# Not exit: END blocks would stop Portier.
				POSIX::_exit(0);
			}
			close $c;
		}
	}
	my $p = $l->sockport;
	close $l;
	return { pid => $pid, port => $p };
}

sub serve {
	my ($c, $ctx, $log) = @_;
	my $s = IO::Socket::SSL->start_SSL($c, SSL_server => 1,
	    SSL_reuse_ctx => $ctx, Timeout => 5) or return;
	my $buf = '';
	while ($buf !~ /\r\n\r\n/) {
		my $got = sysread($s, $buf, 16384, length $buf);
		return unless $got;
	}
	my ($line) = $buf =~ /^([^\r\n]*)/;
	if (open(my $fh, '>>', $log)) {
		print $fh "$line\n";
		close $fh;
	}
	print $s "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
	$s->close(SSL_fast_shutdown => 1);
}

sub stop_origin {
	my ($o) = @_;
	kill 'KILL', $o->{pid};
	waitpid($o->{pid}, 0);
}

my $olog = "$d/origin.log";
my $o = tls_origin($olog);
# Accepts (the kernel does) but never answers: the handshake stalls.
my $stall = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 64, ReuseAddr => 1) or die "stall: $!";
my $sport = $stall->sockport;
END { kill 'KILL', $o->{pid} if $o && $o->{pid}; }

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
stop_origin($o);
my $down = qr/upstream tls: server 127\.0\.0\.1:$o->{port} is down \(health: /;
ok(wait_for(sub { error_log_matches($p, $down) }, 8), 'stopped: marked down');
isnt(http_request($p, 'GET', '/tls/b')->{status}, 200, 'no server to proxy to');
$o = tls_origin($olog, $o->{port});
my $up = qr/upstream tls: server 127\.0\.0\.1:$o->{port} is up \(health: status 200\)/;
ok(wait_for(sub { error_log_matches($p, $up) }, 8), 'back: marked up over TLS')
    or diag(read_file($p->{error_log}));
ok(wait_for(sub { http_request($p, 'GET', '/tls/c')->{status} == 200 }, 5),
    'proxied again');

Portier::Test::stop($p);
is(read_file("$p->{dir}/stderr"), '', 'nothing on stderr');
done_testing();

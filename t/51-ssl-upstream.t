# t/51-ssl-upstream.t: mod_ssl's TLS to backends (ssl = { upstreams = ... }).
# An HTTPS origin (IO::Socket::SSL, a child per connection, one TLS context
# made before the forks so its ticket keys are shared) with a certificate
# from a test CA made here; Portier proxies http to https: success with the
# right CA and name, 502 with a wrong CA or name (the reason in the error
# log, never in the response), SNI as configured and by default the host,
# a client certificate when the origin requires one, kept connections
# (several requests, one TLS connection), session resumption on a new one.
use strict; use warnings; use Test::More;
use IO::Socket::SSL;
use Time::HiRes qw(sleep);
use Portier::Test qw(start_portier http_request portier_cmd read_file
    write_file wait_for error_log_matches);
use Portier::TLS qw(need_mod_ssl tls_origin read_head logline);

my $mods = need_mod_ssl();

my $pki = Portier::TLS->new('portier-sslup');
my $d = $pki->dir;
$pki->ca('ca');
$pki->ca('evil');
$pki->ca('cca');
$pki->cert('origin', 'origin.test', 'ca', san => 'DNS:origin.test,DNS:localhost');
$pki->cert('client', 'portier-client', 'cca', client => 1);

# The origin: each connection appends "conn sni=... reused=... cn=..." (or
# "fail ...") to $log; answers "sni=... cn=... n=..." with keep-alive, or
# closes after a path with "close" in it.
sub origin {
	my ($log, %ssl) = @_;
	return tls_origin(cert => "$d/origin.pem", key => "$d/origin.key",
	    ssl => \%ssl, serve => sub { serve($_[0], $log) },
	    fail => sub { logline($log, "fail $_[0]") });
}

sub serve {
	my ($s, $log) = @_;
	my $sni = $s->get_servername // '-';
	my $reused = $s->get_session_reused ? 1 : 0;
	my $peer = $s->peer_certificate;
	my $cn = $peer ? ($s->peer_certificate('subject') =~ m{CN=([^/,]+)})[0] : '-';
	logline($log, "conn sni=$sni reused=$reused cn=$cn");
	my $n = 0;
	my $buf = '';
	while (defined(my $head = read_head($s, \$buf))) {
		my ($path) = $head =~ m{^\S+ (\S+)};
		$n++;
		my $body = "sni=$sni cn=$cn n=$n path=$path\n";
		my $close = $path =~ /close/;
		print $s "HTTP/1.1 200 OK\r\nContent-Length: " . length($body) .
		    "\r\n" . ($close ? "Connection: close\r\n" : '') . "\r\n$body";
		last if $close;
	}
}

my $olog = "$d/origin.log";
my $mlog = "$d/mtls.log";
my $o = origin($olog);
my $m = origin($mlog, SSL_verify_mode =>
    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, SSL_ca_file => "$d/cca.pem");

my $conf = <<"EOF";
modules = { load = [ "mod_ssl" ]; };
workers = { start = 1; min_spare = 0; max_spare = 1; max = 1; };
ssl = { upstreams = (
  { pool = "good"; ca_file = "$d/ca.pem"; sni = "origin.test"; verify_name = "origin.test"; },
  { pool = "dflt"; ca_file = "$d/ca.pem"; },
  { pool = "wrongca"; ca_file = "$d/evil.pem"; sni = "wrongca.test"; verify_name = "origin.test"; },
  { pool = "wrongname"; ca_file = "$d/ca.pem"; sni = "wrongname.test"; verify_name = "other.test"; },
  { pool = "ipname"; ca_file = "$d/ca.pem"; },
  { pool = "noverify"; verify = false; sni = "noverify.test"; },
  { pool = "nosess"; ca_file = "$d/ca.pem"; sni = "nosess.test"; verify_name = "origin.test"; session_reuse = false; },
  { pool = "mtls"; ca_file = "$d/ca.pem"; sni = "mtls.test"; verify_name = "origin.test";
    cert = "$d/client.pem"; key = "$d/client.key"; },
  { pool = "nocert"; ca_file = "$d/ca.pem"; sni = "nocert.test"; verify_name = "origin.test"; }
); };
upstreams = (
  { name = "good"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); },
  { name = "dflt"; servers = ( { address = "localhost:$o->{port}"; } ); },
  { name = "wrongca"; tries = 1; servers = ( { address = "127.0.0.1:$o->{port}"; } ); },
  { name = "wrongname"; tries = 1; servers = ( { address = "127.0.0.1:$o->{port}"; } ); },
  { name = "ipname"; tries = 1; servers = ( { address = "127.0.0.1:$o->{port}"; } ); },
  { name = "noverify"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); },
  { name = "nosess"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); },
  { name = "mtls"; servers = ( { address = "127.0.0.1:$m->{port}"; } ); },
  { name = "nocert"; tries = 1; servers = ( { address = "127.0.0.1:$m->{port}"; } ); }
);
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  proxy = { strip_prefix = true; };
  routes = ( { path = "/good/"; upstream = "good"; }, { path = "/dflt/"; upstream = "dflt"; },
             { path = "/wrongca/"; upstream = "wrongca"; },
             { path = "/wrongname/"; upstream = "wrongname"; },
             { path = "/ipname/"; upstream = "ipname"; },
             { path = "/noverify/"; upstream = "noverify"; },
             { path = "/nosess/"; upstream = "nosess"; },
             { path = "/mtls/"; upstream = "mtls"; }, { path = "/nocert/"; upstream = "nocert"; } ); } );
EOF
my $p = start_portier(args => [ '-M', $mods ], conf => $conf);
ok($p->{port}, 'started') or BAIL_OUT(read_file($p->{error_log}) . read_file("$p->{dir}/stderr"));

sub lines {
	my ($log, $re) = @_;
	return grep { /$re/ } split /\n/, read_file($log);
}

# Success, and the connection kept: several requests, one TLS connection.
my @bodies;
for my $i (1 .. 4) {
	my $r = http_request($p, 'GET', "/good/x$i");
	is($r->{status}, 200, "good $i: 200");
	push @bodies, $r->{body};
}
like($bodies[0], qr{^sni=origin\.test cn=- n=1 path=/x1}, 'SNI as configured');
like($bodies[3], qr{n=4 path=/x4}, 'the fourth request on the same connection');
is(scalar(lines($olog, qr/sni=origin\.test/)), 1, 'one TLS connection for four requests');

# Session resumption: the origin closes; the next connection resumes.
is(http_request($p, 'GET', '/good/close')->{status}, 200, 'origin closes');
my $r = http_request($p, 'GET', '/good/after');
is($r->{status}, 200, 'a new connection');
like($r->{body}, qr{n=1 path=/after}, 'on a new connection');
my @c = lines($olog, qr/sni=origin\.test/);
is(scalar(@c), 2, 'two TLS connections');
like($c[1] // '', qr/reused=1/, 'the second resumed the session');
is(http_request($p, 'GET', '/nosess/close')->{status}, 200, 'nosess: first');
is(http_request($p, 'GET', '/nosess/b')->{status}, 200, 'nosess: second');
@c = lines($olog, qr/sni=nosess\.test/);
is(scalar(@c), 2, 'nosess: two connections');
unlike($c[1] // '', qr/reused=1/, 'session_reuse = false: not resumed');

# Defaults: SNI and the verified name are the server's host.
$r = http_request($p, 'GET', '/dflt/y');
is($r->{status}, 200, 'default name: 200');
like($r->{body}, qr{^sni=localhost }, 'default SNI: the host');

# Verification failures: 502, the reason logged, not shown.
for my $case ([ 'wrongca', qr/wrongca.*TLS certificate verification failed: unable to get local issuer/ ],
    [ 'wrongname', qr/wrongname.*TLS certificate verification failed: [Hh]ostname mismatch/ ],
    [ 'ipname', qr/ipname.*TLS certificate verification failed: IP address mismatch/ ]) {
	my ($name, $re) = @$case;
	$r = http_request($p, 'GET', "/$name/z");
	is($r->{status}, 502, "$name: 502");
	unlike($r->{body} // '', qr/certificate|verif|issuer/i, "$name: no reason to the client");
	ok(wait_for(sub { error_log_matches($p, $re) }, 5), "$name: reason in the error log")
	    or diag(read_file($p->{error_log}));
}
is(scalar(lines($olog, qr/sni=wrong/)), 0, 'no failed handshake completed at the origin');

# verify = false: any certificate.
is(http_request($p, 'GET', '/noverify/a')->{status}, 200, 'verify = false: 200');

# Client certificate: presented when configured; refused without (with
# TLS 1.3 the refusal comes as an alert at the first read).
$r = http_request($p, 'GET', '/mtls/a');
is($r->{status}, 200, 'mtls: 200');
like($r->{body}, qr{sni=mtls\.test cn=portier-client }, 'client certificate seen by the origin');
$r = http_request($p, 'GET', '/nocert/a');
is($r->{status}, 502, 'no client certificate: 502');
# The origin's refusal reaches Portier as an alert or, when the origin has
# already closed, as a bare close or reset: all three are logged.
ok(wait_for(sub { error_log_matches($p,
    qr/nocert: server \S+: (?:TLS|closed before answering|Connection reset)/) }, 10),
    'nocert: reason in the error log') or diag(read_file($p->{error_log}));

# mod_rewrite's proxy flag to an https URL outside the pools: TLS when an
# ssl.upstreams entry names the URL's authority, else a 502.
SKIP: {
	skip('mod_rewrite not built', 6) unless -e "$mods/mod_rewrite.so";
	my $w = start_portier(args => [ '-M', $mods ], conf => <<"EOF");
modules = { load = [ "mod_ssl", "mod_rewrite" ]; };
workers = { start = 1; min_spare = 0; max_spare = 1; max = 1; };
ssl = { upstreams = ( { authority = "localhost:$o->{port}"; ca_file = "$d/ca.pem"; } ); };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  rewrite = { rules = (
    { match = "^/tls/(.*)\$"; to = "https://localhost:$o->{port}/\$1"; flags = [ "proxy" ]; },
    { match = "^/notls/(.*)\$"; to = "https://127.0.0.1:$o->{port}/\$1"; flags = [ "proxy" ]; } ); }; } );
EOF
	my $before = scalar(lines($olog, qr/sni=localhost /));
	my $t = http_request($w, 'GET', '/tls/adhoc');
	is($t->{status}, 200, 'proxy flag to an https URL: 200');
	like($t->{body}, qr{^sni=localhost cn=- n=1 path=/adhoc$}m, 'TLS with the URL\'s host as SNI');
	like(http_request($w, 'GET', '/tls/again')->{body}, qr{^sni=localhost cn=- n=2 path=/again$}m,
	    'the TLS connection kept for the next request');
	is(scalar(lines($olog, qr/sni=localhost /)) - $before, 1, 'one TLS connection for both');
	is(http_request($w, 'GET', '/notls/x')->{status}, 502, 'no ssl.upstreams entry for it: 502');
	ok(wait_for(sub { error_log_matches($w, qr{proxy: https://127\.0\.0\.1:\d+: no TLS to it}) }, 10),
	    'and logged') or diag(read_file($w->{error_log}));
}

# A reload naming a pool that does not exist: refused, the old
# configuration keeps serving.
my $good = read_file($p->{conf});
(my $broken = $good) =~ s/ssl = \{ upstreams = \(/ssl = { upstreams = ( { pool = "gone"; verify = false; },/;
write_file($p->{conf}, $broken);
kill 'HUP', $p->{pid};
ok(wait_for(sub { error_log_matches($p, qr/keeping the running configuration/) }, 10),
    'reload with an unknown pool: refused') or diag(read_file($p->{error_log}));
ok(error_log_matches($p, qr{portier\.conf:\d+: ssl\.upstreams\[0\]\.pool: no upstream named "gone" \(defined: "good", "dflt", }),
    'the reason, with file, line and the pools defined') or diag(read_file($p->{error_log}));
is(http_request($p, 'GET', '/good/still')->{status}, 200, 'the old configuration still serves');
write_file($p->{conf}, $good);

# Configuration errors: file and line.
write_file("$d/bad.conf", <<"EOF");
modules = { load = [ "mod_ssl" ]; };
ssl = { upstreams = ( { pool = "a"; ca_file = "$d/nonexistent.pem"; },
  { pool = "b"; cert = "$d/client.pem"; },
  { pool = "c"; bogus = 1; } ); };
EOF
my (undef, $out) = portier_cmd('-M', $mods, '-t', '-f', "$d/bad.conf");
like($out, qr{bad\.conf:2:.*no CA certificate read}, 'bad ca_file: file and line');
like($out, qr{bad\.conf:3:.*needs both cert and key}, 'cert without key');
like($out, qr{bad\.conf:4:.*unknown key "bogus"}, 'unknown key');

# A pool that does not exist: at -t, with the pools defined as a hint.
write_file("$d/nopool.conf", <<"EOF");
modules = { load = [ "mod_ssl" ]; };
ssl = { upstreams = ( { pool = "app"; verify = false; },
  { pool = "apx"; verify = false; },
  { pool = "nope"; verify = false; } ); };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:1"; } ); },
  { name = "api"; servers = ( { address = "127.0.0.1:2"; } ); } );
servers = ( { listen = [ "127.0.0.1:0" ]; } );
EOF
my $rc;
($rc, $out) = portier_cmd('-M', $mods, '-t', '-f', "$d/nopool.conf");
isnt($rc, 0, 'unknown pool: -t fails');
like($out, qr{nopool\.conf:3: ssl\.upstreams\[1\]\.pool: no upstream named "apx" \(did you mean "app"\?\)},
    'a close name suggested');
like($out, qr{nopool\.conf:4: ssl\.upstreams\[2\]\.pool: no upstream named "nope" \(defined: "app", "api"\)},
    'else the pools defined');
unlike($out, qr{nopool\.conf:2:}, 'a pool that exists is fine');

# An authority entry is for ad-hoc origins: not a pool, not checked as one.
write_file("$d/auth.conf", <<"EOF");
modules = { load = [ "mod_ssl" ]; };
ssl = { upstreams = ( { authority = "origin.example:8443"; verify = false; },
  { pool = "app"; authority = "x:1"; },
  { verify = false; } ); };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:1"; } ); } );
servers = ( { listen = [ "127.0.0.1:0" ]; } );
EOF
($rc, $out) = portier_cmd('-M', $mods, '-t', '-f', "$d/auth.conf");
unlike($out, qr{auth\.conf:2:}, 'an authority entry names no pool');
like($out, qr{auth\.conf:3:.*pool or authority, not both}, 'not both');
like($out, qr{auth\.conf:4:.*needs pool = .* or authority = }, 'one of them');

done_testing();

# t/50-ssl.t: mod_ssl. Certificates are made here with the openssl tool (a
# CA, ECDSA and RSA server certificates, client certificates from another
# CA, a CRL, OCSP responses). Handshakes with TLS 1.2 and 1.3, ALPN, SNI
# choosing the server (and its protocols), ECDSA or RSA by what the client
# accepts, plain HTTP on the TLS port, bad input; resumption on other
# workers and across a graceful restart with the session cache and with
# tickets, ticket key rotation; client certificates required, optional and
# per route, forwarded to the upstream; HSTS; X-Forwarded-Proto https;
# OCSP stapling; configuration errors with file and line; certificate
# reload, and a bad one on reload keeping the old; SNI passthrough.
use strict; use warnings; use Test::More;
use IO::Socket::INET;
use IO::Socket::SSL;
use Time::HiRes qw(sleep time);
use Portier::Test qw(start_portier start_origin http_request raw_request
    portier_cmd read_file write_file wait_for error_log_matches);
use Portier::TLS qw(need_mod_ssl sh);

my $mods = need_mod_ssl();

my $pki = Portier::TLS->new('portier-ssl');
my $d = $pki->dir;

sub serial {
	my ($f) = @_;
	my ($s) = sh("openssl x509 -in $f -noout -serial") =~ /serial=(\w+)/;
	return uc $s;
}

$pki->ca('ca');
$pki->cert('a-ec', 'a.test', 'ca', chain => 1);
$pki->cert('a-rsa', 'a.test', 'ca', type => 'rsa', chain => 1);
$pki->cert('b', 'b.test', 'ca', chain => 1);
$pki->cert('a-ec2', 'a.test', 'ca', chain => 1);		# for the reload test
# Client certificates: a CA of their own, one good, one revoked, one from
# a CA the server does not trust.
$pki->ca('cca');
$pki->ca('evil');
$pki->cert('alice', 'alice', 'cca', client => 1);
$pki->cert('mallory', 'mallory', 'cca', client => 1);
$pki->cert('eve', 'eve', 'evil', client => 1);
write_file("$d/index.txt", '');
write_file("$d/crlnumber", "01\n");
write_file("$d/ca.cnf", <<"EOF");
[ ca ]
default_ca = def
[ def ]
database = $d/index.txt
crlnumber = $d/crlnumber
default_md = sha256
default_crl_days = 30
EOF
sh("openssl ca -config $d/ca.cnf -keyfile $d/cca.key -cert $d/cca.pem -revoke $d/mallory.crt");
sh("openssl ca -config $d/ca.cnf -keyfile $d/cca.key -cert $d/cca.pem -gencrl -out $d/crl.pem");

# OCSP responses for both server certificates, signed by the CA itself.
for my $c ('a-ec', 'a-rsa') {
	my $end = sh("openssl x509 -in $d/$c.crt -noout -enddate");
	write_file("$d/ocsp-$c.idx", "V\t351231235959Z\t\t" . serial("$d/$c.crt") .
	    "\tunknown\t/O=Portier/CN=a.test\n");
	sh("openssl ocsp -issuer $d/ca.pem -cert $d/$c.crt -no_nonce -reqout $d/$c.req");
	sh("openssl ocsp -index $d/ocsp-$c.idx -rsigner $d/ca.pem -rkey $d/ca.key " .
	    "-CA $d/ca.pem -reqin $d/$c.req -respout $d/$c.ocsp -ndays 2");
}
write_file("$d/garbage.ocsp", "not der\n");
write_file("$d/not-a-cert.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

my %seen;
my $o = start_origin(sub {
	my ($q) = @_;
	%seen = ();
	my $h = join('', map { "$_=$q->{headers}{$_}\n" } sort keys %{ $q->{headers} });
	return (302, [ Location => "http://127.0.0.1:$q->{headers}{'x-origin-port'}/there" ], '')
	    if $q->{path} =~ /redirect/;
	return (200, [ 'Content-Type' => 'text/plain' ], "path=$q->{path}\n$h");
});

my $vars = 'scheme=%{scheme} proto=%{ssl_protocol} cipher=%{ssl_cipher} ' .
    'sni=%{ssl_server_name} reused=%{ssl_session_reused} alpn=%{ssl_alpn} ' .
    'verify=%{ssl_client_verify} dn=%{ssl_client_s_dn} fp=%{ssl_client_fingerprint} srv=';
my $conf = <<"EOF";
log_level = "debug";
modules = { load = [ "mod_ssl" ]; };
workers = { start = 4; min_spare = 1; max_spare = 8; max = 8; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); } );
ssl = { ticket_rotate = "1h"; };
servers = (
  { listen = [ "127.0.0.2:%%PORT%%" ]; names = [ "a.test", "*.wild.test" ];
    ssl = { certificates = ( { cert = "$d/a-ec.pem"; key = "$d/a-ec.key"; ocsp = "$d/a-ec.ocsp"; },
                             { cert = "$d/a-rsa.pem"; key = "$d/a-rsa.key"; ocsp = "$d/a-rsa.ocsp"; } );
            verify_client = "optional"; ca_file = "$d/cca.pem"; crl_file = "$d/crl.pem";
            hsts = "max-age=31536000; includeSubDomains"; };
    routes = (
      { path = "/mtls/"; ssl = { require_client_cert = true; };
        return = { status = 200; body = "mtls ${vars}a\\n"; }; },
      { path = "/proxy/"; upstream = "app"; ssl = { client_headers = true; }; },
      { path = "/"; return = { status = 200; body = "${vars}a\\n"; }; } ); },
  { listen = [ "127.0.0.2:%%PORT%%" ]; names = [ "b.test" ];
    ssl = { certificates = ( { cert = "$d/b.pem"; key = "$d/b.key"; } );
            protocols = [ "TLSv1.3" ]; session_tickets = false; };
    routes = ( { path = "/"; return = { status = 200; body = "${vars}b\\n"; }; } ); },
  { listen = [ "127.0.0.3:%%PORT%%" ];
    ssl = { certificates = ( { cert = "$d/b.pem"; key = "$d/b.key"; } );
            verify_client = "required"; ca_file = "$d/cca.pem"; handshake_timeout = "1s";
            session_cache = false; session_tickets = false; };
    routes = ( { path = "/"; return = { status = 200; body = "${vars}c\\n"; }; } ); },
  { listen = [ "127.0.0.4:%%PORT%%" ]; ssl = { hsts = "max-age=1"; };
    routes = ( { path = "/"; return = { status = 200; body = "plain %{scheme}\\n"; }; } ); }
);
EOF
my $p = start_portier(args => [ '-M', $mods ], conf => $conf);
my $pa = $p->{listeners}{'127.0.0.2:0'};
my $pc = $p->{listeners}{'127.0.0.3:0'};
my $pd = $p->{listeners}{'127.0.0.4:0'};
ok($pa && $pc && $pd, 'listeners up') or BAIL_OUT(read_file($p->{error_log}));
my ($ha, $porta) = split /:/, $pa;
my ($hc, $portc) = split /:/, $pc;

# One request over TLS. Returns a hash: status, headers, body, version,
# cipher, alpn, subject (of the server certificate), reused; or error.
sub tls_get {
	my (%o) = @_;
	my ($host, $port) = split /:/, ($o{addr} // $pa);
	my %ssl = (PeerHost => $host, PeerPort => $port, Timeout => 5,
	    SSL_hostname => $o{sni} // 'a.test',
	    SSL_verify_mode => defined $o{ca} ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    SSL_ca_file => $o{ca}, SSL_verifycn_name => $o{sni} // 'a.test',
	    SSL_verifycn_scheme => 'http', %{ $o{ssl} // {} });
	my $s = IO::Socket::SSL->new(%ssl) or return { error => $SSL_ERROR || $! };
	my $r = { version => $s->get_sslversion, cipher => $s->get_cipher,
	    alpn => $s->alpn_selected, subject => $s->peer_certificate('subject'),
	    serial => uc(Net::SSLeay::P_ASN1_INTEGER_get_hex(
	        Net::SSLeay::X509_get_serialNumber($s->peer_certificate))) };
	my $path = $o{path} // '/';
	my $hdr = join('', map { "$_\r\n" } @{ $o{headers} // [] });
	print $s "GET $path HTTP/1.1\r\nHost: " . ($o{hosthdr} // $o{sni} // 'a.test') .
	    "\r\n${hdr}Connection: close\r\n\r\n";
	my $raw = '';
	while (1) {
		my $n = sysread($s, my $buf, 65536);
		last unless $n;
		$raw .= $buf;
	}
	close $s;
	my ($head, $body) = split /\r\n\r\n/, $raw, 2;
	($r->{status}) = ($head // '') =~ m{^HTTP/1\.1 (\d+)};
	$r->{status} //= 0;
	$r->{body} = $body // '';
	for (split /\r\n/, $head // '') {
		$r->{headers}{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
	}
	return $r;
}

# 1. Handshakes: TLS 1.3 and 1.2, verified against the CA, ALPN, vars.
my $r = tls_get(ca => "$d/ca.pem");
is($r->{status}, 200, 'TLS: 200') or diag(explain $r);
is($r->{version}, 'TLSv1_3', 'TLS 1.3 by default');
like($r->{body}, qr/scheme=https proto=TLSv1\.3 cipher=TLS_\w+ sni=a\.test reused=\. /,
    '%{scheme}, %{ssl_protocol}, %{ssl_cipher}, %{ssl_server_name}');
like($r->{body}, qr/verify=NONE dn= /, 'no client certificate: verify NONE');
like($r->{body}, qr/a$/, 'server a');
is($r->{headers}{'strict-transport-security'}, 'max-age=31536000; includeSubDomains', 'HSTS');
$r = tls_get(ca => "$d/ca.pem", ssl => { SSL_version => 'TLSv1_2' });
is($r->{version}, 'TLSv1_2', 'TLS 1.2');
like($r->{body}, qr/proto=TLSv1\.2 cipher=ECDHE-ECDSA-/, 'TLS 1.2 with ECDHE-ECDSA');
$r = tls_get(ssl => { SSL_version => 'TLSv1_1', SSL_cipher_list => 'ALL:@SECLEVEL=0' });
ok($r->{error}, 'TLS 1.1 refused by default');
$r = tls_get(ca => "$d/ca.pem", ssl => { SSL_alpn_protocols => [ 'h2', 'http/1.1' ] });
is($r->{alpn}, 'http/1.1', 'ALPN: http/1.1 chosen over h2');
like($r->{body}, qr{alpn=http/1\.1}, '%{ssl_alpn}');
$r = tls_get(ssl => { SSL_alpn_protocols => [ 'h2' ] });
ok($r->{error}, 'ALPN: h2 alone is refused (no_application_protocol)');
my $curl = `curl -sS --cacert $d/ca.pem --resolve a.test:$porta:$ha https://a.test:$porta/curl 2>&1`;
like($curl, qr/scheme=https proto=TLSv1\.3/, 'curl over TLS');

# 2. SNI: the server by name, its certificate and its protocols.
$r = tls_get(ca => "$d/ca.pem", sni => 'b.test');
like($r->{subject}, qr/CN=b\.test/, 'SNI b.test: b certificate');
like($r->{body}, qr/sni=b\.test .*b$/, 'SNI b.test: server b');
$r = tls_get(sni => 'b.test', ssl => { SSL_version => 'TLSv1_2' });
ok($r->{error}, 'server b allows only TLS 1.3: its protocols apply after SNI');
$r = tls_get(sni => 'x.wild.test', ca => "$d/ca.pem", ssl => { SSL_verifycn_name => 'a.test' });
like($r->{subject}, qr/CN=a\.test/, 'wildcard name: server a');
$r = tls_get(sni => 'unknown.test', hosthdr => 'a.test');
like($r->{subject}, qr/CN=a\.test/, 'unknown name: first server of the listener');
$r = tls_get(sni => '', hosthdr => 'a.test', ssl => { SSL_hostname => '' });
like($r->{subject}, qr/CN=a\.test/, 'no SNI: first server');

# 3. Dual certificates: an ECDSA-only client gets ECDSA, an RSA-only one RSA.
my $sc = "openssl s_client -connect $pa -servername a.test -CAfile $d/ca.pem";
my $out = `echo | $sc -sigalgs ECDSA+SHA256 2>&1`;
like($out, qr/Peer signature type: ECDSA/, 'ECDSA-only client: ECDSA certificate');
$out = `echo | $sc -sigalgs rsa_pss_rsae_sha256:RSA+SHA256 2>&1`;
like($out, qr/Peer signature type: RSA-PSS/, 'RSA-only client: RSA certificate');
$out = `echo | $sc -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 2>&1`;
like($out, qr/Cipher is ECDHE-RSA-AES128-GCM-SHA256/, 'TLS 1.2 RSA suite: RSA certificate');
like($out, qr/Verify return code: 0/, 'full chain verifies');

# 4. OCSP stapling: the response of the certificate chosen.
$out = `echo | $sc -status -sigalgs ECDSA+SHA256 2>&1`;
like($out, qr/OCSP Response Status: successful/, 'OCSP staple sent');
like($out, qr/Cert Status: good/, 'OCSP: good');
my $sn = serial("$d/a-ec.crt");
like($out, qr/Serial Number: 0*\Q$sn\E/i, 'OCSP staple for the ECDSA certificate');
$out = `echo | $sc -status -sigalgs rsa_pss_rsae_sha256:RSA+SHA256 2>&1`;
$sn = serial("$d/a-rsa.crt");
like($out, qr/Serial Number: 0*\Q$sn\E/i, 'OCSP staple for the RSA certificate');
$out = `echo | openssl s_client -connect $pa -servername b.test -status 2>&1`;
like($out, qr/OCSP response: no response sent/, 'no staple configured: none sent');

# 5. Plain HTTP on the TLS port: 400 in plain text; garbage: closed.
my $raw = raw_request($p, "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", addr => $ha, port => $porta);
like($raw, qr{^HTTP/1\.1 400 }, 'plain HTTP on the TLS port: 400');
like($raw, qr/plain HTTP request was sent to HTTPS port/, 'with nginx\'s text');
ok(error_log_matches($p, qr/plain HTTP on the TLS port/), 'logged');
$raw = raw_request($p, "\x01\x02garbage" x 10, addr => $ha, port => $porta);
is($raw, '', 'garbage: closed without an answer');
$raw = raw_request($p, "\x16\x03\x01\x00\x40" . ("\x01" x 20), addr => $ha, port => $porta, timeout => 12);
is($raw, '', 'truncated ClientHello: closed');
$raw = raw_request($p, "\x16\x03\x01\x40\x00" . ("\x01\x00\x3f\xfc" . "\x03\x03" . ("A" x 16378)) .
    "\x16\x03\x01\x40\x00" . ("B" x 16384), addr => $ha, port => $porta);
unlike($raw, qr/HTTP/, 'very large malformed ClientHello: refused');
my $t0 = time;
$raw = raw_request($p, "\x16\x03\x01", addr => $hc, port => $portc, timeout => 8);
my $took = time - $t0;
cmp_ok($took, '<', 5, sprintf('a client stalling mid-handshake is dropped (%.1fs, timeout 1s)', $took));
ok(wait_for(sub { error_log_matches($p, qr/TLS handshake timed out/) }, 3), 'handshake timeout logged');
$out = `(printf 'GET / HTTP/1.1\\r\\nHost: a.test\\r\\n\\r\\n'; sleep 0.5; echo R; sleep 1) | openssl s_client -tls1_2 -connect $pa -servername a.test 2>&1`;
like($out, qr/RENEGOTIATING/, 'renegotiation attempted');
like($out, qr/no renegotiation/, 'renegotiation refused');
$r = tls_get(ca => "$d/ca.pem");
is($r->{status}, 200, 'still serving after bad input');

# 6. Resumption on any worker: session cache (TLS 1.2 without tickets),
# tickets (1.2 and 1.3), stateful TLS 1.3 tickets (server b: cache only).
sub resume {
	my ($flags, $sni, $n) = @_;
	my $file = "$d/sess-" . time() . "-" . int(rand(1e9));
	my $base = "openssl s_client -connect $pa -servername $sni -CAfile $d/ca.pem $flags";
	my $req = "printf 'GET / HTTP/1.1\\r\\nHost: $sni\\r\\nConnection: close\\r\\n\\r\\n'";
	my $first = `$req | $base -ign_eof -sess_out $file 2>&1`;
	my @r = ($first =~ /^(New|Reused),/m);
	for (1 .. $n) {
		my $o2 = `$req | $base -ign_eof -sess_in $file 2>&1`;
		push @r, $o2 =~ /^(New|Reused),/m ? $1 : 'error';
	}
	return (\@r, $file);
}
sub resumed_pids {
	my %pids;
	for (split /\n/, read_file($p->{error_log})) {
		$pids{$1} = 1 if /pid=(\d+).*, resumed$/;
	}
	return scalar keys %pids;
}
my ($res, $sess12) = resume('-tls1_2 -no_ticket', 'a.test', 8);
is("@$res", 'New' . ' Reused' x 8, 'TLS 1.2 session cache: resumed every time');
my ($res13, $sess13) = resume('-tls1_3', 'a.test', 8);
is("@$res13", 'New' . ' Reused' x 8, 'TLS 1.3 tickets: resumed every time');
my ($res12t, $sess12t) = resume('-tls1_2', 'a.test', 4);
is("@$res12t", 'New' . ' Reused' x 4, 'TLS 1.2 tickets: resumed');
($res) = resume('-tls1_3', 'b.test', 4);
is("@$res", 'New' . ' Reused' x 4, 'TLS 1.3 without tickets: stateful tickets from the store');
# Four resumptions at once, each holding its worker for a while: they
# must be served by different workers, and every one resumes.
sub resume_together {
	my ($flags, $file, $n) = @_;
	my $base = "openssl s_client -connect $pa -servername a.test -CAfile $d/ca.pem $flags";
	my $req = "(sleep 1; printf 'GET / HTTP/1.1\\r\\nHost: a.test\\r\\nConnection: close\\r\\n\\r\\n')";
	my @fh;
	for (1 .. $n) {
		open(my $fh, '-|', "$req | $base -ign_eof -sess_in $file 2>&1") or die;
		push @fh, $fh;
	}
	my @r;
	for my $fh (@fh) {
		my $t = do { local $/; <$fh> } // '';
		push @r, $t =~ /^(New|Reused),/m ? $1 : 'error';
	}
	return "@r";
}
my $before = resumed_pids();
is(resume_together('-tls1_2 -no_ticket', $sess12, 4), 'Reused Reused Reused Reused',
    'session cache: four at once, all resumed');
is(resume_together('-tls1_3', $sess13, 4), 'Reused Reused Reused Reused',
    'tickets: four at once, all resumed');
cmp_ok(resumed_pids(), '>=', 4, 'resumed on several workers (' . resumed_pids() . ')');
my $sessc = "$d/sess-c";
`echo | openssl s_client -connect $pc -cert $d/alice.crt -key $d/alice.key -sess_out $sessc 2>&1`;
$out = -e $sessc ? `echo | openssl s_client -connect $pc -cert $d/alice.crt -key $d/alice.key -sess_in $sessc 2>&1` : "New, none\n";
like($out, qr/^New,/m, 'cache and tickets off: no resumption');

# 7. Client certificates.
my %alice = (SSL_cert_file => "$d/alice.crt", SSL_key_file => "$d/alice.key");
$r = tls_get(path => '/mtls/x');
is($r->{status}, 403, 'route requires a certificate: 403 without');
$r = tls_get(path => '/mtls/x', ssl => \%alice);
is($r->{status}, 200, 'with a good certificate: 200');
like($r->{body}, qr{verify=SUCCESS dn=CN=alice,O=Portier fp=[0-9a-f]{64} },
    '%{ssl_client_verify}, %{ssl_client_s_dn}, %{ssl_client_fingerprint}');
$r = tls_get(path => '/mtls/x', ssl => { SSL_cert_file => "$d/mallory.crt", SSL_key_file => "$d/mallory.key" });
is($r->{status}, 403, 'revoked certificate (CRL): 403');
like($r->{body}, qr/Forbidden|403|^$/, 'no detail');
$r = tls_get(path => '/', ssl => { SSL_cert_file => "$d/mallory.crt", SSL_key_file => "$d/mallory.key" });
like($r->{body}, qr/verify=FAILED:certificate revoked/, 'optional: revoked still served, verify says why');
$r = tls_get(path => '/mtls/x', ssl => { SSL_cert_file => "$d/eve.crt", SSL_key_file => "$d/eve.key" });
is($r->{status}, 403, 'certificate from an unknown CA: 403');
$r = tls_get(addr => $pc, sni => 'b.test');
ok($r->{error} || $r->{status} == 0, 'verify_client required: no certificate, no handshake');
$r = tls_get(addr => $pc, sni => 'b.test', ssl => { SSL_cert_file => "$d/eve.crt", SSL_key_file => "$d/eve.key" });
ok($r->{error} || $r->{status} == 0, 'required: unknown CA refused');
$r = tls_get(addr => $pc, sni => 'b.test', ssl => \%alice);
is($r->{status}, 200, 'required: good certificate served');
like($r->{body}, qr/verify=SUCCESS dn=CN=alice/, 'required: subject');

# 8. The upstream: X-Forwarded-Proto https, client certificate fields,
# forged fields dropped, redirects mapped to https.
$r = tls_get(path => '/proxy/echo', ssl => \%alice,
    headers => [ 'X-SSL-Client-S-DN: CN=admin', 'X-SSL-Client-Verify: SUCCESS' ]);
is($r->{status}, 200, 'proxied over TLS');
like($r->{body}, qr/^x-forwarded-proto=https$/m, 'X-Forwarded-Proto: https');
like($r->{body}, qr/^x-ssl-client-s-dn=CN=alice,O=Portier$/m, 'X-SSL-Client-S-DN');
like($r->{body}, qr/^x-ssl-client-verify=SUCCESS$/m, 'X-SSL-Client-Verify');
like($r->{body}, qr/^x-ssl-client-fingerprint=[0-9a-f]{64}$/m, 'X-SSL-Client-Fingerprint');
unlike($r->{body}, qr/CN=admin/, 'a forged field is dropped');
$r = tls_get(path => '/proxy/echo', headers => [ 'X-SSL-Client-S-DN: CN=admin' ]);
unlike($r->{body}, qr/x-ssl-client-s-dn/, 'no certificate: no subject field, forged one dropped');
like($r->{body}, qr/^x-ssl-client-verify=NONE$/m, 'verify NONE forwarded');
$r = tls_get(path => '/proxy/redirect', headers => [ "X-Origin-Port: $o->{port}" ]);
like($r->{headers}{location} // '', qr{^https://a\.test/}, 'redirect mapped to https');

# 9. HSTS only over TLS; a plain listener says http.
my $pl = http_request($p, GET => '/', -addr => '127.0.0.4', -port => (split /:/, $pd)[1]);
is($pl->{body}, "plain http\n", 'plain listener: %{scheme} http');
ok(!exists $pl->{headers}{'strict-transport-security'}, 'no HSTS over plain HTTP');

# 10. Configuration errors: file and line, every one, with -t.
sub conf_err {
	my ($ssl) = @_;
	write_file("$d/bad.conf", "modules = { load = [ \"mod_ssl\" ]; };\n" .
	    "servers = ( { listen = [ \"127.0.0.1:0\" ];\n  ssl = { $ssl };\n" .
	    "  routes = ( { path = \"/\"; return = { status = 204; }; } ); } );\n");
	return portier_cmd('-t', '-M', $mods, '-f', "$d/bad.conf");
}
my ($rc, $msg) = conf_err(qq{certificates = ( { cert = "$d/a-ec.pem"; key = "$d/b.key"; } );});
isnt($rc, 0, 'key of another certificate: -t fails');
like($msg, qr{bad\.conf:3: servers\[0\]\.ssl\.certificates\[0\]\.key: the key in \S+b\.key does not match},
    'key mismatch named with file and line') or diag($msg);
($rc, $msg) = conf_err(qq{certificates = ( { cert = "$d/a-ec.pem"; key = "$d/nonexistent.key"; } );});
like($msg, qr{bad\.conf:3: .*\.key: cannot read \S+nonexistent\.key}, 'missing key file') or diag($msg);
($rc, $msg) = conf_err(qq{certificates = ( { cert = "$d/not-a-cert.pem"; key = "$d/b.key"; } );});
like($msg, qr{bad\.conf:3: .*\.cert: no PEM certificate}, 'broken certificate') or diag($msg);
($rc, $msg) = conf_err(qq{certificates = ( { cert = "$d/a-ec.pem"; key = "$d/a-ec.key"; ocsp = "$d/garbage.ocsp"; } );});
like($msg, qr{\.ocsp: \S+garbage\.ocsp: not a DER OCSP response}, 'garbage OCSP file') or diag($msg);
($rc, $msg) = conf_err(qq{certificates = ( { cert = "$d/b.pem"; key = "$d/b.key"; ocsp = "$d/a-ec.ocsp"; } );});
like($msg, qr{does not answer for the certificate}, 'OCSP response of another certificate') or diag($msg);
($rc, $msg) = conf_err(qq{certificates = ( { cert = "$d/a-ec.pem"; key = "$d/a-ec.key"; },
    { cert = "$d/b.pem"; key = "$d/b.key"; } );});
like($msg, qr{certificates\[1\]\.cert: a second certificate with a id-ecPublicKey key|a second certificate},
    'two ECDSA certificates') or diag($msg);
($rc, $msg) = conf_err(qq{certificates = ( { cert = "$d/b.pem"; key = "$d/b.key"; } );
    protocols = [ "TLSv1.1", "TLSv1.3" ]; ciphers = "NOPE"; verify_client = "required";});
like($msg, qr{protocols: the protocols must be consecutive}, 'protocols with a gap') or diag($msg);
like($msg, qr{ciphers: no usable cipher}, 'bad cipher list');
like($msg, qr{certificates: verify_client needs ca_file}, 'verify_client without ca_file');
($rc, $msg) = conf_err(qq{certificates = ( { cert = "$d/b.pem"; key = "$d/b.key"; } ); hsts = "1 year";
    require_client_cert = true; bogus = 1;});
like($msg, qr{hsts: expected "max-age=SECONDS"}, 'bad HSTS value');
like($msg, qr{require_client_cert: needs verify_client}, 'route requirement without verification');
($rc, $msg) = conf_err(qq{certificates = ( { cert = "$d/b.pem"; key = "$d/b.key"; } );});
is($rc, 0, 'a good one passes -t') or diag($msg);

# 11. Reload: sessions and tickets survive a graceful restart (store and
# shared memory); a new certificate is served after one; a bad key on
# reload is refused and the old certificates keep serving.
kill 'USR1', $p->{pid};
ok(wait_for(sub { error_log_matches($p, qr/generation 2/) }, 15), 'graceful restart');
sleep 0.5;
my $rq13 = "printf 'GET / HTTP/1.1\\r\\nHost: a.test\\r\\nConnection: close\\r\\n\\r\\n'";
$out = `$rq13 | openssl s_client -connect $pa -servername a.test -tls1_3 -ign_eof -sess_in $sess13 2>&1`;
like($out, qr/^Reused,/m, 'a TLS 1.3 ticket from before the restart resumes');
$out = `$rq13 | openssl s_client -connect $pa -servername a.test -tls1_2 -no_ticket -ign_eof -sess_in $sess12 2>&1`;
like($out, qr/^Reused,/m, 'a cached TLS 1.2 session from before the restart resumes');
my $good = read_file($p->{conf});
(my $swapped = $good) =~ s{\Q$d\E/a-ec\.pem}{$d/a-ec2.pem}; $swapped =~ s{\Q$d\E/a-ec\.key}{$d/a-ec2.key};
$swapped =~ s{ ocsp = "\Q$d\E/a-ec\.ocsp";}{};
write_file($p->{conf}, $swapped);
kill 'USR1', $p->{pid};
my $sn2 = serial("$d/a-ec2.crt");
ok(wait_for(sub { (tls_get(ssl => { SSL_version => 'TLSv1_2', SSL_cipher_list => 'ECDHE-ECDSA-AES128-GCM-SHA256' })->{serial} // '') =~ /^0*\Q$sn2\E$/ }, 8),
    'graceful restart: the new certificate is served');
(my $broken = $swapped) =~ s{\Q$d\E/a-ec2\.key}{$d/b.key};
write_file($p->{conf}, $broken);
kill 'USR1', $p->{pid};
ok(wait_for(sub { error_log_matches($p, qr/key in \S+b\.key does not match/) }, 15), 'bad key on reload: logged');
ok(wait_for(sub { error_log_matches($p, qr/keeping the running configuration/) }, 15), 'old configuration kept');
$r = tls_get(ca => "$d/ca.pem", ssl => { SSL_version => 'TLSv1_2', SSL_cipher_list => 'ECDHE-ECDSA-AES128-GCM-SHA256' });
is($r->{status}, 200, 'still serving TLS');
like($r->{serial}, qr/^0*\Q$sn2\E$/, 'with the certificates that were running');
write_file($p->{conf}, $good);

# 12. Ticket key rotation by the helper: a ticket outlives two rotations,
# not three.
my $q = start_portier(args => [ '-M', $mods ], conf => <<"EOF");
modules = { load = [ "mod_ssl" ]; };
ssl = { ticket_rotate = "1s"; session_cache = false; };
servers = ( { listen = [ "127.0.0.5:%%PORT%%" ];
  ssl = { certificates = ( { cert = "$d/b.pem"; key = "$d/b.key"; } ); };
  routes = ( { path = "/"; return = { status = 200; body = "ok\\n"; }; } ); } );
EOF
my $pq = $q->{listeners}{'127.0.0.5:0'};
my $rq = "printf 'GET / HTTP/1.1\\r\\nHost: b\\r\\nConnection: close\\r\\n\\r\\n'";
`$rq | openssl s_client -connect $pq -tls1_3 -ign_eof -sess_out $d/rot 2>&1`;
$out = `$rq | openssl s_client -connect $pq -tls1_3 -ign_eof -sess_in $d/rot 2>&1`;
like($out, qr/^Reused,/m, 'fresh ticket resumes');
ok(wait_for(sub { my @n = read_file($q->{error_log}) =~ /ticket keys rotated/g; @n >= 4 }, 8),
    'the helper rotates the keys');
$out = `$rq | openssl s_client -connect $pq -tls1_3 -ign_eof -sess_in $d/rot 2>&1`;
like($out, qr/^New,/m, 'a ticket older than three keys no longer resumes');

# 13. SNI passthrough: a.test relayed untouched to the first portier (its
# certificate, its answer), b.test terminated here, others refused.
my $s2 = start_portier(args => [ '-M', $mods ], conf => <<"EOF");
modules = { load = [ "mod_ssl" ]; };
servers = ( { listen = [ "127.0.0.6:%%PORT%%" ]; names = [ "b.test" ];
  ssl = { passthrough = ( { names = [ "a.test", "*.wild.test" ]; address = "$pa"; } );
          certificates = ( { cert = "$d/b.pem"; key = "$d/b.key"; } ); };
  routes = ( { path = "/"; return = { status = 200; body = "local %{ssl_server_name}\\n"; }; } ); },
  { listen = [ "127.0.0.7:%%PORT%%" ];
    ssl = { passthrough = ( { names = [ "a.test" ]; address = "$pa"; } ); }; } );
EOF
my $p6 = $s2->{listeners}{'127.0.0.6:0'};
my $p7 = $s2->{listeners}{'127.0.0.7:0'};
$r = tls_get(addr => $p6, ca => "$d/ca.pem");
is($r->{status}, 200, 'passthrough: answered');
like($r->{body}, qr/sni=a\.test .*a$/, 'by the backend, which terminated TLS');
$r = tls_get(addr => $p6, sni => 'x.wild.test', ssl => { SSL_verifycn_name => 'a.test' }, hosthdr => 'a.test');
like($r->{subject}, qr/CN=a\.test/, 'passthrough by wildcard');
$r = tls_get(addr => $p6, sni => 'b.test', ca => "$d/ca.pem");
is($r->{body}, "local b.test\n", 'a name without a rule: terminated here');
$r = tls_get(addr => $p7, sni => 'other.test');
ok($r->{error} || !$r->{status}, 'passthrough only: unknown name refused');
ok(error_log_matches($s2, qr/passthrough: no rule for "other\.test"/), 'refusal logged');

done_testing();

# t/34-proxy-protocol.t: PROXY protocol v1 and v2 accepted from trusted load
# balancers (the named client is the one logged and forwarded), refused when
# malformed, ignored for others; and sent to upstreams that ask for it.
use strict; use warnings; use Test::More;
use IO::Socket::INET;
use Portier::Test qw(start_portier raw_request read_file wait_for);

my $src = $ENV{PORTIER_SRCDIR} // '.';

# An origin that expects a PROXY line before each connection's request.
my $ol = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 16,
    ReuseAddr => 1) or die;
my $oport = $ol->sockport;
my $opid = fork() // die;
if ($opid == 0) {
	while (my $c = $ol->accept) {
		my $pp = <$c>;
		my $head = '';
		while (my $l = <$c>) { last if $l eq "\r\n"; $head .= $l; }
		$pp =~ s/\r\n$//;
		my $xff = $head =~ /^X-Forwarded-For: (.*)\r$/mi ? $1 : '';
		my $body = "pp=$pp\nxff=$xff\n";
		print $c "HTTP/1.1 200 OK\r\nContent-Length: " . length($body) . "\r\n\r\n$body";
		close $c;
	}
	POSIX::_exit(0);
}
close $ol;
END { kill 'KILL', $opid if $opid; }

my $p = start_portier(conf => <<"EOF2");
access_log = "%%TESTDIR%%/access.log";
access_log_format = "%{client_addr} %{path}";
upstreams = ( { name = "pp"; send_proxy_protocol = "v1";
  servers = ( { address = "127.0.0.1:$oport"; } ); } );
servers = ( { listen = [ "0.0.0.0:%%PORT%%" ]; proxy_protocol_from = [ "127.0.0.1/32" ];
  routes = ( { path = "/up/"; upstream = "pp"; }, { path = "/"; root = "$src/conf/www"; } ); } );
EOF2
my $GET = "GET /style.css HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

my $raw = raw_request($p, "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n$GET");
like($raw, qr{^HTTP/1\.1 200}, 'v1 header accepted');
my $v2 = "\r\n\r\n\0\r\nQUIT\n" . "\x21\x11\x00\x0c" . pack('C4', 198, 51, 100, 9) .
    pack('C4', 127, 0, 0, 1) . pack('n', 4444) . pack('n', 80);
$raw = raw_request($p, $v2 . $GET);
like($raw, qr{^HTTP/1\.1 200}, 'v2 header accepted');
ok(wait_for(sub { read_file("$p->{dir}/access.log") =~ /^203\.0\.113\.7 \/style\.css$/m }, 3),
    'v1 client address logged');
ok(wait_for(sub { read_file("$p->{dir}/access.log") =~ /^198\.51\.100\.9 /m }, 3),
    'v2 client address logged');

$raw = raw_request($p, $GET);
is($raw, '', 'trusted peer without a header: closed');
$raw = raw_request($p, "PROXY TCP4 1.2.3.4 5.6.7.8 99999 80\r\n$GET");
is($raw, '', 'malformed header: closed');
like(read_file($p->{error_log}), qr/no valid PROXY protocol header/, 'logged');
$raw = raw_request($p, $GET, local => '127.0.0.2');
like($raw, qr{^HTTP/1\.1 200}, 'other peers are ordinary clients');

# To the upstream: the client the load balancer named, in a v1 line.
$raw = raw_request($p, "PROXY TCP4 203.0.113.8 127.0.0.1 6000 80\r\nGET /up/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
like($raw, qr/^pp=PROXY TCP4 203\.0\.113\.8 \S+ 6000 \d+$/m, 'PROXY v1 sent upstream') or diag($raw);
like($raw, qr/^xff=203\.0\.113\.8$/m, 'X-Forwarded-For names the real client');
done_testing();

# t/36-proxy-more.t: more of the reverse proxy: sticky sessions by an
# inserted cookie (binding, staying, moving by the cookie, falling back
# from a server that is down and being re-bound), Set-Cookie Domain mapped
# from the upstream's host to the client's, and large bodies both ways
# streaming through a worker whose memory stays bounded (a 200 MiB upload
# with Content-Length and chunked; a 200 MiB download with response
# buffering off and on, the latter spilling to a temporary file).
use strict; use warnings; use Test::More;
use IO::Socket::INET;
use IO::Select;
use POSIX ();
use Time::HiRes qw(sleep time);
use Portier::Test qw(start_portier start_origin http_request read_file);

sub origin {
	my ($name) = @_;
	return start_origin(sub {
		my ($q) = @_;
		if ($q->{path} =~ m{/cookie$}) {
			return (200, [ 'X-Served-By' => $name,
			    'Set-Cookie' => 'a=1; Domain=127.0.0.1; Path=/x/p',
			    'Set-Cookie' => 'b=2; path=/; domain=.127.0.0.1; Secure',
			    'Set-Cookie' => 'c=3; Domain=other.example; Path=/',
			    'Set-Cookie' => 'd=4; HttpOnly' ], "cookies\n");
		}
		# Every connection closed: once stopped, nothing is left to reuse.
		return (200, [ 'X-Served-By' => $name, 'Connection' => 'close' ], "$name $q->{path}\n");
	});
}
my ($sa, $sb, $ca) = map { origin($_) } qw(a b c);

# The bulk origin: counts what it is sent without keeping it, and sends
# /dl/N as N bytes.
my $MiB = 1024 * 1024;
my $bl = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 64,
    ReuseAddr => 1) or die;
my $bport = $bl->sockport;
my $bpid = fork() // die;
if ($bpid == 0) {
	$SIG{CHLD} = 'IGNORE';
	while (1) {
		my $c = $bl->accept or next;
		if (fork()) { close $c; next; }
		bulk_conn($c);
		POSIX::_exit(0);
	}
}
close $bl;
END { kill 'KILL', $bpid if $bpid; }

sub bulk_fill {
	my ($c, $buf) = @_;
	my $k = sysread($c, $$buf, 262144, length $$buf);
	return $k;
}

sub bulk_conn {
	my ($c) = @_;
	my $buf = '';
	while (1) {
		while (index($buf, "\r\n\r\n") < 0) { bulk_fill($c, \$buf) or return; }
		my $i = index($buf, "\r\n\r\n");
		my $head = substr($buf, 0, $i);
		substr($buf, 0, $i + 4) = '';
		my ($m, $t) = $head =~ /^(\S+) (\S+)/;
		my $got = 0;
		if ($head =~ /^Content-Length:\s*(\d+)/mi) {
			my $left = $1;
			while ($left > 0) {
				if (length $buf == 0) { bulk_fill($c, \$buf) or return; }
				my $n = length $buf < $left ? length $buf : $left;
				substr($buf, 0, $n) = '';
				$left -= $n;
				$got += $n;
			}
		} elsif ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
			while (1) {
				while (index($buf, "\r\n") < 0) { bulk_fill($c, \$buf) or return; }
				my $j = index($buf, "\r\n");
				my $n = hex(substr($buf, 0, $j));
				substr($buf, 0, $j + 2) = '';
				if ($n == 0) {
					while (index($buf, "\r\n") != 0) {
						while (index($buf, "\r\n") < 0) { bulk_fill($c, \$buf) or return; }
						substr($buf, 0, index($buf, "\r\n") + 2) = '';
					}
					substr($buf, 0, 2) = '';
					last;
				}
				my $left = $n + 2;
				while ($left > 0) {
					if (length $buf == 0) { bulk_fill($c, \$buf) or return; }
					my $k = length $buf < $left ? length $buf : $left;
					substr($buf, 0, $k) = '';
					$left -= $k;
				}
				$got += $n;
			}
		}
		if ($t =~ m{^/(?:[a-z]+/)?dl/(\d+)}) {
			my $n = $1;
			syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: $n\r\n\r\n");
			my $blk = 'y' x $MiB;
			while ($n > 0) {
				my $k = $n < $MiB ? $n : $MiB;
				my $w = syswrite($c, $blk, $k) or return;
				$n -= $w;
			}
			next;
		}
		my $body = "got $got\n";
		syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: " . length($body) . "\r\n\r\n$body");
	}
}

my $p = start_portier(conf => <<"EOF");
workers = { start = 1; min_spare = 0; max_spare = 1; max = 1; };
upstreams = (
  { name = "st"; sticky = { cookie = "PTSRV"; };
    servers = ( { address = "127.0.0.1:$sa->{port}"; }, { address = "127.0.0.1:$sb->{port}"; } ); },
  { name = "c"; servers = ( { address = "127.0.0.1:$ca->{port}"; } ); },
  { name = "bulk"; servers = ( { address = "127.0.0.1:$bport"; } ); }
);
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = ( { path = "/st/"; upstream = "st"; },
             { path = "/c/"; upstream = "c"; proxy = { strip_prefix = true; prefix = "/x"; }; },
             { path = "/nobuf/"; upstream = "bulk"; proxy = { buffering = false; }; },
             { path = "/"; upstream = "bulk"; } ); } );
EOF
ok($p->{port}, 'started');

# --- sticky sessions ---
sub st {
	my (@h) = @_;
	my $r = http_request($p, GET => '/st/x', @h);
	my ($v) = ($r->{headers}{'set-cookie'} // '') =~ /^PTSRV=([^;]*)/;
	return ($r->{headers}{'x-served-by'} // "status $r->{status}", $v, $r);
}
my ($s1, $v1, $r1) = st();
ok(defined $v1 && length $v1, 'first response sets the sticky cookie');
like($r1->{headers}{'set-cookie'}, qr/^PTSRV=\w+; Path=\/; HttpOnly$/, 'cookie attributes');
my @again = map { [ st(Cookie => "PTSRV=$v1") ] } 1 .. 6;
is(join('', map { $_->[0] } @again), $s1 x 6, 'requests with the cookie stay on one server');
ok(!grep({ defined $_->[1] } @again), 'no cookie set again while bound');
my ($s2, $v2);
for (1 .. 4) {
	my ($s, $v) = st();
	($s2, $v2) = ($s, $v) if $s ne $s1;
	last if defined $s2;
}
ok(defined $s2 && $s2 ne $s1 && $v2 ne $v1, 'the other server gets its own cookie value');
is(join('', map { (st(Cookie => "x=1; PTSRV=$v2"))[0] } 1 .. 4), $s2 x 4,
    "the other server's value goes there");
($s2 eq 'a' ? $sa : $sb)->{stop}->();
my ($sf, $vf) = st(Cookie => "PTSRV=$v2");
is($sf, $s1, 'a cookie naming a down server falls back');
is($vf, $v1, 'and the cookie is set again for the new server');
is((st(Cookie => "PTSRV=$vf"))[0], $s1, 'the new binding holds');

# --- Set-Cookie Domain ---
my $r = http_request($p, GET => '/c/p/cookie', Host => 'www.example.com:8080');
is($r->{status}, 200, 'cookie response');
my @sc = $r->{raw} =~ /^Set-Cookie: (.*?)\r$/mgi;
is($sc[0], 'a=1; Domain=www.example.com; Path=/c/p', 'Domain of the upstream host mapped, port dropped; Path too');
is($sc[1], 'b=2; path=/; domain=www.example.com; Secure', 'a leading dot and lower case');
is($sc[2], 'c=3; Domain=other.example; Path=/', 'another domain untouched');
is($sc[3], 'd=4; HttpOnly', 'no Domain: untouched');
$r = http_request($p, GET => '/c/p/cookie', Host => '[::1]:8080');
like($r->{raw}, qr/^Set-Cookie: a=1; Domain=\[::1\]; Path=\/c\/p\r$/mi, 'IPv6 Host');

# --- large bodies, bounded memory ---
sub worker_hwm {
	my $max = 0;
	for my $st (glob('/proc/[0-9]*/status')) {
		my $t = read_file($st);
		next unless $t =~ /^PPid:\s*$p->{pid}$/m;
		(my $cmd = $st) =~ s/status$/cmdline/;
		next unless read_file($cmd) =~ /portier: worker/;
		my ($kb) = $t =~ /^VmHWM:\s*(\d+)/m;
		$max = $kb if $kb && $kb > $max;
	}
	return $max;
}

sub writeall {
	my ($c, $data) = @_;
	my $off = 0;
	while ($off < length $data) {
		my $w = syswrite($c, $data, length($data) - $off, $off);
		return 0 unless $w;
		$off += $w;
	}
	return 1;
}

sub read_response {
	my ($c) = @_;
	my $buf = '';
	while (index($buf, "\r\n\r\n") < 0) {
		my $k = sysread($c, $buf, 65536, length $buf);
		return (undef, 0, '') unless $k;
	}
	my $i = index($buf, "\r\n\r\n");
	my $head = substr($buf, 0, $i);
	my $got = length($buf) - $i - 4;
	my $body = substr($buf, $i + 4);
	my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
	my $chunked = $head =~ /^Transfer-Encoding:\s*chunked/mi;
	while (1) {
		last if defined $len && $got >= $len;
		my $k = sysread($c, my $blk, $MiB);
		last unless $k;
		$got += $k;
		$body .= $blk if length($body) < 4096;
	}
	return ($head, $got, $body, $chunked);
}

my $SIZE = 200 * $MiB;
my $blk = 'x' x $MiB;
my $base = worker_hwm();
ok($base > 0, "worker found (VmHWM ${base} kB before)");

for my $mode ('length', 'chunked') {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p->{port}) or die;
	my $t0 = time;
	writeall($c, "POST /up HTTP/1.1\r\nHost: a\r\nConnection: close\r\n" .
	    ($mode eq 'length' ? "Content-Length: $SIZE\r\n\r\n" : "Transfer-Encoding: chunked\r\n\r\n"));
	my $ok = 1;
	for (1 .. $SIZE / $MiB) {
		$ok &&= writeall($c, $mode eq 'length' ? $blk : sprintf("%x\r\n", $MiB) . $blk . "\r\n");
	}
	$ok &&= writeall($c, "0\r\n\r\n") if $mode eq 'chunked';
	ok($ok, "$mode upload: 200 MiB sent");
	my ($head, undef, $body) = read_response($c);
	like($head // '', qr{^HTTP/1\.1 200}, "$mode upload: 200");
	is($body, "got $SIZE\n", "$mode upload: the origin got every byte");
	my $hwm = worker_hwm();
	cmp_ok($hwm, '<', 64 * 1024, sprintf("$mode upload: worker VmHWM %d kB (%.1fs)", $hwm, time - $t0));
	close $c;
}

for my $path ('/nobuf/dl', '/dl') {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p->{port}) or die;
	my $t0 = time;
	writeall($c, "GET $path/$SIZE HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
	my ($head, $got) = read_response($c);
	like($head // '', qr{^HTTP/1\.1 200}, "download $path: 200");
	is($got, $SIZE, "download $path: every byte");
	my $hwm = worker_hwm();
	cmp_ok($hwm, '<', 64 * 1024, sprintf("download $path: worker VmHWM %d kB (%.1fs)", $hwm, time - $t0));
	close $c;
}
unlike(read_file($p->{error_log}), qr/\[(error|crit)\]/, 'no errors logged');
done_testing();

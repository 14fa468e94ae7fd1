# t/35-websocket.t: Upgrade through the reverse proxy: the 101 reaches the
# client, then both sockets go to the tunnel process, the worker is free,
# and bytes flow both ways (including what was sent early).
use strict; use warnings; use Test::More;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(sleep time);
use Portier::Test qw(start_portier http_request read_file);

my $src = $ENV{PORTIER_SRCDIR} // '.';
my $ol = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 64,
    ReuseAddr => 1) or die;
my $oport = $ol->sockport;
my $opid = fork() // die;
if ($opid == 0) {
	$SIG{CHLD} = 'IGNORE';
	while (my $c = $ol->accept) {
		next if fork();
		my $head = '';
		while (my $l = <$c>) { last if $l eq "\r\n"; $head .= $l; }
		if ($head !~ /^Upgrade: websocket\r$/mi || $head !~ /^Connection: upgrade\r$/mi) {
			print $c "HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n";
			POSIX::_exit(0);
		}
		print $c "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
		$c->autoflush(1);
		while (my $l = <$c>) { print $c "echo:$l"; }
		POSIX::_exit(0);
	}
	POSIX::_exit(0);
}
close $ol;
END { kill 'KILL', $opid if $opid; }

my $p = start_portier(conf => <<"EOF2");
workers = { start = 1; min_spare = 0; max_spare = 1; max = 1; };
upstreams = ( { name = "ws"; servers = ( { address = "127.0.0.1:$oport"; } ); } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = ( { path = "/ws"; upstream = "ws"; },
             { path = "/nows"; upstream = "ws"; proxy = { websocket = false; }; },
             { path = "/"; root = "$src/conf/www"; } ); } );
EOF2

# Unbuffered reads only: select(2) cannot see what PerlIO buffered.
my %pending;
sub read_until {
	my ($c, $re) = @_;
	my $sel = IO::Select->new($c);
	while ($pending{$c} !~ $re) {
		# TLS: decoded bytes select(2) cannot see.
		return undef unless ($c->can('pending') && $c->pending) || $sel->can_read(5);
		my $n = sysread($c, $pending{$c}, 4096, length($pending{$c} // ''));
		return undef unless $n;
	}
	$pending{$c} =~ s/^(.*?$re)//s;
	return $1;
}

sub ws_open {
	my ($path, $early) = @_;
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p->{port}) or die;
	$pending{$c} = '';
	syswrite($c, "GET $path HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n" .
	    ($early // ''));
	return ($c, read_until($c, qr/\r\n\r\n/) // '');
}

sub line { my ($c) = @_; return read_until($c, qr/\n/) // ''; }

my ($a, $head) = ws_open('/ws', "early\n");
like($head, qr{^HTTP/1\.1 101 }, '101 relayed');
like($head, qr/^Upgrade: websocket\r$/mi, 'Upgrade kept on the 101');
is(line($a), "echo:early\n", 'bytes sent with the request reach the origin');
syswrite($a, "hello\n");
is(line($a), "echo:hello\n", 'bytes flow both ways');

# The only worker is free again: a second stream and a plain request work.
my ($b) = ws_open('/ws');
syswrite($b, "two\n");
is(line($b), "echo:two\n", 'second stream with one worker');
is(http_request($p, GET => '/style.css')->{status}, 200, 'the worker serves requests meanwhile');
syswrite($a, "again\n");
is(line($a), "echo:again\n", 'first stream still up');

my (undef, $h2) = ws_open('/nows');
unlike($h2, qr{^HTTP/1\.1 101}, 'upgrades refused where websocket = false');
unlike(read_file($p->{error_log}), qr/\[(error|crit)\]/, 'no errors logged');

# wss: TLS that Portier terminates cannot go to the tunnel process, so the
# worker relays the stream itself, websocket_worker_max at most (here 1)
# across workers; past it, 503.
SKIP: {
	my $mods = $ENV{PORTIER_MODULES} // 'modules/.built';
	skip "mod_ssl is not built in $mods", 9 unless -e "$mods/mod_ssl.so";
	skip 'the openssl tool is not installed', 9
	    unless system('openssl version >/dev/null 2>&1') == 0;
	skip 'IO::Socket::SSL is not installed', 9 unless eval { require IO::Socket::SSL; 1 };
	my $d = $p->{dir};
	system("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes " .
	    "-keyout $d/ws.key -out $d/ws.pem -days 2 -subj /CN=a.test " .
	    "-addext subjectAltName=DNS:a.test >/dev/null 2>&1") == 0 or die 'openssl';
	my $s = start_portier(args => [ '-M', $mods ], conf => <<"EOF3");
modules = { load = [ "mod_ssl" ]; };
workers = { start = 2; min_spare = 0; max_spare = 2; max = 2; };
websocket_worker_max = 1;
upstreams = ( { name = "ws"; servers = ( { address = "127.0.0.1:$oport"; } ); } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  ssl = { certificates = ( { cert = "$d/ws.pem"; key = "$d/ws.key"; } ); };
  proxy = { read_timeout = "3s"; };
  routes = ( { path = "/ws"; upstream = "ws"; },
             { path = "/"; root = "$src/conf/www"; } ); } );
EOF3
	my $wss_open = sub {
		my ($early) = @_;
		my $c = IO::Socket::SSL->new(PeerHost => '127.0.0.1', PeerPort => $s->{port},
		    SSL_hostname => 'a.test', SSL_verify_mode => 0, Timeout => 5) or die "tls: $!";
		$pending{$c} = '';
		syswrite($c, "GET /ws HTTP/1.1\r\nHost: a.test\r\nUpgrade: websocket\r\n" .
		    "Connection: Upgrade\r\n\r\n" . ($early // ''));
		return ($c, read_until($c, qr/\r\n\r\n/) // '');
	};
	my ($w, $wh) = $wss_open->("early\n");
	like($wh, qr{^HTTP/1\.1 101 }, 'wss: 101 through TLS');
	is(line($w), "echo:early\n", 'wss: bytes sent with the request reach the origin');
	syswrite($w, "hello\n" x 3);
	is(join('', map { line($w) } 1 .. 3), "echo:hello\n" x 3, 'wss: bytes flow both ways');
	my ($w2, $wh2) = $wss_open->();
	like($wh2, qr{^HTTP/1\.1 503 }, 'wss: past websocket_worker_max, 503');
	close $w2;
	my $st = IO::Socket::SSL->new(PeerHost => '127.0.0.1', PeerPort => $s->{port},
	    SSL_hostname => 'a.test', SSL_verify_mode => 0, Timeout => 5) or die;
	$pending{$st} = '';
	syswrite($st, "GET /style.css HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
	like(read_until($st, qr/\r\n\r\n/) // '', qr{^HTTP/1\.1 200 }, 'the other worker serves meanwhile');
	close $st;
	syswrite($w, "again\n");
	is(line($w), "echo:again\n", 'wss: the stream is still up');
	$w->close(SSL_no_shutdown => 0);
	sleep 0.3;
	my ($w3, $wh3) = $wss_open->();
	like($wh3, qr{^HTTP/1\.1 101 }, 'wss: the closed stream freed its place');
	syswrite($w3, "three\n");
	is(line($w3), "echo:three\n", 'wss: third stream echoes');
	# Nothing moves for read_timeout (3s): the worker ends it.
	my $sel = IO::Select->new($w3);
	my $t0 = time;
	my $eof = 0;
	while (time - $t0 < 8) {
		last unless $w3->pending || $sel->can_read(8 - (time - $t0));
		my $n = sysread($w3, my $junk, 4096);
		if (!$n) { $eof = 1; last; }
	}
	ok($eof && time - $t0 >= 2.5, 'wss: an idle stream ends after read_timeout');
}
done_testing();

# t/35-websocket.t: Upgrade through the reverse proxy: the 101 reaches the
# client, then both sockets go to the tunnel process, the worker is free,
# and bytes flow both ways (including what was sent early).
use strict; use warnings; use Test::More;
use IO::Socket::INET;
use IO::Select;
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
		return undef unless $sel->can_read(5);
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
done_testing();

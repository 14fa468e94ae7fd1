# Portier::Load: a bounded load loop of keep-alive clients, for restart
# tests. Each client is a child process that sends GETs for a fixed time on
# a keep-alive connection and reports how many requests succeeded and
# failed. A request whose connection closed before any response byte is
# retried once, as RFC 9112 9.3.1 lets clients do for idempotent requests.
package Portier::Load;

use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);
use POSIX qw(_exit);

our @EXPORT_OK = qw(load_start load_finish);

# One response on $s; returns (status, keep) or () when the connection
# closed before any byte, or dies on a partial response.
sub read_response {
	my ($s) = @_;
	my $buf = '';
	my $sel = IO::Select->new($s);
	while (index($buf, "\r\n\r\n") < 0) {
		die "timeout\n" unless $sel->can_read(5);
		my $n = sysread($s, $buf, 65536, length $buf);
		# A reset before any byte is a close before any byte.
		return () if !defined $n && $buf eq '' && $!{ECONNRESET};
		die "read: $!\n" unless defined $n;
		if ($n == 0) {
			return () if $buf eq '';
			die "closed mid-head\n";
		}
	}
	my $i = index($buf, "\r\n\r\n");
	my $head = substr($buf, 0, $i);
	my ($status) = $head =~ m{^HTTP/1\.1 (\d{3})} or die "bad status\n";
	my ($len) = $head =~ /^Content-Length: (\d+)/mi;
	$len //= 0;
	my $have = length($buf) - $i - 4;
	while ($have < $len) {
		die "timeout\n" unless $sel->can_read(5);
		my $n = sysread($s, my $chunk, 65536) or die "closed mid-body\n";
		$have += $n;
	}
	my $keep = $head !~ /^Connection: close/mi;
	return ($status, $keep);
}

sub client {
	my ($port, $path, $secs) = @_;
	my ($ok, $fail, $s) = (0, 0, undef);
	my $until = time + $secs;
	while (time < $until) {
		my $tries = 0;
		REQ: {
			$s //= IO::Socket::INET->new(PeerAddr => '127.0.0.1',
			    PeerPort => $port, Timeout => 5);
			unless ($s) { $fail++; last REQ; }
			my @r;
			eval {
				# A write into a connection the server closed is
				# noticed by the read below, before any byte.
				syswrite($s, "GET $path HTTP/1.1\r\nHost: a\r\n\r\n");
				@r = read_response($s);
				1;
			} or do {
				$fail++;
				print STDERR "client: $@";
				$s = undef;
				last REQ;
			};
			if (!@r) {
				# Closed before any byte: retry once on a new connection.
				$s = undef;
				if ($tries++ == 0) { redo REQ; }
				$fail++;
				last REQ;
			}
			if ($r[0] == 200) { $ok++ } else { $fail++ }
			$s = undef unless $r[1];
		}
	}
	return ($ok, $fail);
}

# Starts n clients; returns a handle for load_finish.
sub load_start {
	my (%o) = @_;
	my @kids;
	for (1 .. ($o{clients} // 4)) {
		pipe(my $r, my $w) or die;
		my $pid = fork() // die;
		if ($pid == 0) {
			close $r;
			my ($ok, $fail) = client($o{port}, $o{path} // '/', $o{seconds} // 3);
			syswrite($w, "$ok $fail\n");
			_exit(0);
		}
		close $w;
		push @kids, [ $pid, $r ];
	}
	return \@kids;
}

sub load_finish {
	my ($kids) = @_;
	my ($ok, $fail) = (0, 0);
	for my $k (@$kids) {
		my $line = readline($k->[1]) // "0 1\n";
		waitpid($k->[0], 0);
		my ($o, $f) = split ' ', $line;
		$ok += $o;
		$fail += $f;
	}
	return ($ok, $fail);
}

1;

# Portier::Test: start a real portier on loopback with an inline config,
# talk to it over real sockets, and clean up. Ports come from the server
# itself: listeners are written as 127.0.0.1:0 and the bound address is read
# back from the listen_report file, so parallel tests never collide.
package Portier::Test;

use strict;
use warnings;
use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use Test::More;

our @EXPORT_OK = qw(start_portier http_request raw_request portier_cmd
    error_log_matches wait_for read_file write_file start_origin
    forked_server start_echo_origin raise_nofile);

my @servers;
my @origins;
my $asan_dir;

sub bin { $ENV{PORTIER_BIN} // 'server/portier' }

sub testdir {
	my $d = tempdir('portier-t-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{PORTIER_KEEP});
	chmod 0755, $d;
	return $d;
}

sub write_file {
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	print $fh $text;
	close($fh);
}

sub read_file {
	my ($path) = @_;
	open(my $fh, '<', $path) or return '';
	local $/;
	my $t = <$fh>;
	close($fh);
	return $t // '';
}

sub wait_for {
	my ($cond, $secs) = @_;
	my $until = time + ($secs // 10);
	while (time < $until) {
		return 1 if $cond->();
		sleep 0.05;
	}
	return 0;
}

# Runs portier with arguments; returns (exit code, combined output).
sub portier_cmd {
	my (@args) = @_;
	my $pid = open(my $fh, '-|') // die "fork: $!";
	if ($pid == 0) {
		open(STDERR, '>&', \*STDOUT);
		exec(bin(), @args) or exit 127;
	}
	local $/;
	my $out = <$fh> // '';
	close($fh);
	return ($? >> 8, $out);
}

# start_portier(conf => TEXT[, args => [...]]): %%PORT%% becomes a kernel
# chosen port, %%TESTDIR%% the test's folder. Returns a hash with port, dir,
# pid, conf, error_log.
sub start_portier {
	my (%o) = @_;
	my $dir = $o{dir} // testdir();
	my $conf = $o{conf};
	$conf =~ s/%%PORT%%/0/g;
	$conf =~ s/%%TESTDIR%%/$dir/g;
	my $head = "listen_report = \"$dir/ports\";\n";
	$head .= "error_log = \"$dir/error.log\";\n" unless $conf =~ /^\s*error_log\s*=/m;
	$head .= "log_level = \"info\";\n" unless $conf =~ /^\s*log_level\s*=/m;
	write_file("$dir/portier.conf", $head . $conf);
	unlink("$dir/ports");
	$asan_dir //= $dir;
	my @args = ('-F', '-f', "$dir/portier.conf", '-u', scalar(getpwuid($<)),
	    @{ $o{args} // [] });
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		$ENV{ASAN_OPTIONS} = "log_path=$dir/asan:detect_leaks=1:abort_on_error=0"
		    unless $ENV{PORTIER_NO_ASAN_LOG};
		open(STDOUT, '>', "$dir/stdout");
		open(STDERR, '>', "$dir/stderr");
		exec(bin(), @args) or exit 127;
	}
	my $s = { pid => $pid, dir => $dir, conf => "$dir/portier.conf",
	    error_log => "$dir/error.log" };
	push @servers, $s;
	my $ok = wait_for(sub {
		return 0 unless -s "$dir/ports";
		return waitpid($pid, WNOHANG) == 0;
	}, 15);
	unless ($ok) {
		diag("portier did not start:\n" . read_file("$dir/stderr") .
		    read_file("$dir/error.log"));
		return $s;
	}
	ports($s);
	return $s;
}

# Reads the listen report: "configured bound" per line.
sub ports {
	my ($s) = @_;
	my @lines = split /\n/, read_file("$s->{dir}/ports");
	$s->{listeners} = {};
	for (@lines) {
		my ($text, $bound) = split / /;
		$s->{listeners}{$text} = $bound;
		my ($port) = $bound =~ /:(\d+)$/;
		$s->{port} //= $port;
		push @{ $s->{ports} }, $port;
	}
	return $s;
}

sub stop {
	my ($s, $sig) = @_;
	return unless $s->{pid};
	kill($sig // 'TERM', $s->{pid});
	my $until = time + 10;
	while (time < $until) {
		last if waitpid($s->{pid}, WNOHANG) != 0;
		sleep 0.02;
	}
	if (waitpid($s->{pid}, WNOHANG) == 0) {
		kill('KILL', $s->{pid});
		waitpid($s->{pid}, 0);
	}
	$s->{exit} = $?;
	delete $s->{pid};
}

sub error_log_matches {
	my ($s, $re) = @_;
	return read_file($s->{error_log}) =~ $re;
}

# Sends raw bytes and reads until the server closes or the timeout passes.
sub raw_request {
	my ($s, $bytes, %o) = @_;
	my $sock = IO::Socket::INET->new(PeerAddr => $o{addr} // '127.0.0.1',
	    PeerPort => $o{port} // $s->{port}, Proto => 'tcp',
	    LocalAddr => $o{local}, Timeout => 5) or die "connect: $!";
	$sock->syswrite($bytes) if length $bytes;
	my $buf = '';
	my $until = time + ($o{timeout} // 5);
	$sock->blocking(0);
	while (time < $until) {
		my $n = $sock->sysread(my $chunk, 65536);
		if (defined $n) {
			last if $n == 0;
			$buf .= $chunk;
			next;
		}
		sleep 0.01;
	}
	close($sock);
	return $buf;
}

# Parses one response from the front of $raw; returns a hash and the rest.
sub parse_response {
	my ($raw, $head_only) = @_;
	my $i = index($raw, "\r\n\r\n");
	return ({ status => 0, raw => $raw }, '') if $i < 0;
	my $head = substr($raw, 0, $i);
	my $rest = substr($raw, $i + 4);
	my ($line, @fields) = split /\r\n/, $head;
	my ($status) = $line =~ m{^HTTP/1\.[01] (\d{3})};
	my %h;
	for (@fields) {
		my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
		$h{lc $k} = exists $h{lc $k} ? "$h{lc $k}, $v" : $v;
	}
	my $len = $h{'content-length'} // ($head_only ? 0 : length $rest);
	$len = 0 if $head_only || $status == 304 || $status == 204;
	my $body = substr($rest, 0, $len);
	return ({ status => $status, headers => \%h, body => $body,
	    raw => $raw, line => $line }, substr($rest, $len));
}

# http_request($s, METHOD => '/path', Header => value, ...)
sub http_request {
	my ($s, $method, $path, @h) = @_;
	my %o;
	my $req = "$method $path HTTP/1.1\r\n";
	my $has_host = 0;
	while (my ($k, $v) = splice(@h, 0, 2)) {
		if ($k =~ /^-(\w+)$/) { $o{$1} = $v; next; }
		$has_host = 1 if lc $k eq 'host';
		$req .= "$k: $v\r\n";
	}
	$req .= "Host: localhost\r\n" unless $has_host;
	$req .= "Connection: close\r\n";
	$req .= "Content-Length: " . length($o{body}) . "\r\n" if defined $o{body};
	$req .= "\r\n" . ($o{body} // '');
	my ($r) = parse_response(raw_request($s, $req, %o), $method eq 'HEAD');
	return $r;
}

# A test origin on 127.0.0.1: start_origin(sub { my ($req) = @_; ... return
# ($status, [ Name => value, ... ], $body) }). $req has method, target,
# path, query, version, headers (lowercase keys; repeated joined by ", "),
# raw_head and body (Content-Length or chunked, decoded). Each connection
# is served by its own child, with keep-alive. A handler may return a
# string ref instead: those bytes are written as the whole raw response.
# Options: port => N (default: any free one), addr => '127.0.0.2' (default
# 127.0.0.1). Returns { port, pid, stop => sub }.
sub start_origin {
	my ($handler, %o) = @_;
	return forked_server(sub { origin_conn($_[0], $handler) }, %o);
}

# forked_server(sub { my ($socket) = @_; ... }, port => N, addr => A): a
# server on a listener made as start_origin's; each accepted connection
# is handed to the sub in a child of its own, which then leaves by
# POSIX::_exit (no END block of the test runs in it). Returns { port,
# pid, stop => sub }; stopped at the end of the test.
sub forked_server {
	my ($conn, %o) = @_;
	my $l = origin_listener(%o, backlog => 128);
	return origin_child($l, sub {
		$SIG{CHLD} = 'IGNORE';
		while (1) {
			my $c = $l->accept or next;
			my $k = fork();
			if (defined $k && $k == 0) {
				close $l;
				$conn->($c);
				POSIX::_exit(0);
			}
			close $c;
		}
	});
}

# An origin for many idle tunnels: one process, every connection in one
# select loop. What a connection sends comes back (discard => 1: is
# dropped); it is closed when the peer closes its side. Options as
# start_origin's. Returns { port, pid, stop => sub }.
sub start_echo_origin {
	my (%o) = @_;
	my $l = origin_listener(%o, backlog => 2048);
	return origin_child($l, sub {
		$SIG{ALRM} = 'DEFAULT';
		$SIG{PIPE} = 'IGNORE';
		my $sel = IO::Select->new($l);
		for (;;) {
			for my $s ($sel->can_read(1)) {
				if ($s == $l) {
					my $c = $l->accept or next;
					$sel->add($c);
					next;
				}
				my $n = sysread($s, my $buf, 65536);
				if (!$n) {
					$sel->remove($s);
					close($s);
					next;
				}
				echo_write($s, $buf) unless $o{discard};
			}
		}
	});
}

sub echo_write {
	my ($s, $buf) = @_;
	my $off = 0;
	while ($off < length $buf) {
		my $w = syswrite($s, $buf, length($buf) - $off, $off);
		return unless defined $w;
		$off += $w;
	}
}

sub origin_listener {
	my (%o) = @_;
	my $l = IO::Socket::INET->new(LocalAddr => $o{addr} // '127.0.0.1',
	    LocalPort => $o{port} // 0, Listen => $o{backlog}, ReuseAddr => 1)
	    or die "origin: $!";
	return $l;
}

# Runs $loop (which never returns) in a child serving the listener $l.
sub origin_child {
	my ($l, $loop) = @_;
	my $port = $l->sockport;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		$loop->();
		POSIX::_exit(0);
	}
	close $l;
	my $org = { port => $port, pid => $pid };
	$org->{stop} = sub {
		return unless $org->{pid};
		kill 'KILL', $org->{pid};
		waitpid($org->{pid}, 0);
		delete $org->{pid};
	};
	push @origins, $org;
	return $org;
}

# ulimit -n, as a number.
sub nofile {
	my $n = `sh -c 'ulimit -n'`;
	chomp $n;
	return $n eq 'unlimited' ? 1 << 20 : $n + 0;
}

# raise_nofile($want): for tests that need more descriptors than the usual
# 1024. When ulimit -n is lower, runs the test again, once, under a shell
# that raised it (BSD::Resource is not a dependency); the children
# (portier, the origins) inherit it. Skips the test when it stays lower.
sub raise_nofile {
	my ($want) = @_;
	if (nofile() < $want && !$ENV{PT_NOFILE_REEXEC}) {
		$ENV{PT_NOFILE_REEXEC} = 1;
		my $n = $want > 4096 ? $want : 4096;
		exec('sh', '-c', "ulimit -n $n 2>/dev/null || ulimit -n \$(ulimit -Hn); exec \"\$@\"",
		    'sh', $^X, (map { "-I$_" } grep { !ref } @INC), $0, @ARGV);
	}
	plan(skip_all => "needs $want descriptors, ulimit -n is " . nofile() .
	    ' and cannot be raised') if nofile() < $want;
}

sub origin_read {
	my ($c, $bufref, $n) = @_;
	while (length($$bufref) < $n) {
		my $k = sysread($c, $$bufref, 65536, length $$bufref);
		return 0 unless $k;
	}
	return 1;
}

sub origin_line {
	my ($c, $bufref) = @_;
	while ((my $i = index($$bufref, "\r\n")) < 0) {
		my $k = sysread($c, $$bufref, 65536, length $$bufref);
		return undef unless $k;
	}
	my $i = index($$bufref, "\r\n");
	my $line = substr($$bufref, 0, $i);
	substr($$bufref, 0, $i + 2) = '';
	return $line;
}

sub origin_conn {
	my ($c, $handler) = @_;
	my $buf = '';
	while (1) {
		while (index($buf, "\r\n\r\n") < 0) {
			my $k = sysread($c, $buf, 65536, length $buf);
			return unless $k;
		}
		my $i = index($buf, "\r\n\r\n");
		my $head = substr($buf, 0, $i);
		substr($buf, 0, $i + 4) = '';
		my ($line, @f) = split /\r\n/, $head;
		my ($m, $t, $v) = split / /, $line;
		my %h;
		for (@f) {
			my ($k, $val) = /^([^:]+):\s*(.*?)\s*$/ or next;
			$h{lc $k} = exists $h{lc $k} ? "$h{lc $k}, $val" : $val;
		}
		my $body = '';
		if (defined $h{'content-length'}) {
			origin_read($c, \$buf, $h{'content-length'}) or return;
			$body = substr($buf, 0, $h{'content-length'});
			substr($buf, 0, $h{'content-length'}) = '';
		} elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
			while (1) {
				my $sz = origin_line($c, \$buf) // return;
				my $n = hex($sz);
				if ($n == 0) {
					while (1) { my $t2 = origin_line($c, \$buf) // return; last if $t2 eq ''; }
					last;
				}
				origin_read($c, \$buf, $n + 2) or return;
				$body .= substr($buf, 0, $n);
				substr($buf, 0, $n + 2) = '';
			}
		}
		my ($path, $query) = split /\?/, $t, 2;
		my @r = $handler->({ method => $m, target => $t, path => $path,
		    query => $query, version => $v, headers => \%h, body => $body,
		    raw_head => $head });
		if (ref $r[0] eq 'SCALAR') {
			syswrite($c, ${ $r[0] });
			return if $r[1];
			next;
		}
		my ($st, $hdrs, $rb) = @r;
		$rb //= '';
		my $out = "HTTP/1.1 $st X\r\n";
		my %have;
		for (my $j = 0; $j < @$hdrs; $j += 2) {
			$out .= "$hdrs->[$j]: $hdrs->[$j+1]\r\n";
			$have{lc $hdrs->[$j]} = 1;
		}
		$out .= "Content-Length: " . length($rb) . "\r\n"
		    unless $have{'content-length'} || $have{'transfer-encoding'};
		$out .= "\r\n";
		$out .= $rb unless $m eq 'HEAD';
		syswrite($c, $out);
		return if $have{connection};
	}
}

END {
	my $rc = $?;
	for my $s (@servers) {
		stop($s);
	}
	$_->{stop}->() for @origins;
	# Sanitizer reports from any process of any portier this test started.
	for my $s (@servers) {
		# A worker that crashed (any signal but the tests' own KILL).
		if (read_file($s->{error_log}) =~ /(worker \d+ died on signal (?!9\b)\d+.*)/) {
			diag("a worker crashed: $1");
			$rc = 1;
		}
		for my $f (glob("$s->{dir}/asan*")) {
			diag("sanitizer report $f:\n" . read_file($f));
			$rc = 1;
		}
	}
	$? = $rc;
}

1;

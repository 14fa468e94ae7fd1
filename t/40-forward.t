# t/40-forward.t: the forward proxy. Absolute-form GET/HEAD/POST through
# curl -x (origin-form upstream, Host from the target, hop-by-hop and
# Proxy-* removed, From dropped, Referer trimmed, Via added, no
# X-Forwarded-For, origin connections reused); CONNECT tunnels to a plain
# TCP echo origin (ports, hand-off, the access log line written when the
# tunnel closes, many idle tunnels with requests still served); IPv6
# destinations; every rule kind allowed and denied with the block page
# naming the rule; proxy authentication (missing, wrong, right, the
# credentials cache hit, the htpasswd file read again on HUP); a
# 1,000,000-name list; SSRF defaults and loops; parent proxies with
# failover; a reverse proxy is not an open proxy; a forward-only server
# answers origin-form with 400. Names resolve through the hosts file:
# loopback only. 1,000 tunnels, clients leaving mid-tunnel and the idle
# timeout are t/41-forward-tunnels.t's.
use strict; use warnings; use Test::More;
use IO::Select;
use IO::Socket::INET;
use IO::Socket::IP;
use MIME::Base64 ();
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use Portier::Test qw(start_portier start_origin http_request raw_request
    wait_for read_file write_file portier_cmd);

my $dir = Portier::Test::testdir();
my $curl = system('sh -c "command -v curl" >/dev/null') == 0;

# Origin: answers with what it saw.
my $o = start_origin(sub {
	my ($q) = @_;
	my $h = join('', map { "$_=$q->{headers}{$_}\n" } sort keys %{ $q->{headers} });
	return (200, [ 'Content-Type' => 'text/plain', 'Server' => 'origin/1' ],
	    "target=$q->{target}\nmethod=$q->{method}\nbody=$q->{body}\npid=$$\n$h");
});
# Echo origin for CONNECT.
my $echo = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 1024, ReuseAddr => 1) or die;
my $eport = $echo->sockport;
my $epid = fork() // die;
if ($epid == 0) {
	$SIG{CHLD} = 'IGNORE';
	while (1) {
		my $c = $echo->accept or next;
		my $k = fork();
		if (defined $k && $k == 0) {
			while (sysread($c, my $b, 65536)) { syswrite($c, "echo:$b"); }
			POSIX::_exit(0);
		}
		close $c;
	}
}
close $echo;
END { kill 'KILL', $epid if $epid; }

# IPv6 origins on ::1 (when the host has an IPv6 loopback): one answers
# HTTP with the target and Host it saw, one echoes (for CONNECT).
my ($h6, $e6) = map { IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0,
    Listen => 16, ReuseAddr => 1) } 1 .. 2;
my $v6 = $h6 && $e6;
my ($h6port, $e6port) = $v6 ? ($h6->sockport, $e6->sockport) : (0, 0);
my $v6pid;
if ($v6) {
	$v6pid = fork() // die;
	if ($v6pid == 0) {
		$SIG{CHLD} = 'IGNORE';
		my $sel = IO::Select->new($h6, $e6);
		while (1) {
			for my $l ($sel->can_read) {
				my $c = $l->accept or next;
				next if fork();
				if ($l == $e6) {
					while (sysread($c, my $b, 65536)) { syswrite($c, "echo6:$b"); }
				} else {
					my $q = '';
					sysread($c, $q, 65536, length $q) while $q !~ /\r\n\r\n/;
					my ($t) = $q =~ /^GET (\S+)/;
					my ($h) = $q =~ /^Host: (.*?)\r$/mi;
					my $b = "target=$t\nhost=$h\n";
					syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: " . length($b) .
					    "\r\nConnection: close\r\n\r\n$b");
				}
				POSIX::_exit(0);
			}
		}
	}
	close $_ for $h6, $e6;
}
END { kill 'KILL', $v6pid if $v6pid; }

write_file("$dir/hosts", "127.0.0.1 origin.test www.origin.test blocked.test a.suffix.test ads7.test listed.test sub.listed.test echo.test\n"
    . "127.0.0.1 time.test user.test method.test\n");
my @list = map { "name$_.list.test" } 0 .. 999_999;
write_file("$dir/blocked.txt", "# block list\nlisted.test\n" . join("\n", @list) . "\n");
write_file("$dir/block.html", "<p>Blocked by %{acl_rule} for %{host}</p>\n");
my $hash = crypt('s3cret', '$6$abcdefgh');
write_file("$dir/htpasswd", "alice:$hash\nbob:$hash\n");
my @lt = localtime;
my $now = $lt[2] * 60 + $lt[1];
my $fmt = sub { sprintf("%02d:%02d", int($_[0] / 60) % 24, $_[0] % 60) };
# A window that is now, and one that is not.
my $in = $fmt->($now) . '-' . $fmt->(($now + 2) % 1440);
my $out = $fmt->(($now + 5) % 1440) . '-' . $fmt->(($now + 10) % 1440);

my $conf = <<"EOF2";
resolver = { hosts = "%%TESTDIR%%/hosts"; };
workers = { start = 4; min_spare = 2; max_spare = 8; max = 8; };
servers = (
  { listen = [ "127.0.0.1:%%PORT%%" ];
    access_log = "%%TESTDIR%%/access.log";
    log_level = "debug";
    access_log_format = "%{client_addr} %{user} \\"%{request_line}\\" %{status} %{bytes_sent} %{bytes_received} %{request_time} rule=%{acl_rule}";
    forward_proxy = {
      local_clients = [ "127.0.0.1/32" ];
      connect_ports = [ 443, $eport@{[ $v6 ? ", $e6port" : '' ]} ];
      block_page = "block.html";
      auth = { realm = "Proxy"; file = "htpasswd"; cache = "1m"; };
      acl = (
        { name = "dest"; dest = [ "blocked.test", ".suffix.test", "~^ads[0-9]+\\\\." ]; action = "deny"; },
        { name = "list"; dest_list = "blocked.txt"; action = "deny"; },
        { name = "port"; port = [ "8000-8001" ]; action = "deny"; },
        { name = "method"; dest = [ "method.test" ]; method = [ "DELETE" ]; action = "deny"; },
        { name = "time-now"; dest = [ "time.test" ]; time = "$in"; action = "deny"; },
        { name = "time-later"; dest = [ "time.test" ]; time = "$out"; action = "deny"; },
        { name = "client2"; client = [ "127.0.0.2" ]; dest = [ "origin.test" ]; action = "allow"; },
        { name = "login"; dest = [ "user.test" ]; action = "auth"; },
        { name = "bob-out"; dest = [ "user.test" ]; user = [ "bob" ]; action = "deny"; },
        { name = "local"; client = [ "127.0.0.0/8" ]; action = "allow"; }
      );
    };
  }
);
EOF2
my $t0 = time;
my ($rc, $tout) = do {
	my $c = $conf; $c =~ s/%%PORT%%/0/g; $c =~ s/%%TESTDIR%%/$dir/g;
	write_file("$dir/check.conf", $c);
	portier_cmd('-t', '-f', "$dir/check.conf");
};
my $took = time - $t0;
is($rc, 0, 'configuration with a 1,000,001-name list loads') or diag($tout);
ok($took < 3, sprintf('portier -t with the list took %.2f s', $took));

my $p = start_portier(dir => $dir, conf => $conf);
my $pp = $p->{port};
my $origin = "origin.test:$o->{port}";

sub logged { my ($f, $re) = @_; return wait_for(sub { read_file($f) =~ $re }, 5); }
sub proxy_req {
	my ($req, %o) = @_;
	return raw_request($p, $req, %o);
}

SKIP: {
	skip 'no curl', 6 unless $curl;
	my $r = `curl -s -x http://127.0.0.1:$pp -H 'From: me\@example.com' -H 'Referer: http://ref.test/secret/page?q=1' -H 'Proxy-Connection: keep-alive' http://$origin/a/b?x=1`;
	like($r, qr{^target=/a/b\?x=1$}m, 'GET: origin-form target upstream');
	like($r, qr{^host=origin\.test:$o->{port}$}m, 'Host from the target');
	unlike($r, qr{^(from|proxy-connection|x-forwarded-for|forwarded)=}m, 'From, Proxy-* and X-Forwarded-For absent');
	like($r, qr{^referer=http://ref\.test/$}m, 'Referer trimmed to its origin');
	like($r, qr{^via=1\.1 portier$}m, 'Via added');
	$r = `curl -s -x http://127.0.0.1:$pp -d 'hello=1' http://$origin/post`;
	like($r, qr{^method=POST\nbody=hello=1$}m, 'POST with its body');
	$r = `curl -s -I -x http://127.0.0.1:$pp http://$origin/h`;
	like($r, qr{^HTTP/1\.1 200}, 'HEAD');
}

# Keep-alive and origin reuse: two requests on one client connection hit
# the same origin child (its pid).
my $two = proxy_req("GET http://$origin/1 HTTP/1.1\r\nHost: $origin\r\n\r\nGET http://$origin/2 HTTP/1.1\r\nHost: $origin\r\nConnection: close\r\n\r\n");
my @pids = $two =~ /^pid=(\d+)$/mg;
is(scalar(@pids), 2, 'two requests on one client connection');
is($pids[0], $pids[1], 'the origin connection was reused');
# Host in the head disagrees with the target: the target wins.
my $r = proxy_req("GET http://$origin/x HTTP/1.1\r\nHost: evil.test\r\nConnection: close\r\n\r\n");
like($r, qr{^host=origin\.test:$o->{port}$}m, 'Host reconciled with the target');

# Rules: each kind denied and allowed.
sub status { ($_[0] =~ m{^HTTP/1\.1 (\d{3})})[0] // 0 }
sub get { my ($url, %o) = @_; my $h = $o{h} // '';
	proxy_req("GET $url HTTP/1.1\r\nHost: x\r\n${h}Connection: close\r\n\r\n", %o) }
$r = get("http://blocked.test:$o->{port}/");
is(status($r), 403, 'exact destination denied');
like($r, qr{Blocked by dest for blocked\.test}, 'block page names the rule');
unlike($r, qr/127\.0\.0\.1|portier\/\d/, 'block page names nothing else');
is(status(get("http://a.suffix.test:$o->{port}/")), 403, 'suffix destination denied');
is(status(get("http://ads7.test:$o->{port}/")), 403, 'regex destination denied');
is(status(get("http://sub.listed.test:$o->{port}/")), 403, 'list destination (subdomain) denied');
is(status(get("http://name999999.list.test:$o->{port}/")), 403, 'the last of a million names denied');
is(status(get("http://www.origin.test:$o->{port}/")), 200, 'not listed: allowed');
is(status(get("http://origin.test:8000/")), 403, 'port denied');
is(status(proxy_req("DELETE http://method.test:$o->{port}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")), 403, 'method denied');
is(status(get("http://method.test:$o->{port}/")), 200, 'other method allowed');
is(status(get("http://time.test:$o->{port}/")), 403, 'time window now: denied');
ok(logged("$dir/access.log", qr/rule=time-now/), 'the deciding rule is logged');
# From 127.0.0.2: not local; only rule client2 allows.
is(status(get("http://origin.test:$o->{port}/", local => '127.0.0.2')), 403,
    'SSRF: a non-local client may not reach a loopback origin');
ok(logged("$dir/access.log", qr/^127\.0\.0\.2 .* 403 .*rule=deny_private/m), 'refused as deny_private');
is(status(get("http://www.origin.test:$o->{port}/", local => '127.0.0.2')), 403,
    'client rule does not match another destination: default deny');

# Authentication.
my $good = 'Proxy-Authorization: Basic ' . MIME::Base64::encode_base64('alice:s3cret', '') . "\r\n";
my $bad = 'Proxy-Authorization: Basic ' . MIME::Base64::encode_base64('alice:wrong', '') . "\r\n";
my $bob = 'Proxy-Authorization: Basic ' . MIME::Base64::encode_base64('bob:s3cret', '') . "\r\n";
$r = get("http://user.test:$o->{port}/");
is(status($r), 407, 'auth rule without credentials: 407');
like($r, qr/^Proxy-Authenticate: Basic realm="Proxy"/m, 'Proxy-Authenticate');
is(status(get("http://user.test:$o->{port}/", h => $bad)), 407, 'wrong password: 407');
$r = get("http://user.test:$o->{port}/", h => $good);
is(status($r), 200, 'right password: allowed');
unlike($r, qr/^proxy-authorization=/m, 'credentials not forwarded');
is(status(get("http://user.test:$o->{port}/", h => $good)), 200, 'cached credentials');
# The cache is hit: one hash check for alice's password, then hits (the
# debug line says which, per request).
my $auth_lines = sub { my ($what) = @_;
	scalar(() = read_file($p->{error_log}) =~ /auth "Proxy": user "alice": \Q$what\E/g) };
ok(wait_for(sub { $auth_lines->('credentials cache hit') >= 1 }, 5), 'the second request hit the credentials cache');
is($auth_lines->('password hash checked'), 1, 'the password hash was checked once');
is(status(get("http://user.test:$o->{port}/", h => $bob)), 403, 'user rule denies bob');
ok(logged("$dir/access.log", qr/^127\.0\.0\.1 alice "GET http:\/\/user\.test/m), 'user in the access log');

# Loops.
is(status(get("http://127.0.0.1:$pp/")), 403, 'request to the proxy itself refused');
ok(logged("$dir/access.log", qr/rule=loop/), 'refused as a loop');

# CONNECT.
sub tunnel {
	my (%o) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $pp,
	    LocalAddr => $o{local}, Timeout => 5) or die "connect: $!";
	my $target = $o{target} // "echo.test:$eport";
	my $req = "CONNECT $target HTTP/1.1\r\nHost: $target\r\n" . ($o{h} // '') . "\r\n";
	${ $o{req} } = $req if $o{req};
	syswrite($s, $req);
	my $buf = '';
	my $until = time + 5;
	while (index($buf, "\r\n\r\n") < 0 && time < $until) {
		my $n = sysread($s, $buf, 65536, length $buf);
		last unless $n;
	}
	return ($s, $buf);
}
my ($s, $head) = tunnel();
like($head, qr{^HTTP/1\.1 200 Connection established\r\n\r\n}, 'CONNECT: 200 Connection established');
syswrite($s, "ping");
sysread($s, my $e, 100);
is($e, 'echo:ping', 'bytes relayed through the tunnel');
close $s;
# Logged when it closes, not at the hand-off: the bytes each way (the
# CONNECT head and what the client sent; what came back after our 200),
# how long it lasted, and what the worker knew (user, rule, target).
my $req;
($s, $head) = tunnel(target => "user.test:$eport", h => $good, req => \$req);
like($head, qr{^HTTP/1\.1 200 }, 'CONNECT with credentials');
syswrite($s, "ping");
sysread($s, $e, 100);
sleep 1.2;
is(status(get("http://$origin/flushed")), 200, 'a request meanwhile');
ok(logged("$dir/access.log", qr{"GET http://\Q$origin\E/flushed}), 'its line is written');
unlike(read_file("$dir/access.log"), qr{CONNECT user\.test}, 'the open tunnel is not logged yet');
close $s;
my $cl = qr{^127\.0\.0\.1 alice "CONNECT user\.test:$eport HTTP/1\.1" 200 (\d+) (\d+) ([\d.]+) rule=(\S+)$}m;
ok(logged("$dir/access.log", $cl), 'the tunnel is logged when it closes');
my ($sent, $rcvd, $secs, $rule) = read_file("$dir/access.log") =~ $cl;
is($sent, length('echo:ping'), 'bytes from the origin to the client');
is($rcvd, length($req) + length('ping'), 'bytes from the client: the CONNECT and the tunnel');
cmp_ok($secs // 0, '>=', 1.1, "duration covers the tunnel's life ($secs s)");
is($rule, 'local', 'the deciding rule (login asked for the user, local allowed)');
(undef, $head) = tunnel(target => "echo.test:22");
like($head, qr{^HTTP/1\.1 403}, 'CONNECT to a port not in connect_ports: 403');
(undef, $head) = tunnel(target => "127.0.0.1:$pp");
like($head, qr{^HTTP/1\.1 403}, 'CONNECT loop to the proxy port refused');
(undef, $head) = tunnel(target => "blocked.test:$eport");
like($head, qr{^HTTP/1\.1 403}, 'CONNECT to a denied destination: 403');
# A client that leaves mid-tunnel: the tunnel process frees both sides.
($s, $head) = tunnel();
syswrite($s, "x");
sysread($s, $e, 100);
close $s;
# Many idle tunnels held by few workers; requests still served.
my @held;
for (1 .. 200) { my ($t) = tunnel(); push @held, $t; }
is(scalar(grep { defined } @held), 200, '200 tunnels open (8 workers at most)');
is(status(get("http://$origin/")), 200, 'requests still served');
syswrite($held[-1], "last");
sysread($held[-1], $e, 100);
is($e, 'echo:last', 'the last tunnel relays');
close $_ for @held;

# IPv6 destinations: absolute-form with a bracketed address, and CONNECT.
SKIP: {
	skip 'no IPv6 loopback', 4 unless $v6;
	$r = get("http://[::1]:$h6port/v6?x=1");
	is(status($r), 200, 'absolute-form to http://[::1]:port/');
	like($r, qr{^target=/v6\?x=1\nhost=\[::1\]:$h6port$}m, 'origin-form upstream, Host keeps the brackets');
	($s, $head) = tunnel(target => "[::1]:$e6port");
	like($head, qr{^HTTP/1\.1 200 }, 'CONNECT [::1]:port');
	syswrite($s, "six");
	sysread($s, $e, 100);
	is($e, 'echo6:six', 'the IPv6 tunnel relays');
	close $s;
}

# Not an open proxy; forward-only origin-form.
$r = proxy_req("GET / HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n");
is(status($r), 400, 'forward-only server: origin-form gets 400');
my $rev = start_portier(dir => Portier::Test::testdir(), conf => <<"EOF2");
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ]; names = [ "app.test" ];
  routes = ( { path = "/"; upstream = "app"; } ); } );
EOF2
$r = raw_request($rev, "GET http://evil.test/ HTTP/1.1\r\nHost: evil.test\r\nConnection: close\r\n\r\n");
is(status($r), 403, 'reverse proxy: absolute-form for another host refused');
$r = raw_request($rev, "GET http://app.test/ok HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n");
is(status($r), 200, 'reverse proxy: absolute-form for its own host served');
$r = raw_request($rev, "CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n");
ok(status($r) >= 400, 'reverse proxy: CONNECT refused');

# Parents with failover: the first parent is dead, the second is a portier.
my $dead = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1) or die;
my $deadport = $dead->sockport; close $dead;
my $pdir = Portier::Test::testdir();
my $parent = start_portier(dir => $pdir, conf => <<"EOF2");
resolver = { hosts = "$dir/hosts"; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  access_log = "$pdir/access.log";
  forward_proxy = { connect_ports = [ $eport ]; acl = ( { client = [ "127.0.0.1" ]; action = "allow"; } ); };
} );
EOF2
my $child = start_portier(dir => Portier::Test::testdir(), conf => <<"EOF2");
resolver = { hosts = "$dir/hosts"; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  forward_proxy = { connect_ports = [ $eport ]; never_direct = true;
    parents = ( { address = "127.0.0.1:$deadport"; }, { address = "127.0.0.1:$parent->{port}"; } );
    acl = ( { action = "allow"; } ); };
} );
EOF2
$r = raw_request($child, "GET http://$origin/via-parent HTTP/1.1\r\nHost: $origin\r\nConnection: close\r\n\r\n");
is(status($r), 200, 'through the second parent after the first failed');
like($r, qr{^via=1\.1 portier, 1\.1 portier$}m, 'both proxies in Via');
my $cs = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $child->{port}) or die;
syswrite($cs, "CONNECT echo.test:$eport HTTP/1.1\r\nHost: echo.test:$eport\r\n\r\n");
my $cb = '';
while (index($cb, "\r\n\r\n") < 0) { sysread($cs, $cb, 1000, length $cb) or last; }
like($cb, qr{^HTTP/1\.1 200}, 'CONNECT through a parent');
syswrite($cs, 'pp'); sysread($cs, $e, 100);
is($e, 'echo:pp', 'tunnel through the parent relays');
close $cs;
# Access logs are written a second late at most, on the next request or
# at exit.
Portier::Test::stop($parent);
like(read_file("$pdir/access.log"), qr{GET http://origin\.test:\d+/via-parent}, 'the parent got the absolute-form request');

# The tracer: absolute-form kept for a forward proxy, and its decisions.
# The listen addresses are text here: nothing binds them.
write_file("$dir/trace.conf", <<"EOF2");
resolver = { hosts = "$dir/hosts"; };
servers = (
  { listen = [ "127.0.0.1:3128" ];
    forward_proxy = {
      local_clients = [ "127.0.0.1/32" ];
      connect_ports = [ 443 ];
      auth = { realm = "Proxy"; file = "$dir/htpasswd"; };
      parents = ( { address = "127.0.0.1:3129"; } );
      parent_dest = [ "www.origin.test" ];
      acl = (
        { name = "dest"; dest = [ "blocked.test" ]; action = "deny"; },
        { name = "login"; dest = [ "user.test" ]; action = "auth"; },
        { name = "local"; client = [ "127.0.0.0/8" ]; action = "allow"; }
      );
    };
  },
  { listen = [ "127.0.0.1:8080" ]; names = [ "www.test" ];
    routes = ( { path = "/"; return = { status = 200; body = "hi"; }; } ); }
);
EOF2
sub trace { my ($rc, $out) = portier_cmd('-f', "$dir/trace.conf", '--trace-request', @_); return $out; }
my $tr = trace('GET http://origin.test:81/a?b=1');
like($tr, qr{^request: GET http://origin\.test:81/a\?b=1, Host: origin\.test:81, }m, 'tracer: absolute-form kept for a forward proxy');
like($tr, qr{^server: servers\[0\] at \S+trace\.conf:\d+, a forward proxy$}m, 'tracer: the forward proxy server');
like($tr, qr{^forward: target origin\.test port 81$}m, 'tracer: target');
like($tr, qr{^forward: rule: "local" at \S+trace\.conf:\d+: allow$}m, 'tracer: the deciding rule');
like($tr, qr{^forward: address 127\.0\.0\.1: may be tried$}m, 'tracer: address checks');
like($tr, qr{^outcome: forward to origin\.test:81 directly$}m, 'tracer: direct');
$tr = trace('GET http://www.test/x');
like($tr, qr{^request: GET /x, Host: www\.test, }m, 'tracer: origin-form for the server naming the host');
like($tr, qr{^outcome: the route answers 200 itself$}m, 'tracer: the reverse server');
$tr = trace('GET http://www.test/x', '--trace-proxy');
like($tr, qr{^request: GET http://www\.test/x, .*on listener 127\.0\.0\.1:3128$}m, '--trace-proxy: to the forward proxy');
like($tr, qr{^forward: target www\.test port 80$}m, '--trace-proxy: its decisions');
$tr = trace('GET http://blocked.test/');
like($tr, qr{^forward: rule: "dest" at \S+:\d+: deny\n}m, 'tracer: deny rule');
like($tr, qr{^outcome: answer 403 Forbidden \(forward proxy: denied \(block page\)\)$}m, 'tracer: 403');
$tr = trace('GET http://user.test/');
like($tr, qr{^forward: rule: "login" at \S+:\d+: auth$}m, 'tracer: auth rule');
like($tr, qr{^outcome: answer 407 }m, 'tracer: 407 without credentials');
$tr = trace('GET http://user.test/', '-H', 'Proxy-Authorization: Basic ' . MIME::Base64::encode_base64('alice:s3cret', ''));
like($tr, qr{^forward: credentials: user "alice" accepted$}m, 'tracer: credentials checked');
like($tr, qr{^forward: rule: "local" at }m, 'tracer: the walk goes on past a passed auth rule');
$tr = trace('GET http://user.test/', '-H', 'Proxy-Authorization: Basic ' . MIME::Base64::encode_base64('alice:wrong', ''));
like($tr, qr{^forward: credentials: refused by }m, 'tracer: wrong password refused');
$tr = trace('CONNECT echo.test:25');
like($tr, qr{^forward: port 25 is not in connect_ports$}m, 'tracer: CONNECT port');
$tr = trace('GET http://origin.test/', '--trace-client', '127.0.0.2');
like($tr, qr{^forward: address 127\.0\.0\.1: refused by deny_private$}m, 'tracer: deny_private');
like($tr, qr{^outcome: answer 403 .*every address refused}m, 'tracer: 403 for private addresses');
$tr = trace('GET http://www.origin.test/');
like($tr, qr{^forward: parent 1: 127\.0\.0\.1:3129$}m, 'tracer: parent');
like($tr, qr{^outcome: forward through the parents, in order; then directly$}m, 'tracer: parents, then direct');
write_file("$dir/trace2.conf", "servers = ( { listen = [ \"127.0.0.1:8080\" ]; } );\n");
my ($trc, $tro) = portier_cmd('-f', "$dir/trace2.conf", '--trace-proxy', '--trace-request', 'GET http://a.test/');
is($trc, 2, '--trace-proxy without a forward proxy: usage error');
like($tro, qr{no server has forward_proxy}, 'and says why');
# The htpasswd file is read again on reload (HUP): a user added works, a
# removed one is refused, cached credentials or not.
my $carol = 'Proxy-Authorization: Basic ' . MIME::Base64::encode_base64('carol:n3w', '') . "\r\n";
is(status(get("http://user.test:$o->{port}/", h => $carol)), 407, 'carol unknown before the reload');
write_file("$dir/htpasswd", "bob:$hash\ncarol:" . crypt('n3w', '$6$ijklmnop') . "\n");
my @old = split /\s+/, `pgrep -P $p->{pid}`;
kill 'HUP', $p->{pid};
ok(wait_for(sub { Portier::Test::error_log_matches($p, qr/restart: generation 2/) }, 10), 'reloaded');
ok(wait_for(sub { !grep { kill(0, $_) } @old }, 10), 'the old workers are gone');
is(status(get("http://user.test:$o->{port}/", h => $carol)), 200, 'a user added to the file works after the reload');
ok(logged("$dir/access.log", qr/^127\.0\.0\.1 carol "GET http:\/\/user\.test/m), 'and is logged');
$r = get("http://user.test:$o->{port}/", h => $good);
is(status($r), 407, 'a removed user gets 407 (her cached credentials no longer count)');
like($r, qr/^Proxy-Authenticate: Basic realm="Proxy"/m, 'with the challenge');

done_testing();

# t/70-status.t: mod_status. The page as HTML and JSON, /metrics in the
# Prometheus text format, counters summed across workers and kept across
# a graceful restart (reset when the layout changes), the allow list, and
# runtime control of upstream servers (drain, disable, enable) by POST and
# over the control socket, with sticky sessions telling drain from disable.
# What counting costs is measured outside make check: t/bench/run.sh's
# status_ka32 scenario and t/bench/status_micro.c (see t/bench/README.md).
use strict; use warnings; use Test::More;
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use JSON::PP;
use Time::HiRes qw(sleep time);
use Portier::Test qw(start_portier start_origin http_request raw_request
    portier_cmd read_file write_file wait_for);

my $mods = $ENV{PORTIER_MODULES} // 'modules/.built';
plan(skip_all => 'mod_status not built') unless -e "$mods/mod_status.so";

sub origin {
	my ($name) = @_;
	return start_origin(sub { (200, [ 'X-Served-By' => $name ], "$name\n") });
}
my ($oa, $ob) = (origin('a'), origin('b'));
my ($A, $B) = ("127.0.0.1:$oa->{port}", "127.0.0.1:$ob->{port}");
my $src = $ENV{PORTIER_SRCDIR} // '.';

my $conf = <<"EOF";
workers = { start = 4; min_spare = 1; max_spare = 8; max = 8; };
control_socket = "%%TESTDIR%%/ctl.sock";
modules = { load = [ "mod_status" ]; };
upstreams = (
  { name = "app"; servers = ( { address = "$A"; }, { address = "$B"; } ); },
  { name = "sticky"; sticky = { cookie = "PTSRV"; };
    servers = ( { address = "$A"; }, { address = "$B"; } ); } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ]; names = [ "status.test" ];
  routes = (
    { path = "/status"; status = { enable = true; }; },
    { path = "/ro-status"; status = { enable = true; control = false; }; },
    { path = "/private-status"; status = { enable = true; allow = [ "10.0.0.0/8" ]; }; },
    { path = "/app/"; upstream = "app"; },
    { path = "/sticky/"; upstream = "sticky"; },
    { path = "/"; root = "$src/conf/www"; } ); } );
EOF
my $p = start_portier(args => [ '-M', $mods ], conf => $conf);
ok($p->{port}, 'started with mod_status');
my $sock = "$p->{dir}/ctl.sock";

# Reads one response with a Content-Length from a kept-alive socket.
sub read_response {
	my ($s) = @_;
	my $buf = '';
	while (index($buf, "\r\n\r\n") < 0) {
		sysread($s, $buf, 4096, length $buf) or return (0, {});
	}
	my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
	my ($st) = $head =~ m{^HTTP/1\.1 (\d+)};
	my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1, $2) : () } split /\r\n/, $head;
	my $len = $h{'content-length'} // 0;
	while (length $rest < $len) {
		sysread($s, $rest, 4096, length $rest) or last;
	}
	return ($st, \%h);
}

sub status_json {
	my $r = http_request($p, GET => '/status?json');
	return undef unless $r->{status} == 200;
	return eval { decode_json($r->{body}) };
}

sub route_of {
	my ($j, $path) = @_;
	for my $rt (@{ $j->{servers}[0]{routes} }) {
		return $rt if defined $rt->{route} && $rt->{route} eq $path;
	}
	return undef;
}

# --- the page ---------------------------------------------------------------
http_request($p, GET => "/?secret=$_") for 1 .. 3;
my $r = http_request($p, GET => '/status');
is($r->{status}, 200, 'HTML page');
like($r->{headers}{'content-type'}, qr{^text/html}, 'as text/html');
is($r->{headers}{'cache-control'}, 'no-store', 'never cached');
like($r->{body}, qr{<h2>Workers</h2>}, 'scoreboard section');
like($r->{body}, qr{<h2>Upstreams</h2>.*\Q$A\E}s, 'upstream section with servers');
like($r->{body}, qr{GET /status}, 'a worker shows the request it serves');
unlike($r->{body}, qr{secret}, 'query strings never shown');
like($r->{body}, qr{href="status/metrics"}, 'the link to the metrics is relative to the page');
$r = http_request($p, HEAD => '/status/');
is($r->{status}, 200, 'HEAD, with a trailing slash');
is(http_request($p, GET => '/status/nope')->{status}, 404, 'unknown sub-page: 404');
$r = http_request($p, PUT => '/status', -body => '');
is($r->{status}, 405, 'PUT: 405');
like($r->{headers}{allow} // '', qr/POST/, 'with Allow');

# A worker holding a kept-alive connection shows its last request.
my $held = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p->{port}", Timeout => 5) or die;
print $held "GET /?secret=4 HTTP/1.1\r\nHost: status.test\r\n\r\n";
read_response($held);
my $j = status_json();
close $held;
ok($j, 'JSON parses (JSON::PP)') or diag(http_request($p, GET => '/status?json')->{body});
$r = http_request($p, GET => '/status', Accept => 'application/json');
like($r->{headers}{'content-type'}, qr{^application/json}, 'Accept: application/json gives JSON');
ok(eval { decode_json($r->{body}) }, 'and it parses');
ok($j->{server}{started} > 0 && $j->{server}{uptime} >= 0, 'server start and uptime');
is($j->{server}{restarts}{graceful}, 0, 'no restarts yet');
ok($j->{helper}{running} && $j->{helper}{pid} > 0, 'helper process state');
ok($j->{tunnel}{running}, 'tunnel process state');
ok(@{ $j->{workers} } >= 4, 'workers listed');
ok((grep { $_->{request} eq 'GET /?...' } @{ $j->{workers} }), 'query masked in JSON');
# Counters move in the log hook, after the answer went out: wait for them.
wait_for(sub { my $k = status_json(); ($k && route_of($k, '/')->{classes}{'2xx'} // 0) >= 4 }, 5);
$j = status_json();
is(route_of($j, '/')->{classes}{'2xx'}, 4, 'counted per route and class');
ok($j->{totals}{statuses}{200} >= 4, 'per-status counts');
is(scalar @{ $j->{upstreams} }, 2, 'two pools');
is($j->{upstreams}[0]{servers}[0]{admin}, 'on', 'admin state on');

# --- metrics ----------------------------------------------------------------
$r = http_request($p, GET => '/status/metrics');
is($r->{status}, 200, '/metrics relative to the route');
like($r->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4}, 'Prometheus content type');
my @bad = grep { !/^(# (HELP|TYPE) \w+ .+|[a-z_]+(\{[a-z_]+="(?:[^"\\]|\\.)*"(,[a-z_]+="(?:[^"\\]|\\.)*")*\})? -?[0-9.e+]+)$/ }
    split /\n/, $r->{body};
is_deeply(\@bad, [], 'every line is a comment or a sample') or diag(join("\n", @bad[0 .. ($#bad < 5 ? $#bad : 5)]));
my $m = $r->{body};
like($m, qr/^# TYPE portier_request_duration_seconds histogram$/m, 'histogram type');
like($m, qr/^portier_requests_total\{server="status\.test",route="\/",code="2xx"\} 4$/m,
    'requests by server, route and class');
like($m, qr/^portier_request_duration_seconds_bucket\{server="status\.test",route="\/",le="\+Inf"\} 4$/m,
    'histogram +Inf bucket equals the count');
like($m, qr/^portier_request_duration_seconds_count\{server="status\.test",route="\/"\} 4$/m, 'histogram count');
like($m, qr/^portier_workers\{state="idle"\} \d+$/m, 'workers by state');
like($m, qr/^portier_upstream_server_up\{upstream="app",server="\Q$A\E"\} 1$/m, 'upstream server up');
like($m, qr/^portier_tunnel_streams 0$/m, 'tunnel streams');
like($m, qr/^portier_restarts_total\{kind="graceful"\} 0$/m, 'restarts');
like($m, qr/^portier_received_bytes_total\{server="status\.test",route="\/"\} [1-9]\d*$/m, 'bytes in');

# --- allow list -------------------------------------------------------------
$r = http_request($p, GET => '/private-status');
is($r->{status}, 403, 'client not in the allow list: 403');
unlike($r->{body}, qr/Workers/, 'and nothing of the page');

# --- counters across workers ------------------------------------------------
# Three connections held open at once: three workers, one each.
my $before = route_of(status_json(), '/')->{requests};
my @c = map { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p->{port}", Timeout => 5) } 1 .. 3;
my %pids;
for my $round (1 .. 2) {
	for my $s (@c) {
		print $s "GET /w/ HTTP/1.1\r\nHost: status.test\r\n\r\n";
		read_response($s);
	}
}
$j = status_json();
for my $w (@{ $j->{workers} }) {
	$pids{$w->{pid}} = 1 if $w->{request} eq 'GET /w/';
}
close $_ for @c;
is(keys %pids, 3, 'three workers served them');
is(route_of($j, '/')->{requests} - $before, 6, 'their counts are summed');

# --- control by POST ----------------------------------------------------------
sub served_by {
	my ($path, @h) = @_;
	my $x = http_request($p, GET => $path, @h);
	return $x->{status} == 200 ? $x->{headers}{'x-served-by'} : "s$x->{status}";
}
# Eight requests on one kept-alive connection: one worker, whose round
# robin sequence is exact.
sub spread {
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p->{port}", Timeout => 5) or die;
	my %n;
	for (1 .. 8) {
		print $s "GET /app/x HTTP/1.1\r\nHost: status.test\r\n\r\n";
		my ($st, $h) = read_response($s);
		$n{$st == 200 ? $h->{'x-served-by'} : "s$st"}++;
	}
	close $s;
	return join(',', map { "$_=$n{$_}" } sort keys %n);
}
is(spread(), 'a=4,b=4', 'both servers take requests');
$r = http_request($p, POST => "/status?upstream=app&server=$A&action=disable", -body => '');
is($r->{status}, 200, 'POST disable');
is($r->{body}, "app $A disabled\n", 'answers the new state');
is(spread(), 'b=8', 'a disabled server gets no request');
$r = http_request($p, POST => "/status?upstream=app&server=$A&action=enable&json", -body => '');
is(decode_json($r->{body})->{admin}, 'on', 'POST enable, JSON answer');
is(spread(), 'a=4,b=4', 'back in rotation');
is(http_request($p, POST => "/status?upstream=app&server=127.0.0.1:1&action=drain", -body => '')->{status},
    404, 'unknown server: 404');
is(http_request($p, POST => "/status?upstream=app&server=$A&action=explode", -body => '')->{status},
    400, 'unknown action: 400');
is(http_request($p, POST => "/ro-status?upstream=app&server=$A&action=drain", -body => '')->{status},
    403, 'control = false: 403');
is(http_request($p, POST => "/status?upstream=app&server=$A&action=drain", -body => '',
    Origin => 'http://evil.example')->{status}, 403, 'a cross-site POST (Origin) is refused');
is(http_request($p, POST => "/status?upstream=app&server=$A&action=drain", -body => '',
    Origin => "http://status.test", Host => 'status.test')->{status}, 200,
    'a same-origin POST is not');
is(spread(), 'b=8', 'drained: no new requests without a session');
http_request($p, POST => "/status?upstream=app&server=$A&action=enable", -body => '');

# --- control socket -----------------------------------------------------------
ok(-S $sock, 'control socket exists');
is((stat $sock)[2] & 07777, 0600, 'mode 0600');
sub ctl {
	my (@cmds) = @_;
	my $s = IO::Socket::UNIX->new(Peer => $sock, Timeout => 5) or return "connect: $!";
	print $s map { "$_\n" } @cmds;
	shutdown($s, 1);
	my ($out, $until) = ('', time + 5);
	my $sel = IO::Select->new($s);
	while (time < $until) {
		next unless $sel->can_read(0.1);
		sysread($s, $out, 4096, length $out) or last;
	}
	return $out;
}
my $out = ctl('show upstreams');
like($out, qr/^app \Q$A\E up admin=on health=up conns=\d+ idle=\d+ requests=\d+ failures=0$/m,
    'show upstreams');
like($out, qr/\n\n\z/, 'an answer ends with an empty line');
is(ctl("disable app $B"), "app $B disabled\n\n", 'disable over the socket');
is(spread(), 'a=8', 'requests stop going to the disabled server');
$j = status_json();
is($j->{upstreams}[0]{servers}[1]{admin}, 'disabled', 'the page shows it');
ok(!$j->{upstreams}[0]{servers}[1]{up}, 'and not up');
like(http_request($p, GET => '/status/metrics')->{body},
    qr/^portier_upstream_server_admin\{upstream="app",server="\Q$B\E"\} 2$/m, 'metrics show it');
is(ctl("enable app $B", "drain app $B", "enable app $B"),
    "app $B on\n\napp $B drain\n\napp $B on\n\n", 'several commands on one connection');
is(spread(), 'a=4,b=4', 'enabled again');
like(ctl('drain app 10.9.9.9:1'), qr/^error: no server/, 'unknown server over the socket');
like(ctl('frobnicate'), qr/^error: unknown command/, 'unknown command');
like(ctl('help'), qr/drain UPSTREAM SERVER/, 'help');

# Sticky sessions: drain keeps a session where it is, disable moves it.
$r = http_request($p, GET => '/sticky/x');
my ($cookie) = ($r->{headers}{'set-cookie'} // '') =~ /^(PTSRV=[0-9a-f]+)/;
my $home = $r->{headers}{'x-served-by'};
ok($cookie, "a session on $home");
my $home_addr = $home eq 'a' ? $A : $B;
ctl("drain sticky $home_addr");
is(join('', map { served_by('/sticky/x', Cookie => $cookie) } 1 .. 4), $home x 4,
    'drain: the session still goes to its server');
is(join('', map { served_by('/sticky/x') } 1 .. 4), ($home eq 'a' ? 'b' : 'a') x 4,
    'drain: new sessions go elsewhere');
ctl("disable sticky $home_addr");
is(join('', map { served_by('/sticky/x', Cookie => $cookie) } 1 .. 4), ($home eq 'a' ? 'b' : 'a') x 4,
    'disable: the session moves too');
ctl("enable sticky $home_addr");

# --- a graceful restart keeps counters and admin state -----------------------
ctl("drain app $B");
$j = status_json();
my $total = $j->{totals}{requests};
my $gen = $j->{server}{generation};
kill 'USR1', $p->{pid};
ok(wait_for(sub { my $x = status_json(); $x && $x->{server}{generation} > $gen }, 10), 'USR1: new generation');
$j = status_json();
is($j->{server}{restarts}{graceful}, 1, 'one graceful restart counted');
ok($j->{totals}{requests} >= $total, "counters survive it ($total -> $j->{totals}{requests})");
is($j->{upstreams}[0]{servers}[1]{admin}, 'drain', 'admin state survives it');
like(ctl('show info'), qr/restarts_graceful=1/, 'show info');
ok(-S $sock, 'the control socket stays');
is(ctl("enable app $B"), "app $B on\n\n", 'and answers (new helper)');
kill 'HUP', $p->{pid};
ok(wait_for(sub { my $x = status_json(); $x && $x->{server}{restarts}{hard} == 1 }, 10), 'HUP counted as hard');

# A changed layout (one more route) starts the counters afresh.
my $text = read_file($p->{conf});
$text =~ s{(\{ path = "/app/";)}{{ path = "/new/"; root = "$src/conf/www"; },\n    $1};
write_file($p->{conf}, $text);
$gen = status_json()->{server}{generation};
kill 'USR1', $p->{pid};
ok(wait_for(sub { my $x = status_json(); $x && $x->{server}{generation} > $gen }, 10), 'reload with a new route');
$j = status_json();
ok($j->{totals}{requests} < 5, "counters reset with the layout ($j->{totals}{requests})");
ok(route_of($j, '/new/'), 'the new route is listed');

# --- configuration errors -----------------------------------------------------
my $d = $p->{dir};
write_file("$d/bad.conf", <<"EOF");
modules = { load = [ "mod_status" ]; };
status = { allow = [ "10.0.0.0/8", "not-an-address" ]; };
servers = ( { listen = [ "127.0.0.1:0" ]; routes = ( { path = "/"; status = { enable = true; }; } ); } );
control_socket = "/tmp/${\ ('x' x 120)}";
EOF
my ($rc, $err) = portier_cmd('-t', '-M', $mods, '-f', "$d/bad.conf");
isnt($rc, 0, 'bad status configuration refused');
like($err, qr/bad\.conf:2: .*not-an-address/, 'a bad allow entry, with file and line');
like($err, qr/bad\.conf:4: control_socket: path longer than/, 'a control socket path too long');

# Stop: the master removes its socket.
Portier::Test::stop($p);
ok(!-e $sock, 'the control socket is removed at stop');
done_testing();

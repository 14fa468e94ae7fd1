# t/12-logs.t: access log formats (combined, JSON lines, custom with
# variables), per-route logs, request ids (kept only from trusted proxies),
# whole lines flushed within a second, and the error log's line format.
use strict; use warnings; use Test::More;
use Time::HiRes qw(sleep);
use Portier::Test qw(start_portier http_request read_file wait_for);

my $src = $ENV{PORTIER_SRCDIR} // '.';
my $p = start_portier(conf => <<"EOF2");
trusted_proxies = [ "127.0.0.2/32" ];
access_log = "%%TESTDIR%%/access.log";
servers = ( { listen = [ "0.0.0.0:%%PORT%%" ];
  routes = (
    { path = "/json/"; root = "$src/conf/www"; access_log = "%%TESTDIR%%/json.log";
      access_log_format = "json"; },
    { path = "/custom/"; root = "$src/conf/www"; access_log = "%%TESTDIR%%/custom.log";
      access_log_format = "%{method} %{path} q=%{query} s=%{status} h=%{header.X-Test} c=%{cookie.sid} id=%{request_id}"; },
    { path = "/"; root = "$src/conf/www"; } ); } );
EOF2
my $d = $p->{dir};

http_request($p, GET => '/style.css?x=1', 'User-Agent' => 'test/1.0', Referer => 'http://r.test/');
ok(wait_for(sub { -s "$d/access.log" }, 3), 'access log written within a second');
my $line = read_file("$d/access.log");
like($line, qr{^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /style\.css\?x=1 HTTP/1\.1" 200 \d+ "http://r\.test/" "test/1\.0"\n$},
    'combined format') or diag($line);

http_request($p, GET => '/json/x?q=1', 'User-Agent' => "a\"b");
ok(wait_for(sub { -s "$d/json.log" }, 3), 'per-route log');
my $j = read_file("$d/json.log");
like($j, qr/^\{"time":"[^"]+","request_id":"[0-9a-f]{16}","client":"127\.0\.0\.1","host":"localhost","method":"GET","uri":"\/json\/x\?q=1","protocol":"HTTP\/1\.1","status":"404"/,
    'JSON line') or diag($j);
like($j, qr/"user_agent":"a\\"b"/, 'JSON escaping');

http_request($p, GET => '/custom/a?b=c', 'X-Test' => 'v1', Cookie => 'a=1; sid=xyz; b=2',
    'X-Request-ID' => 'spoofed-id');
ok(wait_for(sub { -s "$d/custom.log" }, 3), 'custom log');
my $c = read_file("$d/custom.log");
like($c, qr{^GET /custom/a q=b=c s=404 h=v1 c=xyz id=[0-9a-f]{16}$}m, 'custom format with variables') or diag($c);
unlike($c, qr/spoofed/, 'request id from an untrusted client ignored');

SKIP: {
	my $ok = IO::Socket::INET->new(LocalAddr => '127.0.0.2', PeerAddr => '127.0.0.1',
	    PeerPort => $p->{port});
	skip('no 127.0.0.2 on this host', 1) unless $ok;
	close $ok;
	http_request($p, GET => '/custom/t', 'X-Request-ID' => 'edge-42.abc', -local => '127.0.0.2');
	ok(wait_for(sub { read_file("$d/custom.log") =~ /id=edge-42\.abc$/m }, 3),
	    'request id from a trusted proxy kept');
}

# Error log lines: time, level, module, pid, request id and client.
http_request($p, GET => '/nope');
like(read_file($p->{error_log}), qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[notice\] \[core\] pid=\d+: portier\/[\d.]+ started/m,
    'error log line format');
# log_modules: one module's lines at debug while the rest stay at notice.
my $mods = $ENV{PORTIER_MODULES} // 'modules/.built';
SKIP: {
	skip('mod_headers not built', 3) unless -e "$mods/mod_headers.so";
	my $q = start_portier(args => [ '-M', $mods ], conf => <<"EOF3");
log_level = "notice";
log_modules = ( { module = "mod_headers"; level = "debug"; } );
modules = { load = [ "mod_headers" ]; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = ( { path = "/"; root = "$src/conf/www"; } ); } );
EOF3
	http_request($q, GET => '/nope');
	my $log = read_file($q->{error_log});
	unlike($log, qr/\[debug\] \[core\]/, 'core debug lines held back');
	my ($rc, $out) = Portier::Test::portier_cmd('-t', '-f', $q->{conf}, '-M', $mods);
	is($rc, 0, 'log_modules accepted');
	Portier::Test::write_file("$q->{dir}/bad.conf", "log_modules = ( { module = \"x\"; level = \"loud\"; } );\n" .
	    "servers = ( { listen = [ \"127.0.0.1:0\" ]; } );\n");
	($rc, $out) = Portier::Test::portier_cmd('-t', '-f', "$q->{dir}/bad.conf");
	like($out, qr/bad\.conf:1: log_modules: level: unknown value "loud"/, 'a bad level is refused with file:line');
}
done_testing();

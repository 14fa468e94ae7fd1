# t/31-routing.t: virtual hosts (exact, wildcard, regex, default, first);
# routes by prefix, exact path and regex with conditions (methods, headers,
# cookies, client); fixed answers and redirects with variables; access
# rules; Basic authentication (bcrypt and SHA-512, missing, wrong, unknown
# user, the store cache, re-read on reload); what portier -t reports.
use strict; use warnings; use Test::More;
use MIME::Base64 qw(encode_base64);
use IO::Socket::INET;
use Time::HiRes qw(time);
use Portier::Test qw(start_portier start_origin http_request portier_cmd
    write_file read_file wait_for);

# Hashes made here; glibc's crypt (libxcrypt on Debian 12) knows both.
sub bcrypt { crypt($_[0], '$2b$10$' . $_[1]) }
sub sha512 { crypt($_[0], '$6$' . $_[1]) }
my $bc = bcrypt('s3cret', 'abcdefghijklmnopqrstuu');
my $sh = sha512('pa:ss', 'pepper');
plan skip_all => 'crypt() lacks bcrypt or SHA-512 here'
    unless ($bc // '') =~ /^\$2b\$10\$.{53}$/ && ($sh // '') =~ /^\$6\$/;

my $oa = start_origin(sub { (200, [], "A $_[0]{target}\n") });
my $ob = start_origin(sub { (200, [], "B $_[0]{target}\n") });
my $dir = Portier::Test::testdir();
write_file("$dir/htpasswd", "# staff\nalice:$bc\nbob:$sh\n");
# Static files behind auth: the timings below then measure portier only.
mkdir("$dir/www");
mkdir("$dir/www/staff");
write_file("$dir/www/staff/x", "staff page\n");
chmod(0755, "$dir/www", "$dir/www/staff");

my $p = start_portier(dir => $dir, conf => <<"EOF");
upstreams = ( { name = "a"; servers = ( { address = "127.0.0.1:$oa->{port}"; } ); },
              { name = "b"; servers = ( { address = "127.0.0.1:$ob->{port}"; } ); } );
servers = (
  { listen = [ "127.0.0.1:%%PORT%%" ]; names = [ "www.example.com" ];
    routes = ( { path = "/"; return = { status = 200; body = "exact\\n"; }; } ); },
  { listen = [ "127.0.0.1:%%PORT%%" ]; names = [ "*.example.com" ];
    routes = ( { path = "/"; return = { status = 200; body = "wild %{host}\\n"; }; } ); },
  { listen = [ "127.0.0.1:%%PORT%%" ]; names = [ "*.deep.example.com" ];
    routes = ( { path = "/"; return = { status = 200; body = "deep\\n"; }; } ); },
  { listen = [ "127.0.0.1:%%PORT%%" ]; names = [ "~^api\\\\d+\\\\.example\\\\.net\$" ];
    routes = ( { path = "/"; return = { status = 200; body = "regex\\n"; }; } ); },
  { listen = [ "127.0.0.1:%%PORT%%" ]; names = [ "main.test" ]; default = true;
    access_log = "%%TESTDIR%%/access.log";
    routes = (
      { exact = "/login"; return = { status = 200; body = "login\\n"; }; },
      { regex = "^/img/.*\\\\.(png|jpg)\$"; return = { status = 200; body = "image\\n"; }; },
      { path = "/api/"; methods = [ "POST", "PUT" ]; upstream = "b"; },
      { path = "/api/"; header = ( { name = "X-Env"; value = "beta"; } ); upstream = "b"; },
      { path = "/api/"; cookie = ( { name = "ab"; value = "~^b"; } ); upstream = "b";
        proxy = { strip_prefix = true; }; },
      { path = "/api/"; header = ( { name = "X-Debug"; present = true; } );
        return = { status = 200; body = "debug %{header.X-Debug}\\n"; }; },
      { path = "/api/"; upstream = "a"; },
      { path = "/old/"; return = { status = 301; location = "https://%{host}%{uri}"; }; },
      { path = "/gone"; return = { status = 410; }; },
      { path = "/internal/"; access = ( { allow = [ "10.0.0.0/8" ]; }, { deny = "all"; } );
        upstream = "a"; },
      { path = "/local/"; access = ( { deny = [ "10.0.0.0/8" ]; }, { allow = [ "127.0.0.0/8" ]; },
        { deny = "all"; } ); upstream = "a"; },
      { path = "/staff/"; root = "%%TESTDIR%%/www";
        auth = { realm = "Staff"; file = "%%TESTDIR%%/htpasswd"; }; },
      { path = "/nocache/"; upstream = "a";
        auth = { realm = "Staff"; file = "%%TESTDIR%%/htpasswd"; cache = "0s"; }; },
      { path = "/"; upstream = "a"; } ); },
  { listen = [ "127.0.0.1:%%PORT%%" ]; names = [ "private.test" ];
    auth = { realm = "Private"; file = "%%TESTDIR%%/htpasswd"; };
    routes = ( { path = "/public/"; auth = "off"; upstream = "a"; },
               { path = "/"; upstream = "a"; } ); },
  { listen = [ "127.0.0.2:%%PORT%%" ]; names = [ "x.test" ];
    routes = ( { path = "/"; return = { status = 200; body = "x\\n"; }; } ); },
  { listen = [ "127.0.0.2:%%PORT%%" ]; names = [ "y.test" ];
    routes = ( { path = "/"; return = { status = 200; body = "y\\n"; }; } ); }
);
EOF
my ($port1) = ($p->{listeners}{'127.0.0.1:0'} // '') =~ /:(\d+)$/;
my ($port2) = ($p->{listeners}{'127.0.0.2:0'} // '') =~ /:(\d+)$/;
ok($port1 && $port2, 'two listeners') or BAIL_OUT('portier did not start');

sub get {
	my ($host, $path, @h) = @_;
	return http_request($p, GET => $path, Host => $host, -port => $port1, @h);
}

# 1. Virtual hosts.
is(get('www.example.com', '/')->{body}, "exact\n", 'exact name');
is(get('WWW.Example.COM.:80', '/')->{body}, "exact\n", 'case, trailing dot and port ignored');
is(get('a.example.com', '/')->{body}, "wild a.example.com\n", 'wildcard');
is(get('a.b.example.com', '/')->{body}, "wild a.b.example.com\n", 'wildcard, deeper');
is(get('x.deep.example.com', '/')->{body}, "deep\n", 'the longest wildcard wins');
is(get('api42.example.net', '/')->{body}, "regex\n", 'regex name');
is(get('example.com', '/login')->{body}, "login\n", 'bare domain: not the wildcard, the default');
is(get('nobody.test', '/login')->{body}, "login\n", 'unknown host: the default server');
is(http_request($p, GET => '/', Host => 'zzz.test', -addr => '127.0.0.2', -port => $port2)->{body},
    "x\n", 'no default on the address: its first server');
is(http_request($p, GET => '/', Host => 'y.test', -addr => '127.0.0.2', -port => $port2)->{body},
    "y\n", 'second listener: by name');

# 2. Routes and conditions (the default server).
is(get('main.test', '/login')->{body}, "login\n", 'exact path');
is(get('main.test', '/login/x')->{body}, "A /login/x\n", 'exact: nothing below it');
is(get('main.test', '/img/a/b.png')->{body}, "image\n", 'regex route');
is(get('main.test', '/img/a.gif')->{body}, "A /img/a.gif\n", 'regex: no match, next route');
is(get('main.test', '/img/%61.jpg')->{body}, "image\n", 'regex on the normalised path');
is(get('main.test', '/api/x?q=1')->{body}, "A /api/x?q=1\n", 'no condition holds: plain route');
is(http_request($p, POST => '/api/x', Host => 'main.test', -port => $port1, -body => 'z')->{body}, "B /api/x\n",
    'method condition');
is(get('main.test', '/api/x', 'X-Env' => 'beta')->{body}, "B /api/x\n", 'header condition');
is(get('main.test', '/api/x', 'X-Env' => 'alpha')->{body}, "A /api/x\n", 'header value differs');
is(get('main.test', '/api/x?k=v', Cookie => 'a=1; ab=blue')->{body}, "B /x?k=v\n",
    'cookie regex condition, prefix stripped');
is(get('main.test', '/api/x', Cookie => 'ab=red')->{body}, "A /api/x\n", 'cookie does not match');
is(get('main.test', '/api/x', 'X-Debug' => 'on')->{body}, "debug on\n", 'header presence; body variables');

# 3. Fixed answers.
my $r = get('main.test', '/old/page?a=1&b=2');
is($r->{status}, 301, 'redirect status');
is($r->{headers}{location}, 'https://main.test/old/page?a=1&b=2', 'Location: https, host and uri as received');
$r = http_request($p, GET => 'http://main.test/old/x?y', Host => 'main.test', -port => $port1);
is($r->{headers}{location}, 'https://main.test/old/x?y', 'absolute-form target: %{uri} is path and query');
$r = get('main.test', '/gone');
is($r->{status}, 410, 'status without body');
like($r->{body}, qr/410 Gone/, 'the usual page');

# 4. Access rules.
is(get('main.test', '/internal/x')->{status}, 403, 'not in the allowed range: 403');
is(get('main.test', '/local/x')->{status}, 200, 'allowed by the second rule');

# 5. Basic authentication.
sub basic { 'Basic ' . encode_base64($_[0], '') }
# A blocking client: http_request polls in 10 ms steps, too coarse here.
sub timed {
	my ($path, @h) = @_;
	my $req = "GET $path HTTP/1.1\r\nHost: main.test\r\nConnection: close\r\n";
	while (my ($k, $v) = splice(@h, 0, 2)) { $req .= "$k: $v\r\n"; }
	my $t0 = time;
	my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port1,
	    Proto => 'tcp', Timeout => 5) or die "connect: $!";
	$sock->syswrite("$req\r\n");
	my $raw = '';
	while ($sock->sysread(my $chunk, 65536)) { $raw .= $chunk; }
	my $t = time - $t0;
	close($sock);
	my ($st) = $raw =~ m{^HTTP/1\.1 (\d{3})};
	my ($body) = $raw =~ m{\r\n\r\n(.*)\z}s;
	return ({ status => $st // 0, body => $body // '' }, $t);
}
$r = get('main.test', '/staff/x');
is($r->{status}, 401, 'no credentials: 401');
is($r->{headers}{'www-authenticate'}, 'Basic realm="Staff", charset="UTF-8"', 'challenge');
is(get('main.test', '/staff/x', Authorization => 'Bearer abc')->{status}, 401, 'other scheme: 401');
is(get('main.test', '/staff/x', Authorization => 'Basic !!!!')->{status}, 401, 'bad base64: 401');
my ($t_wrong, $t_unknown);
($r, $t_wrong) = timed('/staff/x', Authorization => basic('alice:wrong'));
is($r->{status}, 401, 'wrong password: 401');
($r, $t_unknown) = timed('/staff/x', Authorization => basic('mallory:s3cret'));
is($r->{status}, 401, 'unknown user: 401');
cmp_ok($t_unknown, '>', 0.020, 'unknown user: a hash is still computed')
    or diag("wrong password ${t_wrong}s, unknown user ${t_unknown}s");
my ($r1, $t1) = timed('/staff/x', Authorization => basic('alice:s3cret'));
is($r1->{status}, 200, 'bcrypt user: 200');
is($r1->{body}, "staff page\n", 'served');
cmp_ok($t1, '>', 0.020, 'first request pays for bcrypt (cost 10)');
my $best = 1;
for (1 .. 5) {
	my ($rc, $tc) = timed('/staff/x', Authorization => basic('alice:s3cret'));
	is($rc->{status}, 200, 'cached credentials: 200');
	$best = $tc if $tc < $best;
}
cmp_ok($best, '<', 0.010, 'a cache hit skips bcrypt') or diag("first ${t1}s, cached ${best}s");
my ($r2, $t2) = timed('/nocache/x', Authorization => basic('alice:s3cret'));
is($r2->{status}, 200, 'cache = "0s": 200');
cmp_ok($t2, '>', 0.020, 'cache = "0s": bcrypt every time');
is(get('main.test', '/staff/x', Authorization => basic('bob:pa:ss'))->{status}, 200,
    'SHA-512 user, a colon in the password');
is(get('main.test', '/staff/x', Authorization => basic('bob:pa:sS'))->{status}, 401, 'SHA-512: wrong');
is(get('private.test', '/x')->{status}, 401, 'server-level auth inherited by its routes');
is(get('private.test', '/public/x')->{status}, 200, 'auth = "off" in a route');
ok(wait_for(sub { read_file("$dir/access.log") =~ m{^127\.0\.0\.1 - alice \[[^\]]+\] "GET /staff/x }m }, 5),
    'the user in the access log');
ok(wait_for(sub { read_file("$dir/access.log") =~ m{^127\.0\.0\.1 - - \[[^\]]+\] "GET /login }m }, 5),
    '"-" without a user');

# The file is read again on reload: a new password for alice.
write_file("$dir/htpasswd", "alice:" . sha512('n3w', 'salt2') . "\n");
kill('USR1', $p->{pid});
ok(wait_for(sub { Portier::Test::error_log_matches($p, qr/graceful restart: generation 2/) }, 10),
    'reloaded');
ok(wait_for(sub { get('main.test', '/staff/x', Authorization => basic('alice:n3w'))->{status} == 200 }, 10),
    'reload: the new password works');
is(get('main.test', '/staff/x', Authorization => basic('alice:s3cret'))->{status}, 401,
    'reload: the old one, although cached, does not');
is(get('main.test', '/staff/x', Authorization => basic('bob:pa:ss'))->{status}, 401,
    'reload: a removed user is refused');

# 6. What portier -t reports.
write_file("$dir/users", "ok:$sh\n# comment\nbad line\nmd5:\$apr1\$abc\$def\n");
write_file("$dir/bad.conf", <<"EOF");
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:9"; } ); } );
servers = (
  { listen = [ "127.0.0.1:0" ]; default = true; names = [ "*x.test", "~(" ]; },
  { listen = [ "127.0.0.1:0" ]; default = true;
    routes = (
      { path = "/"; upstream = "app"; },
      { path = "/api/"; upstream = "app"; },
      { exact = "/login"; upstream = "app"; },
      { path = "/a"; exact = "/b"; },
      { regex = "(unclosed"; },
      { methods = [ "get" ]; path = "/m"; },
      { path = "/r"; return = { status = 301; }; },
      { path = "/s"; return = { status = 200; location = "%{nope}"; }; },
      { path = "/t"; upstream = "app"; return = { status = 404; }; },
      { path = "/u"; header = ( { name = "X"; } ); },
      { path = "/v"; access = ( { allow = "10.0.0.0/33"; }, { deny = "all"; }, { allow = "::1"; } ); },
      { path = "/w"; auth = { realm = "R"; file = "users"; }; } ); }
);
EOF
my ($rc, $out) = portier_cmd('-t', '-f', "$dir/bad.conf");
isnt($rc, 0, '-t refuses it');
like($out, qr{bad\.conf:3: servers\[0\]\.names: bad wildcard "\*x\.test"}, 'bad wildcard');
like($out, qr{bad\.conf:4: servers\[1\]\.default: the server at \S+bad\.conf:3 is already the default},
    'two defaults on one address');
like($out, qr{bad\.conf:7: servers\[1\]\.routes\[1\]\.path: warning: route "/api/" is never used: the earlier route "/"},
    'shadowed prefix: a warning');
like($out, qr{bad\.conf:8: servers\[1\]\.routes\[2\]\.exact: warning: route "/login" is never used.*exact path first},
    'shadowed exact path: a warning');
like($out, qr{bad\.conf:9: servers\[1\]\.routes\[3\]: set only one of "path", "exact" and "regex"}, 'two matches');
like($out, qr{bad\.conf:10: servers\[1\]\.routes\[4\]\.regex: bad regex "\(unclosed": missing closing parenthesis},
    'bad regex');
like($out, qr{bad\.conf:11: servers\[1\]\.routes\[5\]\.methods: "get": methods are case-sensitive}, 'lowercase method');
like($out, qr{bad\.conf:12: servers\[1\]\.routes\[6\]\.return: status 301 needs a location}, 'redirect without location');
like($out, qr{bad\.conf:13: servers\[1\]\.routes\[7\]\.return\.location: unknown variable %\{nope\}}, 'unknown variable');
like($out, qr{bad\.conf:14: servers\[1\]\.routes\[8\]\.return: a route with return answers itself: remove its upstream},
    'return and upstream');
like($out, qr{bad\.conf:15: servers\[1\]\.routes\[9\]\.header\[0\]: set exactly one of "value" and "present"},
    'header condition without value');
like($out, qr{bad\.conf:16: servers\[1\]\.routes\[10\]\.access\[0\]\.allow: not an address, a range or "all": "10\.0\.0\.0/33"},
    'bad range');
like($out, qr{bad\.conf:16: servers\[1\]\.routes\[10\]\.access\[2\]: warning: never used}, 'rule after "all"');
like($out, qr{bad\.conf:17: servers\[1\]\.routes\[11\]\.auth\.file: \S+/users:3: expected user:hash}, 'htpasswd: bad line');
like($out, qr{bad\.conf:17: .*/users:4: user "md5": unsupported hash type: Apache MD5}, 'htpasswd: MD5 refused');
unlike($out, qr{routes\[0\]}, 'nothing about the first route');

# -T prints the new keys in a form that loads again.
write_file("$dir/good.conf", <<"EOF");
servers = ( { listen = [ "127.0.0.1:0" ]; names = [ "*.example.com", "~^a\\\\d\$" ]; default = true;
  access = ( { allow = [ "10.0.0.0/8", "all" ]; } );
  auth = { realm = "R"; file = "htpasswd"; cache = "1m"; };
  routes = ( { regex = "^/x"; methods = [ "GET" ]; client = [ "::1" ];
               header = ( { name = "A"; value = "~b"; }, { name = "C"; present = false; } );
               cookie = ( { name = "d"; value = "e"; } );
               auth = "off"; return = { status = 200; body = "ok\\n"; }; },
             { path = "/"; auth = "off"; root = "$dir/www"; } ); } );
EOF
($rc, $out) = portier_cmd('-T', '-f', "$dir/good.conf");
is($rc, 0, '-T exits 0') or diag($out);
unlike($out, qr/warning/, 'no warnings');
like($out, qr/regex = "\^\/x";/, '-T: regex');
like($out, qr/header = \( \{ name = "A"; value = "~b"; \}, \{ name = "C"; present = false; \} \);/, '-T: headers');
like($out, qr/auth = \{ realm = "R"; file = "\S+htpasswd"; cache = "1m"; \};/, '-T: auth');
like($out, qr/return = \{ status = 200; body = "ok\\n";/, '-T: return');
write_file("$dir/dump.conf", $out);
($rc, my $out2) = portier_cmd('-t', '-f', "$dir/dump.conf");
is($rc, 0, 'the dump loads again') or diag($out2);

done_testing();

# t/20-static.t: static files: types, index, redirects, conditionals,
# ranges, methods, and traversal attempts that must never leave the root.
use strict; use warnings; use Test::More;
use File::Temp qw(tempdir);
use Portier::Test qw(start_portier http_request raw_request write_file);

my $root = tempdir(CLEANUP => 1);
chmod 0755, $root;
mkdir "$root/sub";
mkdir "$root/empty";
write_file("$root/index.html", "<h1>home</h1>\n");
write_file("$root/sub/index.html", "sub index\n");
write_file("$root/a.txt", join('', map { chr(97 + $_ % 26) } 0 .. 999));
write_file("$root/big.bin", 'x' x (300 * 1024));
my $outside = tempdir(CLEANUP => 1);
write_file("$outside/secret", "secret\n");
symlink("$outside/secret", "$root/link-out");
symlink("a.txt", "$root/link-in");   # relative: absolute links count as leaving
my $src = $ENV{PORTIER_SRCDIR} // '.';

my $p = start_portier(conf => <<"EOF2");
mime_types = "$src/conf/mime.types";
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = ( { path = "/"; root = "$root"; } ); } );
EOF2

my $r = http_request($p, GET => '/a.txt');
is($r->{status}, 200, 'file');
is(length $r->{body}, 1000, 'whole body');
like($r->{headers}{'content-type'}, qr{^text/plain}, 'MIME type');
ok(my $etag = $r->{headers}{etag}, 'ETag');
ok(my $lm = $r->{headers}{'last-modified'}, 'Last-Modified');
is($r->{headers}{'accept-ranges'}, 'bytes', 'Accept-Ranges');

is(http_request($p, GET => '/a.txt', 'If-None-Match' => $etag)->{status}, 304, 'If-None-Match: 304');
is(http_request($p, GET => '/a.txt', 'If-None-Match' => '"other"')->{status}, 200, 'other tag: 200');
is(http_request($p, GET => '/a.txt', 'If-Modified-Since' => $lm)->{status}, 304, 'If-Modified-Since: 304');
is(http_request($p, GET => '/a.txt', 'If-Match' => '"other"')->{status}, 412, 'If-Match fails: 412');

$r = http_request($p, GET => '/a.txt', Range => 'bytes=10-19');
is($r->{status}, 206, 'range: 206');
is($r->{body}, 'klmnopqrst', 'range body');
is($r->{headers}{'content-range'}, 'bytes 10-19/1000', 'Content-Range');
$r = http_request($p, GET => '/a.txt', Range => 'bytes=-5');
is($r->{body}, substr(join('', map { chr(97 + $_ % 26) } 0 .. 999), -5), 'suffix range');
$r = http_request($p, GET => '/a.txt', Range => 'bytes=5000-');
is($r->{status}, 416, 'unsatisfiable: 416');
is($r->{headers}{'content-range'}, 'bytes */1000', '416 Content-Range');
is(http_request($p, GET => '/a.txt', Range => 'bytes=0-1', 'If-Range' => '"other"')->{status}, 200,
    'If-Range mismatch: whole file');

$r = http_request($p, GET => '/big.bin');
is(length $r->{body}, 300 * 1024, 'large file (sendfile)');
$r = http_request($p, HEAD => '/big.bin');
is($r->{headers}{'content-length'}, 300 * 1024, 'HEAD length');
is($r->{body}, '', 'HEAD: no body');

is(http_request($p, GET => '/')->{body}, "<h1>home</h1>\n", 'index at /');
$r = http_request($p, GET => '/sub?x=1');
is($r->{status}, 301, 'folder without slash: 301');
is($r->{headers}{location}, '/sub/?x=1', 'Location keeps the query');
is(http_request($p, GET => '/sub/')->{body}, "sub index\n", 'folder index');
is(http_request($p, GET => '/empty/')->{status}, 403, 'folder without index: 403');
is(http_request($p, GET => '/nope')->{status}, 404, 'missing: 404');
$r = http_request($p, POST => '/a.txt', -body => 'x');
is($r->{status}, 405, 'POST: 405');
like($r->{headers}{allow}, qr/GET, HEAD/, 'Allow');

# Traversal: none of these may reach outside the root.
for my $t ('/../secret', '/%2e%2e/secret', '/sub/%2e%2e/%2e%2e/secret',
    '/..%2fsecret', '/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', '/a.txt%00.html',
    '/sub/../../../etc/passwd') {
	my $raw = raw_request($p, "GET $t HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
	my ($st) = $raw =~ m{^HTTP/1\.1 (\d{3})};
	ok($st == 400 || $st == 403 || $st == 404, "$t refused ($st)");
	unlike($raw, qr/secret|root:/, "$t leaks nothing");
}
is(http_request($p, GET => '/link-out')->{status}, 403, 'symlink out of the root: 403');
is(http_request($p, GET => '/link-in')->{status}, 200, 'symlink inside the root: 200');
is(http_request($p, GET => '/sub/../a.txt')->{status}, 200, 'dot segments inside the root resolve');
done_testing();

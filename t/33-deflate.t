# t/33-deflate.t: mod_deflate: static files and proxied responses in
# gzip, brotli and zstd as Accept-Encoding and the server's order choose;
# Vary, weak ETags; no compression for HEAD, ranges, encoded bodies,
# no-transform, small bodies, unlisted types, q=0 or no Accept-Encoding;
# HTTP/1.0 clients (until close), keep-alive framing, 1 MiB round trips,
# a client that leaves mid-body, and configuration errors.
use strict; use warnings; use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use Portier::Test qw(start_portier start_origin raw_request portier_cmd
    write_file read_file);

my $mods = $ENV{PORTIER_MODULES} // 'modules/.built';
plan(skip_all => 'mod_deflate not built') unless -e "$mods/mod_deflate.so";
my $src = $ENV{PORTIER_SRCDIR} // '.';

sub have { my $t = `command -v $_[0] 2>/dev/null`; return $t =~ /\S/ }
my %tool = (br => have('brotli'), zstd => have('zstd'));
my $tmp = tempdir(CLEANUP => 1);

# Decodes a body in a content coding; undef when it does not decode.
sub decode {
	my ($coding, $data) = @_;
	if ($coding eq 'gzip') {
		my $out;
		gunzip(\$data => \$out) or return undef;
		return $out;
	}
	my @cmd = $coding eq 'br' ? ('brotli', '-d', '-c') : ('zstd', '-d', '-c', '-q');
	write_file("$tmp/in", $data);
	my $pid = open(my $fh, '-|') // die "fork: $!";
	if ($pid == 0) {
		open(STDERR, '>', '/dev/null');
		exec(@cmd, "$tmp/in") or exit 127;
	}
	binmode($fh);
	local $/;
	my $out = <$fh> // '';
	close($fh);
	return $? == 0 ? $out : undef;
}

# Undoes chunked framing; undef when the framing is broken.
sub dechunk {
	my ($raw) = @_;
	my $body = '';
	while (1) {
		$raw =~ s/^([0-9a-fA-F]+)\r\n// or return undef;
		my $n = hex $1;
		if ($n == 0) {
			return $raw eq "\r\n" ? $body : undef;
		}
		return undef if length($raw) < $n + 2 || substr($raw, $n, 2) ne "\r\n";
		$body .= substr($raw, 0, $n);
		substr($raw, 0, $n + 2) = '';
	}
}

# One response parsed from raw bytes: status, headers (lowercase; repeated
# joined with ", "), body with chunked framing undone.
sub parse {
	my ($raw, $head_only) = @_;
	my $i = index($raw, "\r\n\r\n");
	return { status => 0, raw => $raw } if $i < 0;
	my ($line, @f) = split /\r\n/, substr($raw, 0, $i);
	my $rest = substr($raw, $i + 4);
	my %h;
	for (@f) {
		my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
		$h{lc $k} = exists $h{lc $k} ? "$h{lc $k}, $v" : $v;
	}
	my ($st) = $line =~ m{^HTTP/1\.1 (\d{3})};
	my $body = $rest;
	if ($head_only) {
		$body = '';
	} elsif (($h{'transfer-encoding'} // '') eq 'chunked') {
		$body = dechunk($rest);
	} elsif (defined $h{'content-length'}) {
		$body = substr($rest, 0, $h{'content-length'});
	}
	return { status => $st, headers => \%h, body => $body, raw => $raw };
}

my $p;
sub get {
	my ($method, $path, @h) = @_;
	my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n";
	while (my ($k, $v) = splice(@h, 0, 2)) { $req .= "$k: $v\r\n"; }
	$req .= "Connection: close\r\n\r\n";
	return parse(raw_request($p, $req, timeout => 10), $method eq 'HEAD');
}

# Content: text that compresses, and a 1 MiB page of varied lines.
my $root = tempdir(CLEANUP => 1);
chmod 0755, $root;
my $page = join('', map { "<p>line $_: the quick brown fox jumps over the lazy dog</p>\n" } 1 .. 200);
my $big = '';
for (my $i = 0; length($big) < 1024 * 1024; $i++) {
	$big .= "<li id=\"n$i\">" . ($i * 7919 % 100003) . " " . ('abcdefghij' x ($i % 5)) . "</li>\n";
}
$big = substr($big, 0, 1024 * 1024);
my $png = join('', map { chr($_ * 37 % 256) } 0 .. 4095);
write_file("$root/page.html", $page);
write_file("$root/big.html", $big);
write_file("$root/small.txt", "short\n");
write_file("$root/style.css", "body { color: black; }\n" x 40);
write_file("$root/image.png", $png);
write_file("$root/data.json", '{"k":' . ('"v",' x 200) . '"end"}');
mkdir "$root/off";
write_file("$root/off/page.html", $page);

my $medium = substr($page, 0, 1000);
my $gz_page;
{
	use IO::Compress::Gzip qw(gzip);
	gzip(\$page => \$gz_page);
}
my $o = start_origin(sub {
	my ($q) = @_;
	my $path = $q->{path};
	return (200, [ 'Content-Type' => 'text/html; charset=utf-8', ETag => '"v1"' ], $page)
	    if $path eq '/page';
	return (200, [ 'Content-Type' => 'text/html' ], $big) if $path eq '/big';
	return (200, [ 'Content-Type' => 'text/html', 'Content-Encoding' => 'gzip' ], $gz_page)
	    if $path eq '/encoded';
	return (200, [ 'Content-Type' => 'text/plain', 'Cache-Control' => 'public, no-transform' ], $page)
	    if $path eq '/notransform';
	return (200, [ 'Content-Type' => 'application/json', 'Vary' => 'Origin' ], $page)
	    if $path eq '/vary';
	return (200, [ 'Content-Type' => 'text/plain', 'Vary' => 'accept-encoding' ], $page)
	    if $path eq '/vary-ae';
	return (200, [ 'Content-Type' => 'text/plain' ], 'tiny') if $path eq '/small';
	return (200, [ 'Content-Type' => 'text/plain' ], $medium) if $path eq '/medium';
	return (404, [ 'Content-Type' => 'text/html' ], $page) if $path eq '/missing';
	return (200, [ 'Content-Type' => 'application/octet-stream' ], $page) if $path eq '/binary';
	if ($path eq '/chunked') {
		my $c = join('', map { sprintf("%x\r\n%s\r\n", length $_, $_) } ($page) x 3);
		return (\"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n${c}0\r\n\r\n");
	}
	if ($path eq '/chunked-small') {
		return (\"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
	}
	return (200, [ 'Content-Type' => 'text/plain' ], "ae=" . ($q->{headers}{'accept-encoding'} // '-'))
	    if $path eq '/ae';
	return (404, [], 'no');
});

$p = start_portier(args => [ '-M', $mods ], conf => <<"EOF2");
mime_types = "$src/conf/mime.types";
modules = { load = [ "mod_deflate" ]; };
deflate = { enable = true; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = (
    { path = "/app/"; upstream = "app"; proxy = { strip_prefix = true; }; },
    { path = "/stream/"; upstream = "app"; proxy = { strip_prefix = true; buffering = false; }; },
    { path = "/gz/"; upstream = "app"; proxy = { strip_prefix = true; };
      deflate = { encodings = [ "gzip" ]; gzip_level = 1; }; },
    { path = "/pref/"; upstream = "app"; proxy = { strip_prefix = true; };
      deflate = { encodings = [ "gzip", "zstd", "br" ]; }; },
    { path = "/wild/"; upstream = "app"; proxy = { strip_prefix = true; };
      deflate = { types = [ "text/*" ]; min_size = "2k"; brotli_level = 11;
                  zstd_level = 19; }; },
    { path = "/off/"; root = "$root"; deflate = { enable = false; }; },
    { path = "/"; root = "$root"; } ); } );
EOF2
ok($p->{port}, 'portier started with mod_deflate');

# Checks one compressed answer: coding, Vary, framing, and the body.
sub is_coded {
	my ($r, $coding, $want, $name) = @_;
	is($r->{status}, 200, "$name: 200");
	is($r->{headers}{'content-encoding'}, $coding, "$name: Content-Encoding $coding");
	like($r->{headers}{vary} // '', qr/\bAccept-Encoding\b/i, "$name: Vary");
	ok(!defined $r->{headers}{'content-length'}, "$name: no Content-Length");
	is($r->{headers}{'transfer-encoding'}, 'chunked', "$name: chunked");
	SKIP: {
		skip("no $coding tool to decode with", 1) if $coding ne 'gzip' && !$tool{$coding};
		my $got = defined $r->{body} ? decode($coding, $r->{body}) : undef;
		ok(defined $got && $got eq $want, "$name: decodes to the original")
		    or diag('got ' . (defined $got ? length($got) . ' bytes' : 'undef'));
	}
}

sub is_plain {
	my ($r, $want, $name, %o) = @_;
	is($r->{status}, $o{status} // 200, "$name: status");
	ok(!defined $r->{headers}{'content-encoding'}, "$name: no Content-Encoding")
	    or diag($r->{headers}{'content-encoding'});
	is($r->{body}, $want, "$name: body as is") if defined $want;
}

# Static files, each coding.
for my $c ([ 'gzip', 'gzip' ], [ 'br', 'br' ], [ 'zstd', 'zstd' ]) {
	my ($ae, $coding) = @$c;
	is_coded(get(GET => '/page.html', 'Accept-Encoding' => $ae), $coding, $page, "static $ae");
}
is_coded(get(GET => '/style.css', 'Accept-Encoding' => 'gzip, deflate, br, zstd'), 'br',
    "body { color: black; }\n" x 40, 'default order: br first');
is_coded(get(GET => '/data.json', 'Accept-Encoding' => 'gzip;q=1, br;q=0.5, zstd;q=0.8'), 'gzip',
    read_file("$root/data.json"), 'q-values beat the server order');
is_coded(get(GET => '/page.html', 'Accept-Encoding' => 'br;q=0, *'), 'zstd', $page, '"*" and br;q=0');

# Static validators: a weak ETag, no Accept-Ranges once compressed.
my $plain = get(GET => '/page.html');
my $coded = get(GET => '/page.html', 'Accept-Encoding' => 'gzip');
like($plain->{headers}{etag}, qr/^"/, 'identity: strong ETag');
is($coded->{headers}{etag}, "W/$plain->{headers}{etag}", 'compressed: the same ETag, weak');
ok(!defined $coded->{headers}{'accept-ranges'}, 'compressed: no Accept-Ranges');
is(get(GET => '/page.html', 'Accept-Encoding' => 'gzip',
    'If-None-Match' => $coded->{headers}{etag})->{status}, 304, 'weak ETag revalidates: 304');

# Not compressed, but Vary says the answer depends on Accept-Encoding.
for my $c ([ 'no Accept-Encoding' ], [ 'q=0', 'Accept-Encoding' => 'gzip;q=0, br;q=0, zstd;q=0' ],
    [ 'identity only', 'Accept-Encoding' => 'identity' ],
    [ 'unknown codings', 'Accept-Encoding' => 'deflate, compress' ],
    [ '*;q=0', 'Accept-Encoding' => '*;q=0' ]) {
	my ($name, @h) = @$c;
	my $r = get(GET => '/page.html', @h);
	is_plain($r, $page, $name);
	is($r->{headers}{'content-length'}, length $page, "$name: Content-Length kept");
	like($r->{headers}{vary} // '', qr/^Accept-Encoding$/, "$name: Vary: Accept-Encoding");
}

# Never compressed, and no Vary where no client would get a coding.
my $r = get(GET => '/small.txt', 'Accept-Encoding' => 'gzip');
is_plain($r, "short\n", 'below min_size');
ok(!defined $r->{headers}{vary}, 'below min_size: no Vary');
$r = get(GET => '/image.png', 'Accept-Encoding' => 'gzip');
is_plain($r, $png, 'unlisted type');
ok(!defined $r->{headers}{vary}, 'unlisted type: no Vary');
$r = get(HEAD => '/page.html', 'Accept-Encoding' => 'gzip');
is_plain($r, undef, 'HEAD');
is($r->{headers}{'content-length'}, length $page, 'HEAD: Content-Length of the file');
$r = get(GET => '/page.html', 'Accept-Encoding' => 'gzip', Range => 'bytes=0-9');
is_plain($r, substr($page, 0, 10), 'range', status => 206);
$r = get(GET => '/page.html', 'Accept-Encoding' => 'gzip', Range => 'bytes=0-9',
    'If-Range' => '"stale"');
is_plain($r, $page, 'Range header, whole file sent (If-Range failed)');
$r = get(GET => '/page.html', 'Accept-Encoding' => 'gzip', 'Cache-Control' => 'no-transform');
is_plain($r, $page, 'request Cache-Control: no-transform');
$r = get(GET => '/off/page.html', 'Accept-Encoding' => 'gzip');
is_plain($r, $page, 'enable = false in a route');
ok(!defined $r->{headers}{vary}, 'enable = false: no Vary');
is($r->{headers}{'content-length'}, length $page, 'enable = false: Content-Length kept');
$r = get(GET => '/nonesuch.html', 'Accept-Encoding' => 'gzip');
is_plain($r, undef, 'error page', status => 404);

# 1 MiB static, each coding, exactly.
for my $c (qw(gzip br zstd)) {
	is_coded(get(GET => '/big.html', 'Accept-Encoding' => $c), $c, $big, "1 MiB static $c");
}

# Proxied responses.
for my $c (qw(gzip br zstd)) {
	is_coded(get(GET => '/app/page', 'Accept-Encoding' => $c), $c, $page, "proxied $c");
	is_coded(get(GET => '/app/big', 'Accept-Encoding' => $c), $c, $big, "1 MiB proxied $c");
}
$r = get(GET => '/app/page', 'Accept-Encoding' => 'gzip');
is($r->{headers}{etag}, 'W/"v1"', 'proxied: ETag made weak');
like(get(GET => '/app/ae', 'Accept-Encoding' => 'br')->{body} // '', qr/^\S/,
    'the origin is asked as usual');
is_coded(get(GET => '/app/chunked', 'Accept-Encoding' => 'zstd'), 'zstd', $page x 3,
    'proxied, unknown length (chunked origin)');
is_coded(get(GET => '/stream/chunked-small', 'Accept-Encoding' => 'gzip'), 'gzip', 'abc',
    'unknown length (not buffered): compressed whatever its size');
is_plain(get(GET => '/app/chunked-small', 'Accept-Encoding' => 'gzip'), 'abc',
    'buffered: the length is known, below min_size');
$r = get(GET => '/app/encoded', 'Accept-Encoding' => 'gzip, br');
is($r->{headers}{'content-encoding'}, 'gzip', 'already encoded: its coding kept');
is($r->{body}, $gz_page, 'already encoded: bytes untouched');
ok(($r->{headers}{vary} // '') !~ /Accept-Encoding/i, 'already encoded: no Vary added');
$r = get(GET => '/app/notransform', 'Accept-Encoding' => 'gzip');
is_plain($r, $page, 'response Cache-Control: no-transform');
$r = get(GET => '/app/vary', 'Accept-Encoding' => 'gzip');
is_coded($r, 'gzip', $page, 'origin Vary');
is($r->{headers}{vary}, 'Origin, Accept-Encoding', 'Vary: appended after Origin');
$r = get(GET => '/app/vary-ae', 'Accept-Encoding' => 'gzip');
is_coded($r, 'gzip', $page, 'origin Vary naming Accept-Encoding');
is($r->{headers}{vary}, 'accept-encoding', 'Vary: not repeated');
$r = get(GET => '/app/vary', 'Accept-Encoding' => 'identity');
is($r->{headers}{vary}, 'Origin, Accept-Encoding', 'identity answer: Vary appended too');
is_plain(get(GET => '/app/small', 'Accept-Encoding' => 'gzip'), 'tiny', 'proxied, below min_size');
is_plain(get(GET => '/app/missing', 'Accept-Encoding' => 'gzip'), $page, '404 from the origin',
    status => 404);
is_plain(get(GET => '/app/binary', 'Accept-Encoding' => 'gzip'), $page, 'proxied, unlisted type');
is_plain(get(HEAD => '/app/page', 'Accept-Encoding' => 'gzip'), undef, 'proxied HEAD');

# Per-route settings: encodings, types with a wildcard, min_size, levels.
is_coded(get(GET => '/gz/page', 'Accept-Encoding' => 'br, zstd, gzip'), 'gzip', $page,
    'encodings = [ "gzip" ]');
is_plain(get(GET => '/gz/page', 'Accept-Encoding' => 'br, zstd'), $page,
    'encodings = [ "gzip" ]: br and zstd not offered');
is_coded(get(GET => '/pref/page', 'Accept-Encoding' => 'br, zstd, gzip'), 'gzip', $page,
    'server order from encodings');
is_coded(get(GET => '/pref/page', 'Accept-Encoding' => 'br, zstd'), 'zstd', $page,
    'server order: the next one the client takes');
is_coded(get(GET => '/wild/chunked', 'Accept-Encoding' => 'br'), 'br', $page x 3,
    'types = [ "text/*" ], brotli_level 11');
is_coded(get(GET => '/wild/chunked', 'Accept-Encoding' => 'zstd'), 'zstd', $page x 3,
    'zstd_level 19');
is_coded(get(GET => '/wild/page', 'Accept-Encoding' => 'br'), 'br', $page,
    'text/html under "text/*"');
is_plain(get(GET => '/wild/vary', 'Accept-Encoding' => 'br'), $page,
    'types = [ "text/*" ]: application/json no longer listed');
is_coded(get(GET => '/app/medium', 'Accept-Encoding' => 'gzip'), 'gzip', $medium,
    '1000 bytes: above the default min_size');
$r = get(GET => '/wild/medium', 'Accept-Encoding' => 'gzip');
is_plain($r, $medium, 'min_size = "2k": 1000 bytes pass as they are');
ok(!defined $r->{headers}{vary}, 'below min_size: no Vary');

# HTTP/1.0: no chunked coding, the body ends when the connection closes.
my $raw = raw_request($p, "GET /big.html HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n", timeout => 10);
$r = parse($raw);
is($r->{headers}{'content-encoding'}, 'gzip', 'HTTP/1.0: compressed');
ok(!defined $r->{headers}{'transfer-encoding'}, 'HTTP/1.0: not chunked');
ok(!defined $r->{headers}{'content-length'}, 'HTTP/1.0: no Content-Length');
like($r->{headers}{connection} // '', qr/close/i, 'HTTP/1.0: Connection: close');
is(decode('gzip', $r->{body}) // '', $big, 'HTTP/1.0: 1 MiB until close decodes exactly');

# Keep-alive: a compressed answer, then a plain one, on one connection.
$raw = raw_request($p, "GET /page.html HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n" .
    "GET /small.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", timeout => 10);
my $end = index($raw, "0\r\n\r\nHTTP/1.1 ");
ok($end > 0, 'keep-alive: the chunked body ends before the next answer');
my $first = parse(substr($raw, 0, $end + 5));
is(decode('gzip', $first->{body} // '') // '', $page, 'keep-alive: first answer decodes');
my $second = parse(substr($raw, $end + 5));
is($second->{body}, "short\n", 'keep-alive: second answer intact');

# A client that leaves mid-body: the worker frees the encoder and carries on.
for my $c (qw(gzip br zstd)) {
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p->{port}) or die;
	print $s "GET /app/big HTTP/1.1\r\nHost: a\r\nAccept-Encoding: $c\r\n\r\n";
	sysread($s, my $buf, 100);
	close($s);
}
is_coded(get(GET => '/big.html', 'Accept-Encoding' => 'br'), 'br', $big,
    'after clients left mid-body: still served');
ok(!(read_file($p->{error_log}) =~ /died on signal/), 'no worker crashed');

# -t -v: the filter's place in the chain.
my ($rc, $out) = portier_cmd('-t', '-v', '-M', $mods, '-f', $p->{conf});
is($rc, 0, '-t -v exits 0');
like($out, qr/response_filter: mod_deflate\(10\)/, 'response filter at LATE (10)');

# Configuration errors, each with file and line.
my $d = $p->{dir};
write_file("$d/bad.conf", <<'EOF2');
modules = { load = [ "mod_deflate" ]; };
deflate = { encodings = [ "gzip", "lzma" ];
  gzip_level = 10;
  brotli_level = 12;
  zstd_level = 0;
  types = [ "*/*" ];
  min_size = 256; };
servers = ( { listen = [ "127.0.0.1:0" ];
  routes = ( { path = "/"; root = "/tmp"; deflate = { encodings = [ "br", "br" ]; }; } ); } );
EOF2
($rc, $out) = portier_cmd('-t', '-M', $mods, '-f', "$d/bad.conf");
isnt($rc, 0, 'bad deflate settings refused');
like($out, qr/bad\.conf:2: deflate\.encodings: .*"br", "zstd" or "gzip"/, 'unknown encoding');
like($out, qr/bad\.conf:3: deflate\.gzip_level/, 'gzip_level out of range');
like($out, qr/bad\.conf:4: deflate\.brotli_level/, 'brotli_level out of range');
like($out, qr/bad\.conf:5: deflate\.zstd_level/, 'zstd_level out of range');
like($out, qr/bad\.conf:6: deflate\.types: .*media type/, 'bad media type');
like($out, qr/bad\.conf:7: deflate\.min_size/, 'min_size must be a size string');
like($out, qr/bad\.conf:9: .*encodings: .*listed twice/, 'an encoding listed twice');
done_testing();

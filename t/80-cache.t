# t/80-cache.t: mod_cache as a reverse-proxy cache: hits and misses with
# an origin that counts its requests, freshness expiring in real time,
# request and response directives, revalidation (ETag, Last-Modified),
# client conditionals, HEAD from GET, Vary, invalidation, large objects
# streamed uncached, request collapsing, purge, stale-if-error, targeted
# Cache-Control, restart survival and corrupt files.
use strict; use warnings; use Test::More;
use Time::HiRes qw(sleep time);
use IO::Socket::INET;
use IO::Uncompress::Gunzip qw(gunzip);
use MIME::Base64 qw(encode_base64);
use File::Temp qw(tempdir);
use POSIX qw(:sys_wait_h);
use Portier::Test qw(start_portier start_origin http_request raw_request
    write_file read_file wait_for portier_cmd);

my $mods = $ENV{PORTIER_MODULES} // 'modules/.built';
plan(skip_all => 'mod_cache not built') unless -e "$mods/mod_cache.so";

my $tmp = tempdir(CLEANUP => 1);
my $cdir = "$tmp/cache";

# The origin counts its requests per path in a file (one child per
# connection, so counts go through the file system).
sub bump {
	my ($path) = @_;
	(my $f = $path) =~ s{[^a-z0-9]}{_}gi;
	open(my $fh, '>>', "$tmp/count$f") or die;
	print $fh "x";
	close $fh;
	return -s "$tmp/count$f";
}
sub hits { (my $f = $_[0]) =~ s{[^a-z0-9]}{_}gi; return -s "$tmp/count$f" // 0 }

my $o = start_origin(sub {
	my ($q) = @_;
	my $p = $q->{path};
	my $t = $q->{target};
	my $n = bump($t);
	my $h = $q->{headers};
	write_file("$tmp/token-leak", 1) if exists $h->{'portier-cache-revalidate'};
	return (200, [ 'Cache-Control' => 'max-age=2' ], "n=$n") if $p eq '/fresh';
	return (200, [ 'Cache-Control' => 'max-age=60' ], "n=$n") if $p =~ m{^/(long|inv|pfx|fwd)};
	return (200, [ 'Cache-Control' => 'max-age=60', 'Content-Type' => 'text/html' ],
	    "<p>compress me $n</p>\n" x 200) if $p =~ m{^/dfl/};
	return (200, [ 'Cache-Control' => 'max-age=60', 'Surrogate-Key' => 'red blue' ], "n=$n")
	    if $p eq '/tag/a';
	return (200, [ 'Cache-Control' => 'max-age=60', 'Cache-Tag' => 'blue,green' ], "n=$n")
	    if $p eq '/tag/b';
	return (200, [ 'Cache-Control' => 'max-age=60', 'Surrogate-Key' => 'green' ], "n=$n")
	    if $p eq '/tag/c';
	return (200, [ 'Cache-Control' => 'no-store' ], "n=$n") if $p eq '/nostore';
	return (200, [ 'Cache-Control' => 'private, max-age=60' ], "n=$n") if $p eq '/private';
	return (200, [ 'Cache-Control' => 'max-age=60' ], "n=$n") if $p eq '/auth';
	if ($p eq '/etag') {
		return (304, [ 'ETag' => '"v1"', 'Cache-Control' => 'max-age=1', 'X-Updated' => "u$n" ], '')
		    if ($h->{'if-none-match'} // '') eq '"v1"';
		return (200, [ 'ETag' => '"v1"', 'Cache-Control' => 'max-age=1', 'X-Updated' => "u$n" ], "etag-body n=$n");
	}
	if ($p eq '/lm') {
		my $lm = 'Sun, 06 Nov 1994 08:49:37 GMT';
		return (304, [ 'Last-Modified' => $lm, 'Cache-Control' => 'max-age=1' ], '')
		    if ($h->{'if-modified-since'} // '') eq $lm;
		return (200, [ 'Last-Modified' => $lm, 'Cache-Control' => 'max-age=1' ], "lm-body n=$n");
	}
	return (200, [ 'ETag' => '"nc"', 'Cache-Control' => 'no-cache' ], "n=$n") if $p eq '/nocache' &&
	    ($h->{'if-none-match'} // '') ne '"nc"';
	return (304, [ 'ETag' => '"nc"' ], '') if $p eq '/nocache';
	return (200, [ 'Cache-Control' => 'max-age=60', 'Vary' => 'Accept-Language' ],
	    "lang=" . ($h->{'accept-language'} // '-') . " n=$n") if $p eq '/vary';
	return (200, [ 'Cache-Control' => 'max-age=60', 'Vary' => '*' ], "n=$n") if $p eq '/varystar';
	return (200, [ 'Cache-Control' => 'max-age=60', 'Vary' => 'Accept-Encoding' ],
	    "ae=" . ($h->{'accept-encoding'} // '-') . " n=$n") if $p eq '/ae';
	if ($p eq '/slow') { sleep 1; return (200, [ 'Cache-Control' => 'max-age=60' ], "n=$n"); }
	return (200, [ 'Cache-Control' => 'max-age=60' ], 'y' x 1500000) if $p eq '/big';
	return (200, [ 'Cache-Control' => 'max-age=60' ], "n=$n") if $p eq '/mem/small';
	return (200, [ 'Cache-Control' => 'max-age=60' ], "n=$n") if $p =~ m{^/many/\d+$};
	return (200, [ 'Cache-Control' => 'max-age=60' ], 'm' x 120000) if $p eq '/mem/big';
	return (200, [ 'Cache-Control' => 'max-age=60' ], 'f' x 200000) if $p eq '/mem/file';
	if ($p =~ m{^/unr}) {
		return (\'', 1) if -e "$tmp/unr-down";	# closes without answering
		return (200, [ 'Cache-Control' => $p eq '/unr-mr' ? 'max-age=1, must-revalidate' : 'max-age=1' ],
		    "n=$n");
	}
	if ($p eq '/err') {
		return (500, [], 'down') if -e "$tmp/down";
		return (200, [ 'Cache-Control' => 'max-age=1, stale-if-error=60' ], "n=$n");
	}
	return (200, [ 'Cache-Control' => 'no-store', 'Portier-Cache-Control' => 'max-age=60' ], "n=$n")
	    if $p eq '/targeted';
	return (200, [ 'Cache-Control' => 'max-age=60', 'Location' => '/long' ], "posted n=$n")
	    if $q->{method} eq 'POST';
	return (200, [ 'Cache-Control' => 'max-age=60', 'ETag' => '"r1"' ], '0123456789') if $p eq '/range';
	return (200, [ 'Cache-Control' => 'max-age=60' ], join('', map { sprintf('%07d', $_) } 1 .. 30000))
	    if $p eq '/mid';
	return (200, [ 'Cache-Control' => 'max-age=2, stale-while-revalidate=30' ], "n=$n")
	    if $p eq '/pswr';
	if ($p eq '/swr') {
		sleep 1 if $n > 1;
		return (200, [ 'Cache-Control' => 'max-age=3, stale-while-revalidate=30' ], "n=$n");
	}
	return (200, [ 'Cache-Control' => 'max-age=60', 'Date' => 'Sun, 06 Nov 1994 08:49:37 GMT' ], "n=$n")
	    if $p eq '/dated';
	return (404, [], "n=$n");
});

my $conf = <<"EOF2";
modules = { load = [ "mod_cache" ]; };
cache = { zones = ( { name = "main"; size = "16m"; max_object = "1m"; dir = "$cdir"; inactive = "10m"; memory = "0"; } ); };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); } );
workers = { start = 6; min_spare = 2; max_spare = 10; max = 16; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = (
    { path = "/nocache-route/"; upstream = "app"; },
    { path = "/"; upstream = "app";
      cache = { zone = "main"; lock_timeout = "5s"; stale_if_unreachable = "1h"; }; } ); } );
EOF2
my $p = start_portier(args => [ '-M', $mods ], conf => $conf);
ok($p->{port}, 'portier with mod_cache started') or BAIL_OUT('no server');

# Responses that were stored on the way are chunked: decode them.
sub dechunk {
	my ($r) = @_;
	return $r unless ($r->{headers}{'transfer-encoding'} // '') =~ /chunked/i;
	my ($i, $raw) = (index($r->{raw}, "\r\n\r\n"), '');
	my $rest = substr($r->{raw}, $i + 4);
	my $body = '';
	while ($rest =~ s/^([0-9a-fA-F]+)\r\n//) {
		my $n = hex($1);
		last if $n == 0;
		$body .= substr($rest, 0, $n);
		substr($rest, 0, $n + 2) = '';
	}
	$r->{body} = $body;
	return $r;
}
sub req { return dechunk(http_request(@_)) }
sub get { my ($path, @h) = @_; return req($p, GET => $path, @h) }

# A miss, then hits; freshness expiring in real time.
my $r = get('/fresh');
is($r->{body}, 'n=1', 'miss goes to the origin');
like($r->{headers}{'cache-status'}, qr/^portier; fwd=uri-miss; stored/, 'Cache-Status on a miss');
$r = get('/fresh');
is($r->{body}, 'n=1', 'hit served from the cache');
like($r->{headers}{'cache-status'}, qr/^portier; hit; ttl=\d/, 'Cache-Status hit with ttl');
like($r->{headers}{age} // '', qr/^\d+$/, 'Age on a hit');
is($r->{headers}{'content-length'}, 3, 'hit has Content-Length');
is(hits('/fresh'), 1, 'origin saw one request');
$r = http_request($p, HEAD => '/fresh');
is($r->{status}, 200, 'HEAD answered');
is($r->{headers}{'content-length'}, 3, 'HEAD from the stored GET: its length');
is(hits('/fresh'), 1, 'HEAD did not reach the origin');
sleep 3.1;
$r = get('/fresh');
is($r->{body}, 'n=2', 'expired after max-age: fetched again');

# Misses keep Content-Length (the store only watches the body); the
# origin's Date is kept on hits.
$r = http_request($p, GET => '/dated');
is($r->{headers}{'content-length'}, 3, 'miss keeps Content-Length');
ok(!exists $r->{headers}{'transfer-encoding'}, 'miss not chunked');
is(http_request($p, GET => '/dated')->{headers}{date}, 'Sun, 06 Nov 1994 08:49:37 GMT',
    'hit carries the stored Date, once');

# Ranges from a complete stored object.
$r = get('/range', Range => 'bytes=0-1');
is($r->{status}, 200, 'range on a miss: the whole object');
is($r->{body}, '0123456789', '... fetched whole and stored');
$r = get('/range', Range => 'bytes=2-4');
is($r->{status}, 206, 'range from the cache: 206');
is($r->{body}, '234', '... the bytes asked for');
is($r->{headers}{'content-range'}, 'bytes 2-4/10', '... with Content-Range');
is(get('/range', Range => 'bytes=-3')->{body}, '789', 'suffix range');
is(get('/range', Range => 'bytes=20-')->{status}, 416, 'unsatisfiable range: 416');
is(get('/range', Range => 'bytes=0-1', 'If-Range' => '"other"')->{status}, 200,
    'If-Range mismatch: the whole object');
is(get('/range', Range => 'bytes=0-1', 'If-Range' => '"r1"')->{status}, 206, 'If-Range match: 206');
is(hits('/range'), 1, 'origin asked once for all the ranges');

# stale-while-revalidate: every request in the window gets the stale
# object at once; the helper process revalidates once in the background.
is(get('/swr')->{body}, 'n=1', 'swr object stored');
sleep 3.5;
my $t0 = time;
$r = get('/swr');
is($r->{body}, 'n=1', 'stale served inside the stale-while-revalidate window');
ok(time - $t0 < 0.8, '... without waiting for the origin');
like($r->{headers}{'cache-status'}, qr/stale-while-revalidate/, '... and Cache-Status says so');
$t0 = time;
is(join(',', map { get('/swr')->{body} } 1 .. 3), 'n=1,n=1,n=1', 'the next requests get it too');
ok(time - $t0 < 0.8, '... at once');
ok(wait_for(sub { hits('/swr') >= 2 }, 10), 'the helper revalidated in the background');
ok(wait_for(sub { get('/swr')->{body} eq 'n=2' }, 10), 'the new response was stored');
is(get('/swr')->{body}, 'n=2', '... and is served');
is(hits('/swr'), 2, 'the origin saw one revalidation');
ok(!-e "$tmp/token-leak", 'the revalidation mark never reaches the origin');

# Request directives.
get('/long');
is(get('/long')->{body}, 'n=1', 'long-lived object cached');
is(get('/long', 'Cache-Control' => 'no-cache')->{body}, 'n=2', 'request no-cache goes to the origin');
is(get('/long', 'Pragma' => 'no-cache')->{body}, 'n=3', 'Pragma: no-cache from an HTTP/1.0 client');
is(get('/long')->{body}, 'n=3', 'and the new response was stored');
sleep 1.1;
is(get('/long', 'Cache-Control' => 'max-age=0')->{body}, 'n=4', 'request max-age=0 on an aged entry');
is(get('/long', 'Cache-Control' => 'min-fresh=120')->{body}, 'n=5', 'min-fresh beyond the lifetime');
$r = get('/never-seen', 'Cache-Control' => 'only-if-cached');
is($r->{status}, 504, 'only-if-cached on a miss: 504');
is(hits('/never-seen'), 0, '... without asking the origin');
is(get('/long', 'Cache-Control' => 'only-if-cached')->{body}, 'n=5', 'only-if-cached on a hit');

# Response directives and Authorization.
get('/nostore'); is(get('/nostore')->{body}, 'n=2', 'no-store not stored');
get('/private'); is(get('/private')->{body}, 'n=2', 'private not stored by a shared cache');
get('/auth', Authorization => 'Basic eDp5');
is(get('/auth', Authorization => 'Basic eDp5')->{body}, 'n=2', 'Authorization: not stored without public/s-maxage');
get('/varystar'); is(get('/varystar')->{body}, 'n=2', 'Vary: * not stored');
is(get('/missing')->{status}, 404, '404 relayed');

# Revalidation with ETag: a 304 from the origin refreshes the entry.
is(get('/etag')->{body}, 'etag-body n=1', 'etag object stored');
sleep 2.1;
$r = get('/etag');
is($r->{status}, 200, 'stale entry revalidated: client gets 200');
is($r->{body}, 'etag-body n=1', '... with the stored body');
is($r->{headers}{'x-updated'}, 'u2', '... and the fields of the 304 (4.3.4)');
like($r->{headers}{'cache-status'}, qr/fwd=stale; fwd-status=304/, 'Cache-Status says validated');
is(get('/etag')->{headers}{'x-updated'}, 'u2', 'updated fields stored');
$r = get('/etag', 'If-None-Match' => '"v1"');
is($r->{status}, 304, 'client conditional answered from the cache');
is($r->{body}, '', 'no body on 304');
# Two, or three when a busy machine let the 2 s entry go stale again.
ok(hits('/etag') >= 2 && hits('/etag') <= 3, 'origin saw the first fetch and the revalidations')
    or diag(hits('/etag'));

# Revalidation with Last-Modified.
is(get('/lm')->{body}, 'lm-body n=1', 'lm object stored');
sleep 2.1;
is(get('/lm')->{body}, 'lm-body n=1', 'revalidated with If-Modified-Since');
is(hits('/lm'), 2, 'one conditional request');
is(get('/lm', 'If-Modified-Since' => 'Sun, 06 Nov 1994 08:49:37 GMT')->{status}, 304,
    'If-Modified-Since from the client answered 304');

# no-cache response: always revalidated.
is(get('/nocache')->{body}, 'n=1', 'no-cache response');
$r = get('/nocache');
is($r->{body}, 'n=1', 'no-cache: revalidated, stored body served');
is(hits('/nocache'), 2, 'no-cache: origin asked every time');

# Vary.
is(get('/vary', 'Accept-Language' => 'fr')->{body}, 'lang=fr n=1', 'vary fr');
is(get('/vary', 'Accept-Language' => 'de')->{body}, 'lang=de n=2', 'vary de is another variant');
is(get('/vary', 'Accept-Language' => 'fr')->{body}, 'lang=fr n=1', 'vary fr hit');
is(get('/vary', 'Accept-Language' => 'de')->{body}, 'lang=de n=2', 'vary de hit');
is(get('/vary')->{body}, 'lang=- n=3', 'no Accept-Language: a third variant');

# Vary: Accept-Encoding keys on the codings accepted, not the spelling.
is(get('/ae', 'Accept-Encoding' => 'gzip, deflate, br')->{body}, 'ae=gzip, deflate, br n=1',
    'Accept-Encoding variant stored');
is(get('/ae', 'Accept-Encoding' => 'br, gzip, deflate')->{body}, 'ae=gzip, deflate, br n=1',
    'same codings in another order: hit');
is(get('/ae', 'Accept-Encoding' => 'gzip;q=1.0, br;q=0.5, deflate, compress')->{body},
    'ae=gzip, deflate, br n=1', 'q-values and codings the cache ignores: hit');
is(get('/ae', 'Accept-Encoding' => 'gzip')->{body}, 'ae=gzip n=2', 'gzip alone: another variant');
is(get('/ae', 'Accept-Encoding' => 'GZIP, x-gzip')->{body}, 'ae=gzip n=2', 'gzip spelt otherwise: hit');
is(get('/ae', 'Accept-Encoding' => 'br;q=0, gzip')->{body}, 'ae=gzip n=2', 'br refused with q=0: gzip variant');
is(get('/ae')->{body}, 'ae=- n=3', 'no Accept-Encoding: identity variant');
is(get('/ae', 'Accept-Encoding' => 'identity')->{body}, 'ae=- n=3', 'identity: the same variant');

# Invalidation by an unsafe method.
get('/inv');
is(get('/inv')->{body}, 'n=1', 'cached before POST');
http_request($p, POST => '/inv', -body => 'x');
is(get('/inv')->{body}, 'n=3', 'POST invalidated the URI');
is(get('/long')->{body}, 'n=5', '/long still cached');
http_request($p, POST => '/elsewhere', -body => 'x');
is(get('/long')->{body}, 'n=6', 'Location of the POST response invalidated');

# A larger object (mapped from its file on hits).
my $mid = join('', map { sprintf('%07d', $_) } 1 .. 30000);
is(get('/mid')->{body}, $mid, '210 KB object relayed');
$r = get('/mid');
ok($r->{body} eq $mid, '210 KB hit served whole from its file');
like($r->{headers}{'cache-status'}, qr/hit/, '... as a hit');
is(get('/mid', Range => 'bytes=200000-200006')->{body}, '8572002', 'range of a mapped object');

# Objects over max_object stream through uncached.
$r = get('/big');
is(length($r->{body}), 1500000, 'large object relayed whole');
like($r->{headers}{'cache-status'}, qr/too-large|uri-miss/, 'large object not stored');
get('/big');
is(hits('/big'), 2, 'large object: every request reaches the origin');
ok(!glob("$cdir/.tmp.*"), 'no temporary file left behind');

# Request collapsing: N concurrent misses, one origin request.
my @kids;
for my $i (1 .. 5) {
	my $pid = fork() // die;
	if ($pid == 0) {
		my $x = req($p, GET => '/slow');
		write_file("$tmp/slow$i", $x->{body} // '');
		POSIX::_exit(0);
	}
	push @kids, $pid;
}
waitpid($_, 0) for @kids;
is(hits('/slow'), 1, 'collapsing: 5 concurrent clients, origin counted 1');
is(join(',', map { read_file("$tmp/slow$_") } 1 .. 5), join(',', ('n=1') x 5),
    'every waiting client got the response');

# Purge.
get('/pfx/a');
is(get('/pfx/a')->{body}, 'n=1', 'cached before purge');
$r = http_request($p, PURGE => '/pfx/a');
is($r->{status}, 200, 'PURGE from an allowed address');
is(get('/pfx/a')->{body}, 'n=2', 'purged object fetched again');
is(http_request($p, PURGE => '/pfx/none')->{status}, 404, 'PURGE of an absent object: 404');

# Purge by prefix: every key under it, nothing else.
get($_) for qw(/pfx/b/1 /pfx/b/2 /pfx/c);
is(join(',', map { get($_)->{body} } qw(/pfx/b/1 /pfx/b/2 /pfx/c)), 'n=1,n=1,n=1',
    'three objects cached before a prefix purge');
is(http_request($p, PURGE => '/pfx/b/*')->{status}, 200, 'PURGE /pfx/b/*: 200');
is(get('/pfx/b/1')->{body}, 'n=2', 'prefix purge: object under the prefix fetched again');
ok(wait_for(sub { Portier::Test::error_log_matches($p,
    qr/purge rules \d+-\d+ applied to the files and memory: [1-9]/) }, 10),
    'the helper applied the purge to the files');
is(get('/pfx/b/2')->{body}, 'n=2', '... and the other one');
is(get('/pfx/c')->{body}, 'n=1', 'object outside the prefix still cached');
ok(Portier::Test::error_log_matches($p, qr{purge prefix http://[^ ]+/pfx/b/ in zone main by 127\.0\.0\.1}),
    'prefix purge logged');

# Purge by tag (Surrogate-Key or Cache-Tag from the origin, not forwarded).
$r = get('/tag/a');
ok(!exists $r->{headers}{'surrogate-key'}, 'Surrogate-Key removed on a miss');
get('/tag/b'); get('/tag/c');
$r = get('/tag/a');
is($r->{body}, 'n=1', 'tagged object cached');
ok(!exists $r->{headers}{'surrogate-key'}, 'Surrogate-Key removed on a hit');
ok(!exists get('/tag/b')->{headers}{'cache-tag'}, 'Cache-Tag removed on a hit');
is(http_request($p, PURGE => '/', 'Surrogate-Key' => 'blue')->{status}, 200, 'PURGE by tag: 200');
is(join(',', map { get($_)->{body} } qw(/tag/a /tag/b /tag/c)), 'n=2,n=2,n=1',
    'tag purge removed the objects tagged blue (either field), not the other');
is(http_request($p, PURGE => '/', 'Cache-Tag' => 'green, nothing')->{status}, 200,
    'PURGE by Cache-Tag with two tags');
is(join(',', map { get($_)->{body} } qw(/tag/a /tag/b /tag/c)), 'n=2,n=3,n=2',
    'tag purge removed the objects tagged green');
ok(Portier::Test::error_log_matches($p, qr/purge tag blue in zone main by 127\.0\.0\.1/),
    'tag purge logged');
is(http_request($p, PURGE => '/', 'Surrogate-Key' => 'blue', 'X-Forwarded-For' => '10.9.9.9')->{status},
    200, 'purge allowed by the peer address, not X-Forwarded-For');

# stale-if-error.
is(get('/err')->{body}, 'n=1', 'stale-if-error object stored');
write_file("$tmp/down", '1');
sleep 2.1;
$r = get('/err');
is($r->{status}, 200, 'origin error: stale served (stale-if-error)');
is($r->{body}, 'n=1', '... the stored body');
unlink("$tmp/down");

# The origin unreachable (closes without answering): stale served within
# stale_if_unreachable, unless must-revalidate forbids it.
is(get('/unr')->{body}, 'n=1', 'object stored');
is(get('/unr-mr')->{body}, 'n=1', 'must-revalidate object stored');
write_file("$tmp/unr-down", '1');
sleep 2.1;
$r = get('/unr');
is($r->{status}, 200, 'origin unreachable: stale served');
is($r->{body}, 'n=1', '... the stored body');
like($r->{headers}{'cache-status'} // '', qr/fwd-status=502; detail=origin-unreachable/,
    '... and Cache-Status says why');
is(get('/unr-mr')->{status}, 502, 'must-revalidate: the error, never the stale object');
unlink("$tmp/unr-down");
is(get('/unr')->{body}, 'n=3', 'origin back: revalidated');

# Targeted field (RFC 9213) wins over Cache-Control and is not forwarded.
$r = get('/targeted');
ok(!exists $r->{headers}{'portier-cache-control'}, 'Portier-Cache-Control not forwarded');
is(get('/targeted')->{body}, 'n=1', 'Portier-Cache-Control: max-age=60 beats no-store');

# Routes without a zone: no Cache-Status.
ok(!exists get('/nocache-route/x')->{headers}{'cache-status'}, 'no zone, no Cache-Status');

# Graceful restart: the index survives in shared memory.
kill 'USR1', $p->{pid};
sleep 1.5;
is(get('/long')->{body}, 'n=6', 'hit after a graceful restart');

# Stop and start: the files are found again; corrupt ones dropped.
Portier::Test::stop($p);
my @files = grep { !/\.tmp/ } glob("$cdir/*");
ok(@files > 3, 'objects on disk');
write_file("$cdir/.tmp.1.1", 'partial');
write_file("$cdir/0123456789abcdef0123456789abcdef", 'garbage');
$p = start_portier(args => [ '-M', $mods ], conf => $conf);
is(get('/long')->{body}, 'n=6', 'hit after a full restart (file found again)');
ok(!-e "$cdir/.tmp.1.1", 'partial file dropped');
ok(!-e "$cdir/0123456789abcdef0123456789abcdef", 'corrupt file dropped');
is(get('/vary', 'Accept-Language' => 'fr')->{body}, 'lang=fr n=1', 'Vary variant found again');

# Unwritable directory (a file where the folder should be, so it holds
# for root too): pass through, never fail.
Portier::Test::stop($p);
my $ro = "$tmp/not-a-dir";
write_file($ro, 'x');
(my $conf2 = $conf) =~ s{dir = "\Q$cdir\E"}{dir = "$ro"};
$p = start_portier(args => [ '-M', $mods ], conf => $conf2);
$r = get('/fresh');
is($r->{status}, 200, 'unwritable cache dir: request still served');
like($r->{headers}{'cache-status'} // '', qr/write-failed/, '... passing through');
is(get('/fresh')->{status}, 200, '... every time');
ok(Portier::Test::error_log_matches($p, qr/cannot write/), 'logged');

# Forward proxy: absolute-form GETs cached in the zone its server names;
# the proxy's rules come before any hit.
Portier::Test::stop($p);
write_file("$tmp/hosts", "127.0.0.1 origin.test\n");
my $fconf = <<"EOF3";
modules = { load = [ "mod_cache" ]; };
resolver = { hosts = "$tmp/hosts"; };
cache = { zones = ( { name = "fwd"; size = "16m"; dir = "$tmp/fwdcache"; } ); };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  forward_proxy = {
    local_clients = [ "127.0.0.0/8" ];
    acl = ( { name = "other"; client = [ "127.0.0.2" ]; action = "deny"; },
            { name = "local"; client = [ "127.0.0.0/8" ]; action = "allow"; } ); };
  cache = { zone = "fwd"; }; } );
EOF3
$p = start_portier(args => [ '-M', $mods ], conf => $fconf);
my $ou = "http://origin.test:$o->{port}";
sub fwd {
	my ($m, $path, %o) = @_;
	my $raw = raw_request($p, "$m $ou$path HTTP/1.1\r\nHost: origin.test:$o->{port}\r\n" .
	    "Connection: close\r\n\r\n", %o);
	return (Portier::Test::parse_response($raw))[0];
}
$r = fwd(GET => '/fwd/a');
is($r->{body}, 'n=1', 'forward proxy: absolute-form miss relayed');
like($r->{headers}{'cache-status'} // '', qr/fwd=uri-miss; stored/, '... and stored');
$r = fwd(GET => '/fwd/a');
is($r->{body}, 'n=1', 'forward proxy: hit');
like($r->{headers}{'cache-status'} // '', qr/^portier; hit/, '... Cache-Status hit');
is(hits('/fwd/a'), 1, '... the origin saw one request');
SKIP: {
	my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.2', PeerAddr => '127.0.0.1',
	    PeerPort => $p->{port}, Proto => 'tcp');
	skip 'no 127.0.0.2', 2 unless $s;
	close $s;
	$r = fwd(GET => '/fwd/a', local => '127.0.0.2');
	is($r->{status}, 403, 'a client the proxy denies gets 403, not the cached object');
	unlike($r->{body} // '', qr/n=1/, '... and no cached body');
}
is(fwd(PURGE => '/fwd/a')->{status}, 200, 'PURGE through the forward proxy');
is(fwd(GET => '/fwd/a')->{body}, 'n=2', 'purged: fetched again');
is(fwd(HEAD => '/fwd/a')->{status}, 200, 'HEAD answered from the stored GET');
is(hits('/fwd/a'), 2, '... without the origin');

# A request with proxy credentials inside a stale-while-revalidate window
# revalidates in the foreground (the helper's request would carry none
# and be refused): it gets the new answer, the origin has seen it already.
Portier::Test::stop($p);
write_file("$tmp/htpasswd", 'alice:' . crypt('s3cret', '$6$abcdefgh') . "\n");
(my $aconf = $fconf) =~ s/local_clients = \[ "127.0.0.0\/8" \];/local_clients = [ "127.0.0.0\/8" ];
    auth = { realm = "Proxy"; file = "$tmp\/htpasswd"; };/;
$aconf =~ s/acl = \(/acl = ( { name = "login"; dest = [ "origin.test" ]; action = "auth"; },/;
$p = start_portier(args => [ '-M', $mods ], conf => $aconf);
sub afwd {
	my ($path, $head) = @_;
	my $raw = raw_request($p, "GET $ou$path HTTP/1.1\r\nHost: origin.test:$o->{port}\r\n" .
	    ($head // '') . "Connection: close\r\n\r\n");
	return (Portier::Test::parse_response($raw))[0];
}
is(afwd('/pswr')->{status}, 407, 'forward proxy with auth: no credentials, 407');
my $cred = "Proxy-Authorization: Basic " . encode_base64('alice:s3cret', '') . "\r\n";
$r = afwd('/pswr', $cred);
is($r->{body}, 'n=1', 'with credentials: miss relayed') or diag(read_file($p->{error_log}));
is(afwd('/pswr', $cred)->{body}, 'n=1', '... then a hit');
sleep 3.1;
$r = afwd('/pswr', $cred);
is($r->{status}, 200, 'stale in its swr window, with credentials: answered');
is($r->{body}, 'n=2', '... with the revalidated answer, not the stale one');
is(hits('/pswr'), 2, '... the origin saw the revalidation before the answer (foreground)');
$r = afwd('/pswr', $cred);
is($r->{body}, 'n=2', '... fresh afterwards');
like($r->{headers}{'cache-status'} // '', qr/^portier; hit/, '... a hit');
is(hits('/pswr'), 2, '... without the origin');

# mod_deflate keeps the compressed form of a cached object beside it: the
# first compressed hit makes it, the next ones send it as it is.
Portier::Test::stop($p);
my $dconf = <<"EOF4";
modules = { load = [ "mod_cache", "mod_deflate" ]; };
cache = { zones = ( { name = "dz"; size = "16m"; dir = "$tmp/dflcache"; memory = "0"; } ); };
deflate = { enable = true; encodings = [ "gzip" ]; };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = ( { path = "/"; upstream = "app"; cache = { zone = "dz"; }; } ); } );
EOF4
$p = start_portier(args => [ '-M', $mods ], conf => $dconf);
my $plain = "<p>compress me 1</p>\n" x 200;
sub gz_get {
	my $x = req($p, GET => '/dfl/a', 'Accept-Encoding' => 'gzip');
	my $out;
	gunzip(\$x->{body} => \$out) if ($x->{headers}{'content-encoding'} // '') eq 'gzip';
	$x->{plain} = $out;
	return $x;
}
$r = gz_get();
is($r->{plain}, $plain, 'miss: compressed for the client');
is(scalar(() = glob("$tmp/dflcache/*.gzip")), 0, '... nothing kept on a miss');
$r = gz_get();
like($r->{headers}{'cache-status'} // '', qr/hit/, 'hit compressed');
is($r->{plain}, $plain, '... to the stored body');
ok(wait_for(sub { scalar(() = glob("$tmp/dflcache/*.gzip")) == 1 }, 5),
    'the compressed form is kept beside the object');
$r = gz_get();
is($r->{plain}, $plain, 'next hit: the kept form, whole');
ok(defined $r->{headers}{'content-length'} && !exists $r->{headers}{'transfer-encoding'},
    '... sent as it is (Content-Length, not compressed on the fly)');
is(req($p, GET => '/dfl/a')->{body}, $plain, 'a client without gzip gets the stored body');
is(hits('/dfl/a'), 1, 'the origin was asked once');
is(http_request($p, PURGE => '/dfl/a')->{status}, 200, 'purge');
is(scalar(() = glob("$tmp/dflcache/*.gzip")), 0, '... removes the kept form too');

# Small objects in the zone's shared memory: no file, hits from memory.
Portier::Test::stop($p);
my $mdir = "$tmp/memcache";
my $mconf = <<"EOF5";
modules = { load = [ "mod_cache" ]; };
cache = { zones = ( { name = "mz"; size = "16m"; dir = "$mdir"; memory = "4m";
  memory_max_object = "128k"; } ); };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); } );
workers = { start = 3; min_spare = 1; max_spare = 4; max = 6; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = ( { path = "/"; upstream = "app"; cache = { zone = "mz"; }; } ); } );
EOF5
$p = start_portier(args => [ '-M', $mods ], conf => $mconf);
sub mem_files { return scalar(() = glob("$mdir/*")) }
is(get('/mem/small')->{body}, 'n=1', 'memory zone: miss');
$r = get('/mem/small');
is($r->{body}, 'n=1', 'memory zone: hit');
like($r->{headers}{'cache-status'} // '', qr/hit; ttl=\d+; detail=memory/, '... from memory');
is(mem_files(), 0, '... and no file made for it');
is(length(get('/mem/file')->{body}), 200000, 'an object over memory_max_object relayed');
$r = get('/mem/file');
like($r->{headers}{'cache-status'} // '', qr/^portier; hit; ttl=\d+$/, '... its hit comes from a file');
is(mem_files(), 1, '... the only file');
is(length(get('/mem/big')->{body}), 120000, '120 KB object stored in memory');
$r = get('/mem/big');
is(length($r->{body}), 120000, '... and served whole from it');
like($r->{headers}{'cache-status'} // '', qr/detail=memory/, '... as a memory hit');

kill 'USR1', $p->{pid};
sleep 1.5;
$r = get('/mem/small');
is($r->{body}, 'n=1', 'memory object survives a graceful restart');
like($r->{headers}{'cache-status'} // '', qr/detail=memory/, '... still in memory');

# Workers killed (-9) do not lose what is in memory; a pin a dead worker
# held is cleared by the helper (t/unit/test_cache_mem: a write that
# blocks is hard to hold here, as the kernel takes 120 KB at once).
sub cache_workers {
	return grep { read_file("/proc/$_/cmdline") =~ /^portier: worker/ }
	    split /\s+/, `pgrep -P $p->{pid}`;
}
my @killed = cache_workers();
kill 'KILL', @killed;
ok(wait_for(sub { my %k = map { $_ => 1 } @killed; grep({ !$k{$_} } cache_workers()) >= 1 }, 5),
    'workers killed and replaced');
$r = get('/mem/big');
is(length($r->{body}), 120000, '... the object is still served');
like($r->{headers}{'cache-status'} // '', qr/detail=memory/, '... from memory');
is(hits('/mem/big'), 1, '... never fetched again') or diag(read_file($p->{error_log}));

# A writer that died mid-write left a temporary file: the helper removes it.
my $dead = fork() // die;
POSIX::_exit(0) if $dead == 0;
waitpid($dead, 0);
write_file("$mdir/.tmp.$dead.7", 'partial');
write_file("$mdir/.tmp.$$.8", 'a live writer');
ok(wait_for(sub { !-e "$mdir/.tmp.$dead.7" }, 15), 'temporary file of a dead writer removed');
ok(-e "$mdir/.tmp.$$.8", '... one of a live writer kept');
unlink("$mdir/.tmp.$$.8");

# A full restart: memory is lost (documented), files are found again.
Portier::Test::stop($p);
$p = start_portier(args => [ '-M', $mods ], conf => $mconf);
is(get('/mem/small')->{body}, 'n=2', 'after a full restart, a memory object is fetched again');
is(length(get('/mem/file')->{body}), 200000, '... a file object is found again');
is(hits('/mem/file'), 1, '... without the origin');

# Index entries come from memory too: a zone of size 1m (128 entries by
# size alone, 1024 at least) with 4m of memory keeps 1100 small objects.
Portier::Test::stop($p);
(my $nconf = $mconf) =~ s/size = "16m"/size = "1m"/;
$nconf =~ s/memory_max_object = "128k"/memory_max_object = "4k"/;
$p = start_portier(args => [ '-M', $mods ], conf => $nconf);
my $t0 = time;
my $stored = grep { get("/many/$_")->{body} eq 'n=1' } 1 .. 1100;
is($stored, 1100, '1100 small objects fetched') or diag(sprintf('%.1fs', time - $t0));
my $kept = grep {
	(get("/many/$_")->{headers}{'cache-status'} // '') =~ /hit; ttl=\d+; detail=memory/
} 1 .. 20;
is($kept, 20, '... the oldest still hits from memory (more entries than 1024)');
is(hits('/many/1') + hits('/many/20'), 2, '... without the origin');

# A route naming an unknown zone: refused at -t, with file:line and a hint.
(my $bad = $conf) =~ s/zone = "main"; lock_timeout/zone = "mian"; lock_timeout/;
$bad =~ s/%%PORT%%/0/g;
write_file("$tmp/bad.conf", $bad);
my ($rc, $out) = portier_cmd('-t', '-f', "$tmp/bad.conf", '-M', $mods);
isnt($rc, 0, 'unknown cache zone: configuration refused');
like($out, qr/bad\.conf:\d+: .*cache\.zone: no cache zone named "mian" \(declared: "main"\)/,
    '... with file:line and the declared zones');
(my $badmem = $mconf) =~ s/memory = "4m"/memory = "100k"/;
$badmem =~ s/%%PORT%%/0/g;
write_file("$tmp/badmem.conf", $badmem);
($rc, $out) = portier_cmd('-t', '-f', "$tmp/badmem.conf", '-M', $mods);
isnt($rc, 0, 'zone memory below 1m: configuration refused');
like($out, qr/badmem\.conf:\d+: .*memory: 0 \(off\), or from 1m to 2g/, '... with file:line and the range');
done_testing();

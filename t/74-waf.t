# t/74-waf.t: mod_waf with the bundled rules (conf/waf/): attack and
# benign corpora (t/waf/) sent in every request part, with detection and
# false-positive rates printed and floors asserted on the held-out parts;
# bodies still reach the backend whole; detect mode; exclusions per rule
# and per argument and by condition; every request field; body limits and unparsable bodies; the audit log with
# secrets masked; the response phase; bad rules as configuration errors with file and line.
use strict; use warnings; use Test::More;
use File::Spec;
use Digest::MD5 qw(md5_hex);
use Portier::Test qw(start_portier raw_request portier_cmd write_file
    read_file start_origin wait_for);

my $mods = File::Spec->rel2abs($ENV{PORTIER_MODULES} // 'modules/.built');
plan(skip_all => 'mod_waf not built') unless -e "$mods/mod_waf.so";
my $src = File::Spec->rel2abs($ENV{PORTIER_SRCDIR} // '.');

my $o = start_origin(sub {
	my ($q) = @_;
	my %leak = (
	    sql => [ 'X-Error' => "SQLSTATE[42000]: Syntax error: 1064 You have an error in your SQL syntax" ],
	    java => [ 'X-Exception' => 'java.lang.NullPointerException at com.shop.Cart.total(Cart.java:42)' ],
	    profiler => [ 'X-Debug-Token-Link' => 'http://localhost/_profiler/a1b2c3' ],
	    banner => [ 'X-Powered-By' => 'PHP/5.6.40', 'X-AspNet-Version' => '4.0.30319' ],
	    fine => [ 'X-Powered-By' => 'love', 'X-Note' => 'order 42 shipped' ],
	    longname => [ ('X-' . ('a' x 300)) => 'x',
	        'X-Error' => "SQLSTATE[42000]: Syntax error: 1064 You have an error in your SQL syntax" ],
	);
	if ($q->{path} =~ m{/leak/(\w+)} && $leak{$1}) {
		return (200, [ 'Content-Type' => 'text/plain', 'Set-Cookie' => 'sid=secret1',
		    @{ $leak{$1} } ], "origin body with internals\n");
	}
	return (200, [ 'Content-Type' => 'text/plain' ],
	    "ok " . length($q->{body} // '') . " " . md5_hex($q->{body} // '') . "\n");
});

my $p = start_portier(args => [ '-M', $mods ], conf => <<"EOF2");
modules = { load = [ "mod_waf" ]; };
waf = { enable = true; rules = [ "$src/conf/waf/*.conf" ];
        audit_log = "%%TESTDIR%%/audit.log";
        exclude_if = (
          { path = "/app/cms/"; method = [ "POST", "PUT" ]; remove = [ "941000-941999:comment" ]; },
          { path_regex = "^/app/search/[0-9]+\$"; remove = [ "942100:q", "942140:q" ]; },
          { var = "%{header.X-Scan-Ticket}"; match = "^sec-[0-9]{4}\$"; remove = [ "913100" ]; },
          { path = "/app/legacy/"; remove = [ "950110" ]; } ); };
upstreams = ( { name = "app"; servers = ( { address = "127.0.0.1:$o->{port}"; } ); } );
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  routes = (
    { path = "/detect/"; upstream = "app"; waf = { mode = "detect"; }; },
    { path = "/excl/"; upstream = "app"; waf = { exclude = [ "942100", "942140", "942220", "941100:comment" ]; }; },
    { path = "/off/"; upstream = "app"; waf = { enable = false; }; },
    { path = "/small/"; upstream = "app"; waf = { body_limit = "1k"; body_over = "reject"; }; },
    { path = "/partial/"; upstream = "app"; waf = { body_limit = "1k"; }; },
    { path = "/lenient/"; upstream = "app"; waf = { body_error = "pass"; }; },
    { path = "/pl2/"; upstream = "app"; waf = { paranoia = 2; }; },
    { path = "/"; upstream = "app"; } ); } );
EOF2
ok($p->{port}, 'portier started with mod_waf') or BAIL_OUT('no server');

sub enc {
	my ($s) = @_;
	$s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge;
	return $s;
}
sub jstr {
	my ($s) = @_;
	$s =~ s/(["\\])/\\$1/g;
	$s =~ s/\n/\\n/g;
	$s =~ s/([\x00-\x1f])/sprintf('\\u%04x', ord $1)/ge;
	return "\"$s\"";
}

# Sends a payload in one part of a request; returns the status.
sub send_part {
	my ($part, $payload, $base) = @_;
	$base //= '/app';
	$payload =~ s/\\n/\n/g;
	my ($path, $body, @h) = ("$base?page=1", undef);
	if ($part eq 'query') {
		# payloads already percent-encoded stay as they are
		my $v = $payload =~ /%[0-9a-fA-F]{2}/ && $payload !~ /\s/ ? $payload : enc($payload);
		$path = "$base?q=$v";
	} elsif ($part eq 'name') {
		$path = "$base?" . join('', map { /[\w\[\]\$]/ ? $_ : enc($_) } split //, $payload) . "=1";
	} elsif ($part eq 'form') {
		my $v = $payload =~ /%[0-9a-fA-F]{2}/ && $payload !~ /\s/ ? $payload : enc($payload);
		$body = "name=x&comment=$v";
		push @h, 'Content-Type: application/x-www-form-urlencoded';
	} elsif ($part eq 'json') {
		$body = $payload =~ /^\s*\{/ ? $payload : '{"id": 1, "comment": ' . jstr($payload) . '}';
		push @h, 'Content-Type: application/json';
	} elsif ($part eq 'multipart') {
		$body = "--XyZ\r\nContent-Disposition: form-data; name=\"comment\"\r\n\r\n$payload\r\n--XyZ--\r\n";
		push @h, 'Content-Type: multipart/form-data; boundary=XyZ';
	} elsif ($part eq 'xml') {
		$body = $payload;
		push @h, 'Content-Type: application/xml';
	} elsif ($part eq 'header') {
		push @h, "Referer: $payload";
	} elsif ($part eq 'ua') {
		push @h, "User-Agent: $payload";
	} elsif ($part eq 'cookie') {
		push @h, 'Cookie: sid=1; c=' . enc($payload);
	}
	my $req = (defined $body ? 'POST' : 'GET') . " $path HTTP/1.1\r\nHost: localhost\r\n";
	$req .= "$_\r\n" for @h;
	$req .= "Content-Length: " . length($body) . "\r\n" if defined $body;
	$req .= "Connection: close\r\n\r\n" . ($body // '');
	my $raw = raw_request($p, $req, timeout => 5);
	return $raw =~ m{^HTTP/1\.1 (\d{3})} ? $1 : 0;
}

sub corpus {
	my ($file) = @_;
	open(my $fh, '<:raw', "$src/t/waf/$file") or die "$file: $!";
	my @c;
	while (<$fh>) {
		chomp;
		next if /^\s*(#|$)/;
		my ($class, $part, $payload) = split /\t/, $_, 3;
		push @c, [ $class, $part, $payload ];
	}
	return @c;
}

# Runs a corpus; returns (blocked count, total, per-class hashes, misses).
sub run_corpus {
	my ($file) = @_;
	my ($blocked, $n, %cls, @odd) = (0, 0);
	for my $c (corpus($file)) {
		my $st = send_part($c->[1], $c->[2]);
		$n++;
		$cls{$c->[0]}{n}++;
		if ($st == 403) {
			$blocked++;
			$cls{$c->[0]}{b}++;
		}
		# held-out payloads stay unseen: only their class and part
		push @odd, "$c->[0]/$c->[1]" . ($file =~ /holdout/ ? '' : ": $c->[2]") . " -> $st"
		    if ($file =~ /attack/) != ($st == 403);
	}
	return ($blocked, $n, \%cls, \@odd);
}

# The rule ids in the audit lines written since offset $from.
sub audit_rules_since {
	my ($from) = @_;
	my $log = -e "$p->{dir}/audit.log" ? read_file("$p->{dir}/audit.log") : '';
	my ($new, %ids) = (substr($log, $from));
	$ids{$1}++ while $new =~ /"id":(\d+)/g;
	return join(' ', map { "$_ x$ids{$_}" } sort keys %ids);
}

my %rate;
for my $f (qw(attacks-tune attacks-holdout attacks-holdout2 benign-tune benign-holdout benign-holdout2)) {
	my $from = -s "$p->{dir}/audit.log" // 0;
	my ($b, $n, $cls, $odd) = run_corpus("$f.txt");
	diag("    rules that blocked: " . audit_rules_since($from)) if $f =~ /benign/ && $b;
	$rate{$f} = $n ? 100 * $b / $n : 0;
	diag(sprintf('%-16s %3d/%3d blocked (%5.1f%%)', $f, $b, $n, $rate{$f}));
	diag('    ' . join(' ', map { "$_ " . ($cls->{$_}{b} // 0) . "/$cls->{$_}{n}" } sort keys %$cls))
	    if $f =~ /attack/;
	diag("    missed/blocked: $_") for @$odd;
}
cmp_ok($rate{'attacks-holdout'}, '>=', 90, 'held-out attacks: at least 90% blocked');
cmp_ok($rate{'benign-holdout'}, '<=', 2, 'held-out benign: at most 2% blocked');
# The second held-out pair was written blind (its author never saw the
# rules or the other corpora) after the rules were last changed.
cmp_ok($rate{'attacks-holdout2'}, '>=', 90, 'blind held-out attacks: at least 90% blocked');
cmp_ok($rate{'benign-holdout2'}, '<=', 2, 'blind held-out benign: at most 2% blocked');
cmp_ok($rate{'attacks-tune'}, '>=', 90, 'tuning attacks: at least 90% blocked');
cmp_ok($rate{'benign-tune'}, '<=', 2, 'tuning benign: at most 2% blocked');

# The body reaches the backend whole.
my $big = '{"items": [' . join(',', map { "{\"n\": $_, \"text\": \"item number $_\"}" } 1 .. 300) . ']}';
my $raw = raw_request($p, "POST /app HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    . "Content-Length: " . length($big) . "\r\nConnection: close\r\n\r\n$big", timeout => 5);
like($raw, qr/ok ${\ length $big} ${\ md5_hex($big)}/, 'an inspected body reaches the backend unchanged');

# Detect mode, off, exclusions.
my $atk = "1' OR '1'='1";
is(send_part('query', $atk), 403, 'an attack is blocked');
is(send_part('query', $atk, '/detect/x'), 200, 'detect mode lets it through');
ok(wait_for(sub { read_file($p->{error_log}) =~ /detected: score \d+/ }, 3), 'and logs it');
is(send_part('query', $atk, '/off/x'), 200, 'enable = false: not inspected');
is(send_part('form', "' or 1=1 --", '/excl/x'), 200, 'exclusions by rule id');
is(send_part('form', '<script>alert(1)</script>', '/excl/x'), 200, 'exclusion of a rule for one argument');
is(send_part('query', '<script>alert(1)</script>', '/excl/x'), 403, 'the rule still runs on other arguments');

# Every request field is inspected, names included.
sub head_status {
	my ($fields) = @_;
	my $raw = raw_request($p, "GET /app?page=1 HTTP/1.1\r\nHost: localhost\r\n$fields"
	    . "Connection: close\r\n\r\n", timeout => 5);
	return $raw =~ m{^HTTP/1\.1 (\d{3})} ? $1 : 0;
}
is(head_status("X-Custom-Id: 1' UNION SELECT password FROM users--\r\n"), 403,
    'an attack in any request field is blocked');
is(head_status("X-Debug-Path: ../../../../etc/passwd\r\n"), 403,
    'path traversal in a custom field is blocked');
is(head_status("Proxy: http://evil.example:8080/\r\n"), 403,
    'a Proxy field (httpoxy) is blocked by its name');
is(head_status("X-Note: chunked, gzip\r\n"), 200,
    'a rule for one field (Transfer-Encoding) leaves others alone');
my $browser = join('', map { "$_\r\n" }
    'User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
    'Accept-Language: de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7',
    'Accept-Encoding: gzip, deflate, br, zstd',
    'Sec-Ch-Ua: "Not_A Brand";v="8", "Chromium";v="120", "Google Chrome";v="120"',
    'Sec-Ch-Ua-Mobile: ?0',
    'Sec-Ch-Ua-Platform: "Windows"',
    'Sec-Fetch-Dest: document', 'Sec-Fetch-Mode: navigate', 'Sec-Fetch-Site: same-origin',
    'Sec-Fetch-User: ?1', 'Upgrade-Insecure-Requests: 1',
    'If-None-Match: W/"5e-1a2b3c4d"', 'If-Modified-Since: Tue, 14 Nov 2023 08:12:31 GMT',
    'Cache-Control: max-age=0', 'DNT: 1', 'Priority: u=0, i',
    'X-Requested-With: XMLHttpRequest', 'X-CSRF-Token: 4f9d0c1e-77aa-4c2b-9e61-0d3e2a7b5c19',
    'Traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    'Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
    'X-Forwarded-For: 203.0.113.7, 198.51.100.23',
    'Referer: https://shop.example.com/search?q=O%27Reilly+books&sort=price');
is(head_status($browser), 200, 'a browser request with many fields passes');

# The response phase: status and response fields.
sub get_raw {
	my ($path) = @_;
	return raw_request($p, "GET $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
	    timeout => 5);
}
for my $l (qw(sql java profiler)) {
	my $r = get_raw("/app/leak/$l");
	like($r, qr{^HTTP/1\.1 403}, "response leaking $l internals: replaced by 403");
	unlike($r, qr/origin body|X-Error|X-Exception|X-Debug|Set-Cookie/i,
	    "$l: neither the origin's fields nor its body reach the client");
}
like(get_raw('/app/leak/fine'), qr{^HTTP/1\.1 200.*origin body}s, 'a clean response passes');
like(get_raw('/app/leak/banner'), qr{^HTTP/1\.1 200}, 'version banners pass at paranoia 1');
like(get_raw('/pl2/leak/banner'), qr{^HTTP/1\.1 403}, 'and are blocked at paranoia 2 (two weaker signs)');
# A blocked response whose first field has a name of 300 bytes: every
# field goes, the worker answers (it once spun on a name cut short).
my $lr = get_raw('/app/leak/longname');
like($lr, qr{^HTTP/1\.1 403}, 'a field name of 300 bytes: blocked all the same');
unlike($lr, qr{X-aaaa}, 'and no field of the origin remains');
like(get_raw('/app/leak/fine'), qr{^HTTP/1\.1 200}, 'the worker still answers');
like(get_raw('/detect/leak/sql'), qr{^HTTP/1\.1 200.*origin body}s, 'detect mode: the response goes out');
ok(wait_for(sub { read_file($p->{error_log}) =~ /detected \(response\): score \d+, rules 950110/ }, 3),
    'and is logged as detected in the response phase');

# Exclusions by condition (exclude_if).
my $xss = '<img src=x onerror=alert(1)>';
is(send_part('form', $xss, '/app/cms/page'), 200, 'exclude_if: path prefix and method, a range of ids for one field');
is(send_part('query', $xss, '/app/cms/page'), 403, 'exclude_if: a GET there is still inspected');
is(send_part('form', $xss, '/app/blog/page'), 403, 'exclude_if: another path is still inspected');
is(send_part('query', "1' OR '1'='1", '/app/search/42'), 200, 'exclude_if: path regex');
is(send_part('query', "1' OR '1'='1", '/app/search/42x'), 403, 'exclude_if: path regex, no match');
is(head_status("User-Agent: sqlmap/1.7\r\nX-Scan-Ticket: sec-1234\r\n"), 200,
    'exclude_if: a variable matching a regex');
is(head_status("User-Agent: sqlmap/1.7\r\nX-Scan-Ticket: sec-12345\r\n"), 403,
    'exclude_if: the variable does not match');
like(get_raw('/app/legacy/leak/sql'), qr{^HTTP/1\.1 200}, 'exclude_if applies to the response phase too');
write_file("$p->{dir}/badx.conf", <<"EOF5");
modules = { dir = "$mods"; load = [ "mod_waf" ]; };
waf = { rules = [ "$src/conf/waf/*.conf" ];
  exclude_if = ( { path = "/x/"; },
                 { path_regex = "(open"; remove = [ "1" ]; },
                 { var = "%{query}"; remove = [ "1" ]; },
                 { colour = "red"; remove = [ "5-2" ]; } ); };
servers = ( { listen = [ "127.0.0.1:0" ]; } );
EOF5
my ($xrc, $xout) = portier_cmd('-t', '-f', "$p->{dir}/badx.conf");
isnt($xrc, 0, 'bad exclude_if refuses the configuration');
like($xout, qr/badx\.conf:3:.*needs what to remove/, 'exclude_if without remove: file and line');
like($xout, qr/badx\.conf:4:.*bad regex "\(open"/, 'exclude_if: bad regex');
like($xout, qr/badx\.conf:5:.*var and match go together/, 'exclude_if: var without match');
like($xout, qr/badx\.conf:6:.*unknown key/, 'exclude_if: unknown key');
like($xout, qr/badx\.conf:6:.*"5-2": a range is low-high/, 'exclude_if: a bad range');

# Body limits and unparsable bodies.
my $pad = 'a' x 2000;
is(send_part('form', $pad, '/small/x'), 413, 'body over body_limit: 413 with body_over = reject');
is(send_part('form', "<script>alert(1)</script>$pad", '/partial/x'), 403, 'partial: the first part is inspected');
my $broken = '{"a": "b", ';
my $req = "POST /app HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
    . length($broken) . "\r\nConnection: close\r\n\r\n$broken";
like(raw_request($p, $req, timeout => 5), qr{^HTTP/1\.1 403}, 'broken JSON is blocked (body_error = block)');
$req =~ s{/app}{/lenient/};
like(raw_request($p, $req, timeout => 5), qr{^HTTP/1\.1 200}, 'body_error = pass lets it through');
my $mp = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--WRONG--\r\n";
like(raw_request($p, "POST /app HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
    . "Content-Length: " . length($mp) . "\r\nConnection: close\r\n\r\n$mp", timeout => 5),
    qr{^HTTP/1\.1 403}, 'a bad multipart boundary is blocked');
my $redos = ('a' x 5000) . "' OR 'x'='x";
is(send_part('form', $redos), 403, 'padding does not get an attack through');

# Audit log.
raw_request($p, "GET /app?x=1 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic ' or 1=1--\r\n"
    . "Connection: close\r\n\r\n", timeout => 5);
my $audit = "$p->{dir}/audit.log";
ok(wait_for(sub { -s $audit }, 3), 'the audit log is written');
my @lines = split /\n/, read_file($audit);
my $ok_json = eval { require JSON::PP; 1 };
SKIP: {
	skip('JSON::PP missing', 5) unless $ok_json;
	my @objs = map { JSON::PP::decode_json($_) } @lines;
	is(scalar(grep { !defined $_->{score} } @objs), 0, 'every audit line is JSON with a score');
	my ($a) = grep { $_->{uri} =~ /q=1%27/ } @objs;
	ok($a && $a->{action} eq 'blocked' && @{ $a->{rules} } > 0 && $a->{rules}[0]{id},
	    'a blocked request with its rules');
	my ($resp) = grep { $_->{uri} eq '/app/leak/sql' } @objs;
	ok($resp && $resp->{phase} eq 'response' && $resp->{status} == 200 && $resp->{action} eq 'blocked'
	    && $resp->{rules}[0]{id} == 950110 && $resp->{rules}[0]{name} eq 'X-Error',
	    'a blocked response: phase, origin status, rule and field');
	my ($auth) = grep { grep { lc $_->{name} eq 'authorization' } @{ $_->{rules} } } @objs;
	ok($auth, 'a hit in Authorization is logged');
	is((grep { lc $_->{name} eq 'authorization' } @{ $auth->{rules} })[0]{data}, '***',
	    'and its data is masked');
}

# Bad rules are configuration errors with file and line.
write_file("$p->{dir}/bad.rules", <<'EOF3');
# comment
100 1 5 t args none rx "bad regex" (unclosed
101 1 5 t nowhere none rx "unknown target" x
102 1 5 t args rot13 rx "unknown transformation" x
103 1 5 t args none frobnicate "unknown operator" x
103 1 5 t args none rx "fine" y
103 1 5 t args none rx "duplicate" z
EOF3
write_file("$p->{dir}/bad.conf", <<"EOF4");
modules = { dir = "$mods"; load = [ "mod_waf" ]; };
waf = { rules = [ "bad.rules" ]; };
servers = ( { listen = [ "127.0.0.1:0" ]; } );
EOF4
my ($rc, $out) = portier_cmd('-t', '-f', "$p->{dir}/bad.conf");
isnt($rc, 0, 'bad rules refuse the configuration');
like($out, qr/bad\.rules:2: bad regex/, 'bad regex: file and line');
like($out, qr/bad\.rules:3: unknown target "nowhere"/, 'unknown target');
like($out, qr/bad\.rules:4: unknown transformation "rot13"/, 'unknown transformation');
like($out, qr/bad\.rules:5: unknown operator "frobnicate"/, 'unknown operator');
like($out, qr/bad\.rules:7: duplicate rule id 103/, 'duplicate id');

done_testing();

# t/02-modules.t: the module loader (errors with file:line), hook order
# from -t -v, and mod_headers setting, adding and removing fields per
# server and per route, with variables.
use strict; use warnings; use Test::More;
use Portier::Test qw(start_portier http_request raw_request portier_cmd write_file);

my $mods = $ENV{PORTIER_MODULES} // 'modules/.built';
plan(skip_all => 'mod_headers not built') unless -e "$mods/mod_headers.so";
my $src = $ENV{PORTIER_SRCDIR} // '.';

my $p = start_portier(args => [ '-M', $mods ], conf => <<"EOF2");
modules = { load = [ "mod_headers" ]; };
headers = { response_set = [ "X-Global: g" ]; };
servers = ( { listen = [ "127.0.0.1:%%PORT%%" ];
  headers = { response_remove = [ "Server" ];
              response_add = [ "X-Req: %{request_id}", "X-Host: %{host}" ]; };
  routes = (
    { path = "/style"; root = "$src/conf/www";
      headers = { response_set = [ "Cache-Control: max-age=60", "Content-Type: text/x-test" ]; }; },
    { path = "/"; root = "$src/conf/www"; } ); } );
EOF2

my $r = http_request($p, GET => '/', Host => 'example.test');
is($r->{status}, 200, 'served with mod_headers loaded');
ok(!exists $r->{headers}{server}, 'server scope: Server removed');
like($r->{headers}{'x-req'} // '', qr/^[0-9a-f]{16}$/, 'variable: request id');
is($r->{headers}{'x-host'}, 'example.test', 'variable: host');
is($r->{headers}{'x-global'}, 'g', 'keys a server does not set inherit from global');
$r = http_request($p, GET => '/style.css');
is($r->{headers}{'cache-control'}, 'max-age=60', 'route scope: set');
is($r->{headers}{'content-type'}, 'text/x-test', 'route scope: replaces a core field');
ok(!exists $r->{headers}{server}, 'route inherits the server\'s other keys');
is($r->{headers}{'content-length'}, length $r->{body}, 'framing intact');

# -t -v prints the hook order with the module's registrations.
my ($rc, $out) = portier_cmd('-t', '-v', '-M', $mods, '-f', $p->{conf});
is($rc, 0, '-t -v exits 0');
like($out, qr/fixups: mod_headers\(10\)/, 'fixups order printed');
like($out, qr/response_filter: mod_headers\(20\)/, 'filter order printed');

# Load errors name the file and line.
my $d = $p->{dir};
write_file("$d/bad1.conf", <<'EOF2');
modules = {
  load = [ "mod_headers", "mod_nonesuch" ];
};
servers = ( { listen = [ "127.0.0.1:0" ]; } );
EOF2
($rc, $out) = portier_cmd('-t', '-M', $mods, '-f', "$d/bad1.conf");
isnt($rc, 0, 'missing module refused');
like($out, qr{bad1\.conf:2: .*mod_nonesuch}, 'missing module: file and line');
write_file("$d/bad2.conf", <<'EOF2');
modules = { load = [ "mod_headers" ]; };
headers = { response_set = [ "Bad Name: x" ]; request_sett = [ ]; };
servers = ( { listen = [ "127.0.0.1:0" ]; } );
EOF2
($rc, $out) = portier_cmd('-t', '-M', $mods, '-f', "$d/bad2.conf");
isnt($rc, 0, 'bad module directive refused');
like($out, qr{bad2\.conf:2: headers\.response_set: .*Name: value}, 'module directive checked');
like($out, qr{bad2\.conf:2: .*request_sett.*did you mean "request_set"}, 'module key: did you mean');
write_file("$d/bad3.conf", <<'EOF2');
headers = { response_set = [ "X: y" ]; };
servers = ( { listen = [ "127.0.0.1:0" ]; } );
EOF2
($rc, $out) = portier_cmd('-t', '-M', $mods, '-f', "$d/bad3.conf");
like($out, qr{bad3\.conf:1: .*mod_headers.*not loaded}, 'group of a module not loaded');
done_testing();

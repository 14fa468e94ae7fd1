# t/01-config.t: -t names every error with file:line and a hint; -T prints
# the effective configuration, which loads again.
use strict; use warnings; use Test::More;
use File::Temp qw(tempdir);
use Portier::Test qw(portier_cmd write_file);

my $d = tempdir(CLEANUP => 1);
write_file("$d/bad.conf", <<'EOF2');
workers = { start = 8; max = 4; };
timeouts = { keepalive = 5; head = "5 parsecs"; };
log_level = "verbose";
servers = ( { listen = [ "127.0.0.1:0" ];
  rooot = "/tmp";
  ssl = { };
  routes = ( { path = "nope"; root = "/nonexistent/dir"; } ); } );
EOF2
my ($rc, $out) = portier_cmd('-t', '-f', "$d/bad.conf");
isnt($rc, 0, '-t on a bad file exits non-zero');
like($out, qr{bad\.conf:1: workers\.max: .*must be >= workers\.start}, 'cross-field check with file:line');
like($out, qr{bad\.conf:2: timeouts\.keepalive: .*\(.*"5s"}, 'bare number for a duration, with a hint');
like($out, qr{bad\.conf:2: timeouts\.head: }, 'bad unit');
like($out, qr{bad\.conf:3: log_level: .*(did you mean|one of)}, 'bad enum');
like($out, qr{bad\.conf:5: .*rooot.*did you mean "root"}, 'unknown key, did you mean');
like($out, qr{bad\.conf:6: .*mod_ssl.*not loaded}, 'module group names the module');
like($out, qr{bad\.conf:7: .*path: .*/}, 'route path must start with /');
like($out, qr{bad\.conf:7: .*root: }, 'root must exist');

write_file("$d/syntax.conf", "servers = ( { listen = [ \"127.0.0.1:0\" ] } ;\n");
($rc, $out) = portier_cmd('-t', '-f', "$d/syntax.conf");
isnt($rc, 0, 'syntax error refused');
like($out, qr{syntax\.conf:1: }, 'syntax error names file and line');

# -T: defaults filled in; the dump loads again.
write_file("$d/good.conf", <<"EOF2");
servers = ( { listen = [ "127.0.0.1:0" ]; routes = ( { path = "/"; root = "$d"; } ); } );
EOF2
($rc, $out) = portier_cmd('-T', '-f', "$d/good.conf");
is($rc, 0, '-T exits 0');
like($out, qr/keepalive\s*=\s*"5s"/, '-T shows defaults');
like($out, qr/line\s*=\s*"8190/, '-T shows request limits');
write_file("$d/dump.conf", $out);
($rc, my $out2) = portier_cmd('-t', '-f', "$d/dump.conf");
is($rc, 0, 'the dump is a valid configuration') or diag($out2);
done_testing();

# t/95-install.t: make install into a temporary prefix, then operate the
# installed server the way the README says: the init script starts it,
# reports its status, reloads a changed configuration under load (no
# request fails), refuses a broken one (the old keeps serving), restarts,
# stops gracefully and not; a module built out of tree with the installed
# portier-mod is installed, loaded and runs; logs rotate through the
# graceful restart; make uninstall leaves only the modified configuration.
#
# The prefix is given to make, not to configure, so the build is reused:
# every installed file with a path is filled in at install time, but the
# binary keeps its compiled-in defaults, so the test's configuration names
# its modules folder. Nothing here needs root: the init script gets -u with
# the user running the test through PORTIER_OPTS.
use strict; use warnings; use Test::More;
use File::Temp qw(tempdir);
use File::Find;
use Time::HiRes qw(sleep time);
use Portier::Test qw(http_request wait_for read_file write_file);
use Portier::Load qw(load_start load_finish);

my $build = $ENV{PORTIER_BUILDDIR}
    or plan(skip_all => 'PORTIER_BUILDDIR is not set: run it with make check');
my $src = $ENV{PORTIER_SRCDIR} // '.';
my $make = $ENV{PORTIER_MAKE} // 'make';
my $me = getpwuid($<);
$SIG{ALRM} = sub { die "t/95-install.t: timed out\n" };
alarm(150);

my $cleanup = !$ENV{PORTIER_KEEP};
my $prefix = tempdir('portier-i-XXXXXX', TMPDIR => 1, CLEANUP => $cleanup);
my $t = tempdir('portier-t-XXXXXX', TMPDIR => 1, CLEANUP => $cleanup);
chmod(0755, $prefix, $t);

# Every folder follows the prefix, even one configure was given
# explicitly (--sysconfdir=/etc): the test never writes outside it.
my %dirs = (prefix => $prefix, exec_prefix => $prefix, bindir => "$prefix/bin",
    sbindir => "$prefix/sbin", libdir => "$prefix/lib",
    includedir => "$prefix/include", datarootdir => "$prefix/share",
    datadir => "$prefix/share", mandir => "$prefix/share/man",
    sysconfdir => "$prefix/etc", localstatedir => "$prefix/var",
    runstatedir => "$prefix/var/run",
    systemdsystemunitdir => "$prefix/lib/systemd/system");
my @make = ($make, '-C', $build, 'DESTDIR=', map { "$_=$dirs{$_}" } sort keys %dirs);
my $moddir = "$prefix/lib/portier/modules";
my $init = "$prefix/etc/init.d/portier";
my $pidfile = "$prefix/var/run/portier.pid";
my $logdir = "$prefix/var/log/portier";

# A server the script started is stopped even when a test dies midway.
END {
	local $?;
	my $p = defined $pidfile ? read_file($pidfile) : '';
	kill('TERM', $1) if $p =~ /^(\d+)$/m && $1 > 1;
}

# Runs a command with its output in a file, not a pipe (a daemon it starts
# must not hold the reader), and no make flags from the make running us.
sub run {
	my ($opt, @cmd) = ref $_[0] ? @_ : ({}, @_);
	my $out = "$t/cmd.out";
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES)};
		$ENV{$_} = $opt->{env}{$_} for keys %{ $opt->{env} // {} };
		chdir($opt->{dir}) or exit 127 if $opt->{dir};
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', $out);
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or exit 127;
	}
	waitpid($pid, 0);
	return ($? >> 8, read_file($out));
}

# 1. make install into the prefix.
my ($rc, $out) = run(@make, 'install');
is($rc, 0, 'make install into a temporary prefix') or diag($out);
for my $f ("sbin/portier", "bin/portier-mod", "etc/init.d/portier",
    "etc/portier/portier.conf", "etc/portier/mime.types", "etc/default/portier",
    "etc/logrotate.d/portier", "lib/systemd/system/portier.service",
    "lib/pkgconfig/portier.pc", "lib/portier/modules/mod_headers.so",
    "include/portier/module.h", "share/portier/www/index.html",
    "share/man/man8/portier.8", "share/man/man1/portier-mod.1",
    "share/man/man7/portier-modules.7") {
	ok(-e "$prefix/$f", "installed: $f");
}
ok(-d $logdir, 'log folder created');
my @la = glob("$moddir/*.la");
is(scalar(@la), 0, 'no libtool .la files among the modules');
ok(-x $init && -x "$prefix/bin/portier-mod", 'init script and portier-mod executable');
for my $f (map { "$prefix/$_" } qw(etc/init.d/portier bin/portier-mod
    lib/systemd/system/portier.service etc/logrotate.d/portier
    lib/pkgconfig/portier.pc etc/portier/portier.conf etc/default/portier)) {
	unlike(read_file($f), qr/\@[a-z_]+\@/i, "no placeholder left in $f");
}
is(system('sh', '-n', $init), 0, 'init script: sh -n');
like(read_file($init), qr/^### BEGIN INIT INFO\n# Provides:\s+portier\n/m, 'LSB header');
like(read_file($init), qr{\Q$prefix\E/sbin/portier}, 'init script: installed paths');

# The installed configuration: production paths under the prefix, valid.
my $iconf = read_file("$prefix/etc/portier/portier.conf");
like($iconf, qr{^pid_file = "\Q$pidfile\E";}m, 'installed config: pid_file');
like($iconf, qr{^error_log = "\Q$logdir\E/error\.log";}m, 'installed config: error_log');
like($iconf, qr{^user = "www-data";}m, 'installed config: workers as www-data');
like($iconf, qr{root = "\Q$prefix\E/share/portier/www";}, 'installed config: the installed site');
($rc, $out) = run("$prefix/sbin/portier", '-t', '-u', $me, '-M', $moddir,
    '-f', "$prefix/etc/portier/portier.conf");
is($rc, 0, 'installed config: portier -t accepts it') or diag($out);

# The unit and logrotate.
my $unit = read_file("$prefix/lib/systemd/system/portier.service");
like($unit, qr/^Type=forking$/m, 'unit: forking');
like($unit, qr/^PIDFile=\Q$pidfile\E$/m, 'unit: PIDFile is the configured pid_file');
like($unit, qr/^ExecStartPre=\Q$prefix\E\/sbin\/portier -t /m, 'unit: config test before start');
like($unit, qr/^ExecReload=.*kill -USR1 \$MAINPID$/m, 'unit: reload is graceful');
like($unit, qr/^Restart=on-failure$/m, 'unit: restarts on failure');
like($unit, qr/^LimitNOFILE=\d+$/m, 'unit: LimitNOFILE');
like($unit, qr/^CapabilityBoundingSet=.*CAP_NET_BIND_SERVICE/m, 'unit: low ports allowed');
unlike($unit, qr/^MemoryDenyWriteExecute/m, 'unit: PCRE2 JIT allowed');
SKIP: {
	my $sa = `command -v systemd-analyze 2>/dev/null`;
	chomp $sa;
	skip('systemd-analyze is not installed', 1) unless length $sa;
	($rc, $out) = run($sa, 'verify', '--man=no', "$prefix/lib/systemd/system/portier.service");
	ok($rc == 0 && $out eq '', 'unit: systemd-analyze verify, no warnings') or diag($out);
}
my $lr = read_file("$prefix/etc/logrotate.d/portier");
like($lr, qr{^\Q$logdir\E/\*\.log \{}m, 'logrotate: the log folder');
like($lr, qr{kill -USR1 "\$\(cat \Q$pidfile\E\)"}, 'logrotate: graceful restart');

# 2. The init script, pointed at a test configuration through the
# overrides the defaults file documents.
my %env = (PORTIER_CONF => "$t/portier.conf", PORTIER_OPTS => "-u $me",
    SYSTEMCTL_SKIP_REDIRECT => 1, PORTIER_START_TIMEOUT => 10);
sub initd { run({ env => \%env }, $init, @_) }
mkdir("$t/site");
mkdir("$t/site/new");
write_file("$t/site/new/hello.txt", "hello\n");
my $base = <<"EOF2";
pid_file = "$pidfile";
listen_report = "$t/ports";
error_log = "$logdir/error.log";
access_log = "$logdir/access.log";
log_level = "info";
workers = { start = 2; min_spare = 1; max_spare = 4; max = 8; };
EOF2
my $mods = qq{modules = { dir = "$moddir"; load = [ "mod_headers" ]; };\n};
my $servers = <<"EOF2";
headers = { response_set = [ "X-Installed: yes" ]; };
servers = ( { listen = [ "127.0.0.1:0" ];
  routes = ( { path = "/"; root = "$prefix/share/portier/www"; } ); } );
EOF2
(my $servers2 = $servers) =~ s{routes = \(}{routes = ( { path = "/new/"; root = "$t/site"; },};
write_file("$t/portier.conf", $base . $mods . $servers);

my $s = { dir => $t };
sub port_of {
	my ($line) = split /\n/, read_file("$t/ports");
	return ($line // '') =~ /:(\d+)$/ ? $1 : undef;
}
sub pid_of { my $p = read_file($pidfile); chomp $p; return $p }

($rc, $out) = initd('status');
is($rc, 3, 'status before start: 3 (not running)') or diag($out);
($rc, $out) = initd('start');
is($rc, 0, 'start') or diag($out, read_file("$logdir/error.log"));
ok(-s $pidfile, 'pid file written');
ok(wait_for(sub { -s "$t/ports" }, 5), 'listening');
$s->{port} = port_of();
my $pid = pid_of();
like(read_file("/proc/$pid/cmdline"), qr/^portier: master/, 'the pid is the master') if -d "/proc/$pid";
($rc, $out) = initd('status');
is($rc, 0, 'status: 0 (running)');
like($out, qr/running \(pid $pid\)/, 'status names the pid');
my $r = http_request($s, GET => '/index.html');
is($r->{status}, 200, 'the installed site is served');
is($r->{headers}{'x-installed'}, 'yes', 'an installed module (mod_headers) runs');
($rc, $out) = initd('start');
is($rc, 0, 'start when running: 0');
is(pid_of(), $pid, 'start when running: same master');

# Reload with a new route, under load: no request fails.
my $load = load_start(port => $s->{port}, clients => 4, seconds => 3, path => '/index.html');
sleep(0.5);
write_file("$t/portier.conf", $base . $mods . $servers2);
($rc, $out) = initd('reload');
is($rc, 0, 'reload') or diag($out);
ok(wait_for(sub { http_request($s, GET => '/new/hello.txt')->{status} == 200 }, 5),
    'reload: the new route answers');
my ($ok, $fail) = load_finish($load);
cmp_ok($ok, '>', 20, "load ran ($ok requests)");
is($fail, 0, 'reload under load: no failed request');
is(pid_of(), $pid, 'reload keeps the master');

# A broken configuration: refused with its errors, the old one serves on.
write_file("$t/portier.conf", $base . $mods . $servers2 . "bogus_key = 1;\n");
($rc, $out) = initd('configtest');
isnt($rc, 0, 'configtest: a broken config exits non-zero');
like($out, qr{portier\.conf:\d+: .*bogus_key}, 'configtest prints the error with file and line');
($rc, $out) = initd('reload');
isnt($rc, 0, 'reload of a broken config exits non-zero');
like($out, qr{portier\.conf:\d+: .*bogus_key}, 'reload prints the errors');
($rc, $out) = initd('restart');
isnt($rc, 0, 'restart with a broken config exits non-zero');
is(pid_of(), $pid, 'restart refused: the same master runs');
is(http_request($s, GET => '/new/hello.txt')->{status}, 200, 'the old configuration still serves');

# graceful (USR1) and force-reload on a good configuration.
write_file("$t/portier.conf", $base . $mods . $servers2);
($rc, $out) = initd('graceful');
is($rc, 0, 'graceful') or diag($out);
ok(wait_for(sub { read_file("$logdir/error.log") =~ /graceful restart: generation 3/ }, 5),
    'graceful restart logged');
($rc, $out) = initd('force-reload');
is($rc, 0, 'force-reload') or diag($out);

# 3. An out-of-tree module: the example of portier-modules(7), built with
# the installed portier-mod and pkg-config, installed, loaded, reloaded.
my $man = read_file("$src/man/portier-modules.7");
my ($code) = $man =~ /^\.Sh EXAMPLES\n.*?^\.Bd -literal\n(.*?)^\.Ed\n/ms;
$code //= '';
$code =~ s/\\e/\\/g;
my $example = read_file("$src/t/example_module/mod_example.c");
ok(length $example && $code eq $example,
    't/example_module/mod_example.c is the example of portier-modules.7');
mkdir("$t/mod");
write_file("$t/mod/mod_example.c", $example);
my %pc = (PKG_CONFIG_PATH => "$prefix/lib/pkgconfig");
($rc, $out) = run({ env => \%pc }, 'pkg-config', '--cflags', 'portier');
like($out, qr{-I\Q$prefix\E/include\b}, 'pkg-config --cflags portier: the installed headers');
($rc, $out) = run({ env => \%pc }, 'pkg-config', '--variable=moduledir', 'portier');
is($out, "$moddir\n", 'pkg-config: moduledir');
($rc, $out) = run("$prefix/bin/portier-mod", '-q', 'moduledir');
is($out, "$moddir\n", 'portier-mod -q moduledir finds its own portier.pc');
($rc, $out) = run("$prefix/bin/portier-mod", '-q', 'includedir');
is($out, "$prefix/include/portier\n", 'portier-mod -q includedir');
($rc, $out) = run({ env => \%pc, dir => "$t/mod" }, "$prefix/bin/portier-mod", '-c',
    'mod_example.c', '-Werror');
is($rc, 0, 'portier-mod -c builds the example out of tree') or diag($out);
ok(-s "$t/mod/mod_example.so", 'mod_example.so written');
($rc, $out) = run({ env => \%pc }, "$prefix/bin/portier-mod", '-i', "$t/mod/mod_example.so");
is($rc, 0, 'portier-mod -i') or diag($out);
ok(-f "$moddir/mod_example.so", 'installed into the modules folder');
(my $mods2 = $mods) =~ s/"mod_headers"/"mod_headers", "mod_example"/;
write_file("$t/portier.conf", $base . $mods2 .
    qq{example = { deny = [ "/private/" ]; };\n} . $servers2);
($rc, $out) = initd('reload');
is($rc, 0, 'reload with the new module') or diag($out);
ok(wait_for(sub { http_request($s, GET => '/private/x')->{status} == 403 }, 5),
    'the module runs: its access hook denies /private/');
# Old workers may still take a connection or two while they wind down.
ok(wait_for(sub { $r = http_request($s, GET => '/index.html');
    ($r->{headers}{'x-example'} // '') =~ /^[0-9a-f]{16}$/ }, 5),
    'its filter tags the response with the request id');

# 4. Logs rotate: rename, then what logrotate's postrotate runs.
http_request($s, GET => '/index.html');
rename("$logdir/access.log", "$logdir/access.log.1");
my ($post) = read_file("$prefix/etc/logrotate.d/portier") =~ /postrotate\n(.*?)\n\s*endscript/s;
is(system('sh', '-c', $post // 'false'), 0, 'postrotate script runs');
ok(wait_for(sub { http_request($s, GET => '/index.html'); -s "$logdir/access.log" }, 5),
    'new access log written after rotation');
ok(-s "$logdir/access.log.1", 'rotated log kept its lines');

# 5. restart, graceful-stop, start, stop, and status after each.
unlink("$t/ports");
($rc, $out) = initd('restart');
is($rc, 0, 'restart') or diag($out);
isnt(pid_of(), $pid, 'restart: a new master');
ok(wait_for(sub { -s "$t/ports" }, 5), 'listening again');
$s->{port} = port_of();
is(http_request($s, GET => '/private/x')->{status}, 403, 'restarted with the module');
$pid = pid_of();
($rc, $out) = initd('graceful-stop');
is($rc, 0, 'graceful-stop') or diag($out);
ok(!kill(0, $pid), 'graceful-stop: the master is gone');
($rc) = initd('status');
is($rc, 3, 'status after graceful-stop: 3');
($rc, $out) = initd('start');
is($rc, 0, 'start again') or diag($out);
$pid = pid_of();
($rc, $out) = initd('stop');
is($rc, 0, 'stop') or diag($out);
ok(!kill(0, $pid), 'stop: the master is gone');
ok(!-e $pidfile, 'stop: the pid file is gone');
($rc, $out) = initd('status');
is($rc, 3, 'status after stop: 3');
($rc, $out) = initd('stop');
is($rc, 0, 'stop when stopped: 0');

# A pid file whose process is gone: status 1, and start cleans it up.
my $dead = fork() // die;
if ($dead == 0) { exec('true') or exit 0; }
waitpid($dead, 0);
write_file($pidfile, "$dead\n");
($rc) = initd('status');
is($rc, 1, 'status with a stale pid file: 1');
write_file("$t/portier.conf", $base . $mods . $servers . "bogus_key = 1;\n");
($rc, $out) = initd('start');
isnt($rc, 0, 'start with a broken config exits non-zero');
like($out, qr{portier\.conf:\d+: .*bogus_key}, 'start prints the errors');
($rc) = initd('status');
isnt($rc, 0, 'nothing started');
(my $nopid = $base) =~ s/^pid_file = .*\n//m;
write_file("$t/portier.conf", $nopid . $mods . $servers);
($rc, $out) = initd('start');
isnt($rc, 0, 'start refuses a config whose pid_file the script does not watch');
like($out, qr/pid_file/, 'and says why');
write_file("$t/portier.conf", $base . $mods . $servers);
($rc, $out) = initd('start');
is($rc, 0, 'start over a stale pid file') or diag($out);
($rc, $out) = initd('stop');
is($rc, 0, 'stop');

# 6. make install keeps a modified configuration; make uninstall removes
# everything else (the out-of-tree module and the logs are not its own).
unlink("$moddir/mod_example.so", glob("$logdir/*"));
open(my $fh, '>>', "$prefix/etc/portier/portier.conf") or die;
print $fh "# a local change\n";
close($fh);
($rc, $out) = run(@make, 'install');
is($rc, 0, 'make install again') or diag($out);
like(read_file("$prefix/etc/portier/portier.conf"), qr/# a local change/,
    'make install does not overwrite the configuration');
ok(-f "$prefix/etc/portier/portier.conf.dist", 'the new one is put beside it');
($rc, $out) = run(@make, 'uninstall');
is($rc, 0, 'make uninstall') or diag($out);
my @left;
find(sub { push @left, $File::Find::name =~ s{^\Q$prefix\E/}{}r if -f || -l }, $prefix);
is_deeply(\@left, [ 'etc/portier/portier.conf' ], 'uninstall leaves only the modified configuration')
    or diag(join("\n", @left));
done_testing();

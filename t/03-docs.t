# t/03-docs.t: the man pages cannot drift from the code. Every directive of
# every built module has an ".It Ic name" entry in portier.conf(5) (the
# core's tables are checked by t/unit/test_conf.c), and the three pages
# pass mandoc's linter.
use strict; use warnings; use Test::More;
use File::Temp qw(tempdir);
use Portier::Test qw(portier_cmd read_file write_file);

my $src = $ENV{PORTIER_SRCDIR} // '.';
my $mods = $ENV{PORTIER_MODULES} // 'modules/.built';
my @pages = map { "$src/man/$_" } qw(portier.8 portier.conf.5 portier-modules.7 portier-mod.1);
my $conf5 = read_file("$src/man/portier.conf.5");
ok(length $conf5, 'portier.conf.5 read');

# The keys of one group in portier -T output, nested groups included: a
# value line "key = ...", or a comment "# key: ..." for a key the dump
# cannot print at the global level.
sub group_keys {
	my ($dump, $group) = @_;
	my ($body) = $dump =~ /^\Q$group\E = \{[^\n]*\n(.*?)^\};$/ms or return;
	my @keys;
	for (split /\n/, $body) {
		push @keys, $1 if /^\t+(\w+) = / || /^\t+# (\w+): /;
	}
	return \@keys;
}

my $dir = tempdir('portier-t-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{PORTIER_KEEP});
my @built = sort glob("$mods/mod_*.so");
ok(@built, "modules built in $mods") or diag('run make first');
for my $so (@built) {
	my ($mod) = $so =~ m{/(mod_\w+)\.so$} or next;
	(my $group = $mod) =~ s/^mod_//;
	write_file("$dir/$mod.conf", <<"EOF2");
modules = { load = [ "$mod" ]; };
servers = ( { listen = [ "127.0.0.1:0" ]; } );
EOF2
	my ($rc, $out) = portier_cmd('-T', '-M', $mods, '-f', "$dir/$mod.conf");
	is($rc, 0, "$mod: portier -T loads it") or diag($out);
	if ($out =~ /^# \Q$mod\E [^\n]*: no directives$/m) {
		pass("$mod: has no directives");
		next;
	}
	my $keys = group_keys($out, $group);
	ok($keys && @$keys, "$mod: -T prints the keys of its group \"$group\"")
	    or diag($out);
	for my $k (@{ $keys // [] }) {
		ok($conf5 =~ /\n\.It Ic \Q$k\E[ \n]/,
		    "$mod: \"$k\" has an .It Ic entry in portier.conf.5");
	}
}

SKIP: {
	my $mandoc = `command -v mandoc 2>/dev/null`;
	chomp $mandoc;
	skip('mandoc is not installed', 2 + @pages) unless length $mandoc;
	for my $p (@pages) {
		ok(-r $p, "$p exists");
	}
	my $pid = open(my $fh, '-|') // die "fork: $!";
	if ($pid == 0) {
		open(STDERR, '>&', \*STDOUT);
		exec($mandoc, '-T', 'lint', '-W', 'warning', @pages) or exit 127;
	}
	my $lint = do { local $/; <$fh> } // '';
	close($fh);
	is($? >> 8, 0, 'mandoc exits 0');
	is($lint, '', 'mandoc -T lint -W warning: no messages') or diag($lint);
}
done_testing();

# Portier::TLS: what the mod_ssl tests share. Portier::TLS->new makes a
# folder for certificates made with the openssl tool (keys, CAs, server
# and client certificates signed by them with their SAN and EKU);
# tls_origin runs an HTTPS origin on 127.0.0.1 that hands each TLS
# connection to the test's own serve sub.
package Portier::TLS;

use strict;
use warnings;
use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Socket::SSL;
use Test::More;
use Portier::Test qw(read_file write_file forked_server);

our @EXPORT_OK = qw(need_mod_ssl sh tls_origin read_head logline);

# The folder of built modules, once the test is known to be able to run:
# skipped unless mod_ssl is built there and the openssl tool installed.
sub need_mod_ssl {
	my $mods = $ENV{PORTIER_MODULES} // 'modules/.built';
	plan(skip_all => "mod_ssl is not built in $mods") unless -e "$mods/mod_ssl.so";
	plan(skip_all => 'the openssl tool is not installed')
	    unless system('openssl version >/dev/null 2>&1') == 0;
	return $mods;
}

# Runs a shell command; dies with its output when it fails.
sub sh {
	my ($cmd) = @_;
	my $out = `$cmd 2>&1`;
	die "failed: $cmd\n$out" if $?;
	return $out;
}

# Portier::TLS->new($prefix): a fresh folder under TMPDIR (kept with
# PORTIER_KEEP), readable by portier's workers.
sub new {
	my ($class, $prefix) = @_;
	my $d = tempdir("$prefix-XXXXXX", TMPDIR => 1,
	    CLEANUP => !$ENV{PORTIER_KEEP});
	chmod 0755, $d;
	return bless { dir => $d }, $class;
}

sub dir { return $_[0]{dir} }

# NAME.key: "ec" (P-256, the default) or "rsa" (2048 bits).
sub key {
	my ($self, $name, $type) = @_;
	my $opt = ($type // 'ec') eq 'rsa'
	    ? '-algorithm RSA -pkeyopt rsa_keygen_bits:2048'
	    : '-algorithm EC -pkeyopt ec_paramgen_curve:P-256';
	sh("openssl genpkey $opt -out $self->{dir}/$name.key");
}

# A CA: NAME.key and its self-signed NAME.pem.
sub ca {
	my ($self, $name, $type) = @_;
	my $d = $self->{dir};
	$self->key($name, $type);
	sh("openssl req -x509 -new -key $d/$name.key -out $d/$name.pem -days 30 " .
	    "-subj '/CN=Portier Test $name' -addext basicConstraints=critical,CA:TRUE " .
	    "-addext keyUsage=critical,keyCertSign,cRLSign");
}

# A certificate for $cn signed by the CA $ca: NAME.key, NAME.crt, and
# NAME.pem (the certificate, then the CA's with chain => 1). A server's
# (serverAuth, subjectAltName san => "...", by default DNS:$cn) unless
# client => 1 (clientAuth). type => "rsa" for an RSA key.
sub cert {
	my ($self, $name, $cn, $ca, %o) = @_;
	my $d = $self->{dir};
	$self->key($name, $o{type});
	my $san = $o{san} // "DNS:$cn";
	write_file("$d/$name.ext", ($o{client} ? "extendedKeyUsage=clientAuth\n" :
	    "subjectAltName=$san\nextendedKeyUsage=serverAuth\n") .
	    "basicConstraints=CA:FALSE\n");
	sh("openssl req -new -key $d/$name.key -out $d/$name.csr -subj '/O=Portier/CN=$cn'");
	sh("openssl x509 -req -in $d/$name.csr -CA $d/$ca.pem -CAkey $d/$ca.key " .
	    "-CAcreateserial -out $d/$name.crt -days 20 -extfile $d/$name.ext");
	write_file("$d/$name.pem", read_file("$d/$name.crt") .
	    ($o{chain} ? read_file("$d/$ca.pem") : ''));
}

# tls_origin(cert => FILE, key => FILE, serve => sub { my ($s) = @_; ... }
# [, fail => sub { my ($error) = @_; ... }, ssl => { SSL_Context options },
# port => N]): an HTTPS origin on 127.0.0.1, a child per connection
# (Portier::Test::forked_server). One TLS context is made before the forks,
# so all connections share its session cache and ticket keys. serve gets
# each connection after its handshake (and it is closed after), fail the
# reason of a failed handshake. Returns { port, pid, stop => sub }.
sub tls_origin {
	my (%o) = @_;
	my $ctx = IO::Socket::SSL::SSL_Context->new(SSL_server => 1,
	    SSL_cert_file => $o{cert}, SSL_key_file => $o{key}, %{ $o{ssl} // {} })
	    or die "context: $SSL_ERROR";
	return forked_server(sub {
		my ($c) = @_;
		my $s = IO::Socket::SSL->start_SSL($c, SSL_server => 1,
		    SSL_reuse_ctx => $ctx, Timeout => 5);
		unless ($s) {
			$o{fail}->($SSL_ERROR) if $o{fail};
			return;
		}
		$o{serve}->($s);
		$s->close(SSL_fast_shutdown => 1);
	}, port => $o{port});
}

# The next request head on $s, its lines without the blank line, taken
# from the buffer $$buf (refilled from $s); undef when the peer closed.
sub read_head {
	my ($s, $buf) = @_;
	while ($$buf !~ /\r\n\r\n/) {
		my $got = sysread($s, $$buf, 16384, length $$buf);
		return undef unless $got;
	}
	$$buf =~ s/^(.*?)\r\n\r\n//s;
	return $1;
}

# Appends a line to the file $log (the origins' record for the test).
sub logline {
	my ($log, $line) = @_;
	open(my $fh, '>>', $log) or return;
	print $fh "$line\n";
	close $fh;
}

1;

# mod_ssl: TLS termination (SNI, dual certificates, ALPN), session cache on
# the store and ticket keys in shared memory, OCSP stapling from files,
# client certificates, SNI passthrough.
mod_LTLIBRARIES += %reldir%/mod_ssl.la
%canon_reldir%_mod_ssl_la_SOURCES = %reldir%/ssl.c %reldir%/ssl.h \
	%reldir%/ssl_conf.c %reldir%/ssl_ctx.c %reldir%/ssl_ocsp.c \
	%reldir%/ssl_sni.c %reldir%/ssl_session.c %reldir%/ssl_io.c \
	%reldir%/ssl_pass.c %reldir%/ssl_upstream.c %reldir%/ssl_util.c \
	%reldir%/ssl_rec.c \
	%reldir%/ssl_util.h
%canon_reldir%_mod_ssl_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCONFIG_CFLAGS) \
	$(OPENSSL_CFLAGS)
%canon_reldir%_mod_ssl_la_LDFLAGS = -module -avoid-version -shared
%canon_reldir%_mod_ssl_la_LIBADD = $(OPENSSL_LIBS)
# Its pure logic alone (ssl_util.c): protocol ranges, SNI, name patterns.
check_PROGRAMS += t/unit/test_ssl
t_unit_test_ssl_SOURCES = t/unit/test_ssl.c $(UNIT_COMMON) \
	%reldir%/ssl_util.c %reldir%/ssl_util.h
t_unit_test_ssl_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/%reldir%
t_unit_test_ssl_LDADD = $(CUNIT_LIBS)

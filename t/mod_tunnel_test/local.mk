# mod_tunnel_test: upgrades a test request and hands it to the tunnel
# process, for t/15-tunnel.t. Built by make check only, never installed;
# the test loads it from .libs (PORTIER_TEST_MODULES).
check_LTLIBRARIES += %reldir%/mod_tunnel_test.la
%canon_reldir%_mod_tunnel_test_la_SOURCES = %reldir%/tunnel_test.c
%canon_reldir%_mod_tunnel_test_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCONFIG_CFLAGS)
%canon_reldir%_mod_tunnel_test_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere

# mod_hooks_test: exercises child_init, periodic, post_read_request, access
# (body peek) and handler hooks for t/04-hooks.t. Built by make check only.
check_LTLIBRARIES += %reldir%/mod_hooks_test.la
%canon_reldir%_mod_hooks_test_la_SOURCES = %reldir%/hooks_test.c
%canon_reldir%_mod_hooks_test_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCONFIG_CFLAGS)
%canon_reldir%_mod_hooks_test_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere

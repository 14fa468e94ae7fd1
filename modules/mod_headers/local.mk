# mod_headers: set, add and remove request and response header fields.
mod_LTLIBRARIES += %reldir%/mod_headers.la
%canon_reldir%_mod_headers_la_SOURCES = %reldir%/headers.c
%canon_reldir%_mod_headers_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCONFIG_CFLAGS)
%canon_reldir%_mod_headers_la_LDFLAGS = -module -avoid-version -shared

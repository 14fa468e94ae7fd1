# mod_rewrite: PCRE2 URL rewriting with conditions, flags and maps.
mod_LTLIBRARIES += %reldir%/mod_rewrite.la
%canon_reldir%_mod_rewrite_la_SOURCES = %reldir%/rewrite.c %reldir%/rewrite_conf.c \
	%reldir%/rewrite_engine.c %reldir%/rewrite_run.c %reldir%/rewrite_build.c \
	%reldir%/rewrite_map.c \
	%reldir%/rewrite.h %reldir%/rewrite_engine.h
%canon_reldir%_mod_rewrite_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCONFIG_CFLAGS) \
	$(PCRE2_CFLAGS)
%canon_reldir%_mod_rewrite_la_LDFLAGS = -module -avoid-version -shared
%canon_reldir%_mod_rewrite_la_LIBADD = $(PCRE2_LIBS)

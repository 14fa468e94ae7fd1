# mod_limits: per-key request rates and in-flight requests, in the store.
mod_LTLIBRARIES += %reldir%/mod_limits.la
%canon_reldir%_mod_limits_la_SOURCES = %reldir%/limits.c %reldir%/limits_conf.c \
	%reldir%/limits.h
%canon_reldir%_mod_limits_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCONFIG_CFLAGS)
%canon_reldir%_mod_limits_la_LDFLAGS = -module -avoid-version -shared

# mod_cache: an RFC 9111 shared HTTP cache (zones in shared memory + files).
mod_LTLIBRARIES += %reldir%/mod_cache.la
%canon_reldir%_mod_cache_la_SOURCES = %reldir%/cache.c %reldir%/cache_serve.c %reldir%/cache_filter.c %reldir%/cache_conf.c \
	%reldir%/cache_index.c %reldir%/cache_mem.c %reldir%/cache_store.c %reldir%/cache_rfc.c %reldir%/cache_purge.c %reldir%/cache_swr.c \
	%reldir%/cache.h %reldir%/cache_mem.h %reldir%/cache_rfc.h
%canon_reldir%_mod_cache_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCONFIG_CFLAGS)
%canon_reldir%_mod_cache_la_LDFLAGS = -module -avoid-version -shared
%canon_reldir%_mod_cache_la_LIBADD = -lpthread

# mod_deflate: gzip, brotli and zstd response compression.
mod_LTLIBRARIES += %reldir%/mod_deflate.la
%canon_reldir%_mod_deflate_la_SOURCES = %reldir%/deflate.c %reldir%/deflate_conf.c \
	%reldir%/deflate_negotiate.c %reldir%/deflate_keep.c %reldir%/deflate.h %reldir%/deflate_negotiate.h
%canon_reldir%_mod_deflate_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCONFIG_CFLAGS) \
	$(ZLIB_CFLAGS) $(BROTLI_CFLAGS) $(ZSTD_CFLAGS)
%canon_reldir%_mod_deflate_la_LDFLAGS = -module -avoid-version -shared
%canon_reldir%_mod_deflate_la_LIBADD = $(ZLIB_LIBS) $(BROTLI_LIBS) $(ZSTD_LIBS)

# mod_waf: request inspection with Hyperscan and PCRE2, anomaly scoring.
mod_LTLIBRARIES += %reldir%/mod_waf.la
%canon_reldir%_mod_waf_la_SOURCES = %reldir%/waf.c %reldir%/waf_conf.c \
	%reldir%/waf_excl.c %reldir%/waf_audit.c %reldir%/waf_resp.c \
	%reldir%/waf_rules.c %reldir%/waf_compile.c %reldir%/waf_scan.c \
	%reldir%/waf_transform.c %reldir%/waf_sqli.c %reldir%/waf_xss.c \
	%reldir%/waf_body.c %reldir%/waf.h %reldir%/waf_engine.h
%canon_reldir%_mod_waf_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCONFIG_CFLAGS) \
	$(HYPERSCAN_CFLAGS) $(PCRE2_CFLAGS)
%canon_reldir%_mod_waf_la_LDFLAGS = -module -avoid-version -shared
%canon_reldir%_mod_waf_la_LIBADD = $(HYPERSCAN_LIBS) $(PCRE2_LIBS)

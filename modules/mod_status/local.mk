# mod_status: status page, metrics, counters in shared memory, control.
mod_LTLIBRARIES += %reldir%/mod_status.la
%canon_reldir%_mod_status_la_SOURCES = %reldir%/status.c %reldir%/status.h \
	%reldir%/status_conf.c %reldir%/status_counters.c %reldir%/status_text.c \
	%reldir%/status_view.c %reldir%/status_render.c %reldir%/status_prom.c \
	%reldir%/status_control.c
%canon_reldir%_mod_status_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCONFIG_CFLAGS)
%canon_reldir%_mod_status_la_LDFLAGS = -module -avoid-version -shared

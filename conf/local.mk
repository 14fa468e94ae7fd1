# The installed layout beyond programs, modules, headers and man pages: the
# installed configuration, the init script, the systemd unit, logrotate,
# the defaults file, portier.pc and portier-mod. These carry paths, so they
# are filled in at install time from the make variables: a prefix given to
# `make install prefix=...` is honoured as well as one given to configure.
#
#   $(sysconfdir)/portier/portier.conf   never overwritten; kept by uninstall
#   $(sysconfdir)/portier/mime.types     when modified
#   $(sysconfdir)/default/portier        (overrides for the init script/unit)
#   $(sysconfdir)/init.d/portier         LSB init script
#   $(sysconfdir)/logrotate.d/portier
#   $(systemdsystemunitdir)/portier.service
#   $(pkgdatadir)/www/                   the sample site the config serves
#   $(localstatedir)/log/portier/        error and access logs
#   $(libdir)/pkgconfig/portier.pc, $(bindir)/portier-mod

pkgconfigdir = $(libdir)/pkgconfig
initddir = $(sysconfdir)/init.d
logrotatedir = $(sysconfdir)/logrotate.d
defaultsdir = $(sysconfdir)/default
portierconfdir = $(sysconfdir)/portier
portierlogdir = $(localstatedir)/log/portier
wwwdir = $(pkgdatadir)/www
dist_www_DATA = conf/www/index.html conf/www/style.css
# mod_waf's bundled rules, which the installed portier.conf loads.
portierwafdir = $(portierconfdir)/waf
dist_portierwaf_DATA = conf/waf/00-protocol.conf conf/waf/10-sqli.conf \
	conf/waf/20-xss.conf conf/waf/30-lfi.conf conf/waf/40-rce.conf \
	conf/waf/50-injection.conf conf/waf/60-ssrf.conf \
	conf/waf/70-xxe-nosql.conf conf/waf/80-scanners.conf

PT_INSTALL_IN = conf/portier.init.in conf/portier.service.in \
	conf/portier.logrotate.in conf/portier.default.in \
	support/portier-mod.in portier.pc.in
EXTRA_DIST += $(PT_INSTALL_IN)

# @name@ placeholders, written [@] here so configure leaves them alone.
pt_subst = sed -e 's|@prefix[@]|$(prefix)|g' \
	-e 's|@exec_prefix[@]|$(exec_prefix)|g' \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@localstatedir[@]|$(localstatedir)|g' \
	-e 's|@runstatedir[@]|$(runstatedir)|g' \
	-e 's|@libdir[@]|$(libdir)|g' \
	-e 's|@includedir[@]|$(includedir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	-e 's|@pkgconfigdir[@]|$(pkgconfigdir)|g' \
	-e 's|@moduledir[@]|$(moddir)|g' \
	-e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g'

# The installed portier.conf is the sample (made for `make run`: stderr,
# no pid file, the site next to it, loopback port) with production
# settings: workers as www-data (present on every Debian system; the init
# script's tests pass -u instead), the pid file the init script and the
# unit watch, logs under $(localstatedir)/log/portier, the installed site,
# port 80. Each edit is checked, so a changed sample cannot silently
# install a `make run` configuration.
pt_conf_edit = sed \
	-e '1s|^\#.*|\# Portier configuration, installed from the sample conf/portier.conf.|' \
	-e 's|^\# user = "www-data";|user = "www-data";|' \
	-e 's|^\# pid_file = .*|pid_file = "$(runstatedir)/portier.pid";|' \
	-e 's|^error_log = "stderr";|error_log = "$(portierlogdir)/error.log";|' \
	-e 's|^access_log = "stdout";|access_log = "$(portierlogdir)/access.log";|' \
	-e 's|root = "www";|root = "$(wwwdir)";|' \
	-e 's|"127.0.0.1:8080"|"0.0.0.0:80"|' \
	-e 's|audit_log = "/tmp/portier-waf-audit.log";|audit_log = "$(portierlogdir)/waf-audit.log";|'
# Writes it to $$gen in the build tree (conf/ exists there only after this).
pt_conf_gen = $(MKDIR_P) conf && gen=conf/portier.conf.installed && \
	$(pt_conf_edit) $(srcdir)/conf/portier.conf > $$gen && \
	for want in '^user = "www-data";' '^pid_file = "/' '^error_log = "/' \
	    '^access_log = "/' 'root = "/' '"0.0.0.0:80"'; do \
		grep -q "$$want" $$gen || { \
			echo "conf/local.mk: conf/portier.conf has no line for $$want:" \
			    "update pt_conf_edit" >&2; rm -f $$gen; exit 1; }; \
	done

install-exec-local:
	$(MKDIR_P) '$(DESTDIR)$(bindir)'
	$(pt_subst) $(srcdir)/support/portier-mod.in > '$(DESTDIR)$(bindir)/portier-mod'
	chmod 0755 '$(DESTDIR)$(bindir)/portier-mod'

# A file the administrator may edit is installed only when absent.
install-data-local:
	$(MKDIR_P) '$(DESTDIR)$(portierconfdir)' '$(DESTDIR)$(initddir)' \
	    '$(DESTDIR)$(logrotatedir)' '$(DESTDIR)$(defaultsdir)' \
	    '$(DESTDIR)$(systemdsystemunitdir)' '$(DESTDIR)$(pkgconfigdir)' \
	    '$(DESTDIR)$(portierlogdir)'
	$(pt_subst) $(srcdir)/portier.pc.in > '$(DESTDIR)$(pkgconfigdir)/portier.pc'
	$(pt_subst) $(srcdir)/conf/portier.init.in > '$(DESTDIR)$(initddir)/portier'
	chmod 0755 '$(DESTDIR)$(initddir)/portier'
	$(pt_subst) $(srcdir)/conf/portier.service.in > \
	    '$(DESTDIR)$(systemdsystemunitdir)/portier.service'
	$(pt_subst) $(srcdir)/conf/portier.logrotate.in > \
	    '$(DESTDIR)$(logrotatedir)/portier'
	@conf='$(DESTDIR)$(portierconfdir)/portier.conf'; $(pt_conf_gen); \
	if test -f "$$conf"; then \
		echo "keeping $$conf (installed one: $$conf.dist)"; \
		$(INSTALL_DATA) $$gen "$$conf.dist"; \
	else \
		echo "installing $$conf"; $(INSTALL_DATA) $$gen "$$conf"; \
	fi; rm -f $$gen
	@f='$(DESTDIR)$(portierconfdir)/mime.types'; \
	if test -f "$$f"; then echo "keeping $$f"; \
	else $(INSTALL_DATA) $(srcdir)/conf/mime.types "$$f"; fi
	@f='$(DESTDIR)$(defaultsdir)/portier'; \
	if test -f "$$f"; then echo "keeping $$f"; \
	else $(pt_subst) $(srcdir)/conf/portier.default.in > "$$f"; fi

# Removes what install put there, except configuration files that differ
# from what install would write (the administrator's changes), and modules
# built out of tree (portier-mod -i), which make install did not install.
uninstall-local:
	rm -f '$(DESTDIR)$(bindir)/portier-mod' \
	    '$(DESTDIR)$(pkgconfigdir)/portier.pc' \
	    '$(DESTDIR)$(initddir)/portier' \
	    '$(DESTDIR)$(systemdsystemunitdir)/portier.service' \
	    '$(DESTDIR)$(logrotatedir)/portier' \
	    '$(DESTDIR)$(portierconfdir)/portier.conf.dist'
	for m in $(mod_LTLIBRARIES); do \
		rm -f '$(DESTDIR)$(moddir)'/`basename $$m .la`.so; done
	@conf='$(DESTDIR)$(portierconfdir)/portier.conf'; $(pt_conf_gen); \
	if test -f "$$conf" && ! cmp -s "$$conf" $$gen; then \
		echo "keeping $$conf: it was modified"; \
	else rm -f "$$conf"; fi; rm -f $$gen
	@f='$(DESTDIR)$(portierconfdir)/mime.types'; \
	if test -f "$$f" && ! cmp -s "$$f" $(srcdir)/conf/mime.types; then \
		echo "keeping $$f: it was modified"; else rm -f "$$f"; fi
	@f='$(DESTDIR)$(defaultsdir)/portier'; gen=conf/portier.default.installed; \
	$(MKDIR_P) conf && $(pt_subst) $(srcdir)/conf/portier.default.in > $$gen; \
	if test -f "$$f" && ! cmp -s "$$f" $$gen; then \
		echo "keeping $$f: it was modified"; else rm -f "$$f"; fi; \
	rm -f $$gen
	@for d in '$(DESTDIR)$(portierlogdir)' '$(DESTDIR)$(moddir)' \
	    '$(DESTDIR)$(pkglibdir)' '$(DESTDIR)$(wwwdir)' \
	    '$(DESTDIR)$(pkgdatadir)' '$(DESTDIR)$(portierconfdir)'; do \
		rmdir "$$d" 2>/dev/null || :; done

/*
 * portier(8): command line, configuration check and dump, then the master
 * (or, with -X, a single worker in the foreground for debugging).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libconfig.h>
#include <openssl/opensslv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "hooks_priv.h"
#include "shm_priv.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: portier [-FhTtVvX] [-f file] [-M dir] [-u user]\n"
	    "       portier [-t] [-f file] [-M dir] --trace-request "
	    "'METHOD URL'\n"
	    "               [-H 'Name: value'] ... [--trace-client addr]"
	    " [--trace-proxy]\n"
	    "  -f file  configuration file (default %s/portier.conf)\n"
	    "  -t       check the configuration and exit\n"
	    "  -T       print the effective configuration and exit\n"
	    "  -v       with -t: also print the hook order\n"
	    "  -F       stay in the foreground\n"
	    "  -X       one worker in the foreground, for debugging\n"
	    "  -u user  run workers as this user (overrides \"user\")\n"
	    "  -M dir   load modules from this folder (overrides modules.dir)\n"
	    "  -V       print version, build options and modules, then exit\n"
	    "  -R, --trace-request 'GET http://host/path?q'\n"
	    "           show how the request would be routed and rewritten\n"
	    "  -H field a request field for --trace-request (repeatable)\n"
	    "  --trace-client addr  the client address it comes from\n"
	    "  --trace-proxy  send it to the forward proxy, as its clients do\n"
	    "  -h       this help\n", PT_SYSCONF_DIR);
}

static void
print_version(const struct pt_conf *cf, const char *mdir)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 n;

	printf("%s\n", PT_VERSION_STR);
	printf("built with: libconfig %d.%d.%d, OpenSSL headers %s\n",
	    LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR, LIBCONFIG_VER_REVISION,
	    OPENSSL_VERSION_TEXT);
	printf("options:");
#ifdef PT_SANITIZE
	printf(" sanitizers");
#endif
#ifdef PT_DEBUG
	printf(" debug");
#endif
	printf(" modules-dir=%s\n", PT_MODULES_DIR);
	if (mdir == NULL)
		mdir = cf != NULL ? cf->modules_dir : PT_MODULES_DIR;
	printf("modules in %s:", mdir);
	if ((d = opendir(mdir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			n = strlen(de->d_name);
			if (n > 3 && strcmp(de->d_name + n - 3, ".so") == 0)
				printf(" %.*s", (int)(n - 3), de->d_name);
		}
		closedir(d);
	}
	printf("\n");
}

/*
 * A copy of a command-line argument that outlives the process title, which
 * is written over argv. Kept in a static array: reachable until exit.
 */
static const char *
arg_keep(int i, const char *arg)
{
	static char	*kept[3];

	if (arg == NULL)
		return (NULL);
	if ((kept[i] = strdup(arg)) == NULL) {
		perror("portier");
		exit(1);
	}
	return (kept[i]);
}

#define TRACE_FIELDS_MAX	64

/* --trace-request and its -H fields, copied out of argv. */
struct trace_opts {
	const char	*request;
	const char	*client;
	const char	*fields[TRACE_FIELDS_MAX];
	size_t		 nfields;
	bool		 proxy;		/* --trace-proxy */
};

static const struct option long_opts[] = {
	{ "trace-request", required_argument, NULL, 'R' },
	{ "trace-client", required_argument, NULL, 'C' },
	{ "trace-proxy", no_argument, NULL, 'P' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
trace_opt(struct trace_opts *t, int ch, const char *arg)
{
	char *copy;

	if (ch == 'H' && t->nfields == TRACE_FIELDS_MAX) {
		fprintf(stderr, "portier: at most %d -H fields\n",
		    TRACE_FIELDS_MAX);
		return (-1);
	}
	/* The process title overwrites argv: keep copies (trace_opts_free). */
	if ((copy = strdup(arg)) == NULL) {
		perror("portier");
		exit(1);
	}
	if (ch == 'R') {
		free((char *)t->request);	/* repeated: the last counts */
		t->request = copy;
	} else if (ch == 'C') {
		free((char *)t->client);
		t->client = copy;
	} else
		t->fields[t->nfields++] = copy;
	return (0);
}

static void
trace_opts_free(struct trace_opts *t)
{
	size_t i;

	free((char *)t->request);
	free((char *)t->client);
	for (i = 0; i < t->nfields; i++)
		free((char *)t->fields[i]);
	memset(t, 0, sizeof(*t));
}

/* -X: the master's set-up without fork; this process serves. */
static int
run_single(struct pt_conf *cf, const struct conf_overrides *ov)
{
	struct worker	w;

	memset(&w, 0, sizeof(w));
	if (listen_open_all(cf, NULL, 0, &w.lst, &w.nlst) == -1)
		return (1);
	listen_report(cf, w.lst, w.nlst);
	if (worker_drop_privileges(cf, ov->user != NULL) == -1)
		return (1);
	signals_worker();
	if (hooks_run_child_init(cf->hooks, cf) != PT_OK)
		return (1);
	w.conf = cf;
	w.slot = -1;
	PT_LOG(PT_LOG_NOTICE, "%s: single worker (-X), pid %d", PT_VERSION_STR,
	    (int)getpid());
	worker_main(&w);
}

int
main(int argc, char **argv)
{
	struct conf_overrides	 ov = { NULL, NULL, module_load_all };
	struct trace_opts	 tr = { .request = NULL };
	struct pt_conf		*cf;
	const char		*file = PT_SYSCONF_DIR "/portier.conf";
	bool			 test = false, dump = false, fg = false;
	bool			 single = false, version = false, verbose = false;
	int			 ch, nerr = 0;

	while ((ch = getopt_long(argc, argv, "f:tTFXvu:M:VhR:H:", long_opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f': file = optarg; break;
		case 't': test = true; break;
		case 'T': dump = true; break;
		case 'F': fg = true; break;
		case 'X': single = fg = true; break;
		case 'v': verbose = true; break;
		case 'u': ov.user = optarg; break;
		case 'M': ov.modules_dir = optarg; break;
		case 'V': version = true; break;
		case 'h':
			usage(stdout);
			trace_opts_free(&tr);
			return (0);
		case 'P':
			tr.proxy = true;
			break;
		case 'R': case 'H': case 'C':
			if (trace_opt(&tr, ch, optarg) != 0) {
				trace_opts_free(&tr);
				return (2);
			}
			break;
		default:
			usage(stderr);
			trace_opts_free(&tr);
			return (2);
		}
	}
	if (optind != argc || (tr.request == NULL && (tr.nfields > 0 ||
	    tr.client != NULL || tr.proxy))) {
		usage(stderr);
		trace_opts_free(&tr);
		return (2);
	}
	if (version) {
		print_version(NULL, ov.modules_dir);
		trace_opts_free(&tr);
		return (0);
	}
	/* The title overwrites argv: keep what points into it first. */
	file = arg_keep(0, file);
	ov.user = arg_keep(1, ov.user);
	ov.modules_dir = arg_keep(2, ov.modules_dir);
	proc_title_init(argc, argv);
	if ((cf = setup_load(file, &ov, stderr, &nerr)) == NULL) {
		fprintf(stderr, "portier: %s: %d error(s), configuration refused\n",
		    file, nerr);
		trace_opts_free(&tr);
		return (1);
	}
	if (tr.request != NULL) {
		ch = trace_request(cf, tr.request, tr.fields, tr.nfields,
		    tr.client, tr.proxy);
		conf_free(cf);
		shm_free_all();
		trace_opts_free(&tr);
		return (ch);
	}
	if (test || dump) {
		if (dump)
			conf_dump(cf, stdout);
		else
			fprintf(stderr, "portier: %s: configuration ok\n", file);
		if (test && verbose)
			hooks_print(cf->hooks, stdout);
		conf_free(cf);
		shm_free_all();
		return (0);
	}
	if (log_open(cf) == -1 || access_log_open(cf) == -1) {
		conf_free(cf);
		return (1);
	}
	if (single)
		return (run_single(cf, &ov));
	return (master_run(file, cf, &ov, fg));
}

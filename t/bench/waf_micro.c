/*
 * t/bench/waf_micro.c: the WAF engine alone (conf/waf/*.conf at paranoia
 * 1): CPU per request for the values a benign GET and a benign 1 KiB JSON
 * POST give the scanner, as mod_waf's access hook scans them. Built and
 * run by hand (see t/bench/README.md):
 *   cc -O2 -D_GNU_SOURCE -I. -Imodules/mod_waf -I/usr/include/hs \
 *     -o /tmp/waf_micro t/bench/waf_micro.c modules/mod_waf/waf_{rules,compile,scan,transform,sqli,xss,body}.c \
 *     -lhs -lpcre2-8 && /tmp/waf_micro conf/waf/*.conf
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "waf_engine.h"

#define ROUNDS	20000

static void
err(void *arg, const char *file, int line, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s:%d: %s\n", file, line, msg);
}

static void
kv(void *arg, unsigned target, const char *n, size_t nl, const char *v,
    size_t vl)
{
	struct waf_tx *tx = arg;

	waf_tx_scan(tx, target, target == WAF_T_ARG_NAMES ? "arg_names" :
	    "args", n, nl, v, vl);
}

static const char *const hdrs[][2] = {
	{ "User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
	  "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36" },
	{ "Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,"
	  "*/*;q=0.8" },
	{ "Accept-Language", "en-US,en;q=0.9" },
	{ "Accept-Encoding", "gzip, deflate, br" },
	{ "Host", "shop.example.com" },
	{ "Referer", "https://shop.example.com/products?category=tables" },
};

static int
one(const struct waf_ruleset *rs, const char *body)
{
	struct waf_tx	tx;
	size_t		i;
	const char	*q = "id=42&sort=price&page=2";

	waf_tx_init(&tx, rs, 1, NULL, 0);
	waf_tx_scan(&tx, WAF_T_METHOD, "method", NULL, 0, body ? "POST" : "GET",
	    body ? 4 : 3);
	waf_tx_scan(&tx, WAF_T_PATH, "path", NULL, 0, "/products/view", 14);
	waf_tx_scan(&tx, WAF_T_QUERY, "query", NULL, 0, q, strlen(q));
	waf_parse_urlencoded(q, strlen(q), kv, &tx);
	waf_tx_scan(&tx, WAF_T_CLIENT, "client", NULL, 0, "127.0.0.1", 9);
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		waf_tx_scan(&tx, WAF_T_HEADER_NAMES, "header_names", hdrs[i][0],
		    strlen(hdrs[i][0]), hdrs[i][0], strlen(hdrs[i][0]));
		waf_tx_scan(&tx, i == 0 ? WAF_T_HEADERS | WAF_T_UA :
		    WAF_T_HEADERS, "headers", hdrs[i][0], strlen(hdrs[i][0]),
		    hdrs[i][1], strlen(hdrs[i][1]));
	}
	waf_tx_scan(&tx, WAF_T_COOKIES, "cookies", "session", 7, "abc123def", 9);
	if (body != NULL) {
		waf_tx_scan(&tx, WAF_T_HEADER_NAMES, "header_names",
		    "Content-Type", 12, "Content-Type", 12);
		waf_tx_scan(&tx, WAF_T_HEADERS, "headers", "Content-Type", 12,
		    "application/json", 16);
		waf_parse_json(body, strlen(body), kv, &tx);
	}
	i = (size_t)tx.score;
	waf_tx_free(&tx);
	return ((int)i);
}

static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (ts.tv_sec * 1e6 + ts.tv_nsec / 1e3);
}

int
main(int argc, char **argv)
{
	struct waf_ruleset	rs = { 0 };
	char			body[2048];
	double			t0;
	int			i, score = 0;
	size_t			n = 0;

	if (waf_rules_load(&rs, (const char *const *)argv + 1,
	    (size_t)argc - 1, err, NULL) != 0 ||
	    waf_rules_compile(&rs, err, NULL) != 0)
		return (1);
	n += (size_t)snprintf(body, sizeof(body), "{\"order\": {\"id\": 1234, "
	    "\"customer\": {\"name\": \"Jane Doe\", \"email\": "
	    "\"jane@example.com\"}, \"items\": [");
	for (i = 0; n < 960; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s{\"sku\": "
		    "\"SKU-%04d\", \"qty\": %d, \"note\": \"gift wrap please\"}",
		    i ? ", " : "", i, i + 1);
	snprintf(body + n, sizeof(body) - n, "]}}");
	printf("%zu rules in %zu groups; JSON body %zu bytes\n", rs.n, rs.ng,
	    strlen(body));
	for (i = 0; i < 1000; i++)
		score += one(&rs, NULL) + one(&rs, body);
	t0 = cpu_us();
	for (i = 0; i < ROUNDS; i++)
		score += one(&rs, NULL);
	printf("benign GET:            %.2f us CPU per request\n",
	    (cpu_us() - t0) / ROUNDS);
	t0 = cpu_us();
	for (i = 0; i < ROUNDS; i++)
		score += one(&rs, body);
	printf("benign 1 KiB JSON POST: %.2f us CPU per request\n",
	    (cpu_us() - t0) / ROUNDS);
	waf_rules_free(&rs);
	return (score != 0);	/* benign requests must not score */
}

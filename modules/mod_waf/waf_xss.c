/*
 * Lexical XSS detection: a small HTML tokenizer finds tags and their
 * attributes, and flags what runs script: script-capable tags, event
 * handler attributes, javascript:/vbscript:/data: URIs, CSS expressions.
 * It also catches the attribute break-out without a tag (" onmouseover=)
 * and a bare javascript: URI given as a parameter. Markdown, prose with
 * '<' and '>' and plain tags such as <b> or <a href="https://..."> pass.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "waf_engine.h"

static const char *const xss_tags[] = {
	"script", "iframe", "frame", "frameset", "object", "embed", "applet",
	"meta", "base", "svg", "math", "xml", "import", "isindex", "xss",
	"form", "template", "portal", "animate", "set", "handler", "listener",
	"vmlframe", "xmp", "noembed", "noscript", "style", "link", NULL
};
static const char *const xss_events[] = {
	"load", "error", "click", "dblclick", "mouse", "key", "focus", "blur",
	"submit", "change", "input", "toggle", "animation", "transition",
	"pointer", "touch", "drag", "drop", "scroll", "wheel", "resize",
	"unload", "beforeunload", "hashchange", "message", "play", "pause",
	"copy", "cut", "paste", "select", "abort", "show", "start", "begin",
	"end", "finish", "auxclick", "contextmenu", "search", "invalid",
	"reset", "readystatechange", "pageshow", "popstate", "storage",
	"online", "offline", "canplay", "loadstart", "progress", "seek",
	"timeupdate", "volumechange", "afterprint", "beforeprint", "bounce",
	"repeat", "zoom", "activate", "beforeactivate", "filterchange",
	"mozfullscreenchange", "webkit", "fullscreen", NULL
};

static bool
word_in(const char *const *l, const char *w, size_t n, bool prefix)
{
	for (; *l != NULL; l++) {
		size_t k = strlen(*l);

		if (prefix ? (n >= k && strncasecmp(*l, w, k) == 0) :
		    (n == k && strncasecmp(*l, w, n) == 0))
			return (true);
	}
	return (false);
}

/* Skips what browsers skip inside a URI scheme: controls and spaces. */
static bool
is_script_uri(const char *s, size_t len)
{
	static const char *const schemes[] = {
		"javascript:", "vbscript:", "livescript:", "data:text/html",
		"data:image/svg", "data:application/x", NULL
	};
	char	buf[24];
	size_t	i, n = 0;
	int	j;

	for (i = 0; i < len && n < sizeof(buf) - 1; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f)
			continue;
		buf[n++] = (char)tolower(c);
	}
	buf[n] = '\0';
	for (j = 0; schemes[j] != NULL; j++)
		if (strncmp(buf, schemes[j], strlen(schemes[j])) == 0 ||
		    (n == sizeof(buf) - 1 && strncmp(schemes[j], buf, n) == 0))
			return (true);
	return (false);
}

/* "on" + a known event + optional spaces + '=' at s; the name ends at
 * a non-letter. */
static bool
is_handler(const char *s, size_t len, size_t *name_end)
{
	size_t i = 2;

	if (len < 4 || tolower((unsigned char)s[0]) != 'o' ||
	    tolower((unsigned char)s[1]) != 'n')
		return (false);
	while (i < len && (isalpha((unsigned char)s[i]) || s[i] == '-'))
		i++;
	*name_end = i;
	if (!word_in(xss_events, s + 2, i - 2, true))
		return (false);
	while (i < len && (isspace((unsigned char)s[i]) || s[i] == '/'))
		i++;
	return (i < len && s[i] == '=');
}

/* Reads the attributes of a tag from i; true when one runs script. */
static bool
scan_attrs(const char *s, size_t len, size_t i)
{
	size_t	st, e;
	char	q;

	while (i < len && s[i] != '>') {
		while (i < len && (isspace((unsigned char)s[i]) || s[i] == '/' ||
		    s[i] == '"' || s[i] == '\''))
			i++;
		st = i;
		while (i < len && !isspace((unsigned char)s[i]) && s[i] != '=' &&
		    s[i] != '>' && s[i] != '/')
			i++;
		if (i == st) {
			if (i < len && s[i] != '>')
				i++;
			continue;
		}
		if (is_handler(s + st, len - st, &e))
			return (true);
		if ((i - st == 6 && strncasecmp(s + st, "srcdoc", 6) == 0) ||
		    (i - st == 10 && strncasecmp(s + st, "formaction", 10) == 0))
			return (true);
		while (i < len && isspace((unsigned char)s[i]))
			i++;
		if (i >= len || s[i] != '=')
			continue;
		for (i++; i < len && isspace((unsigned char)s[i]); i++)
			;
		q = i < len && (s[i] == '"' || s[i] == '\'' || s[i] == '`') ?
		    s[i++] : 0;
		st = i;
		while (i < len && (q ? s[i] != q : !isspace((unsigned char)s[i]) &&
		    s[i] != '>'))
			i++;
		if (is_script_uri(s + st, i - st))
			return (true);
		if (i - st > 10 && memmem(s + st, i - st, "expression(", 11))
			return (true);
		if (q && i < len)
			i++;
	}
	return (false);
}

/*
 * A superset of what waf_is_xss() flags, in one pass: a tag needs '<';
 * without one, only a script URI at the start (its first visible byte
 * is j, v, l or d) or a handler remains, and a handler is looked for
 * only after a blank, a quote, '/' or '>', as "on" then '=' later.
 */
static bool
xss_may_match(const char *s, size_t len)
{
	size_t	i;
	bool	on = false;

	for (i = 0; i < len && ((unsigned char)s[i] <= 0x20 ||
	    s[i] == 0x7f); i++)
		;
	if (i < len && strchr("jJvVlLdD", s[i]) != NULL && s[i] != '\0')
		return (true);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '<' || (c == '=' && on))
			return (true);
		if ((c == 'o' || c == 'O') && i > 0 && i + 1 < len &&
		    (s[i + 1] == 'n' || s[i + 1] == 'N') &&
		    (isspace((unsigned char)s[i - 1]) ||
		    strchr("/>\"'`", s[i - 1]) != NULL))
			on = true;
	}
	return (false);
}

bool
waf_is_xss(const char *s, size_t len)
{
	size_t	i, st, e;

	if (!xss_may_match(s, len))
		return (false);
	if (is_script_uri(s, len))
		return (true);
	for (i = 0; i < len; i++) {
		if (s[i] == '<') {
			st = i + 1;
			if (st < len && s[st] == '/')
				st++;
			for (e = st; e < len && (isalnum((unsigned char)s[e]) ||
			    s[e] == ':' || s[e] == '-'); e++)
				;
			if (e == st || !isalpha((unsigned char)s[st]))
				continue;
			if (word_in(xss_tags, s + st, e - st, false) &&
			    (e >= len || !isalnum((unsigned char)s[e])))
				return (true);
			if (scan_attrs(s, len, e))
				return (true);
		} else if ((s[i] == '"' || s[i] == '\'' || s[i] == '`') &&
		    i + 1 < len) {
			/* Breaking out of an attribute: " onfocus=... */
			st = i + 1;
			while (st < len && (isspace((unsigned char)s[st]) ||
			    s[st] == '/' || s[st] == '>'))
				st++;
			if (st < len && is_handler(s + st, len - st, &e))
				return (true);
		} else if (isspace((unsigned char)s[i]) && i + 1 < len &&
		    is_handler(s + i + 1, len - i - 1, &e) && i > 0 &&
		    (s[i - 1] == '"' || s[i - 1] == '\'' ||
		    isalnum((unsigned char)s[i - 1]))) {
			/* an unquoted attribute followed by a handler */
			if (memchr(s, '(', len) != NULL ||
			    memchr(s, '`', len) != NULL)
				return (true);
		}
	}
	return (false);
}

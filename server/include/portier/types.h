/*
 * Portier public types: return codes, export marker and the opaque structs
 * every module sees. Self-contained; included by every other public header.
 */
#ifndef PORTIER_TYPES_H
#define PORTIER_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define PT_API		__attribute__((visibility("default")))

/* Hook and function results (an HTTP status 300-599 is also a result). */
#define PT_OK		0
#define PT_DECLINED	(-1)
#define PT_DONE		(-2)
#define PT_ERROR	(-3)
/* The hook answered the request with pt_req_answer() (portier/request.h). */
#define PT_ANSWERED	(-4)

struct pt_arena;
struct pt_conf;
struct pt_conn;
struct pt_request;
struct pt_hooks;

/* A byte string that is not NUL-terminated (it points into a buffer). */
struct pt_str {
	const char	*p;
	size_t		 len;
};

/* A NULL-terminated list of strings with its count. */
struct pt_strlist {
	size_t		 n;
	const char	**v;
};

/* The value of hex digit c, or -1. */
static inline int
pt_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c |= 0x20;
	return (c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1);
}

#endif /* PORTIER_TYPES_H */

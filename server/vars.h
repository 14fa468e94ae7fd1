/* The core's %{name} variables (vars.c). */
#ifndef PT_VARS_H
#define PT_VARS_H

#include <portier/types.h>

struct pt_request;

/*
 * Looks up a variable by name. out points into the request or into buf
 * (at least 64 bytes). Returns 0, or -1 for an unknown name or an absent
 * header or cookie (out is then empty).
 */
int	var_lookup(const struct pt_request *, const char *name, size_t len,
	    struct pt_str *out, char *buf, size_t buflen);
bool	var_is_known(const char *name, size_t len);

#endif

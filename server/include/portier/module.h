/*
 * The module description: a loadable module is a .so exporting one
 * `const struct pt_module portier_module`. The loader checks the ABI and
 * the name, parses the module's directives (its group, named after the
 * module, at global, server and route scope) and calls register_hooks.
 */
#ifndef PORTIER_MODULE_H
#define PORTIER_MODULE_H

#include <portier/types.h>
#include <portier/conf.h>

#define PT_MODULE_ABI	2	/* bump when a public struct or hook changes */

struct pt_module {
	unsigned int		 abi;		/* PT_MODULE_ABI it was built with */
	const char		*name;		/* "headers": config group, log tag */
	const char		*version;
	const struct pt_directive *directives;	/* ends with PT_DIRECTIVE_END */
	size_t			 conf_size;	/* one block per scope */
	/* Registers hooks; 0, or -1 to refuse loading. */
	int			(*register_hooks)(struct pt_hooks *);
};

#define PT_MODULE_HEADER	.abi = PT_MODULE_ABI

/*
 * The module's configuration block for the route a request was routed to
 * (inheritance from server and global scope already applied), or the
 * server's when no route matched. Never NULL for a loaded module.
 */
PT_API const void	*pt_module_conf(const struct pt_request *,
			    const struct pt_module *);
/* The module's global-scope block (post_config, child_init, periodic). */
PT_API const void	*pt_module_conf_global(const struct pt_conf *,
			    const struct pt_module *);

/*
 * The configuration's servers, for post_config and child_init (mod_ssl
 * builds its SNI tables from them). i counts from 0 in file order; past
 * the last server these return NULL.
 */
PT_API size_t		 pt_conf_server_count(const struct pt_conf *);
/* Server i's block of the module (inheritance from global applied). */
PT_API const void	*pt_module_conf_server(const struct pt_conf *, size_t i,
			    const struct pt_module *);
/* Server i's names as configured (n == 0: any host). */
PT_API const struct pt_strlist *pt_conf_server_names(const struct pt_conf *,
			    size_t i);
/*
 * Server i's j-th listen address as configured, which is what
 * pt_conn_listener() returns for connections it accepts; NULL past the
 * last one.
 */
PT_API const char	*pt_conf_server_listen(const struct pt_conf *, size_t i,
			    size_t j);

#endif /* PORTIER_MODULE_H */

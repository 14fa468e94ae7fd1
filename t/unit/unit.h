/* Shared CUnit runner for the t/unit programs. */
#ifndef PT_UNIT_H
#define PT_UNIT_H

#include <CUnit/CUnit.h>

struct pt_unit_test {
	const char	*name;
	void		(*fn)(void);
};

/* Registers one suite and runs it verbosely; 0 pass, 1 failures, 99 CUnit error. */
int	pt_unit_run(const char *suite, int (*setup)(void), int (*teardown)(void),
	    const struct pt_unit_test *tests);

#endif

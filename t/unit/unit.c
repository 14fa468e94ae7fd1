/* Shared CUnit runner: one suite per program, verbose, exit code for automake. */
#include "unit.h"

#include <CUnit/Basic.h>

int
pt_unit_run(const char *name, int (*setup)(void), int (*teardown)(void),
    const struct pt_unit_test *tests)
{
	CU_pSuite	 suite;
	unsigned int	 failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return (99);
	if ((suite = CU_add_suite(name, setup, teardown)) == NULL)
		goto err;
	for (; tests->name != NULL; tests++)
		if (CU_add_test(suite, tests->name, tests->fn) == NULL)
			goto err;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS)
		goto err;
	failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return (failed == 0 ? 0 : 1);
 err:
	CU_cleanup_registry();
	return (99);
}

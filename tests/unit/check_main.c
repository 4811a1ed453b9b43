/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The unit-test runner: every suite that registered itself with SUITE()
 * runs, in name order. CK_RUN_SUITE and CK_RUN_CASE pick one, CK_FORK=no
 * runs in one process for gdb and valgrind (Check's own variables).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "suites.h"

#define MAX_SUITES	64

static struct {
	const char	*name;
	Suite		*(*fn)(void);
} suites[MAX_SUITES];
static int nsuites;

void
suite_register(const char *name, Suite *(*fn)(void))
{
	if (nsuites == MAX_SUITES) {
		fprintf(stderr, "too many suites\n");
		exit(2);
	}
	suites[nsuites].name = name;
	suites[nsuites].fn = fn;
	nsuites++;
}

static int
suite_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char * const *)a, *(const char * const *)b));
}

int
main(void)
{
	SRunner	*sr;
	int	 i, failed;

	if (nsuites == 0) {
		fprintf(stderr, "no suites\n");
		return (1);
	}
	qsort(suites, nsuites, sizeof(suites[0]), suite_cmp);
	sr = srunner_create(suites[0].fn());
	for (i = 1; i < nsuites; i++)
		srunner_add_suite(sr, suites[i].fn());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}

/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * How a unit-test file joins the runner: it defines its suite function and
 * registers it with SUITE(name), so that adding a file is all it takes.
 */
#ifndef IOASIDD_TESTS_SUITES_H
#define IOASIDD_TESTS_SUITES_H

#include <check.h>

void	suite_register(const char *, Suite *(*)(void));

#define SUITE(fn)							\
	static void fn##_register(void) __attribute__((constructor));	\
	static void							\
	fn##_register(void)						\
	{								\
		suite_register(#fn, fn);				\
	}

#endif /* IOASIDD_TESTS_SUITES_H */

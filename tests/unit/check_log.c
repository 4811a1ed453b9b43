/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * daemon/log.c: every line comes out escaped (a client's string or a path
 * can hold any byte), and a message repeated word for word is written
 * once, its repeats counted and said in one line. Each test catches
 * stderr in a file of its own (Check runs each test in a fresh process).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "suites.h"

static FILE	*caught;

static void
catch_setup(void)
{
	ck_assert_ptr_nonnull(caught = tmpfile());
	ck_assert_int_ne(dup2(fileno(caught), STDERR_FILENO), -1);
	log_init(1, 0);
	log_setlevel(LOG_LEVEL_DEBUG);
}

static void
catch_teardown(void)
{
	fclose(caught);
}

/* The n-th line caught (from 0) with its end of line, or "". */
static const char *
caught_line(int n, char *buf, size_t len)
{
	int	i;

	fflush(stderr);
	rewind(caught);
	buf[0] = '\0';
	for (i = 0; i <= n; i++) {
		if (fgets(buf, (int)len, caught) == NULL) {
			buf[0] = '\0';
			break;
		}
	}
	return (buf);
}

static int
caught_lines(void)
{
	char	buf[2048];
	int	n = 0;

	fflush(stderr);
	rewind(caught);
	while (fgets(buf, sizeof buf, caught) != NULL)
		n++;
	return (n);
}

START_TEST(escape_bytes)
{
	static const struct {
		const char	*in, *out;
	} cases[] = {
		{ "plain text, 100%", "plain text, 100%" },
		{ "a\nb", "a\\x0ab" },
		{ "\033[2J\r", "\\x1b[2J\\x0d" },
		{ "tab\there", "tab\\x09here" },
		{ "del\177", "del\\x7f" },
		{ "back\\slash", "back\\x5cslash" },
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "bad \xc3", "bad \\xc3" },
		{ "bad \xc3(", "bad \\xc3(" },
		{ "overlong \xc0\xaf", "overlong \\xc0\\xaf" },
		{ "surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80" },
		{ "c1 \xc2\x9b", "c1 \\xc2\\x9b" },
		{ "high \xff\xfe", "high \\xff\\xfe" },
	};
	char	buf[64];
	size_t	i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		log_escape(buf, sizeof buf, cases[i].in);
		ck_assert_msg(strcmp(buf, cases[i].out) == 0,
		    "case %zu: got \"%s\"", i, buf);
	}
	/* Cut short, never in the middle of an escape. */
	log_escape(buf, 7, "ab\ncd");
	ck_assert_str_eq(buf, "ab\\x0a");
	log_escape(buf, 6, "ab\ncd");
	ck_assert_str_eq(buf, "ab");
	log_escape(buf, 4, "\xe2\x82\xac\xe2\x82\xac");
	ck_assert_str_eq(buf, "\xe2\x82\xac");
}
END_TEST

START_TEST(escape_in_lines)
{
	char	buf[2048];

	log_warnx("path %s", "/etc/x\n fake: line\033[0m");
	errno = EINVAL;
	log_warn("reading %s", "a\rb");
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(caught_lines(), 2);
	ck_assert_ptr_nonnull(strstr(caught_line(0, buf, sizeof buf),
	    "warn: path /etc/x\\x0a fake: line\\x1b[0m\n"));
	ck_assert_ptr_nonnull(strstr(caught_line(1, buf, sizeof buf),
	    "reading a\\x0db: Invalid argument\n"));
}
END_TEST

START_TEST(repeats_counted)
{
	char	buf[2048];
	int	i;

	for (i = 0; i < 1000; i++)
		log_warnx("socket: accept: Too many open files");
	ck_assert_int_eq(caught_lines(), 1);
	log_info("something else");
	ck_assert_int_eq(caught_lines(), 3);
	ck_assert_ptr_nonnull(strstr(caught_line(1, buf, sizeof buf),
	    "warn: last message repeated 999 times\n"));
	ck_assert_ptr_nonnull(strstr(caught_line(2, buf, sizeof buf),
	    "info: something else\n"));

	/* Told apart by text and level; flushed on demand. */
	log_info("something else");
	log_debug("something else");
	log_debug("something else");
	log_flush();
	log_flush();
	ck_assert_int_eq(caught_lines(), 6);
	ck_assert_ptr_nonnull(strstr(caught_line(3, buf, sizeof buf),
	    "info: last message repeated 1 times\n"));
	ck_assert_ptr_nonnull(strstr(caught_line(5, buf, sizeof buf),
	    "debug: last message repeated 1 times\n"));
}
END_TEST

/* Lines below the level are neither written nor counted. */
START_TEST(repeats_below_level)
{
	int	i;

	log_setlevel(LOG_LEVEL_WARN);
	log_warnx("once");
	for (i = 0; i < 10; i++)
		log_debug("once");
	log_flush();
	ck_assert_int_eq(caught_lines(), 1);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc;

	tc = tcase_create("escape");
	tcase_add_checked_fixture(tc, catch_setup, catch_teardown);
	tcase_add_test(tc, escape_bytes);
	tcase_add_test(tc, escape_in_lines);
	suite_add_tcase(s, tc);

	tc = tcase_create("repeats");
	tcase_add_checked_fixture(tc, catch_setup, catch_teardown);
	tcase_add_test(tc, repeats_counted);
	tcase_add_test(tc, repeats_below_level);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(log_suite)

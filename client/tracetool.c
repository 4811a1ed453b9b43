/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The commands of ioasidctl that read a trace file rather than ask the
 * daemon: "trace summary TRACE" (calls, errors and latency percentiles
 * per command and per context).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tracetool.h"

/* One row of a summary: a command, or a context. */
struct sum_group {
	char		 key[64];
	uint64_t	 calls;
	uint64_t	 errors;
	uint64_t	*durs;
	size_t		 ndurs, cap;
	json_t		*errnos;	/* name -> count */
};

struct sum_table {
	struct sum_group	*g;
	size_t			 n, cap;
};

/* The group called key in t, made when missing; NULL when out of memory. */
static struct sum_group *
sum_group(struct sum_table *t, const char *key)
{
	struct sum_group	*g;
	size_t			 i;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->g[i].key, key) == 0)
			return (&t->g[i]);
	}
	if (t->n == t->cap) {
		g = reallocarray(t->g, t->cap ? t->cap * 2 : 16, sizeof(*g));
		if (g == NULL)
			return (NULL);
		t->g = g;
		t->cap = t->cap ? t->cap * 2 : 16;
	}
	g = &t->g[t->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->key, sizeof(g->key), "%s", key);
	g->errnos = json_object();
	return (g);
}

/* Counts one call in g: 0, or -ENOMEM. */
static int
sum_add(struct sum_group *g, const char *result, uint64_t dur)
{
	uint64_t	*d;
	json_t		*c;

	if (g->ndurs == g->cap) {
		d = reallocarray(g->durs, g->cap ? g->cap * 2 : 64,
		    sizeof(*d));
		if (d == NULL)
			return (-ENOMEM);
		g->durs = d;
		g->cap = g->cap ? g->cap * 2 : 64;
	}
	g->durs[g->ndurs++] = dur;
	g->calls++;
	if (strcmp(result, "OK") != 0) {
		g->errors++;
		c = json_object_get(g->errnos, result);
		json_object_set_new(g->errnos, result, json_integer(c != NULL ?
		    json_integer_value(c) + 1 : 1));
	}
	return (0);
}

static int
sum_u64_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* The p-th percentile (nearest rank) of n sorted values, in ns. */
static uint64_t
sum_pct(const uint64_t *v, size_t n, unsigned int p)
{
	size_t	rank;

	if (n == 0)
		return (0);
	rank = (n * p + 99) / 100;
	return (v[rank == 0 ? 0 : rank - 1]);
}

/* Prints a table of groups with a heading. */
static void
sum_print(struct sum_table *t, const char *what)
{
	struct sum_group	*g;
	const char		*name;
	json_t			*v;
	size_t			 i;
	int			 first;

	printf("%-34s %8s %7s %9s %9s %9s %9s  %s\n", what, "calls",
	    "errors", "p50 us", "p90 us", "p99 us", "max us", "errnos");
	for (i = 0; i < t->n; i++) {
		g = &t->g[i];
		qsort(g->durs, g->ndurs, sizeof(*g->durs), sum_u64_cmp);
		printf("%-34s %8llu %7llu %9.1f %9.1f %9.1f %9.1f  ", g->key,
		    (unsigned long long)g->calls,
		    (unsigned long long)g->errors,
		    sum_pct(g->durs, g->ndurs, 50) / 1e3,
		    sum_pct(g->durs, g->ndurs, 90) / 1e3,
		    sum_pct(g->durs, g->ndurs, 99) / 1e3,
		    g->ndurs ? g->durs[g->ndurs - 1] / 1e3 : 0.0);
		first = 1;
		json_object_foreach(g->errnos, name, v) {
			printf("%s%s %lld", first ? "" : ", ", name,
			    (long long)json_integer_value(v));
			first = 0;
		}
		printf("%s\n", first ? "-" : "");
	}
}

static void
sum_free(struct sum_table *t)
{
	size_t	i;

	for (i = 0; i < t->n; i++) {
		free(t->g[i].durs);
		json_decref(t->g[i].errnos);
	}
	free(t->g);
}

static int
sum_group_cmp(const void *a, const void *b)
{
	const struct sum_group	*x = a, *y = b;

	if (x->calls != y->calls)
		return (x->calls > y->calls ? -1 : 1);
	return (strcmp(x->key, y->key));
}

int
tracetool_summary(int argc, char **argv)
{
	struct sum_table	 cmds, ctxs;
	struct sum_group	*g;
	json_error_t		 jerr;
	json_t			*o;
	const char		*type, *cmd, *result;
	char			*line = NULL, key[64];
	size_t			 cap = 0;
	uint64_t		 lineno = 0, bad = 0, dropped = 0, total = 0;
	ssize_t			 n;
	FILE			*fp;
	int			 rc = 0;

	if (argc != 1) {
		fprintf(stderr, "usage: ioasidctl trace summary TRACE\n");
		return (1);
	}
	if (strcmp(argv[0], "-") == 0)
		fp = stdin;
	else if ((fp = fopen(argv[0], "r")) == NULL) {
		fprintf(stderr, "ioasidctl: %s: %s\n", argv[0],
		    strerror(errno));
		return (1);
	}
	memset(&cmds, 0, sizeof(cmds));
	memset(&ctxs, 0, sizeof(ctxs));
	while ((n = getline(&line, &cap, fp)) > 0) {
		lineno++;
		if ((o = json_loads(line, 0, &jerr)) == NULL) {
			if (bad++ == 0)
				fprintf(stderr, "ioasidctl: %s:%llu: %s\n",
				    argv[0], (unsigned long long)lineno,
				    jerr.text);
			continue;
		}
		type = json_string_value(json_object_get(o, "type"));
		if (type != NULL && strcmp(type, "dropped") == 0)
			dropped += json_integer_value(json_object_get(o,
			    "count"));
		if (type == NULL || strcmp(type, "ioctl") != 0) {
			json_decref(o);
			continue;
		}
		cmd = json_string_value(json_object_get(o, "cmd"));
		result = json_string_value(json_object_get(o, "result"));
		if (cmd == NULL || result == NULL) {
			bad++;
			json_decref(o);
			continue;
		}
		snprintf(key, sizeof(key), "%s%s",
		    strcmp(json_string_value(json_object_get(o, "node")) ?
		    json_string_value(json_object_get(o, "node")) : "",
		    "iommu") == 0 ? "" : "(device) ", cmd);
		if ((g = sum_group(&cmds, key)) == NULL || sum_add(g, result,
		    (uint64_t)json_integer_value(json_object_get(o,
		    "dur_ns"))) != 0)
			rc = -ENOMEM;
		snprintf(key, sizeof(key), "context %lld",
		    (long long)json_integer_value(json_object_get(o, "ctx")));
		if ((g = sum_group(&ctxs, key)) == NULL || sum_add(g, result,
		    (uint64_t)json_integer_value(json_object_get(o,
		    "dur_ns"))) != 0)
			rc = -ENOMEM;
		total++;
		json_decref(o);
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	if (rc != 0) {
		fprintf(stderr, "ioasidctl: out of memory\n");
		sum_free(&cmds);
		sum_free(&ctxs);
		return (1);
	}
	qsort(cmds.g, cmds.n, sizeof(*cmds.g), sum_group_cmp);
	qsort(ctxs.g, ctxs.n, sizeof(*ctxs.g), sum_group_cmp);
	printf("%llu calls in %zu commands and %zu contexts",
	    (unsigned long long)total, cmds.n, ctxs.n);
	if (dropped != 0)
		printf(", %llu records dropped", (unsigned long long)dropped);
	if (bad != 0)
		printf(", %llu bad lines", (unsigned long long)bad);
	printf("\n\n");
	sum_print(&cmds, "command");
	printf("\n");
	sum_print(&ctxs, "context");
	sum_free(&cmds);
	sum_free(&ctxs);
	return (bad != 0 ? 1 : 0);
}

/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * ioasidctl trace timeline TRACE -o FILE.html: one self-contained HTML
 * page that draws a trace on a time axis. The page is the template
 * client/timeline.html, built into the program (client/timeline_html.S),
 * with the trace's lines put in place of its @TRACE_DATA@ as one JSON
 * object: {"meta": {...}, "header": {...}, "lines": [...]}. The page's
 * own script works out lanes, object lifetimes and marks from the lines.
 *
 * The page stays bounded: at most --max-records lines of a trace go in
 * (TIMELINE_MAX_RECORDS unless told) and TIMELINE_MAX_BYTES of them, the
 * first ones, and the page says how many were left out; caller buffers
 * are clipped to TIMELINE_HEX_CHARS hex digits each; a line longer than
 * TIMELINE_MAX_LINE (no trace writer makes one) is skipped as bad.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "tracetool.h"

/* The template, from client/timeline_html.S. */
extern const char	timeline_html[];
extern const char	timeline_html_end[];

#define TIMELINE_MARKER		"@TRACE_DATA@"
#define TIMELINE_MAX_RECORDS	20000
#define TIMELINE_HARD_MAX	200000
#define TIMELINE_HEX_CHARS	256
#define TIMELINE_MAX_BYTES	(64U << 20)
#define TIMELINE_MAX_LINE	(1U << 20)

/* Clips the "hex" of every buffer in bufs (an "arrays" object) in place. */
static void
timeline_clip(json_t *bufs)
{
	const char	*name, *hex;
	json_t		*b, *h;

	json_object_foreach(bufs, name, b) {
		h = json_object_get(b, "hex");
		if ((hex = json_string_value(h)) == NULL ||
		    strlen(hex) <= TIMELINE_HEX_CHARS)
			continue;
		json_object_set_new(b, "hex", json_stringn(hex,
		    TIMELINE_HEX_CHARS));
		json_object_set_new(b, "clipped", json_true());
	}
}

/*
 * Writes size bytes of JSON text to the FILE in data, each "<" as
 * \u003c so that the text cannot end the script element it is in (a "<"
 * is only ever inside a JSON string). Returns 0, or -1 on a write error.
 */
static int
timeline_dump(const char *buf, size_t size, void *data)
{
	FILE	*fp = data;
	size_t	 i, from = 0;

	for (i = 0; i < size; i++) {
		if (buf[i] != '<')
			continue;
		if (fwrite(buf + from, 1, i - from, fp) != i - from ||
		    fputs("\\u003c", fp) == EOF)
			return (-1);
		from = i + 1;
	}
	if (fwrite(buf + from, 1, size - from, fp) != size - from)
		return (-1);
	return (0);
}

/*
 * Reads the trace in fp into a new object {"meta", "header", "lines"},
 * keeping at most max lines; src names the file in the page. Returns
 * NULL when out of memory.
 */
static json_t *
timeline_read(FILE *fp, const char *src, uint64_t max)
{
	json_error_t	 jerr;
	json_t		*all, *meta, *lines, *o;
	const char	*type;
	char		*line = NULL;
	size_t		 cap = 0;
	uint64_t	 records = 0, kept = 0, bad = 0, dropped = 0, lineno = 0;
	uint64_t	 bytes = 0;
	ssize_t		 n;
	int		 rc, cut = 0;

	/* meta and lines are borrowed from all, which owns them. */
	if ((all = json_object()) == NULL)
		return (NULL);
	if (json_object_set_new(all, "meta", json_object()) != 0 ||
	    json_object_set_new(all, "lines", json_array()) != 0) {
		json_decref(all);
		return (NULL);
	}
	meta = json_object_get(all, "meta");
	lines = json_object_get(all, "lines");
	while ((n = getline(&line, &cap, fp)) > 0) {
		lineno++;
		if ((size_t)n > TIMELINE_MAX_LINE) {
			if (bad++ == 0)
				fprintf(stderr, "ioasidctl: %s:%llu: a line of "
				    "%zd bytes\n", src,
				    (unsigned long long)lineno, n);
			continue;
		}
		if ((o = json_loads(line, 0, &jerr)) == NULL ||
		    !json_is_object(o)) {
			if (bad++ == 0)
				fprintf(stderr, "ioasidctl: %s:%llu: %s\n", src,
				    (unsigned long long)lineno, o == NULL ?
				    jerr.text : "not an object");
			json_decref(o);
			continue;
		}
		type = json_string_value(json_object_get(o, "type"));
		if (type != NULL && strcmp(type, "header") == 0) {
			/* A rotated file's header comes once. */
			if (json_object_get(all, "header") == NULL &&
			    json_object_set(all, "header", o) != 0)
				goto fail;
			json_decref(o);
			continue;
		}
		if (type != NULL && strcmp(type, "dropped") == 0)
			dropped += (uint64_t)json_integer_value(
			    json_object_get(o, "count"));
		records++;
		if (cut || kept == max ||
		    bytes + (size_t)n > TIMELINE_MAX_BYTES) {
			/* Cut here: none after goes in, however short. */
			cut = 1;
			json_decref(o);
			continue;
		}
		bytes += (size_t)n;
		timeline_clip(json_object_get(o, "arrays"));
		timeline_clip(json_object_get(o, "out_arrays"));
		if (json_array_append_new(lines, o) != 0)
			goto fail;
		kept++;
	}
	free(line);
	rc = json_object_set_new(meta, "source", json_string(src));
	rc |= json_object_set_new(meta, "records", json_integer(records));
	rc |= json_object_set_new(meta, "kept", json_integer(kept));
	rc |= json_object_set_new(meta, "omitted",
	    json_integer(records - kept));
	rc |= json_object_set_new(meta, "max", json_integer(max));
	rc |= json_object_set_new(meta, "max_mib",
	    json_integer(TIMELINE_MAX_BYTES >> 20));
	rc |= json_object_set_new(meta, "dropped", json_integer(dropped));
	rc |= json_object_set_new(meta, "bad", json_integer(bad));
	if (rc != 0) {
		json_decref(all);
		return (NULL);
	}
	return (all);
fail:
	free(line);
	json_decref(all);
	return (NULL);
}

int
tracetool_timeline(int argc, char **argv)
{
	const char	*in = NULL, *out = NULL, *mark, *tpl = timeline_html;
	size_t		 tlen = (size_t)(timeline_html_end - timeline_html);
	json_t		*all;
	uint64_t	 max = TIMELINE_MAX_RECORDS, kept, records;
	FILE		*fp;
	char		*end;
	int		 i, err, usage = 0;
	long long	 bad;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else if (strcmp(argv[i], "--max-records") == 0 &&
		    i + 1 < argc) {
			errno = 0;
			max = strtoull(argv[++i], &end, 10);
			if (errno != 0 || *end != '\0' || max == 0 ||
			    max > TIMELINE_HARD_MAX || argv[i][0] == '-') {
				fprintf(stderr, "ioasidctl: --max-records: "
				    "1 to %d\n", TIMELINE_HARD_MAX);
				return (1);
			}
		} else if (in == NULL && (argv[i][0] != '-' ||
		    strcmp(argv[i], "-") == 0))
			in = argv[i];
		else
			usage = 1;
	}
	if (usage || in == NULL || out == NULL) {
		fprintf(stderr, "usage: ioasidctl trace timeline TRACE "
		    "-o FILE.html [--max-records N]\n");
		return (1);
	}
	mark = memmem(tpl, tlen, TIMELINE_MARKER, strlen(TIMELINE_MARKER));
	if (mark == NULL) {
		fprintf(stderr, "ioasidctl: the timeline template has no %s\n",
		    TIMELINE_MARKER);
		return (1);
	}
	if (strcmp(in, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(in, "r")) == NULL) {
		fprintf(stderr, "ioasidctl: %s: %s\n", in, strerror(errno));
		return (1);
	}
	all = timeline_read(fp, in, max);
	err = ferror(fp);
	if (fp != stdin)
		fclose(fp);
	if (all == NULL || err) {
		fprintf(stderr, "ioasidctl: %s: %s\n", in, all == NULL ?
		    "out of memory" : "read error");
		json_decref(all);
		return (1);
	}
	if ((fp = fopen(out, "w")) == NULL) {
		fprintf(stderr, "ioasidctl: %s: %s\n", out, strerror(errno));
		json_decref(all);
		return (1);
	}
	err = fwrite(tpl, 1, (size_t)(mark - tpl), fp) !=
	    (size_t)(mark - tpl);
	if (!err)
		err = json_dump_callback(all, timeline_dump, fp,
		    JSON_COMPACT | JSON_ENSURE_ASCII) != 0;
	mark += strlen(TIMELINE_MARKER);
	if (!err)
		err = fwrite(mark, 1, (size_t)(tpl + tlen - mark), fp) !=
		    (size_t)(tpl + tlen - mark);
	if (fclose(fp) != 0)
		err = 1;
	kept = (uint64_t)json_integer_value(json_object_get(json_object_get(
	    all, "meta"), "kept"));
	records = (uint64_t)json_integer_value(json_object_get(
	    json_object_get(all, "meta"), "records"));
	bad = json_integer_value(json_object_get(json_object_get(all, "meta"),
	    "bad"));
	json_decref(all);
	if (err) {
		fprintf(stderr, "ioasidctl: %s: write error\n", out);
		unlink(out);
		return (1);
	}
	fprintf(stderr, "ioasidctl trace timeline: %s: %llu of %llu records"
	    "%s\n", out, (unsigned long long)kept,
	    (unsigned long long)records, kept < records ?
	    " (the rest left out: --max-records)" : "");
	return (bad != 0 ? 1 : 0);
}

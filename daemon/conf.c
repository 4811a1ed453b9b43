/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Reading ioasidd.conf.
 *
 * libinih splits the file into sections and "key = value" pairs; everything
 * else is ours. The lines reach libinih through conf_read_line(), which
 * counts them (so every message carries its line number), strips leading
 * blanks (so an indented line is never taken as the continuation of the one
 * before), and checks what libinih would only count: section headers,
 * lines that are not "key = value", lines too long for its buffer.
 *
 * A key is found in conf_keys[] by bsearch on (section, name) and its value
 * is parsed by its type into struct conf at the row's offset. Defaults are
 * the same rows' values run through the same parser, so a default can never
 * be something the file could not say.
 *
 * Sections are rows of conf_sections[]: [daemon], [limits] and the named
 * [device NAME] and [iommu NAME] (an entry of conf->devices or
 * conf->iommus each, with its own keys); any section not in the table is
 * an error, never silently skipped. An [iommu] section's overrides are
 * the model's to parse: after the file, each section is made into an
 * instance once (and freed), so that what the model rejects is an error
 * of the file, at the line of the key at fault.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "conf.h"
#include "core/util.h"
#include "dev/pci.h"
#include "hw/hw.h"
#include "hw/plugin.h"
#include "log.h"
#include "uapi.h"

/* The longest AF_UNIX path: sizeof(sun_path) less the terminating NUL. */
#define CONF_SUN_PATH_MAX	107
/* The largest number a key may take: far past any machine, never wraps. */
#define CONF_NUMBER_MAX		(1L << 60)
/* The largest configuration file read; the shipped one is a few KiB. */
#define CONF_FILE_MAX		(1024 * 1024)

struct conf_section {
	const char	*name;
	int		 named;		/* written [name INSTANCE] */
};

static const struct conf_section conf_sections[] = {
	{ .name = "daemon", .named = 0 },
	{ .name = "limits", .named = 0 },
	{ .name = "trace", .named = 0 },
	/* Its keys are conf_device_keys[], read by conf_device_key(). */
	{ .name = "device", .named = 1 },
	/* Its keys are model, profile and the model's overrides. */
	{ .name = "iommu", .named = 1 },
};

/*
 * The keys of a [device NAME] section, in the order of conf_device.seen[].
 * A device is a list entry rather than fields of struct conf, so these
 * are not rows of conf_keys[] (which -o and the reload diff walk).
 */
enum conf_device_key {
	CONF_DK_RID,
	CONF_DK_IOMMU,
	CONF_DK_MODEL,
	CONF_DK_PASID_WIDTH,
	CONF_DK_CAPS,
	CONF_DK_FUNCTION,
	CONF_DK_VENDOR,
	CONF_DK_DEVICE,
	CONF_DK_SUBVENDOR,
	CONF_DK_SUBDEVICE,
	CONF_DK_CLASS,
	CONF_DK_BAR0,		/* to CONF_DK_BAR0 + 5 */
	CONF_DK_ROM = CONF_DK_BAR0 + 6,
	CONF_DK_INTX,
	CONF_DK_MSI,
	CONF_DK_MSIX,
	CONF_DK_PASID_POLICY,
};
static const char *const conf_device_keys[] = {
	[CONF_DK_RID] = "rid",
	[CONF_DK_IOMMU] = "iommu",
	[CONF_DK_MODEL] = "model",
	[CONF_DK_PASID_WIDTH] = "pasid-width",
	[CONF_DK_CAPS] = "capabilities",
	[CONF_DK_FUNCTION] = "function",
	[CONF_DK_VENDOR] = "vendor-id",
	[CONF_DK_DEVICE] = "device-id",
	[CONF_DK_SUBVENDOR] = "subsystem-vendor-id",
	[CONF_DK_SUBDEVICE] = "subsystem-id",
	[CONF_DK_CLASS] = "class",
	[CONF_DK_BAR0] = "bar0",
	[CONF_DK_BAR0 + 1] = "bar1",
	[CONF_DK_BAR0 + 2] = "bar2",
	[CONF_DK_BAR0 + 3] = "bar3",
	[CONF_DK_BAR0 + 4] = "bar4",
	[CONF_DK_BAR0 + 5] = "bar5",
	[CONF_DK_ROM] = "rom-size",
	[CONF_DK_INTX] = "interrupt-pin",
	[CONF_DK_MSI] = "msi-vectors",
	[CONF_DK_MSIX] = "msix-vectors",
	[CONF_DK_PASID_POLICY] = "pasid-policy",
};
_Static_assert(nitems(conf_device_keys) <=
    nitems(((struct conf_device *)0)->seen), "conf_device.seen");
/* The hardware models daemon/hw/ provides. */
static const char *const conf_models[] = { "mock", "plain", NULL };
static const struct {
	const char	*word;
	unsigned int	 bit;
} conf_devcaps[] = {
	{ "dirty", CONF_DEVCAP_DIRTY },
	{ "huge-iova", CONF_DEVCAP_HUGE_IOVA },
	{ "ats", CONF_DEVCAP_ATS },
	{ "pri", CONF_DEVCAP_PRI },
	{ "no-snoop", CONF_DEVCAP_NO_SNOOP },
};


static const char *const conf_log_levels[] = { "warn", "info", "debug", NULL };
static const char *const conf_yes_no[] = { "no", "yes", NULL };
/* In the order of conf_uapi_level(). */
static const char *const conf_uapi_levels[] = { "6.12", "7.3", NULL };

/* Where model plugins live (daemon/hw/plugin.h); the Makefile says. */
#ifndef IOASIDD_MODELDIR
#define IOASIDD_MODELDIR	"/usr/local/lib/ioasidd/models"
#endif

/* Sorted by section, then name: conf_key_find() uses bsearch. */
const struct conf_key conf_keys[] = {
	{ .section = "daemon", .name = "control-group", .type = CONF_GROUP,
	  .offset = offsetof(struct conf, control_gid), .dflt = "" },
	{ .section = "daemon", .name = "control-socket", .type = CONF_PATH,
	  .offset = offsetof(struct conf, control_socket),
	  .max = CONF_SUN_PATH_MAX, .dflt = "/run/ioasidd/control.sock",
	  .flags = CONF_F_EMPTY },
	{ .section = "daemon", .name = "log-level", .type = CONF_CHOICE,
	  .offset = offsetof(struct conf, log_level),
	  .choices = conf_log_levels, .dflt = "info",
	  .flags = CONF_F_RELOAD },
	{ .section = "daemon", .name = "model-dir", .type = CONF_PATH,
	  .offset = offsetof(struct conf, model_dir), .max = PATH_MAX - 1,
	  .dflt = IOASIDD_MODELDIR },
	{ .section = "daemon", .name = "node", .type = CONF_DEVNODE,
	  .offset = offsetof(struct conf, node), .max = PATH_MAX - 1,
	  .dflt = "/dev/iommu", .flags = CONF_F_EMPTY },
	{ .section = "daemon", .name = "node-group", .type = CONF_GROUP,
	  .offset = offsetof(struct conf, node_gid), .dflt = "" },
	{ .section = "daemon", .name = "node-mode", .type = CONF_MODE,
	  .offset = offsetof(struct conf, node_mode), .min = 0, .max = 0777,
	  .dflt = "0660" },
	{ .section = "daemon", .name = "node-required", .type = CONF_CHOICE,
	  .offset = offsetof(struct conf, node_required),
	  .choices = conf_yes_no, .dflt = "no" },
	{ .section = "daemon", .name = "noiommu-granule", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, noiommu_granule), .min = 4096,
	  .max = 1L << 30, .dflt = "4K", .flags = CONF_F_RELOAD },
	{ .section = "daemon", .name = "socket", .type = CONF_PATH,
	  .offset = offsetof(struct conf, socket),
	  .max = CONF_SUN_PATH_MAX, .dflt = "/run/ioasidd/iommu.sock" },
	{ .section = "daemon", .name = "socket-connections-per-uid",
	  .type = CONF_NUMBER, .offset = offsetof(struct conf, socket_per_uid),
	  .min = 1, .max = 1000000, .dflt = "256", .flags = CONF_F_RELOAD },
	{ .section = "daemon", .name = "socket-group", .type = CONF_GROUP,
	  .offset = offsetof(struct conf, socket_gid), .dflt = "" },
	{ .section = "daemon", .name = "socket-mode", .type = CONF_MODE,
	  .offset = offsetof(struct conf, socket_mode), .min = 0, .max = 0777,
	  .dflt = "0660" },
	{ .section = "daemon", .name = "uapi-level", .type = CONF_CHOICE,
	  .offset = offsetof(struct conf, uapi_level),
	  .choices = conf_uapi_levels, .dflt = "7.3", .flags = CONF_F_RELOAD },
	/* The limits' index in the arrays is enum limit_kind's (limit.h). */
	{ .section = "limits", .name = "context-allowed-ranges", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, limit_ctx[2]), .max = CONF_NUMBER_MAX,
	  .dflt = "64K", .flags = CONF_F_RELOAD },
	{ .section = "limits", .name = "context-areas", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, limit_ctx[1]), .max = CONF_NUMBER_MAX,
	  .dflt = "2M", .flags = CONF_F_RELOAD },
	{ .section = "limits", .name = "context-bytes", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, limit_ctx[4]), .max = CONF_NUMBER_MAX,
	  .dflt = "512M", .flags = CONF_F_RELOAD },
	{ .section = "limits", .name = "context-objects", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, limit_ctx[0]), .max = CONF_NUMBER_MAX,
	  .dflt = "64K", .flags = CONF_F_RELOAD },
	{ .section = "limits", .name = "context-reserved-ranges", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, limit_ctx[3]), .max = CONF_NUMBER_MAX,
	  .dflt = "4K", .flags = CONF_F_RELOAD },
	{ .section = "limits", .name = "uid-allowed-ranges", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, limit_uid[2]), .max = CONF_NUMBER_MAX,
	  .dflt = "256K", .flags = CONF_F_RELOAD },
	{ .section = "limits", .name = "uid-areas", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, limit_uid[1]), .max = CONF_NUMBER_MAX,
	  .dflt = "4M", .flags = CONF_F_RELOAD },
	{ .section = "limits", .name = "uid-bytes", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, limit_uid[4]), .max = CONF_NUMBER_MAX,
	  .dflt = "1G", .flags = CONF_F_RELOAD },
	{ .section = "limits", .name = "uid-objects", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, limit_uid[0]), .max = CONF_NUMBER_MAX,
	  .dflt = "256K", .flags = CONF_F_RELOAD },
	{ .section = "limits", .name = "uid-reserved-ranges", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, limit_uid[3]), .max = CONF_NUMBER_MAX,
	  .dflt = "16K", .flags = CONF_F_RELOAD },
	/* The JSON trace (core/trace.h). */
	{ .section = "trace", .name = "enabled", .type = CONF_CHOICE,
	  .offset = offsetof(struct conf, trace_enabled),
	  .choices = conf_yes_no, .dflt = "no", .flags = CONF_F_RELOAD },
	{ .section = "trace", .name = "max-size", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, trace_max_size),
	  .max = CONF_NUMBER_MAX, .dflt = "64M", .flags = CONF_F_RELOAD },
	{ .section = "trace", .name = "path", .type = CONF_PATH,
	  .offset = offsetof(struct conf, trace_path), .max = PATH_MAX - 16,
	  .dflt = "/var/log/ioasidd/trace.jsonl", .flags = CONF_F_RELOAD },
	{ .section = "trace", .name = "rotate", .type = CONF_NUMBER,
	  .offset = offsetof(struct conf, trace_rotate), .max = 99,
	  .dflt = "4", .flags = CONF_F_RELOAD },
};
const size_t conf_nkeys = nitems(conf_keys);

/* While reading one file. */
struct conf_parse {
	struct conf	*conf;
	FILE		*fp;
	char		*buf;		/* getline's */
	size_t		 bufsize;
	int		 lineno;
	int		 skip;		/* in a bad section: ignore its keys */
	struct conf_device *dev;	/* in this [device NAME], or NULL */
	struct conf_iommu *iommu;	/* in this [iommu NAME], or NULL */
	int		 oom;
	int		 seen[nitems(conf_keys)];	/* line of each key */
};

static void	conf_device_clear(struct conf_device *);
static void	conf_iommu_clear(struct conf_iommu *);
static void	conf_error(struct conf *, int *, const char *, int,
		    const char *, ...) printflike(5, 6);

/*
 * Record "prefix:line: message" (or "prefix: message" when line is 0).
 * oom, if not NULL, is set when the message could not be kept.
 */
static void
conf_error(struct conf *conf, int *oom, const char *prefix, int line,
    const char *fmt, ...)
{
	va_list	  ap;
	char	 *msg, *full, **v;
	int	  rc;

	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc == -1)
		goto fail;
	if (line > 0)
		rc = asprintf(&full, "%s:%d: %s", prefix, line, msg);
	else
		rc = asprintf(&full, "%s: %s", prefix, msg);
	free(msg);
	if (rc == -1)
		goto fail;
	v = reallocarray(conf->errors, conf->nerrors + 1, sizeof *v);
	if (v == NULL) {
		free(full);
		goto fail;
	}
	conf->errors = v;
	conf->errors[conf->nerrors++] = full;
	return;
fail:
	if (oom != NULL)
		*oom = 1;
}

static int
conf_key_cmp(const void *a, const void *b)
{
	const struct conf_key	*ka = a, *kb = b;
	int			 c;

	if ((c = strcmp(ka->section, kb->section)) != 0)
		return (c);
	return (strcmp(ka->name, kb->name));
}

const struct conf_key *
conf_key_find(const char *section, const char *name)
{
	struct conf_key	k = { .section = section, .name = name };

	return (bsearch(&k, conf_keys, conf_nkeys, sizeof conf_keys[0],
	    conf_key_cmp));
}

static const struct conf_section *
conf_section_find(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(conf_sections); i++) {
		if (strcmp(conf_sections[i].name, name) == 0)
			return (&conf_sections[i]);
	}
	return (NULL);
}

static void *
conf_field(const struct conf *conf, const struct conf_key *k)
{
	return ((char *)conf + k->offset);
}

static int
conf_has_space(const char *s)
{
	for (; *s != '\0'; s++) {
		if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s))
			return (1);
	}
	return (0);
}

/*
 * A CONF_NUMBER: digits, then at most one of K, M, G, T (powers of 1024,
 * either case). 0 or -EINVAL with a message in err.
 */
static int
conf_number_set(struct conf *conf, const struct conf_key *k,
    const char *value, char *err, size_t errlen)
{
	static const char	 units[] = "kmgt";
	const char		*u;
	unsigned long long	 v;
	char			*end;
	int			 shift = 0;

	errno = 0;
	v = strtoull(value, &end, 10);
	if (isdigit((unsigned char)value[0]) && errno == 0 && *end != '\0' &&
	    end[1] == '\0' &&
	    (u = strchr(units, tolower((unsigned char)*end))) != NULL) {
		shift = 10 * (int)(u - units + 1);
		end++;
	}
	if (!isdigit((unsigned char)value[0]) || *end != '\0' || errno != 0 ||
	    v > ((unsigned long long)k->max >> shift) ||
	    (v << shift) < (unsigned long long)k->min) {
		snprintf(err, errlen, "must be a number from %ld to %ld, "
		    "with K, M, G or T for 1024^1..4, not \"%s\"", k->min,
		    k->max, value);
		return (-EINVAL);
	}
	*(uint64_t *)conf_field(conf, k) = (uint64_t)v << shift;
	return (0);
}

/*
 * Parse value for key into conf. Returns 0, -ENOMEM, or -EINVAL with a
 * message (without the key's name) in err.
 */
static int
conf_key_set(struct conf *conf, const struct conf_key *k, const char *value,
    char *err, size_t errlen)
{
	char		*s, *end, **sp;
	unsigned long	 ul;
	struct group	*gr;
	size_t		 len, i;

	len = strlen(value);
	switch (k->type) {
	case CONF_PATH:
	case CONF_DEVNODE:
		if (len == 0 && (k->flags & CONF_F_EMPTY) == 0) {
			snprintf(err, errlen, "needs a value");
			return (-EINVAL);
		}
		if (len == 0)
			goto store;
		if (conf_has_space(value)) {
			snprintf(err, errlen, "must not contain blanks "
			    "(comments go on their own line)");
			return (-EINVAL);
		}
		if (k->type == CONF_PATH && value[0] != '/') {
			snprintf(err, errlen, "must be an absolute path, "
			    "not \"%s\"", value);
			return (-EINVAL);
		}
		if (k->type == CONF_DEVNODE && (strncmp(value, "/dev/", 5) != 0 ||
		    value[5] == '\0' || value[len - 1] == '/' ||
		    strstr(value, "/../") != NULL ||
		    strstr(value, "//") != NULL ||
		    (len >= 3 && strcmp(value + len - 3, "/..") == 0))) {
			snprintf(err, errlen, "must be a node under /dev/, "
			    "like /dev/iommu, not \"%s\"", value);
			return (-EINVAL);
		}
		if ((long)len > k->max) {
			snprintf(err, errlen, "is %zu characters long; at most "
			    "%ld fit", len, k->max);
			return (-EINVAL);
		}
	store:
		if ((s = strdup(value)) == NULL)
			return (-ENOMEM);
		sp = conf_field(conf, k);
		free(*sp);
		*sp = s;
		return (0);
	case CONF_MODE:
		errno = 0;
		ul = strtoul(value, &end, 8);
		if (len == 0 || *end != '\0' || errno != 0 ||
		    !isdigit((unsigned char)value[0]) ||
		    ul < (unsigned long)k->min || ul > (unsigned long)k->max) {
			snprintf(err, errlen, "must be an octal mode from "
			    "%04lo to %04lo, not \"%s\"", (unsigned long)k->min,
			    (unsigned long)k->max, value);
			return (-EINVAL);
		}
		*(mode_t *)conf_field(conf, k) = (mode_t)ul;
		return (0);
	case CONF_GROUP:
		if (len == 0) {
			*(gid_t *)conf_field(conf, k) = (gid_t)-1;
			return (0);
		}
		if (isdigit((unsigned char)value[0])) {
			errno = 0;
			ul = strtoul(value, &end, 10);
			if (*end != '\0' || errno != 0 || ul >= UINT32_MAX) {
				snprintf(err, errlen, "is not a group number: "
				    "\"%s\"", value);
				return (-EINVAL);
			}
			*(gid_t *)conf_field(conf, k) = (gid_t)ul;
			return (0);
		}
		if ((gr = getgrnam(value)) == NULL) {
			snprintf(err, errlen, "no such group \"%s\"", value);
			return (-EINVAL);
		}
		*(gid_t *)conf_field(conf, k) = gr->gr_gid;
		return (0);
	case CONF_NUMBER:
		return (conf_number_set(conf, k, value, err, errlen));
	case CONF_CHOICE:
		for (i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(k->choices[i], value) == 0) {
				*(int *)conf_field(conf, k) = (int)i;
				return (0);
			}
		}
		len = (size_t)snprintf(err, errlen, "must be one of");
		for (i = 0; k->choices[i] != NULL && len < errlen; i++) {
			len += (size_t)snprintf(err + len, errlen - len, "%s %s",
			    i == 0 ? "" : ",", k->choices[i]);
		}
		if (len < errlen)
			snprintf(err + len, errlen - len, ", not \"%s\"", value);
		return (-EINVAL);
	}
	snprintf(err, errlen, "has an unknown type");
	return (-EINVAL);
}

void
conf_key_format(const struct conf *conf, const struct conf_key *k, char *buf,
    size_t len)
{
	const char	*s;
	gid_t		 gid;
	struct group	*gr;
	uint64_t	 v;
	int		 i;

	switch (k->type) {
	case CONF_PATH:
	case CONF_DEVNODE:
		s = *(char *const *)conf_field(conf, k);
		snprintf(buf, len, "%s", s != NULL ? s : "");
		return;
	case CONF_MODE:
		snprintf(buf, len, "%04o",
		    (unsigned int)*(const mode_t *)conf_field(conf, k));
		return;
	case CONF_GROUP:
		gid = *(const gid_t *)conf_field(conf, k);
		if (gid == (gid_t)-1)
			snprintf(buf, len, "%s", "");
		else if ((gr = getgrgid(gid)) != NULL)
			snprintf(buf, len, "%s", gr->gr_name);
		else
			snprintf(buf, len, "%u", (unsigned int)gid);
		return;
	case CONF_CHOICE:
		i = *(const int *)conf_field(conf, k);
		snprintf(buf, len, "%s", k->choices[i]);
		return;
	case CONF_NUMBER:
		v = *(const uint64_t *)conf_field(conf, k);
		/* In the largest unit that says it exactly. */
		for (i = 0; v != 0 && v % 1024 == 0 && i < 4; i++)
			v /= 1024;
		snprintf(buf, len, "%llu%.*s", (unsigned long long)v,
		    i > 0, &"KMGT"[i > 0 ? i - 1 : 0]);
		return;
	}
	snprintf(buf, len, "?");
}

static void
conf_key_clear(struct conf *conf, const struct conf_key *k)
{
	char	**sp;

	if (k->type == CONF_PATH || k->type == CONF_DEVNODE) {
		sp = conf_field(conf, k);
		free(*sp);
		*sp = NULL;
	}
}

void
conf_free(struct conf *conf)
{
	size_t	i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf_nkeys; i++)
		conf_key_clear(conf, &conf_keys[i]);
	for (i = 0; i < conf->ndevices; i++)
		conf_device_clear(&conf->devices[i]);
	free(conf->devices);
	for (i = 0; i < conf->niommus; i++)
		conf_iommu_clear(&conf->iommus[i]);
	free(conf->iommus);
	for (i = 0; i < conf->nerrors && conf->errors != NULL; i++)
		free(conf->errors[i]);
	free(conf->errors);
	free(conf->path);
	free(conf);
}

int
conf_defaults(struct conf **confp)
{
	struct conf	*conf;
	char		 err[256];
	size_t		 i;
	int		 rc;

	*confp = NULL;
	if ((conf = calloc(1, sizeof *conf)) == NULL)
		return (-ENOMEM);
	for (i = 0; i < conf_nkeys; i++) {
		rc = conf_key_set(conf, &conf_keys[i], conf_keys[i].dflt, err,
		    sizeof err);
		if (rc == -ENOMEM) {
			conf_free(conf);
			return (-ENOMEM);
		}
		if (rc != 0) {
			/* A bad row in conf_keys[]: the unit tests catch it. */
			fatalx("%s: default of %s: %s", __func__,
			    conf_keys[i].name, err);
		}
	}
	*confp = conf;
	return (0);
}

/* A device or instance name: letters, digits, "-", "_", ".". */
static int
conf_name_ok(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++) {
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return (0);
	}
	return (n > 0 && n <= CONF_NAME_MAX);
}

unsigned int
conf_uapi_level(const struct conf *conf)
{
	static const unsigned int levels[] = {
		UAPI_LEVEL_6_12, UAPI_LEVEL_7_3
	};

	_Static_assert(nitems(levels) == nitems(conf_uapi_levels) - 1,
	    "uapi levels");
	return (levels[conf->uapi_level]);
}

const struct conf_device *
conf_device_find(const struct conf *conf, const char *name)
{
	size_t	i;

	for (i = 0; i < conf->ndevices; i++) {
		if (strcmp(conf->devices[i].name, name) == 0)
			return (&conf->devices[i]);
	}
	return (NULL);
}

int
conf_devices_equal(const struct conf *a, const struct conf *b)
{
	const struct conf_device	*x, *y;
	size_t				 i;

	if (a->ndevices != b->ndevices)
		return (0);
	for (i = 0; i < a->ndevices; i++) {
		x = &a->devices[i];
		y = &b->devices[i];
		if (strcmp(x->name, y->name) != 0 || x->rid != y->rid ||
		    strcmp(x->iommu, y->iommu) != 0 ||
		    strcmp(x->model, y->model) != 0 ||
		    x->pasid_width != y->pasid_width || x->caps != y->caps ||
		    x->pasid_policy != y->pasid_policy)
			return (0);
		if ((x->function == NULL) != (y->function == NULL) ||
		    (x->function != NULL &&
		    strcmp(x->function, y->function) != 0) ||
		    x->pci_set != y->pci_set || x->vendor_id != y->vendor_id ||
		    x->device_id != y->device_id ||
		    x->subsys_vendor != y->subsys_vendor ||
		    x->subsys_device != y->subsys_device ||
		    x->class_code != y->class_code ||
		    memcmp(x->bar_size, y->bar_size,
		    sizeof(x->bar_size)) != 0 ||
		    memcmp(x->bar_flags, y->bar_flags,
		    sizeof(x->bar_flags)) != 0 || x->rom_size != y->rom_size ||
		    x->intx_pin != y->intx_pin ||
		    x->msi_vectors != y->msi_vectors ||
		    x->msix_vectors != y->msix_vectors)
			return (0);
	}
	return (1);
}

const struct conf_iommu *
conf_iommu_find(const struct conf *conf, const char *name)
{
	size_t	i;

	for (i = 0; i < conf->niommus; i++) {
		if (strcmp(conf->iommus[i].name, name) == 0)
			return (&conf->iommus[i]);
	}
	return (NULL);
}

/* Whether two strings, either of which may be NULL, are the same. */
static int
conf_str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

int
conf_iommus_equal(const struct conf *a, const struct conf *b)
{
	const struct conf_iommu	*x, *y;
	size_t			 i, j;

	if (a->niommus != b->niommus)
		return (0);
	for (i = 0; i < a->niommus; i++) {
		x = &a->iommus[i];
		y = &b->iommus[i];
		if (strcmp(x->name, y->name) != 0 ||
		    !conf_str_equal(x->model, y->model) ||
		    !conf_str_equal(x->profile, y->profile) ||
		    x->nparams != y->nparams)
			return (0);
		for (j = 0; j < x->nparams; j++) {
			if (strcmp(x->params[j].key, y->params[j].key) != 0 ||
			    strcmp(x->params[j].value,
			    y->params[j].value) != 0)
				return (0);
		}
	}
	return (1);
}

static void
conf_iommu_clear(struct conf_iommu *im)
{
	size_t	i;

	free(im->name);
	free(im->model);
	free(im->profile);
	for (i = 0; i < im->nparams; i++) {
		free((char *)(uintptr_t)im->params[i].key);
		free((char *)(uintptr_t)im->params[i].value);
	}
	free(im->params);
}

/*
 * An [iommu NAME] header: a new entry, which the keys that follow fill
 * in. 0, or -1 when the section is to be skipped.
 */
static int
conf_iommu_new(struct conf_parse *st, const char *name)
{
	struct conf		*conf = st->conf;
	struct conf_iommu	*v, *im;

	if (!conf_name_ok(name)) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "iommu name \"%s\": use at most %d letters, digits, "
		    "\"-\", \"_\" or \".\"", name, CONF_NAME_MAX);
		return (-1);
	}
	if ((im = (struct conf_iommu *)conf_iommu_find(conf, name)) != NULL) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "[iommu %s] is already on line %d", name, im->line);
		return (-1);
	}
	if (conf->niommus == CONF_IOMMU_MAX) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "more than %d [iommu] sections", CONF_IOMMU_MAX);
		return (-1);
	}
	v = reallocarray(conf->iommus, conf->niommus + 1, sizeof(*v));
	if (v == NULL) {
		st->oom = 1;
		return (-1);
	}
	conf->iommus = v;
	im = &v[conf->niommus];
	memset(im, 0, sizeof(*im));
	im->line = st->lineno;
	if ((im->name = strdup(name)) == NULL) {
		st->oom = 1;
		return (-1);
	}
	conf->niommus++;
	st->iommu = im;
	return (0);
}

/*
 * One key of the current [iommu NAME] section: model, profile, or an
 * override kept for the model to parse.
 */
static void
conf_iommu_key(struct conf_parse *st, const char *name, const char *value)
{
	struct conf		*conf = st->conf;
	struct conf_iommu	*im = st->iommu;
	struct hw_param		*v;
	char			*k, *s, **sp = NULL;
	int			*lp = NULL, prev = 0;
	size_t			 i;

	if (strcmp(name, "model") == 0) {
		sp = &im->model;
		lp = &im->model_line;
		prev = *lp;
	} else if (strcmp(name, "profile") == 0) {
		sp = &im->profile;
		lp = &im->profile_line;
		prev = *lp;
	} else {
		for (i = 0; i < im->nparams; i++) {
			if (strcmp(im->params[i].key, name) == 0)
				prev = im->params[i].line;
		}
	}
	if (prev != 0) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "\"%s\" is already set on line %d", name, prev);
		return;
	}
	if (*value == '\0' || conf_has_space(value)) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "%s must be one word (comments go on their own line)",
		    name);
		return;
	}
	if (sp != NULL) {
		if ((s = strdup(value)) == NULL) {
			st->oom = 1;
			return;
		}
		*sp = s;
		*lp = st->lineno;
		return;
	}
	if (im->nparams == CONF_IOMMU_PARAM_MAX) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "more than %d keys in [iommu %s]", CONF_IOMMU_PARAM_MAX,
		    im->name);
		return;
	}
	v = reallocarray(im->params, im->nparams + 1, sizeof(*v));
	if (v == NULL) {
		st->oom = 1;
		return;
	}
	im->params = v;
	k = strdup(name);
	s = strdup(value);
	if (k == NULL || s == NULL) {
		free(k);
		free(s);
		st->oom = 1;
		return;
	}
	v[im->nparams].key = k;
	v[im->nparams].value = s;
	v[im->nparams].line = st->lineno;
	im->nparams++;
}

static void
conf_device_clear(struct conf_device *d)
{
	free(d->name);
	free(d->iommu);
	free(d->model);
	free(d->function);
}

/*
 * A [device NAME] header: a new entry with the defaults, which the keys
 * that follow fill in. 0, or -1 when the section is to be skipped.
 */
static int
conf_device_new(struct conf_parse *st, const char *name)
{
	struct conf		*conf = st->conf;
	struct conf_device	*v, *d;

	if (!conf_name_ok(name)) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "device name \"%s\": use at most %d letters, digits, "
		    "\"-\", \"_\" or \".\"", name, CONF_NAME_MAX);
		return (-1);
	}
	if ((d = (struct conf_device *)conf_device_find(conf, name)) != NULL) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "[device %s] is already on line %d", name, d->line);
		return (-1);
	}
	if (conf->ndevices == CONF_DEVICE_MAX) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "more than %d [device] sections", CONF_DEVICE_MAX);
		return (-1);
	}
	v = reallocarray(conf->devices, conf->ndevices + 1, sizeof(*v));
	if (v == NULL) {
		st->oom = 1;
		return (-1);
	}
	conf->devices = v;
	d = &v[conf->ndevices];
	memset(d, 0, sizeof(*d));
	d->line = st->lineno;
	d->caps = CONF_DEVCAP_DIRTY;
	d->name = strdup(name);
	d->iommu = strdup("iommu0");
	d->model = strdup(conf_models[0]);
	if (d->name == NULL || d->iommu == NULL || d->model == NULL) {
		conf_device_clear(d);
		st->oom = 1;
		return (-1);
	}
	conf->ndevices++;
	st->dev = d;
	return (0);
}

/*
 * A PCI requester id written as bus:device.function ("00:01.0") or with
 * the segment before it ("0000:00:01.0", segment 0 only): 0 or -1.
 */
static int
conf_rid_parse(const char *s, uint16_t *rid)
{
	unsigned int	seg = 0, bus, dev, fn;
	int		n = -1;

	if (sscanf(s, "%4x:%2x:%2x.%1x%n", &seg, &bus, &dev, &fn, &n) != 4 ||
	    s[n] != '\0') {
		n = -1;
		seg = 0;
		if (sscanf(s, "%2x:%2x.%1x%n", &bus, &dev, &fn, &n) != 3 ||
		    s[n] != '\0')
			return (-1);
	}
	if (seg != 0 || bus > 0xff || dev > 0x1f || fn > 7 ||
	    !isxdigit((unsigned char)s[0]))
		return (-1);
	*rid = (uint16_t)(bus << 8 | dev << 3 | fn);
	return (0);
}

/* capabilities: comma-separated words of conf_devcaps[], or "" (none). */
static int
conf_caps_parse(const char *s, unsigned int *caps, char *err, size_t errlen)
{
	const char	*e;
	size_t		 n, i;

	*caps = 0;
	while (*s != '\0') {
		if ((e = strchr(s, ',')) == NULL)
			e = s + strlen(s);
		n = (size_t)(e - s);
		for (i = 0; i < nitems(conf_devcaps); i++) {
			if (strlen(conf_devcaps[i].word) == n &&
			    strncmp(conf_devcaps[i].word, s, n) == 0)
				break;
		}
		if (i == nitems(conf_devcaps)) {
			snprintf(err, errlen, "has \"%.*s\"; known are dirty, "
			    "huge-iova, ats, pri, no-snoop", (int)n, s);
			return (-EINVAL);
		}
		*caps |= conf_devcaps[i].bit;
		s = *e == ',' ? e + 1 : e;
	}
	return (0);
}

/* A number up to max, in C's notation (0x... hexadecimal): 0 or -1. */
static int
conf_num_parse(const char *s, uint64_t max, uint64_t *v)
{
	unsigned long long	ull;
	char			*end;

	if (!isdigit((unsigned char)s[0]))
		return (-1);
	errno = 0;
	ull = strtoull(s, &end, 0);
	if (*end != '\0' || errno != 0 || ull > max)
		return (-1);
	*v = ull;
	return (0);
}

/*
 * A BAR: its size (bytes, or with K, M or G), then any of ",64",
 * ",prefetch", ",io"; "0" or "none" for no BAR. The function checks
 * what the combination means (pci_dev_create()).
 */
static int
conf_bar_parse(const char *s, uint64_t *size, unsigned int *flags)
{
	unsigned long long	 ull;
	const char		*w;
	char			*end;
	size_t			 n;

	*flags = 0;
	if (strcmp(s, "none") == 0) {
		*size = 0;
		return (0);
	}
	if (!isdigit((unsigned char)s[0]))
		return (-1);
	errno = 0;
	ull = strtoull(s, &end, 0);
	if (errno != 0)
		return (-1);
	switch (*end) {
	case 'K': ull <<= 10; end++; break;
	case 'M': ull <<= 20; end++; break;
	case 'G': ull <<= 30; end++; break;
	}
	if (ull > (1ULL << 40))
		return (-1);
	*size = ull;
	while (*end == ',') {
		w = end + 1;
		n = strcspn(w, ",");
		if (n == 2 && strncmp(w, "64", n) == 0)
			*flags |= PCI_BARF_64;
		else if (n == 8 && strncmp(w, "prefetch", n) == 0)
			*flags |= PCI_BARF_PREFETCH;
		else if (n == 2 && strncmp(w, "io", n) == 0)
			*flags |= PCI_BARF_IO;
		else
			return (-1);
		end = (char *)(uintptr_t)(w + n);
	}
	return (*end == '\0' ? 0 : -1);
}

/* One key of the current [device NAME] section. */
static void
conf_device_key(struct conf_parse *st, const char *name, const char *value)
{
	struct conf		*conf = st->conf;
	struct conf_device	*d = st->dev;
	char			 err[256], *s, **sp = NULL, *end;
	unsigned long		 ul;
	uint64_t		 u64;
	size_t			 k, i;

	for (k = 0; k < nitems(conf_device_keys); k++) {
		if (strcmp(conf_device_keys[k], name) == 0)
			break;
	}
	if (k == nitems(conf_device_keys)) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "unknown key \"%s\" in [device %s]", name, d->name);
		return;
	}
	if (d->seen[k] != 0) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "\"%s\" is already set on line %d", name, d->seen[k]);
		return;
	}
	d->seen[k] = st->lineno;
	err[0] = '\0';
	switch ((int)k) {
	case CONF_DK_RID:
		if (conf_rid_parse(value, &d->rid) != 0)
			snprintf(err, sizeof(err), "must be a PCI address "
			    "like 00:01.0, not \"%s\"", value);
		else
			d->has_rid = 1;
		break;
	case CONF_DK_IOMMU:
		if (!conf_name_ok(value))
			snprintf(err, sizeof(err), "must be a name of at "
			    "most %d letters, digits, \"-\", \"_\" or \".\"",
			    CONF_NAME_MAX);
		else
			sp = &d->iommu;
		break;
	case CONF_DK_MODEL:
		for (i = 0; conf_models[i] != NULL; i++) {
			if (strcmp(conf_models[i], value) == 0)
				break;
		}
		if (conf_models[i] != NULL) {
			sp = &d->model;
			break;
		}
		if (hw_model_find(value) != NULL)
			snprintf(err, sizeof(err), "\"%s\" needs an [iommu "
			    "NAME] section with model = %s, which the device "
			    "names with iommu = NAME; model here is mock or "
			    "plain", value, value);
		else
			snprintf(err, sizeof(err), "\"%s\" is not a hardware "
			    "model; here mock or plain, or an [iommu NAME] "
			    "section's model named with iommu = NAME", value);
		/*
		 * Keep the refused name (the file is refused with it), so
		 * that no later message speaks of the default instead.
		 */
		if ((s = strdup(value)) == NULL) {
			st->oom = 1;
			return;
		}
		free(d->model);
		d->model = s;
		break;
	case CONF_DK_PASID_WIDTH:
		errno = 0;
		ul = strtoul(value, &end, 10);
		if (!isdigit((unsigned char)value[0]) || *end != '\0' ||
		    errno != 0 || ul > CONF_PASID_WIDTH_MAX)
			snprintf(err, sizeof(err), "must be a number from 0 "
			    "to %d, not \"%s\"", CONF_PASID_WIDTH_MAX, value);
		else
			d->pasid_width = (unsigned int)ul;
		break;
	case CONF_DK_PASID_POLICY:
		if (strcmp(value, "per-rid") == 0)
			d->pasid_policy = CONF_PASID_PER_RID;
		else if (strcmp(value, "global") == 0)
			d->pasid_policy = CONF_PASID_GLOBAL;
		else
			snprintf(err, sizeof(err), "must be per-rid or "
			    "global, not \"%s\"", value);
		break;
	case CONF_DK_CAPS:
		(void)conf_caps_parse(value, &d->caps, err, sizeof(err));
		break;
	case CONF_DK_FUNCTION:
		if (strcmp(value, "none") == 0)
			break;
		if (pci_func_find(value) == NULL)
			snprintf(err, sizeof(err), "\"%s\" is not a PCI "
			    "function; known are none, edu, generic", value);
		else
			sp = &d->function;
		break;
	case CONF_DK_VENDOR:
	case CONF_DK_DEVICE:
	case CONF_DK_SUBVENDOR:
	case CONF_DK_SUBDEVICE:
		if (conf_num_parse(value, 0xffff, &u64) != 0) {
			snprintf(err, sizeof(err), "must be a 16-bit number "
			    "like 0x1234, not \"%s\"", value);
			break;
		}
		if (k == CONF_DK_VENDOR)
			d->vendor_id = (uint16_t)u64;
		else if (k == CONF_DK_DEVICE)
			d->device_id = (uint16_t)u64;
		else if (k == CONF_DK_SUBVENDOR)
			d->subsys_vendor = (uint16_t)u64;
		else
			d->subsys_device = (uint16_t)u64;
		d->pci_set |= k == CONF_DK_VENDOR ? CONF_PCI_VENDOR :
		    k == CONF_DK_DEVICE ? CONF_PCI_DEVICE :
		    k == CONF_DK_SUBVENDOR ? CONF_PCI_SUBVENDOR :
		    CONF_PCI_SUBDEVICE;
		break;
	case CONF_DK_CLASS:
		if (conf_num_parse(value, 0xffffff, &u64) != 0) {
			snprintf(err, sizeof(err), "must be a 24-bit class "
			    "code like 0x00ff00, not \"%s\"", value);
			break;
		}
		d->class_code = (uint32_t)u64;
		d->pci_set |= CONF_PCI_CLASS;
		break;
	case CONF_DK_ROM:
		if (conf_num_parse(value, 1U << 24, &u64) != 0 ||
		    (u64 != 0 && (!IS_POW2(u64) || u64 < 2048))) {
			snprintf(err, sizeof(err), "must be 0 or a power of "
			    "two from 2048 to 16777216, not \"%s\"", value);
			break;
		}
		d->rom_size = (uint32_t)u64;
		d->pci_set |= CONF_PCI_ROM;
		break;
	case CONF_DK_INTX:
		for (i = 0; i < 5; i++) {
			if (strcmp(value, (const char *[]){ "none", "A", "B",
			    "C", "D" }[i]) == 0)
				break;
		}
		if (i == 5) {
			snprintf(err, sizeof(err), "must be none, A, B, C or "
			    "D, not \"%s\"", value);
			break;
		}
		d->intx_pin = (unsigned int)i;
		d->pci_set |= CONF_PCI_INTX;
		break;
	case CONF_DK_MSI:
		if (conf_num_parse(value, 32, &u64) != 0 ||
		    (u64 != 0 && !IS_POW2(u64))) {
			snprintf(err, sizeof(err), "must be 0, 1, 2, 4, 8, "
			    "16 or 32, not \"%s\"", value);
			break;
		}
		d->msi_vectors = (unsigned int)u64;
		d->pci_set |= CONF_PCI_MSI;
		break;
	case CONF_DK_MSIX:
		if (conf_num_parse(value, PCI_MSIX_MAX, &u64) != 0) {
			snprintf(err, sizeof(err), "must be a number from 0 "
			    "to %d, not \"%s\"", PCI_MSIX_MAX, value);
			break;
		}
		d->msix_vectors = (unsigned int)u64;
		d->pci_set |= CONF_PCI_MSIX;
		break;
	default:	/* bar0 to bar5 */
		i = k - CONF_DK_BAR0;
		if (conf_bar_parse(value, &d->bar_size[i],
		    &d->bar_flags[i]) != 0) {
			snprintf(err, sizeof(err), "must be a size with "
			    "optional ,64 ,prefetch ,io (like 1M,64), not "
			    "\"%s\"", value);
			break;
		}
		d->pci_set |= CONF_PCI_BAR(i);
		break;
	}
	if (err[0] != '\0') {
		conf_error(conf, &st->oom, conf->path, st->lineno, "%s %s",
		    name, err);
		return;
	}
	if (sp != NULL) {
		if ((s = strdup(value)) == NULL) {
			st->oom = 1;
			return;
		}
		free(*sp);
		*sp = s;
	}
}

/*
 * The line of the override a model's message names: quoted ("key"), or
 * as the first word ("key must ...", "key: ..."); else dflt.
 */
static int
conf_iommu_fault_line(const struct conf_iommu *im, const char *err, int dflt)
{
	char	 quoted[256];
	size_t	 j, n;

	for (j = 0; j < im->nparams; j++) {
		snprintf(quoted, sizeof(quoted), "\"%s\"", im->params[j].key);
		if (strstr(err, quoted) != NULL)
			return (im->params[j].line);
	}
	for (j = 0; j < im->nparams; j++) {
		n = strlen(im->params[j].key);
		if (strncmp(err, im->params[j].key, n) == 0 &&
		    (err[n] == ' ' || err[n] == ':'))
			return (im->params[j].line);
	}
	return (dflt);
}

/*
 * After the file: make each [iommu] section an instance and free it
 * again, so that what the model rejects is said now, at the line of the
 * key the model's message names (else at the section's).
 */
static void
conf_iommus_check(struct conf_parse *st)
{
	struct conf		*conf = st->conf;
	struct conf_iommu	*im;
	struct hw_instance	*inst;
	char			 err[256];
	size_t			 i;
	int			 rc, line;

	/* A model that is not built in is a plugin from model-dir. */
	hw_model_dir_set(conf->model_dir);
	for (i = 0; i < conf->niommus; i++) {
		im = &conf->iommus[i];
		if (im->model == NULL) {
			conf_error(conf, &st->oom, conf->path, im->line,
			    "[iommu %s] needs a model", im->name);
			continue;
		}
		err[0] = '\0';
		rc = hw_instance_new(im->name, im->model, im->profile,
		    im->params, im->nparams, &inst, err, sizeof(err));
		hw_instance_free(inst);
		if (rc == -ENOMEM) {
			st->oom = 1;
			continue;
		}
		if (rc == 0)
			continue;
		line = im->line;
		if (rc == -ENOENT)
			line = im->model_line;
		else if (strncmp(err, "profile", 7) == 0 && im->profile_line)
			line = im->profile_line;
		else
			line = conf_iommu_fault_line(im, err, line);
		conf_error(conf, &st->oom, conf->path, line, "[iommu %s]: %s",
		    im->name, err[0] != '\0' ? err : strerror(-rc));
	}
}

/* After the file: what one section alone cannot say. */
static void
conf_devices_check(struct conf_parse *st)
{
	struct conf		*conf = st->conf;
	struct conf_device	*d, *e;
	const struct conf_iommu	*im;
	struct pci_dev		*pd;
	size_t			 i, j;

	conf_iommus_check(st);
	/* Blocks of emulated physical memory are a power of two. */
	if ((conf->noiommu_granule & (conf->noiommu_granule - 1)) != 0)
		conf_error(conf, &st->oom, conf->path, st->seen[
		    conf_key_find("daemon", "noiommu-granule") - conf_keys],
		    "noiommu-granule must be a power of two");

	for (i = 0; i < conf->ndevices; i++) {
		d = &conf->devices[i];
		/* Build the function once: what it cannot be is said now. */
		if (d->function != NULL) {
			if (pci_dev_create(NULL, d, &pd) == -EINVAL)
				conf_error(conf, &st->oom, conf->path, d->line,
				    "[device %s]: function %s cannot have "
				    "these BARs, ROM or vectors (sizes are "
				    "powers of two, a 64-bit BAR takes the "
				    "next slot too, MSI-X needs a free BAR)",
				    d->name, d->function);
			pci_dev_destroy(pd);
		}
		im = conf_iommu_find(conf, d->iommu);
		if (im != NULL && im->model != NULL &&
		    d->seen[CONF_DK_MODEL] != 0 &&
		    strcmp(im->model, d->model) != 0)
			conf_error(conf, &st->oom, conf->path,
			    d->seen[CONF_DK_MODEL], "[device %s]: model %s "
			    "clashes with model %s of [iommu %s] (line %d); "
			    "leave model out", d->name, d->model, im->model,
			    im->name, im->line);
		if (!d->has_rid) {
			conf_error(conf, &st->oom, conf->path, d->line,
			    "[device %s] needs a rid (its PCI address)",
			    d->name);
			continue;
		}
		for (j = 0; j < i; j++) {
			e = &conf->devices[j];
			if (e->has_rid && e->rid == d->rid &&
			    strcmp(e->iommu, d->iommu) == 0)
				conf_error(conf, &st->oom, conf->path, d->line,
				    "[device %s] has the rid of [device %s] "
				    "behind the same iommu %s", d->name,
				    e->name, d->iommu);
		}
	}
}

/* The part of a section header between "[" and "]", checked. */
static void
conf_read_section(struct conf_parse *st, char *p)
{
	struct conf		*conf = st->conf;
	const struct conf_section *sec;
	char			*close, *name, *inst, *rest;

	st->skip = 1;
	st->dev = NULL;
	st->iommu = NULL;
	if ((close = strchr(p, ']')) == NULL) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "section header without \"]\"");
		return;
	}
	*close = '\0';
	for (rest = close + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest != '\0' && *rest != '#' && *rest != ';') {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "unexpected text after section header");
		return;
	}
	for (name = p + 1; isspace((unsigned char)*name); name++)
		;
	for (inst = name; *inst != '\0' && !isspace((unsigned char)*inst);
	    inst++)
		;
	if (*inst != '\0') {
		*inst++ = '\0';
		while (isspace((unsigned char)*inst))
			inst++;
	}
	rest = inst + strlen(inst);
	while (rest > inst && isspace((unsigned char)rest[-1]))
		*--rest = '\0';

	if (*name == '\0') {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "empty section name");
		return;
	}
	if ((sec = conf_section_find(name)) == NULL) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "unknown section [%s]", name);
		return;
	}
	if (!sec->named && *inst != '\0') {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "section [%s] takes no name", name);
		return;
	}
	if (sec->named && *inst == '\0') {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "section [%s] needs a name: [%s NAME]", name, name);
		return;
	}
	if (strcmp(name, "device") == 0 && conf_device_new(st, inst) != 0)
		return;
	if (strcmp(name, "iommu") == 0 && conf_iommu_new(st, inst) != 0)
		return;
	st->skip = 0;
}

/*
 * libinih's reader: hand it the next line, checked and without leading
 * blanks. A line we reject reaches it as an empty line.
 */
static char *
conf_read_line(char *str, int num, void *arg)
{
	struct conf_parse	*st = arg;
	struct conf		*conf = st->conf;
	ssize_t			 n;
	char			*p;
	size_t			 len;

	if ((n = getline(&st->buf, &st->bufsize, st->fp)) == -1)
		return (NULL);
	st->lineno++;
	p = st->buf;
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		p[--n] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	len = strlen(p);
	if ((size_t)n != (size_t)(p - st->buf) + len) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "NUL character in line");
		*p = '\0';
	} else if (len + 3 > (size_t)num) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "line too long (at most %d characters)", num - 3);
		*p = '\0';
	} else if (*p == '[') {
		snprintf(str, (size_t)num, "%s", p);
		conf_read_section(st, p);
		return (str);
	} else if (*p != '\0' && *p != '#' && *p != ';' &&
	    strpbrk(p, "=:") == NULL) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "expected \"key = value\"");
		*p = '\0';
	}
	snprintf(str, (size_t)num, "%s", p);
	return (str);
}

static int
conf_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct conf_parse	*st = arg;
	struct conf		*conf = st->conf;
	const struct conf_key	*k;
	char			 err[256];
	size_t			 idx;
	int			 rc;

	if (st->skip && *section != '\0')
		return (1);
	if (*section == '\0') {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "\"%s\" is outside any section; put it under [daemon]",
		    name);
		return (1);
	}
	if (st->dev != NULL) {
		conf_device_key(st, name, value);
		return (1);
	}
	if (st->iommu != NULL) {
		conf_iommu_key(st, name, value);
		return (1);
	}
	if ((k = conf_key_find(section, name)) == NULL) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "unknown key \"%s\" in [%s]", name, section);
		return (1);
	}
	idx = (size_t)(k - conf_keys);
	if (st->seen[idx] != 0) {
		conf_error(conf, &st->oom, conf->path, st->lineno,
		    "\"%s\" is already set on line %d", name, st->seen[idx]);
		return (1);
	}
	st->seen[idx] = st->lineno;
	rc = conf_key_set(conf, k, value, err, sizeof err);
	if (rc == -ENOMEM)
		st->oom = 1;
	else if (rc != 0) {
		conf_error(conf, &st->oom, conf->path, st->lineno, "%s %s",
		    name, err);
	}
	return (1);
}

/*
 * Read the whole file into *bufp (NUL-terminated, *lenp bytes): 0 or
 * -errno with a message in err. The file is opened without blocking (a
 * FIFO would stop the daemon until someone wrote to it) and must be a
 * regular file of at most CONF_FILE_MAX bytes; no more than that is read
 * even if it grows meanwhile.
 */
static int
conf_read_file(const char *path, char **bufp, size_t *lenp, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, rc;

	*bufp = NULL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1) {
		rc = -errno;
		snprintf(err, errlen, "%s", strerror(-rc));
		return (rc);
	}
	if (fstat(fd, &st) == -1) {
		rc = -errno;
		snprintf(err, errlen, "%s", strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		snprintf(err, errlen, "not a regular file (%s)",
		    S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISCHR(st.st_mode) ?
		    "a character device" : S_ISDIR(st.st_mode) ? "a directory" :
		    S_ISSOCK(st.st_mode) ? "a socket" : S_ISBLK(st.st_mode) ?
		    "a block device" : "not a file");
		goto out;
	}
	if (st.st_size > CONF_FILE_MAX) {
		rc = -EFBIG;
		snprintf(err, errlen, "%lld bytes; a configuration file may "
		    "have at most %d", (long long)st.st_size, CONF_FILE_MAX);
		goto out;
	}
	/* One byte more than allowed, to see a file that grew past it. */
	if ((buf = malloc(CONF_FILE_MAX + 2)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while (len <= CONF_FILE_MAX) {
		n = read(fd, buf + len, CONF_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			rc = -errno;
			snprintf(err, errlen, "read error: %s", strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONF_FILE_MAX) {
		rc = -EFBIG;
		snprintf(err, errlen, "grew past %d bytes while read",
		    CONF_FILE_MAX);
		goto out;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return (rc);
}

int
conf_load(const char *path, struct conf **confp)
{
	struct conf_parse	 st;
	struct conf		*conf;
	char			*text, msg[256];
	size_t			 len = 0;
	int			 rc, saved_errno;

	*confp = NULL;
	if ((rc = conf_defaults(&conf)) != 0)
		return (rc);
	if ((conf->path = strdup(path)) == NULL) {
		conf_free(conf);
		return (-ENOMEM);
	}

	memset(&st, 0, sizeof st);
	st.conf = conf;
	rc = conf_read_file(path, &text, &len, msg, sizeof msg);
	if (rc == 0 && (st.fp = fmemopen(text, len, "r")) == NULL) {
		rc = -errno;
		snprintf(msg, sizeof msg, "%s", strerror(-rc));
		free(text);
	}
	if (rc != 0) {
		/*
		 * The caller goes by conf->errors: an error that could not
		 * be kept would leave the defaults looking like a good file.
		 * And -ENOMEM promises *confp NULL, whichever step ran out.
		 */
		conf_error(conf, &st.oom, path, 0, "%s", msg);
		if (st.oom || rc == -ENOMEM) {
			conf_free(conf);
			return (-ENOMEM);
		}
		*confp = conf;
		return (rc);
	}
	/* Our reader already reported what libinih would count as errors. */
	rc = ini_parse_stream(conf_read_line, &st, conf_handler, &st);
	saved_errno = errno;
	if (ferror(st.fp)) {
		conf_error(conf, &st.oom, path, 0, "read error: %s",
		    strerror(saved_errno));
	}
	fclose(st.fp);
	free(text);
	free(st.buf);
	if (rc == -2)
		st.oom = 1;
	conf_devices_check(&st);
	if (st.oom) {
		conf_free(conf);
		return (-ENOMEM);
	}
	*confp = conf;
	return (conf->nerrors == 0 ? 0 : -EINVAL);
}

int
conf_override(struct conf *conf, const char *arg)
{
	const struct conf_key	*k;
	const char		*eq, *dot;
	char			 section[64], name[64], err[256];
	int			 rc, oom = 0;

	if ((eq = strchr(arg, '=')) == NULL) {
		conf_error(conf, &oom, "-o", 0, "%s: expected key=value", arg);
		return (-EINVAL);
	}
	dot = memchr(arg, '.', (size_t)(eq - arg));
	if (dot == NULL) {
		snprintf(section, sizeof section, "daemon");
		snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
	} else {
		snprintf(section, sizeof section, "%.*s", (int)(dot - arg),
		    arg);
		snprintf(name, sizeof name, "%.*s", (int)(eq - dot - 1),
		    dot + 1);
	}
	if ((k = conf_key_find(section, name)) == NULL) {
		conf_error(conf, &oom, "-o", 0, "%s: unknown key \"%s\" in "
		    "[%s]", arg, name, section);
		return (-EINVAL);
	}
	rc = conf_key_set(conf, k, eq + 1, err, sizeof err);
	if (rc == -ENOMEM)
		return (rc);
	if (rc != 0) {
		conf_error(conf, &oom, "-o", 0, "%s: %s %s", arg, name, err);
		return (-EINVAL);
	}
	return (0);
}

size_t
conf_diff(const struct conf *old, const struct conf *new,
    struct conf_change *changes, size_t max)
{
	struct conf_change	 c;
	size_t			 i, n = 0;

	for (i = 0; i < conf_nkeys; i++) {
		c.key = &conf_keys[i];
		conf_key_format(old, c.key, c.old, sizeof c.old);
		conf_key_format(new, c.key, c.new, sizeof c.new);
		if (strcmp(c.old, c.new) == 0)
			continue;
		if (n < max)
			changes[n] = c;
		n++;
	}
	return (n);
}

void
conf_take_reloadable(struct conf *dst, struct conf *src)
{
	const struct conf_key	*k;
	char			**a, **b, *t;
	size_t			 i;

	for (i = 0; i < conf_nkeys; i++) {
		k = &conf_keys[i];
		if ((k->flags & CONF_F_RELOAD) == 0)
			continue;
		switch (k->type) {
		case CONF_PATH:
		case CONF_DEVNODE:
			a = conf_field(dst, k);
			b = conf_field(src, k);
			t = *a;
			*a = *b;
			*b = t;
			break;
		case CONF_MODE:
			*(mode_t *)conf_field(dst, k) =
			    *(mode_t *)conf_field(src, k);
			break;
		case CONF_GROUP:
			*(gid_t *)conf_field(dst, k) =
			    *(gid_t *)conf_field(src, k);
			break;
		case CONF_CHOICE:
			*(int *)conf_field(dst, k) =
			    *(int *)conf_field(src, k);
			break;
		case CONF_NUMBER:
			*(uint64_t *)conf_field(dst, k) =
			    *(uint64_t *)conf_field(src, k);
			break;
		}
	}
}

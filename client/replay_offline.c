/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * ioasidctl replay --offline: the replay engine's back end that needs no
 * daemon. The daemon's core (libcore.a) runs in this process, set up as
 * the daemon sets itself up from its configuration ([limits], the uAPI
 * level, model-dir, the [iommu NAME] instances): from --config, or from
 * the trace header's hardware-model configuration. Each traced context is
 * a context of the core, and each call goes through dispatch() with the
 * self uaccess: the replay's own buffers are the caller's memory.
 *
 * --model NAME makes every IOMMU instance an instance of model NAME, and
 * puts the selftest's mock devices (the built-in instance "mock") behind
 * one too.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "core/ctx.h"
#include "core/dispatch.h"
#include "core/limit.h"
#include "core/ucmd.h"
#include "hw/hw.h"
#include "hw/plugin.h"
#include "iommufd/noiommu.h"
#include "replay.h"
#include "uapi.h"

#define OFF_MEMS	(UAPI_MAX_BUFS + 1)

struct offline {
	struct ucaller	  caller;
	/* The replay's memory the current call may use, by memcpy. */
	struct {
		uint8_t	 *p;
		size_t	  len;
	}		  mems[OFF_MEMS];
	unsigned int	  nmems;
	struct ctx	**ctxs;		/* by handle; NULL once closed */
	size_t		  nctxs, capctxs;
};

static struct offline	off;

/* Whether [uaddr, uaddr + len) lies in memory the replay made. */
static int
off_known(const struct offline *o, uint64_t uaddr, size_t len)
{
	unsigned int	i;
	uintptr_t	p;

	for (i = 0; i < o->nmems; i++) {
		p = (uintptr_t)o->mems[i].p;
		if (uaddr >= p && len <= o->mems[i].len &&
		    uaddr - p <= o->mems[i].len - len)
			return (1);
	}
	return (0);
}

/*
 * The caller's memory is this process's, so the uaccess is confined to
 * the ranges the engine declared for the call (off_mem()): those are
 * copied directly, and anything else, an address standing for an
 * unreadable pointer or a number of a foreign trace that the engine
 * failed to replace, is EFAULT without being touched. A trace cannot
 * make the core read or write the rest of ioasidctl.
 */
static int
off_read(void *priv, uint64_t uaddr, void *buf, size_t len)
{
	(void)priv;
	if (!off_known(&off, uaddr, len))
		return (-EFAULT);
	memcpy(buf, (const void *)(uintptr_t)uaddr, len);
	return (0);
}

static int
off_write(void *priv, uint64_t uaddr, const void *buf, size_t len)
{
	(void)priv;
	if (!off_known(&off, uaddr, len))
		return (-EFAULT);
	memcpy((void *)(uintptr_t)uaddr, buf, len);
	return (0);
}

static int
off_getfd(void *priv, int cfd)
{
	return (uself_ops.getfd(priv, cfd));
}

/*
 * The number goes where a write may: in the declared ranges only. On
 * failure fd stays the handler's (ucmd_putfd()).
 */
static int
off_putfd(void *priv, int fd, uint64_t uaddr)
{
	uint32_t	num = (uint32_t)fd;

	if (uaddr == 0)
		return (fd);
	return (off_write(priv, uaddr, &num, sizeof(num)));
}

static const struct uaccess_ops off_uops = {
	.read = off_read,
	.write = off_write,
	.getfd = off_getfd,
	.putfd = off_putfd,
};

/* Note memory of the next call; NULL forgets what was noted. */
static void
off_mem(void *priv, void *p, size_t len)
{
	struct offline	*o = priv;

	if (p == NULL)
		o->nmems = 0;
	else if (o->nmems < OFF_MEMS) {
		o->mems[o->nmems].p = p;
		o->mems[o->nmems++].len = len;
	}
}

/* A new context: its handle, or -ENOMEM. */
static int
off_open(void *priv)
{
	struct offline	*o = priv;
	struct ctx	**np;
	int		  rc;

	if (o->nctxs == o->capctxs) {
		if ((np = reallocarray(o->ctxs, o->capctxs ? o->capctxs * 2 :
		    16, sizeof(*np))) == NULL)
			return (-ENOMEM);
		o->ctxs = np;
		o->capctxs = o->capctxs ? o->capctxs * 2 : 16;
	}
	if ((rc = ctx_new("replay", o->caller.pid, &o->ctxs[o->nctxs])) != 0)
		return (rc);
	return ((int)o->nctxs++);
}

/* Call num on context h as the self transport would: >= 0 or -errno. */
static long
off_ioctl(void *priv, int h, unsigned long num, void *arg)
{
	struct offline	*o = priv;
	struct ucmd	 ucmd;

	if (h < 0 || (size_t)h >= o->nctxs || o->ctxs[h] == NULL)
		return (-EBADF);
	memset(&ucmd, 0, sizeof(ucmd));
	ucmd.ctx = o->ctxs[h];
	ucmd.cmd = (unsigned int)num;
	ucmd.arg = (uint64_t)(uintptr_t)arg;
	ucmd.caller = &o->caller;
	ucmd.uops = &off_uops;
	return (dispatch(&ucmd));
}

/* The last close of context h. */
static void
off_close(void *priv, int h)
{
	struct offline	*o = priv;

	if (h < 0 || (size_t)h >= o->nctxs || o->ctxs[h] == NULL)
		return;
	ctx_close(o->ctxs[h]);
	o->ctxs[h] = NULL;
}

/*
 * Make instance name of model (profile and overrides as given) a
 * configured one, or with shadow the stand-in for the built-in instance
 * name: 0, or -1 with the reason in err.
 */
static int
off_instance(const char *name, const char *model, const char *profile,
    const struct hw_param *params, size_t nparams, int shadow, char *err,
    size_t errlen)
{
	struct hw_instance	*inst;
	char			 why[256];
	int			 rc;

	rc = hw_instance_new(shadow ? "replay-model" : name, model, profile,
	    params, nparams, &inst, why, sizeof(why));
	if (rc != 0) {
		snprintf(err, errlen, "iommu %s: %s", name, why);
		return (-1);
	}
	rc = shadow ? hw_instance_shadow(name, inst) : hw_instance_add(inst);
	if (rc != 0) {
		hw_instance_free(inst);
		snprintf(err, errlen, "iommu %s: %s", name, strerror(-rc));
		return (-1);
	}
	return (0);
}

/*
 * The instances of the trace header's hardware-model configuration (an
 * array of {device, iommu, model}), each named instance once; model, when
 * not NULL, in place of the recorded models. 0, or -1 with err set.
 */
static int
off_header_iommus(json_t *hw, const char *model, char *err, size_t errlen)
{
	json_t		*dev;
	const char	*name, *m;
	size_t		 i;

	json_array_foreach(hw, i, dev) {
		name = json_string_value(json_object_get(dev, "iommu"));
		m = json_string_value(json_object_get(dev, "model"));
		if (name == NULL || m == NULL || hw_instance_find(name) != NULL)
			continue;
		if (off_instance(name, model != NULL ? model : m, NULL, NULL,
		    0, 0, err, errlen) != 0)
			return (-1);
	}
	return (0);
}

int
replay_offline_start(json_t *lines, const char *config, const char *model,
    struct replay_backend *be, char *err, size_t errlen)
{
	struct limit_set	 c, u;
	struct conf		*conf = NULL;
	struct conf_iommu	*im;
	struct rlimit		 rl;
	json_t			*h;
	const char		*level;
	size_t			 i;
	int			 k, rc;

	rc = config != NULL ? conf_load(config, &conf) : conf_defaults(&conf);
	if (rc != 0) {
		snprintf(err, errlen, "%s", conf != NULL && conf->nerrors > 0 ?
		    conf->errors[0] : strerror(-rc));
		conf_free(conf);
		return (-1);
	}
	for (k = 0; k < LIMIT_NKINDS; k++) {
		c.max[k] = conf->limit_ctx[k];
		u.max[k] = conf->limit_uid[k];
	}
	limit_configure(&c, &u);
	(void)noiommu_set_granule(conf->noiommu_granule);
	hw_model_dir_set(conf->model_dir);
	h = json_array_get(lines, 0);
	if (h == NULL || !json_is_string(json_object_get(h, "type")) ||
	    strcmp(json_string_value(json_object_get(h, "type")),
	    "header") != 0)
		h = NULL;
	level = json_string_value(json_object_get(h, "uapi_level"));
	if (config != NULL)
		(void)dispatch_set_uapi_level(conf_uapi_level(conf));
	else
		(void)dispatch_set_uapi_level(level != NULL &&
		    strcmp(level, "6.12") == 0 ? UAPI_LEVEL_6_12 :
		    UAPI_LEVEL_LATEST);
	rc = 0;
	for (i = 0; i < conf->niommus && rc == 0; i++) {
		im = &conf->iommus[i];
		rc = off_instance(im->name, model != NULL ? model : im->model,
		    model != NULL ? NULL : im->profile,
		    model != NULL ? NULL : im->params,
		    model != NULL ? 0 : im->nparams, 0, err, errlen);
	}
	if (rc == 0 && config == NULL && h != NULL)
		rc = off_header_iommus(json_object_get(h, "hw"), model, err,
		    errlen);
	if (rc == 0 && model != NULL && strcmp(model, "mock") != 0)
		rc = off_instance("mock", model, NULL, NULL, 0, 1, err,
		    errlen);
	conf_free(conf);
	if (rc != 0) {
		hw_instances_clear();
		return (-1);
	}

	memset(&off, 0, sizeof(off));
	off.caller.pid = getpid();
	off.caller.uid = getuid();
	off.caller.gid = getgid();
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0)
		off.caller.memlock_max = rl.rlim_cur;
	memset(be, 0, sizeof(*be));
	be->name = "offline";
	be->priv = &off;
	be->open = off_open;
	be->ioctl = off_ioctl;
	be->close = off_close;
	be->mem = off_mem;
	return (0);
}

void
replay_offline_stop(struct replay_backend *be)
{
	struct offline	*o = be->priv;
	size_t		 i;

	for (i = 0; i < o->nctxs; i++)
		off_close(o, (int)i);
	free(o->ctxs);
	o->ctxs = NULL;
	o->nctxs = o->capctxs = 0;
	hw_instances_clear();
}

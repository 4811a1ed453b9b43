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
 *
 * Device nodes and handed-out descriptors. The [device NAME] sections of
 * --config are the core's devices, and a traced open of one is an open
 * of the core's device of that name, its calls going through
 * vfio_cdev_dispatch(). Every handle the engine holds (a context or a
 * device open) is a descriptor of this process, a memory file made for
 * it: a context's is registered as the context's file, so that a BIND
 * naming it (through the self uaccess, which dups the number) finds the
 * context as the daemon finds the one behind a caller's descriptor. A
 * queue's descriptor is the caller's end of the core's socket pair, in
 * this process; with no event loop here, what the loop would do is done
 * when the engine has written into one (hfd_ready()) or closed one
 * (hfd_reap(), which dispatch() also does before every call).
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "core/caller.h"
#include "core/ctx.h"
#include "core/dispatch.h"
#include "core/hfd.h"
#include "core/limit.h"
#include "core/umem.h"
#include "core/ucmd.h"
#include "hw/hw.h"
#include "hw/plugin.h"
#include "dev/vfio_cdev.h"
#include "iommufd/noiommu.h"
#include "replay.h"
#include "uapi.h"

#define OFF_MEMS	(UAPI_MAX_BUFS + 1)

/* What a handle (a descriptor number of this process) stands for. */
struct off_handle {
	struct ctx		*ctx;	/* a context, or */
	struct vfio_cdev_file	*dev;	/* a device open; both NULL: none */
};

struct offline {
	struct ucaller	  caller;
	/* The replay's memory the current call may use, by memcpy. */
	struct {
		uint8_t	 *p;
		size_t	  len;
	}		  mems[OFF_MEMS];
	unsigned int	  nmems;
	struct off_handle *hs;		/* by handle */
	size_t		  nhs;
	int		  devices;	/* the core serves devices */
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

/*
 * A new handle: a descriptor of a memory file of this process, with room
 * for it in the table. The descriptor, or -errno.
 */
static int
off_handle_new(struct offline *o, const char *what)
{
	struct off_handle	*np;
	size_t			 n;
	int			 fd, rc;

	if ((fd = memfd_create(what, MFD_CLOEXEC)) == -1)
		return (-errno);
	if ((size_t)fd >= o->nhs) {
		n = (size_t)fd + 1 > o->nhs * 2 ? (size_t)fd + 1 : o->nhs * 2;
		if ((np = reallocarray(o->hs, n, sizeof(*np))) == NULL) {
			rc = -ENOMEM;
			close(fd);
			return (rc);
		}
		memset(np + o->nhs, 0, (n - o->nhs) * sizeof(*np));
		o->hs = np;
		o->nhs = n;
	}
	memset(&o->hs[fd], 0, sizeof(o->hs[fd]));
	return (fd);
}

/* Handle h's entry when it is open, or NULL. */
static struct off_handle *
off_handle(struct offline *o, int h)
{
	if (h < 0 || (size_t)h >= o->nhs || (o->hs[h].ctx == NULL &&
	    o->hs[h].dev == NULL))
		return (NULL);
	return (&o->hs[h]);
}

/* A new context: its handle, or -errno. */
static int
off_open(void *priv)
{
	struct offline	*o = priv;
	struct stat	 st;
	struct ctx	*ctx;
	int		  h, rc;

	if ((h = off_handle_new(o, "ioasidctl-replay-ctx")) < 0)
		return (h);
	if ((rc = ctx_new("replay", o->caller.pid, &ctx)) != 0) {
		close(h);
		return (rc);
	}
	/* A BIND naming the handle finds the context. */
	if (fstat(h, &st) == 0)
		(void)ctx_set_file(ctx, st.st_dev, st.st_ino);
	o->hs[h].ctx = ctx;
	return (h);
}

/* An open of the device called name, else of index: a handle, or -errno. */
static int
off_open_device(void *priv, const char *name, unsigned int index)
{
	struct offline		*o = priv;
	struct vfio_cdev_file	*f;
	unsigned int		 i;
	int			 h, rc;

	for (i = 0; name != NULL && i < vfio_cdev_count(); i++) {
		if (strcmp(vfio_cdev_name(i), name) == 0) {
			index = i;
			break;
		}
	}
	if ((rc = vfio_cdev_open(index, &f)) != 0)
		return (rc);
	if ((h = off_handle_new(o, "ioasidctl-replay-dev")) < 0) {
		vfio_cdev_close(f);
		return (h);
	}
	o->hs[h].dev = f;
	return (h);
}

/* Call num on handle h as the self transport would: >= 0 or -errno. */
static long
off_ioctl(void *priv, int h, unsigned long num, void *arg)
{
	struct offline		*o = priv;
	struct off_handle	*oh;
	struct ucmd		 ucmd;

	if ((oh = off_handle(o, h)) == NULL)
		return (-EBADF);
	memset(&ucmd, 0, sizeof(ucmd));
	ucmd.ctx = oh->ctx;
	ucmd.cmd = (unsigned int)num;
	ucmd.arg = (uint64_t)(uintptr_t)arg;
	ucmd.caller = &o->caller;
	ucmd.uops = &off_uops;
	if (oh->dev != NULL)
		return (vfio_cdev_dispatch(oh->dev, &ucmd));
	return (dispatch(&ucmd));
}

/*
 * What the loop would do for the queue descriptor qfd of context h the
 * replay wrote into (its input served), or closed (qfd -1: the hangups
 * waiting served).
 */
static void
off_settle(void *priv, int h, int qfd)
{
	struct offline		*o = priv;
	struct off_handle	*oh;
	struct hfd		*hfd;

	if ((oh = off_handle(o, h)) == NULL || oh->ctx == NULL)
		return;
	if (qfd >= 0 && hfd_find(oh->ctx, qfd, OBJ_ANY, &hfd) == 0)
		hfd_ready(hfd);
	hfd_reap(oh->ctx);
}

/* The last close of handle h: a context's or a device open's. */
static void
off_close(void *priv, int h)
{
	struct offline		*o = priv;
	struct off_handle	*oh;

	if ((oh = off_handle(o, h)) == NULL)
		return;
	if (oh->dev != NULL)
		vfio_cdev_close(oh->dev);
	else {
		/* Queue descriptors closed before it are let go first. */
		hfd_reap(oh->ctx);
		ctx_close(oh->ctx);
	}
	oh->ctx = NULL;
	oh->dev = NULL;
	close(h);
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

/*
 * The devices of the trace header's hardware-model configuration, each a
 * [device NAME] section with its instance, model and PASID width (what
 * the header keeps of it: no PCI address, which is made up, and no PCI
 * function, so such a device has no regions), made the core's devices.
 * 0, or -1 with err set.
 */
static int
off_header_devices(json_t *hw, char *err, size_t errlen)
{
	struct conf	*conf = NULL;
	json_t		*dev;
	const char	*name, *iommu, *m;
	char		 path[64];
	size_t		 i;
	FILE		*fp;
	int		 fd, rc;

	if (json_array_size(hw) == 0)
		return (0);
	if ((fd = memfd_create("ioasidctl-replay-conf", MFD_CLOEXEC)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "the header's devices: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	json_array_foreach(hw, i, dev) {
		name = json_string_value(json_object_get(dev, "device"));
		iommu = json_string_value(json_object_get(dev, "iommu"));
		m = json_string_value(json_object_get(dev, "model"));
		if (name == NULL)
			continue;
		/* Somewhere on bus 0, one device after another. */
		fprintf(fp, "[device %s]\nrid = 00:%02zx.0\n", name,
		    (i + 1) % 32);
		if (iommu != NULL)
			fprintf(fp, "iommu = %s\n", iommu);
		if (m != NULL)
			fprintf(fp, "model = %s\n", m);
		fprintf(fp, "pasid-width = %lld\n\n", (long long)
		    json_integer_value(json_object_get(dev, "pasid_width")));
	}
	fflush(fp);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fileno(fp));
	rc = conf_load(path, &conf);
	fclose(fp);
	if (rc == 0 && conf->ndevices > 0)
		rc = vfio_cdev_configure(conf->devices, conf->ndevices);
	if (rc != 0)
		snprintf(err, errlen, "the header's devices: %s",
		    conf != NULL && conf->nerrors > 0 ? conf->errors[0] :
		    strerror(-rc));
	conf_free(conf);
	return (rc != 0 ? -1 : 0);
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
	if (rc == 0 && conf->ndevices > 0 &&
	    (rc = vfio_cdev_configure(conf->devices, conf->ndevices)) != 0)
		snprintf(err, errlen, "cannot make the devices: %s",
		    strerror(-rc));
	if (rc == 0 && config == NULL && h != NULL)
		rc = off_header_devices(json_object_get(h, "hw"), err, errlen);
	conf_free(conf);
	if (rc != 0) {
		hw_instances_clear();
		return (-1);
	}

	memset(&off, 0, sizeof(off));
	off.devices = vfio_cdev_count() > 0;
	off.caller.pid = getpid();
	off.caller.uid = getuid();
	off.caller.gid = getgid();
	off.caller.caps = caller_caps(off.caller.pid);
	/*
	 * The replay's own address space, for what pins or copies the
	 * memory a map names, as the daemon reaches its caller's.
	 */
	if ((rc = umem_open(off.caller.pid, &off.caller.mem)) != 0) {
		snprintf(err, errlen, "/proc/self/mem: %s", strerror(-rc));
		if (off.devices)
			vfio_cdev_unconfigure();
		hw_instances_clear();
		return (-1);
	}
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0)
		off.caller.memlock_max = rl.rlim_cur;
	memset(be, 0, sizeof(*be));
	be->name = "offline";
	be->priv = &off;
	be->open = off_open;
	be->ioctl = off_ioctl;
	be->close = off_close;
	be->mem = off_mem;
	be->devices = 1;
	be->open_device = off_open_device;
	be->close_device = off_close;
	be->settle = off_settle;
	return (0);
}

void
replay_offline_stop(struct replay_backend *be)
{
	struct offline	*o = be->priv;
	size_t		 i;

	for (i = 0; i < o->nhs; i++)
		off_close(o, (int)i);
	free(o->hs);
	o->hs = NULL;
	o->nhs = 0;
	if (o->devices)
		vfio_cdev_unconfigure();
	hw_instances_clear();
	if (o->caller.mem != NULL)
		umem_put(o->caller.mem);
	o->caller.mem = NULL;
}

/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The commands of the control socket: status, objects, log-level, reload.
 * "objects" shows a context's object graph through the describe ops of
 * obj_ops[] (core/ctx.h; each op is in its kind's file in iommufd/).
 *
 * A command is a row of ctl_cmds[]; control_exec() finds it by the
 * request's "cmd", runs it, and wraps its body or its error in a reply
 * built by proto/ctl.c. Handlers unpack with JSON_STRICT, so a misspelt
 * argument is refused rather than ignored. Nothing here trusts the
 * request: every failure becomes an error reply.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "control.h"
#include "core/acct.h"
#include "core/ctx.h"
#include "core/hfd.h"
#include "core/limit.h"
#include "core/trace.h"
#include "ctl.h"
#include "dev/vfio_cdev.h"
#include "hw/hw.h"
#include "iommufd/enqcmd.h"
#include "iommufd/pasid.h"
#include "log.h"

#define CONTROL_MAX_TRANSPORTS	8

static struct control_hooks	control_hooks;
static struct timespec		control_started;
static struct {
	char	*name;
	char	*path;
} control_transports[CONTROL_MAX_TRANSPORTS];
static size_t			control_ntransports;

static const char *const control_levels[] = { "warn", "info", "debug" };

static int	control_ctl_status(const struct ctl_peer *, json_t *,
		    json_t *, char *, size_t);
static int	control_ctl_objects(const struct ctl_peer *, json_t *,
		    json_t *, char *, size_t);
static int	control_ctl_log_level(const struct ctl_peer *, json_t *,
		    json_t *, char *, size_t);
static int	control_ctl_reload(const struct ctl_peer *, json_t *,
		    json_t *, char *, size_t);
static int	control_ctl_coherency(const struct ctl_peer *, json_t *,
		    json_t *, char *, size_t);
static int	control_ctl_pasids(const struct ctl_peer *, json_t *,
		    json_t *, char *, size_t);
static int	control_ctl_enqcmd(const struct ctl_peer *, json_t *,
		    json_t *, char *, size_t);
static int	control_ctl_trace(const struct ctl_peer *, json_t *,
		    json_t *, char *, size_t);
static json_t	*control_trace_json(void);

const struct ctl_cmd ctl_cmds[] = {
	{ .name = "coherency", .exec = control_ctl_coherency, .usage = "" },
	{ .name = "enqcmd", .exec = control_ctl_enqcmd, .usage = "" },
	{ .name = "log-level", .exec = control_ctl_log_level,
	  .usage = "[\"level\": \"warn\"|\"info\"|\"debug\"]" },
	{ .name = "objects", .exec = control_ctl_objects,
	  .usage = "[\"ctx\": ID]" },
	{ .name = "pasids", .exec = control_ctl_pasids, .usage = "" },
	{ .name = "reload", .exec = control_ctl_reload, .usage = "" },
	{ .name = "status", .exec = control_ctl_status, .usage = "" },
	{ .name = "trace", .exec = control_ctl_trace,
	  .usage = "\"action\": \"on\"|\"off\"|\"status\" [, \"ctx\": ID] | "
	  "\"record\" | \"record-read\", \"record\": ID [, \"end\": BOOL]" },
};
const size_t ctl_ncmds = nitems(ctl_cmds);

void
control_init(const struct control_hooks *hooks)
{
	control_hooks = *hooks;
	clock_gettime(CLOCK_MONOTONIC, &control_started);
}

int
control_transport_add(const char *name, const char *path)
{
	char	*n, *p;

	if (control_ntransports == CONTROL_MAX_TRANSPORTS)
		return (-ENOSPC);
	n = strdup(name);
	p = strdup(path);
	if (n == NULL || p == NULL) {
		free(n);
		free(p);
		return (-ENOMEM);
	}
	control_transports[control_ntransports].name = n;
	control_transports[control_ntransports].path = p;
	control_ntransports++;
	return (0);
}

/* Forget the transport called name, if listed (a node that went away). */
void
control_transport_remove(const char *name)
{
	size_t	i;

	for (i = 0; i < control_ntransports; i++) {
		if (strcmp(control_transports[i].name, name) != 0)
			continue;
		free(control_transports[i].name);
		free(control_transports[i].path);
		control_ntransports--;
		memmove(&control_transports[i], &control_transports[i + 1],
		    (control_ntransports - i) * sizeof(control_transports[0]));
		return;
	}
}

void
control_transport_clear(void)
{
	size_t	i;

	for (i = 0; i < control_ntransports; i++) {
		free(control_transports[i].name);
		free(control_transports[i].path);
	}
	control_ntransports = 0;
}

const char *
control_level_name(int level)
{
	if (level < 0 || (size_t)level >= nitems(control_levels))
		return ("?");
	return (control_levels[level]);
}

int
control_level_value(const char *name)
{
	size_t	i;

	for (i = 0; i < nitems(control_levels); i++) {
		if (strcmp(control_levels[i], name) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Unpack req strictly; on failure, say why in err. */
static int
control_unpack(json_t *req, char *err, size_t errlen, const char *fmt, ...)
{
	json_error_t	jerr;
	va_list		ap;
	int		rc;

	va_start(ap, fmt);
	rc = json_vunpack_ex(req, &jerr, JSON_STRICT, fmt, ap);
	va_end(ap);
	if (rc != 0) {
		snprintf(err, errlen, "bad arguments: %s", jerr.text);
		return (-EINVAL);
	}
	return (0);
}

/* Add a member, reporting -ENOMEM; value is a new reference, stolen. */
static int
control_set(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL || json_object_set_new(obj, key, value) != 0)
		return (-ENOMEM);
	return (0);
}

static struct ctx *
control_find_ctx(json_int_t id)
{
	struct ctx	*ctx;

	TAILQ_FOREACH(ctx, &ctx_list, entry) {
		if ((json_int_t)ctx->id == id)
			return (ctx);
	}
	return (NULL);
}

/* Counts by limit kind, as {"objects": N, ...}. */
static json_t *
control_limits_json(const uint64_t *v)
{
	json_t	*o;
	int	 k;

	if ((o = json_object()) == NULL)
		return (NULL);
	for (k = 0; k < LIMIT_NKINDS; k++) {
		if (control_set(o, limit_kind_name(k),
		    json_integer((json_int_t)v[k])) != 0) {
			json_decref(o);
			return (NULL);
		}
	}
	return (o);
}

/*
 * A context's KVM view of coherency (struct ctx_coherency): "wbinvd"
 * (whether a VM holding its devices must emulate WBINVD), "attached",
 * "noncoherent", "nosnoop" and "changes".
 */
static json_t *
control_cc_json(const struct ctx *ctx)
{
	return (json_pack("{s:b, s:I, s:I, s:I, s:I}",
	    "wbinvd", ctx->cc.nnoncoherent != 0,
	    "attached", (json_int_t)ctx->cc.nattached,
	    "noncoherent", (json_int_t)ctx->cc.nnoncoherent,
	    "nosnoop", (json_int_t)ctx->cc.nnosnoop,
	    "changes", (json_int_t)ctx->cc.nchanges));
}

static json_t *
control_ctx_json(const struct ctx *ctx)
{
	json_t	*c, *kinds, *use, *cc;
	int	 t;

	kinds = json_object();
	for (t = OBJ_ANY + 1; kinds != NULL && t < OBJ_MAX; t++) {
		if (ctx->nkind[t] == 0)
			continue;
		if (control_set(kinds, obj_type_name(t),
		    json_integer(ctx->nkind[t])) != 0) {
			json_decref(kinds);
			kinds = NULL;
		}
	}
	if (kinds == NULL)
		return (NULL);
	if ((use = control_limits_json(ctx->lim.use)) == NULL) {
		json_decref(kinds);
		return (NULL);
	}
	if ((cc = control_cc_json(ctx)) == NULL) {
		json_decref(kinds);
		json_decref(use);
		return (NULL);
	}
	/* uid: the one it is charged to, -1 before its first call. */
	/*
	 * file_open: false once the caller closed the file while
	 * descriptors it handed out (descriptors) keep the context.
	 */
	c = json_pack("{s:I, s:s, s:I, s:I, s:I, s:o, s:I, s:o, s:b, s:I, "
	    "s:o}",
	    "id", (json_int_t)ctx->id,
	    "transport", ctx->transport != NULL ? ctx->transport : "?",
	    "opener", (json_int_t)ctx->opener,
	    "ioctls", (json_int_t)ctx->nioctls,
	    "nobjs", (json_int_t)ctx->nobjs,
	    "objects", kinds,
	    "uid", ctx->lim.user != NULL ?
	    (json_int_t)limit_uid(&ctx->lim) : (json_int_t)-1,
	    "use", use,
	    "file_open", ctx->priv != NULL,
	    "descriptors", (json_int_t)hfd_ctx_count(ctx),
	    "coherency", cc);
	return (c);
}

/* One row of a context's PASID table onto the array arg. */
static int
control_pasid_row(void *arg, const struct pasid_map *m)
{
	json_t	*row;

	row = json_pack("{s:I, s:I, s:I}", "vpasid", (json_int_t)m->vpasid,
	    "ppasid", (json_int_t)m->ppasid, "users", (json_int_t)m->users);
	if (row == NULL || json_array_append_new(arg, row) != 0)
		return (-ENOMEM);
	return (0);
}

/*
 * "pasids": the pPASIDs handed out ("allocated", over all contexts) and
 * every open context ("contexts": "id", "transport", "opener") with its
 * ENQCMD PASID table ("pasids": rows of "vpasid", "ppasid", "users"),
 * what IOASIDD_PASIDS reads.
 */
static int
control_ctl_pasids(__unused const struct ctl_peer *peer, json_t *req,
    json_t *body, char *err, size_t errlen)
{
	struct ctx	*ctx;
	json_t		*ctxs, *c, *rows;
	const char	*cmd;

	if (control_unpack(req, err, errlen, "{s:s}", "cmd", &cmd) != 0)
		return (-EINVAL);
	if (control_set(body, "allocated",
	    json_integer(pasid_allocated())) != 0)
		return (-ENOMEM);
	if ((ctxs = json_array()) == NULL)
		return (-ENOMEM);
	if (control_set(body, "contexts", ctxs) != 0)
		return (-ENOMEM);
	TAILQ_FOREACH(ctx, &ctx_list, entry) {
		if ((rows = json_array()) == NULL)
			return (-ENOMEM);
		if (pasid_walk(ctx, control_pasid_row, rows) != 0) {
			json_decref(rows);
			return (-ENOMEM);
		}
		c = json_pack("{s:I, s:s, s:I, s:o}",
		    "id", (json_int_t)ctx->id,
		    "transport", ctx->transport != NULL ? ctx->transport : "?",
		    "opener", (json_int_t)ctx->opener, "pasids", rows);
		if (c == NULL || json_array_append_new(ctxs, c) != 0)
			return (-ENOMEM);
	}
	return (0);
}

/* One row of a VM's ENQCMD table onto the array arg. */
static int
control_enqcmd_row(void *arg, const struct enqcmd_row *r)
{
	json_t	*row;

	row = json_pack("{s:I, s:I, s:I, s:b}", "vpasid",
	    (json_int_t)r->vpasid, "ppasid", (json_int_t)r->ppasid,
	    "users", (json_int_t)r->users, "conflict", r->conflict);
	if (row == NULL || json_array_append_new(arg, row) != 0)
		return (-ENOMEM);
	return (0);
}

/* One group of "enqcmd" onto the array arg. */
static int
control_enqcmd_group(void *arg, const struct enqcmd_group *g)
{
	json_t		*rows, *o;
	unsigned int	 ndev;

	if ((rows = json_array()) == NULL)
		return (-ENOMEM);
	if (enqcmd_walk(g, &ndev, control_enqcmd_row, rows) != 0) {
		json_decref(rows);
		return (-ENOMEM);
	}
	o = json_pack("{s:I, s:I, s:I, s:I, s:o}", "pid", (json_int_t)g->pid,
	    "vm", (json_int_t)g->vm_id,
	    "context", (json_int_t)(g->ctx != NULL ? g->ctx->id : 0),
	    "devices", (json_int_t)ndev, "pasids", rows);
	if (o == NULL || json_array_append_new(arg, o) != 0)
		return (-ENOMEM);
	return (0);
}

/*
 * "enqcmd": the ENQCMD PASID table of each VM ("groups": "pid" and "vm"
 * of the VM, or "context" for a context's devices in no VM, with pid
 * and vm 0; "devices" in it; "pasids": rows of "vpasid", "ppasid",
 * "users", "conflict"), what IOASIDD_ENQCMD reads.
 */
static int
control_ctl_enqcmd(__unused const struct ctl_peer *peer, json_t *req,
    json_t *body, char *err, size_t errlen)
{
	json_t		*groups;
	const char	*cmd;

	if (control_unpack(req, err, errlen, "{s:s}", "cmd", &cmd) != 0)
		return (-EINVAL);
	if ((groups = json_array()) == NULL)
		return (-ENOMEM);
	if (control_set(body, "groups", groups) != 0)
		return (-ENOMEM);
	if (enqcmd_groups(control_enqcmd_group, groups) != 0)
		return (-ENOMEM);
	return (0);
}

/*
 * "coherency": every open context with its KVM view, as "contexts"
 * (control_ctx_json(), whose "coherency" member holds it).
 */
static int
control_ctl_coherency(__unused const struct ctl_peer *peer, json_t *req,
    json_t *body, char *err, size_t errlen)
{
	struct ctx	*ctx;
	json_t		*ctxs, *c;
	const char	*cmd;

	if (control_unpack(req, err, errlen, "{s:s}", "cmd", &cmd) != 0)
		return (-EINVAL);
	if ((ctxs = json_array()) == NULL)
		return (-ENOMEM);
	if (control_set(body, "contexts", ctxs) != 0)
		return (-ENOMEM);
	TAILQ_FOREACH(ctx, &ctx_list, entry) {
		if ((c = control_ctx_json(ctx)) == NULL ||
		    json_array_append_new(ctxs, c) != 0)
			return (-ENOMEM);
	}
	return (0);
}

/* acct_foreach()'s callback: one locked-memory total into an array. */
static void
control_acct_one(void *arg, enum acct_mode mode, long id, uint64_t npages)
{
	json_t	*arr = arg, *t;

	t = json_pack("{s:I, s:I}", mode == ACCT_USER ? "uid" : "pid",
	    (json_int_t)id, "pages", (json_int_t)npages);
	if (t != NULL)
		json_array_append_new(arr, t);
}

/* limit_foreach_user()'s callback: one uid's use into an array. */
static void
control_user_one(void *arg, uid_t uid, unsigned int nctx, const uint64_t *use)
{
	json_t	*arr = arg, *u, *o;

	if ((o = control_limits_json(use)) == NULL)
		return;
	u = json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)uid,
	    "contexts", (json_int_t)nctx, "use", o);
	if (u != NULL)
		json_array_append_new(arr, u);
}

/* The VMs of one device for the status, as vfio_cdev_vm_foreach() goes. */
struct control_vms {
	json_t		*a;
	unsigned int	 index;
};

/* Add vm to the array when it holds the device asked for: 0, or -1. */
static int
control_vm_one(unsigned int index, const struct vfio_cdev_vm *vm, void *arg)
{
	struct control_vms	*v = arg;

	if (index != v->index)
		return (0);
	return (json_array_append_new(v->a, json_pack("{s:I, s:I, s:I}",
	    "pid", (json_int_t)vm->pid, "vm", (json_int_t)vm->vm_id,
	    "kvm_fd", (json_int_t)vm->kvm_fd)) != 0 ? -1 : 0);
}

/* "limits": the maxima per context and per uid; "users": each uid's use. */
static int
control_status_limits(json_t *body)
{
	struct limit_set	 c, u;
	json_t			*l, *users;

	limit_get(&c, &u);
	if ((l = json_object()) == NULL || control_set(body, "limits", l) != 0)
		return (-ENOMEM);
	if (control_set(l, "context", control_limits_json(c.max)) != 0 ||
	    control_set(l, "uid", control_limits_json(u.max)) != 0)
		return (-ENOMEM);
	if ((users = json_array()) == NULL ||
	    control_set(body, "users", users) != 0)
		return (-ENOMEM);
	limit_foreach_user(control_user_one, users);
	return (0);
}

/* describe's callback: one register into the object arg as "0x...". */
static void
control_reg_one(void *arg, const char *reg, uint64_t value)
{
	char	buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)value);
	(void)json_object_set_new(arg, reg, json_string(buf));
}

/*
 * The IOMMU instances, configured then built-in: name, model, profile
 * (null for none) and the registers the model describes. 0 or -ENOMEM.
 */
static int
control_status_iommus(json_t *body)
{
	const struct hw_instance	*hw;
	json_t				*a, *o, *regs;
	size_t				 i;

	if ((a = json_array()) == NULL || control_set(body, "iommus", a) != 0)
		return (-ENOMEM);
	for (i = 0; (hw = hw_instance_at(i)) != NULL; i++) {
		if ((regs = json_object()) == NULL)
			return (-ENOMEM);
		if (hw->ops->describe != NULL)
			hw->ops->describe(hw, control_reg_one, regs);
		o = json_pack("{s:s, s:s, s:s?, s:o}", "name", hw->name,
		    "model", hw->ops->name, "profile", hw->profile,
		    "registers", regs);
		if (o == NULL || json_array_append_new(a, o) != 0)
			return (-ENOMEM);
	}
	return (0);
}

static int
control_ctl_status(__unused const struct ctl_peer *peer, json_t *req,
    json_t *body, char *err, size_t errlen)
{
	struct timespec	 now;
	struct ctx	*ctx;
	json_t		*tr, *ctxs, *c;
	const char	*cmd;
	size_t		 i, n = 0;
	unsigned int	 nopen;
	uint32_t	 bctx, devid;
	struct control_vms vms;

	if (control_unpack(req, err, errlen, "{s:s}", "cmd", &cmd) != 0)
		return (-EINVAL);

	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((tr = json_array()) == NULL)
		return (-ENOMEM);
	if (control_set(body, "transports", tr) != 0)
		return (-ENOMEM);
	for (i = 0; i < control_ntransports; i++) {
		if (json_array_append_new(tr, json_pack("{s:s, s:s}",
		    "name", control_transports[i].name,
		    "path", control_transports[i].path)) != 0)
			return (-ENOMEM);
	}
	if ((ctxs = json_array()) == NULL)
		return (-ENOMEM);
	if (control_set(body, "contexts", ctxs) != 0)
		return (-ENOMEM);
	TAILQ_FOREACH(ctx, &ctx_list, entry) {
		if ((c = control_ctx_json(ctx)) == NULL ||
		    json_array_append_new(ctxs, c) != 0)
			return (-ENOMEM);
		n++;
	}
	/* The emulated devices: vfio<i>, its opens and its binding. */
	if ((tr = json_array()) == NULL)
		return (-ENOMEM);
	if (control_set(body, "devices", tr) != 0)
		return (-ENOMEM);
	for (i = 0; vfio_cdev_state((unsigned int)i, &nopen, &bctx,
	    &devid) == 0; i++) {
		if ((vms.a = json_array()) == NULL)
			return (-ENOMEM);
		vms.index = (unsigned int)i;
		if (vfio_cdev_vm_foreach(control_vm_one, &vms) != 0) {
			json_decref(vms.a);
			return (-ENOMEM);
		}
		/* vms first: what follows reads as it did before it. */
		if (json_array_append_new(tr, json_pack("{s:o, s:s, s:I, "
		    "s:I, s:I, s:I}", "vms", vms.a,
		    "name", vfio_cdev_name((unsigned int)i),
		    "index", (json_int_t)i, "opens", (json_int_t)nopen,
		    "context", (json_int_t)bctx,
		    "dev_id", (json_int_t)devid)) != 0)
			return (-ENOMEM);
	}
	if ((tr = json_array()) == NULL)
		return (-ENOMEM);
	if (control_set(body, "locked", tr) != 0)
		return (-ENOMEM);
	acct_foreach(control_acct_one, tr);
	if (control_status_limits(body) != 0 ||
	    control_status_iommus(body) != 0)
		return (-ENOMEM);
	if (control_set(body, "version", json_string(IOASIDD_VERSION)) != 0 ||
	    control_set(body, "pid", json_integer(getpid())) != 0 ||
	    control_set(body, "uptime", json_integer(now.tv_sec -
	    control_started.tv_sec)) != 0 ||
	    control_set(body, "log-level",
	    json_string(control_level_name(log_getlevel()))) != 0 ||
	    control_set(body, "ncontexts", json_integer((json_int_t)n)) != 0 ||
	    control_set(body, "trace", control_trace_json()) != 0)
		return (-ENOMEM);
	return (0);
}

/*
 * One object: its id, kind and users, and whatever its kind's describe op
 * adds (the op's members never replace these three).
 */
static json_t *
control_obj_json(struct obj *obj)
{
	json_t	*o, *desc;

	o = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)obj->id,
	    "kind", obj_type_name(obj->type), "users", (json_int_t)obj->users);
	if (o == NULL)
		return (NULL);
	if (obj_describe(obj, &desc) != 0)
		goto fail;
	if (desc != NULL) {
		if (json_object_update_missing(o, desc) != 0) {
			json_decref(desc);
			goto fail;
		}
		json_decref(desc);
	}
	return (o);
fail:
	json_decref(o);
	return (NULL);
}

/*
 * Who sees what. Whoever may use the control socket (root, the daemon's
 * user, the control group) sees every context, its opener's pid and its
 * objects; but the user-memory addresses a mapping points at are shown
 * only to root and to the uid the context counts for. For anyone else
 * each such "addr" of an object's "areas" reads "hidden".
 */
static int
control_hide_addrs(json_t *o)
{
	json_t	*areas, *e;
	size_t	 i;

	areas = json_object_get(o, "areas");
	json_array_foreach(areas, i, e) {
		if (!json_is_string(json_object_get(e, "kind")) ||
		    strcmp(json_string_value(json_object_get(e, "kind")),
		    "user") != 0)
			continue;
		if (control_set(e, "addr", json_string("hidden")) != 0)
			return (-ENOMEM);
	}
	return (0);
}

/*
 * With "ctx": the live objects of that context, each described by its
 * kind. Without: one summary per context, as status gives them.
 */
static int
control_ctl_objects(const struct ctl_peer *peer, json_t *req,
    json_t *body, char *err, size_t errlen)
{
	struct ctx	*ctx;
	struct obj	*obj;
	json_t		*objs, *o;
	const char	*cmd;
	json_int_t	 id = -1;
	int		 hide;

	if (control_unpack(req, err, errlen, "{s:s, s?I}", "cmd", &cmd,
	    "ctx", &id) != 0)
		return (-EINVAL);
	if ((objs = json_array()) == NULL)
		return (-ENOMEM);
	if (id == -1 && json_object_get(req, "ctx") == NULL) {
		if (control_set(body, "contexts", objs) != 0)
			return (-ENOMEM);
		TAILQ_FOREACH(ctx, &ctx_list, entry) {
			if ((o = control_ctx_json(ctx)) == NULL ||
			    json_array_append_new(objs, o) != 0)
				return (-ENOMEM);
		}
		return (0);
	}
	if ((ctx = control_find_ctx(id)) == NULL) {
		json_decref(objs);
		snprintf(err, errlen, "no context %lld", (long long)id);
		return (-ENOENT);
	}
	if (control_set(body, "objects", objs) != 0 ||
	    control_set(body, "ctx", json_integer(id)) != 0 ||
	    control_set(body, "transport", json_string(ctx->transport != NULL ?
	    ctx->transport : "?")) != 0 ||
	    control_set(body, "opener", json_integer(ctx->opener)) != 0)
		return (-ENOMEM);
	hide = peer->uid != 0 && (ctx->lim.user == NULL ||
	    peer->uid != limit_uid(&ctx->lim));
	CTX_FOREACH_OBJ(obj, ctx) {
		if (obj->state != OBJ_LIVE)
			continue;
		if ((o = control_obj_json(obj)) == NULL ||
		    json_array_append_new(objs, o) != 0 ||
		    (hide && control_hide_addrs(o) != 0))
			return (-ENOMEM);
	}
	return (0);
}

static int
control_ctl_log_level(const struct ctl_peer *peer, json_t *req,
    json_t *body, char *err, size_t errlen)
{
	const char	*cmd, *name = NULL;
	int		 level, old;

	if (control_unpack(req, err, errlen, "{s:s, s?s}", "cmd", &cmd,
	    "level", &name) != 0)
		return (-EINVAL);
	old = log_getlevel();
	if (name != NULL) {
		if ((level = control_level_value(name)) == -1) {
			snprintf(err, errlen, "unknown level \"%s\"; use warn, "
			    "info or debug", name);
			return (-EINVAL);
		}
		log_setlevel(level);
		if (level != old) {
			log_info("log level %s, set by uid %u pid %ld",
			    name, (unsigned int)peer->uid, (long)peer->pid);
		}
	}
	if (control_set(body, "level",
	    json_string(control_level_name(log_getlevel()))) != 0 ||
	    control_set(body, "previous",
	    json_string(control_level_name(old))) != 0)
		return (-ENOMEM);
	return (0);
}

static int
control_ctl_reload(const struct ctl_peer *peer, json_t *req, json_t *body,
    char *err, size_t errlen)
{
	const char	*cmd;

	if (control_unpack(req, err, errlen, "{s:s}", "cmd", &cmd) != 0)
		return (-EINVAL);
	if (control_hooks.reload == NULL) {
		snprintf(err, errlen, "this daemon cannot reload");
		return (-EOPNOTSUPP);
	}
	log_info("reload requested by uid %u pid %ld",
	    (unsigned int)peer->uid, (long)peer->pid);
	return (control_hooks.reload(body, err, errlen));
}

/* What status and "trace status" say about the trace. */
static json_t *
control_trace_json(void)
{
	struct trace_stats	st;

	trace_get_stats(&st);
	return (json_pack("{s:b, s:b, s:s?, s:I, s:I, s:I, s:I, s:I, s:i}",
	    "active", st.active, "all", st.all, "path", trace_path(),
	    "records", (json_int_t)st.records,
	    "dropped", (json_int_t)st.dropped,
	    "written", (json_int_t)st.written,
	    "bytes", (json_int_t)st.bytes,
	    "rotations", (json_int_t)st.rotations, "error", st.error));
}

/*
 * trace record: a recording of the contexts the caller's processes open
 * (its "record" id and the "header" line); trace record-read with
 * "record" and "end": the lines recorded since the last read.
 */
static int
control_ctl_record(const struct ctl_peer *peer, json_t *req, json_t *body,
    char *err, size_t errlen)
{
	const char	*cmd, *action;
	json_t		*header;
	json_int_t	 id = 0;
	int		 end = 0, rc;

	if (control_unpack(req, err, errlen, "{s:s, s:s, s?I, s?b}", "cmd",
	    &cmd, "action", &action, "record", &id, "end", &end) != 0)
		return (-EINVAL);
	if (peer == NULL || peer->pid <= 0) {
		snprintf(err, errlen, "the caller's pid is not known");
		return (-EPERM);
	}
	if (strcmp(action, "record") == 0) {
		if ((rc = trace_record_start(peer->pid, &header)) < 0) {
			snprintf(err, errlen, "%s", rc == -ENOSPC ?
			    "too many recordings" : strerror(-rc));
			return (rc);
		}
		if (control_set(body, "record", json_integer(rc)) != 0 ||
		    control_set(body, "header", header) != 0)
			return (-ENOMEM);
		return (0);
	}
	if (id <= 0 || id > UINT32_MAX ||
	    (rc = trace_record_read((uint32_t)id, peer->pid, end, body)) ==
	    -ESRCH) {
		snprintf(err, errlen, "no recording %lld of this process",
		    (long long)id);
		return (-ESRCH);
	}
	return (rc);
}

/*
 * trace on|off|status, for one context ("ctx") or all. "on" starts the
 * file the configuration names when none is being written; "off" for all
 * stops it, writing what is queued. record and record-read: above.
 */
static int
control_ctl_trace(const struct ctl_peer *peer, json_t *req,
    json_t *body, char *err, size_t errlen)
{
	const char	*cmd, *action;
	json_int_t	 id = 0;
	int		 rc = 0;

	action = json_string_value(json_object_get(req, "action"));
	if (action != NULL && (strcmp(action, "record") == 0 ||
	    strcmp(action, "record-read") == 0))
		return (control_ctl_record(peer, req, body, err, errlen));
	if (control_unpack(req, err, errlen, "{s:s, s:s, s?I}", "cmd", &cmd,
	    "action", &action, "ctx", &id) != 0)
		return (-EINVAL);
	if (id < 0 || id > UINT32_MAX) {
		snprintf(err, errlen, "bad context %lld", (long long)id);
		return (-EINVAL);
	}
	if (id != 0 && strcmp(action, "status") != 0 &&
	    control_find_ctx(id) == NULL) {
		snprintf(err, errlen, "no context %lld", (long long)id);
		return (-ENOENT);
	}
	if (strcmp(action, "on") == 0) {
		if (trace_path() == NULL) {
			if (control_hooks.trace_start == NULL)
				return (-EOPNOTSUPP);
			if ((rc = control_hooks.trace_start(id == 0, err,
			    errlen)) != 0)
				return (rc);
		}
		rc = trace_set((uint32_t)id, 1);
	} else if (strcmp(action, "off") == 0) {
		if (id == 0)
			trace_stop();
		else
			rc = trace_set((uint32_t)id, 0);
	} else if (strcmp(action, "status") != 0) {
		snprintf(err, errlen, "action is on, off or status");
		return (-EINVAL);
	}
	if (rc != 0)
		return (rc);
	if (id != 0 && control_set(body, "traced",
	    json_boolean(trace_enabled((uint32_t)id))) != 0)
		return (-ENOMEM);
	return (control_set(body, "trace", control_trace_json()));
}

json_t *
control_exec(const struct ctl_peer *peer, json_t *req)
{
	const struct ctl_cmd	*cmd = NULL;
	struct trace_site	 site;
	const char		*name;
	json_t			*body, *reply;
	char			 err[256];
	size_t			 i;
	int			 rc;

	name = json_string_value(json_object_get(req, "cmd"));
	if (name == NULL)
		return (ctl_reply_error(EINVAL, "no \"cmd\" string"));
	for (i = 0; i < ctl_ncmds; i++) {
		if (strcmp(ctl_cmds[i].name, name) == 0) {
			cmd = &ctl_cmds[i];
			break;
		}
	}
	if (cmd == NULL) {
		snprintf(err, sizeof err, "unknown command \"%.64s\"", name);
		return (ctl_reply_error(EOPNOTSUPP, err));
	}
	if ((body = json_object()) == NULL)
		return (NULL);
	err[0] = '\0';
	site.ctx = 0;
	site.pid = peer->pid;
	site.node = "control";
	site.devnode = 0;
	site.bound = 0;
	trace_event(&site, "control", name);
	/* Objects whose answers have landed are shown as published. */
	ctx_settle_all();
	rc = cmd->exec(peer, req, body, err, sizeof err);
	if (rc == 0)
		reply = ctl_reply_ok(body);
	else {
		if (err[0] == '\0')
			snprintf(err, sizeof err, "%s", strerror(-rc));
		log_debug("%s: %s from pid %ld: %s", __func__, cmd->name,
		    (long)peer->pid, err);
		reply = ctl_reply_error(-rc, err);
	}
	json_decref(body);
	return (reply);
}

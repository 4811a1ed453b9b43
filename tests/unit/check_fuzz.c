/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Malformed input at every ioctl, through the core.
 *
 * A deterministic generator (xorshift, seeded) drives dispatch() with the
 * fault-safe self uaccess. For every command of proto/uapi.c's table -
 * iommufd, each IOMMU_TEST_CMD op, the VFIO compat and cdev numbers - it
 * makes calls with random sizes (0, 1, 3, min-1, min, the struct's size,
 * up to 64 bytes past it, huge), fields picked by their kind in the table
 * and biased towards the values that matter (0, 1, ~0, ids of live
 * objects and of the wrong kind, aligned and unaligned addresses,
 * lengths that overflow), user pointers that are NULL, unmapped, or valid
 * buffers of random length that end at a guard page, and random tails.
 * Between them it makes valid calls that build state (IOASes, mappings,
 * copies, reserved and allowed ranges, options, a pinner standing in for
 * a domain) and destroys it again.
 *
 * After every call:
 *  - the errno is one the spec allows for that command;
 *  - a failed call changed nothing observable: the objects (ids, kinds,
 *    users), every IOAS's areas, IOVA ranges, alignment and options, the
 *    compat IOAS, the accounting mode, the number of pages objects;
 *  - iopt_verify() holds for every IOAS.
 * At the end ctx_free() leaves no pages objects, no umem and no charges.
 *
 * IOASIDD_FUZZ_SEED picks the seed (printed on every failure, so a
 * failure reproduces), IOASIDD_FUZZ_ITERS the number of calls per command
 * (default 1500, which keeps the run to a few seconds).
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "core/acct.h"
#include "core/ctx.h"
#include "core/hfd.h"
#include "core/umem.h"
#include "core/util.h"
#include "helpers.h"
#include "iommufd/ioas.h"
#include "iommufd/iopt.h"
#include "iommufd/objs.h"
#include "iommufd/pages.h"
#include "iommufd_test.h"
#include "suites.h"
#include "uapi.h"

#define FZ_PAGE		4096ULL
#define FZ_POOL		(256 * 1024)	/* valid user buffers */
#define FZ_ARGSZ	(8 * 1024)	/* the ioctl struct, at its end */
#define FZ_GUARD	(64 * 1024)	/* unmapped after each */
#define FZ_MAX_IDS	64
#define FZ_MAX_PINNERS	4

static uint64_t		 fz_seed;
static uint64_t		 fz_state;
static unsigned long	 fz_iter;	/* calls made, for messages */
static const char	*fz_what;	/* command of the current call */

static unsigned char	*fz_pool;	/* FZ_POOL bytes, guard after */
static unsigned char	*fz_arg;	/* FZ_ARGSZ bytes, guard after */
static uint64_t		 fz_hole;	/* an unmapped address */
static int		 fz_memfd = -1;

/* Outcomes per command (index in uapi_cmds), to show the run did work. */
static unsigned long	 fz_ok[64], fz_err[64];

/* Pinners standing in for domains: each holds its IOAS. */
static struct {
	struct iopt_pinner	 p;
	struct obj		*ioas;
} fz_pinners[FZ_MAX_PINNERS];

static uint64_t
fz_rand(void)
{
	/* xorshift64* */
	fz_state ^= fz_state >> 12;
	fz_state ^= fz_state << 25;
	fz_state ^= fz_state >> 27;
	return (fz_state * 0x2545f4914f6cdd1dULL);
}

static uint64_t
fz_below(uint64_t n)
{
	return (n == 0 ? 0 : fz_rand() % n);
}

static int
fz_chance(unsigned int percent)
{
	return (fz_below(100) < percent);
}

#define FZ_FAIL(...) ck_abort_msg("seed %" PRIu64 " call %lu %s: %s",	\
	fz_seed, fz_iter, fz_what, fz_msg(__VA_ARGS__))

static const char *fz_msg(const char *, ...)
    __attribute__((format(printf, 1, 2)));

static const char *
fz_msg(const char *fmt, ...)
{
	static char	 buf[256];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return (buf);
}

/*
 * Live objects.
 */

/* A random live id, of kind type (OBJ_ANY: any); 0 if there is none. */
static uint32_t
fz_live_id(struct ctx *ctx, enum obj_type type)
{
	struct obj	*o;
	uint32_t	 ids[FZ_MAX_IDS];
	unsigned int	 n = 0;

	CTX_FOREACH_OBJ(o, ctx) {
		if (o->state != OBJ_LIVE || n == FZ_MAX_IDS)
			continue;
		if (type == OBJ_ANY || o->type == type)
			ids[n++] = o->id;
	}
	return (n == 0 ? 0 : ids[fz_below(n)]);
}

/* An id of a kind other than type, or a free one. */
static uint32_t
fz_wrong_id(struct ctx *ctx, enum obj_type type)
{
	struct obj	*o;

	CTX_FOREACH_OBJ(o, ctx) {
		if (o->state == OBJ_LIVE && o->type != type && fz_chance(50))
			return (o->id);
	}
	return (ctx->nobjs + 1 + fz_below(3));
}

static uint32_t
fz_id(struct ctx *ctx)
{
	switch (fz_below(9)) {
	case 0:
		return (0);
	case 1:
		return (UINT32_MAX);
	case 2:
		return (0x7fffffff);
	case 3:
		return (fz_wrong_id(ctx, OBJ_IOAS));
	case 4:
		return (fz_live_id(ctx, OBJ_ANY));
	case 5:
		return (1 + fz_below(16));
	default:
		return (fz_live_id(ctx, OBJ_IOAS));
	}
}

/* An IOVA near something that exists, or an interesting one. */
static uint64_t
fz_iova(struct ctx *ctx)
{
	struct ioas		*ioas;
	struct iopt_area	*a;
	uint32_t		 id;

	switch (fz_below(12)) {
	case 0:
		return (0);
	case 1:
		return (UINT64_MAX);
	case 2:
		return (UINT64_MAX - FZ_PAGE + 1);
	case 3:
		return (1ULL << 63);
	case 4:
		return (fz_below(1ULL << 24));
	case 5:
	case 6:
		id = fz_live_id(ctx, OBJ_IOAS);
		if (id != 0 && ioas_get(ctx, id, &ioas) == 0 &&
		    (a = iopt_area_first(&ioas->iopt, fz_below(1ULL << 25),
		    UINT64_MAX)) != NULL)
			return (fz_chance(70) ? a->iova :
			    a->iova + fz_below(iopt_area_length(a) + 1));
		return (FZ_PAGE);
	case 7:
		return (FZ_PAGE + 1);
	default:
		return (fz_below(1ULL << 12) * FZ_PAGE);
	}
}

static uint64_t
fz_len(void)
{
	switch (fz_below(12)) {
	case 0:
		return (0);
	case 1:
		return (UINT64_MAX);
	case 2:
		return (UINT64_MAX / 2);
	case 3:
		return (1 + fz_below(FZ_PAGE * 2));
	case 4:
		return (1ULL << 63);
	case 5:
		return (UINT64_MAX - FZ_PAGE + 1);
	default:
		return ((1 + fz_below(16)) * FZ_PAGE);
	}
}

/* A user address: in the pool, unmapped, 0, or anything. */
static uint64_t
fz_uva(void)
{
	switch (fz_below(8)) {
	case 0:
		return (0);
	case 1:
		return (fz_hole);
	case 2:
		return (fz_rand());
	case 3:
		return ((uintptr_t)fz_pool + fz_below(FZ_POOL));
	default:
		return ((uintptr_t)fz_pool + fz_below(FZ_POOL / FZ_PAGE) *
		    FZ_PAGE);
	}
}

/*
 * A user buffer: NULL, unmapped, or len random bytes ending at the guard
 * page, so that reading past them faults. Entries of 16 bytes are made
 * to look like IOVA ranges half of the time.
 */
static uint64_t
fz_ubuf(struct ctx *ctx)
{
	uint64_t	 len, *w;
	size_t		 i;

	switch (fz_below(8)) {
	case 0:
		return (0);
	case 1:
		return (fz_hole);
	case 2:
		return (UINT64_MAX - 7);
	default:
		break;
	}
	len = fz_chance(50) ? 16 * fz_below(9) : fz_below(FZ_POOL / 4);
	w = (uint64_t *)(fz_pool + FZ_POOL - (len & ~7ULL));
	for (i = 0; i < len / 8; i++) {
		if (fz_chance(50)) {
			w[i] = fz_rand();
		} else if (i % 2 == 0) {
			w[i] = fz_iova(ctx);
		} else {
			w[i] = w[i - 1] + fz_len() - 1;
		}
	}
	return ((uintptr_t)w);
}

static uint64_t
fz_small(void)
{
	switch (fz_below(6)) {
	case 0:
		return (0);
	case 1:
		return (UINT64_MAX);
	case 2:
		return (fz_rand());
	default:
		return (fz_below(5));
	}
}

static uint64_t
fz_flags(void)
{
	switch (fz_below(6)) {
	case 0:
		return (0);
	case 1:
		return (UINT64_MAX);
	case 2:
		return (1ULL << fz_below(32));
	default:
		return (fz_below(8));
	}
}

/* A value for field f of a struct (sizes are set by the caller). */
static uint64_t
fz_field(struct ctx *ctx, const struct uapi_field *f)
{
	switch (f->kind) {
	case UK_FLAGS:
		return (fz_flags());
	case UK_ID:
		return (fz_id(ctx));
	case UK_IOVA:
		return (fz_iova(ctx));
	case UK_LEN:
		return (fz_len());
	case UK_COUNT:
		return (fz_chance(80) ? fz_below(10) : fz_small());
	case UK_UPTR:
		return (fz_ubuf(ctx));
	case UK_UVA:
		return (fz_uva());
	case UK_FD:
		switch (fz_below(4)) {
		case 0:
			return ((uint32_t)-1);
		case 1:
			return (9999);
		default:
			return (fz_memfd);
		}
	case UK_ENUM:
		return (fz_small());
	case UK_RESERVED:
		return (fz_chance(85) ? 0 : fz_small());
	default:
		return (fz_chance(50) ? fz_small() : fz_rand());
	}
}

/* The size to put in the size (or argsz) field. */
static uint32_t
fz_size(const struct uapi_struct *st)
{
	switch (fz_below(12)) {
	case 0:
		return (0);
	case 1:
		return (1);
	case 2:
		return (3);
	case 3:
		return (st->min_size - 1);
	case 4:
		return (st->min_size);
	case 5:
		return (st->size + 1 + fz_below(64));
	case 6:
		return (fz_chance(50) ? UINT32_MAX : 0x80000000U);
	case 7:
		return (st->min_size + fz_below(st->size - st->min_size + 1));
	default:
		return (st->size);
	}
}

/*
 * Observable state, flattened into numbers: a failed call must leave it
 * exactly as it was.
 */
struct fz_snap {
	uint64_t	*v;
	size_t		 n, cap;
};

static void
fz_put(struct fz_snap *s, uint64_t x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		ck_assert_ptr_nonnull(s->v);
	}
	s->v[s->n++] = x;
}

static int
fz_snap_hole(void *arg, uint64_t start, uint64_t last)
{
	fz_put(arg, start);
	fz_put(arg, last);
	return (0);
}

/*
 * merge: describe the mappings rather than the areas, joining an area to
 * the one before when it continues it (same pages, next byte, same
 * rights). Type1 v1 unmaps cut areas before they fail, as the kernel's
 * do, and a cut changes no mapping.
 */
static void
fz_snapshot(struct ctx *ctx, struct fz_snap *s, int merge)
{
	struct obj		*o;
	struct ioas		*ioas;
	struct iopt_area	*a, *first;

	s->n = 0;
	fz_put(s, ctx->nobjs);
	fz_put(s, ctx->vfio_ioas_id);
	fz_put(s, ctx->acct_mode);
	fz_put(s, pages_count());
	CTX_FOREACH_OBJ(o, ctx) {
		fz_put(s, o->id);
		fz_put(s, o->type);
		fz_put(s, o->state);
		fz_put(s, o->users);
		if (o->type != OBJ_IOAS || o->state != OBJ_LIVE)
			continue;
		ioas = container_of(o, struct ioas, obj);
		fz_put(s, ioas->iopt.iova_alignment);
		fz_put(s, ioas->iopt.disable_huge);
		fz_put(s, merge ? 0 : ioas->iopt.nareas);
		fz_put(s, ioas->iopt.npinners);
		fz_put(s, RB_EMPTY(&ioas->iopt.allowed));
		first = iopt_area_first(&ioas->iopt, 0, UINT64_MAX);
		for (a = first; a != NULL; a = iopt_area_next(&ioas->iopt, a)) {
			if (merge && a != first && s->v[s->n - 3] + 1 ==
			    a->iova && s->v[s->n - 2] == a->pages_prot &&
			    s->v[s->n - 1] + (s->v[s->n - 3] - s->v[s->n - 4] +
			    1) == a->pages_off) {
				/* Extend the previous one. */
				s->v[s->n - 3] = a->last;
				continue;
			}
			fz_put(s, a->iova);
			fz_put(s, a->last);
			fz_put(s, a->pages_prot);
			fz_put(s, a->pages_off);
		}
		iopt_for_each_hole(&ioas->iopt, fz_snap_hole, s);
	}
}

/* Areas in every IOAS of the context. */
static size_t
fz_nareas(struct ctx *ctx)
{
	struct obj	*o;
	size_t		 n = 0;

	CTX_FOREACH_OBJ(o, ctx) {
		if (o->type == OBJ_IOAS && o->state == OBJ_LIVE)
			n += container_of(o, struct ioas, obj)->iopt.nareas;
	}
	return (n);
}

static void
fz_verify(struct ctx *ctx)
{
	struct obj	*o;

	CTX_FOREACH_OBJ(o, ctx) {
		if (o->type == OBJ_IOAS && o->state == OBJ_LIVE &&
		    iopt_verify(&container_of(o, struct ioas, obj)->iopt) != 0)
			FZ_FAIL("iopt_verify failed on IOAS %u", o->id);
	}
}

/*
 * The errno values the spec allows for each command, besides the
 * dispatcher's own EFAULT, EINVAL and E2BIG. ENOMEM is allowed
 * everywhere memory is allocated or charged.
 */
static const struct {
	const char	*name;
	const int	 errs[12];
} fz_allowed[] = {
	{ "IOMMU_DESTROY", { ENOENT, EBUSY } },
	{ "IOMMU_IOAS_ALLOC", { EOPNOTSUPP, ENOMEM, ENOSPC } },
	{ "IOMMU_IOAS_ALLOW_IOVAS", { EOPNOTSUPP, ENOENT, EADDRINUSE,
	    ENOMEM } },
	{ "IOMMU_IOAS_COPY", { EOPNOTSUPP, EOVERFLOW, ENOENT, EEXIST, ENOSPC,
	    EPERM, ENOMEM, EFAULT } },
	{ "IOMMU_IOAS_IOVA_RANGES", { EOPNOTSUPP, ENOENT, EMSGSIZE } },
	{ "IOMMU_IOAS_MAP", { EOPNOTSUPP, EOVERFLOW, ENOENT, EEXIST, ENOSPC,
	    EPERM, ENOMEM } },
	{ "IOMMU_IOAS_UNMAP", { ENOENT, EOVERFLOW, EBUSY } },
	{ "IOMMU_OPTION", { EOPNOTSUPP, EPERM, EBUSY, ENOENT, EADDRINUSE } },
	{ "IOMMU_VFIO_IOAS", { EOPNOTSUPP, ENODEV, ENOENT } },
	{ "IOMMU_HWPT_ALLOC", { EOPNOTSUPP, ENOENT, ENOMEM } },
	{ "IOMMU_GET_HW_INFO", { EOPNOTSUPP, ENOENT } },
	{ "IOMMU_HWPT_SET_DIRTY_TRACKING", { EOPNOTSUPP, ENOENT } },
	{ "IOMMU_HWPT_GET_DIRTY_BITMAP", { EOPNOTSUPP, ENOENT, EOVERFLOW } },
	{ "IOMMU_HWPT_INVALIDATE", { EOPNOTSUPP, ENOENT } },
	{ "IOMMU_FAULT_QUEUE_ALLOC", { EOPNOTSUPP, ENOMEM, EMFILE } },
	{ "IOMMU_IOAS_MAP_FILE", { EOPNOTSUPP, EOVERFLOW, ENOENT, EBADF,
	    EEXIST, ENOSPC, EPERM, ENOMEM, ENODEV } },
	{ "IOMMU_VIOMMU_ALLOC", { EOPNOTSUPP, ENOENT } },
	{ "IOMMU_VDEVICE_ALLOC", { EOPNOTSUPP, ENOENT, EEXIST } },
	{ "IOMMU_IOAS_CHANGE_PROCESS", { EOPNOTSUPP, ENOMEM } },
	{ "IOMMU_VEVENTQ_ALLOC", { EOPNOTSUPP, ENOENT, EEXIST, ENOMEM } },
	{ "IOMMU_HW_QUEUE_ALLOC", { EOPNOTSUPP, ENOENT, EBUSY, EOVERFLOW,
	    ERANGE, EEXIST, EIO, EADDRINUSE } },
	{ "IOMMU_IOAS_NOIOMMU_GET_PA", { EPERM, EOPNOTSUPP, EOVERFLOW,
	    ENOENT } },
	{ "IOMMU_TEST_CMD", { EOPNOTSUPP, ENOENT, EADDRINUSE, ENOMEM, EOVERFLOW,
	    EBUSY, ENODEV, EBADFD, EPERM, EMFILE, EBADF } },
	/* On /dev/iommu the device-node commands are unknown. */
	{ "VFIO_DEVICE_BIND_IOMMUFD", { ENOTTY } },
	{ "VFIO_DEVICE_ATTACH_IOMMUFD_PT", { ENOTTY } },
	{ "VFIO_DEVICE_DETACH_IOMMUFD_PT", { ENOTTY } },
	{ "VFIO_DEVICE_GET_INFO", { ENOTTY } },
	{ "VFIO_DEVICE_SET_IRQS", { ENOTTY } },
	/* The daemon's own mmap command (proto/ioasidd.h). */
	{ "IOASIDD_MMAP", { ENXIO, EPERM, EMFILE } },
	/* The KVM view (proto/ioasidd_coherency.h). */
	{ "IOASIDD_COHERENCY", { EOPNOTSUPP } },
	/* The ENQCMD PASID table (proto/ioasidd_pasid.h). */
	{ "IOASIDD_PASIDS", { EOPNOTSUPP, EMSGSIZE, EFAULT } },
	/* A VM's ENQCMD PASID table (proto/ioasidd_enqcmd.h). */
	{ "IOASIDD_ENQCMD", { EOPNOTSUPP, ENOENT, EMSGSIZE, EFAULT } },
	/* The device node's region access is unknown on /dev/iommu. */
	{ "IOASIDD_REGION_READ", { ENOTTY } },
	{ "IOASIDD_REGION_WRITE", { ENOTTY } },
	{ "VFIO_GET_API_VERSION", { 0 } },
	{ "VFIO_CHECK_EXTENSION", { ENODEV } },
	{ "VFIO_SET_IOMMU", { ENODEV, EADDRINUSE } },
	{ "VFIO_IOMMU_GET_INFO", { ENODEV } },
	{ "VFIO_IOMMU_MAP_DMA", { ENODEV, EEXIST, EOVERFLOW, ENOSPC, EPERM,
	    ENOMEM } },
	{ "VFIO_IOMMU_UNMAP_DMA", { ENODEV, ENOENT, EOVERFLOW, EBUSY } },
};

static void
fz_check_errno(const struct uapi_cmd *c, long rc)
{
	size_t	 i, j;
	int	 e = (int)-rc;

	if (rc >= 0)
		return;
	/* The dispatcher's own answers (VFIO argsz checks too). */
	if (e == EFAULT || e == EINVAL || e == E2BIG)
		return;
	for (i = 0; i < sizeof(fz_allowed) / sizeof(fz_allowed[0]); i++) {
		if (strcmp(fz_allowed[i].name, c->name) != 0)
			continue;
		for (j = 0; j < 12 && fz_allowed[i].errs[j] != 0; j++) {
			if (fz_allowed[i].errs[j] == e)
				return;
		}
		FZ_FAIL("errno %d (%s) not allowed", e, strerror(e));
	}
	FZ_FAIL("command not in the allow-list");
}

/*
 * One call and its checks. Returns dispatch()'s result.
 */
static long
fz_call(struct ctx *ctx, const struct uapi_cmd *c, uint64_t arg)
{
	static struct fz_snap	 before, after;
	size_t			 nareas;
	long			 rc;
	int			 merge;

	fz_what = c->name;
	fz_iter++;
	merge = c->num == VFIO_IOMMU_UNMAP_DMA;
	fz_snapshot(ctx, &before, merge);
	nareas = fz_nareas(ctx);
	rc = test_ioctl_val(ctx, c->num, arg);
	if ((size_t)(c - uapi_cmds) < 64)
		(rc >= 0 ? fz_ok : fz_err)[c - uapi_cmds]++;
	fz_check_errno(c, rc);
	if (rc == -ENOENT && (c->num == IOMMU_IOAS_UNMAP ||
	    c->num == VFIO_IOMMU_UNMAP_DMA)) {
		/*
		 * Like the kernel, a failed unmap keeps the whole areas it
		 * removed before the partly covered one: areas may only go.
		 */
		if (fz_nareas(ctx) > nareas)
			FZ_FAIL("a failed unmap added areas");
	} else if (rc < 0) {
		fz_snapshot(ctx, &after, merge);
		if (before.n != after.n || memcmp(before.v, after.v,
		    before.n * sizeof(before.v[0])) != 0)
			FZ_FAIL("failed with %ld and changed the state", rc);
	}
	fz_verify(ctx);
	/* Descriptors handed to us (fault queues) are ours to close. */
	return (rc);
}

/* Build and run one malformed call of command c. */
static void
fz_malformed(struct ctx *ctx, const struct uapi_cmd *c, int op)
{
	const struct uapi_struct	*st = c->st;
	const struct uapi_field		*f;
	unsigned char			*p;
	uint32_t			 size, span;
	uint64_t			 arg;
	uint16_t			 i;
	int				 sel_off = -1;

	if (c->argkind == UA_VALUE || c->argkind == UA_NONE) {
		fz_call(ctx, c, fz_chance(50) ? fz_below(16) : fz_rand());
		return;
	}
	size = fz_size(st);
	/* The struct sits at the end of fz_arg; past it is the guard. */
	span = size < st->size ? st->size : size;
	if (span > FZ_ARGSZ)
		span = FZ_ARGSZ;
	p = fz_arg + FZ_ARGSZ - span;
	memset(p, 0, span);
	if (op >= 0 && st->sel >= 0) {
		uapi_set(&st->fields[st->sel], p, (uint64_t)op);
		sel_off = st->fields[st->sel].off;
	}
	st = uapi_resolve(st, p, st->size);
	for (i = 0; i < st->nfields; i++) {
		f = &st->fields[i];
		if (f->off + f->width > span || f->off == sel_off)
			continue;
		if (f->kind == UK_SIZE)
			uapi_set(f, p, size);
		else
			uapi_set(f, p, fz_field(ctx, f));
	}
	/* A tail past the struct: zero mostly, a stray byte sometimes. */
	if (span > st->size && fz_chance(30))
		p[st->size + fz_below(span - st->size)] = 1 + fz_below(255);
	switch (fz_below(20)) {
	case 0:
		arg = 0;
		break;
	case 1:
		arg = fz_hole;
		break;
	case 2:
		/* The size field straddles the guard. */
		arg = (uintptr_t)fz_arg + FZ_ARGSZ - 2;
		break;
	default:
		arg = (uintptr_t)p;
		break;
	}
	fz_call(ctx, c, arg);
}

/*
 * Valid operations that build and tear down state, through dispatch()
 * like everything else.
 */
static const struct uapi_cmd *
fz_cmd(unsigned long num)
{
	const struct uapi_cmd	*c = uapi_cmd_find(num);

	ck_assert_ptr_nonnull(c);
	return (c);
}

static void
fz_pinner_attach(struct ctx *ctx)
{
	struct obj	*o;
	uint32_t	 id;
	int		 i, rc;

	for (i = 0; i < FZ_MAX_PINNERS; i++)
		if (fz_pinners[i].ioas == NULL)
			break;
	if (i == FZ_MAX_PINNERS || (id = fz_live_id(ctx, OBJ_IOAS)) == 0)
		return;
	ck_assert_int_eq(obj_get(ctx, id, OBJ_IOAS, &o), 0);
	memset(&fz_pinners[i].p, 0, sizeof(fz_pinners[i].p));
	fz_pinners[i].p.alignment = 1ULL << (fz_chance(50) ? 0 :
	    fz_below(13));
	fz_pinners[i].p.flags = IOPT_PINNER_DOMAIN;
	rc = iopt_add_pinner(ioas_iopt(o), &fz_pinners[i].p);
	if (rc != 0) {
		if (rc != -EADDRINUSE && rc != -EFAULT && rc != -ENOMEM &&
		    rc != -EINVAL)
			FZ_FAIL("iopt_add_pinner: %d", rc);
		return;
	}
	/* As a domain does, the pinner holds its IOAS. */
	obj_hold(o);
	fz_pinners[i].ioas = o;
}

static void
fz_pinner_detach(int i)
{
	if (fz_pinners[i].ioas == NULL)
		return;
	iopt_remove_pinner(ioas_iopt(fz_pinners[i].ioas), &fz_pinners[i].p);
	obj_drop(fz_pinners[i].ioas);
	fz_pinners[i].ioas = NULL;
}

static void
fz_valid(struct ctx *ctx)
{
	union {
		struct iommu_destroy		 d;
		struct iommu_ioas_alloc		 a;
		struct iommu_ioas_map		 m;
		struct iommu_ioas_copy		 c;
		struct iommu_ioas_unmap		 u;
		struct iommu_ioas_allow_iovas	 al;
		struct iommu_option		 o;
		struct iommu_vfio_ioas		 v;
		struct iommu_test_cmd		 t;
	} s;
	struct iommu_iova_range		 r[2];
	struct ioas			*ioas;
	struct iopt_area		*a;
	uint32_t			 id = fz_live_id(ctx, OBJ_IOAS);
	uint64_t			 len;

	memset(&s, 0, sizeof(s));
	switch (fz_below(16)) {
	case 0:
	case 1:
		if (ctx->nkind[OBJ_IOAS] >= 6)
			break;
		s.a.size = sizeof(s.a);
		fz_call(ctx, fz_cmd(IOMMU_IOAS_ALLOC), (uintptr_t)&s.a);
		break;
	case 2:
	case 3:
	case 4:
		if (id == 0)
			break;
		len = (1 + fz_below(8)) * FZ_PAGE;
		s.m.size = sizeof(s.m);
		s.m.flags = IOMMU_IOAS_MAP_READABLE |
		    (fz_chance(50) ? IOMMU_IOAS_MAP_WRITEABLE : 0) |
		    (fz_chance(50) ? IOMMU_IOAS_MAP_FIXED_IOVA : 0);
		s.m.ioas_id = id;
		s.m.user_va = (uintptr_t)fz_pool + fz_below(FZ_POOL /
		    FZ_PAGE - 8) * FZ_PAGE;
		s.m.length = len;
		s.m.iova = fz_below(1ULL << 12) * FZ_PAGE;
		fz_call(ctx, fz_cmd(IOMMU_IOAS_MAP), (uintptr_t)&s.m);
		break;
	case 5:
		if (id == 0 || ioas_get(ctx, id, &ioas) != 0 ||
		    (a = iopt_area_first(&ioas->iopt, 0, UINT64_MAX)) == NULL)
			break;
		s.c.size = sizeof(s.c);
		s.c.flags = IOMMU_IOAS_MAP_READABLE;
		s.c.dst_ioas_id = fz_live_id(ctx, OBJ_IOAS);
		s.c.src_ioas_id = id;
		s.c.length = iopt_area_length(a);
		s.c.src_iova = a->iova;
		fz_call(ctx, fz_cmd(IOMMU_IOAS_COPY), (uintptr_t)&s.c);
		break;
	case 6:
		if (id == 0 || ioas_get(ctx, id, &ioas) != 0)
			break;
		s.u.size = sizeof(s.u);
		s.u.ioas_id = id;
		if ((a = iopt_area_first(&ioas->iopt, fz_below(1ULL << 24),
		    UINT64_MAX)) != NULL && fz_chance(80)) {
			s.u.iova = a->iova;
			s.u.length = iopt_area_length(a);
		} else {
			s.u.length = UINT64_MAX;
		}
		fz_call(ctx, fz_cmd(IOMMU_IOAS_UNMAP), (uintptr_t)&s.u);
		break;
	case 7:
		s.t.size = sizeof(s.t);
		s.t.op = IOMMU_TEST_OP_ADD_RESERVED;
		s.t.id = id;
		s.t.add_reserved.start = fz_below(1ULL << 12) * FZ_PAGE;
		s.t.add_reserved.length = (1 + fz_below(4)) * FZ_PAGE;
		fz_call(ctx, fz_cmd(IOMMU_TEST_CMD), (uintptr_t)&s.t);
		break;
	case 8:
		r[0].start = fz_below(1ULL << 12) * FZ_PAGE;
		r[0].last = r[0].start + (1 + fz_below(64)) * FZ_PAGE - 1;
		r[1].start = r[0].last + 1 + fz_below(16) * FZ_PAGE;
		r[1].last = r[1].start + (1ULL << 30) - 1;
		s.al.size = sizeof(s.al);
		s.al.ioas_id = id;
		s.al.num_iovas = fz_below(3);
		s.al.allowed_iovas = (uintptr_t)r;
		fz_call(ctx, fz_cmd(IOMMU_IOAS_ALLOW_IOVAS), (uintptr_t)&s.al);
		break;
	case 9:
		s.o.size = sizeof(s.o);
		s.o.option_id = IOMMU_OPTION_HUGE_PAGES;
		s.o.op = IOMMU_OPTION_OP_SET;
		s.o.object_id = id;
		s.o.val64 = fz_below(2);
		fz_call(ctx, fz_cmd(IOMMU_OPTION), (uintptr_t)&s.o);
		break;
	case 10:
		s.v.size = sizeof(s.v);
		s.v.op = IOMMU_VFIO_IOAS_SET;
		s.v.ioas_id = id;
		fz_call(ctx, fz_cmd(IOMMU_VFIO_IOAS), (uintptr_t)&s.v);
		fz_call(ctx, fz_cmd(VFIO_SET_IOMMU), fz_chance(50) ?
		    VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU);
		break;
	case 11:
		s.d.size = sizeof(s.d);
		s.d.id = fz_live_id(ctx, OBJ_ANY);
		fz_call(ctx, fz_cmd(IOMMU_DESTROY), (uintptr_t)&s.d);
		break;
	case 12:
		fz_pinner_attach(ctx);
		break;
	case 13:
		fz_pinner_detach(fz_below(FZ_MAX_PINNERS));
		break;
	default:
		/* Keep the trees small: sometimes unmap everything. */
		if (id == 0 || ioas_get(ctx, id, &ioas) != 0 ||
		    ioas->iopt.nareas < 32)
			break;
		s.u.size = sizeof(s.u);
		s.u.ioas_id = id;
		s.u.length = UINT64_MAX;
		fz_call(ctx, fz_cmd(IOMMU_IOAS_UNMAP), (uintptr_t)&s.u);
		break;
	}
}

static void
fz_count_charges(void *arg, enum acct_mode mode __unused, long id __unused,
    uint64_t npages)
{
	*(uint64_t *)arg += npages;
}

static void
fz_setup(void)
{
	const char	*s;
	void		*p;

	fz_seed = 0x10a51dd;
	if ((s = getenv("IOASIDD_FUZZ_SEED")) != NULL)
		fz_seed = strtoull(s, NULL, 0);
	fz_state = fz_seed ? fz_seed : 1;
	fz_iter = 0;

	/* Pool, guard, arg, guard, and a hole: one reservation. */
	p = mmap(NULL, FZ_POOL + FZ_ARGSZ + 3 * FZ_GUARD, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	fz_pool = p;
	fz_arg = fz_pool + FZ_POOL + FZ_GUARD;
	fz_hole = (uintptr_t)fz_arg + FZ_ARGSZ + FZ_GUARD;
	ck_assert_int_eq(mprotect(fz_pool, FZ_POOL, PROT_READ | PROT_WRITE),
	    0);
	ck_assert_int_eq(mprotect(fz_arg, FZ_ARGSZ, PROT_READ | PROT_WRITE),
	    0);
	memset(fz_pool, 0x5a, FZ_POOL);

	fz_memfd = memfd_create("fuzz", 0);
	ck_assert_int_ge(fz_memfd, 0);
	ck_assert_int_eq(ftruncate(fz_memfd, 64 * FZ_PAGE), 0);

	tctx = test_ctx_new();
	ck_assert_int_eq(umem_open(getpid(), &tcaller.mem), 0);
}

static void
fz_teardown(void)
{
	int	 i;

	for (i = 0; i < FZ_MAX_PINNERS; i++)
		fz_pinner_detach(i);
	if (tctx != NULL)
		ctx_free(tctx);
	tctx = NULL;
	if (tcaller.mem != NULL)
		umem_put(tcaller.mem);
	tcaller.mem = NULL;
	close(fz_memfd);
	fz_memfd = -1;
	munmap(fz_pool, FZ_POOL + FZ_ARGSZ + 3 * FZ_GUARD);
}

static unsigned long
fz_iters(void)
{
	const char	*s = getenv("IOASIDD_FUZZ_ITERS");

	return (s != NULL ? strtoul(s, NULL, 0) : 1500);
}

/*
 * Fault queues and the like hand us descriptors: remember which were open
 * before, and close the ones that appeared since.
 */
#define FZ_MAX_FD	1024

static void
fz_fds_open(unsigned char *open_fds)
{
	int	 fd;

	for (fd = 0; fd < FZ_MAX_FD; fd++)
		open_fds[fd] = fcntl(fd, F_GETFD) != -1;
}

/*
 * The daemon's own descriptors live in this process too: the ends of the
 * handed-out descriptors it keeps (the context's hfds) and the epoll
 * instance that watches them. Only the caller's ends are closed.
 */
static int
fz_fd_is_daemons(int fd)
{
	struct hfd	*hfd;
	char		 path[64], link[64];
	ssize_t		 n;

	LIST_FOREACH(hfd, &tctx->hfds, entry) {
		if (hfd->fd == fd)
			return (1);
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return (0);
	link[n] = '\0';
	return (strcmp(link, "anon_inode:[eventpoll]") == 0);
}

static void
fz_fds_close_new(const unsigned char *open_fds)
{
	int	 fd;

	for (fd = 0; fd < FZ_MAX_FD; fd++) {
		if (!open_fds[fd] && fcntl(fd, F_GETFD) != -1 &&
		    !fz_fd_is_daemons(fd))
			close(fd);
	}
}

START_TEST(fuzz_every_command)
{
	const struct uapi_cmd	*c;
	unsigned long		 n, iters = fz_iters();
	uint64_t		 charged = 0;
	unsigned char		 open_fds[FZ_MAX_FD];
	size_t			 ci;
	int			 op;

	fz_setup();
	fz_fds_open(open_fds);
	for (ci = 0; ci < uapi_ncmds; ci++) {
		c = &uapi_cmds[ci];
		/* The VFIO device node's own commands are not /dev/iommu's. */
		if (c->devnode)
			continue;
		for (n = 0; n < iters; n++) {
			if (fz_chance(25))
				fz_valid(tctx);
			/* IOMMU_TEST_CMD: every op in turn, and unknown. */
			op = -1;
			if (c->num == IOMMU_TEST_CMD)
				op = fz_chance(90) ? (int)(n % 26) :
				    (int)fz_below(1000);
			fz_malformed(tctx, c, op);
		}
		fz_fds_close_new(open_fds);
		/* Serve those closes now, not inside the next call checked. */
		hfd_reap(tctx);
	}
	/*
	 * The run did reach the handlers: the IOAS commands succeeded
	 * often enough, and malformed calls failed.
	 */
	for (ci = 0; ci < uapi_ncmds && ci < 64; ci++) {
		if (getenv("IOASIDD_FUZZ_VERBOSE") != NULL)
			printf("%-32s %6lu ok %6lu failed\n", uapi_cmds[ci].name,
			    fz_ok[ci], fz_err[ci]);
		if (uapi_cmds[ci].argkind == UA_SIZED)
			ck_assert_uint_gt(fz_err[ci], iters / 2);
	}
	ck_assert_uint_gt(fz_ok[fz_cmd(IOMMU_IOAS_MAP) - uapi_cmds], iters / 10);
	ck_assert_uint_gt(fz_ok[fz_cmd(IOMMU_IOAS_COPY) - uapi_cmds], 10);
	ck_assert_uint_gt(fz_ok[fz_cmd(IOMMU_IOAS_UNMAP) - uapi_cmds], 10);
	ck_assert_uint_gt(fz_ok[fz_cmd(IOMMU_DESTROY) - uapi_cmds], 10);
	ck_assert_uint_gt(fz_ok[fz_cmd(IOMMU_TEST_CMD) - uapi_cmds], 10);
	fz_teardown();
	ck_assert_uint_eq(pages_count(), 0);
	ck_assert_uint_eq(umem_count(), 0);
	acct_foreach(fz_count_charges, &charged);
	ck_assert_uint_eq(charged, 0);
}
END_TEST

static Suite *
fuzz_suite(void)
{
	Suite	*s = suite_create("fuzz");
	TCase	*tc = tcase_create("dispatch");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, fuzz_every_command);
	suite_add_tcase(s, tc);
	return (s);
}

SUITE(fuzz_suite);

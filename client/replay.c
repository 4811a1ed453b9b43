/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * ioasidctl replay TRACE: re-issue the ioctls of a trace and compare every
 * answer with the recorded one. The engine here does the remapping and
 * the comparing for either back end (replay.h): a running daemon, through
 * libioasid with one connection per traced context (here), or the core
 * in this process with --offline (replay_offline.c).
 *
 * Everything a call names is remapped from the recording to this run:
 *  - object ids: an id a call returned (a UK_ID output) is paired with
 *    the id this run got, and later inputs naming it get ours;
 *  - caller buffers (UK_UPTR): a buffer of the recorded length is made,
 *    holding the recorded contents;
 *  - mapped caller memory (UK_UVA): anonymous memory of the call's
 *    length, placed at the recorded address's offset in a 1 GiB
 *    alignment so that the IOVAs the daemon picks are the same; a later
 *    address inside an earlier range lands at the same offset of it;
 *  - descriptors (UK_FD): one a call returned is kept under the recorded
 *    number; an input names ours, an input the recording could not
 *    have had (the call failed with EBADF) names none. The daemon's
 *    traces cannot know the number a caller's copy got, so they name
 *    the object behind a handed-out descriptor ("fd_obj"): then ours is
 *    kept and found by that id, and closed on the line's "fdclose";
 *  - memory a call read (a "memread" line before it): the bytes are put
 *    in ours at the same place first.
 *  - files: one a call names by descriptor ("fd_file") or had mapped
 *    where it names memory ("uva_file") is one memfd here per recorded
 *    inode, mapped over our memory at the same file offset.
 * Every result and every output field and buffer is compared; the first
 * divergence is printed with the calls around it and replay stops, or
 * with --keep-going every divergence is printed. With --model every
 * divergent call is listed on one line and the divergences are counted by
 * cause ("command: what differs"). The exit status is 0 when nothing
 * diverged. A trace recorded on the real kernel (the preload library's
 * pass-through mode: its header names the "kernel") is a differential
 * replay: each divergence is one line saying what the kernel answered and
 * what ioasidd answers.
 *
 * A trace is untrusted input: no number from it reaches a call as an
 * address except one the replay made memory for in this run. The struct
 * argument is one reservation (RP_ARG_RW bytes, then a guard as long as
 * a u32 size); every pointer field of it is a buffer made for this call
 * or RP_BADADDR, every mapped address memory made by rp_uva() or
 * RP_BADADDR; a value argument is never dereferenced. No buffer's entry
 * layout holds a pointer (the unit tests check the table). The offline
 * back end also refuses any access outside what be->mem declared.
 *
 * Device nodes ("device" lines and the calls on them), the descriptors
 * queues hand out and the vIOMMU regions a caller maps are replayed by
 * client/replay_dev.c, through either back end (the offline one serves
 * device opens and settles queue descriptors with hooks of its own).
 * Left for later: other processes.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ioasid.h"
#include "replay.h"
#include "replay_dev.h"
#include "tracefmt.h"
#include "tracetool.h"
#include "uapi.h"

#define RP_ALIGN	(1ULL << 30)	/* UVA placement alignment */
#define RP_MAX_BUF	(256ULL << 20)	/* largest caller buffer made */
#define RP_STRUCT	4096		/* room for any struct and tail */
#define RP_CONTEXT	2		/* calls shown on each side */
#define RP_WIN		(2 * RP_CONTEXT + 1)	/* lines held */
#define RP_BADFD	(1 << 30)	/* a descriptor number never open */
/*
 * The struct argument's memory: RP_ARG_RW bytes a call may use, then a
 * PROT_NONE reservation as long as the largest size or argsz (a u32)
 * can say, so that a struct size from the trace never reaches past it.
 */
#define RP_ARG_RW	(1ULL << 20)
#define RP_ARG_GUARD	(1ULL << 32)
/*
 * The address standing for one nothing may be read at or written to: in
 * the kernel's half of every 64-bit Linux address space, so no user
 * mapping is there, and any range from it shorter than 128 TiB stays
 * there; a longer one overflows, which is refused before any access.
 * (On 32 bits, the top GiB: the kernel's too.)
 */
#if UINTPTR_MAX > 0xffffffffUL
#define RP_BADADDR	0xffff800000000000ULL
#else
#define RP_BADADDR	0xc0000000UL
#endif
#define MIN_SZ(a, b)	((a) < (b) ? (a) : (b))
/* A pairing kind of its own: a handed-out descriptor by its object's id. */
#define RP_FDOBJ	(-1)

/*
 * A pairing of a recorded value with this run's, per context: a slot of
 * an open-addressed hash table, the latest pairing of a key winning.
 */
struct rp_pair {
	int64_t		 ctx;
	int		 kind;		/* UK_ID, UK_FD, RP_FDOBJ; 0: free */
	uint64_t	 rec, live;
};

/* Divergences of one cause, for --model's grouping. */
struct rp_cause {
	char		*what;
	uint64_t	 n;
};

/* The memfd standing for a recorded file (an inode of the recording). */
struct rp_ino {
	uint64_t	 ino;
	int		 fd;		/* also in files */
};

/* Caller memory made for a recorded UVA range. */
struct rp_uva {
	uint64_t	 rec, len;
	uint8_t		*live;
};

struct rp_ctx {
	int64_t		 id;
	int		 fd;		/* the back end's handle */
	/* The ids the context's last call made, for an "unwritten". */
	uint32_t	 made[UAPI_MAX_BUFS];
	unsigned int	 nmade;
};

struct replay {
	const struct replay_backend *be;
	int		 devices;	/* device nodes replayed (socket) */
	const char	*socket;	/* the daemon's, for device nodes */
	const char	*path;
	int		 flags;		/* REPLAY_* */
	const char	*kernel;	/* the header's: recorded on a kernel */
	/*
	 * The lines around the one being replayed: line j at
	 * win[j % RP_WIN] for the last RP_WIN of the nread read so far, a
	 * reference of ours each. The RP_CONTEXT lines after the current
	 * one are read before it is replayed, for a divergence's context.
	 */
	struct replay_src *src;
	json_t		*win[RP_WIN];
	size_t		 nread;
	int		 eof;
	json_t		*header;	/* line 0 when a header, kept */
	struct rp_pair	*pairs;		/* a power of two of slots */
	size_t		 npairs, cappairs;
	struct rp_cause	*causes;
	size_t		 ncauses, capcauses;
	struct rp_uva	*uvas;
	size_t		 nuvas, capuvas;
	uint8_t		*arg;		/* the struct argument, see RP_ARG_RW */
	size_t		 argdirty;	/* bytes of it the last call could use */
	struct rp_ctx	*ctxs;
	size_t		 nctxs, capctxs;
	int		*files;		/* memfds made for UK_FD inputs */
	size_t		 nfiles, capfiles;
	struct rp_ino	*inos;		/* a memfd per recorded file */
	size_t		 ninos, capinos;
	uint64_t	 calls, diverged, skipped;
};

/* Grows array *p of *cap elements of size sz to hold n + 1: 0 or -1. */
static int
rp_grow(void *p, size_t *cap, size_t n, size_t sz)
{
	void	*np;

	if (n < *cap)
		return (0);
	if ((np = reallocarray(*(void **)p, *cap ? *cap * 2 : 16, sz)) == NULL)
		return (-1);
	*(void **)p = np;
	*cap = *cap ? *cap * 2 : 16;
	return (0);
}

/* The slot of key (ctx, kind, rec) in a table of cap slots: its or free. */
static struct rp_pair *
rp_slot(struct rp_pair *pairs, size_t cap, int64_t ctx, int kind,
    uint64_t rec)
{
	uint64_t	h;
	size_t		i;

	h = (rec ^ ((uint64_t)ctx << 32) ^ (uint64_t)kind) *
	    0x9e3779b97f4a7c15ULL;
	for (i = (size_t)(h >> 32) & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (pairs[i].kind == 0 || (pairs[i].ctx == ctx &&
		    pairs[i].kind == kind && pairs[i].rec == rec))
			return (&pairs[i]);
	}
}

/* The live value paired with rec, or rec itself when there is none. */
static int
rp_lookup(struct replay *rp, int64_t ctx, int kind, uint64_t rec,
    uint64_t *live)
{
	struct rp_pair	*p;

	if (rp->cappairs != 0) {
		p = rp_slot(rp->pairs, rp->cappairs, ctx, kind, rec);
		if (p->kind != 0) {
			*live = p->live;
			return (1);
		}
	}
	*live = rec;
	return (0);
}

/* Pair rec with live, replacing an earlier pairing of rec. */
static void
rp_pair(struct replay *rp, int64_t ctx, int kind, uint64_t rec,
    uint64_t live)
{
	struct rp_pair	*np, *p;
	size_t		 i, cap;

	if (rp->npairs + 1 > rp->cappairs / 2) {
		cap = rp->cappairs ? rp->cappairs * 2 : 64;
		if ((np = calloc(cap, sizeof(*np))) == NULL)
			return;
		for (i = 0; i < rp->cappairs; i++) {
			p = &rp->pairs[i];
			if (p->kind != 0)
				*rp_slot(np, cap, p->ctx, p->kind, p->rec) =
				    *p;
		}
		free(rp->pairs);
		rp->pairs = np;
		rp->cappairs = cap;
	}
	p = rp_slot(rp->pairs, rp->cappairs, ctx, kind, rec);
	if (p->kind == 0)
		rp->npairs++;
	p->ctx = ctx;
	p->kind = kind;
	p->rec = rec;
	p->live = live;
}

/* Ours for recorded range [rec, rec + len) in a range made already. */
static uint8_t *
rp_uva_find(const struct replay *rp, uint64_t rec, uint64_t len)
{
	const struct rp_uva	*u;
	size_t			 i;

	for (i = 0; i < rp->nuvas; i++) {
		u = &rp->uvas[i];
		if (rec >= u->rec && len <= u->len && rec - u->rec <=
		    u->len - len)
			return (u->live + (rec - u->rec));
	}
	return (NULL);
}

/*
 * Caller memory standing for recorded range [rec, rec + len): inside an
 * earlier range when it fits, else new memory at the same offset in
 * RP_ALIGN. NULL when it cannot be made.
 */
static void *
rp_uva(struct replay *rp, uint64_t rec, uint64_t len)
{
	struct rp_uva	*u;
	uint8_t		*base;
	uint64_t	 off, size, pg;

	if ((base = rp_uva_find(rp, rec, len)) != NULL)
		return (base);
	if (len == 0 || len > RP_MAX_BUF * 16 ||
	    rp_grow(&rp->uvas, &rp->capuvas, rp->nuvas,
	    sizeof(*rp->uvas)) != 0)
		return (NULL);
	pg = (uint64_t)sysconf(_SC_PAGESIZE);
	off = rec % RP_ALIGN;
	size = RP_ALIGN + off + len + pg;
	/* Reserve, then place the range at the recorded offset. */
	base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return (NULL);
	base += (RP_ALIGN - (uintptr_t)base % RP_ALIGN) % RP_ALIGN;
	if (mprotect((void *)(((uintptr_t)base + off) & ~(pg - 1)),
	    ((off % pg) + len + pg - 1) & ~(pg - 1),
	    PROT_READ | PROT_WRITE) != 0)
		return (NULL);
	u = &rp->uvas[rp->nuvas++];
	u->rec = rec;
	u->len = len;
	u->live = base + off;
	return (u->live);
}

/*
 * A "memread" line: the bytes the daemon read from the recorded client's
 * mapped memory for the next call are put in ours at the same place.
 */
static void
rp_memread(struct replay *rp, json_t *l)
{
	uint8_t		 buf[TRACEFMT_MAX_BUF];
	const char	*uva, *hex;
	uint64_t	 rec;
	long		 n;
	void		*p;

	uva = json_string_value(json_object_get(l, "uva"));
	hex = json_string_value(json_object_get(l, "hex"));
	if (uva == NULL || hex == NULL ||
	    (n = tracefmt_hex_decode(hex, buf, sizeof(buf))) <= 0)
		return;
	rec = strtoull(uva, NULL, 16);
	if ((p = rp_uva(rp, rec, (uint64_t)n)) != NULL)
		memcpy(p, buf, (size_t)n);
}

/*
 * An address nothing can be read from or written to, however long the
 * range a call names from it: what every address of a trace becomes when
 * the replay did not make memory for it (see RP_BADADDR).
 */
static void *
rp_badaddr(void)
{
	return ((void *)(uintptr_t)RP_BADADDR);
}

/* The struct argument's memory of a run: 0, or -1 when it cannot be made. */
static int
rp_arg_init(struct replay *rp)
{
	uint8_t	*p;

	p = mmap(NULL, RP_ARG_RW + RP_ARG_GUARD, PROT_NONE, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return (-1);
	if (mprotect(p, RP_ARG_RW, PROT_READ | PROT_WRITE) != 0) {
		munmap(p, RP_ARG_RW + RP_ARG_GUARD);
		return (-1);
	}
	rp->arg = p;
	rp->argdirty = RP_ARG_RW;
	return (0);
}

/*
 * The bytes of the struct argument a call may use: the struct as the
 * table knows it, or the size (argsz) the call gives when larger, up to
 * RP_ARG_RW; past that the guard answers EFAULT.
 */
static size_t
rp_arg_len(const struct uapi_struct *st, const uint8_t *buf)
{
	uint64_t	v;
	uint16_t	k;

	for (k = 0; k < st->nfields; k++) {
		if (st->fields[k].kind != UK_SIZE)
			continue;
		v = uapi_get(&st->fields[k], buf);
		if (v > RP_ARG_RW)
			v = RP_ARG_RW;
		return (v > RP_STRUCT ? (size_t)v : RP_STRUCT);
	}
	return (RP_STRUCT);
}

/*
 * A descriptor standing for a file the recorded caller passed: a memfd of
 * size bytes (zeros; file contents are not in the trace). -1 on failure.
 */
static int
rp_file(struct replay *rp, uint64_t size)
{
	int	fd;

	if ((fd = memfd_create("ioasidctl-replay", MFD_CLOEXEC)) < 0)
		return (-1);
	if (ftruncate(fd, (off_t)size) != 0) {
		close(fd);
		return (-1);
	}
	if (rp_grow(&rp->files, &rp->capfiles, rp->nfiles,
	    sizeof(*rp->files)) != 0) {
		close(fd);
		return (-1);
	}
	rp->files[rp->nfiles++] = fd;
	return (fd);
}

/*
 * The memfd standing for recorded file ino (one per inode, so that every
 * call naming the same file names the same one here), at least size
 * bytes long; -1 on failure. It never shrinks: memory of the replay may
 * map it, and a page past its end would be a SIGBUS here.
 */
static int
rp_ino_file(struct replay *rp, uint64_t ino, uint64_t size)
{
	struct stat	 sb;
	size_t		 i;
	int		 fd;

	for (i = 0; i < rp->ninos; i++) {
		if (rp->inos[i].ino != ino)
			continue;
		fd = rp->inos[i].fd;
		if (size <= RP_MAX_BUF * 16 && fstat(fd, &sb) == 0 &&
		    (uint64_t)sb.st_size < size)
			(void)ftruncate(fd, (off_t)size);
		return (fd);
	}
	if (size > RP_MAX_BUF * 16 || rp_grow(&rp->inos, &rp->capinos,
	    rp->ninos, sizeof(*rp->inos)) != 0 ||
	    (fd = rp_file(rp, size)) < 0)
		return (-1);
	rp->inos[rp->ninos].ino = ino;
	rp->inos[rp->ninos++].fd = fd;
	return (fd);
}

/*
 * Our memory p for a mapped-memory field the recorded caller had a file
 * mapped at (e, the line's "uva_file" entry): the same file's stand-in
 * mapped over it at the same offset, for as many bytes as the recording
 * covered (no more than the len bytes made at p).
 */
static void
rp_map_file(struct replay *rp, uint8_t *p, uint64_t len, json_t *e)
{
	uint64_t	 off, n, pg = (uint64_t)sysconf(_SC_PAGESIZE);
	uintptr_t	 a = (uintptr_t)p;
	struct stat	 sb;
	const char	*offs;
	int		 fd;

	offs = json_string_value(json_object_get(e, "off"));
	n = (uint64_t)json_integer_value(json_object_get(e, "len"));
	if (offs == NULL || n == 0)
		return;
	off = strtoull(offs, NULL, 16);
	n = MIN_SZ(n, len);
	/* A mapping starts on a page, at the same place in the file. */
	if (a % pg != off % pg || off < a % pg)
		return;
	fd = rp_ino_file(rp, (uint64_t)json_integer_value(json_object_get(e,
	    "ino")), off + n);
	/* Never a page past the file's end (a SIGBUS when touched). */
	if (fd < 0 || fstat(fd, &sb) != 0 || (uint64_t)sb.st_size < off + n)
		return;
	(void)mmap((void *)(a - a % pg), (size_t)(n + a % pg),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
	    (off_t)(off - a % pg));
}

/* The context of traced id ctx, or NULL. */
static struct rp_ctx *
rp_ctx_find(struct replay *rp, int64_t ctx)
{
	size_t	i;

	for (i = 0; i < rp->nctxs; i++) {
		if (rp->ctxs[i].id == ctx)
			return (&rp->ctxs[i]);
	}
	return (NULL);
}

/*
 * The recorded caller could not take the answer of its last call: the
 * daemon dropped the objects it made, and so do we.
 */
static void
rp_unwritten(struct replay *rp, int64_t ctx)
{
	struct iommu_destroy	 d;
	struct rp_ctx		*c;
	unsigned int		 k;

	if ((c = rp_ctx_find(rp, ctx)) == NULL)
		return;
	for (k = 0; k < c->nmade; k++) {
		memset(&d, 0, sizeof(d));
		d.size = sizeof(d);
		d.id = c->made[k];
		/* A call of the replay's own: its struct is all it uses. */
		if (rp->be->mem != NULL) {
			rp->be->mem(rp->be->priv, NULL, 0);
			rp->be->mem(rp->be->priv, &d, sizeof(d));
		}
		(void)rp->be->ioctl(rp->be->priv, c->fd, IOMMU_DESTROY, &d);
	}
	c->nmade = 0;
}

/* This run's handle of traced context ctx, opening one when new. */
static int
rp_ctx_fd(struct replay *rp, int64_t ctx)
{
	size_t	i;
	int	fd;

	for (i = 0; i < rp->nctxs; i++) {
		if (rp->ctxs[i].id == ctx)
			return (rp->ctxs[i].fd);
	}
	if ((fd = rp->be->open(rp->be->priv)) < 0)
		return (fd);
	if (rp_grow(&rp->ctxs, &rp->capctxs, rp->nctxs,
	    sizeof(*rp->ctxs)) != 0) {
		rp->be->close(rp->be->priv, fd);
		return (-ENOMEM);
	}
	memset(&rp->ctxs[rp->nctxs], 0, sizeof(rp->ctxs[0]));
	rp->ctxs[rp->nctxs].id = ctx;
	rp->ctxs[rp->nctxs].fd = fd;
	rp->nctxs++;
	return (fd);
}

/* The context's close: its handle goes. */
static void
rp_ctx_close(struct replay *rp, int64_t ctx)
{
	size_t	i;

	for (i = 0; i < rp->nctxs; i++) {
		if (rp->ctxs[i].id != ctx)
			continue;
		rp->be->close(rp->be->priv, rp->ctxs[i].fd);
		rp->ctxs[i] = rp->ctxs[--rp->nctxs];
		return;
	}
}

/*
 * A descriptor that a call of context ctx handed out was closed (kind
 * UK_FD: its recorded number is key; RP_FDOBJ: its object's id): ours is
 * forgotten, and closed unless someone else owns it (close_it 0).
 */
static void
rp_fd_close(struct replay *rp, int64_t ctx, int kind, int64_t key,
    int close_it)
{
	struct rp_pair	*p, moved;
	size_t		 i;

	if (rp->cappairs == 0)
		return;
	p = rp_slot(rp->pairs, rp->cappairs, ctx, kind, (uint64_t)key);
	if (p->kind == 0)
		return;
	if (close_it)
		close((int)p->live);
	p->kind = 0;
	rp->npairs--;
	/* The slots after it in its run are placed again. */
	i = (size_t)(p - rp->pairs);
	for (i = (i + 1) & (rp->cappairs - 1); rp->pairs[i].kind != 0;
	    i = (i + 1) & (rp->cappairs - 1)) {
		moved = rp->pairs[i];
		rp->pairs[i].kind = 0;
		*rp_slot(rp->pairs, rp->cappairs, moved.ctx, moved.kind,
		    moved.rec) = moved;
	}
}

/* One line of a call, short, for the calls around a divergence. */
static void
rp_show_line(json_t *l, size_t lineno, int mark)
{
	const char	*type = json_string_value(json_object_get(l, "type"));

	printf("  %s %5zu  ", mark ? ">" : " ", lineno);
	if (type != NULL && strcmp(type, "ioctl") == 0)
		printf("context %lld  %-28s %s\n",
		    (long long)json_integer_value(json_object_get(l, "ctx")),
		    json_string_value(json_object_get(l, "cmd")),
		    json_string_value(json_object_get(l, "result")));
	else
		printf("%s\n", type != NULL ? type : "?");
}

/* Count one divergence of cause what ("command: what differs"). */
static void
rp_cause(struct replay *rp, const char *what)
{
	size_t	i;

	for (i = 0; i < rp->ncauses; i++) {
		if (strcmp(rp->causes[i].what, what) == 0) {
			rp->causes[i].n++;
			return;
		}
	}
	if (rp_grow(&rp->causes, &rp->capcauses, rp->ncauses,
	    sizeof(*rp->causes)) != 0 ||
	    (rp->causes[rp->ncauses].what = strdup(what)) == NULL)
		return;
	rp->causes[rp->ncauses++].n = 1;
}

/*
 * The command of line l as a cause names it: its name, and the selftest
 * operation or the driver data type it was called with, which decide what
 * a model does with it.
 */
static void
rp_cause_cmd(json_t *l, char *buf, size_t len)
{
	json_t		*in = json_object_get(l, "in");
	const char	*cmd = json_string_value(json_object_get(l, "cmd"));
	json_t		*op = json_object_get(in, "op");
	json_t		*dt = json_object_get(in, "data_type");

	if (json_is_integer(op))
		snprintf(buf, len, "%s op %lld", cmd ? cmd : "?",
		    (long long)json_integer_value(op));
	else if (json_is_integer(dt) && json_integer_value(dt) != 0)
		snprintf(buf, len, "%s data_type %lld", cmd ? cmd : "?",
		    (long long)json_integer_value(dt));
	else
		snprintf(buf, len, "%s", cmd ? cmd : "?");
}

/* Line j when it is still held (see struct replay), else NULL. */
static json_t *
rp_at(struct replay *rp, size_t j)
{
	if (j >= rp->nread || j + RP_WIN < rp->nread)
		return (NULL);
	return (rp->win[j % RP_WIN]);
}

/*
 * Line i, read with the RP_CONTEXT lines after it, the lines before
 * i - RP_CONTEXT let go; NULL after the last line.
 */
static json_t *
rp_next(struct replay *rp, size_t i)
{
	json_t	*l;

	while (!rp->eof && rp->nread <= i + RP_CONTEXT) {
		if ((l = replay_src_next(rp->src)) == NULL) {
			rp->eof = 1;
			break;
		}
		if (rp->nread >= RP_WIN)
			json_decref(rp->win[rp->nread % RP_WIN]);
		rp->win[rp->nread++ % RP_WIN] = l;
	}
	return (rp_at(rp, i));
}

/*
 * Reports a divergence at line index i: what differs, then the calls
 * around it; with REPLAY_BY_CAUSE one line, the cause counted.
 */
static void
rp_diverge(struct replay *rp, size_t i, const char *what, json_t *rec,
    json_t *live)
{
	json_t		*l = rp_at(rp, i);
	const char	*cmd = json_string_value(json_object_get(l, "cmd"));
	char		*a, *b, cause[192], name[96];
	size_t		 j, lo, hi;

	if (cmd == NULL)
		cmd = json_string_value(json_object_get(l, "type"));
	if (cmd == NULL)
		cmd = "?";

	rp->diverged++;
	if (rp->flags & REPLAY_QUIET)
		return;
	a = rec != NULL ? json_dumps(rec, JSON_ENCODE_ANY | JSON_COMPACT) :
	    NULL;
	b = live != NULL ? json_dumps(live, JSON_ENCODE_ANY | JSON_COMPACT) :
	    NULL;
	if (rp->flags & REPLAY_BY_CAUSE) {
		rp_cause_cmd(l, name, sizeof(name));
		/* A refusal is its errno; any other difference its field. */
		if (strcmp(what, "result") == 0 && json_is_string(live) &&
		    strcmp(json_string_value(live), "OK") != 0)
			snprintf(cause, sizeof(cause), "%s refused: %s", name,
			    json_string_value(live));
		else if (strcmp(what, "result") == 0)
			snprintf(cause, sizeof(cause), "%s succeeds (recorded "
			    "%s)", name, a != NULL ? a : "?");
		else
			snprintf(cause, sizeof(cause), "%s: %s differs", name,
			    what);
		rp_cause(rp, cause);
		printf("%s:%zu: seq %lld, context %lld: %s: recorded %s, "
		    "replayed %s\n", rp->path, i + 1,
		    (long long)json_integer_value(json_object_get(l, "seq")),
		    (long long)json_integer_value(json_object_get(l, "ctx")),
		    cause, a ? a : "(none)", b ? b : "(none)");
		free(a);
		free(b);
		return;
	}
	printf("%s:%zu: seq %lld, %s on context %lld: %s differs",
	    rp->path, i + 1,
	    (long long)json_integer_value(json_object_get(l, "seq")), cmd,
	    (long long)json_integer_value(json_object_get(l, "ctx")), what);
	/* A recording of the real kernel: the oracle's answer and ours. */
	if (rp->kernel != NULL)
		printf(": kernel %s answered %s, ioasidd %s\n", rp->kernel,
		    a ? a : "(none)", b ? b : "(none)");
	else
		printf("\n  - recorded: %s\n  + replayed: %s\n",
		    a ? a : "(none)", b ? b : "(none)");
	free(a);
	free(b);
	lo = i > RP_CONTEXT ? i - RP_CONTEXT : 0;
	hi = MIN_SZ(i + RP_CONTEXT + 1, rp->nread);
	for (j = lo; j < hi; j++) {
		if (rp_at(rp, j) != NULL)
			rp_show_line(rp_at(rp, j), j + 1, j == i);
	}
}

/*
 * Compares the recorded outputs of line i with this run's struct buf
 * (layout st, len bytes): ids through the pairs (a new one is paired),
 * descriptors paired and not compared, the rest as JSON.
 * Returns the number of differences.
 */
static int
rp_compare_out(struct replay *rp, size_t i, int64_t ctx,
    const struct uapi_struct *st, const uint8_t *buf, size_t len,
    json_t *rec_out, json_t *fdobj)
{
	struct rp_ctx		*cur = rp_ctx_find(rp, ctx);
	const struct uapi_field	*f;
	const char		*key;
	json_t			*live, *rv, *lv, *o;
	uint64_t		 r, l;
	char			 what[96];
	int			 n = 0;

	if (rec_out == NULL)
		return (0);
	st = uapi_resolve(st, buf, len);
	live = tracefmt_struct_encode(st, buf, len, UD_OUT);
	json_object_foreach(rec_out, key, rv) {
		lv = json_object_get(live, key);
		f = uapi_field_byname(st, key);
		snprintf(what, sizeof(what), "out.%s", key);
		if (f == NULL || lv == NULL) {
			rp_diverge(rp, i, what, rv, lv);
			n++;
			continue;
		}
		if ((f->kind == UK_ID || f->kind == UK_FD) &&
		    json_is_integer(rv)) {
			r = (uint64_t)json_integer_value(rv);
			if (f->kind == UK_FD && f->width == 4)
				r = (uint32_t)r;
			l = uapi_get(f, buf);
			if (f->kind == UK_FD) {
				/* By its object where the line names one. */
				if ((o = json_object_get(fdobj, key)) != NULL)
					rp_pair(rp, ctx, RP_FDOBJ, (uint64_t)
					    json_integer_value(o), l);
				else
					rp_pair(rp, ctx, UK_FD, r, l);
				continue;
			}
			/*
			 * A fresh context numbers its objects as the
			 * recorded one did: a different id is a different
			 * history. The pair is kept either way, so that
			 * later calls name our object.
			 */
			if (r != l) {
				rp_diverge(rp, i, what, rv, lv);
				n++;
			}
			rp_pair(rp, ctx, UK_ID, r, l);
			if (cur != NULL && cur->nmade < UAPI_MAX_BUFS)
				cur->made[cur->nmade++] = (uint32_t)l;
			continue;
		}
		if (f->kind == UK_UPTR || f->kind == UK_UVA)
			continue;
		if (!json_equal(rv, lv)) {
			rp_diverge(rp, i, what, rv, lv);
			n++;
		}
	}
	json_decref(live);
	return (n);
}

/* The first UK_LEN field's value in buf: the length a UVA maps. */
static uint64_t
rp_uva_len(const struct uapi_struct *st, const uint8_t *buf)
{
	uint16_t	i;

	for (i = 0; i < st->nfields; i++) {
		if (st->fields[i].kind == UK_LEN)
			return (uapi_get(&st->fields[i], buf));
	}
	return (0);
}

/* The bytes a file named by a call must have: its start plus length. */
static uint64_t
rp_file_size(const struct uapi_struct *st, const uint8_t *buf)
{
	const struct uapi_field	*f;

	f = uapi_field_byname(st, "start");
	return ((f != NULL ? uapi_get(f, buf) : 0) + rp_uva_len(st, buf));
}

/*
 * Every caller pointer of the struct in buf (layout st) that is not one
 * of the nbufs buffers made for it (mem[b], NULL where none was: too
 * long, no memory, a layout uapi_bufs() refused, a length of 0) becomes
 * an address where nothing is, so that no recorded number reaches the
 * call as an address.
 */
static void
rp_confine_uptrs(const struct uapi_struct *st, uint8_t *buf,
    const struct uapi_buf *bufs, uint8_t *const *mem, int nbufs)
{
	const struct uapi_field	*f;
	uint64_t		 v;
	uint16_t		 k;
	int			 b, ours;

	for (k = 0; k < st->nfields; k++) {
		f = &st->fields[k];
		if (f->kind != UK_UPTR || (v = uapi_get(f, buf)) == 0 ||
		    v == (uintptr_t)rp_badaddr())
			continue;
		ours = 0;
		for (b = 0; b < nbufs; b++) {
			if (bufs[b].field == f && mem[b] != NULL &&
			    v == (uintptr_t)mem[b])
				ours = 1;
		}
		if (!ours)
			uapi_set(f, buf, (uintptr_t)rp_badaddr());
	}
}

/* Replays ioctl line i. Returns the number of differences, -1 to stop. */
static int
rp_ioctl(struct replay *rp, size_t i, json_t *l)
{
	const struct uapi_cmd	*c;
	const struct uapi_struct *st;
	const struct uapi_field	*f;
	struct uapi_buf		 bufs[UAPI_MAX_BUFS];
	uint8_t			*mem[UAPI_MAX_BUFS] = { NULL };
	uint8_t			*buf = rp->arg;
	json_t			*in, *arrays, *oarrays, *a, *live;
	const char		*cmd, *result, *node;
	int64_t			 ctx, idctx, bound;
	uint64_t		 v, len, kept64;
	size_t			 kept, alen = RP_STRUCT;
	uint16_t		 k;
	long			 ret;
	int			 fd, nbufs = 0, n = 0, b, want_err, dev;
	char			 what[96];
	void			*arg = NULL;

	cmd = json_string_value(json_object_get(l, "cmd"));
	result = json_string_value(json_object_get(l, "result"));
	node = json_string_value(json_object_get(l, "node"));
	ctx = json_integer_value(json_object_get(l, "ctx"));
	in = json_object_get(l, "in");
	/* A device node's ids are those of the context it is bound to. */
	dev = replay_dev_is_node(node);
	bound = json_integer_value(json_object_get(l, "bound_ctx"));
	idctx = dev && bound != 0 ? bound : ctx;
	if (node != NULL && strcmp(node, "iommu") != 0 &&
	    (!dev || replay_dev_fd(ctx) < 0)) {
		rp->skipped++;
		return (0);
	}
	if (cmd == NULL || result == NULL ||
	    (want_err = tracefmt_errno_byname(result)) < 0) {
		fprintf(stderr, "ioasidctl: %s:%zu: not a call line\n",
		    rp->path, i + 1);
		return (-1);
	}
	rp->calls++;
	if (dev)
		fd = replay_dev_fd(ctx);
	else if ((fd = rp_ctx_fd(rp, ctx)) < 0) {
		fprintf(stderr, "ioasidctl: cannot open a context (%s): "
		    "%s\n", rp->be->name, strerror(-fd));
		return (-1);
	} else
		rp_ctx_find(rp, ctx)->nmade = 0;
	if ((c = uapi_cmd_byname(cmd)) == NULL) {
		/* A number the table does not know: issued as it was. */
		v = strtoull(json_string_value(json_object_get(l, "num")),
		    NULL, 16);
		memset(buf, 0, rp->argdirty);
		rp->argdirty = RP_STRUCT;
		if (rp->be->mem != NULL) {
			rp->be->mem(rp->be->priv, NULL, 0);
			rp->be->mem(rp->be->priv, buf, RP_STRUCT);
		}
		ret = rp->be->ioctl(rp->be->priv, fd, (unsigned long)v, buf);
		if (strcmp(tracefmt_errno_name(ret < 0 ? (int)-ret : 0),
		    result) != 0) {
			live = json_string(tracefmt_errno_name(ret < 0 ?
			    (int)-ret : 0));
			rp_diverge(rp, i, "result", json_object_get(l,
			    "result"), live);
			json_decref(live);
			return (1);
		}
		return (0);
	}
	st = c->st;
	memset(buf, 0, rp->argdirty);
	rp->argdirty = RP_STRUCT;
	/* What the call may touch is declared again below. */
	if (rp->be->mem != NULL)
		rp->be->mem(rp->be->priv, NULL, 0);
	if (c->argkind == UA_VALUE) {
		/* A number, never an address: no handler dereferences it. */
		arg = (void *)(uintptr_t)json_integer_value(json_object_get(in,
		    "arg"));
	} else if (st != NULL) {
		if (in == NULL ||
		    tracefmt_struct_decode(st, in, buf, RP_STRUCT) != 0) {
			fprintf(stderr, "ioasidctl: %s:%zu: the input does "
			    "not fit %s\n", rp->path, i + 1, cmd);
			return (-1);
		}
		st = uapi_resolve(st, buf, RP_STRUCT);
		/*
		 * The struct, and past it as far as its size says (a
		 * VFIO argsz the answer fills, a tail checked for zeros).
		 */
		alen = rp_arg_len(st, buf);
		rp->argdirty = alen;
		if (rp->be->mem != NULL)
			rp->be->mem(rp->be->priv, buf, alen);
		/*
		 * No field recorded: nothing could be read at the caller's
		 * pointer (EFAULT), or the struct's size was 0 and the
		 * daemon read only that.
		 */
		arg = json_object_size(in) == 0 && want_err == EFAULT ?
		    rp_badaddr() : buf;
		/* Ids and descriptors to this run's. */
		for (k = 0; k < st->nfields; k++) {
			f = &st->fields[k];
			if (!(f->dir & UD_IN) || (f->kind != UK_ID &&
			    f->kind != UK_FD))
				continue;
			v = uapi_get(f, buf);
			if (f->kind == UK_ID && v != 0) {
				(void)rp_lookup(rp, idctx, UK_ID, v, &v);
				uapi_set(f, buf, v);
			} else if (f->kind == UK_FD &&
			    json_object_get(in, f->name) != NULL &&
			    (int32_t)v >= 0) {
				/*
				 * BIND's iommufd: the bound context's, unless
				 * the call failed on the descriptor itself.
				 */
				if (dev && bound != 0 && want_err != EBADF &&
				    want_err != EBADFD)
					v = (uint64_t)rp_ctx_fd(rp, bound);
				else if (want_err == EBADF)
					v = RP_BADFD;
				else if ((a = json_object_get(json_object_get(
				    l, "fd_obj"), f->name)) != NULL) {
					if (!rp_lookup(rp, ctx, RP_FDOBJ,
					    (uint64_t)json_integer_value(a), &v))
						v = RP_BADFD;
				} else if ((a = json_object_get(json_object_get(
				    l, "fd_file"), f->name)) != NULL)
					v = (uint64_t)rp_ino_file(rp,
					    (uint64_t)json_integer_value(
					    json_object_get(a, "ino")), (uint64_t)
					    json_integer_value(json_object_get(a,
					    "size")));
				else if (!rp_lookup(rp, ctx, UK_FD, v, &v))
					v = (uint64_t)rp_file(rp,
					    rp_file_size(st, buf));
				uapi_set(f, buf, v);
			} else if (f->kind == UK_FD &&
			    json_object_get(in, f->name) == NULL)
				/* Not 0: no descriptor of ours by chance. */
				uapi_set(f, buf, RP_BADFD);
		}
		/* Descriptors in the struct's tail (eventfds). */
		if (replay_dev_fds(st, buf, RP_STRUCT, want_err) != 0) {
			fprintf(stderr, "ioasidctl: %s:%zu: no descriptor "
			    "for %s\n", rp->path, i + 1, cmd);
			return (-1);
		}
		/*
		 * Mapped memory: ours for the range, or where nothing is
		 * when none can be made (no length, too long), never the
		 * recorded number.
		 */
		for (k = 0; k < st->nfields; k++) {
			void	*p = NULL;

			f = &st->fields[k];
			if (f->kind != UK_UVA || (v = uapi_get(f, buf)) == 0)
				continue;
			len = rp_uva_len(st, buf);
			/*
			 * Memory the recorded program had unmapped (the call
			 * failed with EFAULT) is none here either, unless it
			 * lies in memory an earlier call mapped.
			 */
			if (len != 0 && len <= RP_MAX_BUF * 16 &&
			    (want_err != EFAULT ||
			    rp_uva_find(rp, v, len) != NULL))
				p = rp_uva(rp, v, len);
			/* A file the recorded caller had mapped there. */
			if (p != NULL && (a = json_object_get(json_object_get(l,
			    "uva_file"), f->name)) != NULL)
				rp_map_file(rp, p, len, a);
			uapi_set(f, buf, (uintptr_t)(p != NULL ? p :
			    rp_badaddr()));
		}
		/* Caller buffers of the recorded sizes and contents. */
		nbufs = uapi_bufs(st, buf, RP_STRUCT, bufs, UAPI_MAX_BUFS);
		arrays = json_object_get(l, "arrays");
		for (b = 0; b < nbufs; b++) {
			if (bufs[b].len > RP_MAX_BUF ||
			    (mem[b] = calloc(1, (size_t)bufs[b].len)) == NULL)
				continue;
			a = json_object_get(arrays, bufs[b].field->name);
			if (json_is_true(json_object_get(a, "unreadable"))) {
				uapi_set(bufs[b].field, buf,
				    (uintptr_t)rp_badaddr());
				continue;
			}
			if (a != NULL)
				(void)tracefmt_buf_decode(bufs[b].field, a,
				    mem[b], (size_t)bufs[b].len, &kept,
				    &kept64);
			uapi_set(bufs[b].field, buf, (uintptr_t)mem[b]);
			if (rp->be->mem != NULL)
				rp->be->mem(rp->be->priv, mem[b],
				    (size_t)bufs[b].len);
		}
		if (nbufs < 0)
			nbufs = 0;
		rp_confine_uptrs(st, buf, bufs, mem, nbufs);
	}

	ret = rp->be->ioctl(rp->be->priv, fd, c->num, arg);
	/* A descriptor handed out as the return value (DMABUF_GET). */
	if (ret >= 0 && (a = json_object_get(json_object_get(l, "fd_obj"),
	    "ret")) != NULL)
		rp_pair(rp, ctx, RP_FDOBJ, (uint64_t)json_integer_value(a),
		    (uint64_t)ret);

	if (strcmp(tracefmt_errno_name(ret < 0 ? (int)-ret : 0),
	    result) != 0) {
		live = json_string(tracefmt_errno_name(ret < 0 ? (int)-ret :
		    0));
		rp_diverge(rp, i, "result", json_object_get(l, "result"),
		    live);
		json_decref(live);
		n++;
	} else if (ret > 0 && json_integer_value(json_object_get(l,
	    "ret")) != ret && c->argkind != UA_SIZED) {
		live = json_integer(ret);
		rp_diverge(rp, i, "ret", json_object_get(l, "ret"), live);
		json_decref(live);
		n++;
	} else if (ret >= 0 && st != NULL && c->argkind != UA_VALUE) {
		n += rp_compare_out(rp, i, idctx, c->st, buf, c->st->size,
		    json_object_get(l, "out"), json_object_get(l, "fd_obj"));
		if (rp->devices)
			replay_dev_keep(ctx, uapi_resolve(c->st, buf,
			    c->st->size), buf, l);
		replay_dev_mmap(ctx, c->st, buf);
		oarrays = json_object_get(l, "out_arrays");
		for (b = 0; b < nbufs; b++) {
			a = json_object_get(oarrays, bufs[b].field->name);
			if (a == NULL || mem[b] == NULL)
				continue;
			live = tracefmt_buf_encode(bufs[b].field, mem[b],
			    (size_t)bufs[b].len, bufs[b].len);
			if (!json_equal(a, live)) {
				snprintf(what, sizeof(what), "out_arrays.%s",
				    bufs[b].field->name);
				rp_diverge(rp, i, what, a, live);
				n++;
			}
			json_decref(live);
		}
	}
	for (b = 0; b < nbufs; b++)
		free(mem[b]);
	return (n);
}

/* replay_dev.c's view of the pairs: a recorded id of ctx to ours. */
static int
rp_dev_lookup(void *arg, int64_t ctx, uint64_t rec, uint64_t *live)
{
	return (rp_lookup(arg, ctx, UK_ID, rec, live));
}

/* replay_dev.c's divergences, reported as ours. */
static void
rp_dev_diverge(void *arg, size_t i, const char *what, json_t *rec,
    json_t *live)
{
	rp_diverge(arg, i, what, rec, live);
}

/* The connection of traced context ctx when there is one, else -1. */
static int
rp_ctx_fd_if(struct replay *rp, int64_t ctx)
{
	struct rp_ctx	*c = rp_ctx_find(rp, ctx);

	return (c != NULL ? c->fd : -1);
}

int
replay_run(const struct replay_backend *be, const char *path,
    json_t *lines, int flags, struct replay_stats *st)
{
	struct replay_src	*src;
	int			 rc;

	if (replay_src_array(lines, &src) != 0) {
		fprintf(stderr, "ioasidctl: out of memory\n");
		return (2);
	}
	rc = replay_run_src(be, path, src, flags, st);
	replay_src_close(src);
	return (rc);
}

int
replay_run_src(const struct replay_backend *be, const char *path,
    struct replay_src *src, int flags, struct replay_stats *st)
{
	struct replay	 rp;
	struct timespec	 t0, t1;
	uint64_t	 waited;
	json_t		*l;
	const char	*type;
	size_t		 i;
	int		 rc = 0;

	memset(&rp, 0, sizeof(rp));
	rp.be = be;
	rp.devices = be->devices;
	rp.socket = be->socket;
	rp.path = path;
	rp.flags = flags;
	rp.src = src;
	if (flags & REPLAY_BY_CAUSE)
		rp.flags |= REPLAY_KEEP_GOING;
	replay_dev_begin(be);
	if (rp_arg_init(&rp) != 0) {
		fprintf(stderr, "ioasidctl: replay: %s\n", strerror(errno));
		return (2);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	waited = replay_src_waited(src);
	for (i = 0; (l = rp_next(&rp, i)) != NULL; i++) {
		type = json_string_value(json_object_get(l, "type"));
		if (type == NULL)
			continue;
		if (strcmp(type, "header") == 0) {
			/* Kept: rp.kernel points into it. */
			json_decref(rp.header);
			rp.header = json_incref(l);
			rp.kernel = json_string_value(json_object_get(l,
			    "kernel"));
		}
		if (strcmp(type, "close") == 0 &&
		    json_is_integer(json_object_get(l, "fd")))
			rp_fd_close(&rp,
			    json_integer_value(json_object_get(l, "ctx")),
			    UK_FD, json_integer_value(json_object_get(l, "fd")),
			    1);
		else if (strcmp(type, "close") == 0) {
			rp_ctx_close(&rp,
			    json_integer_value(json_object_get(l, "ctx")));
			replay_dev_close(
			    json_integer_value(json_object_get(l, "ctx")));
		}
		if (strcmp(type, "device") == 0 && rp.devices &&
		    (rc = replay_dev_open(rp.socket, l)) < 0)
			fprintf(stderr, "ioasidctl: %s:%zu: cannot open the "
			    "device: %s\n", rp.path, i + 1, strerror(-rc));
		rc = 0;
		if (strcmp(type, "fdclose") == 0)
			rp_fd_close(&rp,
			    json_integer_value(json_object_get(l, "ctx")),
			    RP_FDOBJ, json_integer_value(json_object_get(l,
			    "obj")), !(rp.devices && replay_dev_has_queue(l)));
		if (strncmp(type, "fd", 2) == 0 && rp.devices)
			(void)replay_dev_fdline(i, l, &rp, rp_dev_lookup,
			    rp_dev_diverge, rp_ctx_fd_if(&rp,
			    json_integer_value(json_object_get(l, "ctx"))));
		if (strcmp(type, "memread") == 0)
			rp_memread(&rp, l);
		if (strcmp(type, "unwritten") == 0)
			rp_unwritten(&rp,
			    json_integer_value(json_object_get(l, "ctx")));
		if (strcmp(type, "ioctl") != 0)
			continue;
		if ((rc = rp_ioctl(&rp, i, l)) < 0)
			break;
		if (rp.devices)
			(void)replay_dev_poll(0, &rp, rp_dev_lookup,
			    rp_dev_diverge);
		if (rp.diverged != 0 && !(rp.flags & REPLAY_KEEP_GOING))
			break;
	}
	/* A trace that could not be read to its end did not replay. */
	if (rc >= 0 && l == NULL && replay_src_error(src) != 0)
		rc = -1;
	if (rp.devices && rc >= 0 && (rp.diverged == 0 ||
	    (rp.flags & REPLAY_KEEP_GOING)))
		(void)replay_dev_poll(1, &rp, rp_dev_lookup, rp_dev_diverge);
	replay_dev_free();
	while (rp.nctxs > 0)
		rp_ctx_close(&rp, rp.ctxs[0].id);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!(flags & REPLAY_QUIET)) {
		if (rp.ncauses != 0)
			printf("differences by cause:\n");
		for (i = 0; i < rp.ncauses; i++)
			printf("  %6llu  %s\n",
			    (unsigned long long)rp.causes[i].n,
			    rp.causes[i].what);
		printf("replay: %llu calls, %llu diverged, %llu skipped%s\n",
		    (unsigned long long)rp.calls,
		    (unsigned long long)rp.diverged,
		    (unsigned long long)rp.skipped,
		    rp.diverged != 0 && !(rp.flags & REPLAY_KEEP_GOING) ?
		    " (stopped at the first)" : "");
	}
	if (st != NULL) {
		st->calls = rp.calls;
		st->diverged = rp.diverged;
		st->skipped = rp.skipped;
		st->nsec = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ULL +
		    (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
		/* The calls alone: not the waits for the reader's lines. */
		st->nsec -= MIN_SZ(st->nsec, replay_src_waited(src) - waited);
	}
	for (i = rp.nread > RP_WIN ? rp.nread - RP_WIN : 0; i < rp.nread; i++)
		json_decref(rp.win[i % RP_WIN]);
	json_decref(rp.header);
	free(rp.pairs);
	free(rp.uvas);
	munmap(rp.arg, RP_ARG_RW + RP_ARG_GUARD);
	free(rp.ctxs);
	for (i = 0; i < rp.nfiles; i++)
		close(rp.files[i]);
	free(rp.files);
	free(rp.inos);
	for (i = 0; i < rp.ncauses; i++)
		free(rp.causes[i].what);
	free(rp.causes);
	if (rc < 0)
		return (2);
	return (rp.diverged != 0 ? 1 : 0);
}

/* The socket back end: one libioasid connection per context. */
static int
rp_sock_open(void *priv)
{
	return (ioasid_open(priv));
}

static long
rp_sock_ioctl(void *priv, int h, unsigned long num, void *arg)
{
	(void)priv;
	return (ioasid_ioctl(h, num, arg));
}

static void
rp_sock_close(void *priv, int h)
{
	(void)priv;
	ioasid_close(h);
}

int
tracetool_replay(int argc, char **argv)
{
	struct replay_backend	 be;
	struct replay_stats	 st;
	const char		*path = NULL, *socket = NULL, *config = NULL;
	const char		*model = NULL;
	struct replay_src	*src;
	struct timespec		 t0, t1;
	json_t			*head, *first;
	char			 err[512];
	double			 all;
	int			 a, flags = 0, offline = 0, timed = 0, rc;

	for (a = 0; a < argc; a++) {
		if (strcmp(argv[a], "--keep-going") == 0)
			flags |= REPLAY_KEEP_GOING;
		else if (strcmp(argv[a], "--offline") == 0)
			offline = 1;
		else if (strcmp(argv[a], "--time") == 0)
			timed = 1;
		else if (strcmp(argv[a], "--socket") == 0 && a + 1 < argc)
			socket = argv[++a];
		else if (strcmp(argv[a], "--config") == 0 && a + 1 < argc)
			config = argv[++a];
		else if (strcmp(argv[a], "--model") == 0 && a + 1 < argc)
			model = argv[++a];
		else if (argv[a][0] != '-' && path == NULL)
			path = argv[a];
		else
			goto usage;
	}
	if (path == NULL || (config != NULL && !offline) ||
	    (socket != NULL && offline))
		goto usage;
	if (model != NULL) {
		flags |= REPLAY_BY_CAUSE;
		/* A running daemon serves the models it was started with. */
		offline = 1;
		if (socket != NULL)
			goto usage;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (replay_src_open(path, &src) != 0)
		return (2);
	if (offline) {
		/* The back end looks at the header line alone. */
		head = json_array();
		if ((first = replay_src_peek(src)) != NULL)
			json_array_append(head, first);
		rc = replay_offline_start(head, config, model, &be, err,
		    sizeof(err));
		json_decref(head);
		if (rc != 0) {
			/* A trace that cannot be parsed says so first. */
			if (first != NULL || replay_src_error(src) == 0)
				fprintf(stderr, "ioasidctl: replay "
				    "--offline: %s\n", err);
			replay_src_close(src);
			return (2);
		}
	} else {
		memset(&be, 0, sizeof(be));
		be.name = "socket";
		be.priv = (void *)(uintptr_t)socket;
		be.open = rp_sock_open;
		be.ioctl = rp_sock_ioctl;
		be.close = rp_sock_close;
		be.devices = 1;
		be.socket = socket;
	}
	if (model != NULL)
		printf("replay: %s against model %s\n", path, model);
	rc = replay_run_src(&be, path, src, flags, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	all = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* The calls alone, then the replay from the file start to end. */
	if (timed)
		printf("replay: %.6f s, %.0f calls/s; with loading %.6f s, "
		    "%.0f calls/s\n", st.nsec / 1e9,
		    st.nsec != 0 ? st.calls * 1e9 / st.nsec : 0.0, all,
		    all > 0 ? st.calls / all : 0.0);
	if (offline)
		replay_offline_stop(&be);
	replay_src_close(src);
	return (rc);
usage:
	fprintf(stderr, "usage: ioasidctl replay [--keep-going] [--time] "
	    "[--socket PATH | --offline [--config FILE]] [--model NAME] "
	    "TRACE\n");
	return (2);
}

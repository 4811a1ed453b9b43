/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The CUSE transport (see cuse.h).
 *
 * Setup. The session comes from cuse_lowlevel_new(); we open /dev/cuse
 * ourselves and hand it over with fuse_session_mount(se, "/dev/fd/N"), so
 * libfuse installs no signal handlers, never daemonizes and runs no loop
 * of its own. The descriptor is non-blocking and watched by the daemon's
 * event base; each wakeup drains up to CUSE_DRAIN requests. The node
 * appears when our CUSE_INIT answer reaches the kernel (init_done), and
 * goes when the descriptor closes (fuse_session_destroy()).
 *
 * Ownership. Each open is a struct cuse_open that owns one context
 * (ctx->priv points back) and the caller it last served; fi->fh holds it.
 * dup() and fork() copies of the descriptor share it, and the kernel's
 * release (sent once, at the last close) frees it. If the connection ends,
 * no release will come, so every open is freed then.
 *
 * The ioctl retry protocol. The kernel sends an unrestricted ioctl with no
 * data; we answer with a retry naming caller memory to copy in and out,
 * and the kernel asks again with those bytes. Nothing is kept between
 * rounds: each round recomputes, from the bytes it received, the layout
 * those bytes call for, using the field tables (uapi_bufs()):
 *
 *	in:  the struct ({arg, size}; VFIO: {arg, argsz}), then every buffer
 *	     the struct points to, in field order;
 *	out: the struct ({arg, min(size, op size)}), then every buffer the
 *	     command writes.
 *
 * Out buffers are also copied in, so that the answer can carry back the
 * caller's own bytes wherever the command wrote nothing. A round is final
 * only when the bytes received are exactly that layout (and the out total
 * matches); only then does dispatch() run, so no round before the last has
 * any effect. Round 1 asks for min_size bytes in and out, which for the
 * common case (size == min_size, no arrays) is already final: 2 FUSE round
 * trips; a struct with arrays takes 3; a struct whose pointers lie beyond
 * min_size while size > min_size takes at most 4. Before that, round 1
 * runs the command against no memory at all: commands that take a value or
 * nothing, and numbers the core refuses, are answered there and then
 * (a command that needs memory fails with EFAULT, having changed nothing).
 *
 * A caller racing with itself (changing the struct between rounds) only
 * ever gets an answer computed from its own bytes: if the final bytes
 * happen to fit a layout other than the one asked for, the command sees
 * its own memory from other addresses, as a kernel copy racing with the
 * same writes could. Nothing outside the caller's memory is involved.
 *
 * Larger than CUSE_IOCTL_MAX. The kernel refuses retries of more than 32
 * pages in or out (ENOMEM). When the layout is larger, the command runs in
 * that same round directly on the caller's memory with process_vm_readv
 * and process_vm_writev, which needs ptrace rights over the caller (root,
 * or the same user); where that is not permitted, or the caller is not
 * visible in our pid namespace, the answer is ENOMEM (what the kernel
 * itself would have said), with a log line.
 *
 * New objects. The kernel copies the answer out after we replied, and
 * then only the caller learns whether that worked. So before a new object
 * is published, every byte the answer writes must lie in memory the
 * caller has mapped writable now (umem_check() on its maps); if not, the
 * object is aborted and the answer is EFAULT alone, as from the real
 * node. What remains inexact: a caller that changes its mappings between
 * our check and the kernel's copy (another thread's mprotect() or
 * munmap()) keeps an object the kernel would have aborted, and so does a
 * caller whose memory we may not reach (no ptrace rights), which is not
 * checked at all.
 *
 * Descriptors. A reply cannot give the caller a new descriptor, so the
 * commands that return one (FAULT_QUEUE_ALLOC, VEVENTQ_ALLOC, the
 * selftest's CREATE_ACCESS, DMABUF_GET) get EOPNOTSUPP from the core; the
 * preload library serves them. Descriptors the caller passes (MAP_FILE)
 * are taken with pidfd_getfd(), which needs the same ptrace rights.
 *
 * Everything else: 32-bit callers (FUSE_IOCTL_COMPAT) get ENOTTY, as the
 * real /dev/iommu has no compat_ioctl; read and write get EINVAL, as the
 * VFS answers for a file without read or write methods; poll reports the
 * VFS default mask (always readable and writable). On an emulated VFIO
 * device node too, read and write get EINVAL: the kernel's CUSE drops
 * their offsets (cuse_ll_read()), so region access goes by ioctl there.
 * SET_IRQS's eventfds come with pidfd_getfd() like any descriptor a
 * command names.
 */

#define FUSE_USE_VERSION 31

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/sys/queue.h>
#include <cuse_lowlevel.h>
#include <linux/fuse.h>
#include <event2/event.h>

#include "core/caller.h"
#include "core/ctx.h"
#include "core/trace.h"
#include "core/ucmd.h"
#include "core/umem.h"
#include "core/util.h"
#include "dev/vfio_cdev.h"
#include "ioasidd.h"
#include "log.h"
#include "transport/cuse.h"
#include "uapi.h"

/* One region piece the device moves is what the preload library sends. */
_Static_assert(VFIO_CDEV_RW_MAX == IOASIDD_REGION_RW_MAX, "region piece");

/*
 * The daemon's private question to an open of its /dev/iommu: which
 * context it is (cuse_file_ctx()). A number in VFIO's ';' type that
 * neither VFIO nor iommufd uses; asked by anyone else, it is answered as
 * the core answers an unknown command.
 */
#define CUSE_WHOAMI	_IO(';', 0xfd)
/* How long a bind waits for that answer, in milliseconds. */
#define CUSE_WHOAMI_MS	2000

/* Requests taken per wakeup, so that the other descriptors get a turn. */
#define CUSE_DRAIN	32
/* The struct plus every buffer a command may point to. */
#define CUSE_MAX_IOV	(1 + UAPI_MAX_BUFS)
/* Largest struct in the field tables we can hold on the stack. */
#define CUSE_STRUCT_MAX	4096

struct cuse_server;

struct cuse_open {
	struct cuse_server	*srv;
	/*
	 * The context; on a VFIO device node, only the record the logs and
	 * the status name the open by, and vf is the open's state.
	 */
	struct ctx		*ctx;
	struct vfio_cdev_file	*vf;
	int			 have_caller;
	pid_t			 caller_tid;	/* whom caller describes */
	struct ucaller		 caller;	/* caller.mem held */
	TAILQ_ENTRY(cuse_open)	 entry;
};

struct cuse_server {
	struct event_base	*base;
	struct fuse_session	*se;
	struct event		*ev;
	struct fuse_buf		 buf;
	char			*node;
	char			*devinfo;	/* "DEVNAME=iommu" */
	int			 vfio;		/* cuse_config's */
	unsigned int		 vfio_index;
	mode_t			 mode;
	gid_t			 gid;
	int			 real;		/* on /dev/cuse: fix the node */
	int			 made_node;	/* we made it: unlink at close */
	int			 ready;
	int			 ended;
	int			 told_putfd;	/* logged once */
	int			 told_big;	/* logged once */
	cuse_event_cb		 cb;
	void			*cb_arg;
	unsigned int		 nopens;
	TAILQ_HEAD(, cuse_open)	 opens;
	dev_t			 rdev;		/* the node's, once served */
	/*
	 * Requests taken off the session while a BIND waited for a WHOAMI
	 * answer (cuse_file_ctx()), to be run in order by cuse_read().
	 */
	TAILQ_HEAD(, cuse_held)	 held;
	TAILQ_ENTRY(cuse_server) entry;		/* cuse_servers */
};

/* A request put aside, with its bytes. */
struct cuse_held {
	struct fuse_buf		 buf;
	TAILQ_ENTRY(cuse_held)	 entry;
};

/* Every server, for cuse_file_ctx(). */
static TAILQ_HEAD(, cuse_server) cuse_servers =
    TAILQ_HEAD_INITIALIZER(cuse_servers);

/* A span of caller memory. */
struct cuse_span {
	uint64_t	 uaddr;
	uint64_t	 len;
};

/*
 * What a round's bytes call for: the in spans, concatenated, are what the
 * final round must carry; the out spans what the answer is scattered into.
 * out_src[i] is where out span i's own bytes start in the in data.
 */
struct cuse_layout {
	struct cuse_span	 in[CUSE_MAX_IOV];
	unsigned int		 nin;
	struct cuse_span	 out[CUSE_MAX_IOV];
	uint64_t		 out_src[CUSE_MAX_IOV];
	unsigned int		 nout;
	uint64_t		 in_total;
	uint64_t		 out_total;
};

/* The uaccess of one ioctl: the round's regions, or the caller directly. */
struct cuse_uaccess {
	struct uregions		 ur;
	pid_t			 tid;		/* for process_vm_*, pidfd */
	pid_t			 pid;
};

/* A write may fall nowhere: the outs of a round that has none. */
static const struct uregion cuse_no_out = { 0, 0, NULL, 0 };

static void	cuse_read(evutil_socket_t, short, void *);
static int	cuse_file_ctx(int, struct ctx **);
static void	cuse_log(enum fuse_log_level, const char *, va_list)
		    printflike(2, 0);

static uint64_t
cuse_add(uint64_t a, uint64_t b)
{
	return (a > UINT64_MAX - b ? UINT64_MAX : a + b);
}

/*
 * libfuse's messages, into our log. Its errors are ours to see; its
 * notices and information are debug detail.
 */
static void
cuse_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char	buf[512];
	size_t	len;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	len = strlen(buf);
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (level <= FUSE_LOG_ERR)
		log_warnx("libfuse: %s", buf);
	else if (level <= FUSE_LOG_NOTICE)
		log_info("libfuse: %s", buf);
	else
		log_debug("libfuse: %s", buf);
}


/*
 * The caller's descriptor cfd, duplicated into the daemon through a pidfd
 * (pidfd_getfd() gives it close-on-exec). EBADF when the caller has no
 * such descriptor; EPERM, logged, when we may not take it.
 */
static int
cuse_getfd(void *priv, int cfd)
{
	struct cuse_uaccess	*cu = priv;
	int			 pidfd, fd, error;

	if (cu->pid <= 0) {
		log_warnx("cuse: cannot take descriptor %d: the caller is "
		    "not visible in the daemon's pid namespace", cfd);
		return (-EPERM);
	}
	if ((pidfd = (int)syscall(SYS_pidfd_open, cu->pid, 0)) == -1)
		return (errno == ESRCH ? -EBADF : -errno);
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, cfd, 0);
	error = errno;
	close(pidfd);
	if (fd != -1)
		return (fd);
	if (error == EPERM || error == EACCES) {
		log_warnx("cuse: may not take descriptor %d from pid %d "
		    "(pidfd_getfd needs ptrace rights over the caller)", cfd,
		    (int)cu->pid);
		return (-EPERM);
	}
	return (error == ESRCH ? -EBADF : -error);
}

static int
cuse_region_read(void *priv, uint64_t uaddr, void *buf, size_t len)
{
	struct cuse_uaccess	*cu = priv;

	return (uregions_ops.read(&cu->ur, uaddr, buf, len));
}

static int
cuse_region_write(void *priv, uint64_t uaddr, const void *buf, size_t len)
{
	struct cuse_uaccess	*cu = priv;

	return (uregions_ops.write(&cu->ur, uaddr, buf, len));
}

static int
cuse_region_putfd(void *priv, int fd, uint64_t uaddr)
{
	struct cuse_uaccess	*cu = priv;

	return (uregions_ops.putfd(&cu->ur, fd, uaddr));
}

static const struct uaccess_ops cuse_region_ops = {
	.read = cuse_region_read,
	.write = cuse_region_write,
	.getfd = cuse_getfd,
	.putfd = cuse_region_putfd,
};

static int
cuse_direct_read(void *priv, uint64_t uaddr, void *buf, size_t len)
{
	struct cuse_uaccess	*cu = priv;

	return (ucmd_vm_copy(cu->tid, 0, uaddr, buf, len));
}

static int
cuse_direct_write(void *priv, uint64_t uaddr, const void *buf, size_t len)
{
	struct cuse_uaccess	*cu = priv;

	return (ucmd_vm_copy(cu->tid, 1, uaddr, (void *)(uintptr_t)buf,
	    len));
}

static int
cuse_direct_putfd(void *priv __unused, int fd __unused,
    uint64_t uaddr __unused)
{
	return (-EOPNOTSUPP);
}

static const struct uaccess_ops cuse_direct_ops = {
	.read = cuse_direct_read,
	.write = cuse_direct_write,
	.getfd = cuse_getfd,
	.putfd = cuse_direct_putfd,
};

/*
 * The caller of a request, cached per open: built again when another
 * thread or other credentials speak on it (a forked child shares it), and
 * when its process has execed since (same pid, new address space: a VMM
 * that keeps its descriptor across exec for live update must have its new
 * mappings read from the new image).
 */
static const struct ucaller *
cuse_caller(struct cuse_open *co, const struct fuse_ctx *fc, int maps_uva)
{
	struct ucaller	*c = &co->caller;
	pid_t		 pid;

	/* The exec check is a system call: only for commands that map. */
	if (co->have_caller && co->caller_tid == fc->pid &&
	    c->uid == fc->uid && c->gid == fc->gid &&
	    (!maps_uva || c->mem == NULL || umem_live(c->mem)))
		return (c);
	pid = caller_tgid(fc->pid);
	if (c->mem != NULL && (umem_pid(c->mem) != pid ||
	    !umem_live(c->mem))) {
		umem_put(c->mem);
		c->mem = NULL;
	}
	c->pid = pid;
	c->uid = fc->uid;
	c->gid = fc->gid;
	c->caps = caller_caps(pid);
	c->memlock_max = caller_memlock(pid);
	if (c->mem == NULL && pid > 0 && umem_open(pid, &c->mem) != 0)
		c->mem = NULL;
	co->caller_tid = fc->pid;
	co->have_caller = 1;
	return (c);
}

/* Does the command hand the caller a new descriptor (UK_FD, out)? */
static int
cuse_cmd_gives_fd(unsigned int num)
{
	const struct uapi_cmd		*uc;
	const struct uapi_struct	*st;
	uint16_t			 i, v;

	if ((uc = uapi_cmd_find(num)) == NULL || uc->st == NULL)
		return (0);
	for (v = 0; v <= uc->st->nvariants; v++) {
		st = v == 0 ? uc->st : uc->st->variants[v - 1].st;
		for (i = 0; i < st->nfields; i++) {
			if (st->fields[i].kind == UK_FD &&
			    (st->fields[i].dir & UD_OUT))
				return (1);
		}
	}
	return (0);
}

/* Send an ioctl's answer; a failed send means the caller gave up. */
static void
cuse_answer(fuse_req_t req, long result, const void *data, size_t len)
{
	if (result < -4095 || result > INT_MAX)
		result = -EIO;
	if (fuse_reply_ioctl(req, (int)result, data, len) != 0)
		log_debug("cuse: ioctl answer not taken (interrupted)");
}

/*
 * Run command num of req's caller on ctx, reaching its memory through ops
 * and cu (whose tid is set); say once why fd-returning commands fail here.
 */
/*
 * Will the kernel's copy of the answer land? Every write must fall in
 * memory the caller has mapped writable now. 1 when we cannot tell.
 */
static int
cuse_writable(const struct ucaller *c, const struct uregions *ur)
{
	unsigned int	i;

	if (c->mem == NULL)
		return (1);
	for (i = 0; i < ur->nwrites; i++) {
		if (umem_check(c->mem, ur->writes[i].uaddr,
		    ur->writes[i].len, 1) != 0)
			return (0);
	}
	return (1);
}

/* The trace line of a call answered from its regions. */
static void
cuse_trace_ioctl(struct cuse_open *co, const struct cuse_uaccess *cu,
    unsigned int num, uint64_t arg, long result, uint64_t t0)
{
	struct trace_site	site;
	char			node[16];

	site.ctx = co->ctx->id;
	site.pid = cu->pid;
	site.devnode = 0;
	site.bound = 0;
	site.node = "iommu";
	if (co->vf != NULL)
		(void)vfio_cdev_trace_site(co->vf, &site, node, sizeof(node));
	trace_ioctl(&site, co->ctx, num, arg, &cu->ur, result, t0);
}

static long
cuse_dispatch(struct cuse_open *co, fuse_req_t req, unsigned int num,
    uint64_t arg, const struct uaccess_ops *ops, struct cuse_uaccess *cu)
{
	struct ucmd	uc;
	long		result;
	int		written;

	memset(&uc, 0, sizeof(uc));
	uc.ctx = co->ctx;
	uc.cmd = num;
	uc.arg = arg;
	uc.caller = cuse_caller(co, fuse_req_ctx(req),
	    uapi_cmd_maps_uva(uapi_cmd_find_on(num, co->vf != NULL)));
	cu->pid = uc.caller->pid;
	uc.uops = ops;
	uc.upriv = cu;
	uc.defer = 1;
	if (co->vf != NULL) {
		/* A device node's table; its context comes from its bind. */
		uc.ctx = NULL;
		result = vfio_cdev_dispatch(co->vf, &uc);
	} else
		result = dispatch(&uc);
	if (uc.npending != 0) {
		written = ops != &cuse_region_ops ||
		    cuse_writable(uc.caller, &cu->ur);
		ucmd_settle(uc.pending, uc.npending, written);
		if (!written) {
			/* Nothing goes back: the answer is EFAULT alone. */
			uregions_clear(&cu->ur);
			result = -EFAULT;
		}
	}
	if (result == -EOPNOTSUPP && !co->srv->told_putfd &&
	    cuse_cmd_gives_fd(num)) {
		co->srv->told_putfd = 1;
		log_info("cuse: commands that return a descriptor (fault "
		    "queues, vEVENTQs, the selftest's accesses and "
		    "dma-bufs) cannot be "
		    "served through %s; run such programs with the preload "
		    "library", co->srv->node);
	}
	return (result);
}

/*
 * What the bytes b (n of them, the start of the struct at arg) call for.
 * Returns 0, or -EINVAL when the size field is below min_size, which is
 * the command's answer whatever else the struct holds (-ENOMEM: a struct
 * too large for us, which the tables do not have).
 */
static int
cuse_layout(const struct uapi_cmd *uc, uint64_t arg, const uint8_t *b,
    size_t n, struct cuse_layout *lay)
{
	const struct uapi_struct	*st = uc->st;
	const struct uapi_field		*f;
	struct uapi_buf			 bufs[UAPI_MAX_BUFS];
	uint8_t				 sbuf[CUSE_STRUCT_MAX];
	uint64_t			 size, sin, sout;
	uint32_t			 u32;
	size_t				 known;
	uint16_t			 i;
	int				 nb, selfsized = 0;

	memset(lay, 0, sizeof(*lay));
	if (st->size > sizeof(sbuf))
		return (-ENOMEM);
	if (n < sizeof(u32)) {
		/* Nothing known yet: the smallest struct, in and out. */
		lay->in[0].uaddr = lay->out[0].uaddr = arg;
		lay->in[0].len = lay->out[0].len = st->min_size;
		lay->nin = lay->nout = 1;
		lay->in_total = lay->out_total = st->min_size;
		return (0);
	}
	memcpy(&u32, b, sizeof(u32));
	size = u32;
	if (size < st->min_size)
		return (-EINVAL);

	/*
	 * iommufd: the whole struct in (a tail past ours must be checked
	 * for zeros), as much as we know of it out. VFIO: argsz bytes out,
	 * or only our struct unless the command writes up to argsz
	 * (GET_INFO's capability chain: a UK_SIZE field whose length is
	 * itself); in, argsz bytes too, up to what one round carries, for
	 * the commands that check a tail (BIND_IOMMUFD's E2BIG).
	 */
	if (uc->argkind == UA_SIZED) {
		sin = size;
		sout = MIN(size, st->size);
	} else {
		for (i = 0; i < st->nfields; i++) {
			f = &st->fields[i];
			if (f->kind == UK_SIZE && f->buf_len == UB_BYTES &&
			    f->len_a == (int8_t)i)
				selfsized = 1;
		}
		sout = selfsized ? size : MIN(size, st->size);
		sin = MAX(sout, MIN(size, (uint64_t)CUSE_IOCTL_MAX));
	}
	lay->in[0].uaddr = lay->out[0].uaddr = arg;
	lay->in[0].len = sin;
	lay->out[0].len = sout;
	lay->out_src[0] = 0;
	lay->nin = lay->nout = 1;
	lay->in_total = sin;
	lay->out_total = sout;

	known = MIN(n, MIN(sin, (uint64_t)st->size));
	memset(sbuf, 0, st->size);
	memcpy(sbuf, b, known);
	if ((nb = uapi_bufs(st, sbuf, known, bufs, UAPI_MAX_BUFS)) < 0)
		nb = 0;
	for (i = 0; i < (uint16_t)nb; i++) {
		lay->in[lay->nin].uaddr = bufs[i].uaddr;
		lay->in[lay->nin].len = bufs[i].len;
		if (bufs[i].dir & UD_OUT) {
			lay->out[lay->nout] = lay->in[lay->nin];
			lay->out_src[lay->nout] = lay->in_total;
			lay->out_total = cuse_add(lay->out_total,
			    bufs[i].len);
			lay->nout++;
		}
		lay->in_total = cuse_add(lay->in_total, bufs[i].len);
		lay->nin++;
	}
	return (0);
}

/*
 * The final round: run the command on the bytes received, then answer
 * with the out spans' contents (the caller's own bytes with the command's
 * writes applied), up to the last byte written. The kernel scatters the
 * answer over the out spans in order, and copies it out even when the
 * result is an error (IOVA_RANGES's EMSGSIZE carries num_iovas back).
 * lay NULL: the bytes are only the start of the struct and nothing may be
 * written (the command fails on its size field).
 */
static void
cuse_ioctl_final(fuse_req_t req, struct cuse_open *co, unsigned int num,
    uint64_t arg, const struct cuse_layout *lay, const uint8_t *in,
    size_t in_len)
{
	struct uregion		 regs[CUSE_MAX_IOV], outs[CUSE_MAX_IOV];
	struct cuse_uaccess	 cu;
	const struct uwrite	*w;
	uint8_t			*ans = NULL;
	uint64_t		 off = 0, lo, hi, end = 0;
	unsigned int		 i, j;
	long			 result;
	uint64_t		 t0;

	memset(&cu, 0, sizeof(cu));
	memset(regs, 0, sizeof(regs));
	memset(outs, 0, sizeof(outs));
	if (lay == NULL) {
		regs[0].uaddr = arg;
		regs[0].len = in_len;
		regs[0].data = in;
		uregions_init(&cu.ur, regs, in_len != 0 ? 1 : 0);
		cu.ur.outs = &cuse_no_out;
		cu.ur.nouts = 1;
	} else {
		for (i = 0; i < lay->nin; i++) {
			regs[i].uaddr = lay->in[i].uaddr;
			regs[i].len = lay->in[i].len;
			regs[i].data = in + off;
			off += lay->in[i].len;
		}
		for (i = 0; i < lay->nout; i++) {
			outs[i].uaddr = lay->out[i].uaddr;
			outs[i].len = lay->out[i].len;
			outs[i].data = NULL;
		}
		uregions_init(&cu.ur, regs, lay->nin);
		cu.ur.outs = lay->nout != 0 ? outs : &cuse_no_out;
		cu.ur.nouts = lay->nout != 0 ? lay->nout : 1;
	}
	cu.ur.can_putfd = 0;
	cu.tid = fuse_req_ctx(req)->pid;
	/* Room for the answer before anything runs. */
	if (lay != NULL && lay->out_total != 0 &&
	    (ans = malloc(lay->out_total)) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}

	t0 = trace_now();
	result = cuse_dispatch(co, req, num, arg, &cuse_region_ops, &cu);
	cuse_trace_ioctl(co, &cu, num, arg, result, t0);

	if (ans != NULL && cu.ur.nwrites != 0) {
		/* The caller's bytes first, then what the command wrote. */
		for (i = 0, off = 0; i < lay->nout; i++) {
			memcpy(ans + off, in + lay->out_src[i],
			    lay->out[i].len);
			off += lay->out[i].len;
		}
		for (j = 0; j < cu.ur.nwrites; j++) {
			w = &cu.ur.writes[j];
			for (i = 0, off = 0; i < lay->nout; off +=
			    lay->out[i].len, i++) {
				lo = MAX(w->uaddr, lay->out[i].uaddr);
				hi = MIN(w->uaddr + w->len,
				    lay->out[i].uaddr + lay->out[i].len);
				if (lo >= hi)
					continue;
				memcpy(ans + off + (lo - lay->out[i].uaddr),
				    w->data + (lo - w->uaddr), hi - lo);
				end = MAX(end, off + (hi - lay->out[i].uaddr));
			}
		}
	}
	cuse_answer(req, result, ans, end);
	free(ans);
	uregions_clear(&cu.ur);
}

/*
 * More than a retry may carry: run the command on the caller's memory
 * directly, if we may reach it; else ENOMEM, as the kernel would answer
 * the retry we cannot make.
 */
static void
cuse_ioctl_direct(fuse_req_t req, struct cuse_open *co, unsigned int num,
    uint64_t arg)
{
	struct cuse_uaccess	 cu;
	uint8_t			 probe;
	pid_t			 tid = fuse_req_ctx(req)->pid;
	int			 rc = -ESRCH;

	if (tid > 0)
		rc = ucmd_vm_copy(tid, 0, arg, &probe, 1) == 0 ? 0 :
		    (errno == EFAULT ? 0 : -errno);
	if (rc != 0) {
		if (!co->srv->told_big) {
			co->srv->told_big = 1;
			log_warnx("cuse: an ioctl of pid %d needs more than "
			    "%d KiB of its memory and the daemon may not reach "
			    "that memory directly (%s); answering ENOMEM. Run "
			    "the daemon as root, or use the preload library",
			    (int)tid, CUSE_IOCTL_MAX / 1024, strerror(-rc));
		}
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memset(&cu, 0, sizeof(cu));
	cu.tid = tid;
	cuse_answer(req, cuse_dispatch(co, req, num, arg, &cuse_direct_ops,
	    &cu), NULL, 0);
}

/* Ask the kernel for the layout's bytes. */
static void
cuse_ioctl_retry(fuse_req_t req, const struct cuse_layout *lay)
{
	struct iovec	in[CUSE_MAX_IOV], out[CUSE_MAX_IOV];
	unsigned int	i;

	for (i = 0; i < lay->nin; i++) {
		in[i].iov_base = (void *)(uintptr_t)lay->in[i].uaddr;
		in[i].iov_len = lay->in[i].len;
	}
	for (i = 0; i < lay->nout; i++) {
		out[i].iov_base = (void *)(uintptr_t)lay->out[i].uaddr;
		out[i].iov_len = lay->out[i].len;
	}
	if (fuse_reply_ioctl_retry(req, in, lay->nin, out, lay->nout) != 0)
		log_debug("cuse: ioctl retry not taken (interrupted)");
}

/*
 * Round 1: run the command against no memory. Anything but EFAULT is its
 * answer (value commands, numbers the core refuses); EFAULT means it needs
 * memory, and it changed nothing, so the call is not counted twice.
 * Returns 1 when answered.
 */
static int
cuse_ioctl_bare(fuse_req_t req, struct cuse_open *co, unsigned int num,
    uint64_t arg)
{
	struct cuse_uaccess	 cu;
	uint64_t		 nioctls = co->ctx->nioctls, t0;
	long			 result;

	memset(&cu, 0, sizeof(cu));
	uregions_init(&cu.ur, NULL, 0);
	cu.ur.outs = &cuse_no_out;
	cu.ur.nouts = 1;
	cu.tid = fuse_req_ctx(req)->pid;
	t0 = trace_now();
	result = cuse_dispatch(co, req, num, arg, &cuse_region_ops, &cu);
	if (result == -EFAULT && uapi_cmd_find(num) != NULL &&
	    uapi_cmd_find(num)->st != NULL) {
		uregions_clear(&cu.ur);
		co->ctx->nioctls = nioctls;
		return (0);
	}
	cuse_trace_ioctl(co, &cu, num, arg, result, t0);
	uregions_clear(&cu.ur);
	cuse_answer(req, result, NULL, 0);
	return (1);
}

/*
 * libfuse before 3.19 passes the command as int (the CUSE prototype
 * changed to unsigned int with FUSE_USE_VERSION 319); the iommufd numbers
 * are positive either way, and we take the bits as they are.
 */
static void
cuse_ll_ioctl(fuse_req_t req, int cmd, void *argp, struct fuse_file_info *fi,
    unsigned int flags, const void *in_buf, size_t in_len, size_t out_len)
{
	struct cuse_open	*co = (struct cuse_open *)(uintptr_t)fi->fh;
	const struct uapi_cmd	*uc;
	struct cuse_layout	 lay;
	unsigned int		 num = (unsigned int)cmd;
	uint64_t		 arg = (uintptr_t)argp;
	const uint8_t		*in = in_buf;
	int			 rc;

	if (flags & FUSE_IOCTL_COMPAT) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	/* Only the daemon itself is told; anyone else gets the core's. */
	if (num == CUSE_WHOAMI && co->vf == NULL &&
	    caller_tgid(fuse_req_ctx(req)->pid) == getpid()) {
		fuse_reply_ioctl(req, (int)co->ctx->id, NULL, 0);
		return;
	}
	/* A device node's numbers that type1 shares mean its own command. */
	uc = uapi_cmd_find_on(num, co->vf != NULL);
	if (in_len == 0 && out_len == 0) {
		if (cuse_ioctl_bare(req, co, num, arg))
			return;
	} else if (uc == NULL || uc->st == NULL) {
		/* Not a round we asked for; answer as round 1 would. */
		(void)cuse_ioctl_bare(req, co, num, arg);
		return;
	}
	if ((rc = cuse_layout(uc, arg, in, in_len, &lay)) == -EINVAL) {
		cuse_ioctl_final(req, co, num, arg, NULL, in, in_len);
		return;
	}
	if (rc != 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	if (lay.in_total > CUSE_IOCTL_MAX || lay.out_total > CUSE_IOCTL_MAX) {
		cuse_ioctl_direct(req, co, num, arg);
		return;
	}
	if (in_len == lay.in_total && out_len == lay.out_total) {
		cuse_ioctl_final(req, co, num, arg, &lay, in, in_len);
		return;
	}
	cuse_ioctl_retry(req, &lay);
}

static void
cuse_open_free(struct cuse_open *co)
{
	struct cuse_server	*srv = co->srv;
	uint32_t		 id = co->ctx->id;

	TAILQ_REMOVE(&srv->opens, co, entry);
	srv->nopens--;
	vfio_cdev_close(co->vf);
	ctx_close(co->ctx);
	if (co->caller.mem != NULL)
		umem_put(co->caller.mem);
	free(co);
	log_debug("cuse: context %" PRIu32 " closed", id);
}

static void
cuse_ll_open(fuse_req_t req, struct fuse_file_info *fi)
{
	struct cuse_server	*srv = fuse_req_userdata(req);
	struct cuse_open	*co;
	struct trace_site	 site;
	const char		*name;
	char			 node[16];
	pid_t			 pid = caller_tgid(fuse_req_ctx(req)->pid);
	int			 error;

	if ((co = calloc(1, sizeof(*co))) == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if ((error = ctx_new(srv->vfio ? "cuse-vfio" : "cuse", pid,
	    &co->ctx)) != 0) {
		free(co);
		fuse_reply_err(req, -error);
		return;
	}
	if (srv->vfio &&
	    (error = vfio_cdev_open(srv->vfio_index, &co->vf)) != 0) {
		ctx_close(co->ctx);
		free(co);
		fuse_reply_err(req, -error);
		return;
	}
	if (co->vf != NULL) {
		site.ctx = co->ctx->id;
		site.pid = pid;
		name = vfio_cdev_trace_site(co->vf, &site, node, sizeof(node));
		trace_event(&site, "device", name);
	}
	co->srv = srv;
	co->ctx->priv = co;
	TAILQ_INSERT_TAIL(&srv->opens, co, entry);
	srv->nopens++;
	fi->fh = (uintptr_t)co;
	/* Not taken (the open was interrupted): no release will come. */
	if (fuse_reply_open(req, fi) != 0) {
		cuse_open_free(co);
		return;
	}
	log_debug("cuse: context %" PRIu32 " opened by pid %d", co->ctx->id,
	    (int)pid);
}

/* The last close of an open; its pid may be 0, and is not needed. */
static void
cuse_ll_release(fuse_req_t req, struct fuse_file_info *fi)
{
	cuse_open_free((struct cuse_open *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/*
 * read and write: EINVAL, on every node. /dev/iommu has neither method,
 * and the VFS says so. A device node's would be its region access, by
 * offset, but the kernel's CUSE sends every read and write with offset 0
 * (fs/fuse/cuse.c drops the file position and pread's offset alike), so
 * the daemon cannot tell where an access was meant to go, and serving
 * them all at offset 0 would answer with the wrong bytes. A program
 * reaches the regions of a CUSE device node with IOASIDD_REGION_READ and
 * IOASIDD_REGION_WRITE (proto/ioasidd.h), ioctls that carry the offset;
 * under the preload library, pread() on a device descriptor is one.
 */
static void
cuse_ll_read(fuse_req_t req, size_t size __unused, off_t off __unused,
    struct fuse_file_info *fi __unused)
{
	fuse_reply_err(req, EINVAL);
}

static void
cuse_ll_write(fuse_req_t req, const char *buf __unused, size_t size __unused,
    off_t off __unused, struct fuse_file_info *fi __unused)
{
	fuse_reply_err(req, EINVAL);
}

/* Always ready: nothing will ever be notified, so ph is not kept. */
static void
cuse_ll_poll(fuse_req_t req, struct fuse_file_info *fi __unused,
    struct fuse_pollhandle *ph)
{
	if (ph != NULL)
		fuse_pollhandle_destroy(ph);
	fuse_reply_poll(req, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

/*
 * The node exists now, made by devtmpfs as root:root 0600; without
 * devtmpfs on /dev it is missing, and we make it from the device number
 * the cuse class publishes. Then it gets the configured mode and group
 * (there may be no udev to do it).
 */
static void
cuse_node_fixup(struct cuse_server *srv)
{
	struct stat	 st;
	char		 path[PATH_MAX + 32], name[PATH_MAX], line[64], *p;
	unsigned int	 maj, min;
	FILE		*f;

	if (lstat(srv->node, &st) == -1 && errno == ENOENT) {
		/* sysfs spells a '/' in the device name as '!'. */
		snprintf(name, sizeof(name), "%s", srv->node + 5);
		for (p = name; *p != '\0'; p++) {
			if (*p == '/')
				*p = '!';
		}
		snprintf(path, sizeof(path), "/sys/class/cuse/%s/dev", name);
		if ((f = fopen(path, "re")) != NULL) {
			if (fgets(line, sizeof(line), f) != NULL &&
			    sscanf(line, "%u:%u", &maj, &min) == 2 &&
			    mknod(srv->node, S_IFCHR | (srv->mode & 0777),
			    makedev(maj, min)) == 0) {
				srv->made_node = 1;
				log_info("cuse: made %s (%u:%u): /dev has no "
				    "devtmpfs", srv->node, maj, min);
			}
			fclose(f);
		}
		if (!srv->made_node) {
			log_warnx("cuse: %s did not appear", srv->node);
			return;
		}
	}
	if (srv->gid != (gid_t)-1 && chown(srv->node, (uid_t)-1,
	    srv->gid) == -1)
		log_warn("cuse: chown %s to group %u", srv->node,
		    (unsigned int)srv->gid);
	if (chmod(srv->node, srv->mode) == -1)
		log_warn("cuse: chmod %s %04o", srv->node,
		    (unsigned int)srv->mode);
}

static void
cuse_ll_init_done(void *userdata)
{
	struct cuse_server	*srv = userdata;

	struct stat		 st;

	if (srv->real)
		cuse_node_fixup(srv);
	if (srv->real && stat(srv->node, &st) == 0 && S_ISCHR(st.st_mode))
		srv->rdev = st.st_rdev;
	srv->ready = 1;
	log_debug("cuse: %s is served", srv->node);
	if (srv->cb != NULL)
		srv->cb(srv->cb_arg, 0);
}

/*
 * Which context is the daemon's descriptor fd, a duplicate of a caller's
 * descriptor (pidfd_getfd())? Over CUSE every open has the node's inode,
 * so the inode cannot say (ctx_find_file()); the open itself must. We ask
 * it CUSE_WHOAMI, whose answer is its context's id: an ioctl on our own
 * node, which this thread serves, so the ioctl is made by a short-lived
 * thread while this one serves that node's session until the answer is
 * in. Requests of other opens that arrive meanwhile are put aside and run,
 * in order, by cuse_read() afterwards: nothing runs inside the command
 * that asked. The wait is bounded (CUSE_WHOAMI_MS); a descriptor that is
 * not an open of a /dev/iommu node of ours is -EBADFD at once.
 */
struct cuse_ask {
	int		fd;		/* the thread's; it closes it */
	int		pipe[2];	/* the thread says it is done */
	long		result;		/* the id, or -errno */
	int		refs;		/* the thread's and the asker's */
};

static void
cuse_ask_put(struct cuse_ask *a)
{
	if (__atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	close(a->pipe[0]);
	close(a->pipe[1]);
	free(a);
}

static void *
cuse_ask_thread(void *arg)
{
	struct cuse_ask	*a = arg;
	long		 r;

	r = ioctl(a->fd, CUSE_WHOAMI, 0);
	a->result = r < 0 ? -errno : r;
	close(a->fd);
	(void)!write(a->pipe[1], "", 1);
	cuse_ask_put(a);
	return (NULL);
}

/*
 * Take one request off srv's session: run a WHOAMI, keep the rest.
 * Returns -1 when the session has ended (cuse_read() will see it too).
 */
static int
cuse_pump(struct cuse_server *srv)
{
	const struct fuse_in_header	*ih;
	const struct fuse_ioctl_in	*io;
	struct cuse_held		*h;
	int				 n;

	n = fuse_session_receive_buf(srv->se, &srv->buf);
	if (n == -EAGAIN || n == -EINTR || n == -ENOENT)
		return (0);
	if (n <= 0 || fuse_session_exited(srv->se))
		return (-1);
	ih = srv->buf.mem;
	io = (const void *)(ih + 1);
	if (!(srv->buf.flags & FUSE_BUF_IS_FD) &&
	    (size_t)n >= sizeof(*ih) + sizeof(*io) &&
	    ih->opcode == FUSE_IOCTL && io->cmd == CUSE_WHOAMI) {
		fuse_session_process_buf(srv->se, &srv->buf);
		return (0);
	}
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->buf.mem = malloc((size_t)n)) == NULL) {
		/* Out of memory: run it here rather than lose it. */
		free(h);
		fuse_session_process_buf(srv->se, &srv->buf);
		return (0);
	}
	memcpy(h->buf.mem, srv->buf.mem, (size_t)n);
	h->buf.size = (size_t)n;
	TAILQ_INSERT_TAIL(&srv->held, h, entry);
	return (0);
}

static int
cuse_file_ctx(int fd, struct ctx **ctxp)
{
	struct cuse_server	*srv;
	struct cuse_open	*co;
	struct cuse_ask		*a;
	struct pollfd		 pfd[2];
	struct stat		 st;
	struct timespec		 t0, t1;
	sigset_t		 all, old;
	pthread_t		 t;
	long			 ms, id = -1;
	char			 c;

	if (fstat(fd, &st) == -1 || !S_ISCHR(st.st_mode))
		return (-EBADFD);
	TAILQ_FOREACH(srv, &cuse_servers, entry) {
		if (srv->ready && !srv->ended && !srv->vfio &&
		    srv->rdev != 0 && srv->rdev == st.st_rdev)
			break;
	}
	if (srv == NULL)
		return (-EBADFD);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (-ENOMEM);
	a->refs = 2;
	if (pipe2(a->pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		free(a);
		return (-ENOMEM);
	}
	if ((a->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		a->refs = 1;
		cuse_ask_put(a);
		return (-EBADFD);
	}
	/* The thread takes no signal: they are the event loop's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, NULL, cuse_ask_thread, a) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		close(a->fd);
		a->refs = 1;
		cuse_ask_put(a);
		return (-ENOMEM);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_detach(t);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = CUSE_WHOAMI_MS - ((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (ms <= 0)
			break;
		pfd[0].fd = a->pipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = fuse_session_fd(srv->se);
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)ms) == -1 && errno != EINTR)
			break;
		if (read(a->pipe[0], &c, 1) == 1) {
			id = __atomic_load_n(&a->result, __ATOMIC_ACQUIRE);
			break;
		}
		if ((pfd[1].revents & (POLLIN | POLLERR | POLLHUP)) &&
		    cuse_pump(srv) != 0)
			break;
	}
	if (!TAILQ_EMPTY(&srv->held))
		event_active(srv->ev, EV_READ, 0);
	cuse_ask_put(a);
	if (id <= 0) {
		log_debug("cuse: %s did not say which open it is: %s",
		    srv->node, id < 0 ? strerror((int)-id) : "no answer");
		return (-EBADFD);
	}
	TAILQ_FOREACH(co, &srv->opens, entry) {
		if (co->ctx->id == (uint32_t)id) {
			*ctxp = co->ctx;
			return (0);
		}
	}
	return (-EBADFD);
}

static const struct cuse_lowlevel_ops cuse_ops = {
	.init_done = cuse_ll_init_done,
	.open = cuse_ll_open,
	.read = cuse_ll_read,
	.write = cuse_ll_write,
	.release = cuse_ll_release,
	.ioctl = cuse_ll_ioctl,
	.poll = cuse_ll_poll,
};

/* The kernel is gone: no release will come for the opens left. */
static void
cuse_end(struct cuse_server *srv, int error)
{
	struct cuse_open	*co;

	event_del(srv->ev);
	while ((co = TAILQ_FIRST(&srv->opens)) != NULL)
		cuse_open_free(co);
	srv->ended = 1;
	if (srv->cb != NULL)
		srv->cb(srv->cb_arg, error);
}

static void
cuse_read(evutil_socket_t fd __unused, short what __unused, void *arg)
{
	struct cuse_server	*srv = arg;
	struct cuse_held	*h;
	int			 i, n;

	for (i = 0; i < CUSE_DRAIN && !srv->ended; i++) {
		if ((h = TAILQ_FIRST(&srv->held)) != NULL) {
			TAILQ_REMOVE(&srv->held, h, entry);
			fuse_session_process_buf(srv->se, &h->buf);
			free(h->buf.mem);
			free(h);
			continue;
		}
		n = fuse_session_receive_buf(srv->se, &srv->buf);
		if (n == -EAGAIN)
			return;
		if (n == -EINTR || n == -ENOENT)
			continue;
		if (n <= 0 || fuse_session_exited(srv->se)) {
			cuse_end(srv, n < 0 ? n : -ENODEV);
			return;
		}
		fuse_session_process_buf(srv->se, &srv->buf);
	}
	if (!srv->ended && !TAILQ_EMPTY(&srv->held))
		event_active(srv->ev, EV_READ, 0);
}

static int
cuse_start(struct event_base *base, int fd, const struct cuse_config *cfg,
    int real, struct cuse_server **srvp)
{
	static char		 argv0[] = "ioasidd";
	char			*argv[] = { argv0, NULL };
	struct fuse_args	 args = FUSE_ARGS_INIT(1, argv);
	struct cuse_server	*srv;
	struct cuse_info	 ci;
	const char		*info[1];
	char			 mnt[32];
	int			 error = -ENOMEM;

	*srvp = NULL;
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		close(fd);
		return (-ENOMEM);
	}
	srv->base = base;
	srv->mode = cfg->mode;
	srv->gid = cfg->gid;
	srv->real = real;
	srv->cb = cfg->cb;
	srv->cb_arg = cfg->arg;
	srv->vfio = cfg->vfio;
	srv->vfio_index = cfg->vfio_index;
	TAILQ_INIT(&srv->opens);
	TAILQ_INIT(&srv->held);
	TAILQ_INSERT_TAIL(&cuse_servers, srv, entry);
	ctx_file_hook = cuse_file_ctx;
	if ((srv->node = strdup(cfg->node)) == NULL ||
	    asprintf(&srv->devinfo, "DEVNAME=%s", cfg->node + 5) == -1) {
		srv->devinfo = NULL;
		goto fail;
	}

	fuse_set_log_func(cuse_log);
	memset(&ci, 0, sizeof(ci));
	info[0] = srv->devinfo;
	ci.dev_info_argc = 1;
	ci.dev_info_argv = info;
	ci.flags = CUSE_UNRESTRICTED_IOCTL;
	srv->se = cuse_lowlevel_new(&args, &ci, &cuse_ops, srv);
	fuse_opt_free_args(&args);
	if (srv->se == NULL)
		goto fail;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		error = -errno;
		goto fail;
	}
	/* libfuse adopts a /dev/fd/N "mount point" as its descriptor. */
	snprintf(mnt, sizeof(mnt), "/dev/fd/%d", fd);
	if (fuse_session_mount(srv->se, mnt) != 0) {
		error = -EIO;
		goto fail;
	}
	fd = -1;
	srv->ev = event_new(base, fuse_session_fd(srv->se),
	    EV_READ | EV_PERSIST, cuse_read, srv);
	if (srv->ev == NULL || event_add(srv->ev, NULL) != 0)
		goto fail;
	*srvp = srv;
	return (0);

fail:
	if (fd != -1)
		close(fd);
	cuse_server_close(srv);
	return (error);
}

int
cuse_server_open(struct event_base *base, const struct cuse_config *cfg,
    struct cuse_server **srvp)
{
	struct stat	st;
	int		fd;

	*srvp = NULL;
	if (strncmp(cfg->node, "/dev/", 5) != 0 || cfg->node[5] == '\0')
		return (-EINVAL);
	/* Ours does not exist yet, so whatever is there is not ours. */
	if (lstat(cfg->node, &st) == 0)
		return (-EEXIST);
	if ((fd = open("/dev/cuse", O_RDWR | O_CLOEXEC)) == -1)
		return (-errno);
	return (cuse_start(base, fd, cfg, 1, srvp));
}

int
cuse_server_adopt(struct event_base *base, int fd,
    const struct cuse_config *cfg, struct cuse_server **srvp)
{
	*srvp = NULL;
	if (strncmp(cfg->node, "/dev/", 5) != 0 || cfg->node[5] == '\0') {
		close(fd);
		return (-EINVAL);
	}
	return (cuse_start(base, fd, cfg, 0, srvp));
}

void
cuse_server_close(struct cuse_server *srv)
{
	struct cuse_open	*co;
	struct cuse_held	*h;

	if (srv == NULL)
		return;
	TAILQ_REMOVE(&cuse_servers, srv, entry);
	if (TAILQ_EMPTY(&cuse_servers))
		ctx_file_hook = NULL;
	while ((h = TAILQ_FIRST(&srv->held)) != NULL) {
		TAILQ_REMOVE(&srv->held, h, entry);
		free(h->buf.mem);
		free(h);
	}
	if (srv->ev != NULL)
		event_free(srv->ev);
	while ((co = TAILQ_FIRST(&srv->opens)) != NULL)
		cuse_open_free(co);
	/* Closes the /dev/cuse descriptor: the kernel removes the node. */
	if (srv->se != NULL)
		fuse_session_destroy(srv->se);
	if (srv->made_node)
		(void)unlink(srv->node);
	free(srv->buf.mem);
	free(srv->node);
	free(srv->devinfo);
	free(srv);
}

unsigned int
cuse_server_nopens(const struct cuse_server *srv)
{
	return (srv->nopens);
}

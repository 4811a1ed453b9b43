/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The client end of the ioasidd socket (see chan.h and proto/wire.h).
 *
 * Descriptors and channels. The descriptor a program holds is the context
 * socket itself, so dup(), fork(), exec() and close() need nothing from us.
 * What we keep is a small table, keyed by the socket's inode, that says how
 * this process talks to each context: directly on the context socket when
 * this process opened it, or on a private channel (a socketpair whose other
 * end the daemon holds) otherwise. The table belongs to one process: the
 * first call in a new process (getpid() differs) closes the channels it
 * inherited, which are its parent's, and forgets that the parent opened
 * anything, so that every process gets its own channel. A new process is
 * noticed without a getpid() per call: a byte in a MADV_WIPEONFORK page is
 * set once the table belongs to this process, and the kernel zeroes it in
 * the child of every fork, raw clone() included, with no atfork handler.
 * A vfork() child (or a clone sharing our memory) shares the page and the
 * table with us and simply uses them as one more thread would: the daemon
 * still learns its pid from each message's credentials.
 *
 * Locking. chan_tlock guards the table and the socket cache; each entry's
 * lock serialises the request/reply exchange on its socket, so two threads
 * never wait for replies on the same socket. Cancellation is disabled for
 * the exchange, so a reply is never left behind for the next caller.
 *
 * Signals. The common call (a socket this thread used last, a command that
 * reads and writes only its struct, the channel already made) runs with
 * signals open, holding nothing but its entry's lock, and never allocates.
 * A handler that calls in meanwhile is told apart by the entry a thread
 * holds (chan_thread): a call on the same context goes out on a channel
 * of its own made for that one call, any other the usual way, and the
 * interrupted exchange carries on undisturbed. Every other call blocks
 * signals for its length, since it takes chan_tlock, allocates, or makes
 * channels. A handler that longjmps out of an interrupted exchange leaves
 * that context's entry locked for good, as it would leave any lock.
 *
 * Trust. Whoever listens at the socket gets our requests and, with the
 * commands that map memory, a descriptor to our memory; so nothing is sent
 * before SO_PEERCRED says the listener is root, our effective uid or a
 * uid $IOASIDD_TRUST_UID names (chan_peer_trusted()), on a connection we
 * open and on a context socket we inherited alike.
 *
 * Caller memory is read and written with process_vm_readv/writev on our own
 * pid, so a bad pointer becomes EFAULT (a WIRE_R_FAULT region on the way
 * out, a failed write on the way back) and never a crash. Where a seccomp
 * policy refuses those calls (container runtimes' default profiles do,
 * short of CAP_SYS_PTRACE), pread and pwrite on our own /proc/self/mem do
 * the same, except that a write through /proc/self/mem also lands in
 * read-only memory, where the kernel's copy would fail with EFAULT. A
 * reply that made an object and could not be applied is followed by
 * WIRE_UNWRITTEN, so that the daemon aborts the object as the kernel
 * would (proto/wire.h, New objects).
 *
 * Cost. An ioctl is one fstat (the descriptor may have been closed and its
 * number reused since the last call), the sendmsg and recvmsg of the
 * exchange, an rt_sigprocmask pair off the common path and, for commands
 * that write outside their struct, one process_vm_writev for all their
 * writes. A command that writes only its own struct takes the reply in
 * place (proto/wire.h): the recvmsg puts the struct's new bytes straight
 * into caller memory, so the kernel's copy is the fault-safe write. A
 * command whose struct points to nothing it reads and names no descriptor
 * goes out as it lies in caller memory (WIRE_R_SIZED):
 * the kernel's copy in sendmsg is the fault-safe read, and only when it
 * faults, or the daemon finds the struct longer than what was sent, is it
 * read the careful way and sent again. Other commands read their struct
 * and size with one process_vm_readv. A mapping command also carries our
 * /proc/self/mem, opened once per process and access mode (and its flags,
 * which say which, are read first when it goes as it lies). Small requests
 * are built on the stack and replies land in a buffer each table entry
 * keeps.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "chan.h"
#include "uapi.h"
#include "wire.h"

/* Entries in the table; an old one is recycled when it is full. */
#define CHAN_MAX		64
/* Socket identities remembered by chan_is_ours(). */
#define CHAN_CACHE		64
/* Socket paths we have connected to. */
#define CHAN_PATHS		8
/*
 * The most of a struct we send when its size field is larger than the
 * struct; the kernel would check every byte past its own size is zero, and
 * a caller asking for more than this gets EFAULT instead.
 */
#define CHAN_STRUCT_MAX		(16u << 20)
/* Structs up to this size are read and parsed on the stack. */
#define CHAN_SMALL		512
/* Writes of one reply applied with one process_vm_writev. */
#define CHAN_WRITES		16
/* chan_exchange(): the daemon asks for the struct again (WIRE_RF_RETRY). */
#define CHAN_RETRY		(-4096 - 1)

struct chan {
	int		 used;
	dev_t		 dev;		/* context socket identity */
	ino_t		 ino;
	int		 direct;	/* this process opened it */
	int		 chfd;		/* private channel, or -1 */
	ino_t		 chino;		/* its identity */
	uint32_t	 seq;
	int		 clean;		/* no reply is left unread: an
					   in-place reply may be taken */
	int		 refused;	/* its daemon is not one we trust
					   (chan_peer_trusted() said so) */
	unsigned long	 stamp;		/* last use, for recycling */
	pthread_mutex_t	 lock;		/* the exchange */
	uint8_t		*rbuf;		/* WIRE_RECV_BUF bytes for replies,
					   made on first use, kept when the
					   entry is recycled; under lock */
};

struct chan_known {
	dev_t		 dev;
	ino_t		 ino;
	int		 ours;
};

static pthread_mutex_t	chan_tlock = PTHREAD_MUTEX_INITIALIZER;
static struct chan	chan_tab[CHAN_MAX];
static unsigned long	chan_clock;
static struct chan_known chan_cache[CHAN_CACHE];
static unsigned int	chan_ncache, chan_cache_next;
static char		chan_paths[CHAN_PATHS][sizeof(((struct sockaddr_un *)
			    0)->sun_path)];
static unsigned int	chan_npaths;
/* The process the table belongs to; 0 before the first call. */
static pid_t		chan_owner;
/* Held while a new process takes the table over. */
static int		chan_fixing;
/*
 * One byte in a page the kernel wipes in a forked child: non-zero while
 * chan_owner is right. NULL until the first call, and for good where the
 * kernel lacks MADV_WIPEONFORK (every call then asks getpid()).
 */
static uint8_t		*chan_forkmark;
static int		 chan_forkmark_tried;

/*
 * What a thread is doing. held is the entry whose exchange it runs with
 * signals open (so a handler that calls in must not wait for that lock);
 * hint is the entry of the socket it used last, which lets the common
 * call skip chan_tlock.
 */
struct chan_thread {
	struct chan	*held;
	struct chan	*hint;
	dev_t		 hint_dev;
	ino_t		 hint_ino;
};

/* Initial-exec: read on every call, and small enough for any dlopen(). */
static __thread struct chan_thread chan_th
    __attribute__((__tls_model__("initial-exec")));
static long	chan_pagesize;

/*
 * This thread's fail-nth count (proto/wire.h, Allocation-failure
 * injection): sent with every request, replaced by what the reply says is
 * left of it. Only the daemon's allocation points count it down.
 */
static __thread unsigned int chan_fail_nth
    __attribute__((__tls_model__("initial-exec")));

/*
 * Our /proc/self/mem, opened read-only ([0]) and read-write ([1]) on
 * first use, reopened in every new process: the read-write one serves
 * chan_vm() once process_vm_readv/writev have been refused, and each goes
 * with a request that maps our memory (chan_gather()).
 */
static int	chan_vm_refused;
static int	chan_vm_fd[2] = { -1, -1 };
static ino_t	chan_vm_ino;

static int	chan_ours(int, dev_t, ino_t);

/* Signals blocked and cancellation off around one exchange. */
struct chan_guard {
	sigset_t	old;
	int		cancel;
};

static void
chan_guard_enter(struct chan_guard *g)
{
	sigset_t	all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &g->old);
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &g->cancel);
}

static void
chan_guard_leave(struct chan_guard *g)
{
	int	dummy;

	pthread_setcancelstate(g->cancel, &dummy);
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

static long
chan_page(void)
{
	long	pg = __atomic_load_n(&chan_pagesize, __ATOMIC_RELAXED);

	if (pg == 0) {
		pg = sysconf(_SC_PAGESIZE);
		__atomic_store_n(&chan_pagesize, pg, __ATOMIC_RELAXED);
	}
	return (pg);
}

const char *
chan_default_path(void)
{
	const char	*p;

	p = secure_getenv(WIRE_ENV_SOCKET);
	if (p == NULL || *p == '\0')
		p = WIRE_DEFAULT_SOCKET;
	return (p);
}

/* The identity of a descriptor: 0, or -errno. */
static int
chan_ident(int fd, dev_t *dev, ino_t *ino, mode_t *mode)
{
	struct stat	st;

	*dev = 0;
	*ino = 0;
	if (fstat(fd, &st) == -1)
		return (-errno);
	*dev = st.st_dev;
	*ino = st.st_ino;
	if (mode != NULL)
		*mode = st.st_mode;
	return (0);
}

/*
 * Is an entry's private channel still the socket we made? The program may
 * have closed the number, or closed it and reused it for something else.
 */
static int
chan_chfd_ours(const struct chan *c)
{
	dev_t	dev;
	ino_t	ino;

	return (c->chfd != -1 && chan_ident(c->chfd, &dev, &ino, NULL) == 0 &&
	    ino == c->chino);
}

/* A daemon that went away mid-exchange is EIO to the caller. */
static long
chan_gone_eio(long result)
{
	if (result == -EPIPE || result == -ECONNRESET || result == -ENOTCONN ||
	    result == -ECONNREFUSED)
		return (-EIO);
	return (result);
}

/*
 * Is uid one that $IOASIDD_TRUST_UID names? The variable holds user
 * numbers or names separated by commas; it is not read in a set-id
 * program (secure_getenv), whose invoker must not choose its daemon.
 */
static int
chan_trust_named(uid_t uid)
{
	struct passwd	 pw, *pwp;
	const char	*v, *p;
	char		 tok[LOGIN_NAME_MAX + 1], pwbuf[1024], *end;
	unsigned long	 n;
	size_t		 len;

	if ((v = secure_getenv(WIRE_ENV_TRUST)) == NULL)
		return (0);
	for (p = v; *p != '\0'; p += len + (p[len] == ',')) {
		len = strcspn(p, ",");
		if (len == 0 || len >= sizeof(tok))
			continue;
		memcpy(tok, p, len);
		tok[len] = '\0';
		errno = 0;
		n = strtoul(tok, &end, 10);
		if (*end == '\0' && errno == 0 && tok[0] >= '0' &&
		    tok[0] <= '9') {
			if (n == (unsigned long)uid)
				return (1);
			continue;
		}
		if (getpwnam_r(tok, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 &&
		    pwp != NULL && pwp->pw_uid == uid)
			return (1);
	}
	return (0);
}

/*
 * May we talk to the daemon behind fd, named name in the message? Its
 * peer's uid (the listener's, as the kernel recorded it at listen()) must
 * be root, our effective uid, or one $IOASIDD_TRUST_UID names: whoever
 * listens is handed our requests and, with the mapping commands, a way
 * into our memory. The effective uid and not the real one, since the
 * process and its memory are the effective user's. Anyone else gets
 * nothing sent, one line on stderr and -EACCES.
 */
static int
chan_peer_trusted(int fd, const char *name)
{
	struct ucred	cr;
	socklen_t	len = sizeof(cr);
	char		line[PATH_MAX + 256];
	uid_t		me = geteuid();
	int		n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    len != sizeof(cr))
		return (-EACCES);
	if (cr.uid == 0 || cr.uid == me || chan_trust_named(cr.uid))
		return (0);
	n = snprintf(line, sizeof(line), "ioasid: not using %s: it is served "
	    "by uid %u, not by root or uid %u; set %s=%u to trust that "
	    "user\n", name, (unsigned int)cr.uid, (unsigned int)me,
	    WIRE_ENV_TRUST, (unsigned int)cr.uid);
	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
	return (-EACCES);
}

/* Open our own /proc/self/mem without going through any open() wrapper. */
static int
chan_memfd(int rw)
{
	long	fd;

	fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/mem",
	    (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	return (fd < 0 ? -1 : (int)fd);
}

/* Map the fork mark page; under chan_fixing. */
static void
chan_forkmark_init(void)
{
	void	*p;

	if (chan_forkmark_tried)
		return;
	p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED && madvise(p, (size_t)sysconf(_SC_PAGESIZE),
	    MADV_WIPEONFORK) != 0) {
		munmap(p, (size_t)sysconf(_SC_PAGESIZE));
		p = MAP_FAILED;
	}
	if (p != MAP_FAILED)
		__atomic_store_n(&chan_forkmark, (uint8_t *)p,
		    __ATOMIC_RELEASE);
	__atomic_store_n(&chan_forkmark_tried, 1, __ATOMIC_RELEASE);
}

/*
 * The first call in a new process: forget the parent's view. Channels the
 * parent made are closed (if the number still holds the same socket; a
 * program may have closed and reused it), and contexts the parent opened
 * are reached through new private channels from now on. Returns our pid.
 */
static pid_t
chan_takeover(void)
{
	struct chan	*c;
	dev_t		 dev;
	ino_t		 ino;
	pid_t		 me;
	unsigned int	 i;

	me = getpid();
	while (__atomic_exchange_n(&chan_fixing, 1, __ATOMIC_ACQUIRE) != 0)
		sched_yield();
	chan_forkmark_init();
	if (__atomic_load_n(&chan_owner, __ATOMIC_ACQUIRE) != me) {
		/* Locks may have been held by threads that did not follow. */
		pthread_mutex_init(&chan_tlock, NULL);
		for (i = 0; i < CHAN_MAX; i++) {
			c = &chan_tab[i];
			pthread_mutex_init(&c->lock, NULL);
			if (!c->used)
				continue;
			if (chan_chfd_ours(c))
				close(c->chfd);
			c->chfd = -1;
			c->direct = 0;
			c->refused = 0;
		}
		/* The parent's /proc/self/mem reads the parent. */
		for (i = 0; i < 2; i++) {
			if (chan_vm_fd[i] == -1)
				continue;
			if (chan_ident(chan_vm_fd[i], &dev, &ino, NULL) == 0 &&
			    ino == chan_vm_ino)
				close(chan_vm_fd[i]);
			__atomic_store_n(&chan_vm_fd[i], -1, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&chan_owner, me, __ATOMIC_RELEASE);
	}
	if (chan_forkmark != NULL)
		__atomic_store_n(chan_forkmark, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&chan_fixing, 0, __ATOMIC_RELEASE);
	return (me);
}

/* Our pid, taking the table over first if this is a new process. */
static pid_t
chan_self(void)
{
	uint8_t	*mark;

	pid_t	 me;

	mark = __atomic_load_n(&chan_forkmark, __ATOMIC_ACQUIRE);
	if (mark != NULL) {
		if (__atomic_load_n(mark, __ATOMIC_ACQUIRE) != 0)
			return (__atomic_load_n(&chan_owner, __ATOMIC_ACQUIRE));
	} else if (__atomic_load_n(&chan_forkmark_tried, __ATOMIC_ACQUIRE)) {
		/* No fork mark: ask who we are every time. */
		me = getpid();
		if (__atomic_load_n(&chan_owner, __ATOMIC_ACQUIRE) == me)
			return (me);
	}
	return (chan_takeover());
}

/* Remember a socket's verdict; chan_tlock held. */
static void
chan_cache_put(dev_t dev, ino_t ino, int ours)
{
	struct chan_known	*k;
	unsigned int		 i;

	for (i = 0; i < chan_ncache; i++) {
		k = &chan_cache[i];
		if (k->dev == dev && k->ino == ino) {
			k->ours = ours;
			return;
		}
	}
	if (chan_ncache < CHAN_CACHE)
		k = &chan_cache[chan_ncache++];
	else {
		k = &chan_cache[chan_cache_next];
		chan_cache_next = (chan_cache_next + 1) % CHAN_CACHE;
	}
	k->dev = dev;
	k->ino = ino;
	k->ours = ours;
}

/* Remember a path the daemon answers on; chan_tlock held. */
static void
chan_path_add(const char *path)
{
	unsigned int	i;

	if (strlen(path) >= sizeof(chan_paths[0]))
		return;
	for (i = 0; i < chan_npaths; i++) {
		if (strcmp(chan_paths[i], path) == 0)
			return;
	}
	if (chan_npaths == CHAN_PATHS)
		return;
	snprintf(chan_paths[chan_npaths++], sizeof(chan_paths[0]), "%s", path);
}

/* Is this socket's peer one of our daemons? chan_tlock held. */
static int
chan_peer_ours(int fd)
{
	struct sockaddr_un	sun;
	socklen_t		len = sizeof(sun);
	const char		*def;
	char			path[sizeof(sun.sun_path) + 1];
	unsigned int		i;
	int			type;
	socklen_t		tlen = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1 ||
	    type != SOCK_SEQPACKET)
		return (0);
	memset(&sun, 0, sizeof(sun));
	if (getpeername(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    sun.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un,
	    sun_path) || sun.sun_path[0] == '\0')
		return (0);
	len -= offsetof(struct sockaddr_un, sun_path);
	memcpy(path, sun.sun_path, len);
	path[len] = '\0';
	for (i = 0; i < chan_npaths; i++) {
		if (strcmp(path, chan_paths[i]) == 0)
			return (1);
	}
	def = chan_default_path();
	return (strcmp(path, def) == 0);
}

int
chan_is_ours(int fd)
{
	dev_t	dev;
	ino_t	ino;
	mode_t	mode;
	int	ours, saved = errno;

	ours = fd >= 0 && chan_ident(fd, &dev, &ino, &mode) == 0 &&
	    S_ISSOCK(mode) && chan_ours(fd, dev, ino);
	errno = saved;
	return (ours);
}

/* Release what an entry holds; its lock held (or nobody else sees it). */
static void
chan_entry_reset(struct chan *c)
{
	if (chan_chfd_ours(c))
		close(c->chfd);
	c->chfd = -1;
	c->direct = 0;
	c->seq = 0;
	c->clean = 0;
}

/*
 * The entry for the socket (dev, ino), made if needed, recycling the
 * least recently used one when the table is full. Returns it locked (its
 * exchange lock), or NULL when it is the entry this thread holds already
 * (a signal handler calling in during an exchange), which is left alone.
 */
static struct chan *
chan_entry(dev_t dev, ino_t ino, int direct)
{
	struct chan	*c, *old = NULL, *freec = NULL;
	struct chan	*held = chan_th.held;
	unsigned int	 i;

	pthread_mutex_lock(&chan_tlock);
	for (i = 0; i < CHAN_MAX; i++) {
		c = &chan_tab[i];
		if (!c->used) {
			if (freec == NULL)
				freec = c;
			continue;
		}
		if (c->dev == dev && c->ino == ino) {
			if (c == held) {
				pthread_mutex_unlock(&chan_tlock);
				return (NULL);
			}
			goto found;
		}
		if (c != held && (old == NULL || c->stamp < old->stamp))
			old = c;
	}
	c = freec != NULL ? freec : old;
	pthread_mutex_lock(&c->lock);
	if (c->used)
		chan_entry_reset(c);
	c->used = 1;
	c->dev = dev;
	c->ino = ino;
	c->direct = direct;
	c->chfd = -1;
	c->seq = 0;
	c->clean = 0;
	c->refused = 0;
	c->stamp = ++chan_clock;
	pthread_mutex_unlock(&chan_tlock);
	return (c);

found:
	c->stamp = ++chan_clock;
	pthread_mutex_unlock(&chan_tlock);
	pthread_mutex_lock(&c->lock);
	/* Recycled while we waited: start again. */
	if (!c->used || c->dev != dev || c->ino != ino) {
		pthread_mutex_unlock(&c->lock);
		return (chan_entry(dev, ino, direct));
	}
	if (direct && !c->direct) {
		/* A new open that got a recycled inode. */
		chan_entry_reset(c);
		c->direct = 1;
	}
	return (c);
}

int
chan_open(const char *path, int oflags)
{
	return (chan_open_node(path, oflags, WIRE_NODE_IOMMU, 0));
}

int
chan_open_node(const char *path, int oflags, unsigned int node,
    unsigned int index)
{
	struct sockaddr_un	 sun;
	struct chan_guard	 g;
	struct wire_hello	 hello;
	struct wire_hello_reply	 hr;
	struct wire_msg		 m;
	struct chan		*c;
	socklen_t		 len;
	dev_t			 dev;
	ino_t			 ino;
	int			 fd, error;

	if (path == NULL)
		path = chan_default_path();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	(void)chan_self();
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	chan_guard_enter(&g);
	do
		error = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	while (error == -1 && errno == EINTR);
	if (error == -1) {
		error = -errno;
		goto fail;
	}
	if ((error = chan_peer_trusted(fd, path)) != 0)
		goto fail;

	/* Our own end goes along: it is how the daemon knows us later. */
	memset(&hello, 0, sizeof(hello));
	hello.version = WIRE_VERSION;
	hello.node = (uint16_t)node;
	hello.index = index;
	error = wire_send(fd, WIRE_HELLO, 0, 0, &hello, sizeof(hello), &fd,
	    1, 0);
	if (error != 0) {
		error = -ECONNREFUSED;
		goto fail;
	}
	if ((error = wire_recv(fd, &m, 0)) != 0) {
		error = -ECONNREFUSED;
		goto fail;
	}
	memset(&hr, 0, sizeof(hr));
	if (m.hdr.op == WIRE_HELLO_REPLY && m.len >= sizeof(hr.version))
		memcpy(&hr, m.payload,
		    m.len < sizeof(hr) ? m.len : sizeof(hr));
	if (m.hdr.op != WIRE_HELLO_REPLY || hr.version != WIRE_VERSION ||
	    m.len < sizeof(hr)) {
		if (m.hdr.op == WIRE_HELLO_REPLY && hr.version != WIRE_VERSION)
			fprintf(stderr, "ioasid: the daemon at %s speaks "
			    "protocol version %u, this library %u; use the "
			    "library that came with the daemon\n", path,
			    hr.version, WIRE_VERSION);
		wire_msg_clear(&m);
		error = -EPROTO;
		goto fail;
	}
	wire_msg_clear(&m);
	if (hr.error < 0) {
		error = hr.error;
		goto fail;
	}

	if ((error = chan_ident(fd, &dev, &ino, NULL)) != 0)
		goto fail;
	pthread_mutex_lock(&chan_tlock);
	/* The daemon's own name for itself, whatever path we used. */
	memset(&sun, 0, sizeof(sun));
	len = sizeof(sun);
	if (getpeername(fd, (struct sockaddr *)&sun, &len) == 0 &&
	    len > offsetof(struct sockaddr_un, sun_path) &&
	    len - offsetof(struct sockaddr_un, sun_path) <
	    sizeof(sun.sun_path)) {
		sun.sun_path[len - offsetof(struct sockaddr_un, sun_path)] =
		    '\0';
		chan_path_add(sun.sun_path);
	}
	chan_path_add(path);
	chan_cache_put(dev, ino, 1);
	pthread_mutex_unlock(&chan_tlock);
	if ((c = chan_entry(dev, ino, 1)) != NULL) {
		c->clean = 1;
		pthread_mutex_unlock(&c->lock);
	}

	if (!(oflags & O_CLOEXEC))
		(void)fcntl(fd, F_SETFD, 0);
	chan_guard_leave(&g);
	return (fd);

fail:
	close(fd);
	chan_guard_leave(&g);
	errno = -error;
	return (-1);
}

/*
 * Make this process's private channel to the context behind fd: a
 * socketpair whose far end (with SO_PASSCRED already set, so that even the
 * first request carries credentials) goes to the daemon over the context
 * socket. The daemon answers nothing there; if it refuses the channel it
 * closes its end and our first exchange sees end of file.
 */
static int
chan_channel(struct chan *c, int fd)
{
	struct sockaddr_un	sun;
	struct wire_hello	hello;
	socklen_t		len = sizeof(sun);
	dev_t			dev;
	char			name[sizeof(sun.sun_path) + 1];
	int			sv[2], one = 1, error;

	/* An inherited socket is checked as an opened one is. */
	memset(&sun, 0, sizeof(sun));
	snprintf(name, sizeof(name), "descriptor %d", fd);
	if (getpeername(fd, (struct sockaddr *)&sun, &len) == 0 &&
	    len > offsetof(struct sockaddr_un, sun_path) &&
	    sun.sun_path[0] != '\0') {
		len -= offsetof(struct sockaddr_un, sun_path);
		memcpy(name, sun.sun_path, len);
		name[len] = '\0';
	}
	if ((error = chan_peer_trusted(fd, name)) != 0)
		return (error);

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return (-errno);
	(void)setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	memset(&hello, 0, sizeof(hello));
	hello.version = WIRE_VERSION;
	error = wire_send(fd, WIRE_CHANNEL, 0, 0, &hello, sizeof(hello),
	    &sv[1], 1, 0);
	close(sv[1]);
	if (error == 0)
		error = chan_ident(sv[0], &dev, &c->chino, NULL);
	if (error != 0) {
		close(sv[0]);
		return (error == -EPIPE || error == -ECONNRESET ? -EIO : error);
	}
	c->chfd = sv[0];
	c->seq = 0;
	c->clean = 1;
	return (0);
}

/*
 * Our /proc/self/mem, read-write or read-only, opened on first use; -1 if
 * it can't be. The program may have closed the number since, and reused
 * it for another file, which must not go to the daemon in its place: the
 * identity is asked first (all opens of it share one inode).
 */
static int
chan_vm_memfd(int rw)
{
	dev_t	dev;
	ino_t	ino;
	int	fd, none = -1;

	if ((fd = __atomic_load_n(&chan_vm_fd[rw], __ATOMIC_ACQUIRE)) != -1) {
		if (chan_ident(fd, &dev, &ino, NULL) == 0 &&
		    ino == __atomic_load_n(&chan_vm_ino, __ATOMIC_RELAXED))
			return (fd);
		/* No longer ours: forget the number, never close it. */
		none = fd;
		(void)__atomic_compare_exchange_n(&chan_vm_fd[rw], &none, -1,
		    0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		none = -1;
	}
	if ((fd = chan_memfd(rw)) == -1 ||
	    chan_ident(fd, &dev, &ino, NULL) != 0) {
		if (fd != -1)
			close(fd);
		return (-1);
	}
	__atomic_store_n(&chan_vm_ino, ino, __ATOMIC_RELAXED);
	if (!__atomic_compare_exchange_n(&chan_vm_fd[rw], &none, fd, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Another thread was first. */
		close(fd);
		return (none);
	}
	return (fd);
}

/*
 * Move bytes between our buffers and our own memory at remote addresses,
 * n pairs of iovecs of equal lengths, fault-safely: what
 * process_vm_readv/writev(me, ...) return, the bytes moved up to the first
 * that could not be (-1 and EFAULT if none). Where those calls are refused,
 * pread/pwrite on /proc/self/mem from then on.
 */
static ssize_t
chan_vm(pid_t me, int write, const struct iovec *local,
    const struct iovec *remote, unsigned int n)
{
	ssize_t		done = 0, k;
	size_t		total = 0;
	unsigned int	i;
	int		fd;

	if (!__atomic_load_n(&chan_vm_refused, __ATOMIC_RELAXED)) {
		k = write ? process_vm_writev(me, local, n, remote, n, 0) :
		    process_vm_readv(me, local, n, remote, n, 0);
		if (k >= 0 || (errno != EPERM && errno != ENOSYS))
			return (k);
		__atomic_store_n(&chan_vm_refused, 1, __ATOMIC_RELAXED);
	}
	fd = chan_vm_memfd(1);
	for (i = 0; i < n; i++) {
		total += local[i].iov_len;
		if (fd == -1 || local[i].iov_len == 0)
			continue;
		/* An address past the largest offset is a fault too. */
		if ((uintptr_t)remote[i].iov_base > (uintptr_t)INT64_MAX)
			break;
		k = write ? pwrite(fd, local[i].iov_base, local[i].iov_len,
		    (off_t)(uintptr_t)remote[i].iov_base) :
		    pread(fd, local[i].iov_base, local[i].iov_len,
		    (off_t)(uintptr_t)remote[i].iov_base);
		if (k <= 0)
			break;
		done += k;
		if ((size_t)k != local[i].iov_len)
			break;
	}
	if (done == 0 && total != 0) {
		errno = EFAULT;
		return (-1);
	}
	return (done);
}

/* How many bytes from uaddr on we can read (all of len, or a prefix). */
static size_t
chan_peek(uint64_t uaddr, void *buf, size_t len, pid_t me)
{
	struct iovec	local, remote;
	size_t		done = 0, chunk;
	ssize_t		n;
	long		pg = chan_page();

	if (len == 0)
		return (0);
	local.iov_base = buf;
	local.iov_len = len;
	remote.iov_base = (void *)(uintptr_t)uaddr;
	remote.iov_len = len;
	n = chan_vm(me, 0, &local, &remote, 1);
	if (n >= 0 && (size_t)n == len)
		return (len);
	/* Find the readable prefix one page at a time. */
	while (done < len) {
		chunk = pg - ((uaddr + done) & (pg - 1));
		if (chunk > len - done)
			chunk = len - done;
		local.iov_base = (uint8_t *)buf + done;
		local.iov_len = chunk;
		remote.iov_base = (void *)(uintptr_t)(uaddr + done);
		remote.iov_len = chunk;
		n = chan_vm(me, 0, &local, &remote, 1);
		if (n <= 0)
			break;
		done += n;
		if ((size_t)n != chunk)
			break;
	}
	return (done);
}

static int
chan_poke(uint64_t uaddr, const void *buf, size_t len, pid_t me)
{
	struct iovec	local, remote;
	ssize_t		n;

	if (len == 0)
		return (0);
	local.iov_base = (void *)(uintptr_t)buf;
	local.iov_len = len;
	remote.iov_base = (void *)(uintptr_t)uaddr;
	remote.iov_len = len;
	n = chan_vm(me, 1, &local, &remote, 1);
	if (n < 0 || (size_t)n != len)
		return (-EFAULT);
	return (0);
}

/* One request being put together. */
struct chan_req {
	struct wire_region	 regions[WIRE_MAX_REGIONS];
	uint8_t			*data[WIRE_MAX_REGIONS];	/* owned unless
								   == small */
	unsigned int		 nregions;
	struct wire_fd		 wfds[WIRE_MAX_FDS];
	int			 fds[WIRE_MAX_FDS];
	unsigned int		 nwfds;
	int			 nfds;
	uint64_t		 total;
	int			 borrowed;	/* data[0] is caller memory */
	int			 inplace;	/* the reply may be received
						   into data[0] */
	int			 memfd;		/* fds[nfds - 1] is our
						   /proc/self/mem (not owned) */
	/* The struct when it is small; 8-aligned for uapi_get(). */
	uint64_t		 small[CHAN_SMALL / sizeof(uint64_t)];
};

static void
chan_req_free(struct chan_req *r)
{
	unsigned int	i;

	for (i = 0; i < r->nregions; i++) {
		if (r->data[i] != (uint8_t *)r->small &&
		    !(i == 0 && r->borrowed))
			free(r->data[i]);
	}
	memset(r, 0, offsetof(struct chan_req, small));
}

/*
 * Does a command that maps our memory (uapi_cmd_maps_uva()) ask for the
 * mapping to be writable? Its flags say; a command we do not know the
 * flags of is taken to write.
 */
static int
chan_map_writes(const struct uapi_cmd *uc, const uint8_t *sbuf, size_t have)
{
	const struct uapi_field	*f;
	uint64_t		 flags, bit;

	switch (uc->num) {
	case IOMMU_IOAS_MAP:
		bit = IOMMU_IOAS_MAP_WRITEABLE;
		break;
	case VFIO_IOMMU_MAP_DMA:
		bit = VFIO_DMA_MAP_FLAG_WRITE;
		break;
	default:
		return (1);
	}
	if ((f = uapi_field_byname(uc->st, "flags")) == NULL)
		return (1);
	flags = (size_t)f->off + f->width <= have ? uapi_get(f, sbuf) : 0;
	return ((flags & bit) != 0);
}

/*
 * Send our /proc/self/mem with a request that maps our memory: read-only
 * unless the mapping is to be writable. The daemon keeps it only while a
 * mapping made from it lives (proto/wire.h). Without it the daemon opens
 * /proc/<pid>/mem itself if it may.
 */
static void
chan_req_memfd(struct chan_req *r, int rw)
{
	int	fd;

	if (r->nfds >= WIRE_MAX_FDS || (fd = chan_vm_memfd(rw != 0)) == -1)
		return;
	r->fds[r->nfds++] = fd;
	r->memfd = 1;
}

/*
 * A command whose struct is sent as it lies (WIRE_R_SIZED): one layout,
 * no caller buffer it reads, no descriptor it names. Returns 1 with
 * region 0 made over caller memory: as much of the struct as our table
 * knows, but not past the page holding its size field, which the kernel
 * reads anyway. The bytes are read by sendmsg itself.
 */
static int
chan_gather_sized(struct chan_req *r, const struct uapi_cmd *uc, void *arg,
    pid_t me)
{
	const struct uapi_struct	*st;
	const struct uapi_field		*f;
	uint64_t			 uaddr = (uintptr_t)arg;
	uint64_t			 pg = (uint64_t)chan_page();
	uint64_t			 head[2];
	size_t				 len, flen = 0;
	int				 i, inplace = 1, uva = 0;

	if (uc == NULL || (uc->argkind != UA_SIZED &&
	    uc->argkind != UA_ARGSZ) || (st = uc->st) == NULL || st->sel >= 0 ||
	    uaddr == 0)
		return (0);
	for (i = 0; i < st->nfields; i++) {
		f = &st->fields[i];
		if (f->kind == UK_FD && (f->dir & UD_IN))
			return (0);
		if (f->kind == UK_UPTR && (f->buf_dir & UD_IN))
			return (0);
		if (f->kind == UK_UVA)
			uva = 1;
		/* Writes elsewhere, or a descriptor: an ordinary reply. */
		if (f->kind == UK_UPTR || f->kind == UK_FD)
			inplace = 0;
	}
	len = st->size;
	if (len > pg - (uaddr & (pg - 1)))
		len = pg - (uaddr & (pg - 1));
	if (len < sizeof(uint32_t))
		return (0);
	/*
	 * A mapping command: its flags, read here (a fault sends it the
	 * careful way, with nothing made yet), say which mem file goes.
	 */
	if (uva && ((f = uapi_field_byname(st, "flags")) == NULL ||
	    (flen = (size_t)f->off + f->width) > sizeof(head) ||
	    chan_peek(uaddr, head, flen, me) != flen))
		return (0);
	memset(&r->regions[0], 0, sizeof(r->regions[0]));
	r->regions[0].uaddr = uaddr;
	r->regions[0].len = len;
	r->regions[0].flags = WIRE_R_SIZED;
	r->data[0] = arg;
	r->nregions = 1;
	r->total = len;
	r->borrowed = 1;
	r->inplace = inplace && len <= CHAN_SMALL;
	if (uva)
		chan_req_memfd(r, chan_map_writes(uc, (uint8_t *)head, flen));
	return (1);
}

/*
 * Add caller memory [uaddr, uaddr + len) to the request, cut at the end of
 * the address space: the part we can read as one region, the rest as a
 * fault region. More than the request may still carry goes as one region
 * without data: not carried, or a fault if not even its first byte can be
 * read. Fails only when the request is full.
 */
static int
chan_req_mem(struct chan_req *r, uint64_t uaddr, uint64_t len, pid_t me,
    uint8_t **copy)
{
	struct wire_region	*w;
	uint8_t			*buf = NULL, byte;
	size_t			 got = 0;

	if (copy != NULL)
		*copy = NULL;
	if (r->nregions + 2 > WIRE_MAX_REGIONS)
		return (-E2BIG);
	len = wire_region_cut(uaddr, len);
	if (len != 0 && !wire_carries(r->total, len)) {
		w = &r->regions[r->nregions];
		memset(w, 0, sizeof(*w));
		w->uaddr = uaddr;
		w->len = len;
		w->flags = uaddr != 0 && chan_peek(uaddr, &byte, 1, me) == 1 ?
		    WIRE_R_NOTCARRIED : WIRE_R_FAULT;
		r->data[r->nregions++] = NULL;
		return (0);
	}
	if (uaddr != 0 && len != 0) {
		if ((buf = malloc(len)) == NULL)
			return (-ENOMEM);
		got = chan_peek(uaddr, buf, len, me);
	}
	if (got != 0) {
		w = &r->regions[r->nregions];
		memset(w, 0, sizeof(*w));
		w->uaddr = uaddr;
		w->len = got;
		r->data[r->nregions++] = buf;
		r->total += got;
		if (copy != NULL)
			*copy = buf;
	} else
		free(buf);
	if (got < len) {
		w = &r->regions[r->nregions];
		memset(w, 0, sizeof(*w));
		w->uaddr = uaddr + got;
		w->len = len - got;
		w->flags = WIRE_R_FAULT;
		r->data[r->nregions++] = NULL;
	}
	return (0);
}

/*
 * The struct of a command the common way, in one process_vm_readv: read
 * as much of it as our table knows (but not past the page holding its
 * size field, which the kernel reads anyway, so nothing is touched that
 * the kernel would not touch) and take the size from that. Returns 1 with
 * region 0 made when that was enough, 0 when the careful way must be
 * taken (a fault, a size beyond what was read, a struct across a page).
 */
static int
chan_struct_fast(struct chan_req *r, uint64_t uaddr, size_t known,
    uint32_t floor, pid_t me)
{
	struct iovec	local, remote;
	uint64_t	pg = (uint64_t)chan_page();
	uint32_t	size;
	size_t		want;
	ssize_t		n;

	want = known > sizeof(size) ? known : sizeof(size);
	if (want > sizeof(r->small))
		return (0);
	if (want > pg - (uaddr & (pg - 1)))
		want = pg - (uaddr & (pg - 1));
	if (want < sizeof(size))
		return (0);
	local.iov_base = r->small;
	local.iov_len = want;
	remote.iov_base = (void *)(uintptr_t)uaddr;
	remote.iov_len = want;
	n = chan_vm(me, 0, &local, &remote, 1);
	if (n < 0 || (size_t)n != want)
		return (0);
	memcpy(&size, r->small, sizeof(size));
	if (size < floor)
		size = floor;
	if (size > want)
		return (0);
	memset(&r->regions[0], 0, sizeof(r->regions[0]));
	r->regions[0].uaddr = uaddr;
	r->regions[0].len = size;
	r->data[0] = (uint8_t *)r->small;
	r->nregions = 1;
	r->total = size;
	return (1);
}

/*
 * Attach caller descriptor cfd (once) for a UK_FD field or a UK_FDS
 * element. -E2BIG when the request holds as many as a message carries.
 */
static int
chan_req_fd(struct chan_req *r, int cfd)
{
	struct wire_fd	*w;
	unsigned int	 i;

	for (i = 0; i < r->nwfds; i++) {
		if (r->wfds[i].cfd == cfd)
			return (0);
	}
	if (r->nwfds == WIRE_MAX_FDS)
		return (-E2BIG);
	w = &r->wfds[r->nwfds++];
	w->cfd = cfd;
	w->index = -1;
	if (cfd >= 0 && fcntl(cfd, F_GETFD) != -1) {
		if (r->nfds == WIRE_MAX_FDS)
			return (-E2BIG);
		w->index = r->nfds;
		r->fds[r->nfds++] = cfd;
	}
	return (0);
}

static int
chan_gather_fds(struct chan_req *r, const struct uapi_struct *st,
    const uint8_t *sbuf, size_t have)
{
	int32_t		fds[WIRE_MAX_FDS];
	int		n, i, error = 0;

	if ((n = uapi_fds(st, sbuf, have, fds, WIRE_MAX_FDS)) < 0)
		return (-E2BIG);
	for (i = 0; i < n && error == 0; i++)
		error = chan_req_fd(r, fds[i]);
	return (error);
}

/*
 * Gather what the command reads: its struct (as long as its size field
 * says, or nothing for value commands), every caller buffer it reads, and
 * the descriptors its fd fields name.
 */
static int
chan_gather(struct chan_req *r, unsigned long cmd, void *arg, pid_t me,
    int dev)
{
	const struct uapi_cmd		*uc;
	const struct uapi_struct	*st;
	const struct uapi_field		*f;
	struct uapi_buf			 bufs[UAPI_MAX_BUFS];
	uint64_t			 uaddr = (uintptr_t)arg;
	uint64_t			 stack[CHAN_SMALL / sizeof(uint64_t)];
	uint32_t			 size, floor;
	uint8_t				*copy, *sbuf;
	size_t				 have, slen;
	int				 n, i, error = 0;

	uc = uapi_cmd_find_on(cmd, dev);
	if (uc == NULL || (uc->argkind != UA_SIZED &&
	    uc->argkind != UA_ARGSZ) || uc->st == NULL)
		return (0);
	/*
	 * An iommufd command reads size bytes. A VFIO command reads its
	 * minimal struct whatever argsz says (and then refuses a small
	 * argsz with EINVAL), so at least that much goes.
	 */
	floor = sizeof(size);
	if (uc->argkind == UA_ARGSZ && uc->st->min_size > floor)
		floor = uc->st->min_size;

	if (chan_struct_fast(r, uaddr, uc->st->size, floor, me))
		copy = r->data[0];
	else {
		if (chan_peek(uaddr, &size, sizeof(size), me) !=
		    sizeof(size)) {
			r->regions[0].uaddr = uaddr;
			r->regions[0].len = wire_region_cut(uaddr,
			    sizeof(size));
			r->regions[0].flags = WIRE_R_FAULT;
			r->data[0] = NULL;
			r->nregions = 1;
			/*
			 * It will be EFAULT; the mem file still goes, or the
			 * daemon would open /proc/<pid>/mem itself, to keep.
			 */
			if (uapi_cmd_maps_uva(uc))
				chan_req_memfd(r, 0);
			return (0);
		}
		if (size < floor)
			size = floor;
		if (size > CHAN_STRUCT_MAX)
			size = CHAN_STRUCT_MAX;
		if ((error = chan_req_mem(r, uaddr, size, me, &copy)) != 0)
			return (error);
	}
	have = r->regions[0].flags & (WIRE_R_FAULT | WIRE_R_NOTCARRIED) ? 0 :
	    r->regions[0].len;

	/* The table wants the struct zero-filled to its full size. */
	st = uc->st;
	slen = have > st->size ? have : st->size;
	if (slen <= sizeof(stack)) {
		sbuf = (uint8_t *)stack;
		memset(sbuf, 0, slen);
	} else if ((sbuf = calloc(1, slen)) == NULL)
		return (-ENOMEM);
	if (have != 0)
		memcpy(sbuf, copy, have);

	n = uapi_bufs(st, sbuf, have, bufs, UAPI_MAX_BUFS);
	for (i = 0; i < n; i++) {
		if (!(bufs[i].dir & UD_IN))
			continue;
		if ((error = chan_req_mem(r, bufs[i].uaddr, bufs[i].len, me,
		    NULL)) != 0)
			break;
	}

	st = uapi_resolve(uc->st, sbuf, have);
	for (i = 0; error == 0 && st != NULL && i < st->nfields; i++) {
		f = &st->fields[i];
		if (f->kind != UK_FD || !(f->dir & UD_IN) ||
		    (size_t)f->off + f->width > have)
			continue;
		error = chan_req_fd(r, (int)(int32_t)uapi_get(f, sbuf));
	}
	/*
	 * A descriptor array in the struct's tail (SET_IRQS): as much of it
	 * as the caller's struct holds, each descriptor once.
	 */
	if (error == 0 && st != NULL)
		error = chan_gather_fds(r, st, sbuf, have);
	if (error == 0 && uapi_cmd_maps_uva(uc))
		chan_req_memfd(r, chan_map_writes(uc, sbuf, have));
	if (sbuf != (uint8_t *)stack)
		free(sbuf);
	return (error);
}

/*
 * Write what a reply says into caller memory, in order: runs of writes in
 * one process_vm_writev; after a fault the rest go one by one so that
 * every write that can land does. 0, or -EFAULT if any failed.
 */
static int
chan_poke_all(const struct wire_write *w, const void *const *bytes,
    unsigned int n, pid_t me)
{
	struct iovec	local[CHAN_WRITES], remote[CHAN_WRITES];
	unsigned int	i;
	size_t		total = 0;
	ssize_t		done;
	int		fault = 0;

	if (n == 0)
		return (0);
	for (i = 0; i < n; i++) {
		local[i].iov_base = (void *)(uintptr_t)bytes[i];
		local[i].iov_len = w[i].len;
		remote[i].iov_base = (void *)(uintptr_t)w[i].uaddr;
		remote[i].iov_len = w[i].len;
		total += w[i].len;
	}
	done = chan_vm(me, 1, local, remote, n);
	if (done >= 0 && (size_t)done == total)
		return (0);
	/* Skip the writes that landed whole, then go one by one. */
	for (i = 0; i < n && done > 0 && (size_t)done >= w[i].len; i++)
		done -= w[i].len;
	for (; i < n; i++) {
		if (chan_poke(w[i].uaddr, bytes[i], w[i].len, me) != 0)
			fault = 1;
	}
	return (fault ? -EFAULT : 0);
}

/*
 * What a reply says is left of the count its request carried. The count
 * only goes down: a reply cannot arm what the caller did not.
 */
static void
chan_fail_nth_left(uint32_t left)
{
	if (left < chan_fail_nth)
		chan_fail_nth = left;
}

unsigned int
chan_fail_nth_get(void)
{
	return (chan_fail_nth);
}

void
chan_fail_nth_set(unsigned int n)
{
	chan_fail_nth = n;
}

/*
 * Apply a reply: writes, then descriptor numbers. Returns the result;
 * *confirm is set when the reply made an object (WIRE_RF_CONFIRM).
 */
static long
chan_apply(struct wire_msg *m, pid_t me, int *confirm)
{
	struct wire_cur		c;
	struct wire_reply	rp;
	struct wire_write	w[CHAN_WRITES];
	const void		*bytes[CHAN_WRITES];
	struct wire_fdpatch	fp;
	uint32_t		 num;
	unsigned int		 nw = 0;
	long			 result;
	int			 fault = 0, i, keep[WIRE_MAX_FDS] = { 0 };

	*confirm = 0;
	wire_cur_init(&c, m->payload, m->len);
	if (wire_cur_get(&c, &rp, sizeof(rp)) != 0)
		return (-EIO);
	*confirm = (rp.flags & WIRE_RF_CONFIRM) != 0;
	chan_fail_nth_left(rp.fail_nth);
	if (rp.flags & WIRE_RF_RETRY)
		return (rp.nwrites == 0 && rp.nfdpatch == 0 && m->nfds == 0 ?
		    CHAN_RETRY : -EIO);
	result = rp.result;
	if (result < -4095 || result > INT32_MAX)
		return (-EIO);
	for (i = 0; i < rp.nwrites; i++) {
		if (wire_cur_get(&c, &w[nw], sizeof(w[nw])) != 0 ||
		    w[nw].len > c.left || (bytes[nw] = wire_cur_take(&c,
		    w[nw].len)) == NULL || wire_cur_align(&c, m->payload, 8) !=
		    0)
			return (-EIO);
		if (++nw == CHAN_WRITES) {
			if (chan_poke_all(w, bytes, nw, me) != 0)
				fault = 1;
			nw = 0;
		}
	}
	if (chan_poke_all(w, bytes, nw, me) != 0)
		fault = 1;
	for (i = 0; i < rp.nfdpatch; i++) {
		if (wire_cur_get(&c, &fp, sizeof(fp)) != 0 ||
		    fp.index >= (uint32_t)m->nfds)
			return (-EIO);
		num = m->fds[fp.index];
		if (chan_poke(fp.uaddr, &num, sizeof(num), me) != 0)
			fault = 1;
		keep[fp.index] = 1;
	}
	if ((rp.flags & WIRE_RF_RESULT_FD) && m->nfds > 0) {
		result = m->fds[0];
		keep[0] = 1;
	}
	if (fault)
		return (-EFAULT);
	/* What the caller now holds leaves the message. */
	if (result >= 0) {
		for (i = 0; i < m->nfds; i++) {
			if (keep[i])
				(void)wire_msg_takefd(m, i);
		}
	}
	return (result);
}

/*
 * Tell the daemon that the reply to request seq could not be applied, so
 * that an object it made is aborted (proto/wire.h, New objects). Sent
 * before the ioctl returns: nothing the caller does next can overtake it.
 */
static void
chan_unwritten(int sock, uint32_t seq)
{
	(void)wire_send(sock, WIRE_UNWRITTEN, 0, seq, NULL, 0, NULL, 0, 0);
}

/*
 * Receive an in-place reply (proto/wire.h) to request seq: its bytes go
 * straight into the caller's struct at arg, the kernel's copy being the
 * fault-safe write. A struct we cannot write fails the receive with
 * EFAULT, and the reply is gone with it, so the channel stays in step.
 * Returns the result, or CHAN_FOLLOWS when an ordinary reply follows.
 */
#define CHAN_FOLLOWS		(-4096 - 2)
static long
chan_recv_inplace(int sock, uint32_t seq, void *arg, size_t cap)
{
	struct wire_reply	rp;
	struct wire_msg		m;
	struct iovec		iov[2];
	long			result;
	int			error;

	iov[0].iov_base = &rp;
	iov[0].iov_len = sizeof(rp);
	iov[1].iov_base = arg;
	iov[1].iov_len = cap;
	if ((error = wire_recv_iov(sock, &m, 0, iov, 2)) != 0) {
		/*
		 * Bytes that did not land: had the reply made an object, it
		 * must go. Its flags are lost with it, so we say it anyway.
		 */
		if (error == -EFAULT)
			chan_unwritten(sock, seq);
		return (error == -EFAULT ? -EFAULT : -EIO);
	}
	result = -EIO;
	if (m.hdr.op != WIRE_REPLY || m.hdr.seq != seq ||
	    m.len < sizeof(rp) || m.nfds != 0 || rp.nwrites != 0 ||
	    rp.nfdpatch != 0)
		goto out;
	chan_fail_nth_left(rp.fail_nth);
	if (rp.flags & (WIRE_RF_RETRY | WIRE_RF_FOLLOWS)) {
		if (m.len == sizeof(rp))
			result = rp.flags & WIRE_RF_RETRY ? CHAN_RETRY :
			    CHAN_FOLLOWS;
		goto out;
	}
	if ((rp.flags & ~(WIRE_RF_INPLACE | WIRE_RF_CONFIRM)) == 0 &&
	    rp.result >= -4095 && rp.result <= INT32_MAX)
		result = rp.result;
	if ((rp.flags & WIRE_RF_CONFIRM) && result < 0)
		chan_unwritten(sock, seq);
out:
	wire_msg_clear(&m);
	return (result);
}

/* One request and its reply on sock. */
static long
chan_exchange(struct chan *c, int sock, struct chan_req *r,
    unsigned long cmd, void *arg, pid_t me, int *sent)
{
	struct iovec		 iov[WIRE_MAX_IOV];
	struct wire_ioctl	 io;
	struct wire_msg		 m;
	uint32_t		 seq;
	unsigned int		 i;
	long			 result;
	int			 niov = 0, error, inplace, confirm;

	*sent = 0;
	/*
	 * An in-place reply is taken only on a channel where no older reply
	 * can be waiting: it lands in caller memory before its seq is seen.
	 */
	inplace = r->inplace && c->clean;
	if (inplace)
		r->regions[0].flags |= WIRE_R_INPLACE;
	else if (r->inplace)
		r->regions[0].flags &= ~WIRE_R_INPLACE;
	memset(&io, 0, sizeof(io));
	io.cmd = cmd;
	io.arg = (uintptr_t)arg;
	io.nregions = r->nregions;
	io.nfds = r->nwfds;
	io.fail_nth = chan_fail_nth;
	iov[niov].iov_base = &io;
	iov[niov++].iov_len = sizeof(io);
	iov[niov].iov_base = r->regions;
	iov[niov++].iov_len = sizeof(r->regions[0]) * r->nregions;
	iov[niov].iov_base = r->wfds;
	iov[niov++].iov_len = sizeof(r->wfds[0]) * r->nwfds;
	for (i = 0; i < r->nregions; i++) {
		if (r->regions[i].flags & (WIRE_R_FAULT | WIRE_R_NOTCARRIED))
			continue;
		iov[niov].iov_base = r->data[i];
		iov[niov++].iov_len = r->regions[i].len;
	}
	seq = ++c->seq;
	error = wire_sendv(sock, WIRE_IOCTL, r->memfd ? WIRE_F_MEMFD : 0, seq,
	    iov, niov, r->fds, r->nfds, 0);
	if (error != 0)
		return (error == -EINVAL ? -ENOMEM : error);
	*sent = 1;
	c->clean = 0;

	if (inplace) {
		result = chan_recv_inplace(sock, seq, arg, r->regions[0].len);
		/*
		 * After a failed receive the next exchange goes the ordinary
		 * way, which skips a reply that might have stayed behind.
		 */
		if (result != -EIO && result != -EFAULT)
			c->clean = 1;
		if (result != CHAN_FOLLOWS)
			return (result);
	}
	if (c->rbuf == NULL)
		c->rbuf = malloc(WIRE_RECV_BUF);
	for (;;) {
		if (c->rbuf != NULL)
			error = wire_recv_buf(sock, &m, 0, c->rbuf,
			    WIRE_RECV_BUF);
		else
			error = wire_recv(sock, &m, 0);
		if (error != 0)
			return (-EIO);
		if (m.hdr.op == WIRE_REPLY && m.hdr.seq == seq)
			break;
		/* A reply to a request nobody waits for any more. */
		wire_msg_clear(&m);
	}
	c->clean = 1;
	result = chan_apply(&m, me, &confirm);
	wire_msg_clear(&m);
	/* A new object is kept only if its answer is in place. */
	if (confirm && result < 0)
		chan_unwritten(sock, seq);
	return (result);
}

/* chan_call_fast(): not the common case, take the general way. */
#define CHAN_SLOW		(-4096 - 3)

/*
 * The common call, with signals open (see Signals above): a command that
 * goes as it lies and is answered in place, on the socket this thread used
 * last, whose entry has its channel and buffer and no reply pending.
 * Returns the result, or CHAN_SLOW with nothing sent when chan_call() must
 * do it.
 */
static long
chan_call_fast(int fd, dev_t dev, ino_t ino, unsigned long cmd, void *arg,
    int devnode)
{
	struct chan_thread	*t = &chan_th;
	struct chan_req		 r;
	struct chan		*c = t->hint;
	uint8_t			*mark;
	long			 result = CHAN_SLOW;
	int			 cancel, dummy, sock, sent;

	if (c == NULL || t->held != NULL || t->hint_dev != dev ||
	    t->hint_ino != ino)
		return (CHAN_SLOW);
	/* Still the process the table belongs to (see chan_self()). */
	mark = __atomic_load_n(&chan_forkmark, __ATOMIC_ACQUIRE);
	if (mark != NULL ? __atomic_load_n(mark, __ATOMIC_ACQUIRE) == 0 :
	    !__atomic_load_n(&chan_forkmark_tried, __ATOMIC_ACQUIRE) ||
	    getpid() != __atomic_load_n(&chan_owner, __ATOMIC_ACQUIRE))
		return (CHAN_SLOW);
	r.nregions = 0;
	r.nwfds = 0;
	r.nfds = 0;
	r.memfd = 0;
	if (!chan_gather_sized(&r, uapi_cmd_find_on(cmd, devnode), arg,
	    __atomic_load_n(&chan_owner, __ATOMIC_ACQUIRE)) || !r.inplace)
		return (CHAN_SLOW);

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	/*
	 * Marked held before the lock is taken: a handler may run at any
	 * point of pthread_mutex_lock(), the lock already ours.
	 */
	t->held = c;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_lock(&c->lock);
	if (!c->used || c->dev != dev || c->ino != ino || !c->clean ||
	    c->rbuf == NULL)
		goto out;
	if (c->direct)
		sock = fd;
	else {
		if (!chan_chfd_ours(c))
			goto out;
		sock = c->chfd;
	}
	result = chan_exchange(c, sock, &r, cmd, arg,
	    __atomic_load_n(&chan_owner, __ATOMIC_ACQUIRE), &sent);
	result = !sent || result == CHAN_RETRY ? CHAN_SLOW :
	    chan_gone_eio(result);
out:
	pthread_mutex_unlock(&c->lock);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->held = NULL;
	pthread_setcancelstate(cancel, &dummy);
	return (result);
}

/*
 * The ioctl itself the general way, once fd is known to be a socket (dev,
 * ino) of ours; signals blocked. Returns the result or -errno.
 */
static long
chan_call(int fd, dev_t dev, ino_t ino, unsigned long cmd, void *arg,
    int devnode)
{
	struct chan_req		 r;
	struct chan		*c, once;
	pid_t			 me;
	long			 result;
	int			 sock, sent, tries, sized;

	me = chan_self();
	memset(&r, 0, offsetof(struct chan_req, small));
	sized = chan_gather_sized(&r, uapi_cmd_find_on(cmd, devnode), arg, me);
	if (!sized && (result = chan_gather(&r, cmd, arg, me, devnode)) != 0)
		goto out;

	if ((c = chan_entry(dev, ino, 0)) == NULL) {
		/*
		 * A handler interrupted this thread's exchange on the same
		 * context: a channel for this call alone.
		 */
		memset(&once, 0, sizeof(once));
		once.used = 1;
		once.dev = dev;
		once.ino = ino;
		once.chfd = -1;
		c = &once;
	}
	for (tries = 0;; tries++) {
		if (c->direct)
			sock = fd;
		else {
			if (c->chfd != -1 && !chan_chfd_ours(c))
				c->chfd = -1;
			/* Said once on stderr; after that only the errno. */
			if (c->refused) {
				result = -EACCES;
				break;
			}
			if (c->chfd == -1 &&
			    (result = chan_channel(c, fd)) != 0) {
				c->refused = result == -EACCES;
				break;
			}
			sock = c->chfd;
		}
		result = chan_exchange(c, sock, &r, cmd, arg, me, &sent);
		if (sized && (result == CHAN_RETRY ||
		    (!sent && result == -EFAULT))) {
			/*
			 * The struct could not go as it lies (a fault in what
			 * we sent, or it is longer): the careful way, once.
			 */
			sized = 0;
			tries--;
			chan_req_free(&r);
			if ((result = chan_gather(&r, cmd, arg, me,
			    devnode)) != 0)
				break;
			continue;
		}
		if (result == CHAN_RETRY)
			result = -EIO;
		/*
		 * A channel that is gone before the request left (a stale
		 * one, from a context that was closed) is made again once.
		 */
		if (sent || c->direct || tries > 0 ||
		    (result != -EPIPE && result != -ECONNRESET &&
		    result != -ENOTCONN))
			break;
		chan_entry_reset(c);
	}
	result = chan_gone_eio(result);
	if (c == &once) {
		chan_entry_reset(c);
		free(c->rbuf);
	} else {
		/* The common path that follows needs the buffer made. */
		if (c->rbuf == NULL)
			c->rbuf = malloc(WIRE_RECV_BUF);
		chan_th.hint = c;
		chan_th.hint_dev = dev;
		chan_th.hint_ino = ino;
		pthread_mutex_unlock(&c->lock);
	}

out:
	chan_req_free(&r);
	return (result);
}

/* Our verdict on socket (dev, ino) behind fd, cached. */
static int
chan_ours(int fd, dev_t dev, ino_t ino)
{
	unsigned int	i;
	int		ours;

	(void)chan_self();
	pthread_mutex_lock(&chan_tlock);
	for (i = 0; i < chan_ncache; i++) {
		if (chan_cache[i].dev == dev && chan_cache[i].ino == ino) {
			ours = chan_cache[i].ours;
			pthread_mutex_unlock(&chan_tlock);
			return (ours);
		}
	}
	ours = chan_peer_ours(fd);
	chan_cache_put(dev, ino, ours);
	pthread_mutex_unlock(&chan_tlock);
	return (ours);
}

int
chan_try_ioctl(int fd, unsigned long cmd, void *arg, int *rc)
{
	return (chan_try_ioctl_node(fd, cmd, arg, rc, 0));
}

int
chan_try_ioctl_node(int fd, unsigned long cmd, void *arg, int *rc, int dev)
{
	struct chan_guard	g;
	struct stat		st;
	long			result;
	int			saved = errno;

	if (fd < 0 || fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		errno = saved;
		return (0);
	}
	/* Only the 32-bit number reaches the driver, as in the kernel. */
	cmd = (uint32_t)cmd;
	result = chan_call_fast(fd, st.st_dev, st.st_ino, cmd, arg, dev);
	if (result == CHAN_SLOW) {
		chan_guard_enter(&g);
		if (!chan_ours(fd, st.st_dev, st.st_ino)) {
			chan_guard_leave(&g);
			errno = saved;
			return (0);
		}
		result = chan_call(fd, st.st_dev, st.st_ino, cmd, arg, dev);
		chan_guard_leave(&g);
	}
	if (result < 0) {
		errno = (int)-result;
		*rc = -1;
	} else
		*rc = (int)result;
	return (1);
}

int
chan_ioctl(int fd, unsigned long cmd, void *arg)
{
	struct stat	st;
	int		rc;

	if (chan_try_ioctl(fd, cmd, arg, &rc))
		return (rc);
	errno = fstat(fd, &st) == -1 ? errno : ENOTTY;
	return (-1);
}

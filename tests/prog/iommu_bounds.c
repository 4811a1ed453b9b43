/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Every command of the field tables (proto/uapi.c) called the ways that
 * once ended a whole context over the socket: a struct pointer that is
 * NULL, (void *)-1, a PROT_NONE page, a struct that runs into a PROT_NONE
 * page, or in the last page of the address space; and each array a struct
 * points to, at and past every limit (the CUSE retry limit, the socket's
 * carry limit, u32 counts). Each call must get the kernel's errno (spec
 * 1.3 and the command's own section; tests/oracle/kernel-6.12.txt), and
 * afterwards the IOAS made first must still answer under its id. Every
 * creating command is also called with its struct read-only: EFAULT for
 * what would have succeeded, and the object aborted. A child
 * with a context of its own is served within a bound all along, and the
 * daemon's memory and descriptors come back to where they were.
 *
 * The table is compiled in, so that a new command is looped over without
 * a word here; a new array field without an expected answer fails. Run
 * under the preload library (tests/integration/socket.sh) and on the CUSE
 * node (tests/guest), where only the socket's carry limit differs.
 */

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "check.h"
#include "uapi.c"
#include "wire.h"

/* The CUSE transport's limit on one retry round (daemon/transport/cuse.h). */
#define BOUNDS_CUSE_MAX		(128 * 1024)
/* Longest another client may wait for an answer meanwhile, in ms. */
#define BOUNDS_LATENCY_MS	3000
/* Growth of the daemon's resident memory we accept, in KiB. */
#define BOUNDS_RSS_SLACK_KB	(16 * 1024)

static int		 fd;
static int		 via_socket;	/* the preload library serves us */
static uint32_t		 ioas0;
static long		 pg;
static uint8_t		*big;		/* readable zeros, big_len bytes */
static size_t		 big_len;

static int
io(unsigned long cmd, void *arg)
{
	if (ioctl(fd, cmd, arg) == 0)
		return (0);
	return (errno);
}

/* The IOAS made first still answers under its id. */
static int
alive(void)
{
	struct iommu_ioas_iova_ranges	r;
	int				e;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = ioas0;
	e = io(IOMMU_IOAS_IOVA_RANGES, &r);
	return ((e == 0 || e == EMSGSIZE) && r.num_iovas >= 1);
}

static long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* What the kernel answers a struct it cannot read: EFAULT, in 1.3 order. */
static int
bad_ptr_errno(const struct uapi_cmd *uc)
{
	/* Device commands are not /dev/iommu's: the compat table has none. */
	if (uc->num == VFIO_DEVICE_BIND_IOMMUFD ||
	    uc->num == VFIO_DEVICE_ATTACH_IOMMUFD_PT ||
	    uc->num == VFIO_DEVICE_DETACH_IOMMUFD_PT ||
	    uc->num == VFIO_DEVICE_GET_INFO ||
	    uc->num == VFIO_DEVICE_SET_IRQS ||
	    uc->num == IOASIDD_REGION_READ ||
	    uc->num == IOASIDD_REGION_WRITE)
		return (ENOTTY);
	/* The device node's rows; a number type1 shares is type1's here. */
	if (uc->devnode && uapi_cmd_find(uc->num) == uc)
		return (ENOTTY);
	return (EFAULT);
}

static void
test_bad_pointers(void)
{
	const struct uapi_cmd	*uc;
	uint8_t			*two;
	uint32_t		 size;
	size_t			 i;
	int			 want, e;

	two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (two == MAP_FAILED) {
		CHECK(0, "mmap");
		return;
	}
	mprotect(two + pg, pg, PROT_NONE);
	for (i = 0; i < uapi_ncmds; i++) {
		uc = &uapi_cmds[i];
		if (uc->st == NULL)
			continue;
		want = bad_ptr_errno(uc);
		e = io(uc->num, NULL);
		CHECK(e == want, "%s NULL: %d, want %d", uc->name, e, want);
		e = io(uc->num, (void *)-1);
		CHECK(e == want, "%s (void *)-1: %d, want %d", uc->name, e,
		    want);
		e = io(uc->num, two + pg);
		CHECK(e == want, "%s PROT_NONE: %d, want %d", uc->name, e,
		    want);
		/* The size field readable, the rest of the struct not. */
		size = uc->st->size;
		memcpy(two + pg - sizeof(size), &size, sizeof(size));
		e = io(uc->num, two + pg - sizeof(size));
		CHECK(e == want, "%s straddling: %d, want %d", uc->name, e,
		    want);
		e = io(uc->num, (void *)(uintptr_t)(0 - (uint64_t)pg));
		CHECK(e == want, "%s last page: %d, want %d", uc->name, e,
		    want);
		e = io(uc->num, (void *)(uintptr_t)(0 - (uint64_t)2));
		CHECK(e == want, "%s 2 bytes from the top: %d, want %d",
		    uc->name, e, want);
		CHECK(alive(), "%s: the IOAS still answers", uc->name);
	}
	munmap(two, 2 * pg);
}

/*
 * The answer to a struct of zeros but for the array named: the spec's
 * check that comes before any read of the array, or for ALLOW_IOVAS (the
 * only command that reads its array here) what the zero entries give.
 * -1: the daemon does not model the command yet; its answer with a small
 * array is then the answer for every length.
 */
static int
array_errno(const char *cmd, const char *field, uint64_t bytes)
{
	if (strcmp(cmd, "IOMMU_IOAS_ALLOW_IOVAS") == 0) {
		/*
		 * An entry [0, 0] is EINVAL (start >= last); an array the
		 * socket does not carry is ENOMEM, as from a kernel that
		 * cannot allocate for it. The CUSE node reads the entry
		 * where it lies.
		 */
		return (!via_socket || bytes <= WIRE_MAX_CARRY -
		    sizeof(struct iommu_ioas_allow_iovas) ? EINVAL : ENOMEM);
	}
	if (strcmp(cmd, "IOMMU_IOAS_IOVA_RANGES") == 0)
		return (EFAULT);	/* the array is read-only memory */
	if (strcmp(cmd, "IOMMU_HWPT_ALLOC") == 0)
		return (EINVAL);	/* 4.1.2: type NONE with data_len */
	if (strcmp(cmd, "IOMMU_GET_HW_INFO") == 0)
		return (ENOENT);	/* no device 0 */
	if (strcmp(cmd, "IOMMU_HWPT_GET_DIRTY_BITMAP") == 0)
		return (ENOENT);	/* no HWPT 0 */
	if (strcmp(cmd, "IOMMU_HWPT_INVALIDATE") == 0) {
		/*
		 * Entries of 16 bytes: more than 2^19 of them is EINVAL
		 * before the lookup (7.3's bound), else 4.3.3: no HWPT 0.
		 */
		return (bytes / 16 > (1u << 19) ? EINVAL : ENOENT);
	}
	if (strcmp(cmd, "IOMMU_VIOMMU_ALLOC") == 0)
		return (EOPNOTSUPP);	/* type DEFAULT */
	if (strcmp(cmd, "IOMMU_TEST_CMD") == 0)
		return (-1);
	/* No global-policy device here: an empty table, nothing written. */
	if (strcmp(cmd, "IOASIDD_PASIDS") == 0)
		return (0);
	/* dev_id 0 names no device: ENOENT before any row is written. */
	if (strcmp(cmd, "IOASIDD_ENQCMD") == 0)
		return (ENOENT);
	/* The device node's region access: no /dev/iommu command. */
	if (strcmp(cmd, "IOASIDD_REGION_READ") == 0 ||
	    strcmp(cmd, "IOASIDD_REGION_WRITE") == 0)
		return (ENOTTY);
	(void)field;
	return (-2);
}

/*
 * Set the length fields of array field f in struct s so that the array
 * is bytes long (or, count != 0, count elements). 0 if it cannot be.
 */
static int
set_len(const struct uapi_struct *st, const struct uapi_field *f, void *s,
    uint64_t bytes, uint64_t count)
{
	const struct uapi_field	*a = &st->fields[f->len_a];
	const struct uapi_field	*b;

	switch (f->buf_len) {
	case UB_BYTES:
		uapi_set(a, s, count != 0 ? count : bytes);
		return (1);
	case UB_COUNT:
		uapi_set(a, s, count != 0 ? count : bytes / f->elem);
		return (1);
	case UB_PRODUCT:
		/* Entries of 16 bytes, or u32 max of u32 max. */
		b = &st->fields[f->len_b];
		uapi_set(b, s, count != 0 ? count : 16);
		uapi_set(a, s, count != 0 ? count : bytes / 16);
		return (1);
	case UB_BITMAP:
		/* One byte of bitmap per 8 pages of one byte. */
		b = &st->fields[f->len_b];
		uapi_set(b, s, 1);
		uapi_set(a, s, count != 0 ? UINT64_MAX : bytes * 8);
		return (1);
	}
	return (0);
}

/* One array field of one layout, at every length. */
static void
test_array(const struct uapi_cmd *uc, const struct uapi_struct *st,
    const struct uapi_field *f, uint32_t sel)
{
	const uint64_t	 lens[] = {
		16, BOUNDS_CUSE_MAX, BOUNDS_CUSE_MAX + 16,
		WIRE_MAX_CARRY - 4096, WIRE_MAX_CARRY - 64,
		WIRE_MAX_CARRY, WIRE_MAX_CARRY + 16, 2 * WIRE_MAX_CARRY,
		(1ull << 30) + 16, 0,
	};
	uint64_t	 s[64], bytes, count;
	size_t		 i;
	int		 want, small = 0, e;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		bytes = lens[i];
		count = bytes == 0 ? UINT32_MAX : 0;
		memset(s, 0, sizeof(s));
		uapi_set(&st->fields[0], s, st->size);
		if (st->sel >= 0)
			uapi_set(&st->fields[st->sel], s, sel);
		if (strcmp(uc->name, "IOMMU_IOAS_ALLOW_IOVAS") == 0 ||
		    strcmp(uc->name, "IOMMU_IOAS_IOVA_RANGES") == 0)
			uapi_set(&st->fields[1], s, ioas0);
		if (!set_len(st, f, s, bytes, count)) {
			CHECK(0, "%s.%s: no length rule", uc->name, f->name);
			return;
		}
		/* Readable zeros as far as they go, then unmapped. */
		uapi_set(f, s, (uintptr_t)big);
		want = array_errno(uc->name, f->name, bytes != 0 ? bytes :
		    UINT64_MAX);
		if (want == -2) {
			CHECK(0, "%s.%s: no expected answer", uc->name,
			    f->name);
			return;
		}
		e = io(uc->num, s);
		if (i == 0)
			small = e;
		if (want == -1)
			want = small;
		CHECK(e == want, "%s.%s of %llu bytes%s: %d, want %d",
		    uc->name, f->name, (unsigned long long)bytes,
		    count != 0 ? " (u32 max count)" : "", e, want);
		CHECK(alive(), "%s.%s of %llu bytes: the IOAS still answers",
		    uc->name, f->name, (unsigned long long)bytes);
	}
}

static void
test_arrays(void)
{
	const struct uapi_cmd		*uc;
	const struct uapi_struct	*st;
	const struct uapi_field		*f;
	size_t				 i;
	int				 v, k, nv;

	for (i = 0; i < uapi_ncmds; i++) {
		uc = &uapi_cmds[i];
		if (uc->st == NULL)
			continue;
		nv = uc->st->nvariants;
		for (v = nv == 0 ? -1 : 0; v < nv; v++) {
			st = v < 0 ? uc->st : uc->st->variants[v].st;
			for (k = 0; k < st->nfields; k++) {
				f = &st->fields[k];
				if (f->kind != UK_UPTR ||
				    f->buf_len == UB_FIXED)
					continue;
				test_array(uc, st, f, v < 0 ? 0 :
				    uc->st->variants[v].value);
			}
		}
	}
}

/* Does layout st hand back a new object's id (a creating command)? */
static int
creates(const struct uapi_struct *st)
{
	int	k;

	for (k = 0; k < st->nfields; k++) {
		if (st->fields[k].kind == UK_ID &&
		    st->fields[k].dir == UD_OUT)
			return (1);
	}
	return (0);
}

/*
 * Close the descriptors a command handed out in its struct (a fault
 * queue's, an access's), so that the objects they hold can go.
 */
static void
close_out_fds(const struct uapi_struct *st, const void *buf)
{
	int	k;

	for (k = 0; k < st->nfields; k++) {
		if (st->fields[k].kind == UK_FD &&
		    st->fields[k].dir == UD_OUT)
			close((int)uapi_get(&st->fields[k], buf));
	}
}

/*
 * Every creating command with its struct in read-only memory: what the
 * same struct gets where it can be written, except that a success becomes
 * EFAULT and the object is aborted (spec 1.3, step 6): the id it took is
 * the next one handed out, and nothing is left behind.
 */
static void
test_readonly_create(void)
{
	const struct uapi_cmd		*uc;
	const struct uapi_struct	*st;
	struct iommu_destroy		 d = { .size = sizeof(d) };
	uint8_t				*page, before[512];
	uint32_t			 free_id, next;
	size_t				 i;
	int				 v, nv, ew, er, tested = 0;

	page = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		CHECK(0, "mmap");
		return;
	}
	for (i = 0; i < uapi_ncmds; i++) {
		uc = &uapi_cmds[i];
		if (uc->st == NULL || uc->argkind != UA_SIZED)
			continue;
		nv = uc->st->nvariants;
		for (v = nv == 0 ? -1 : 0; v < nv; v++) {
			st = v < 0 ? uc->st : uc->st->variants[v].st;
			if (!creates(st))
				continue;
			/* The id the next object gets, and free now. */
			free_id = ioas_alloc(fd);
			d.id = free_id;
			CHECK(free_id != 0 && io(IOMMU_DESTROY, &d) == 0,
			    "%s: a free id", uc->name);
			/* Zeros, the size, the selector, the first IOAS. */
			mprotect(page, pg, PROT_READ | PROT_WRITE);
			memset(page, 0, pg);
			uapi_set(&st->fields[0], page, st->size);
			if (v >= 0)
				uapi_set(&uc->st->fields[uc->st->sel], page,
				    uc->st->variants[v].value);
			ew = io(uc->num, page);
			if (ew == 0) {
				/* Made one: take it away again. */
				close_out_fds(st, page);
				next = ioas_alloc(fd);
				d.id = next - 1;
				io(IOMMU_DESTROY, &d);
				d.id = next;
				io(IOMMU_DESTROY, &d);
			}
			memset(page, 0, pg);
			uapi_set(&st->fields[0], page, st->size);
			if (v >= 0)
				uapi_set(&uc->st->fields[uc->st->sel], page,
				    uc->st->variants[v].value);
			memcpy(before, page, st->size);
			mprotect(page, pg, PROT_READ);
			er = io(uc->num, page);
			CHECK(er == (ew == 0 ? EFAULT : ew),
			    "%s%s%s read-only: %d, want %d", uc->name,
			    v >= 0 ? " op " : "", v >= 0 ? st->name : "", er,
			    ew == 0 ? EFAULT : ew);
			CHECK(memcmp(page, before, st->size) == 0,
			    "%s: the struct is untouched", uc->name);
			next = ioas_alloc(fd);
			CHECK(next == free_id, "%s: the next object gets id %u "
			    "(got %u)", uc->name, free_id, next);
			d.id = next;
			io(IOMMU_DESTROY, &d);
			tested += ew == 0;
		}
	}
	CHECK(tested >= 1, "at least one command made an object (%d)",
	    tested);
	munmap(page, pg);
}

/* The four calls, as they were reported. */
static void
test_reported(void)
{
	struct iommu_ioas_allow_iovas	a;
	struct iommu_hwpt_alloc		h;
	struct iommu_hwpt_invalidate	v;

	CHECK(io(IOMMU_IOAS_ALLOC, (void *)-1) == EFAULT,
	    "IOAS_ALLOC at (void *)-1 is EFAULT");
	CHECK(alive(), "... and the IOAS still answers");

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.ioas_id = ioas0;
	a.num_iovas = (1u << 26) + 1;
	a.allowed_iovas = (uintptr_t)big;
	CHECK(io(IOMMU_IOAS_ALLOW_IOVAS, &a) == (via_socket ? ENOMEM : EINVAL),
	    "ALLOW_IOVAS of 2^26 + 1 ranges is ENOMEM (socket) or EINVAL");
	CHECK(alive(), "... and the IOAS still answers");
	a.allowed_iovas = (uintptr_t)big + big_len;
	CHECK(io(IOMMU_IOAS_ALLOW_IOVAS, &a) == EFAULT,
	    "ALLOW_IOVAS of 2^26 + 1 unmapped ranges is EFAULT");

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.data_type = 0xdead;	/* IOMMU_HWPT_DATA_SELFTEST */
	h.data_len = 0x40000001;
	h.data_uptr = (uintptr_t)big;
	CHECK(io(IOMMU_HWPT_ALLOC, &h) == ENOENT,
	    "HWPT_ALLOC with data_len 0x40000001 is ENOENT (no device)");
	CHECK(alive(), "... and the IOAS still answers");

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.hwpt_id = ioas0;
	v.data_uptr = (uintptr_t)big;
	v.entry_len = 4096;
	v.entry_num = 1u << 20;
	CHECK(io(IOMMU_HWPT_INVALIDATE, &v) == EINVAL && v.entry_num == 0,
	    "HWPT_INVALIDATE of 4 GiB on an IOAS is EINVAL, entry_num 0");
	CHECK(alive(), "... and the IOAS still answers");
}

/* VmRSS in KiB and the number of open descriptors of process pid. */
static int
proc_usage(pid_t pid, long *rss, int *nfd)
{
	char		 path[64], line[256];
	FILE		*fp;
	DIR		*d;
	struct dirent	*de;

	*rss = -1;
	*nfd = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = strtol(line + 6, NULL, 10);
	}
	fclose(fp);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			(*nfd)++;
	}
	closedir(d);
	return (*rss >= 0 ? 0 : -1);
}

/*
 * Another client, on a context of its own, asks for its ranges until told
 * to stop; its exit status is 0 when no answer took longer than the bound.
 */
static pid_t
start_neighbour(int *stop)
{
	struct iommu_ioas_iova_ranges	r;
	pid_t				pid;
	long				t, worst = 0;
	uint32_t			id;
	int				nfd, p[2];

	if (pipe(p) != 0)
		return (-1);
	if ((pid = fork()) != 0) {
		close(p[0]);
		*stop = p[1];
		return (pid);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	if ((nfd = open("/dev/iommu", O_RDWR)) == -1 ||
	    (id = ioas_alloc(nfd)) == 0)
		_exit(2);
	for (;;) {
		char	c;

		if (read(p[0], &c, 1) == 0)
			break;
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.ioas_id = id;
		t = now_ms();
		if (ioctl(nfd, IOMMU_IOAS_IOVA_RANGES, &r) != 0 &&
		    errno != EMSGSIZE)
			_exit(3);
		t = now_ms() - t;
		if (t > worst)
			worst = t;
		usleep(2000);
	}
	printf("neighbour: longest wait %ld ms\n", worst);
	_exit(worst > BOUNDS_LATENCY_MS ? 1 : 0);
}

int
main(void)
{
	const char	*envpid;
	pid_t		 dpid = 0, npid;
	long		 rss0 = -1, rss1 = -1;
	uint32_t	 next;
	int		 nfd0 = 0, nfd1 = 0, stop = -1, status, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	pg = sysconf(_SC_PAGESIZE);
	via_socket = getenv("LD_PRELOAD") != NULL &&
	    strstr(getenv("LD_PRELOAD"), "ioasid") != NULL;
	if ((fd = open("/dev/iommu", O_RDWR)) == -1) {
		printf("open /dev/iommu: %s\n", strerror(errno));
		return (1);
	}
	if ((ioas0 = ioas_alloc(fd)) == 0) {
		printf("IOAS_ALLOC: %s\n", strerror(errno));
		return (1);
	}
	/* Zeros to read as far as any carried array goes, then a hole. */
	big_len = 2 * WIRE_MAX_CARRY + 2 * pg;
	big = mmap(NULL, big_len + pg, PROT_READ, MAP_PRIVATE |
	    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (big == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return (1);
	}
	munmap(big + big_len, pg);

	if ((envpid = getenv("IOASIDD_PID")) != NULL)
		dpid = (pid_t)strtol(envpid, NULL, 10);
	/*
	 * Everything once first, so that the baseline has the daemon's
	 * buffers (and a sanitizer's quarantine) at their working size.
	 */
	test_reported();
	test_arrays();
	if (dpid > 0)
		proc_usage(dpid, &rss0, &nfd0);
	npid = start_neighbour(&stop);

	test_reported();
	test_bad_pointers();
	test_arrays();
	test_readonly_create();

	if (stop != -1)
		close(stop);
	if (npid > 0) {
		waitpid(npid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "another client is served within %d ms throughout",
		    BOUNDS_LATENCY_MS);
	}
	CHECK(alive(), "the IOAS still answers at the end");
	next = ioas_alloc(fd);
	CHECK(next == ioas0 + 1, "no object was made on the way (next id "
	    "%u, first %u)", next, ioas0);
	if (dpid > 0 && rss0 >= 0) {
		/* The neighbour's context goes when the daemon sees it go. */
		for (i = 0; i < 100; i++) {
			proc_usage(dpid, &rss1, &nfd1);
			if (nfd1 <= nfd0 && rss1 <= rss0 + BOUNDS_RSS_SLACK_KB)
				break;
			usleep(20000);
		}
		printf("daemon: VmRSS %ld KiB -> %ld KiB, descriptors %d -> "
		    "%d\n", rss0, rss1, nfd0, nfd1);
		CHECK(rss1 <= rss0 + BOUNDS_RSS_SLACK_KB,
		    "daemon VmRSS back to baseline (%ld KiB, was %ld KiB)",
		    rss1, rss0);
		CHECK(nfd1 <= nfd0, "daemon descriptors back to baseline "
		    "(%d, was %d)", nfd1, nfd0);
	}
	return (check_report());
}

/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * testvmm (installed as ioasidd-testvmm): a small test VMM. It runs the /dev/iommu and VFIO device-cdev
 * call sequences of real VMMs against one or more device nodes and prints
 * each call with its result, one line a call:
 *
 *	SEQUENCE: CALL ARGUMENTS -> ok|ERRNO [RESULT]
 *
 * "qemu" is QEMU's iommufd backend (hw/vfio/iommufd.c, backends/iommufd.c):
 * BIND, GET_HW_INFO, IOAS_ALLOC, the container's HWPTs tried in turn
 * (EINVAL: try the next one), HWPT_ALLOC or the IOAS itself, IOVA_RANGES
 * as a size probe and a fetch, MAP of guest RAM, the VFIO region and
 * interrupt queries, dirty tracking when offered, and QEMU's teardown.
 * "qemu-smmuv3" is its accelerated SMMUv3 path with a vIOMMU; it runs only
 * on a device whose IOMMU reports IOMMU_HW_INFO_TYPE_ARM_SMMUV3.
 * "cloud-hypervisor" is Cloud Hypervisor's order: IOAS_ALLOC, BIND, ATTACH
 * to the IOAS, MAP at a fixed IOVA, UNMAP, DETACH, DESTROY.
 *
 * The program is an ordinary iommufd client: it opens /dev/iommu and
 * /dev/vfio/devices/vfioN, so it runs against ioasidd under the preload
 * library (ioasidctl run, or LD_PRELOAD=libioasid-preload.so) as against
 * the kernel. The exit status is 0 when every call a VMM cannot do
 * without succeeded, 1 otherwise, 2 on a usage error.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#define MAXDEV		8
#define MAXHWPT		MAXDEV
#define HOST_PAGE	4096ULL
#define GPA_ALIGN	(1ULL << 20)
/*
 * Cloud Hypervisor asks for no IOVA ranges: it maps guest RAM where its
 * memory layout puts it. 16 MiB is inside every model's aperture (the
 * mock's starts there).
 */
#define CH_GPA		(16ULL << 20)

/* SMMUv3 stream table entry word 0 and command opcodes (SMMUv3 spec). */
#define STE0_V		(1ULL << 0)
#define STE0_CFG_ABORT	(0ULL << 1)
#define STE0_CFG_BYPASS	(4ULL << 1)
#define CMD_CFGI_CD	0x05
#define CMD_TLBI_NH_ASID 0x11
#define CMD_TLBI_NH_VA	0x12

struct dev {
	const char	*path;
	int		 fd;
	uint32_t	 devid;
	uint32_t	 hwpt;		/* what it is attached to, 0 if none */
	uint32_t	 hw_type;
	uint64_t	 caps;
	uint32_t	 vdevice;
	int		 bound;
};

struct hwpt {
	uint32_t	 id;
	uint32_t	 flags;
};

struct vmm {
	const char	*seq;		/* the sequence's name, printed first */
	const char	*iommu_path;
	int		 iommufd;
	uint32_t	 ioas;
	struct dev	 dev[MAXDEV];
	int		 ndev;
	struct hwpt	 hwpt[MAXHWPT];	/* the container's HWPTs */
	int		 nhwpt;
	void		*ram;
	size_t		 ramsz;
	uint64_t	 gpa;
	int		 mapped;
	int		 failed;	/* a call the VMM needs failed */
	int		 wait;		/* wait for a line before closing */
};

/* The usage text; %1$s is the program's name. */
#define USAGE_TEXT \
"usage: %1$s [-hw] [-i iommu] [-r mib] [-s sequence] device ...\n" \
"\n" \
"Run a VMM's iommufd call sequence against each VFIO device node given\n" \
"(/dev/vfio/devices/vfioN, or N alone) and print every call with its\n" \
"result. Under ioasidd run it with the preload library, e.g.\n" \
"\"ioasidctl run -- %1$s 0\".\n" \
"\n" \
"  -s, --sequence NAME  qemu, qemu-smmuv3, cloud-hypervisor or all\n" \
"                       (default all)\n" \
"  -w, --wait           after each teardown, wait for a line on standard\n" \
"                       input before closing the nodes\n" \
"  -i, --iommu PATH     the iommufd node (default /dev/iommu)\n" \
"  -r, --ram MIB        guest RAM to map, in MiB (default 4)\n" \
"  -h, --help           this text\n" \
"\n" \
"Exit status: 0 when every call the VMM needs succeeded, 1 when one\n" \
"failed, 2 on a usage error.\n"

/* Print the usage text to f. */
static void
usage(FILE *f)
{
	fprintf(f, USAGE_TEXT, program_invocation_short_name);
}

/* The name of an errno value ("EINVAL"), or its number. */
static const char *
errname(int e)
{
	static char	 buf[16];
	const char	*s;

	if (e == 0)
		return ("ok");
	s = strerrorname_np(e);
	if (s != NULL)
		return (s);
	snprintf(buf, sizeof(buf), "errno %d", e);
	return (buf);
}

/* ioctl(): 0, or the errno it failed with. */
static int
xioctl(int fd, unsigned long req, void *arg)
{
	return (ioctl(fd, req, arg) == 0 ? 0 : errno);
}

/*
 * Print one line: the sequence, the call and its arguments (fmt), its
 * result, and any further text after a tab in fmt's output. A failure of
 * a call the VMM needs (need) marks the run as failed.
 */
static void __attribute__((format(printf, 5, 6)))
say(struct vmm *v, int rc, int need, const char *call, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;

	buf[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
	}
	printf("%s: %s -> %s%s%s\n", v->seq, call, errname(rc),
	    buf[0] != '\0' ? " " : "", buf);
	if (rc != 0 && need)
		v->failed = 1;
	fflush(stdout);
}

/* Open /dev/iommu; 0 or the errno. */
static int
vmm_open_iommu(struct vmm *v)
{
	int	 rc;

	v->iommufd = open(v->iommu_path, O_RDWR | O_CLOEXEC);
	rc = v->iommufd < 0 ? errno : 0;
	say(v, rc, 1, "open", "%s fd=%d", v->iommu_path, v->iommufd);
	return (rc);
}

/* Open a device node; 0 or the errno. */
static int
vmm_open_dev(struct vmm *v, struct dev *d)
{
	int	 rc;

	d->fd = open(d->path, O_RDWR | O_CLOEXEC);
	rc = d->fd < 0 ? errno : 0;
	say(v, rc, 1, "open", "%s fd=%d", d->path, d->fd);
	return (rc);
}

/* VFIO_DEVICE_BIND_IOMMUFD with the 24-byte struct; 0 or the errno. */
static int
vmm_bind(struct vmm *v, struct dev *d)
{
	struct vfio_device_bind_iommufd	 b;
	int				 rc;

	memset(&b, 0, sizeof(b));
	b.argsz = sizeof(b);
	b.iommufd = v->iommufd;
	rc = xioctl(d->fd, VFIO_DEVICE_BIND_IOMMUFD, &b);
	if (rc == 0) {
		d->devid = b.out_devid;
		d->bound = 1;
	}
	say(v, rc, 1, "VFIO_DEVICE_BIND_IOMMUFD", "iommufd=%d devid=%u",
	    v->iommufd, d->devid);
	return (rc);
}

/* IOMMU_IOAS_ALLOC; 0 or the errno. */
static int
vmm_ioas_alloc(struct vmm *v)
{
	struct iommu_ioas_alloc	 a;
	int			 rc;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	rc = xioctl(v->iommufd, IOMMU_IOAS_ALLOC, &a);
	if (rc == 0)
		v->ioas = a.out_ioas_id;
	say(v, rc, 1, "IOMMU_IOAS_ALLOC", "ioas=%u", v->ioas);
	return (rc);
}

/* IOMMU_GET_HW_INFO with room for any vendor blob; 0 or the errno. */
static int
vmm_hw_info(struct vmm *v, struct dev *d, int need)
{
	struct iommu_hw_info	 h;
	uint8_t			 data[256];
	int			 rc;

	memset(&h, 0, sizeof(h));
	h.size = sizeof(h);
	h.dev_id = d->devid;
	h.data_len = sizeof(data);
	h.data_uptr = (uintptr_t)data;
	rc = xioctl(v->iommufd, IOMMU_GET_HW_INFO, &h);
	if (rc == 0) {
		d->hw_type = h.out_data_type;
		d->caps = h.out_capabilities;
	}
	say(v, rc, need, "IOMMU_GET_HW_INFO", "dev=%u type=%#x data_len=%u "
	    "caps=%#llx max_pasid_log2=%u", d->devid, h.out_data_type,
	    h.data_len, (unsigned long long)h.out_capabilities,
	    h.out_max_pasid_log2);
	return (rc);
}

/* VFIO_DEVICE_ATTACH_IOMMUFD_PT to pt; 0 (d->hwpt set) or the errno. */
static int
vmm_attach(struct vmm *v, struct dev *d, uint32_t pt, int need,
    const char *why)
{
	struct vfio_device_attach_iommufd_pt	 a;
	int					 rc;

	memset(&a, 0, sizeof(a));
	a.argsz = sizeof(a);
	a.pt_id = pt;
	rc = xioctl(d->fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);
	if (rc == 0)
		d->hwpt = a.pt_id;
	say(v, rc, need, "VFIO_DEVICE_ATTACH_IOMMUFD_PT", "dev=%u pt=%u "
	    "attached=%u%s%s", d->devid, pt, rc == 0 ? a.pt_id : 0,
	    rc != 0 && why != NULL ? " " : "", rc != 0 && why != NULL ?
	    why : "");
	return (rc);
}

/* VFIO_DEVICE_DETACH_IOMMUFD_PT; 0 or the errno. */
static int
vmm_detach(struct vmm *v, struct dev *d)
{
	struct vfio_device_detach_iommufd_pt	 a;
	int					 rc;

	memset(&a, 0, sizeof(a));
	a.argsz = sizeof(a);
	rc = xioctl(d->fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &a);
	if (rc == 0)
		d->hwpt = 0;
	say(v, rc, 1, "VFIO_DEVICE_DETACH_IOMMUFD_PT", "dev=%u", d->devid);
	return (rc);
}

/* IOMMU_DESTROY of id (what names its kind); 0 or the errno. */
static int
vmm_destroy(struct vmm *v, uint32_t id, const char *what)
{
	struct iommu_destroy	 a;
	int			 rc;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.id = id;
	rc = xioctl(v->iommufd, IOMMU_DESTROY, &a);
	say(v, rc, 1, "IOMMU_DESTROY", "%s=%u", what, id);
	return (rc);
}

/*
 * IOMMU_HWPT_ALLOC on pt with flags and optional driver data; 0 and *id,
 * or the errno. need says whether the VMM gives up when it fails.
 */
static int
vmm_hwpt_alloc(struct vmm *v, struct dev *d, uint32_t pt, uint32_t flags,
    uint32_t type, void *data, uint32_t len, uint32_t *id, int need,
    const char *what)
{
	struct iommu_hwpt_alloc	 a;
	int			 rc;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	a.dev_id = d->devid;
	a.pt_id = pt;
	a.data_type = type;
	a.data_len = len;
	a.data_uptr = (uintptr_t)data;
	rc = xioctl(v->iommufd, IOMMU_HWPT_ALLOC, &a);
	if (rc == 0)
		*id = a.out_hwpt_id;
	say(v, rc, need, "IOMMU_HWPT_ALLOC", "dev=%u pt=%u flags=%#x "
	    "data_type=%u %s=%u", d->devid, pt, flags, type, what,
	    rc == 0 ? a.out_hwpt_id : 0);
	return (rc);
}

/*
 * QEMU's attach (iommufd_cdev_autodomains_get): every HWPT of the
 * container in turn, EINVAL meaning "incompatible, try the next"; then a
 * new HWPT, with dirty tracking when the IOMMU offers it; when the device
 * can have no domain of its own, the IOAS itself. 0 or the errno.
 */
static int
qemu_attach(struct vmm *v, struct dev *d)
{
	uint32_t	 flags = 0, id = 0;
	int		 i, rc;

	if (d->caps & IOMMU_HW_CAP_DIRTY_TRACKING)
		flags |= IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
	for (i = 0; i < v->nhwpt; i++) {
		rc = vmm_attach(v, d, v->hwpt[i].id, 0,
		    "(incompatible: try the next HWPT)");
		if (rc == 0)
			return (0);
		if (rc != EINVAL) {
			v->failed = 1;
			return (rc);
		}
	}
	rc = vmm_hwpt_alloc(v, d, v->ioas, flags, IOMMU_HWPT_DATA_NONE, NULL,
	    0, &id, 0, "hwpt");
	if (rc != 0) {
		/* No domain support: the kernel makes one for the IOAS. */
		return (vmm_attach(v, d, v->ioas, 1, NULL));
	}
	rc = vmm_attach(v, d, id, 1, NULL);
	if (rc != 0) {
		vmm_destroy(v, id, "hwpt");
		return (rc);
	}
	if (v->nhwpt < MAXHWPT) {
		v->hwpt[v->nhwpt].id = id;
		v->hwpt[v->nhwpt].flags = flags;
		v->nhwpt++;
	}
	return (0);
}

/*
 * IOMMU_IOAS_IOVA_RANGES as QEMU asks: with no room first (EMSGSIZE gives
 * the count), then with room for them all. The guest RAM's GPA becomes
 * the lowest 1 MiB-aligned address of a range it fits in. A failure is
 * tolerated, as by QEMU (a 64-bit range is assumed).
 */
static void
vmm_iova_ranges(struct vmm *v)
{
	struct iommu_ioas_iova_ranges	 r;
	struct iommu_iova_range		*rg = NULL;
	uint64_t			 start;
	uint32_t			 i, n;
	int				 rc;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.ioas_id = v->ioas;
	rc = xioctl(v->iommufd, IOMMU_IOAS_IOVA_RANGES, &r);
	say(v, rc, 0, "IOMMU_IOAS_IOVA_RANGES", "ioas=%u num_iovas=0 "
	    "(size probe) -> num_iovas=%u", v->ioas, r.num_iovas);
	v->gpa = GPA_ALIGN;
	if (rc != EMSGSIZE && rc != 0)
		return;
	n = r.num_iovas;
	if (n == 0)
		return;
	if ((rg = calloc(n, sizeof(*rg))) == NULL)
		return;
	r.allowed_iovas = (uintptr_t)rg;
	rc = xioctl(v->iommufd, IOMMU_IOAS_IOVA_RANGES, &r);
	say(v, rc, 0, "IOMMU_IOAS_IOVA_RANGES", "ioas=%u num_iovas=%u "
	    "alignment=%#llx", v->ioas, n,
	    (unsigned long long)r.out_iova_alignment);
	if (rc == 0) {
		for (i = 0; i < r.num_iovas && i < n; i++) {
			start = (rg[i].start + GPA_ALIGN - 1) & ~(GPA_ALIGN - 1);
			printf("%s:   range %u [%#llx, %#llx]\n", v->seq, i,
			    (unsigned long long)rg[i].start,
			    (unsigned long long)rg[i].last);
			if (start >= rg[i].start && start <= rg[i].last &&
			    rg[i].last - start >= v->ramsz - 1) {
				v->gpa = start;
				break;
			}
		}
	}
	free(rg);
}

/* IOMMU_IOAS_MAP of the guest RAM at its GPA, fixed; 0 or the errno. */
static int
vmm_map(struct vmm *v)
{
	struct iommu_ioas_map	 m;
	int			 rc;

	memset(&m, 0, sizeof(m));
	m.size = sizeof(m);
	m.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
	    IOMMU_IOAS_MAP_WRITEABLE;
	m.ioas_id = v->ioas;
	m.user_va = (uintptr_t)v->ram;
	m.length = v->ramsz;
	m.iova = v->gpa;
	rc = xioctl(v->iommufd, IOMMU_IOAS_MAP, &m);
	if (rc == 0)
		v->mapped = 1;
	say(v, rc, 1, "IOMMU_IOAS_MAP", "ioas=%u iova=%#llx length=%#zx "
	    "flags=FIXED_IOVA|READABLE|WRITEABLE", v->ioas,
	    (unsigned long long)v->gpa, v->ramsz);
	return (rc);
}

/* IOMMU_IOAS_UNMAP of the guest RAM; ENOENT counts as done (QEMU). */
static void
vmm_unmap(struct vmm *v)
{
	struct iommu_ioas_unmap	 u;
	int			 rc;

	memset(&u, 0, sizeof(u));
	u.size = sizeof(u);
	u.ioas_id = v->ioas;
	u.iova = v->gpa;
	u.length = v->ramsz;
	rc = xioctl(v->iommufd, IOMMU_IOAS_UNMAP, &u);
	say(v, rc, rc != ENOENT, "IOMMU_IOAS_UNMAP", "ioas=%u iova=%#llx "
	    "length=%#zx unmapped=%#llx", v->ioas, (unsigned long long)v->gpa,
	    v->ramsz, (unsigned long long)u.length);
	v->mapped = 0;
}

/*
 * The VFIO queries QEMU makes at realize: GET_INFO, then every region
 * and every interrupt index it reports. Regions and interrupts a device
 * lacks are tolerated, as by QEMU; GET_INFO is required.
 */
static void
vmm_vfio_queries(struct vmm *v, struct dev *d)
{
	struct vfio_device_info		 info;
	struct vfio_region_info		 ri;
	struct vfio_irq_info		 ii;
	uint32_t			 i;
	int				 rc;

	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	rc = xioctl(d->fd, VFIO_DEVICE_GET_INFO, &info);
	say(v, rc, 1, "VFIO_DEVICE_GET_INFO", "dev=%u flags=%#x "
	    "num_regions=%u num_irqs=%u", d->devid, info.flags,
	    info.num_regions, info.num_irqs);
	if (rc != 0)
		return;
	for (i = 0; i < info.num_regions && i < 16; i++) {
		memset(&ri, 0, sizeof(ri));
		ri.argsz = sizeof(ri);
		ri.index = i;
		rc = xioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ri);
		say(v, rc, 0, "VFIO_DEVICE_GET_REGION_INFO", "index=%u "
		    "flags=%#x size=%#llx", i, ri.flags,
		    (unsigned long long)ri.size);
	}
	for (i = 0; i < info.num_irqs && i < 16; i++) {
		memset(&ii, 0, sizeof(ii));
		ii.argsz = sizeof(ii);
		ii.index = i;
		rc = xioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &ii);
		say(v, rc, 0, "VFIO_DEVICE_GET_IRQ_INFO", "index=%u flags=%#x "
		    "count=%u", i, ii.flags, ii.count);
	}
}

/* IOMMU_HWPT_SET_DIRTY_TRACKING on or off; 0 or the errno. */
static int
vmm_set_dirty(struct vmm *v, uint32_t hwpt, int on)
{
	struct iommu_hwpt_set_dirty_tracking	 s;
	int					 rc;

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.hwpt_id = hwpt;
	s.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0;
	rc = xioctl(v->iommufd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s);
	say(v, rc, 1, "IOMMU_HWPT_SET_DIRTY_TRACKING", "hwpt=%u %s", hwpt,
	    on ? "enable" : "disable");
	return (rc);
}

/*
 * Migration as QEMU runs it: dirty tracking on for every HWPT made with
 * it (rolled back if one fails), one bitmap read over guest RAM a HWPT
 * at host page size, tracking off again.
 */
static void
qemu_dirty(struct vmm *v)
{
	struct iommu_hwpt_get_dirty_bitmap	 g;
	uint64_t				*bitmap;
	size_t					 words, nbits, k;
	int					 i, j, rc;

	for (i = 0; i < v->nhwpt; i++)
		if (v->hwpt[i].flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
			break;
	if (i == v->nhwpt) {
		printf("%s: dirty tracking: skipped: no HWPT offers it\n",
		    v->seq);
		return;
	}
	for (i = 0; i < v->nhwpt; i++) {
		if ((v->hwpt[i].flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) == 0)
			continue;
		if (vmm_set_dirty(v, v->hwpt[i].id, 1) != 0) {
			for (j = 0; j < i; j++)
				if (v->hwpt[j].flags &
				    IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
					vmm_set_dirty(v, v->hwpt[j].id, 0);
			return;
		}
	}
	words = (v->ramsz / HOST_PAGE + 63) / 64;
	if ((bitmap = calloc(words, sizeof(*bitmap))) == NULL)
		return;
	for (i = 0; i < v->nhwpt; i++) {
		if ((v->hwpt[i].flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) == 0)
			continue;
		memset(&g, 0, sizeof(g));
		g.size = sizeof(g);
		g.hwpt_id = v->hwpt[i].id;
		g.iova = v->gpa;
		g.length = v->ramsz;
		g.page_size = HOST_PAGE;
		g.data = (uintptr_t)bitmap;
		rc = xioctl(v->iommufd, IOMMU_HWPT_GET_DIRTY_BITMAP, &g);
		nbits = 0;
		for (k = 0; k < words; k++)
			nbits += __builtin_popcountll(bitmap[k]);
		say(v, rc, 1, "IOMMU_HWPT_GET_DIRTY_BITMAP", "hwpt=%u "
		    "iova=%#llx length=%#zx page_size=%#llx dirty_pages=%zu",
		    v->hwpt[i].id, (unsigned long long)v->gpa, v->ramsz,
		    HOST_PAGE, nbits);
	}
	free(bitmap);
	for (i = 0; i < v->nhwpt; i++)
		if (v->hwpt[i].flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING)
			vmm_set_dirty(v, v->hwpt[i].id, 0);
}

/*
 * Close every device and /dev/iommu, as a VMM does last. With --wait,
 * first say so and wait for a line on standard input (or its end), so
 * that what the teardown left can be looked at while the nodes are open.
 */
static void
vmm_close(struct vmm *v)
{
	char	 line[64];
	int	 i;

	if (v->wait) {
		printf("%s: teardown done, waiting for a line on standard "
		    "input\n", v->seq);
		fflush(stdout);
		if (fgets(line, sizeof(line), stdin) == NULL)
			clearerr(stdin);
	}

	for (i = 0; i < v->ndev; i++) {
		if (v->dev[i].fd >= 0) {
			close(v->dev[i].fd);
			say(v, 0, 0, "close", "%s", v->dev[i].path);
		}
		v->dev[i].fd = -1;
		v->dev[i].bound = 0;
		v->dev[i].hwpt = 0;
	}
	if (v->iommufd >= 0) {
		close(v->iommufd);
		say(v, 0, 0, "close", "%s", v->iommu_path);
	}
	v->iommufd = -1;
}

/*
 * Open the nodes, bind every device and ask for its IOMMU's information,
 * in QEMU's order (the IOAS made after the first device's). 0 or the
 * errno.
 */
static int
vmm_open_bind(struct vmm *v)
{
	int	 i, rc;

	if ((rc = vmm_open_iommu(v)) != 0)
		return (rc);
	for (i = 0; i < v->ndev; i++) {
		if ((rc = vmm_open_dev(v, &v->dev[i])) != 0 ||
		    (rc = vmm_bind(v, &v->dev[i])) != 0 ||
		    (rc = vmm_hw_info(v, &v->dev[i], 1)) != 0)
			return (rc);
		if (i == 0 && (rc = vmm_ioas_alloc(v)) != 0)
			return (rc);
	}
	return (0);
}

/*
 * QEMU's iommufd backend with vfio-pci devices, realize to teardown, in
 * QEMU 10's order. Each device: bind, GET_HW_INFO (the host IOMMU
 * device's realize, whose answer the attach reuses), the attach. The
 * first device's container brings the IOAS, and once attached its IOVA
 * ranges and the memory listener's MAP of guest RAM. Then vfio-pci's
 * region and interrupt queries. At the end a migration round, and the
 * teardown.
 */
static void
seq_qemu(struct vmm *v)
{
	int	 i;

	v->seq = "qemu";
	if (vmm_open_iommu(v) != 0)
		goto out;
	for (i = 0; i < v->ndev; i++) {
		if (vmm_open_dev(v, &v->dev[i]) != 0 ||
		    vmm_bind(v, &v->dev[i]) != 0 ||
		    vmm_hw_info(v, &v->dev[i], 1) != 0)
			goto out;
		if (i == 0 && vmm_ioas_alloc(v) != 0)
			goto out;
		if (qemu_attach(v, &v->dev[i]) != 0)
			goto out;
		if (i == 0) {
			vmm_iova_ranges(v);
			if (vmm_map(v) != 0)
				goto out;
		}
		vmm_vfio_queries(v, &v->dev[i]);
	}
	qemu_dirty(v);
out:
	for (i = 0; i < v->ndev; i++)
		if (v->dev[i].hwpt != 0)
			vmm_detach(v, &v->dev[i]);
	for (i = v->nhwpt - 1; i >= 0; i--)
		vmm_destroy(v, v->hwpt[i].id, "hwpt");
	v->nhwpt = 0;
	if (v->mapped)
		vmm_unmap(v);
	if (v->ioas != 0)
		vmm_destroy(v, v->ioas, "ioas");
	v->ioas = 0;
	vmm_close(v);
}

/* One SMMUv3 command through the vIOMMU, as QEMU forwards it. */
static void
smmu_invalidate(struct vmm *v, uint32_t viommu, uint64_t cmd0,
    uint64_t cmd1, const char *what)
{
	struct iommu_viommu_arm_smmuv3_invalidate	 c;
	struct iommu_hwpt_invalidate			 inv;
	int						 rc;

	c.cmd[0] = htole64(cmd0);
	c.cmd[1] = htole64(cmd1);
	memset(&inv, 0, sizeof(inv));
	inv.size = sizeof(inv);
	inv.hwpt_id = viommu;
	inv.data_uptr = (uintptr_t)&c;
	inv.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
	inv.entry_len = sizeof(c);
	inv.entry_num = 1;
	rc = xioctl(v->iommufd, IOMMU_HWPT_INVALIDATE, &inv);
	say(v, rc, 1, "IOMMU_HWPT_INVALIDATE", "viommu=%u %s entry_num=1 "
	    "handled=%u", viommu, what, inv.entry_num);
}

/*
 * QEMU's accelerated SMMUv3 (arm-smmuv3,accel=on): a nest-parent HWPT
 * on the IOAS, a vIOMMU over it, abort and bypass nested HWPTs, a vDEVICE
 * per stream id (the device's place on the command line), the device on
 * the abort HWPT until the guest enables bypass, guest commands one at a
 * time, teardown. Skipped unless the IOMMU is an SMMUv3.
 */
static void
seq_smmuv3(struct vmm *v)
{
	struct iommu_viommu_alloc	 va;
	struct iommu_vdevice_alloc	 vd;
	struct iommu_hwpt_arm_smmuv3	 ste;
	struct dev			*d0 = &v->dev[0];
	uint32_t			 parent = 0, viommu = 0;
	uint32_t			 abort_hwpt = 0, bypass_hwpt = 0;
	int				 i, rc;

	v->seq = "qemu-smmuv3";
	if (vmm_open_bind(v) != 0)
		goto out;
	if (d0->hw_type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
		printf("%s: skipped: not an SMMUv3 (hw_info type %#x)\n",
		    v->seq, d0->hw_type);
		goto out;
	}
	if (vmm_hwpt_alloc(v, d0, v->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT,
	    IOMMU_HWPT_DATA_NONE, NULL, 0, &parent, 1, "parent") != 0)
		goto out;
	memset(&va, 0, sizeof(va));
	va.size = sizeof(va);
	va.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	va.dev_id = d0->devid;
	va.hwpt_id = parent;
	rc = xioctl(v->iommufd, IOMMU_VIOMMU_ALLOC, &va);
	if (rc == 0)
		viommu = va.out_viommu_id;
	say(v, rc, 1, "IOMMU_VIOMMU_ALLOC", "type=ARM_SMMUV3 dev=%u hwpt=%u "
	    "viommu=%u", d0->devid, parent, viommu);
	if (rc != 0)
		goto out;
	memset(&ste, 0, sizeof(ste));
	ste.ste[0] = htole64(STE0_V | STE0_CFG_ABORT);
	if (vmm_hwpt_alloc(v, d0, viommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
	    sizeof(ste), &abort_hwpt, 1, "abort") != 0)
		goto out;
	ste.ste[0] = htole64(STE0_V | STE0_CFG_BYPASS);
	if (vmm_hwpt_alloc(v, d0, viommu, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, &ste,
	    sizeof(ste), &bypass_hwpt, 1, "bypass") != 0)
		goto out;
	for (i = 0; i < v->ndev; i++) {
		memset(&vd, 0, sizeof(vd));
		vd.size = sizeof(vd);
		vd.viommu_id = viommu;
		vd.dev_id = v->dev[i].devid;
		vd.virt_id = i + 1;
		rc = xioctl(v->iommufd, IOMMU_VDEVICE_ALLOC, &vd);
		if (rc == 0)
			v->dev[i].vdevice = vd.out_vdevice_id;
		say(v, rc, 1, "IOMMU_VDEVICE_ALLOC", "viommu=%u dev=%u "
		    "vsid=%d vdevice=%u", viommu, v->dev[i].devid, i + 1,
		    v->dev[i].vdevice);
		if (rc != 0)
			goto out;
		if (vmm_attach(v, &v->dev[i], abort_hwpt, 1, NULL) != 0)
			goto out;
	}
	vmm_iova_ranges(v);
	if (vmm_map(v) != 0)
		goto out;
	for (i = 0; i < v->ndev; i++) {
		if (vmm_attach(v, &v->dev[i], bypass_hwpt, 1, NULL) != 0)
			goto out;
		/* The guest's commands after its STE change, one a call. */
		smmu_invalidate(v, viommu, CMD_CFGI_CD |
		    (uint64_t)(i + 1) << 32, 1, "CFGI_CD");
	}
	smmu_invalidate(v, viommu, CMD_TLBI_NH_ASID | 1ULL << 48, 0,
	    "TLBI_NH_ASID");
	smmu_invalidate(v, viommu, CMD_TLBI_NH_VA | 1ULL << 48,
	    v->gpa & ~0xfffULL, "TLBI_NH_VA");
out:
	for (i = 0; i < v->ndev; i++)
		if (v->dev[i].hwpt != 0)
			vmm_detach(v, &v->dev[i]);
	for (i = 0; i < v->ndev; i++) {
		if (v->dev[i].vdevice != 0)
			vmm_destroy(v, v->dev[i].vdevice, "vdevice");
		v->dev[i].vdevice = 0;
	}
	if (bypass_hwpt != 0)
		vmm_destroy(v, bypass_hwpt, "hwpt");
	if (abort_hwpt != 0)
		vmm_destroy(v, abort_hwpt, "hwpt");
	if (viommu != 0)
		vmm_destroy(v, viommu, "viommu");
	if (parent != 0)
		vmm_destroy(v, parent, "hwpt");
	if (v->mapped)
		vmm_unmap(v);
	if (v->ioas != 0)
		vmm_destroy(v, v->ioas, "ioas");
	v->ioas = 0;
	vmm_close(v);
}

/*
 * Cloud Hypervisor's order: the IOAS first, then each device bound and
 * attached to the IOAS itself (the kernel picks the domain), guest RAM
 * mapped at a fixed IOVA (CH_GPA), unmapped, detached, the IOAS
 * destroyed.
 */
static void
seq_cloud_hypervisor(struct vmm *v)
{
	int	 i;

	v->seq = "cloud-hypervisor";
	v->gpa = CH_GPA;
	if (vmm_open_iommu(v) != 0 || vmm_ioas_alloc(v) != 0)
		goto out;
	for (i = 0; i < v->ndev; i++) {
		if (vmm_open_dev(v, &v->dev[i]) != 0 ||
		    vmm_bind(v, &v->dev[i]) != 0 ||
		    vmm_attach(v, &v->dev[i], v->ioas, 1, NULL) != 0)
			goto out;
	}
	if (vmm_map(v) != 0)
		goto out;
	vmm_unmap(v);
out:
	if (v->mapped)
		vmm_unmap(v);
	for (i = 0; i < v->ndev; i++)
		if (v->dev[i].hwpt != 0)
			vmm_detach(v, &v->dev[i]);
	if (v->ioas != 0)
		vmm_destroy(v, v->ioas, "ioas");
	v->ioas = 0;
	vmm_close(v);
}

/* The sequences by name, in the order "all" runs them. */
static const struct {
	const char	*name;
	void		(*run)(struct vmm *);
} sequences[] = {
	{ "qemu", seq_qemu },
	{ "qemu-smmuv3", seq_smmuv3 },
	{ "cloud-hypervisor", seq_cloud_hypervisor },
};

/*
 * Parse the options, map the guest RAM, run the sequences asked for.
 * Returns 0 when each ran as its VMM needs, 1 if one did not, 2 on a
 * usage error.
 */
int
main(int argc, char **argv)
{
	static const struct option	 longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "iommu", required_argument, NULL, 'i' },
		{ "ram", required_argument, NULL, 'r' },
		{ "sequence", required_argument, NULL, 's' },
		{ "wait", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	static char			 paths[MAXDEV][64];
	struct vmm			 v;
	const char			*seq = "all";
	char				*end;
	unsigned long			 mib = 4;
	size_t				 i;
	int				 c, found = 0, failed = 0;

	memset(&v, 0, sizeof(v));
	v.iommu_path = "/dev/iommu";
	while ((c = getopt_long(argc, argv, "hi:r:s:w", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return (0);
		case 'i':
			v.iommu_path = optarg;
			break;
		case 'r':
			errno = 0;
			mib = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || mib == 0 ||
			    mib > 1024) {
				fprintf(stderr, "%s: --ram: 1 to 1024 MiB\n",
				    program_invocation_short_name);
				return (2);
			}
			break;
		case 's':
			seq = optarg;
			break;
		case 'w':
			v.wait = 1;
			break;
		default:
			usage(stderr);
			return (2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > MAXDEV) {
		usage(stderr);
		return (2);
	}
	for (c = 0; c < argc; c++) {
		if (strchr(argv[c], '/') == NULL) {
			snprintf(paths[c], sizeof(paths[c]),
			    "/dev/vfio/devices/vfio%s", argv[c]);
			v.dev[c].path = paths[c];
		} else
			v.dev[c].path = argv[c];
		v.dev[c].fd = -1;
	}
	v.ndev = argc;
	v.iommufd = -1;
	v.ramsz = mib << 20;
	v.ram = mmap(NULL, v.ramsz, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v.ram == MAP_FAILED) {
		fprintf(stderr, "%s: guest RAM: %s\n",
		    program_invocation_short_name, strerror(errno));
		return (1);
	}
	for (i = 0; i < sizeof(sequences) / sizeof(sequences[0]); i++) {
		if (strcmp(seq, "all") != 0 &&
		    strcmp(seq, sequences[i].name) != 0)
			continue;
		found = 1;
		v.failed = 0;
		sequences[i].run(&v);
		printf("%s: %s\n", v.seq, v.failed ? "FAILED" : "done");
		failed |= v.failed;
	}
	munmap(v.ram, v.ramsz);
	if (!found) {
		fprintf(stderr, "%s: no sequence \"%s\"\n",
		    program_invocation_short_name, seq);
		return (2);
	}
	return (failed ? 1 : 0);
}

/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The hardware-model interface: one versioned table of functions that the
 * object code asks for every answer real IOMMU hardware would decide.
 *
 * A model (struct hw_model_ops) is code: "mock" is the kernel selftest's
 * mock IOMMU; vendor models come later as one file and one row each. An
 * instance (struct hw_instance) is a model plus its parameters, one per
 * IOMMU the daemon emulates, looked up by name. Devices (iommufd/device.h)
 * point at the instance behind them.
 *
 * Every op returns 0 or -errno and changes nothing it does not own. An op
 * left NULL means the hardware cannot do it; the callers then answer what
 * the kernel answers for a driver without that op (mostly EOPNOTSUPP).
 * The object code includes this header only, never a model's file.
 *
 * Installed as <ioasid/hw/hw.h>, this is also the model ABI of plugins
 * (hw/plugin.h), so it includes nothing of the daemon; any change to the
 * table or the structs it uses raises HW_MODEL_VERSION.
 */
#ifndef IOASIDD_HW_H
#define IOASIDD_HW_H

#include <stddef.h>
#include <stdint.h>

/* The interface version a model is written against. */
#define HW_MODEL_VERSION	3

/* The largest GET_HW_INFO blob any model fills. */
#define HW_INFO_MAX		256

/* Device flags (struct hw_dev_desc.flags). */
#define HW_DEV_NO_DIRTY		0x1	/* cannot track dirty pages */
#define HW_DEV_PASID		0x2	/* PASID capable */
#define HW_DEV_IOPF		0x4	/* can raise I/O page faults */
#define HW_DEV_HUGE_IOVA	0x8	/* domains use huge pages */
#define HW_DEV_NO_SNOOP		0x10	/* may issue no-snoop (non-coherent) DMA */

/* Domain flags (struct hw_domain.flags). */
#define HW_DOMAIN_NEST_PARENT	0x1
#define HW_DOMAIN_DIRTY		0x2	/* allocated with DIRTY_TRACKING */
#define HW_DOMAIN_PASID		0x4	/* allocated with ALLOC_PASID */

struct hw_instance;

/* One "key = value" of an [iommu NAME] section besides model and profile. */
struct hw_param {
	const char	*key;
	const char	*value;
	int		 line;		/* in the config, for messages */
};

/* What a model is told about one device behind one of its instances. */
struct hw_dev_desc {
	const struct hw_instance	*hw;
	uint32_t			 rid;		/* PCI requester id */
	unsigned int			 pasid_width;	/* 0: no PASID */
	unsigned int			 flags;		/* HW_DEV_* */
};

/*
 * A paging domain as the model decides it at allocation: the page sizes
 * (the smallest one is the IOVA alignment it imposes), the aperture
 * (everything outside is reserved in the IOAS while the domain is there),
 * coherency, and the flags it was allocated with.
 */
struct hw_domain {
	uint64_t	 pgsize_bitmap;
	uint64_t	 aperture_start;
	uint64_t	 aperture_last;		/* inclusive */
	unsigned int	 flags;			/* HW_DOMAIN_* */
	int		 enforce_cc;
	uint32_t	 pagetable_type;	/* model's format choice */
};

/* Bytes of one invalidation entry that a model may look at. */
#define HW_INVALIDATE_READ	64

/* A caller's data for a domain, vIOMMU or invalidation: type and bytes. */
struct hw_data {
	uint32_t	 type;
	const void	*buf;		/* already copied in */
	size_t		 len;
};

/* A nested domain's model state (the IOTLB of the mock, a vendor STE). */
#define HW_NESTED_IOTLB_MAX	4
struct hw_nested {
	uint32_t	 iotlb[HW_NESTED_IOTLB_MAX];
	unsigned int	 niotlb;
	unsigned int	 flags;		/* HW_DOMAIN_PASID */
	uint64_t	 entry[4];	/* a vendor's table entry (vSTE...) */
};

/* A device's cache, as the model sees it (the mock's cache slots). */
#define HW_DEV_CACHE_MAX	4
struct hw_dev_cache {
	uint32_t	 cache[HW_DEV_CACHE_MAX];
	unsigned int	 ncache;
};

struct hw_model_ops {
	unsigned int	 version;		/* HW_MODEL_VERSION */
	const char	*name;			/* "mock" */

	/*
	 * GET_HW_INFO: fill buf (HW_INFO_MAX bytes, zeroed) with the
	 * report of type in_type (0: the native one), set *out_type and
	 * *len. -EOPNOTSUPP for a type the hardware cannot report.
	 */
	int	(*hw_info)(const struct hw_dev_desc *, uint32_t in_type,
		    uint32_t *out_type, void *buf, size_t *len);
	/* IOMMU_HW_CAP_* bits of the device. */
	uint64_t (*capabilities)(const struct hw_dev_desc *);
	/*
	 * A device's reserved IOVA regions (MSI windows...): call fn for
	 * each, stop at its first non-zero return. Optional.
	 */
	int	(*reserved_regions)(const struct hw_dev_desc *,
		    int (*fn)(void *, uint64_t start, uint64_t last), void *);

	/*
	 * A paging domain for the device: flags HW_DOMAIN_*, data the
	 * caller's (type 0 for none). -EOPNOTSUPP for flags or a data type
	 * the hardware lacks, -EINVAL for bad data. Fills *dom.
	 */
	int	(*domain_alloc_paging)(const struct hw_dev_desc *,
		    unsigned int flags, const struct hw_data *,
		    struct hw_domain *dom);
	/*
	 * Whether the device may attach to the domain: 0, or -EINVAL for
	 * "incompatible" (the auto-domain search moves on at -EINVAL).
	 */
	int	(*attach_check)(const struct hw_dev_desc *,
		    const struct hw_domain *);
	/* Make the domain enforce cache coherency: 0 or -EINVAL. Optional. */
	int	(*enforce_cache_coherency)(struct hw_domain *);

	/*
	 * A nested domain on a NEST_PARENT domain (parent) or a vIOMMU
	 * (parent NULL): validate data and fill *nested. Optional.
	 */
	int	(*domain_alloc_nested)(const struct hw_dev_desc *,
		    const struct hw_domain *parent, unsigned int flags,
		    const struct hw_data *, struct hw_nested *nested);
	/*
	 * HWPT_INVALIDATE on a nested domain: one entry of entry_len bytes
	 * (data.len; the first HW_INVALIDATE_READ of them in data.buf),
	 * applied to *nested, which is unchanged on failure. len 0 only
	 * checks the type. Optional.
	 */
	int	(*nested_invalidate)(struct hw_nested *,
		    const struct hw_data *);
	/* The device's cache slots after binding. Optional. */
	void	(*dev_cache_init)(const struct hw_dev_desc *,
		    struct hw_dev_cache *);

	/*
	 * VIOMMU_ALLOC of type for the device: -EOPNOTSUPP for a type the
	 * hardware lacks. The caller's data (len 0 when none) is in buf,
	 * which the model may change: its first len bytes go back to the
	 * caller. Optional.
	 */
	int	(*viommu_alloc)(const struct hw_dev_desc *, uint32_t type,
		    void *buf, size_t len);
	/*
	 * HWPT_INVALIDATE on a vIOMMU: one entry. lookup finds the cache
	 * of the device a vDEVICE virt_id names (-EINVAL when none).
	 * Optional.
	 */
	int	(*viommu_invalidate)(const struct hw_data *,
		    int (*lookup)(void *, uint64_t virt_id,
		    struct hw_dev_cache **), void *);

	/*
	 * The guest owns the PASID table: a page request on a PASID that
	 * has no attachment of its own goes to the RID's nested domain.
	 */
	int	 user_pasid_table;

	/*
	 * HW_QUEUE_ALLOC of type on a vIOMMU of viommu_type: -EOPNOTSUPP
	 * for a type the hardware lacks; else how many queues of it one
	 * vIOMMU may have (*nqueues: indexes 0 to n - 1) and whether they
	 * are ordered (*ordered: queue n needs queue n - 1, which stays
	 * until n goes). Optional.
	 */
	int	(*hw_queue_type)(uint32_t viommu_type, uint32_t type,
		    unsigned int *nqueues, int *ordered);

	/*
	 * The region a new vIOMMU of type offers for the caller to mmap()
	 * on its /dev/iommu descriptor, given the data viommu_alloc left
	 * in buf (len bytes, 0 for none): set *mmap_len (whole CPU pages,
	 * at most HW_MMAP_MAX; 0 for no region), fill page (HW_MMAP_INIT
	 * bytes, zeroed) with the region's first bytes, and write offset
	 * (the core's choice) and the length where the type's data says.
	 * Optional.
	 */
	int	(*viommu_mmap)(uint32_t type, void *buf, size_t len,
		    uint64_t offset, uint64_t *mmap_len, void *page);

	/* Profile names, NULL-terminated, the default first; NULL: none. */
	const char *const *profiles;
	/*
	 * Build inst->priv from the profile (NULL: the default) and the
	 * overrides; 0, or -errno with a one-line reason for the operator in
	 * err (errlen bytes) naming the key at fault. Optional.
	 */
	int	(*instance_init)(struct hw_instance *inst, const char *profile,
		    const struct hw_param *params, size_t nparams,
		    char *err, size_t errlen);
	void	(*instance_fini)(struct hw_instance *inst);
	/* Each register (name, value) the instance reports, for status. */
	void	(*describe)(const struct hw_instance *inst,
		    void (*fn)(void *arg, const char *reg, uint64_t value),
		    void *arg);
	/*
	 * The PASID bits the unit translates: a device behind it has at
	 * most that many (0: none, whatever its PCI capability says).
	 * Optional; NULL leaves the device's own width.
	 */
	unsigned int (*pasid_bits)(const struct hw_instance *inst);
	/*
	 * Whether the instance can block no-snoop DMA (snoop control: the
	 * kernel's IOMMU_CAP_ENFORCE_CACHE_COHERENCY), so that its paging
	 * domains enforce cache coherency. Optional: NULL means it can if
	 * the model has enforce_cache_coherency. Ask hw_snoop_control().
	 */
	int	(*snoop_control)(const struct hw_instance *inst);

	/*
	 * HWPT_INVALIDATE on a vIOMMU of the instance inst, for models whose
	 * commands name devices (SMMUv3's stream ids): one entry as for
	 * viommu_invalidate, but lookup finds the device a vDEVICE virt_id
	 * names (-ENOENT when none). Used instead of viommu_invalidate when
	 * set. Optional.
	 */
	int	(*viommu_invalidate_dev)(const struct hw_instance *inst,
		    const struct hw_data *,
		    int (*lookup)(void *, uint64_t virt_id,
		    const struct hw_dev_desc **), void *);
	/*
	 * Whether the device may attach to a nested domain on a vIOMMU,
	 * given whether it has a vDEVICE there (has_vdevice): 0 or -errno.
	 * Optional; without it a vDEVICE is required (-ENOENT).
	 */
	int	(*nested_attach_check)(const struct hw_dev_desc *,
		    const struct hw_nested *, int has_vdevice);
	/*
	 * Whether a device's DMA through the nested domain bypasses its
	 * stage 1 and goes through the parent's stage 2 alone (1), or is
	 * aborted (0; also when NULL: no stage-1 walk is modelled).
	 */
	int	(*nested_s1_bypass)(const struct hw_nested *);
	/*
	 * A device's DMA at iova through a nested domain that does not
	 * bypass its stage 1, which is not walked: the event the hardware
	 * would report to the guest for it, if any. virt_id is the
	 * device's vDEVICE id; read_s2 reads guest memory at an address
	 * through the parent's stage 2. 1 with *type (the vEVENTQ type),
	 * ev (HW_VEVENT_MAX bytes) and *len filled, 0 for no event.
	 * Optional.
	 */
	int	(*nested_dma_event)(const struct hw_nested *, uint64_t virt_id,
		    uint64_t iova, int (*read_s2)(void *, uint64_t addr,
		    void *buf, size_t len), void *arg, uint32_t *type,
		    void *ev, size_t *len);

	/*
	 * Paging domains are not tied to the instance they were made on:
	 * a device behind another instance of the model may attach to
	 * one (also as a nest parent) when attach_check, asked for the
	 * device's instance, says it fits. As VT-d's driver shares a
	 * domain among units; 0 keeps a domain to its own instance.
	 */
	int	 share_domains;
	/*
	 * A device behind inst is attached (RID or PASID) to the domain
	 * key names (the core's, the same for the domain's whole life):
	 * the hardware's domain id for it on that unit, taken at the
	 * first attachment behind the unit and counted (a domain shared
	 * among units has one on each); 0, or -ENOSPC when the unit has
	 * none left, which fails the attach. domain_id_put drops one
	 * attachment's count and frees the id with the last. Optional,
	 * both or neither: without them ids never run out.
	 */
	int	(*domain_id_get)(const struct hw_instance *inst,
		    const void *key);
	void	(*domain_id_put)(const struct hw_instance *inst,
		    const void *key);
};

/* The largest vEVENT record a model makes. */
#define HW_VEVENT_MAX		64

/* The largest vIOMMU mmap region, and the bytes a model may fill. */
#define HW_MMAP_MAX		(1ULL << 20)
#define HW_MMAP_INIT		64

/* A model with its parameters: one emulated IOMMU. */
struct hw_instance {
	const char			*name;		/* "mock0" */
	const struct hw_model_ops	*ops;
	uint64_t			 param;		/* model's own */
	const char			*profile;	/* NULL: none */
	void				*priv;		/* instance_init's */
};

/* The built-in models, by name, or NULL. */
const struct hw_model_ops	*hw_model_find(const char *name);
/* The built-in and configured instances, by name, or NULL. */
const struct hw_instance	*hw_instance_find(const char *name);
/* The i-th instance, configured ones first, or NULL past the last. */
const struct hw_instance	*hw_instance_at(size_t i);

/*
 * A new instance name of model, from its profile (NULL: the model's
 * default) and the overrides, in *instp (hw_instance_free() it): 0, or
 * -ENOENT for an unknown model, -EINVAL for an unknown profile, a key the
 * model does not take or a bad value, -ENOMEM; err then says why.
 */
int	hw_instance_new(const char *name, const char *model,
	    const char *profile, const struct hw_param *params,
	    size_t nparams, struct hw_instance **instp, char *err,
	    size_t errlen);
void	hw_instance_free(struct hw_instance *);
/*
 * Make inst a configured instance, found by hw_instance_find(): 0, or
 * -EEXIST if one of its name is there, -ENOMEM. The table owns it then.
 */
int	hw_instance_add(struct hw_instance *inst);
/* Free every configured instance (no device may point at one any more). */
void	hw_instances_clear(void);

/*
 * Whether the instance has snoop control: its domains enforce cache
 * coherency and a device behind it counts as coherent for KVM.
 */
int	hw_snoop_control(const struct hw_instance *);

/*
 * The "snoop-control = yes|no" override of the models that take no other
 * (mock, plain), parsed into *param (HW_PARAM_SC_*): 0, or -EINVAL with
 * err naming the key at fault.
 */
#define HW_PARAM_SC_SET		0x1	/* snoop-control given */
#define HW_PARAM_SC_YES		0x2	/* and it is yes */
int	hw_param_snoop(const struct hw_param *, size_t nparams,
	    uint64_t *param, char *err, size_t errlen);

/* The selftest mock model (hw/mock.c) and its default instance. */
extern const struct hw_model_ops	hw_mock_ops;
extern const struct hw_instance		hw_mock_instance;

/* No IOMMU (hw/noiommu.c): Linux 7.3's noiommu devices, instance "none". */
extern const struct hw_model_ops	hw_noiommu_ops;
extern const struct hw_instance		hw_noiommu_instance;

static inline int
hw_is_noiommu(const struct hw_instance *hw)
{
	return (hw != NULL && hw->ops == &hw_noiommu_ops);
}

/* The plain model (hw/plain.c): 4 KiB pages from address 0, nothing else. */
extern const struct hw_model_ops	hw_plain_ops;
extern const struct hw_instance		hw_plain_instance;

/* Intel VT-d (hw/vtd.c): registers from a profile and overrides. */
extern const struct hw_model_ops	hw_vtd_ops;

/* The AMD-Vi model (hw/amdvi.c): instances come from [iommu NAME] only. */
extern const struct hw_model_ops	hw_amdvi_ops;

/* The smallest page size of a domain (its IOVA alignment), or 0. */
static inline uint64_t
hw_domain_min_page(const struct hw_domain *dom)
{
	return (dom->pgsize_bitmap & -dom->pgsize_bitmap);
}

#endif /* IOASIDD_HW_H */

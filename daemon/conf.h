/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The configuration file (ioasidd.conf): an INI file read with libinih.
 *
 * Every key is one row of conf_keys[] (conf.c) giving its section, type,
 * where it lives in struct conf, its limits, its default and whether a
 * running daemon can take a new value on SIGHUP. Adding a key is adding a
 * field here and a row there.
 *
 * Loading never stops at the first mistake: every error is collected as
 * "file:line: message" in conf->errors, so that one run of "ioasidd -n"
 * shows them all.
 */
#ifndef IOASIDD_CONF_H
#define IOASIDD_CONF_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "hw/hw.h"

enum conf_type {
	CONF_PATH,		/* absolute path; "" allowed with CONF_F_EMPTY */
	CONF_DEVNODE,		/* a path under /dev/ */
	CONF_MODE,		/* octal permission bits */
	CONF_GROUP,		/* group name or number; "" is (gid_t)-1 */
	CONF_CHOICE,		/* one word of choices[], stored as its index */
	CONF_NUMBER,		/* uint64_t, decimal, K/M/G/T: 1024^n */
};

#define CONF_F_RELOAD	0x1	/* a running daemon takes it on SIGHUP */
#define CONF_F_EMPTY	0x2	/* "" is allowed (means "none") */

struct conf_key {
	const char		*section;
	const char		*name;
	enum conf_type		 type;
	size_t			 offset;	/* in struct conf */
	long			 min, max;	/* CONF_MODE, CONF_NUMBER: value;
						   paths: len */
	const char *const	*choices;	/* CONF_CHOICE, NULL-terminated */
	const char		*dflt;		/* in file syntax */
	int			 flags;		/* CONF_F_* */
};

/*
 * An emulated device: one [device NAME] section. The IOMMU instance is a
 * label that devices behind the same IOMMU share; the model answers every
 * hardware question about it (daemon/hw/).
 */
#define CONF_DEVICE_MAX		64	/* [device] sections one file may have */
#define CONF_PASID_WIDTH_MAX	20	/* the PCIe PASID is 20 bits wide */
#define CONF_NAME_MAX		32	/* longest device or instance name */

/*
 * pasid-policy: per-rid (the default, as upstream: the caller's PASID is
 * the one on the wire) or global (the daemon hands out host-unique
 * PASIDs and translates, as ENQCMD needs).
 */
#define CONF_PASID_PER_RID	0
#define CONF_PASID_GLOBAL	1

/* capabilities = a comma-separated list of these words. */
#define CONF_DEVCAP_DIRTY	0x1	/* "dirty": dirty tracking */
#define CONF_DEVCAP_HUGE_IOVA	0x2	/* "huge-iova": the large aperture */
#define CONF_DEVCAP_ATS		0x4	/* "ats": a device TLB */
#define CONF_DEVCAP_PRI		0x8	/* "pri": page requests (faults) */
#define CONF_DEVCAP_NO_SNOOP	0x10	/* "no-snoop": non-coherent DMA */

struct conf_device {
	char		*name;		/* the device label, [device NAME] */
	int		 line;		/* of its header, for messages */
	int		 has_rid;
	uint16_t	 rid;		/* PCI requester id: bus, dev, fn */
	char		*iommu;		/* IOMMU instance; default "iommu0" */
	char		*model;		/* hardware model; default "mock" */
	unsigned int	 pasid_width;	/* 0: no PASID */
	unsigned int	 pasid_policy;	/* CONF_PASID_* */
	unsigned int	 caps;		/* CONF_DEVCAP_* */
	/*
	 * The PCI function (dev/pci.h): NULL for none (a device with no
	 * regions, as before functions existed), and the values that
	 * override what the function declares, each where its
	 * CONF_PCI_* bit is set in pci_set.
	 */
	char		*function;
	unsigned int	 pci_set;
	uint16_t	 vendor_id, device_id;
	uint16_t	 subsys_vendor, subsys_device;
	uint32_t	 class_code;
	uint64_t	 bar_size[6];
	unsigned int	 bar_flags[6];	/* PCI_BARF_* */
	uint32_t	 rom_size;
	unsigned int	 intx_pin;	/* 0: none, 1-4: A-D */
	unsigned int	 msi_vectors, msix_vectors;
	int		 seen[24];	/* line of each key, for repeats */
};

#define CONF_PCI_VENDOR		0x001
#define CONF_PCI_DEVICE		0x002
#define CONF_PCI_SUBVENDOR	0x004
#define CONF_PCI_SUBDEVICE	0x008
#define CONF_PCI_CLASS		0x010
#define CONF_PCI_ROM		0x020
#define CONF_PCI_INTX		0x040
#define CONF_PCI_MSI		0x080
#define CONF_PCI_MSIX		0x100
#define CONF_PCI_BAR(i)		(0x200U << (i))

/*
 * An emulated IOMMU: one [iommu NAME] section, made into an instance of
 * its model at start (hw/hw.h). Every key besides model and profile is an
 * override the model parses; the file is read with each one tried.
 */
#define CONF_IOMMU_MAX		64	/* [iommu] sections one file may have */
#define CONF_IOMMU_PARAM_MAX	64	/* overrides one section may have */

struct conf_iommu {
	char		*name;		/* [iommu NAME] */
	int		 line;		/* of its header */
	char		*model;		/* required */
	int		 model_line;
	char		*profile;	/* NULL: the model's default */
	int		 profile_line;
	struct hw_param	*params;	/* the overrides, strings ours */
	size_t		 nparams;
};

struct conf {
	char		*path;		/* the file read, for messages */

	/* [daemon] */
	char		*socket;	/* the iommufd socket transport */
	mode_t		 socket_mode;
	gid_t		 socket_gid;	/* (gid_t)-1: leave as created */
	int		 log_level;	/* LOG_LEVEL_* */
	char		*control_socket;	/* "": no control socket */
	gid_t		 control_gid;	/* may use the control socket */
	char		*node;		/* CUSE device node; "": none */
	mode_t		 node_mode;
	gid_t		 node_gid;
	int		 node_required;	/* no node: stop (1) or go on (0) */
	uint64_t	 socket_per_uid;	/* connections one uid may open */
	uint64_t	 noiommu_granule;	/* iommufd/noiommu.h */
	int		 uapi_level;	/* index: see conf_uapi_level() */
	char		*model_dir;	/* model plugins: NAME.so */

	/*
	 * [limits], in the order of enum limit_kind (limit.h): objects,
	 * areas, allowed ranges, reserved ranges, bytes. 0: no limit.
	 */
	uint64_t	 limit_ctx[5];	/* per context */
	uint64_t	 limit_uid[5];	/* per uid, over its contexts */

	/* [trace]: the JSON trace (core/trace.h). */
	int		 trace_enabled;	/* no (0), yes (1) */
	char		*trace_path;
	uint64_t	 trace_max_size;	/* 0: no limit */
	uint64_t	 trace_rotate;	/* older files kept */

	/*
	 * The [device NAME] sections, in file order: the i-th is served as
	 * the VFIO cdev node vfio<i>.
	 */
	struct conf_device	*devices;
	size_t			 ndevices;
	/* The [iommu NAME] sections, in file order. */
	struct conf_iommu	*iommus;
	size_t			 niommus;

	/* "file:line: message", in file order. */
	char		**errors;
	size_t		 nerrors;
};

/*
 * Whether two configurations declare the same devices, in the same order
 * with the same keys (the [device] sections are not reloadable).
 */
int	conf_devices_equal(const struct conf *, const struct conf *);

/*
 * Whether two configurations declare the same IOMMU instances, in the same
 * order with the same keys (the [iommu] sections are not reloadable).
 */
int	conf_iommus_equal(const struct conf *, const struct conf *);
/* The [iommu NAME] section called name, or NULL. */
const struct conf_iommu *conf_iommu_find(const struct conf *,
	    const char *name);

/* The [device NAME] section called name, or NULL. */
const struct conf_device *conf_device_find(const struct conf *,
	    const char *name);

/* One key whose value differs between two configurations. */
struct conf_change {
	const struct conf_key	*key;
	char			 old[128];
	char			 new[128];
};

extern const struct conf_key	conf_keys[];
extern const size_t		conf_nkeys;

/*
 * Read path into a new configuration stored in *confp, starting from the
 * defaults. Returns 0, or -EINVAL if the file had errors (conf->errors says
 * which), or -errno if it could not be read (the error is in conf->errors
 * too). -ENOMEM leaves *confp NULL; in every other case the caller owns
 * *confp and must conf_free() it.
 */
int	conf_load(const char *path, struct conf **confp);
/* The uapi-level key as proto/uapi.h's UAPI_LEVEL_* number. */
unsigned int	conf_uapi_level(const struct conf *);
/* A configuration holding only the defaults: 0 or -ENOMEM. */
int	conf_defaults(struct conf **confp);
void	conf_free(struct conf *);

/*
 * Apply "key=value" or "section.key=value" on top of a loaded file (the
 * -o option). On error, records "-o ARG: message" in conf->errors and
 * returns -EINVAL.
 */
int	conf_override(struct conf *, const char *arg);

/* The row for section.name, or NULL. */
const struct conf_key	*conf_key_find(const char *section, const char *name);
/* A key's value in file syntax. */
void	conf_key_format(const struct conf *, const struct conf_key *,
	    char *buf, size_t len);

/*
 * Compare two configurations key by key. Stores up to max changes and
 * returns how many keys differ.
 */
size_t	conf_diff(const struct conf *old, const struct conf *new,
	    struct conf_change *changes, size_t max);
/*
 * Take the reloadable keys of src into dst, leaving the others as they are
 * (what SIGHUP does with the running configuration).
 */
void	conf_take_reloadable(struct conf *dst, struct conf *src);

#endif /* IOASIDD_CONF_H */

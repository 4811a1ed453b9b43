/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The ARM SMMUv3 model's registers and what it derives from them, for the
 * model (hw/smmuv3.c) and its tests. The object code uses hw.h only.
 */
#ifndef IOASIDD_HW_SMMUV3_H
#define IOASIDD_HW_SMMUV3_H

#include <stdint.h>

#include "hw/hw.h"

/* The register file an instance reports, raw (SMMU_IDR0..5, IIDR, AIDR). */
struct smmuv3_regs {
	uint32_t	 idr[6];
	uint32_t	 iidr;
	uint32_t	 aidr;
};

/* What the Linux driver derives from the registers, and so the model. */
struct smmuv3 {
	struct smmuv3_regs	 regs;
	int			 s1, s2;	/* IDR0.S1P, IDR0.S2P */
	int			 nesting;	/* both stages */
	int			 coherent;	/* IDR0.COHACC */
	int			 ha, hd;	/* IDR0.HTTU: access, dirty */
	int			 btm;		/* IDR0.BTM */
	int			 ats, pri;	/* IDR0.ATS, IDR0.PRI */
	unsigned int		 asid_bits;	/* IDR0.ASID16: 16, else 8 */
	unsigned int		 vmid_bits;	/* IDR0.VMID16 */
	unsigned int		 sid_bits;	/* IDR1.SIDSIZE */
	unsigned int		 ssid_bits;	/* IDR1.SSIDSIZE: PASID width */
	int			 range_inv;	/* IDR3.RIL */
	int			 s2fwb;		/* IDR3.FWB */
	int			 ds;		/* IDR5.DS */
	int			 vax;		/* IDR5.VAX: 52-bit VA */
	unsigned int		 oas;		/* IDR5.OAS in bits */
	uint64_t		 pgsize_bitmap;	/* IDR5.GRAN* (and OAS 52) */
};

/*
 * Decode regs into *s: 0, or -EINVAL with the reason in err naming the
 * register at fault (what Linux refuses to probe).
 */
int	smmuv3_decode(const struct smmuv3_regs *, struct smmuv3 *s,
	    char *err, size_t errlen);

/*
 * Check and convert one guest command (cmd[0], cmd[1] in CPU order) in
 * place as Linux 7.3 does before it reaches the host queue: the VMID
 * becomes vmid, a vSID the physical stream id lookup finds. 0, or -EIO
 * for a command the guest may not issue or a vSID without a device.
 */
int	smmuv3_cmd_convert(const struct smmuv3 *, uint64_t cmd[2],
	    uint16_t vmid, int (*lookup)(void *, uint64_t virt_id,
	    const struct hw_dev_desc **), void *arg);

/* The decoded state of an instance of the model. */
const struct smmuv3	*smmuv3_of(const struct hw_instance *);

/* The ARM SMMUv3 model (hw/smmuv3.c) and its default instance. */
extern const struct hw_model_ops	hw_smmuv3_ops;
extern const struct hw_instance		hw_smmuv3_instance;

#endif /* IOASIDD_HW_SMMUV3_H */

/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The "amd-vi" model's registers and the rules derived from them, for the
 * unit tests: the object code reaches the model through hw.h only.
 */
#ifndef IOASIDD_HW_AMDVI_H
#define IOASIDD_HW_AMDVI_H

#include <stdint.h>

/* Extended Feature Register (MMIO 0x30) fields. */
#define AMDVI_EFR_PREFSUP	(1ULL << 0)
#define AMDVI_EFR_PPRSUP	(1ULL << 1)
#define AMDVI_EFR_XTSUP		(1ULL << 2)
#define AMDVI_EFR_NXSUP		(1ULL << 3)
#define AMDVI_EFR_GTSUP		(1ULL << 4)
#define AMDVI_EFR_IASUP		(1ULL << 6)
#define AMDVI_EFR_GASUP		(1ULL << 7)
#define AMDVI_EFR_HESUP		(1ULL << 8)
#define AMDVI_EFR_PCSUP		(1ULL << 9)
#define AMDVI_EFR_HATS_SHIFT	10		/* 2 bits: host levels - 4 */
#define AMDVI_EFR_GATS_SHIFT	12		/* 2 bits: 0 4-level, 1 5-level */
#define AMDVI_EFR_GLX_SHIFT	14		/* 2 bits: GCR3 table levels */
#define AMDVI_EFR_GAMSUP	(1ULL << 21)
#define AMDVI_EFR_PASMAX_SHIFT	32		/* 5 bits */
#define AMDVI_EFR_GIOSUP	(1ULL << 48)
#define AMDVI_EFR_HASUP		(1ULL << 49)
#define AMDVI_EFR_EPHSUP	(1ULL << 50)
#define AMDVI_EFR_HDSUP		(1ULL << 52)
#define AMDVI_EFR_SNPSUP	(1ULL << 63)

/* Extended Feature 2 Register (MMIO 0x1a0) fields. */
#define AMDVI_EFR2_SEVSNPIOSUP	(1ULL << 1)
#define AMDVI_EFR2_GCR3TRPMODE	(1ULL << 3)
#define AMDVI_EFR2_HTRANGEIGN	(1ULL << 11)
#define AMDVI_EFR2_SNPPGMODE0	(1ULL << 13)

/* Guest DTE (struct iommu_hwpt_amd_guest.dte[]) fields. */
#define AMDVI_DTE0_V		(1ULL << 0)
#define AMDVI_DTE0_MODE		(7ULL << 9)
#define AMDVI_DTE0_HOST_TRP	(((1ULL << 40) - 1) << 12)
#define AMDVI_DTE0_PPR		(1ULL << 52)
#define AMDVI_DTE0_GIOV		(1ULL << 54)
#define AMDVI_DTE0_GV		(1ULL << 55)
#define AMDVI_DTE0_GLX_SHIFT	56		/* 2 bits; 3 reserved */
#define AMDVI_DTE0_GCR3_14_12	(7ULL << 58)
#define AMDVI_DTE1_DOMID	0xffffULL
#define AMDVI_DTE1_GCR3_30_15	(0xffffULL << 16)
#define AMDVI_DTE1_GCR3_51_31	(((1ULL << 21) - 1) << 43)
#define AMDVI_DTE2_GPT_SHIFT	54		/* 2 bits: 0 4-level, 1 5-level */

/* What an amd-vi instance is: its registers and the host CPU's paging. */
struct amdvi {
	uint64_t	 efr;
	uint64_t	 efr2;
	int		 la57;		/* the host CPU runs 5-level paging */
	const char	*profile;
};

/*
 * Linux 7.3's check of a guest DTE for a nested domain: 0, -EINVAL for a
 * malformed entry, -EOPNOTSUPP for a 5-level guest table the host lacks.
 */
int	amdvi_gdte_check(const struct amdvi *, const uint64_t dte[4]);

#endif /* IOASIDD_HW_AMDVI_H */

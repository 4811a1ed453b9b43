/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * What attaching a device costs, against the cheapest object round trip.
 *
 * In one process, through the real dispatcher and the device API the VFIO
 * nodes use, it times pairs of:
 *  - IOMMU_IOAS_ALLOC + IOMMU_DESTROY (the baseline);
 *  - attach of a mock device to an empty IOAS + detach: the attach makes
 *    an auto domain (model allocation, aperture reserved in the IOAS,
 *    pinner added) and the detach destroys it again;
 *  - attach to a paging HWPT that stays + detach (a domain another
 *    device keeps alive): the attachment bookkeeping alone.
 * Each figure is the median of ROUNDS rounds of OPS pairs, and each ratio
 * the median of the per-round ratios to the baseline of the same round.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "bench.h"
#include "bench_core.h"
#include "core/ctx.h"
#include "core/ucmd.h"
#include "hw/hw.h"
#include "iommufd/device.h"

#define ROUNDS	9

static struct ucaller	caller;

static uint32_t
ioas_alloc(struct ctx *ctx)
{
	struct iommu_ioas_alloc	a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	bench_must(bench_call(ctx, &caller, IOMMU_IOAS_ALLOC, &a), "IOAS_ALLOC");
	return (a.out_ioas_id);
}

static void
destroy(struct ctx *ctx, uint32_t id)
{
	struct iommu_destroy	d;

	memset(&d, 0, sizeof(d));
	d.size = sizeof(d);
	d.id = id;
	bench_must(bench_call(ctx, &caller, IOMMU_DESTROY, &d), "DESTROY");
}

/* ns per pair of IOAS_ALLOC + DESTROY. */
static double
time_ioas(struct ctx *ctx, unsigned long ops)
{
	double		t0 = bench_now_ns();
	unsigned long	i;

	for (i = 0; i < ops; i++)
		destroy(ctx, ioas_alloc(ctx));
	return ((bench_now_ns() - t0) / ops);
}

/* ns per pair of attach to pt + detach. */
static double
time_attach(struct device *dev, uint32_t pt, unsigned long ops)
{
	double		t0 = bench_now_ns();
	unsigned long	i;
	uint32_t	id;

	for (i = 0; i < ops; i++) {
		id = pt;
		bench_must(device_attach(dev, DEVICE_NO_PASID, &id), "attach");
		bench_must(device_detach(dev, DEVICE_NO_PASID), "detach");
	}
	return ((bench_now_ns() - t0) / ops);
}

int
main(int argc, char *argv[])
{
	struct ctx	*ctx;
	struct edev	 e1, e2;
	struct device	*d1, *d2;
	double		 base[ROUNDS], fresh[ROUNDS], kept[ROUNDS];
	double		 rf[ROUNDS], rk[ROUNDS];
	unsigned long	 ops = 20000;
	uint32_t	 ioas, id, hwpt;
	int		 r;

	if (argc > 1 && strcmp(argv[1], "--quick") == 0)
		ops = 2000;
	caller.pid = getpid();
	bench_must(ctx_new("bench", getpid(), &ctx), "ctx_new");
	device_edev_init(&e1, "bench0", &hw_mock_instance, 1, 0, 0);
	device_edev_init(&e2, "bench1", &hw_mock_instance, 2, 0, 0);
	bench_must(device_bind(ctx, &e1, &d1, &id), "bind");
	bench_must(device_bind(ctx, &e2, &d2, &id), "bind");
	ioas = ioas_alloc(ctx);
	/* The second device keeps one auto domain of the IOAS alive. */
	hwpt = ioas;
	bench_must(device_attach(d2, DEVICE_NO_PASID, &hwpt), "attach");
	{
		/* A separate IOAS, empty, for the fresh-domain case. */
		uint32_t	 empty = ioas_alloc(ctx);

		for (r = 0; r < ROUNDS; r++) {
			base[r] = time_ioas(ctx, ops);
			fresh[r] = time_attach(d1, empty, ops);
			kept[r] = time_attach(d1, hwpt, ops);
			rf[r] = fresh[r] / base[r];
			rk[r] = kept[r] / base[r];
		}
	}
	printf("IOAS_ALLOC+DESTROY             %7.0f ns per pair\n",
	    bench_median(base, ROUNDS));
	printf("attach+detach, new auto domain %7.0f ns per pair (%.2fx)\n",
	    bench_median(fresh, ROUNDS), bench_median(rf, ROUNDS));
	printf("attach+detach, domain kept     %7.0f ns per pair (%.2fx)\n",
	    bench_median(kept, ROUNDS), bench_median(rk, ROUNDS));
	device_unbind(d1);
	device_unbind(d2);
	ctx_close(ctx);
	return (0);
}

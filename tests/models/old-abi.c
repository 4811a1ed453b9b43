/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A plugin built for the previous model ABI: the loader must refuse it
 * and say which version it speaks.
 */
#include <ioasid/hw/hw.h>

const struct hw_model_ops ioasidd_hw_model = {
	.version = HW_MODEL_VERSION - 1,
	.name = "old-abi",
};

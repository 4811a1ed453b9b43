/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A shared object that is no model: it exports no ioasidd_hw_model, and
 * the loader must say so.
 */
#include <ioasid/hw/hw.h>

const struct hw_model_ops not_a_model = {
	.version = HW_MODEL_VERSION,
	.name = "no-symbol",
};

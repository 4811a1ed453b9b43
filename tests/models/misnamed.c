/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * A plugin whose file name and model name differ: refused, so that a
 * model is always the one its name says.
 */
#include <ioasid/hw/hw.h>

const struct hw_model_ops ioasidd_hw_model = {
	.version = HW_MODEL_VERSION,
	.name = "other-name",
};

/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The tables of built-in hardware models and instances, looked up by
 * name. A new model adds a row to each.
 */
#include <stddef.h>
#include <string.h>

#include "core/util.h"
#include "hw/hw.h"

static const struct hw_model_ops *const hw_models[] = {
	&hw_mock_ops,
	&hw_noiommu_ops,
	&hw_plain_ops,
};

static const struct hw_instance *const hw_instances[] = {
	&hw_mock_instance,
	&hw_noiommu_instance,
	&hw_plain_instance,
};

const struct hw_model_ops *
hw_model_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(hw_models); i++) {
		if (strcmp(hw_models[i]->name, name) == 0)
			return (hw_models[i]);
	}
	return (NULL);
}

const struct hw_instance *
hw_instance_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(hw_instances); i++) {
		if (strcmp(hw_instances[i]->name, name) == 0)
			return (hw_instances[i]);
	}
	return (NULL);
}

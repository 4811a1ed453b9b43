/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * Hardware models in shared objects: an [iommu NAME] section's "model =
 * NAME" that no built-in model answers loads MODEL-DIR/NAME.so, whose
 * symbol ioasidd_hw_model is its struct hw_model_ops. A plugin is built
 * against the installed <ioasid/hw/hw.h> and must speak this daemon's
 * HW_MODEL_VERSION. Each is loaded once and kept for the daemon's life.
 */
#ifndef IOASIDD_HW_PLUGIN_H
#define IOASIDD_HW_PLUGIN_H

#include <stddef.h>

#include "hw/hw.h"

/* The symbol a plugin exports. */
#define HW_PLUGIN_SYMBOL	"ioasidd_hw_model"
/* The longest model name, and how many plugins one daemon may load. */
#define HW_PLUGIN_NAME_MAX	31
#define HW_PLUGIN_MAX		16

/* Whether name may name a model: 1 to 31 of [a-z0-9-], no leading '-'. */
int	hw_model_name_valid(const char *name);

/*
 * The model called name in *opsp: a built-in one, else the plugin
 * dir/name.so (loaded now if it was not yet). 0, or with a one-line
 * reason in err (errlen bytes): -EINVAL for a bad name, -ENOENT when
 * there is no such file, -ENOEXEC when it cannot be loaded, lacks the
 * symbol or speaks another model ABI version, -ENOSPC past
 * HW_PLUGIN_MAX plugins.
 */
int	hw_model_load(const char *dir, const char *name,
	    const struct hw_model_ops **opsp, char *err, size_t errlen);

/*
 * The model-dir hw_instance_new() loads plugins from (copied; a path
 * longer than PATH_MAX counts as none), and what it is.
 */
void		 hw_model_dir_set(const char *dir);
const char	*hw_model_dir_get(void);

#endif /* IOASIDD_HW_PLUGIN_H */

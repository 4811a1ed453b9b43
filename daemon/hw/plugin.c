/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The model plugin loader (plugin.h). Plugins are dlopen()ed with
 * RTLD_NOW, so an unresolved symbol shows at load and not at the first
 * ioctl, and RTLD_LOCAL, so two plugins never see each other's symbols.
 * The table of loaded plugins is bounded (HW_PLUGIN_MAX) and never
 * shrinks: instances keep pointers into a plugin's ops until exit.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "hw/hw.h"
#include "hw/plugin.h"

struct hw_plugin {
	char				 name[HW_PLUGIN_NAME_MAX + 1];
	void				*handle;
	const struct hw_model_ops	*ops;
};

static struct hw_plugin	hw_plugins[HW_PLUGIN_MAX];
static size_t		hw_nplugins;

/* Whether name may name a model (so never a path): 1 if so, else 0. */
int
hw_model_name_valid(const char *name)
{
	size_t	 i;

	if (name == NULL || name[0] == '\0' || name[0] == '-')
		return (0);
	for (i = 0; name[i] != '\0'; i++) {
		if (i >= HW_PLUGIN_NAME_MAX)
			return (0);
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
			return (0);
	}
	return (1);
}

/*
 * Open dir/name.so and check what it exports: 0 with *opsp and *handlep
 * set, or -ENOENT (no such file) or -ENOEXEC (not a model of this ABI)
 * with the reason in err and nothing left open.
 */
static int
hw_plugin_open(const char *dir, const char *name,
    const struct hw_model_ops **opsp, void **handlep, char *err,
    size_t errlen)
{
	const struct hw_model_ops	*ops;
	const char			*why;
	char				 path[4096];
	void				*handle;
	int				 n;

	n = snprintf(path, sizeof(path), "%s/%s.so", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		snprintf(err, errlen, "model %s: model-dir is too long", name);
		return (-ENOENT);
	}
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "model %s: not built in, and no "
		    "plugin %s: %s", name, path, strerror(errno));
		return (-ENOENT);
	}
	dlerror();
	if ((handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errlen, "model %s: cannot load %s: %s", name,
		    path, why != NULL ? why : "unknown error");
		return (-ENOEXEC);
	}
	ops = dlsym(handle, HW_PLUGIN_SYMBOL);
	if (ops == NULL) {
		snprintf(err, errlen, "model %s: %s has no symbol %s; is it "
		    "an ioasidd model?", name, path, HW_PLUGIN_SYMBOL);
		goto fail;
	}
	/* version is the first member in every ABI version. */
	if (ops->version != HW_MODEL_VERSION) {
		snprintf(err, errlen, "model %s: built for model ABI %u, this "
		    "ioasidd speaks %u; rebuild it against <ioasid/hw/hw.h>",
		    name, ops->version, HW_MODEL_VERSION);
		goto fail;
	}
	if (ops->name == NULL || strcmp(ops->name, name) != 0) {
		snprintf(err, errlen, "model %s: %s calls itself \"%s\"",
		    name, path, ops->name != NULL ? ops->name : "");
		goto fail;
	}
	if (ops->domain_alloc_paging == NULL || ops->attach_check == NULL) {
		snprintf(err, errlen, "model %s: %s lacks domain_alloc_paging "
		    "or attach_check, which every model has", name, path);
		goto fail;
	}
	*opsp = ops;
	*handlep = handle;
	return (0);
fail:
	dlclose(handle);
	return (-ENOEXEC);
}

/*
 * The model called name, built in or from dir/name.so, in *opsp: 0, or
 * -EINVAL (not a model name), -ENOENT (no such plugin), -ENOEXEC (not a
 * model of this ABI), -ENOSPC (too many plugins) with err set. A plugin
 * is opened the first time it is asked for and kept.
 */
int
hw_model_load(const char *dir, const char *name,
    const struct hw_model_ops **opsp, char *err, size_t errlen)
{
	const struct hw_model_ops	*ops;
	struct hw_plugin		*p;
	void				*handle = NULL;
	size_t				 i;
	int				 rc;

	*opsp = NULL;
	if (!hw_model_name_valid(name)) {
		snprintf(err, errlen, "model \"%s\": a model name is 1 to %d "
		    "of a-z, 0-9 and '-', never a path", name != NULL ? name :
		    "", HW_PLUGIN_NAME_MAX);
		return (-EINVAL);
	}
	if ((*opsp = hw_model_find(name)) != NULL)
		return (0);
	for (i = 0; i < hw_nplugins; i++) {
		if (strcmp(hw_plugins[i].name, name) == 0) {
			*opsp = hw_plugins[i].ops;
			return (0);
		}
	}
	if (dir == NULL || dir[0] == '\0') {
		snprintf(err, errlen, "model %s: not built in, and model-dir "
		    "is empty", name);
		return (-ENOENT);
	}
	if (hw_nplugins == HW_PLUGIN_MAX) {
		snprintf(err, errlen, "model %s: more than %d plugins", name,
		    HW_PLUGIN_MAX);
		return (-ENOSPC);
	}
	if ((rc = hw_plugin_open(dir, name, &ops, &handle, err,
	    errlen)) != 0)
		return (rc);
	p = &hw_plugins[hw_nplugins++];
	memcpy(p->name, name, strlen(name) + 1);	/* valid: it fits */
	p->handle = handle;
	p->ops = ops;
	*opsp = ops;
	return (0);
}

/* Where hw_instance_new() looks for plugins; "" for nowhere. */
static char	hw_model_dir[4096];

void
hw_model_dir_set(const char *dir)
{
	size_t	 n = dir != NULL ? strlen(dir) : 0;

	if (n >= sizeof(hw_model_dir))
		n = 0;
	memcpy(hw_model_dir, dir != NULL ? dir : "", n);
	hw_model_dir[n] = '\0';
}

const char *
hw_model_dir_get(void)
{
	return (hw_model_dir);
}

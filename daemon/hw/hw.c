/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The tables of hardware models and instances, looked up by name. A new
 * model adds a row to hw_models[]. The built-in instances (one per model
 * that has one, with its defaults) are hw_builtin[]; the configured ones,
 * one per [iommu NAME] section, are made at start by hw_instance_new()
 * and hw_instance_add() and live until hw_instances_clear().
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hw/hw.h"
#include "hw/plugin.h"
#include "hw/smmuv3.h"

/* The most [iommu NAME] instances: one a physical IOMMU would have. */
#define HW_INSTANCE_MAX		64

static const struct hw_model_ops *const hw_models[] = {
	&hw_mock_ops,
	&hw_noiommu_ops,
	&hw_plain_ops,
	&hw_vtd_ops,
	&hw_amdvi_ops,
	&hw_smmuv3_ops,
};

static const struct hw_instance *const hw_builtin[] = {
	&hw_mock_instance,
	&hw_noiommu_instance,
	&hw_plain_instance,
	&hw_smmuv3_instance,
};

static struct hw_instance	*hw_configured[HW_INSTANCE_MAX];
static size_t			 hw_nconfigured;

/* The model called name, or NULL. */
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

/* The built-in instance called name, or NULL. */
static const struct hw_instance *
hw_builtin_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < nitems(hw_builtin); i++) {
		if (strcmp(hw_builtin[i]->name, name) == 0)
			return (hw_builtin[i]);
	}
	return (NULL);
}

/* The configured or built-in instance called name, or NULL. */
const struct hw_instance *
hw_instance_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < hw_nconfigured; i++) {
		if (strcmp(hw_configured[i]->name, name) == 0)
			return (hw_configured[i]);
	}
	return (hw_builtin_find(name));
}

/* The i-th instance, the configured ones first, or NULL past the last. */
const struct hw_instance *
hw_instance_at(size_t i)
{
	if (i < hw_nconfigured)
		return (hw_configured[i]);
	i -= hw_nconfigured;
	return (i < nitems(hw_builtin) ? hw_builtin[i] : NULL);
}

/*
 * Whether model takes profile: 0, or -EINVAL with the known ones in err.
 */
static int
hw_profile_check(const struct hw_model_ops *ops, const char *profile,
    char *err, size_t errlen)
{
	size_t	 i, len;

	for (i = 0; ops->profiles != NULL && ops->profiles[i] != NULL; i++) {
		if (strcmp(ops->profiles[i], profile) == 0)
			return (0);
	}
	if (ops->profiles == NULL || ops->profiles[0] == NULL) {
		snprintf(err, errlen, "profile: model %s has no profiles, "
		    "not \"%s\"", ops->name, profile);
		return (-EINVAL);
	}
	len = (size_t)snprintf(err, errlen, "profile \"%s\" is not one of "
	    "model %s's:", profile, ops->name);
	for (i = 0; ops->profiles[i] != NULL && len < errlen; i++)
		len += (size_t)snprintf(err + len, errlen - len, "%s %s",
		    i == 0 ? "" : ",", ops->profiles[i]);
	return (-EINVAL);
}

/*
 * A new instance of model, built by the model's instance_init from the
 * profile and overrides: 0 with *instp set, or -errno with err set.
 */
int
hw_instance_new(const char *name, const char *model, const char *profile,
    const struct hw_param *params, size_t nparams,
    struct hw_instance **instp, char *err, size_t errlen)
{
	const struct hw_model_ops	*ops;
	struct hw_instance		*inst;
	char				*s = NULL, *p = NULL, perr[256];
	size_t				 i, len;
	int				 rc;

	*instp = NULL;
	if (hw_builtin_find(name) != NULL) {
		snprintf(err, errlen, "\"%s\" is the name of a built-in "
		    "instance", name);
		return (-EEXIST);
	}
	/*
	 * Not built in: a plugin from model-dir. A missing one is an
	 * unknown model, said with the known ones and the file looked for;
	 * every other refusal is the loader's own message.
	 */
	if ((ops = hw_model_find(model)) == NULL &&
	    (rc = hw_model_load(hw_model_dir_get(), model, &ops, perr,
	    sizeof(perr))) != 0) {
		if (rc != -ENOENT) {
			snprintf(err, errlen, "%s", perr);
			return (-ENOENT);
		}
		len = (size_t)snprintf(err, errlen, "model \"%s\" is not "
		    "one of", model);
		for (i = 0; i < nitems(hw_models) && len < errlen; i++)
			len += (size_t)snprintf(err + len, errlen - len,
			    "%s %s", i == 0 ? "" : ",", hw_models[i]->name);
		if (len < errlen)
			snprintf(err + len, errlen - len, "; %s", perr);
		return (-ENOENT);
	}
	if (ops->version != HW_MODEL_VERSION) {
		snprintf(err, errlen, "model %s is written for version %u of "
		    "the interface, not %u", model, ops->version,
		    HW_MODEL_VERSION);
		return (-EINVAL);
	}
	if (profile != NULL &&
	    (rc = hw_profile_check(ops, profile, err, errlen)) != 0)
		return (rc);
	if (ops->instance_init == NULL && nparams != 0) {
		snprintf(err, errlen, "unknown key \"%s\": model %s takes "
		    "no overrides", params[0].key, model);
		return (-EINVAL);
	}
	if (profile == NULL && ops->profiles != NULL)
		profile = ops->profiles[0];
	if ((inst = calloc(1, sizeof(*inst))) == NULL ||
	    (s = strdup(name)) == NULL ||
	    (profile != NULL && (p = strdup(profile)) == NULL)) {
		free(s);
		free(inst);
		snprintf(err, errlen, "out of memory");
		return (-ENOMEM);
	}
	inst->name = s;
	inst->ops = ops;
	inst->profile = p;
	if (ops->instance_init != NULL && (rc = ops->instance_init(inst,
	    profile, params, nparams, err, errlen)) != 0) {
		free(s);
		free(p);
		free(inst);
		return (rc);
	}
	*instp = inst;
	return (0);
}

/* Undo hw_instance_new(). */
void
hw_instance_free(struct hw_instance *inst)
{
	if (inst == NULL)
		return;
	if (inst->ops->instance_fini != NULL)
		inst->ops->instance_fini(inst);
	free((char *)(uintptr_t)inst->name);
	free((char *)(uintptr_t)inst->profile);
	free(inst);
}

/* Put inst in the table of configured instances: 0, -EEXIST, -ENOMEM. */
int
hw_instance_add(struct hw_instance *inst)
{
	if (hw_instance_find(inst->name) != NULL)
		return (-EEXIST);
	if (hw_nconfigured == nitems(hw_configured))
		return (-ENOMEM);
	hw_configured[hw_nconfigured++] = inst;
	return (0);
}

/*
 * Make inst a configured instance standing in for the built-in one called
 * builtin, which hw_instance_find() then no longer finds: what "ioasidctl
 * replay --model" does to put the selftest's mock devices behind another
 * model. 0, or -EEXIST when a configured instance has that name already,
 * -ENOMEM. The table owns inst then, under its new name.
 */
int
hw_instance_shadow(const char *builtin, struct hw_instance *inst)
{
	char	*s;
	size_t	 i;

	for (i = 0; i < hw_nconfigured; i++) {
		if (strcmp(hw_configured[i]->name, builtin) == 0)
			return (-EEXIST);
	}
	if (hw_nconfigured == nitems(hw_configured) ||
	    (s = strdup(builtin)) == NULL)
		return (-ENOMEM);
	free((char *)(uintptr_t)inst->name);
	inst->name = s;
	hw_configured[hw_nconfigured++] = inst;
	return (0);
}

/* Free the configured instances, the last made first. */
void
hw_instances_clear(void)
{
	while (hw_nconfigured > 0)
		hw_instance_free(hw_configured[--hw_nconfigured]);
}

/* Whether inst can block no-snoop DMA: its model's answer. */
int
hw_snoop_control(const struct hw_instance *inst)
{
	if (inst->ops->snoop_control != NULL)
		return (inst->ops->snoop_control(inst) != 0);
	return (inst->ops->enforce_cache_coherency != NULL);
}

/*
 * Parse the one override the mock and plain models take, snoop-control,
 * into *param: 0, or -EINVAL for another key, a repeated one or a value
 * other than yes and no.
 */
int
hw_param_snoop(const struct hw_param *params, size_t nparams,
    uint64_t *param, char *err, size_t errlen)
{
	size_t	 i;

	*param = 0;
	for (i = 0; i < nparams; i++) {
		if (strcmp(params[i].key, "snoop-control") != 0) {
			snprintf(err, errlen, "unknown key \"%s\": the only "
			    "override is snoop-control", params[i].key);
			return (-EINVAL);
		}
		if (*param & HW_PARAM_SC_SET) {
			snprintf(err, errlen, "snoop-control given twice");
			return (-EINVAL);
		}
		if (strcmp(params[i].value, "yes") == 0)
			*param = HW_PARAM_SC_SET | HW_PARAM_SC_YES;
		else if (strcmp(params[i].value, "no") == 0)
			*param = HW_PARAM_SC_SET;
		else {
			snprintf(err, errlen, "snoop-control: \"%s\" is not "
			    "yes or no", params[i].value);
			return (-EINVAL);
		}
	}
	return (0);
}

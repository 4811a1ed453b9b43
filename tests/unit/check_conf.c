/*
 * Copyright (c) 2026 The ioasidd developers
 * SPDX-License-Identifier: ISC
 *
 * The configuration reader: defaults, a good file, every kind of error with
 * its line number, several errors reported at once, -o overrides, and the
 * reload comparison.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "conf.h"
#include "hw/hw.h"
#include "dev/pci.h"
#include "uapi.h"
#include "log.h"
#include "suites.h"

static char	conf_tmp[64];

/* Write text to a fresh temporary file and load it. */
static int
load_text(const char *text, struct conf **confp)
{
	int	fd;

	snprintf(conf_tmp, sizeof conf_tmp, "/tmp/check_conf.XXXXXX");
	fd = mkstemp(conf_tmp);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return (conf_load(conf_tmp, confp));
}

static void
unload(struct conf *conf)
{
	conf_free(conf);
	unlink(conf_tmp);
}

/* True when some error is "<file>:<line>: ...needle...". */
static int
has_error(const struct conf *conf, int line, const char *needle)
{
	char	prefix[128];
	size_t	i;

	snprintf(prefix, sizeof prefix, "%s:%d: ", conf->path, line);
	for (i = 0; i < conf->nerrors; i++) {
		if (strncmp(conf->errors[i], prefix, strlen(prefix)) == 0 &&
		    strstr(conf->errors[i], needle) != NULL)
			return (1);
	}
	return (0);
}

START_TEST(conf_test_table_sorted)
{
	size_t	i;
	int	c;

	for (i = 1; i < conf_nkeys; i++) {
		c = strcmp(conf_keys[i - 1].section, conf_keys[i].section);
		if (c == 0)
			c = strcmp(conf_keys[i - 1].name, conf_keys[i].name);
		ck_assert_msg(c < 0, "conf_keys[] not sorted at %s",
		    conf_keys[i].name);
	}
	for (i = 0; i < conf_nkeys; i++) {
		ck_assert_ptr_eq(conf_key_find(conf_keys[i].section,
		    conf_keys[i].name), &conf_keys[i]);
	}
	ck_assert_ptr_null(conf_key_find("daemon", "nosuch"));
}
END_TEST

START_TEST(conf_test_defaults)
{
	struct conf	*conf;

	ck_assert_int_eq(conf_defaults(&conf), 0);
	ck_assert_str_eq(conf->socket, "/run/ioasidd/iommu.sock");
	ck_assert_str_eq(conf->control_socket, "/run/ioasidd/control.sock");
	ck_assert_int_eq(conf->socket_mode, 0660);
	ck_assert_int_eq(conf->socket_gid, (gid_t)-1);
	ck_assert_int_eq(conf->control_gid, (gid_t)-1);
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_INFO);
	ck_assert_str_eq(conf->node, "/dev/iommu");
	ck_assert_int_eq(conf->node_required, 0);
	ck_assert_int_eq(conf->node_mode, 0660);
	ck_assert_int_eq(conf->node_gid, (gid_t)-1);
	ck_assert_uint_eq(conf->socket_per_uid, 256);
	ck_assert_uint_eq(conf->nerrors, 0);
	conf_free(conf);

	/* An empty file is the defaults. */
	ck_assert_int_eq(load_text("", &conf), 0);
	ck_assert_str_eq(conf->socket, "/run/ioasidd/iommu.sock");
	unload(conf);
}
END_TEST

START_TEST(conf_test_good)
{
	struct conf	*conf;

	ck_assert_int_eq(load_text(
	    "# comment\n"
	    "; another\n"
	    "\n"
	    "[daemon]\n"
	    "  socket = /tmp/x/iommu.sock\n"
	    "socket-mode=0600\n"
	    "socket-group = 0\n"
	    "log-level = debug\n"
	    "control-socket =\n"
	    "control-group = 4242\n"
	    "node = /dev/iommu-emu\n"
	    "node-mode = 666\n"
	    "socket-connections-per-uid = 12\n"
	    "noiommu-granule = 2M\n"
	    "\tnode-group = root\n", &conf), 0);
	ck_assert_uint_eq(conf->nerrors, 0);
	ck_assert_str_eq(conf->socket, "/tmp/x/iommu.sock");
	ck_assert_int_eq(conf->socket_mode, 0600);
	ck_assert_int_eq(conf->socket_gid, 0);
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_DEBUG);
	ck_assert_str_eq(conf->control_socket, "");
	ck_assert_int_eq(conf->control_gid, 4242);
	ck_assert_str_eq(conf->node, "/dev/iommu-emu");
	ck_assert_int_eq(conf->node_mode, 0666);
	ck_assert_int_eq(conf->node_gid, 0);
	ck_assert_uint_eq(conf->socket_per_uid, 12);
	ck_assert_uint_eq(conf->noiommu_granule, 2 << 20);
	unload(conf);
}
END_TEST

/* One bad line per entry: the text, and what the message must say. */
static const struct {
	const char	*line;
	const char	*msg;
} conf_bad[] = {
	{ "nosuch = 1", "unknown key \"nosuch\" in [daemon]" },
	{ "socket = relative/path", "must be an absolute path" },
	{ "socket =", "socket needs a value" },
	{ "socket = /tmp/a # comment", "must not contain blanks" },
	{ "socket = /tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "at most 107 fit" },
	{ "socket-mode = 0999", "octal mode" },
	{ "socket-mode = 01777", "octal mode" },
	{ "socket-mode = -1", "octal mode" },
	{ "socket-mode =", "octal mode" },
	{ "socket-group = no-such-group-here", "no such group" },
	{ "socket-group = 12x", "not a group number" },
	{ "log-level = loud", "must be one of warn, info, debug" },
	{ "socket-connections-per-uid = 0", "a number from 1 to 1000000" },
	{ "socket-connections-per-uid = 1000001", "a number from 1" },
	{ "socket-connections-per-uid = -3", "a number from 1" },
	{ "socket-connections-per-uid = 1000k", "a number from 1" },
	{ "socket-connections-per-uid =", "a number from 1" },
	{ "noiommu-granule = 2K", "a number from 4096" },
	{ "noiommu-granule = 2G", "a number from 4096" },
	{ "noiommu-granule = 12K", "must be a power of two" },
	{ "node = iommu", "must be a node under /dev/" },
	{ "node = /dev/", "must be a node under /dev/" },
	{ "node = /dev/../etc/passwd", "must be a node under /dev/" },
	{ "just words", "expected \"key = value\"" },
	{ "[nosuch]", "unknown section [nosuch]" },
	{ "[daemon extra]", "section [daemon] takes no name" },
	{ "[daemon", "without \"]\"" },
	{ "[]", "empty section name" },
	{ "[daemon] junk", "unexpected text after section header" },
};

START_TEST(conf_test_each_error)
{
	struct conf	*conf;
	char		 text[512];

	/* Line 3, after a comment and the header. */
	snprintf(text, sizeof text, "# bad line below\n[daemon]\n%s\n",
	    conf_bad[_i].line);
	ck_assert_int_eq(load_text(text, &conf), -EINVAL);
	ck_assert_msg(has_error(conf, 3, conf_bad[_i].msg),
	    "\"%s\": wanted \"%s\" on line 3, got \"%s\"", conf_bad[_i].line,
	    conf_bad[_i].msg, conf->nerrors > 0 ? conf->errors[0] : "");
	ck_assert_uint_eq(conf->nerrors, 1);
	unload(conf);
}
END_TEST

/* A device's model is one daemon/hw/ provides: mock or plain. */
START_TEST(conf_test_device_model)
{
	struct conf	*conf;

	ck_assert_int_eq(load_text(
	    "[device edu0]\n"
	    "rid = 00:03.0\n"
	    "model = plain\n", &conf), 0);
	ck_assert_uint_eq(conf->nerrors, 0);
	ck_assert_str_eq(conf_device_find(conf, "edu0")->model, "plain");
	unload(conf);
	ck_assert_int_eq(load_text(
	    "[device edu0]\n"
	    "rid = 00:03.0\n"
	    "model = vtd\n", &conf), -EINVAL);
	ck_assert_uint_eq(conf->nerrors, 1);
	unload(conf);
}
END_TEST

START_TEST(conf_test_devices)
{
	struct conf			*conf, *other;
	const struct conf_device	*d;

	ck_assert_int_eq(load_text(
	    "[device nic0]\n"
	    "rid = 00:01.0\n"
	    "[daemon]\n"
	    "log-level = debug\n"
	    "[device gpu.1]\n"
	    "rid = 0000:3a:1f.7\n"
	    "iommu = smmu-2\n"
	    "model = mock\n"
	    "pasid-width = 20\n"
	    "pasid-policy = global\n"
	    "capabilities = ats,pri,huge-iova\n"
	    "[device quiet]\n"
	    "rid = 00:01.0\n"
	    "iommu = other\n"
	    "capabilities =\n", &conf), 0);
	ck_assert_uint_eq(conf->nerrors, 0);
	ck_assert_uint_eq(conf->ndevices, 3);
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_DEBUG);
	d = conf_device_find(conf, "nic0");
	ck_assert_ptr_eq(d, &conf->devices[0]);
	ck_assert_uint_eq(d->rid, 0x0008);
	ck_assert_str_eq(d->iommu, "iommu0");
	ck_assert_str_eq(d->model, "mock");
	ck_assert_uint_eq(d->pasid_width, 0);
	ck_assert_uint_eq(d->pasid_policy, CONF_PASID_PER_RID);
	ck_assert_uint_eq(d->caps, CONF_DEVCAP_DIRTY);
	d = conf_device_find(conf, "gpu.1");
	ck_assert_ptr_eq(d, &conf->devices[1]);
	ck_assert_uint_eq(d->rid, 0x3a << 8 | 0x1f << 3 | 7);
	ck_assert_str_eq(d->iommu, "smmu-2");
	ck_assert_uint_eq(d->pasid_width, 20);
	ck_assert_uint_eq(d->pasid_policy, CONF_PASID_GLOBAL);
	ck_assert_uint_eq(d->caps, CONF_DEVCAP_ATS | CONF_DEVCAP_PRI |
	    CONF_DEVCAP_HUGE_IOVA);
	ck_assert_uint_eq(conf_device_find(conf, "quiet")->caps, 0);
	ck_assert_ptr_null(conf_device_find(conf, "nosuch"));
	ck_assert(conf_devices_equal(conf, conf));
	ck_assert_int_eq(conf_defaults(&other), 0);
	ck_assert(!conf_devices_equal(conf, other));
	conf_free(other);
	unload(conf);
}
END_TEST

/* [iommu NAME] sections: read, found, compared, and made into instances. */
START_TEST(conf_test_iommus)
{
	struct conf			*conf, *other;
	const struct conf_iommu		*im;
	const struct hw_instance	*hw;
	struct hw_instance		*inst;
	char				 err[256];
	size_t				 i, n;

	ck_assert_int_eq(load_text(
	    "[iommu m0]\n"
	    "model = mock\n"
	    "[iommu p1]\n"
	    "model = plain\n"
	    "[device a]\n"
	    "rid = 00:01.0\n"
	    "iommu = m0\n"
	    "[device b]\n"
	    "rid = 00:01.0\n"
	    "iommu = p1\n"
	    "model = plain\n", &conf), 0);
	ck_assert_uint_eq(conf->nerrors, 0);
	ck_assert_uint_eq(conf->niommus, 2);
	im = conf_iommu_find(conf, "p1");
	ck_assert_ptr_eq(im, &conf->iommus[1]);
	ck_assert_str_eq(im->model, "plain");
	ck_assert_ptr_null(im->profile);
	ck_assert_int_eq(im->line, 3);
	ck_assert_ptr_null(conf_iommu_find(conf, "a"));
	ck_assert(conf_iommus_equal(conf, conf));
	ck_assert_int_eq(conf_defaults(&other), 0);
	ck_assert(!conf_iommus_equal(conf, other));
	conf_free(other);

	/* What the daemon does at start, and the lookups afterwards. */
	for (i = 0; i < conf->niommus; i++) {
		im = &conf->iommus[i];
		ck_assert_int_eq(hw_instance_new(im->name, im->model,
		    im->profile, im->params, im->nparams, &inst, err,
		    sizeof(err)), 0);
		ck_assert_int_eq(hw_instance_add(inst), 0);
	}
	hw = hw_instance_find("p1");
	ck_assert_ptr_nonnull(hw);
	ck_assert_ptr_eq(hw->ops, &hw_plain_ops);
	ck_assert_ptr_null(hw->profile);
	ck_assert_ptr_eq(hw_instance_find("m0")->ops, &hw_mock_ops);
	ck_assert_ptr_ne(hw_instance_find("m0"), &hw_mock_instance);
	ck_assert_ptr_eq(hw_instance_find("mock"), &hw_mock_instance);
	ck_assert_ptr_eq(hw_instance_at(0), hw_instance_find("m0"));
	ck_assert_ptr_eq(hw_instance_at(1), hw);
	ck_assert_ptr_eq(hw_instance_at(2), &hw_mock_instance);
	/* The two configured ones, then every built-in one. */
	for (n = 2; hw_instance_at(n) != NULL; n++)
		ck_assert_ptr_eq(hw_instance_find(hw_instance_at(n)->name),
		    hw_instance_at(n));
	ck_assert_uint_ge(n, 5);
	/* The same name twice is refused, the table unchanged. */
	ck_assert_int_eq(hw_instance_new("m0", "mock", NULL, NULL, 0, &inst,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(hw_instance_add(inst), -EEXIST);
	hw_instance_free(inst);
	ck_assert_ptr_null(hw_instance_at(n));
	hw_instances_clear();
	ck_assert_ptr_null(hw_instance_find("m0"));
	ck_assert_ptr_eq(hw_instance_at(0), &hw_mock_instance);
	unload(conf);

	ck_assert_int_eq(hw_instance_new("x", "vtd9", NULL, NULL, 0, &inst,
	    err, sizeof(err)), -ENOENT);
	ck_assert_ptr_null(inst);
	ck_assert_ptr_nonnull(strstr(err, "mock"));
	ck_assert_int_eq(hw_instance_new("plain", "plain", NULL, NULL, 0,
	    &inst, err, sizeof(err)), -EEXIST);
	ck_assert_int_eq(hw_instance_new("x", "plain", "qemu", NULL, 0,
	    &inst, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(inst);
}
END_TEST

/* Each mistake of an [iommu] section at the line of the key at fault. */
START_TEST(conf_test_iommu_errors)
{
	struct conf	*conf;

	ck_assert_int_eq(load_text(
	    "[iommu a]\n"			/* 1 */
	    "profile = x\n"
	    "[iommu b]\n"
	    "model = vtd9\n"
	    "[iommu c]\n"			/* 5 */
	    "model = mock\n"
	    "profile = qemu\n"
	    "[iommu d]\n"
	    "model = mock\n"
	    "cap = 0x1\n"			/* 10 */
	    "[iommu d]\n"
	    "[iommu e/1]\n"
	    "[iommu mock]\n"
	    "model = mock\n"
	    "[iommu f]\n"			/* 15 */
	    "model = plain\n"
	    "model = mock\n"
	    "x = 1\n"
	    "x = 2\n"
	    "y = two words\n"			/* 20 */
	    "[iommu]\n"
	    "[device g]\n"
	    "rid = 00:01.0\n"
	    "iommu = f\n"
	    "model = mock\n"			/* 25 */
	    "[device h]\n"
	    "rid = 00:02.0\n"
	    "iommu = f\n"
	    "model = plain\n", &conf), -EINVAL);
	ck_assert(has_error(conf, 1, "[iommu a] needs a model"));
	ck_assert(has_error(conf, 4, "model \"vtd9\" is not one of"));
	ck_assert(has_error(conf, 7, "model mock has no profiles"));
	ck_assert(has_error(conf, 10, "unknown key \"cap\""));
	ck_assert(has_error(conf, 11, "[iommu d] is already on line 8"));
	ck_assert(has_error(conf, 12, "iommu name \"e/1\""));
	ck_assert(has_error(conf, 13, "name of a built-in instance"));
	ck_assert(has_error(conf, 17, "already set on line 16"));
	ck_assert(has_error(conf, 19, "already set on line 18"));
	ck_assert(has_error(conf, 20, "y must be one word"));
	/* f is plain with override x, which plain does not take. */
	ck_assert(has_error(conf, 18, "unknown key \"x\""));
	ck_assert(has_error(conf, 21, "needs a name"));
	ck_assert(has_error(conf, 25, "model mock clashes with model plain "
	    "of [iommu f] (line 15)"));
	ck_assert_uint_eq(conf->nerrors, 13);
	unload(conf);
}
END_TEST

/* A bad line inside a [device] section, and its message. */
static const struct {
	const char	*line;
	const char	*msg;
} conf_bad_dev[] = {
	{ "rid = 1:2:3", "rid must be a PCI address" },
	{ "rid = 00:20.0", "rid must be a PCI address" },
	{ "rid = 00:01.8", "rid must be a PCI address" },
	{ "rid = 0001:00:01.0", "rid must be a PCI address" },
	{ "rid = 00:01.0x", "rid must be a PCI address" },
	{ "iommu = a/b", "iommu must be a name" },
	{ "model = vtd", "\"vtd\" is not a hardware model" },
	{ "pasid-width = 21", "a number from 0 to 20" },
	{ "pasid-width = -1", "a number from 0 to 20" },
	{ "pasid-policy = vm", "must be per-rid or global, not \"vm\"" },
	{ "capabilities = dirty,,ats", "has \"\"" },
	{ "capabilities = fast", "has \"fast\"" },
	{ "socket = /tmp/x", "unknown key \"socket\" in [device d]" },
	{ "function = nic", "\"nic\" is not a PCI function" },
	{ "vendor-id = 0x10000", "vendor-id must be a 16-bit number" },
	{ "device-id = x", "device-id must be a 16-bit number" },
	{ "subsystem-id = -1", "subsystem-id must be a 16-bit number" },
	{ "class = 0x1000000", "class must be a 24-bit class code" },
	{ "bar0 = 4K,32", "bar0 must be a size" },
	{ "bar5 = 1T", "bar5 must be a size" },
	{ "bar1 = ,64", "bar1 must be a size" },
	{ "rom-size = 1024", "rom-size must be 0 or a power of two" },
	{ "rom-size = 3000", "rom-size must be 0 or a power of two" },
	{ "interrupt-pin = E", "interrupt-pin must be none, A, B, C or D" },
	{ "msi-vectors = 3", "msi-vectors must be 0, 1, 2, 4" },
	{ "msi-vectors = 64", "msi-vectors must be 0, 1, 2, 4" },
	{ "msix-vectors = 2049", "msix-vectors must be a number from 0" },
};

START_TEST(conf_test_device_errors)
{
	struct conf	*conf;
	char		 text[512];

	int		 rid;

	/* A bad rid leaves the section without one: a second error. */
	rid = strncmp(conf_bad_dev[_i].line, "rid", 3) == 0;
	snprintf(text, sizeof text, "# line 1\n[device d]\n; comment\n"
	    "%s\n%s", conf_bad_dev[_i].line, rid ? "" : "rid = 00:00.1\n");
	ck_assert_int_eq(load_text(text, &conf), -EINVAL);
	ck_assert_msg(has_error(conf, 4, conf_bad_dev[_i].msg),
	    "\"%s\": wanted \"%s\" on line 4, got \"%s\"",
	    conf_bad_dev[_i].line, conf_bad_dev[_i].msg,
	    conf->nerrors > 0 ? conf->errors[0] : "");
	if (rid)
		ck_assert(has_error(conf, 2, "[device d] needs a rid"));
	ck_assert_uint_eq(conf->nerrors, 1 + rid);
	unload(conf);
}
END_TEST

/* The PCI function keys, and a description no function can build. */
START_TEST(conf_test_device_function)
{
	struct conf			*conf, *other;
	const struct conf_device	*d;

	ck_assert_int_eq(load_text(
	    "[device edu0]\n"
	    "rid = 00:03.0\n"
	    "function = edu\n"
	    "[device gen0]\n"
	    "rid = 00:04.0\n"
	    "function = generic\n"
	    "vendor-id = 0x1af4\n"
	    "device-id = 4096\n"
	    "subsystem-vendor-id = 0x1af4\n"
	    "subsystem-id = 0x1100\n"
	    "class = 0x020000\n"
	    "bar0 = 4K\n"
	    "bar2 = 1M,64,prefetch\n"
	    "bar4 = 32,io\n"
	    "rom-size = 0x10000\n"
	    "interrupt-pin = C\n"
	    "msi-vectors = 8\n"
	    "msix-vectors = 2048\n"
	    "[device plain]\n"
	    "rid = 00:05.0\n"
	    "function = none\n", &conf), 0);
	ck_assert_uint_eq(conf->nerrors, 0);
	d = conf_device_find(conf, "edu0");
	ck_assert_str_eq(d->function, "edu");
	ck_assert_uint_eq(d->pci_set, 0);
	d = conf_device_find(conf, "gen0");
	ck_assert_str_eq(d->function, "generic");
	ck_assert_uint_eq(d->vendor_id, 0x1af4);
	ck_assert_uint_eq(d->device_id, 4096);
	ck_assert_uint_eq(d->subsys_vendor, 0x1af4);
	ck_assert_uint_eq(d->subsys_device, 0x1100);
	ck_assert_uint_eq(d->class_code, 0x020000);
	ck_assert_uint_eq(d->bar_size[0], 4096);
	ck_assert_uint_eq(d->bar_flags[0], 0);
	ck_assert_uint_eq(d->bar_size[2], 1 << 20);
	ck_assert_uint_eq(d->bar_flags[2], PCI_BARF_64 | PCI_BARF_PREFETCH);
	ck_assert_uint_eq(d->bar_size[4], 32);
	ck_assert_uint_eq(d->bar_flags[4], PCI_BARF_IO);
	ck_assert_uint_eq(d->rom_size, 0x10000);
	ck_assert_uint_eq(d->intx_pin, 3);
	ck_assert_uint_eq(d->msi_vectors, 8);
	ck_assert_uint_eq(d->msix_vectors, 2048);
	ck_assert_uint_eq(d->pci_set, CONF_PCI_VENDOR | CONF_PCI_DEVICE |
	    CONF_PCI_SUBVENDOR | CONF_PCI_SUBDEVICE | CONF_PCI_CLASS |
	    CONF_PCI_BAR(0) | CONF_PCI_BAR(2) | CONF_PCI_BAR(4) |
	    CONF_PCI_ROM | CONF_PCI_INTX | CONF_PCI_MSI | CONF_PCI_MSIX);
	ck_assert_ptr_null(conf_device_find(conf, "plain")->function);
	/* A changed function is a changed device. */
	ck_assert_int_eq(load_text(
	    "[device edu0]\n"
	    "rid = 00:03.0\n"
	    "[device gen0]\n"
	    "rid = 00:04.0\n"
	    "[device plain]\n"
	    "rid = 00:05.0\n", &other), 0);
	ck_assert(!conf_devices_equal(conf, other));
	unload(other);
	unload(conf);

	/* Each key is valid alone; together no function can be built. */
	ck_assert_int_eq(load_text(
	    "[device g]\n"
	    "rid = 00:03.0\n"
	    "function = generic\n"
	    "bar5 = 4K,64\n", &conf), -EINVAL);
	ck_assert(has_error(conf, 1, "function generic cannot have"));
	ck_assert_uint_eq(conf->nerrors, 1);
	unload(conf);
	ck_assert_int_eq(load_text(
	    "[device g]\n"
	    "rid = 00:03.0\n"
	    "function = generic\n"
	    "bar0 = 4K\nbar1 = 4K\nbar2 = 4K\nbar3 = 4K\nbar4 = 4K\n"
	    "bar5 = 4K\nmsix-vectors = 1\n", &conf), -EINVAL);
	ck_assert(has_error(conf, 1, "MSI-X needs a free BAR"));
	unload(conf);
}
END_TEST

/* What only the whole file shows, each error at its section's line. */
START_TEST(conf_test_device_whole)
{
	struct conf	*conf;

	ck_assert_int_eq(load_text(
	    "[device a]\n"			/* 1: no rid */
	    "iommu = x\n"
	    "[device b]\n"			/* 3 */
	    "rid = 00:03.0\n"
	    "[device c]\n"			/* 5: b's rid, same iommu */
	    "rid = 00:03.0\n"
	    "[device b]\n"			/* 7: again */
	    "rid = 00:04.0\n"
	    "[device no/slash]\n"		/* 9 */
	    "[device d]\n"			/* 10: another iommu: fine */
	    "rid = 00:03.0\n"
	    "iommu = other\n"
	    "iommu = again\n", &conf), -EINVAL);	/* 13 */
	ck_assert(has_error(conf, 1, "[device a] needs a rid"));
	ck_assert(has_error(conf, 5, "has the rid of [device b]"));
	ck_assert(has_error(conf, 7, "[device b] is already on line 3"));
	ck_assert(has_error(conf, 9, "device name \"no/slash\""));
	ck_assert(has_error(conf, 13, "\"iommu\" is already set on line 12"));
	ck_assert_uint_eq(conf->nerrors, 5);
	ck_assert_uint_eq(conf->ndevices, 4);
	unload(conf);
}
END_TEST

START_TEST(conf_test_many_errors)
{
	struct conf	*conf;

	ck_assert_int_eq(load_text(
	    "socket = /tmp/a\n"			/* 1: outside */
	    "[daemon]\n"
	    "socket = /tmp/b\n"
	    "socket = /tmp/c\n"			/* 4: twice */
	    "log-level = loud\n"		/* 5 */
	    "[vtd vtd0]\n"			/* 6: not known */
	    "model = vtd\n"			/* 7: skipped, no noise */
	    "[daemon]\n"
	    "socket-mode = 8\n"			/* 9 */
	    "x\n"				/* 10 */
	    "\n"
	    "\n", &conf), -EINVAL);
	ck_assert_uint_eq(conf->nerrors, 6);
	ck_assert(has_error(conf, 1, "outside any section"));
	ck_assert(has_error(conf, 4, "already set on line 3"));
	ck_assert(has_error(conf, 5, "log-level must be one of"));
	ck_assert(has_error(conf, 6, "unknown section [vtd]"));
	ck_assert(has_error(conf, 9, "octal mode"));
	ck_assert(has_error(conf, 10, "expected"));
	/* In file order. */
	ck_assert(strstr(conf->errors[0], ":1: ") != NULL);
	ck_assert(strstr(conf->errors[5], ":10: ") != NULL);
	unload(conf);
}
END_TEST

START_TEST(conf_test_long_line)
{
	struct conf	*conf;
	char		 text[1024];

	memset(text, 0, sizeof text);
	strcpy(text, "[daemon]\n# ");
	memset(text + strlen(text), 'x', 600);
	strcat(text, "\nlog-level = bad\n");
	ck_assert_int_eq(load_text(text, &conf), -EINVAL);
	ck_assert(has_error(conf, 2, "line too long"));
	/* The rest of the long line is not read as a line of its own. */
	ck_assert(has_error(conf, 3, "log-level"));
	ck_assert_uint_eq(conf->nerrors, 2);
	unload(conf);
}
END_TEST

START_TEST(conf_test_missing_file)
{
	struct conf	*conf;

	ck_assert_int_eq(conf_load("/nonexistent/ioasidd.conf", &conf),
	    -ENOENT);
	ck_assert_uint_eq(conf->nerrors, 1);
	ck_assert_str_eq(conf->errors[0],
	    "/nonexistent/ioasidd.conf: No such file or directory");
	conf_free(conf);
}
END_TEST

START_TEST(conf_test_shipped)
{
	struct conf	*conf, *dflt;
	size_t		 n;

	/* The shipped file states the defaults and nothing else. */
	ck_assert_int_eq(conf_load("ioasidd.conf", &conf), 0);
	ck_assert_int_eq(conf_defaults(&dflt), 0);
	n = conf_diff(dflt, conf, NULL, 0);
	ck_assert_uint_eq(n, 0);
	conf_free(dflt);
	conf_free(conf);
}
END_TEST

START_TEST(conf_test_override)
{
	struct conf	*conf;

	ck_assert_int_eq(conf_defaults(&conf), 0);
	ck_assert_int_eq(conf_override(conf, "socket=/tmp/s"), 0);
	ck_assert_int_eq(conf_override(conf, "daemon.log-level=warn"), 0);
	ck_assert_str_eq(conf->socket, "/tmp/s");
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_WARN);
	/* The uAPI level: the latest unless asked, as its number. */
	ck_assert_uint_eq(conf_uapi_level(conf), UAPI_LEVEL_LATEST);
	ck_assert_int_eq(conf_override(conf, "uapi-level=6.12"), 0);
	ck_assert_uint_eq(conf_uapi_level(conf), UAPI_LEVEL_6_12);
	ck_assert_int_eq(conf_override(conf, "socket"), -EINVAL);
	ck_assert_int_eq(conf_override(conf, "bogus=1"), -EINVAL);
	ck_assert_int_eq(conf_override(conf, "socket-mode=9"), -EINVAL);
	ck_assert_int_eq(conf_override(conf, "uapi-level=6.1"), -EINVAL);
	ck_assert_uint_eq(conf_uapi_level(conf), UAPI_LEVEL_6_12);
	ck_assert_uint_eq(conf->nerrors, 4);
	ck_assert_str_eq(conf->errors[0], "-o: socket: expected key=value");
	ck_assert(strstr(conf->errors[1], "unknown key \"bogus\"") != NULL);
	conf_free(conf);
}
END_TEST

START_TEST(conf_test_diff)
{
	struct conf		*a, *b;
	struct conf_change	 ch[4];
	size_t			 n;

	ck_assert_int_eq(conf_defaults(&a), 0);
	ck_assert_int_eq(conf_defaults(&b), 0);
	ck_assert_uint_eq(conf_diff(a, b, ch, nitems(ch)), 0);

	ck_assert_int_eq(conf_override(b, "log-level=debug"), 0);
	ck_assert_int_eq(conf_override(b, "socket=/tmp/new"), 0);
	n = conf_diff(a, b, ch, nitems(ch));
	ck_assert_uint_eq(n, 2);
	/* In table order: log-level, then socket. */
	ck_assert_str_eq(ch[0].key->name, "log-level");
	ck_assert(ch[0].key->flags & CONF_F_RELOAD);
	ck_assert_str_eq(ch[0].old, "info");
	ck_assert_str_eq(ch[0].new, "debug");
	ck_assert_str_eq(ch[1].key->name, "socket");
	ck_assert(!(ch[1].key->flags & CONF_F_RELOAD));
	ck_assert_str_eq(ch[1].new, "/tmp/new");
	/* Only one slot: the count is still the whole. */
	ck_assert_uint_eq(conf_diff(a, b, ch, 1), 2);

	conf_take_reloadable(a, b);
	ck_assert_int_eq(a->log_level, LOG_LEVEL_DEBUG);
	ck_assert_str_eq(a->socket, "/run/ioasidd/iommu.sock");
	ck_assert_uint_eq(conf_diff(a, b, ch, nitems(ch)), 1);
	conf_free(a);
	conf_free(b);
}
END_TEST

START_TEST(conf_test_limits)
{
	struct conf		*conf, *dflt;
	struct conf_change	 ch[4];
	const struct conf_key	*k;

	ck_assert_int_eq(load_text("[limits]\n"
	    "context-areas = 3M\n"
	    "context-bytes = 1g\n"
	    "uid-objects = 0\n"
	    "uid-bytes = 123\n", &conf), 0);
	ck_assert_uint_eq(conf->limit_ctx[1], 3ULL << 20);
	ck_assert_uint_eq(conf->limit_ctx[4], 1ULL << 30);
	ck_assert_uint_eq(conf->limit_uid[0], 0);
	ck_assert_uint_eq(conf->limit_uid[4], 123);
	/* Shown in the largest unit that is exact; every limit reloads. */
	ck_assert_int_eq(conf_defaults(&dflt), 0);
	ck_assert_uint_eq(conf_diff(dflt, conf, ch, nitems(ch)), 4);
	ck_assert_str_eq(ch[0].key->name, "context-areas");
	ck_assert_str_eq(ch[0].new, "3M");
	ck_assert_str_eq(ch[1].new, "1G");
	ck_assert_str_eq(ch[3].key->name, "uid-objects");
	ck_assert_str_eq(ch[3].new, "0");
	k = conf_key_find("limits", "uid-bytes");
	ck_assert_ptr_nonnull(k);
	ck_assert(k->flags & CONF_F_RELOAD);
	conf_take_reloadable(dflt, conf);
	ck_assert_uint_eq(conf_diff(dflt, conf, NULL, 0), 0);
	conf_free(dflt);
	unload(conf);

	ck_assert_int_eq(load_text("[limits]\n"
	    "context-areas = 1MB\n"
	    "context-bytes = -1\n"
	    "uid-areas = 2000000T\n"
	    "uid-bytes = 99999999999999999999\n"
	    "uid-objects = K\n", &conf), -EINVAL);
	ck_assert(has_error(conf, 2, "must be a number"));
	ck_assert(has_error(conf, 3, "must be a number"));
	ck_assert(has_error(conf, 4, "must be a number"));
	ck_assert(has_error(conf, 5, "must be a number"));
	ck_assert(has_error(conf, 6, "must be a number"));
	ck_assert_uint_eq(conf->nerrors, 5);
	unload(conf);
}
END_TEST

/* Only a regular file is read, and opening never waits. */
START_TEST(conf_test_not_regular)
{
	struct conf	*conf;
	char		 path[64];

	snprintf(path, sizeof path, "/tmp/check_conf.fifo.%d", (int)getpid());
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	/* No writer: an open that blocks would hang the test here. */
	ck_assert_int_eq(conf_load(path, &conf), -EINVAL);
	ck_assert_uint_eq(conf->nerrors, 1);
	ck_assert(strstr(conf->errors[0], "not a regular file (a FIFO)") !=
	    NULL);
	conf_free(conf);
	unlink(path);

	ck_assert_int_eq(conf_load("/dev/zero", &conf), -EINVAL);
	ck_assert(strstr(conf->errors[0], "a character device") != NULL);
	conf_free(conf);
	ck_assert_int_eq(conf_load("/tmp", &conf), -EINVAL);
	ck_assert(strstr(conf->errors[0], "a directory") != NULL);
	conf_free(conf);
}
END_TEST

/* Past 1 MiB a file is refused unread; up to it, it is read. */
START_TEST(conf_test_too_big)
{
	struct conf	*conf;
	char		 path[64];
	int		 fd;

	snprintf(path, sizeof path, "/tmp/check_conf.big.%d", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 100 << 20), 0);
	ck_assert_int_eq(conf_load(path, &conf), -EFBIG);
	ck_assert_uint_eq(conf->nerrors, 1);
	ck_assert(strstr(conf->errors[0], "104857600 bytes; a configuration "
	    "file may have at most 1048576") != NULL);
	conf_free(conf);

	ck_assert_int_eq(ftruncate(fd, (1 << 20) + 1), 0);
	ck_assert_int_eq(conf_load(path, &conf), -EFBIG);
	conf_free(conf);

	/* Exactly 1 MiB of comment lines is still a file. */
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	{
		char	line[64];
		size_t	i;

		memset(line, ' ', sizeof line);
		line[0] = '#';
		line[sizeof line - 1] = '\n';
		for (i = 0; i < (1 << 20) / sizeof line; i++)
			ck_assert_int_eq(write(fd, line, sizeof line),
			    (ssize_t)sizeof line);
	}
	ck_assert_int_eq(conf_load(path, &conf), 0);
	conf_free(conf);
	close(fd);
	unlink(path);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("conf");
	tc = tcase_create("load");
	tcase_add_test(tc, conf_test_table_sorted);
	tcase_add_test(tc, conf_test_defaults);
	tcase_add_test(tc, conf_test_good);
	tcase_add_loop_test(tc, conf_test_each_error, 0, nitems(conf_bad));
	tcase_add_test(tc, conf_test_many_errors);
	tcase_add_test(tc, conf_test_devices);
	tcase_add_test(tc, conf_test_device_model);
	tcase_add_test(tc, conf_test_iommus);
	tcase_add_test(tc, conf_test_iommu_errors);
	tcase_add_loop_test(tc, conf_test_device_errors, 0,
	    nitems(conf_bad_dev));
	tcase_add_test(tc, conf_test_device_whole);
	tcase_add_test(tc, conf_test_device_function);
	tcase_add_test(tc, conf_test_long_line);
	tcase_add_test(tc, conf_test_missing_file);
	tcase_add_test(tc, conf_test_shipped);
	tcase_add_test(tc, conf_test_limits);
	tcase_add_test(tc, conf_test_not_regular);
	tcase_add_test(tc, conf_test_too_big);
	suite_add_tcase(s, tc);

	tc = tcase_create("reload");
	tcase_add_test(tc, conf_test_override);
	tcase_add_test(tc, conf_test_diff);
	suite_add_tcase(s, tc);
	return (s);
}
SUITE(conf_suite)

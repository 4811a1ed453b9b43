# ioasidd: /dev/iommu (iommufd) served from user space.
#
#   make                 build the daemon, the client libraries and tools
#   make check           build and run every test (unit, integration)
#   make SANITIZE=1 ...  the same with ASan and UBSan
#   make bench           run the benchmarks and print their figures
#   make tests           build what check and bench run, and run nothing
#   make deps            install the Debian packages needed to build and test
#   make install         install under $(DESTDIR)$(PREFIX)

PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
SYSCONFDIR	?= /etc
UNITDIR		?= /lib/systemd/system
UDEVDIR		?= /lib/udev/rules.d

VERSION		 = 0.1.0
PKG_CONFIG	?= pkg-config
PKGS		 = fuse3 libevent jansson libbsd inih
CC		?= cc
CFLAGS		?= -O2 -g
B		 = build

WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith \
	   -Wwrite-strings -Wstrict-prototypes -Wmissing-prototypes \
	   -Wmissing-declarations -Wundef -Wvla -Wimplicit-fallthrough \
	   -Wno-missing-field-initializers
# clang sees uses of variables left unset on some path, which gcc -O2 can
# miss; CI builds with clang and -Werror.
ifneq ($(findstring clang,$(CC)),)
WARN	+= -Wconditional-uninitialized
endif
BASE_CFLAGS = -std=gnu11 $(WARN) -fno-common -D_GNU_SOURCE \
	   -DIOASIDD_VERSION='"$(VERSION)"' \
	   -DIOASIDD_SYSCONFDIR='"$(SYSCONFDIR)"' -Iproto -Idaemon
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -ldl
CHECK_LIBS := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

ifeq ($(WERROR),1)
BASE_CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
BASE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined
SAN_LDFLAGS  = -fsanitize=address,undefined
endif

ALL_CFLAGS  = $(BASE_CFLAGS) $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SAN_LDFLAGS) $(LDFLAGS)

# The core: everything in daemon/ and its folders except main(), plus the
# shared proto code. Sources include daemon headers by their folder
# ("core/ctx.h"), so -Idaemon is the only daemon include path.
CORE_SRCS	:= $(filter-out daemon/ioasidd.c, \
		   $(wildcard daemon/*.c daemon/*/*.c)) \
		   proto/uapi.c proto/wire.c proto/ctl.c proto/tracefmt.c
CORE_OBJS	:= $(CORE_SRCS:%.c=$(B)/%.o)
CLIENT_COMMON	:= client/chan.c proto/uapi.c proto/wire.c
TEST_SRCS	:= $(wildcard tests/unit/*.c)
PROG_SRCS	:= $(wildcard tests/prog/*.c)
BENCH_SRCS	:= $(wildcard tests/bench/*.c)
GUEST_SRCS	:= $(wildcard tests/guest/*.c)
MODEL_SRCS	:= $(wildcard models/*.c)
TMODEL_SRCS	:= $(wildcard tests/models/*.c)
# Where the daemon looks for model plugins (model-dir's default).
MODELDIR	?= $(LIBDIR)/ioasidd/models

DAEMON		 = $(B)/ioasidd
CTL		 = $(B)/ioasidctl
LIBIOASID	 = $(B)/libioasid.so
PRELOAD		 = $(B)/libioasid-preload.so
TESTVMM		 = $(B)/testvmm
UNIT		 = $(B)/check_ioasidd
PROGS		:= $(PROG_SRCS:tests/prog/%.c=$(B)/tests/%)
BENCHES		:= $(BENCH_SRCS:tests/bench/%.c=$(B)/bench/%)
GUESTS		:= $(GUEST_SRCS:tests/guest/%.c=$(B)/guest/%)
MODELS		:= $(MODEL_SRCS:models/%.c=$(B)/models/%.so)
TMODELS		:= $(TMODEL_SRCS:tests/models/%.c=$(B)/tests/models/%.so)

all: $(DAEMON) $(LIBIOASID) $(PRELOAD) $(B)/ioasid.pc $(TESTVMM) $(MODELS) \
	$(wildcard client/ioasidctl.c)

# Rebuild everything when the flags change (a SANITIZE=1 build followed by a
# plain one must not mix objects).
$(B)/.flags: FORCE
	@mkdir -p $(B)
	@echo '$(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || \
	    echo '$(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@

$(B)/%.o: %.c $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/pic/%.o: %.c $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -MMD -MP -c -o $@ $<

$(B)/libcore.a: $(CORE_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(DAEMON): $(B)/daemon/ioasidd.o $(B)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(LIBIOASID): $(addprefix $(B)/pic/, $(CLIENT_COMMON:.c=.o) client/libioasid.o)
	$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,libioasid.so.0 -o $@.0 $^
	ln -sf libioasid.so.0 $@

$(PRELOAD): $(addprefix $(B)/pic/, $(CLIENT_COMMON:.c=.o) client/preload.o \
	    client/failnth.o client/passthru.o proto/tracefmt.o)
	$(CC) $(ALL_LDFLAGS) -shared -o $@ $^ -ldl \
	    $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null)

# The installation paths baked into ioasid.pc: rebuild it when they change
# (a build made with one PREFIX and installed with another).
$(B)/.paths: FORCE
	@mkdir -p $(B)
	@echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' | cmp -s - $@ || \
	    echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' > $@

$(B)/ioasid.pc: client/ioasid.pc.in Makefile $(B)/.paths
	@mkdir -p $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    $< > $@

$(CTL): $(B)/client/ioasidctl.o $(B)/client/launch.o $(B)/pic/client/chan.o \
	    $(B)/client/tracetool.o $(B)/client/replay.o \
	    $(B)/client/replay_src.o $(B)/client/replay_offline.o \
	    $(B)/client/record.o $(B)/client/replay_dev.o $(B)/client/timeline.o \
	    $(B)/client/timeline_html.o $(B)/pic/client/libioasid.o \
	    $(B)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The page template of "ioasidctl trace timeline", built in as it is
# (.incbin, with the path from the top of the tree).
$(B)/client/timeline_html.o: client/timeline_html.S client/timeline.html \
	    $(B)/.flags
	@mkdir -p $(@D)
	$(CC) -c -o $@ client/timeline_html.S

# "ioasidctl run" puts the installed preload library in LD_PRELOAD.
$(B)/client/launch.o: ALL_CFLAGS += -DIOASIDD_LIBDIR='"$(LIBDIR)"'

# The example VMM (client/examples): an ordinary iommufd program, run
# under the preload library.
$(TESTVMM): $(B)/client/examples/testvmm.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

client/ioasidctl.c: ;
ifneq ($(wildcard client/ioasidctl.c),)
all: $(CTL)
endif

# The model-ABI header as it is installed (<ioasid/hw/hw.h>): plugins
# include it from there, in the tree as out of it.
$(B)/include/ioasid/hw/hw.h: daemon/hw/hw.h
	@mkdir -p $(@D)
	cp $< $@

# Model plugins: built as a plugin is out of the tree, seeing only the
# installed headers.
PLUGIN_CFLAGS = -std=gnu11 $(WARN) $(if $(filter 1,$(WERROR)),-Werror) \
	   $(if $(filter 1,$(SANITIZE)),-fsanitize=address$(,)undefined) \
	   $(CFLAGS) -fPIC -shared -I$(B)/include
, := ,
$(B)/models/%.so: models/%.c $(B)/include/ioasid/hw/hw.h $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $(LDFLAGS) -o $@ $<
# Broken plugins the tests must see refused (another ABI, no symbol).
$(B)/tests/models/%.so: tests/models/%.c $(B)/include/ioasid/hw/hw.h \
	    $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) $(LDFLAGS) -o $@ $<

# Like IOASIDD_LIBDIR: baked in at build time (install does not rebuild).
$(B)/daemon/conf.o: ALL_CFLAGS += -DIOASIDD_MODELDIR='"$(MODELDIR)"'
$(B)/tests/unit/check_plugin.o: ALL_CFLAGS += \
	    -DIOASIDD_TEST_MODELDIR='"$(B)/models"' \
	    -DIOASIDD_TEST_BADDIR='"$(B)/tests/models"'
$(B)/tests/unit/check_models.o: ALL_CFLAGS += \
	    -DIOASIDD_TEST_MODELDIR='"$(B)/models"'
# The hostile replay tests start the built daemon.
$(B)/tests/unit/check_replay.o: ALL_CFLAGS += \
	    -DIOASIDD_TEST_DAEMON='"$(abspath $(DAEMON))"'

# Unit tests: Check suites over the core, linked with the core archive.
# The replay engine and its back ends are tested in process too.
$(UNIT): $(TEST_SRCS:%.c=$(B)/%.o) $(B)/client/passthru.o \
	    $(B)/client/replay.o $(B)/client/replay_src.o \
	    $(B)/client/replay_offline.o $(B)/client/replay_dev.o \
	    $(B)/pic/client/libioasid.o $(B)/pic/client/chan.o $(B)/libcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CHECK_LIBS)

# Test programs: ordinary programs that know nothing of ioasidd; they use
# <linux/iommufd.h> (ours) and libc only.
# -MMD: wire_fuzz speaks the socket protocol, so proto/wire.h changes
# (a new WIRE_VERSION) must rebuild it.
$(B)/tests/%: tests/prog/%.c $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -pthread -o $@ $<
# Named too, for binaries built before they had a dependency file.
$(B)/tests/wire_fuzz: proto/wire.h

# Programs for the guest test only (tests/guest), run inside a QEMU guest.
# -MMD: they share tests/prog/check.h with the test programs.
$(B)/guest/%: tests/guest/%.c $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -pthread -o $@ $< \
	    $(PKG_LIBS)

# The guest test's 32-bit caller: no C library (none for i386 is needed),
# so no sanitizers either; the asm/ headers are the native ones.
$(B)/guest/iommu_compat32: tests/guest/iommu_compat32.c $(B)/.flags
	@mkdir -p $(@D)
	$(CC) -m32 -std=gnu11 $(WARN) $(if $(filter 1,$(WERROR)),-Werror) \
	    $(CFLAGS) -Iproto -idirafter \
	    /usr/include/$(shell $(CC) -print-multiarch 2>/dev/null) \
	    -ffreestanding -nostdlib -static -fno-pic -fno-stack-protector \
	    -o $@ $<

# The oracle probe (tests/oracle): the same program runs against the kernel.
# It is the outside program, not code under test, and it places structs at
# odd addresses on purpose, so it is built without the sanitizers.
$(B)/tests/oracle_probe: tests/oracle/probe.c $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize% -fno-sanitize%,$(ALL_CFLAGS)) \
	    $(LDFLAGS) -o $@ $<

# The golden sessions of the differential replay, as a static program with
# the pass-through recorder linked in (tests/oracle/record.sh runs it on
# the oracle kernel, whose guest runs static programs only): --wrap sends
# the program's ioctl() and close() through client/passthru_wrap.c.
PASSTHRU_STATIC	 = client/passthru.c client/passthru_wrap.c proto/tracefmt.c \
		   proto/uapi.c
$(B)/oracle/golden-rec: tests/oracle/golden.c $(PASSTHRU_STATIC) $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(filter-out -fsanitize% -fno-sanitize%,$(ALL_CFLAGS)) \
	    -Iclient -static -Wl,--wrap=ioctl,--wrap=close -o $@ \
	    $(filter %.c,$^) -ljansson -lpthread

# The same sessions as an ordinary dynamic program, for the preload
# library's pass-through mode (tests/integration/oracle_replay.sh).
$(B)/tests/golden: tests/oracle/golden.c $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

# libioasid used on purpose (tests/integration/socket.sh runs it), linked
# against the library in this build directory, found there at run time.
$(B)/tests/libioasid_test: tests/integration/libioasid_test.c $(LIBIOASID) \
	    $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iclient $(ALL_LDFLAGS) -MMD -MP -o $@ $< \
	    -L$(B) -lioasid -Wl,-rpath,'$$ORIGIN/..'

# -MMD: the programs share tests/bench/bench.h.
$(B)/bench/%: tests/bench/%.c $(B)/libcore.a $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -MMD -MP -pthread -o $@ $< \
	    $(B)/libcore.a $(PKG_LIBS)

check: check-unit check-integration

check-unit: $(UNIT) $(DAEMON) $(MODELS) $(TMODELS)
	$(UNIT)

INTEGRATION_BINS = $(PROGS) $(GUESTS) $(TMODELS) $(B)/tests/oracle_probe \
	    $(B)/tests/golden $(B)/tests/libioasid_test

check-integration: all $(INTEGRATION_BINS)
	tests/integration/run.sh $(B)

# The real CUSE node under Debian's kernel in QEMU (also part of check).
check-guest: all $(PROGS) $(GUESTS)
	tests/integration/guest.sh $(B)

# QEMU 10 realizing an emulated device over iommufd (also part of check).
check-qemu: all $(GUESTS)
	tests/integration/qemu.sh $(B)

bench: all $(PROGS) $(BENCHES) $(GUESTS)
	tests/bench/run.sh $(B)

# Every program check and bench build, built and not run (CI builds it
# with clang and -Werror, so that no test source is left to gcc alone).
tests: all $(UNIT) $(MODELS) $(INTEGRATION_BINS) $(BENCHES)

# Build the kernel's own iommufd selftest against our headers, unchanged:
# Debian's 6.12 and 7.3 (the newest it carries).
check-headers:
	tests/selftest/build.sh $(B)/selftest/6.12
	KVER=7.3 tests/selftest/build.sh $(B)/selftest/7.3

# Run it through the preload library against the daemon: a table per
# fixture, and a failure when a pass count drops below its floor.
kselftest: all check-headers
	tests/selftest/run.sh $(B)

deps:
	scripts/deps.sh

run: all
	$(DAEMON) -d -f ioasidd.conf

MANPAGES	 = man/ioasidctl.1 man/ioasidd.conf.5 man/ioasidd.8 \
	   man/ioasidd-testvmm.1

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(INCLUDEDIR)/ioasid/linux \
	    $(DESTDIR)$(INCLUDEDIR)/ioasid/hw $(DESTDIR)$(MODELDIR) \
	    $(DESTDIR)$(SYSCONFDIR) \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/ioasidd
	install -m 0755 $(CTL) $(DESTDIR)$(BINDIR)/ioasidctl
	install -m 0755 $(TESTVMM) $(DESTDIR)$(BINDIR)/ioasidd-testvmm
	install -m 0755 $(LIBIOASID).0 $(DESTDIR)$(LIBDIR)/libioasid.so.0
	ln -sf libioasid.so.0 $(DESTDIR)$(LIBDIR)/libioasid.so
	install -m 0755 $(PRELOAD) $(DESTDIR)$(LIBDIR)/libioasid-preload.so
	install -m 0644 $(B)/ioasid.pc $(DESTDIR)$(PKGCONFIGDIR)/ioasid.pc
	install -m 0644 client/ioasid.h $(DESTDIR)$(INCLUDEDIR)/ioasid/ioasid.h
	install -m 0644 proto/linux/iommufd.h \
	    $(DESTDIR)$(INCLUDEDIR)/ioasid/linux/iommufd.h
	install -m 0644 proto/iommufd_test.h \
	    $(DESTDIR)$(INCLUDEDIR)/ioasid/iommufd_test.h
	install -m 0644 daemon/hw/hw.h $(DESTDIR)$(INCLUDEDIR)/ioasid/hw/hw.h
	for m in $(MODELS); do \
		install -m 0755 $$m $(DESTDIR)$(MODELDIR)/ || exit 1; \
	done
	install -m 0644 proto/ioasidd_coherency.h \
	    $(DESTDIR)$(INCLUDEDIR)/ioasid/ioasidd_coherency.h
	install -m 0644 proto/ioasidd_pasid.h \
	    $(DESTDIR)$(INCLUDEDIR)/ioasid/ioasidd_pasid.h
	install -m 0644 proto/ioasidd_enqcmd.h \
	    $(DESTDIR)$(INCLUDEDIR)/ioasid/ioasidd_enqcmd.h
	[ -e $(DESTDIR)$(SYSCONFDIR)/ioasidd.conf ] || \
	    install -m 0644 ioasidd.conf $(DESTDIR)$(SYSCONFDIR)/ioasidd.conf
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    systemd/ioasidd.service > $(DESTDIR)$(UNITDIR)/ioasidd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ioasidd.service
	install -m 0644 systemd/60-ioasidd.rules \
	    $(DESTDIR)$(UDEVDIR)/60-ioasidd.rules
	for m in $(MANPAGES); do \
		s=$${m##*.}; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done

# The configuration file goes only if it is still the shipped one: an
# edited file holds the administrator's changes and stays.
uninstall:
	! cmp -s ioasidd.conf $(DESTDIR)$(SYSCONFDIR)/ioasidd.conf || \
	    rm -f $(DESTDIR)$(SYSCONFDIR)/ioasidd.conf
	rm -f $(DESTDIR)$(SBINDIR)/ioasidd $(DESTDIR)$(BINDIR)/ioasidctl \
	    $(DESTDIR)$(BINDIR)/ioasidd-testvmm \
	    $(DESTDIR)$(LIBDIR)/libioasid.so.0 $(DESTDIR)$(LIBDIR)/libioasid.so \
	    $(DESTDIR)$(LIBDIR)/libioasid-preload.so \
	    $(DESTDIR)$(PKGCONFIGDIR)/ioasid.pc \
	    $(DESTDIR)$(UNITDIR)/ioasidd.service \
	    $(DESTDIR)$(UDEVDIR)/60-ioasidd.rules
	for m in $(MANPAGES); do \
		s=$${m##*.}; \
		rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m#man/}; \
	done
	rm -rf $(DESTDIR)$(INCLUDEDIR)/ioasid
	for m in $(MODELS); do \
		rm -f $(DESTDIR)$(MODELDIR)/$${m##*/}; \
	done
	rmdir $(DESTDIR)$(MODELDIR) $(DESTDIR)$(LIBDIR)/ioasidd 2>/dev/null || true

clean:
	rm -rf $(B)

FORCE:
.PHONY: all check check-unit check-integration check-guest bench tests \
	check-headers \
	kselftest check-qemu \
	deps run install uninstall clean FORCE

-include $(shell find $(B) -name '*.d' 2>/dev/null)

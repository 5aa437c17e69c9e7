# SPDX-License-Identifier: GPL-2.0
#
# Keel: top-level build. Kernel modules are built out of the source tree,
# in build/kmod/<kernel release>/, so one checkout can hold builds for
# several kernels. See README.md and Documentation/testing.rst.

BUILD		?= $(CURDIR)/build
KDIR		?= $(shell $(CURDIR)/kmod/kdir.sh)
KREL		 = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
MODDIR		 = $(BUILD)/kmod/$(KREL)
PREFIX		?= /usr/local
KEEL_BUILD_COMMIT := $(shell git -C $(CURDIR) describe --always --dirty 2>/dev/null || echo unknown)

# Test selection for the VM harness (see Documentation/testing.rst).
KERNEL		?= all
SUITE		?=

export BUILD

.PHONY: all modules userspace selftests kselftest-headers checkpatch-script \
	check vmtest kunit bench demo deps install uninstall load unload \
	checkpatch kerneldoc sparse ynl-tools ynl-regen ynl-check man deb clean help

all: modules userspace selftests

help:
	@echo "make                build modules (KDIR=...), userspace tools and tests"
	@echo "make check          all tests: build checks, host tests, VM tests on 6.1, 6.12, debug"
	@echo "make demo           boot a VM with Keel loaded and show it at work"
	@echo "make vmtest         VM tests only (KERNEL=6.1|6.12|debug|all SUITE=name)"
	@echo "make kunit          KUnit suites on the debug kernel"
	@echo "make bench          a suite's benchmark in a VM (SUITE=name, KERNEL=6.1|6.12|debug)"
	@echo "make install | uninstall | load | unload   on a real host"
	@echo "make checkpatch | kerneldoc | sparse        style, kernel-doc and static checks"
	@echo "make ynl-regen | ynl-check                  keel.ko's netlink code from the YNL spec"
	@echo "make man            keelctl(8), keeld(8), keel-iod(8), keel(7) into build/man, checked by groff"
	@echo "make deb            keel-dkms and keel-tools packages into build/deb, checked by lintian"

deps:
	@selftests/vm/deps.sh

# The manual pages: Documentation/man/*.rst, which take their text from
# the other Documentation files, through rst2man (python3-docutils);
# groff -ww -z must have nothing to say about the result.
MAN_SRC		:= $(wildcard Documentation/man/*.rst)
MAN_PAGES	:= $(patsubst Documentation/man/%.rst,$(BUILD)/man/%,$(MAN_SRC))
KEEL_VERSION	:= $(shell cat VERSION)
MAN_DATE	:= $(shell git -C $(CURDIR) log -1 --format=%cs 2>/dev/null || date -u +%F)

man: $(MAN_PAGES)

$(BUILD)/man/%: Documentation/man/%.rst $(filter-out $(MAN_SRC),$(wildcard Documentation/*.rst))
	@mkdir -p $(dir $@)
	cd Documentation/man && \
		sed 's/@VERSION@/$(KEEL_VERSION)/; s/@DATE@/$(MAN_DATE)/' $*.rst | \
		rst2man --halt=warning >$@.tmp
	groff -man -ww -z $@.tmp 2>&1 | sed 's/^/warning: /' | grep . && \
		{ rm -f $@.tmp; exit 1; } || mv $@.tmp $@

modules:
	@test -n "$(KREL)" || { echo "Makefile: no kernel build tree at '$(KDIR)' (KDIR=...)" >&2; exit 1; }
	@mkdir -p $(MODDIR)
	@cp -R -u -p Kbuild VERSION kmod uapi samples $(MODDIR)/
	@kmod/compat/probe.sh $(KDIR) $(MODDIR)/kmod/compat/keel_compat_gen.h
	$(MAKE) -C $(KDIR) M=$(MODDIR) KEEL_BUILD_COMMIT=$(KEEL_BUILD_COMMIT) modules

userspace:
	$(MAKE) -C userspace O=$(BUILD)/userspace

kselftest-headers:
	@test -f $(BUILD)/kselftest/kselftest_harness.h || \
		selftests/vm/kselftest-headers.sh $(BUILD)/kselftest

# The kernel's YNL tools (tools/net/ynl of linux-source-6.12), extracted
# again when the package changes.
YNL_DIR		:= $(BUILD)/ynl
YNL_SOURCE	 = $(shell dpkg-query -W -f='$${Version}' linux-source-6.12 2>/dev/null)

ynl-tools:
	@grep -qxF "linux-source-6.12 $(YNL_SOURCE)" $(YNL_DIR)/.source 2>/dev/null || \
		selftests/vm/ynl-tools.sh $(YNL_DIR)

# Documentation/netlink/specs/keel.yaml -> kmod/core/netlink_gen.[ch]
ynl-regen: ynl-tools
	@kmod/ynl-gen.sh $(YNL_DIR)

# The committed generated files and the uapi headers against the spec.
ynl-check: ynl-tools
	@kmod/ynl-gen.sh --check $(YNL_DIR)

selftests: kselftest-headers ynl-tools userspace
	$(MAKE) -C selftests O=$(BUILD)/selftests KSFT_DIR=$(BUILD)/kselftest

check:
	@selftests/check.sh

vmtest: deps
	@KERNEL="$(KERNEL)" SUITE="$(SUITE)" selftests/vm/vmtest.sh

kunit: deps
	@KERNEL=debug MODE=kunit SUITE="$(SUITE)" selftests/vm/vmtest.sh

# KERNEL defaults to "all" for vmtest; a benchmark runs on one kernel.
bench:
	@SUITE=$(SUITE) KERNEL=$(if $(filter all,$(KERNEL)),6.1,$(KERNEL)) \
		selftests/bench/bench.sh

demo:
	@selftests/demo/demo.sh

checkpatch-script:
	@test -f $(BUILD)/checkpatch/checkpatch.pl || \
		selftests/vm/checkpatch-files.sh $(BUILD)/checkpatch

# The info-table macros name a struct member twice (offsetof and its size
# check): that header alone is exempt from MACRO_ARG_REUSE.
CHECKPATCH_ARGS = --strict --no-tree --quiet --terse \
		  --ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES
CHECKPATCH_REUSE_OK = kmod/include/keel/info.h

checkpatch: checkpatch-script
	@$(BUILD)/checkpatch/checkpatch.pl $(CHECKPATCH_ARGS) \
		-f $$(find kmod uapi samples -name '*.[ch]' | grep -vxF $(CHECKPATCH_REUSE_OK) | sort) && \
	$(BUILD)/checkpatch/checkpatch.pl $(CHECKPATCH_ARGS) \
		--ignore MACRO_ARG_REUSE -f $(CHECKPATCH_REUSE_OK) && \
	echo "checkpatch: clean"

# The kernel-doc comments of the kernel code, checked by the kernel's own
# scripts/kernel-doc: that of the build tree, else of the newest installed
# Debian headers (KERNELDOC=... for another). Fails on any warning, and on
# an exported symbol without a kernel-doc comment at its definition.
KERNELDOC	?= $(firstword $(wildcard $(KDIR)/scripts/kernel-doc) \
		   $(lastword $(sort $(wildcard \
			/usr/src/linux-headers-*-common/scripts/kernel-doc))))

kerneldoc:
	@kmod/kerneldoc.sh "$(KERNELDOC)" kmod samples

sparse:
	$(MAKE) modules C=2 W=1

# Modules go to /lib/modules/<release>/extra/keel (under DESTDIR if set);
# the udev rule that gives the device nodes to group kvm to UDEVRULESDIR.
UDEVRULESDIR ?= /etc/udev/rules.d
# Debian's build trees would sign them with a key only Debian has: we
# install them unsigned, as any out-of-tree module.
# Every uapi header: the ioctls, netlink attributes and wire formats.
UAPI_HEADERS := $(sort $(wildcard uapi/linux/keel*.h))

install: modules userspace man
	$(MAKE) -C $(KDIR) M=$(MODDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=extra/keel CONFIG_MODULE_SIG_ALL= DEPMOD=true \
		modules_install
	rm -rf $(DESTDIR)/lib/modules/$(KREL)/extra/keel/samples
	depmod -a $(if $(DESTDIR),-b $(DESTDIR)) $(KREL)
	$(MAKE) -C userspace O=$(BUILD)/userspace PREFIX=$(PREFIX) install
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/include/linux $(UAPI_HEADERS)
	install -D -m 0644 kmod/udev/60-keel.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-keel.rules
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(BUILD)/man/keelctl.8 $(BUILD)/man/keeld.8 $(BUILD)/man/keel-iod.8
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/share/man/man7 \
		$(BUILD)/man/keel.7

uninstall:
	rm -rf $(DESTDIR)/lib/modules/$(KREL)/extra/keel
	-rmdir $(DESTDIR)/lib/modules/$(KREL)/extra 2>/dev/null
	depmod -a $(if $(DESTDIR),-b $(DESTDIR)) $(KREL)
	$(MAKE) -C userspace O=$(BUILD)/userspace PREFIX=$(PREFIX) uninstall
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/include/linux/,$(notdir $(UAPI_HEADERS))) \
		$(DESTDIR)$(UDEVRULESDIR)/60-keel.rules \
		$(DESTDIR)$(PREFIX)/share/man/man8/keelctl.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/keeld.8 \
		$(DESTDIR)$(PREFIX)/share/man/man8/keel-iod.8 \
		$(DESTDIR)$(PREFIX)/share/man/man7/keel.7

# Debian packages (debian/): the tree without build/ copied to
# build/deb/keel-VERSION, its changelog written from VERSION and the last
# commit, built with dpkg-buildpackage and checked by lintian, which must
# report no error and no warning (debian/source/lintian-overrides keeps
# the justified ones).
DEB_DIR		:= $(BUILD)/deb
DEB_SRC		 = $(DEB_DIR)/keel-$(KEEL_VERSION)
DEB_MAINT	:= The Keel developers <keel-devel@lists.keel.invalid>

deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	tar -C $(CURDIR) --exclude=./build --exclude=./.git -cf - . | \
		tar -C $(DEB_SRC) -xf -
	{ echo "keel ($(KEEL_VERSION)) unstable; urgency=medium"; echo; \
	  echo "  * Built from the Keel tree at $(KEEL_BUILD_COMMIT)."; echo; \
	  echo " -- $(DEB_MAINT)  $$(date -R -d @$$(git -C $(CURDIR) log -1 --format=%ct 2>/dev/null || date +%s))"; \
	} >$(DEB_SRC)/debian/changelog
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc >$(DEB_DIR)/build.log 2>&1 || \
		{ tail -n 40 $(DEB_DIR)/build.log; exit 1; }
	lintian --fail-on error,warning --info $(DEB_DIR)/keel_$(KEEL_VERSION)_*.changes
	@ls $(DEB_DIR)/*.deb

# Load the modules built for the running kernel, without installing them.
load: modules
	@kmod/load.sh load $(MODDIR)

unload:
	@kmod/load.sh unload $(MODDIR)

clean:
	rm -rf $(BUILD)

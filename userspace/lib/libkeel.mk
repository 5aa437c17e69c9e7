# SPDX-License-Identifier: GPL-2.0
#
# What a program that links libkeel.a needs, for Makefiles that include
# this file (userspace/Makefile, the selftests):
#   LIBKEEL_CPPFLAGS  include paths: libkeel.h, the repository's uapi/
#                     (it holds only linux/keel*.h, so every other
#                     <linux/...> header still comes from the system),
#                     libmnl and json-c
#   LIBKEEL_LDLIBS    the libraries libkeel.a itself needs
# The archive is built by "make -C userspace O=<dir> lib" as
# <dir>/lib/libkeel.a.

LIBKEEL_SRC := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
PKG_CONFIG ?= pkg-config
LIBKEEL_PKGS := libmnl json-c

ifeq ($(filter-out clean uninstall,$(or $(MAKECMDGOALS),all)),)
else ifneq ($(shell $(PKG_CONFIG) --exists $(LIBKEEL_PKGS) && echo ok),ok)
$(error libkeel needs $(LIBKEEL_PKGS) (Debian: libmnl-dev libjson-c-dev) and $(PKG_CONFIG))
endif

LIBKEEL_CPPFLAGS := -I$(LIBKEEL_SRC) -I$(abspath $(LIBKEEL_SRC)/../../uapi) \
		    $(shell $(PKG_CONFIG) --cflags $(LIBKEEL_PKGS))
LIBKEEL_LDLIBS := $(shell $(PKG_CONFIG) --libs $(LIBKEEL_PKGS))

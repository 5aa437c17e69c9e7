# SPDX-License-Identifier: GPL-2.0
#
# Builds the Keel guest test library, $(O)/lib/libkeelguest.a. Include it
# from a selftests Makefile; it sets, for the tests that link against it:
#
#   KEEL_GUEST_CFLAGS   compile flags (include path, no PIC, guest-safe code)
#   KEEL_GUEST_LDFLAGS  link flags (static, non-PIE: fixed low addresses)
#   KEEL_GUEST_LIB      the archive; list it before the libraries
#   KEEL_GUEST_DEPS     what a test binary depends on (archive + headers)
#
# and the targets keel-guest-lib and keel-guest-lib-clean.
# O is the output directory (default: build/selftests at the top of the tree).

ifndef KEEL_GUEST_MK
KEEL_GUEST_MK := $(lastword $(MAKEFILE_LIST))
KEEL_GUEST_DIR := $(patsubst %/,%,$(dir $(KEEL_GUEST_MK)))
KEEL_GUEST_TOP := $(abspath $(KEEL_GUEST_DIR)/../..)
O ?= $(KEEL_GUEST_TOP)/build/selftests
override O := $(abspath $(O))

# Guest code runs inside the VM at the addresses it has in the host process,
# with no libc and no TLS: fixed addresses, no stack protector (it reads
# %fs:0x28), no loop-to-libcall rewriting, and no red zone: interrupts
# are taken on the interrupted code's stack.
KEEL_GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-fno-pic -fno-pie -fno-stack-protector -mno-red-zone \
	-fno-tree-loop-distribute-patterns -pthread \
	-I$(abspath $(KEEL_GUEST_DIR)/include)
# -u memcpy: link the library's string functions (guest_string.c) in
# before libc's, whoever calls them.
KEEL_GUEST_LDFLAGS := -static -no-pie -pthread -Wl,-u,memcpy

KEEL_GUEST_LIB := $(O)/lib/libkeelguest.a
KEEL_GUEST_SRCS := kvm_vm.c guest_boot.c guest_idt.S guest_irq.c \
	irqfd.c ucall.c guest_printf.c guest_string.c exits.c
KEEL_GUEST_OBJS := $(addprefix $(O)/lib/,$(addsuffix .o,$(basename $(KEEL_GUEST_SRCS))))
KEEL_GUEST_DEPS := $(KEEL_GUEST_LIB) $(wildcard $(KEEL_GUEST_DIR)/include/*.h)

# The library's guest-side code never touches FPU/SSE registers: it runs
# inside interrupt handlers, and on any KVM, whatever it does with the FPU.
$(addprefix $(O)/lib/,guest_irq.o guest_printf.o guest_string.o ucall.o): \
	KEEL_GUEST_OBJ_CFLAGS := -mgeneral-regs-only

.PHONY: keel-guest-lib keel-guest-lib-clean
keel-guest-lib: $(KEEL_GUEST_LIB)

$(KEEL_GUEST_LIB): $(KEEL_GUEST_OBJS)
	$(AR) rcs $@ $^

$(O)/lib/%.o: $(KEEL_GUEST_DIR)/src/%.c $(KEEL_GUEST_MK) | $(O)/lib
	$(CC) $(KEEL_GUEST_CFLAGS) $(KEEL_GUEST_OBJ_CFLAGS) \
		-I$(abspath $(KEEL_GUEST_DIR)/src) -MMD -MP -c -o $@ $<

$(O)/lib/%.o: $(KEEL_GUEST_DIR)/src/%.S $(KEEL_GUEST_MK) | $(O)/lib
	$(CC) $(KEEL_GUEST_CFLAGS) -MMD -MP -c -o $@ $<

$(O)/lib:
	mkdir -p $@

keel-guest-lib-clean:
	rm -rf $(O)/lib

-include $(KEEL_GUEST_OBJS:.o=.d)

.DEFAULT_GOAL := $(keel_guest_saved_goal)
endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running a module's function instead of a kernel function, for some of
 * its calls (redirect.c): KVM's I/O bus accesses for in-kernel devices,
 * the memory-failure signals of a mirrored VM.
 */
#ifndef _KEEL_REDIRECT_H
#define _KEEL_REDIRECT_H

#include <linux/ftrace.h>
#include <linux/mutex.h>

struct module;
struct pt_regs;

/**
 * struct keel_redirect - a kernel function some of whose calls a module
 *	handles itself
 * @symbol: the function, by name (it need not be exported)
 * @owner: the module of @pick and of the handlers it picks (THIS_MODULE)
 * @pick: called at the function's entry with its registers (the
 *	arguments in the x86-64 SysV registers), in atomic context: it
 *	sets @regs->ip to a handler of the same signature to run that
 *	instead, returning to the function's caller, or leaves @regs alone
 *	and the function runs. Calls from @owner's own code are never
 *	picked: a handler may call the function itself.
 *
 * Installed (the kernel's text patched) only while it has users
 * (keel_redirect_get()); a module's redirects are initialised in its
 * init and freed in its exit, when no user is left.
 */
struct keel_redirect {
	const char *symbol;
	struct module *owner;
	void (*pick)(struct pt_regs *regs);

	/* private: to the core */
	struct ftrace_ops ops;
	/* serialises installing and removing; protects @users */
	struct mutex lock;
	unsigned int users;
};

int keel_redirect_init(struct keel_redirect *r);
void keel_redirect_exit(struct keel_redirect *r);
int keel_redirect_get(struct keel_redirect *r);
void keel_redirect_put(struct keel_redirect *r);

#endif /* _KEEL_REDIRECT_H */

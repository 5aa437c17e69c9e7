// SPDX-License-Identifier: GPL-2.0
/*
 * Redirected kernel functions (keel/redirect.h): one ftrace_ops per
 * function, with FTRACE_OPS_FL_SAVE_REGS (the callback sees the full
 * pt_regs at the function's entry) and FTRACE_OPS_FL_IPMODIFY (it may
 * change the saved instruction pointer, as livepatch does): the owner's
 * pick() decides, call by call, whether its handler runs instead.
 *
 * Calls from the owner's own text pass through: a handler that decides
 * late that the call is not its own calls the function, which then runs.
 *
 * Lifetime: the ops are registered while the redirect has users, and
 * unregister_ftrace_function() waits for callbacks in flight. A task may
 * still be running (or preempted in) a handler after that; for ops
 * registered from a module (dynamic ops) ftrace_shutdown() waits with
 * synchronize_rcu_tasks_rude() and, on preemptible kernels,
 * synchronize_rcu_tasks(), so once the owner can unload (its users, who
 * hold its objects, are gone) nothing runs its handlers any more. Keeping
 * what a handler uses alive while it runs is the owner's business.
 */
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/string.h>

#include <keel/redirect.h>

#define KEEL_REDIRECT_OPS_FLAGS	(FTRACE_OPS_FL_SAVE_REGS | \
				 FTRACE_OPS_FL_IPMODIFY | \
				 FTRACE_OPS_FL_RECURSION)

static void notrace keel_redirect_call(unsigned long ip,
				       unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs)
{
	struct keel_redirect *r = container_of(ops, struct keel_redirect, ops);
	struct pt_regs *regs = ftrace_get_regs(fregs);

	if (regs && !within_module(parent_ip, r->owner))
		r->pick(regs);
}

/**
 * keel_redirect_init() - prepare a redirect, not installed yet
 * @r: the redirect, @symbol, @owner and @pick set
 *
 * Context: module init.
 * Return: 0, or the error of ftrace (no such traceable function).
 */
int keel_redirect_init(struct keel_redirect *r)
{
	char buf[KSYM_NAME_LEN];
	int ret;

	mutex_init(&r->lock);
	r->users = 0;
	r->ops.func = keel_redirect_call;
	r->ops.flags = KEEL_REDIRECT_OPS_FLAGS;
	/* ftrace_set_filter() may modify the string it parses. */
	strscpy(buf, r->symbol, sizeof(buf));
	ret = ftrace_set_filter(&r->ops, buf, strlen(buf), 0);
	if (ret)
		pr_err("keel: cannot trace %s: %d\n", r->symbol, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_redirect_init);

/**
 * keel_redirect_exit() - free what keel_redirect_init() prepared
 * @r: the redirect, without users
 */
void keel_redirect_exit(struct keel_redirect *r)
{
	WARN_ON(r->users);
	ftrace_free_filter(&r->ops);
	mutex_destroy(&r->lock);
}
EXPORT_SYMBOL_GPL(keel_redirect_exit);

/**
 * keel_redirect_get() - one more user: installed from the first on
 * @r: the redirect
 *
 * Context: process context; may sleep (patching the kernel's text).
 * Return: 0, or ftrace's error (another IPMODIFY user of the function,
 * such as a live patch).
 */
int keel_redirect_get(struct keel_redirect *r)
{
	int ret = 0;

	mutex_lock(&r->lock);
	if (!r->users) {
		ret = register_ftrace_function(&r->ops);
		if (ret)
			pr_warn_ratelimited("keel: cannot redirect %s: %d\n",
					    r->symbol, ret);
	}
	if (!ret)
		r->users++;
	mutex_unlock(&r->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_redirect_get);

/**
 * keel_redirect_put() - one user fewer: removed with the last
 * @r: the redirect
 *
 * Context: process context; may sleep (waits for callbacks in flight).
 */
void keel_redirect_put(struct keel_redirect *r)
{
	mutex_lock(&r->lock);
	if (!WARN_ON(!r->users) && !--r->users)
		unregister_ftrace_function(&r->ops);
	mutex_unlock(&r->lock);
}
EXPORT_SYMBOL_GPL(keel_redirect_put);

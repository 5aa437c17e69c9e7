/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of keel.ko and nothing else.
 */
#ifndef _KEEL_CORE_INTERNAL_H
#define _KEEL_CORE_INTERNAL_H

#include <linux/types.h>
#include <net/genetlink.h>
#include <keel/core.h>
#include <keel/io_claim.h>

/*
 * The "keel" family's handlers (keel_nl_*_doit/dumpit), request policies,
 * op table and multicast group ids (KEEL_NLGRP_*), as generated from
 * Documentation/netlink/specs/keel.yaml.
 */
#include "netlink_gen.h"

extern struct genl_family keel_genl_family;

/* parts.c */
int keel_parts_fill(struct sk_buff *skb);

/* registry.c */
int keel_registry_init(void);
void keel_registry_exit(void);

/* info.c */
int keel_type_fill(struct sk_buff *skb, const struct keel_part *part,
		   const struct keel_object_type *type);

/* host_cpu.c */
int keel_host_fill_cpu(struct sk_buff *skb);

/* host_facts.c: what only sysfs tells, read by a worker */
#define KEEL_HPAGE_SIZES	2
struct keel_host_facts {
	struct {
		u64 size;		/* bytes; 0: no such pool */
		u64 total, free;	/* pages */
	} hpage[KEEL_HPAGE_SIZES];
	const char *kvm_vendor;		/* NULL: no vendor module loaded */
	bool kvm_nested;
};

int keel_host_facts_get(struct keel_host_facts *f);
void keel_host_facts_exit(void);

/* sysfs_read.c */
int keel_read_small_file(const char *path, char *buf, size_t len);
int keel_parse_bool_param(const char *s, bool *val);
int keel_parse_u64_line(const char *s, u64 *val);

/* netlink.c */
int keel_genl_reply(struct genl_info *info, u8 cmd,
		    int (*fill)(struct sk_buff *msg, const void *arg),
		    const void *arg);
int keel_genl_obj_reply(struct genl_info *info, u8 cmd, size_t size,
			int (*fn)(struct keel_object *obj, void *arg),
			void *arg, struct sk_buff **msg);
int keel_netlink_init(void);
void keel_netlink_exit(void);

/* registry.c, for netlink */
void keel_netlink_notify_obj(struct keel_object *obj, u8 cmd);
bool keel_obj_visible(struct sk_buff *skb, const struct keel_object *obj);
bool keel_obj_is_callers(const struct keel_object *obj);
int keel_obj_fill(struct sk_buff *skb, struct keel_object *obj);

/* vm.c */
int keel_parse_stats_pid(const char *stats_id, pid_t *pid);

/* state_blob.c */
struct keel_state_writer {
	void *buf;		/* kvzalloc'ed, @cap bytes */
	size_t cap;
	size_t len;		/* header + sections so far */
	u32 type;
	unsigned int nr;	/* sections */
	int err;		/* first error of keel_state_put() */
	bool open;		/* a section begun, not ended */
};

u32 keel_state_crc(const void *data, size_t len);
u32 keel_state_sec_crc(const struct keel_state_section *sec, const void *data);
int keel_state_writer_init(struct keel_state_writer *w, u32 type, size_t cap);
void keel_state_writer_abort(struct keel_state_writer *w);
int keel_state_writer_finish(struct keel_state_writer *w, void **blob,
			     size_t *len);
u32 keel_state_fixed_len(const struct keel_state_ops *ops);
int keel_state_parse(const void *buf, size_t len,
		     const struct keel_state_ops *ops, size_t max_len,
		     struct keel_state_blob *b, const char **why);

/* eventfd.c, irq.c: waits that ignore what Keel's lines signal */
struct file *keel_eventfd_fget(int fd, struct eventfd_ctx **ctxp);
struct file *keel_vm_fget(int fd);
int __keel_evwait_start(struct keel_evwait *w, int fd,
			void (*fn)(struct keel_evwait *w, u64 count),
			unsigned int flags);
bool keel_irq_line_signalling(void);

/* state.c */
void keel_state_snapshot(struct keel_state *st, struct keel_state_info *info,
			 u64 *changed_ns);
int keel_state_xfer(struct keel_state *st, const void *in, size_t in_len,
		    void **out, size_t *out_len, const char **why,
		    int (*report)(void *arg, size_t out_len), void *arg);

/* state_netlink.c */
int keel_state_fill(struct sk_buff *skb, struct keel_state *st);

/* registry.c, for commands on one object by id */
int keel_object_call(u32 id, int (*fn)(struct keel_object *obj, void *arg),
		     void *arg);

/* dev.c: /dev/keel */
int keel_dev_init(void);
void keel_dev_exit(void);

/* Calls in a VM's own context (vm_ctx.c). */
extern struct workqueue_struct *keel_vm_wq;
int keel_vm_ctx_init(void);
void keel_vm_ctx_exit(void);

/* Claimed guest I/O (io_claim.c, io_hook.c). */
int keel_io_claims_init(void);
void keel_io_claims_exit(void);
struct keel_io_claim *keel_io_claim_lookup(struct kvm *kvm, enum kvm_bus bus,
					   gpa_t addr, int len);
int keel_io_hook_init(void);
void keel_io_hook_exit(void);
int keel_io_hook_get(void);
void keel_io_hook_put(void);

/* Objects attached to their VM (attach.c, obj_open.c). */
long keel_inst_attach(struct keel_inst *inst, struct file *file);
int keel_obj_detach(struct keel_object *obj);
struct file *keel_obj_attached_file(struct keel_object *obj);
bool keel_obj_attached(struct keel_object *obj);
long keel_obj_open_ioctl(unsigned int cmd, void __user *uarg);
void keel_attach_exit(void);

/*
 * Pure helpers are exported only to the KUnit suite, which is a separate
 * module built when the target kernel has KUnit.
 */
#if IS_ENABLED(CONFIG_KUNIT)
#define EXPORT_SYMBOL_IF_KEEL_KUNIT(sym) EXPORT_SYMBOL_GPL(sym)
#else
#define EXPORT_SYMBOL_IF_KEEL_KUNIT(sym)
#endif

#endif /* _KEEL_CORE_INTERNAL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state framework of keel.ko (state*.c): the state machine every
 * object with state goes through, the blob format, the ioctls 0x90-0x9f
 * and the netlink command. See Documentation/state.rst.
 */
#ifndef _KEEL_STATE_H
#define _KEEL_STATE_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/ioctl.h>
#include <linux/keel.h>
#include <linux/keel_state.h>

/*
 * The state framework (state.c, state_blob.c). An object type with state
 * fills one struct keel_state_ops and embeds one struct keel_state; the
 * framework owns the state machine (RUNNING/STOPPED), the blob format, the
 * ioctls 0x90-0x9f and the netlink commands. The type only moves its own
 * bytes in and out.
 */
struct keel_state;
struct keel_state_writer;
struct keel_state_blob;

/* One section a type writes, and the versions of it the type reads. */
struct keel_state_sec_desc {
	u32 id;			/* >= 1 */
	u16 version;		/* written by save(); 1..version are read */
	bool required;		/* a blob without it is refused */
	u32 len;		/* payload bytes of every version; 0: varies */
};

struct keel_state_ops {
	u32 type;		/* KEEL_STATE_TYPE_* */
	/*
	 * Largest blob, framing included; the object's own limit starts as
	 * this and a type whose objects differ in size sets it per object
	 * with keel_state_set_max_len() before the object is added. 0: the
	 * size of a blob of @secs, which then all have a fixed @len.
	 */
	u32 max_len;
	const struct keel_state_sec_desc *secs;
	unsigned int nr_secs;

	/*
	 * RUNNING -> STOPPED. When it returns, the object initiates no
	 * change and no guest access reaches it. May sleep; cannot fail.
	 */
	void (*stop)(struct keel_state *st);
	/* STOPPED -> RUNNING; raise pending interrupts again. */
	int (*resume)(struct keel_state *st);
	/*
	 * Optional: the most bytes save() writes now, framing included
	 * (default: the object's max_len). STOPPED.
	 */
	size_t (*save_len)(struct keel_state *st);
	/* Append every section with keel_state_put(). STOPPED. */
	int (*save)(struct keel_state *st, struct keel_state_writer *w);
	/*
	 * Optional: check every section of a well-formed blob of this type
	 * (framing, versions and fixed lengths already checked) against the
	 * object; change nothing. -EINVAL with *why set on a problem.
	 */
	int (*check)(struct keel_state *st, const struct keel_state_blob *b,
		     const char **why);
	/* Apply a blob check() accepted. Cannot fail. */
	void (*load)(struct keel_state *st, const struct keel_state_blob *b);
};

/*
 * Embedded in the object. @lock serialises commands and protects the
 * fields below it; the ops run with it held. Lock order: @lock, then
 * whatever the ops take. No registry lock is held around it: netlink
 * commands hold a reference on the object instead.
 */
struct keel_state {
	const struct keel_state_ops *ops;
	struct mutex lock;	/* commands; the fields below */
	u32 state;		/* KEEL_STATE_RUNNING or KEEL_STATE_STOPPED */
	u32 max_len;		/* largest blob; constant once added */
	u64 saves;
	u64 loads;
	u64 rejects;
	u64 changed_ns;		/* CLOCK_BOOTTIME of the last command */
};

/* A parsed blob: framing and checksums verified, sections by id. */
struct keel_state_sec {
	u32 id;
	u16 version;
	u16 flags;
	u32 len;
	const void *data;
};

struct keel_state_blob {
	u32 type;
	unsigned int nr;
	struct keel_state_sec sec[KEEL_STATE_MAX_SECTIONS];
};

void keel_state_init(struct keel_state *st, const struct keel_state_ops *ops);
void keel_state_destroy(struct keel_state *st);
/* This object's largest blob, at most KEEL_STATE_MAX_BLOB; before add. */
void keel_state_set_max_len(struct keel_state *st, u32 max_len);

/* Commands; errors as in linux/keel_state.h. @why may be NULL. */
int keel_state_stop(struct keel_state *st);
int keel_state_resume(struct keel_state *st);
int keel_state_save(struct keel_state *st, void **blob, size_t *len);
int keel_state_load(struct keel_state *st, const void *blob, size_t len,
		    const char **why);
int keel_state_swap(struct keel_state *st, const void *in, size_t in_len,
		    void **out, size_t *out_len, const char **why);
/* RUNNING or STOPPED whatever the state was (idempotent START/STOP). */
int keel_state_set_running(struct keel_state *st, bool running);
u32 keel_state_get(struct keel_state *st);

/* The 0x90-0x9f ioctls, for the object's file ioctl handler. */
long keel_state_ioctl(struct keel_state *st, unsigned int cmd,
		      void __user *uarg);
static inline bool keel_state_ioctl_nr(unsigned int cmd)
{
	return _IOC_TYPE(cmd) == KEEL_IOC_MAGIC &&
	       _IOC_NR(cmd) >= 0x90 && _IOC_NR(cmd) <= 0x9f;
}

/* For save(): append one section. */
int keel_state_put(struct keel_state_writer *w, u32 id, u16 version,
		   const void *data, u32 len);
/*
 * For save(), a section filled in place: begin returns room for @len
 * bytes (zeroed) or NULL on error, which end() then returns; end
 * checksums the section and appends it. No other section may be put
 * between the two.
 */
void *keel_state_sec_begin(struct keel_state_writer *w, u32 id, u16 version,
			   u32 len);
int keel_state_sec_end(struct keel_state_writer *w);
/* For check()/load(): the section with @id, or NULL. */
const struct keel_state_sec *keel_state_find(const struct keel_state_blob *b,
					     u32 id);

#endif /* _KEEL_STATE_H */

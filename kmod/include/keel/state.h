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

/**
 * struct keel_state_sec_desc - a section a type writes, and those it reads
 * @id: the section id, >= 1
 * @version: the version save() writes; versions 1 to @version are read
 * @required: a blob without this section is refused
 * @len: payload bytes of every version, checked by the framework; 0: the
 *	length varies (the type checks it)
 */
struct keel_state_sec_desc {
	u32 id;
	u16 version;
	bool required;
	u32 len;
};

/**
 * struct keel_state_ops - an object type's side of the state framework
 * @type: the blob type, KEEL_STATE_TYPE_*
 * @max_len: the largest blob, framing included; the object's own limit
 *	starts as this and a type whose objects differ in size sets it per
 *	object with keel_state_set_max_len() before the object is added. 0:
 *	the size of a blob of @secs, which then all have a fixed @len.
 * @secs: the sections the type writes and reads
 * @nr_secs: entries of @secs
 * @stop: RUNNING -> STOPPED. When it returns, the object initiates no
 *	change and no guest access reaches it. Cannot fail.
 * @resume: STOPPED -> RUNNING; raise pending interrupts again. 0, or a
 *	negative errno and the object stays STOPPED.
 * @save_len: optional: the most bytes @save writes now, framing included
 *	(default: the object's max_len). STOPPED.
 * @save: append every section with keel_state_put() (or
 *	keel_state_sec_begin() and keel_state_sec_end()). STOPPED. 0 or a
 *	negative errno, which fails the command.
 * @check: optional: check every section of a well-formed blob of this type
 *	(framing, checksums, versions and fixed lengths already checked)
 *	against the object, and change nothing. STOPPED. 0, or -EINVAL with
 *	*@why set to a reason (a string literal) on a problem.
 * @load: apply a blob @check accepted. STOPPED. Cannot fail.
 *
 * Context: every op runs in process context with the object's state
 * mutex (&keel_state.lock) held, and may sleep; an op must not call the
 * state commands of its own object.
 */
struct keel_state_ops {
	u32 type;
	u32 max_len;
	const struct keel_state_sec_desc *secs;
	unsigned int nr_secs;

	void (*stop)(struct keel_state *st);
	int (*resume)(struct keel_state *st);
	size_t (*save_len)(struct keel_state *st);
	int (*save)(struct keel_state *st, struct keel_state_writer *w);
	int (*check)(struct keel_state *st, const struct keel_state_blob *b,
		     const char **why);
	void (*load)(struct keel_state *st, const struct keel_state_blob *b);
};

/**
 * struct keel_state - the framework's state of one object
 * @ops: the type's ops
 * @lock: serialises the commands; the ops run with it held. Lock order:
 *	@lock, then whatever the ops take, then @info_lock. No registry lock
 *	is held around it: netlink commands hold a reference on the object
 *	instead.
 * @info_lock: protects the fields after it. Commands change them holding
 *	both locks; readers (listings, keel_state_get()) take only this one,
 *	so a listing never waits for a command in progress.
 * @state: KEEL_STATE_RUNNING or KEEL_STATE_STOPPED
 * @max_len: the largest blob; constant once the object is added
 * @saves: successful SAVE and SWAP commands
 * @loads: successful LOAD and SWAP commands
 * @rejects: LOAD and SWAP blobs that failed the checks
 * @changed_ns: CLOCK_BOOTTIME of the last successful command (or of
 *	keel_state_init())
 *
 * Embedded in the object (a feature instance: &keel_inst.state), set up
 * with keel_state_init().
 */
struct keel_state {
	const struct keel_state_ops *ops;
	struct mutex lock;	/* commands */
	spinlock_t info_lock;	/* the fields below */
	u32 state;
	u32 max_len;
	u64 saves;
	u64 loads;
	u64 rejects;
	u64 changed_ns;
};

/**
 * struct keel_state_sec - one section of a parsed blob
 * @id: the section id
 * @version: its version, 1 to &keel_state_sec_desc.version
 * @flags: KEEL_STATE_SEC_*
 * @len: payload bytes
 * @data: the payload, inside the blob
 */
struct keel_state_sec {
	u32 id;
	u16 version;
	u16 flags;
	u32 len;
	const void *data;
};

/**
 * struct keel_state_blob - a parsed blob: framing and checksums verified
 * @type: the blob type, the object type's
 * @nr: entries of @sec
 * @sec: the sections the type knows, in blob order (optional unknown ones
 *	are left out); look one up with keel_state_find()
 */
struct keel_state_blob {
	u32 type;
	unsigned int nr;
	struct keel_state_sec sec[KEEL_STATE_MAX_SECTIONS];
};

/* Set up and tear down (state.c); before add, the object's limit. */
void keel_state_init(struct keel_state *st, const struct keel_state_ops *ops);
void keel_state_destroy(struct keel_state *st);
void keel_state_set_max_len(struct keel_state *st, u32 max_len);

/* Commands (state.c); errors as in linux/keel_state.h. */
int keel_state_stop(struct keel_state *st);
int keel_state_resume(struct keel_state *st);
int keel_state_save(struct keel_state *st, void **blob, size_t *len);
int keel_state_load(struct keel_state *st, const void *blob, size_t len,
		    const char **why);
int keel_state_swap(struct keel_state *st, const void *in, size_t in_len,
		    void **out, size_t *out_len, const char **why);
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

/* For save(): write sections (state_blob.c). */
int keel_state_put(struct keel_state_writer *w, u32 id, u16 version,
		   const void *data, u32 len);
void *keel_state_sec_begin(struct keel_state_writer *w, u32 id, u16 version,
			   u32 len);
int keel_state_sec_end(struct keel_state_writer *w);
/* For check() and load(): find a section. */
const struct keel_state_sec *keel_state_find(const struct keel_state_blob *b,
					     u32 id);

#endif /* _KEEL_STATE_H */

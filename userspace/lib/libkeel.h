/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libkeel: the userspace side of the "keel" generic netlink family, shared
 * by keelctl, keeld and the selftests. This header is the whole public
 * API: a socket bound to the family, requests with extended-ack errors,
 * decoders from netlink messages to plain structs (objects' INFO by the
 * type descriptors the kernel gives), JSON renderings of them, and what
 * attaching objects to the VM of a VMM that knows nothing of Keel takes
 * (the core's attach ioctls, the VM descriptor of a running VMM).
 *
 * Conventions: functions returning int give 0 on success and a negative
 * errno on failure; for functions taking a struct keel_sock, the details
 * of the last failure (kind, errno, the kernel's extack message) are then
 * in keel_last_error(). Strings in decoded structs are NULL when the
 * kernel did not send the attribute.
 */
#ifndef LIBKEEL_H
#define LIBKEEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libmnl/libmnl.h>
#include <linux/keel.h>
#include <linux/keel_state.h>

struct json_object;
struct keel_type;

/* ---- errors (error.c, extack.c) ---- */

enum keel_err_kind {
	KEEL_ERR_NONE,
	KEEL_ERR_NOT_LOADED,	/* family "keel" is not registered */
	KEEL_ERR_PERM,		/* EPERM or EACCES, from the kernel or a socket */
	KEEL_ERR_KERNEL,	/* the kernel refused the request */
	KEEL_ERR_SYSTEM,	/* socket, memory or timeout trouble here */
	KEEL_ERR_PROTO,		/* a reply that does not follow the uapi */
};

#define KEEL_EXTACK_MSG_MAX	256

struct keel_error {
	enum keel_err_kind kind;
	int errnum;			/* positive errno, 0 if none */
	char msg[KEEL_EXTACK_MSG_MAX];	/* extack message, "" if none */
	bool has_offset;
	uint32_t offset;		/* bad attribute, bytes from request start */
	bool has_miss_type;
	uint32_t miss_type;		/* a required attribute that was missing */
	bool has_miss_nest;
	uint32_t miss_nest;		/* offset of the nest that lacked it */
};

/*
 * Errno @errnum in words for a message when nothing says more: what
 * failed and, where it is known, what to do ("permission denied: this
 * needs root (CAP_SYS_ADMIN) or ...", "no such object", ...); strerror()
 * for the others.
 */
const char *keel_errno_str(int errnum);
/*
 * @err without its extack message: "keel modules are not loaded
 * (keel.ko): ..." or keel_errno_str(errnum).
 */
const char *keel_error_str(const struct keel_error *err);
/*
 * One line: "<prog>: [<op>: ]<reason>\n". The reason is the extack
 * message when the kernel or keeld sent one (it names the cause; no
 * errno text goes in front of it), else keel_error_str(). Keel not
 * loaded has no <op>.
 */
void keel_error_print(FILE *f, const char *prog, const char *op,
		      const struct keel_error *err);

/*
 * Decode the status and extended-ack TLVs of an NLMSG_ERROR or NLMSG_DONE
 * message into @err (kind KEEL_ERR_KERNEL or KEEL_ERR_PERM on failure,
 * KEEL_ERR_NONE on success; a success may still carry a warning in msg).
 * Returns the message's status: 0 or a negative errno; -EBADMSG if the
 * message is too short to carry one.
 */
int keel_extack_parse(const struct nlmsghdr *nlh, struct keel_error *err);

/* ---- the socket (genl.c) ---- */

struct keel_sock;

/*
 * Open a netlink socket, turn on extended and capped acks, and resolve
 * family "keel" and its multicast groups. On failure returns NULL and
 * fills @err (KEEL_ERR_NOT_LOADED when the family is missing).
 */
struct keel_sock *keel_open(struct keel_error *err);
/*
 * The same for any generic netlink family (keel_msg_start() then builds
 * requests for it); KEEL_ERR_NOT_LOADED means that family is missing.
 */
struct keel_sock *keel_open_family(const char *name, struct keel_error *err);
void keel_close(struct keel_sock *s);

const struct keel_error *keel_last_error(const struct keel_sock *s);
uint16_t keel_family_id(const struct keel_sock *s);
uint32_t keel_portid(const struct keel_sock *s);
struct mnl_socket *keel_mnl(struct keel_sock *s);
/* Multicast group id by name, -ENOENT if the family has no such group. */
int keel_group_id(const struct keel_sock *s, const char *name, uint32_t *id);
/* Subscribe to a multicast group such as KEEL_GENL_MCGRP_EVENTS. */
int keel_join(struct keel_sock *s, const char *group);
/* Bound every receive to @ms milliseconds (0: wait forever). */
int keel_set_timeout(struct keel_sock *s, unsigned int ms);

/* ---- requests (request.c) ---- */

/* Room for one request built by keel_msg_start(). */
#define KEEL_MSG_BUFSZ		65536	/* a 60 KiB state blob and headers */

/*
 * Start a request for @cmd in the socket's send buffer (KEEL_MSG_BUFSZ
 * bytes): netlink header with NLM_F_REQUEST | @flags and a fresh sequence
 * number, then the generic netlink header. Add attributes with libmnl.
 */
struct nlmsghdr *keel_msg_start(struct keel_sock *s, uint8_t cmd,
				uint16_t flags);
/*
 * Send @nlh and receive every reply to it until its ack (or NLMSG_DONE):
 * @cb (may be NULL) sees each reply message. If @cb fails, the remaining
 * replies are still drained so the socket stays usable.
 */
int keel_request(struct keel_sock *s, const struct nlmsghdr *nlh,
		 mnl_cb_t cb, void *data);
/* Send arbitrary bytes as they are (for tests of malformed input). */
int keel_send_raw(struct keel_sock *s, const void *buf, size_t len);
/* The receive half of keel_request() for the request numbered @seq. */
int keel_recv_reply(struct keel_sock *s, uint32_t seq, mnl_cb_t cb,
		    void *data);
/*
 * Receive one datagram of notifications and run @cb on each message.
 * Returns -ENOBUFS when the kernel dropped events because we were slow,
 * -EAGAIN on timeout, -EINTR when a signal arrived.
 */
int keel_recv_events(struct keel_sock *s, mnl_cb_t cb, void *data);

/* ---- attribute helpers (attr.c) ---- */

/*
 * Index the attributes of a message (after the genl header) or of a nest
 * into @tb[0..@max], checking each known one against @policy (an array of
 * @max + 1 enum mnl_attr_data_type, MNL_TYPE_UNSPEC = unchecked).
 * Attributes above @max are skipped: newer kernels may send more.
 * Returns -EPROTO when an attribute breaks the policy.
 */
int keel_attr_parse_msg(const struct nlmsghdr *nlh,
			const enum mnl_attr_data_type *policy, uint16_t max,
			const struct nlattr **tb);
int keel_attr_parse_nested(const struct nlattr *nest,
			   const enum mnl_attr_data_type *policy, uint16_t max,
			   const struct nlattr **tb);
/* How many attributes of @type sit directly inside @nest. */
size_t keel_attr_count(const struct nlattr *nest, uint16_t type);
/* strdup() of a string attribute, or NULL if @a is NULL; -ENOMEM via *err. */
char *keel_attr_strdup(const struct nlattr *a, int *err);

/* ---- decoded replies (version.c, host.c, obj.c) ---- */

struct keel_part {
	char *name;
	uint32_t objects;
};

struct keel_parts {
	struct keel_part *v;
	size_t n;
};

struct keel_version {
	char *version;
	uint32_t api_version;
	char *build_kernel;
	char *build_compiler;
	char *build_commit;
	char *running_kernel;
	struct keel_parts parts;
};

struct keel_cpu {
	char *vendor;
	char *model_name;
	uint32_t family, model, stepping;
	uint32_t online, possible;
	char **flags;
	size_t nflags;
};

struct keel_node {
	uint32_t id;
	uint64_t mem_total;	/* bytes */
	uint64_t mem_free;	/* bytes */
	uint32_t cpus;
};

struct keel_hpage {
	uint64_t size;		/* bytes */
	uint64_t total;		/* pages */
	uint64_t free;		/* pages */
};

struct keel_kvm {
	bool loaded, usable, nested;
	char *vendor;
};

struct keel_host {
	struct keel_cpu cpu;
	struct keel_node *nodes;
	size_t nnodes;
	struct keel_hpage *hpages;
	size_t nhpages;
	struct keel_kvm kvm;
	struct keel_parts parts;
};

/* One attribute of KEEL_OBJ_A_INFO, copied out of the message. */
struct keel_info_attr {
	uint16_t type;		/* without NLA_F_NESTED / NLA_F_NET_BYTEORDER */
	bool nested;
	uint16_t len;
	void *data;
};

/* KEEL_OBJ_A_STATE: the state framework's view of an object. */
struct keel_obj_state {
	bool present;		/* the object has state */
	uint32_t state;		/* KEEL_STATE_RUNNING / KEEL_STATE_STOPPED */
	uint32_t type;		/* KEEL_STATE_TYPE_* */
	uint32_t format;
	uint32_t max_len;
	uint64_t saves, loads, rejects;
	uint64_t changed_ns;	/* CLOCK_BOOTTIME */
};

struct keel_obj {
	uint32_t id;
	char *type;
	char *part;
	uint32_t owner_pid;
	uint32_t vm_pid;
	char *label;
	uint64_t created_ns;	/* CLOCK_BOOTTIME */
	bool has_info;
	struct keel_info_attr *info;
	size_t ninfo;
	struct keel_obj_state state;
	/*
	 * KEEL_OBJ_A_ATTACHED (API 4): attached to its VM (KEEL_IOC_ATTACH),
	 * the kernel holds it until KEEL_CMD_OBJ_DETACH or the VM's end.
	 */
	bool attached;
	/*
	 * Its type's descriptor, NULL when there is none: it points into
	 * the cache of the socket the object came from (keel_obj_describe())
	 * and lives until that socket is closed.
	 */
	const struct keel_type *desc;
};

struct keel_objs {
	struct keel_obj *v;
	size_t n;
};

struct keel_event {
	uint8_t cmd;		/* KEEL_CMD_OBJ_NEW or KEEL_CMD_OBJ_DEL */
	struct keel_obj obj;
};

int keel_version_get(struct keel_sock *s, struct keel_version *v);
int keel_version_parse(const struct nlmsghdr *nlh, struct keel_version *v);
void keel_version_free(struct keel_version *v);

int keel_host_get(struct keel_sock *s, struct keel_host *h);
int keel_host_parse(const struct nlmsghdr *nlh, struct keel_host *h);
void keel_host_free(struct keel_host *h);
bool keel_cpu_has_flag(const struct keel_cpu *cpu, const char *flag);

int keel_parts_parse(const struct nlattr *nest, struct keel_parts *p);
void keel_parts_free(struct keel_parts *p);
const struct keel_part *keel_parts_find(const struct keel_parts *p,
					const char *name);

/*
 * OBJ_GET doit: -ENOENT (kind KEEL_ERR_KERNEL) if there is no such id.
 * keel_obj_get() and keel_obj_dump() also describe the objects
 * (keel_obj_describe()).
 */
int keel_obj_get(struct keel_sock *s, uint32_t id, struct keel_obj *o);
/* OBJ_GET dump, only objects of @type when it is not NULL. */
int keel_obj_dump(struct keel_sock *s, const char *type,
		  struct keel_objs *list);
/* Decode one KEEL_A_OBJ nest (o->desc stays NULL). */
int keel_obj_parse(const struct nlattr *nest, struct keel_obj *o);
void keel_obj_free(struct keel_obj *o);
void keel_objs_free(struct keel_objs *list);
const struct keel_obj *keel_objs_find(const struct keel_objs *list,
				      uint32_t id);
/* The INFO attribute @type of @o, or NULL. */
const struct keel_info_attr *keel_obj_info(const struct keel_obj *o,
					   uint16_t type);
/* An unsigned INFO attribute of @o as a number; 0 if absent or not one. */
uint64_t keel_obj_info_uint(const struct keel_obj *o, uint16_t type);

/*
 * KEEL_CMD_STATE_SET on object @id: @cmd is a KEEL_STATE_CMD_*; @in is
 * the blob for LOAD and SWAP. On success @o (if not NULL) is the object
 * after the command and, for SAVE and SWAP, *out (malloc'ed) holds the
 * saved blob of *out_len bytes.
 */
int keel_state_set(struct keel_sock *s, uint32_t id, uint32_t cmd,
		   const void *in, size_t in_len, struct keel_obj *o,
		   void **out, size_t *out_len);
/* "running", "stopped" or "?" */
const char *keel_state_name(uint32_t state);
/* "uart16550a", "ring", "coalesce" (KEEL_STATE_TYPE_*), or "?" */
const char *keel_state_type_name(uint32_t type);

/* ---- objects attached to their VM (attach.c, API 4) ---- */

/*
 * KEEL_CMD_OBJ_DETACH: the kernel lets go of attached object @id, which
 * goes away with the last descriptor of it. -ENOENT (no such object, or
 * not the caller's), -ENOLINK (not attached), with the kernel's extack.
 */
int keel_obj_detach(struct keel_sock *s, uint32_t id);
/*
 * KEEL_IOC_ATTACH on @obj_fd, a set-up object's own file: the kernel
 * keeps the file until the object is detached or the VM's process ends.
 * 0 or -errno: -EBADFD not set up, -EINVAL no VM, -EALREADY attached,
 * -ESRCH the VM's process is exiting or gone.
 */
int keel_obj_attach(int obj_fd);

/* ---- object parameters (objset.c, API 5) ---- */

/* One parameter attribute of a type: @bytes 1 (u8) or 4 (u32). */
struct keel_param {
	uint16_t type;
	uint8_t bytes;
	uint32_t value;
};

/*
 * KEEL_CMD_OBJ_SET: apply @n parameters of object @id's type, all or none.
 * 0 or -errno with the kernel's extack: -ENOENT (no such object, or not
 * the caller's), -EOPNOTSUPP (a type without parameters), -EINVAL or
 * -ERANGE (a value refused: the extack names it).
 */
int keel_obj_set(struct keel_sock *s, uint32_t id,
		 const struct keel_param *params, size_t n);
/*
 * KEEL_IOC_OBJ_OPEN on @keel_fd, any Keel device file (/dev/keel): a new
 * close-on-exec descriptor of attached object @id's file, or -errno:
 * -ENOENT (no such object, or not the caller's), -ENOLINK (not attached).
 */
int keel_obj_open(int keel_fd, uint32_t id);

/* ---- the VM of a running VMM (vmfd.c) ---- */

#define KEEL_VMM_VMS_MAX	16

/* What keel_vm_fd_of_pid() found of a process. */
struct keel_vmm {
	int pid;
	char comm[16];			/* /proc/PID/comm, "" if unknown */
	int tgid;			/* @pid is a thread of process tgid; 0 */
	int which;			/* the descriptor asked for, or -1 */
	size_t nvms;			/* its KVM VM descriptors */
	int vm_fds[KEEL_VMM_VMS_MAX];	/* their numbers, ascending */
	int fd;				/* the number taken, -1 if none */
};

/*
 * Take the KVM VM of process @pid, a VMM that may know nothing of Keel:
 * pidfd_open(2), then pidfd_getfd(2) of its descriptor whose
 * /proc/PID/fd link reads "anon_inode:kvm-vm". @which is the number of
 * that descriptor in the process, or -1 for its only VM. Returns a new
 * close-on-exec descriptor of the same VM, or:
 *   -EINVAL    @pid is not a process id (<= 0, or a thread's: vmm->tgid)
 *   -ESRCH     no such process (or it ended meanwhile)
 *   -ENODEV    it holds no VM: not a KVM VMM
 *   -ENOTUNIQ  it holds more than one VM and @which is -1
 *   -ENOENT    @which is not one of its VM descriptors
 *   -EPERM, -EACCES  the caller may not ptrace it (pidfd_getfd(2) needs
 *              PTRACE_MODE_ATTACH_REALCREDS, /proc/PID/fd reading it)
 *   -EAGAIN    its VM descriptors kept changing while being taken
 *   other -errno of the system.
 * @vmm (may be NULL) is filled with what was found either way.
 */
int keel_vm_fd_of_pid(int pid, int which, struct keel_vmm *vmm);
/*
 * One line (no newline) for a failure @err (negative) of
 * keel_vm_fd_of_pid(): "no process 123", "process 123 (bash) is not a
 * KVM VMM: ...", ...; returns @buf.
 */
const char *keel_vmm_strerror(int err, const struct keel_vmm *vmm, char *buf,
			      size_t len);
/* 1 if @fd is a KVM VM ("anon_inode:kvm-vm"), 0 if not, or -errno. */
int keel_fd_is_kvm_vm(int fd);
/*
 * The KVM VM descriptors among the entries of @dirfd, a /proc/PID/fd
 * directory (entries whose link reads "anon_inode:kvm-vm"): the first
 * @max numbers in ascending order in @fds, how many there are in *@n.
 * 0 or -errno.
 */
int keel_vm_fds_scan(int dirfd, int *fds, size_t max, size_t *n);

/*
 * Decode an OBJ_NEW/OBJ_DEL notification. Returns -ENOMSG for a message
 * that is not one (another family or command), so callers can skip it.
 */
int keel_event_parse(uint16_t family, const struct nlmsghdr *nlh,
		     struct keel_event *ev);
void keel_event_free(struct keel_event *ev);

/* ---- object types (types.c): KEEL_CMD_TYPE_GET ---- */

/*
 * One INFO attribute of an object type as the kernel describes it, or
 * one attribute of a TABLE field's entries. Descriptors that break the
 * uapi (a missing attribute number or name, a bad name, an unknown
 * encoding, a repeated attribute or name, a table inside a table) are
 * left out when parsing: what they would describe is decoded
 * generically. An unknown unit reads as NONE, an unknown format, or one
 * that does not fit the encoding, as DEC.
 */
struct keel_field {
	uint16_t attr;			/* attribute type in its nest */
	char *name;			/* [a-z0-9_]+ */
	uint32_t type;			/* KEEL_FIELD_TYPE_U8 .. _TABLE */
	uint32_t unit;			/* KEEL_FIELD_UNIT_* */
	uint32_t format;		/* KEEL_FIELD_FORMAT_* */
	uint32_t flags;			/* KEEL_FIELD_F_* (known bits only) */
	char **words;			/* ENUM, FLAGS: names; "" for none */
	size_t nwords;
	uint16_t entry;			/* TABLE: attribute type of an entry */
	struct keel_field *fields;	/* TABLE: the fields of an entry */
	size_t nfields;
};

struct keel_type {
	char *name;			/* "vm", "vdev", "ring", ... */
	char *part;
	struct keel_field *fields;	/* in the order the kernel sent them */
	size_t nfields;
};

struct keel_types {
	struct keel_type *v;
	size_t n;
};

/* TYPE_GET dump: every object type of the loaded parts. */
int keel_types_dump(struct keel_sock *s, struct keel_types *types);
/* TYPE_GET doit: -ENOENT (kind KEEL_ERR_KERNEL) if no type has @name. */
int keel_type_get(struct keel_sock *s, const char *name, struct keel_type *t);
/*
 * Add the types of one TYPE_GET reply to @types, leaving out those
 * without a usable name and a second one of a name: 0, -EPROTO for a
 * message too short for a genl header, -ENOMEM.
 */
int keel_types_parse(const struct nlmsghdr *nlh, struct keel_types *types);
/* Decode one KEEL_A_TYPE nest; -EPROTO without a usable name. */
int keel_type_parse(const struct nlattr *nest, struct keel_type *t);
void keel_type_free(struct keel_type *t);
void keel_types_free(struct keel_types *types);
const struct keel_type *keel_types_find(const struct keel_types *types,
					const char *name);
/* The field of @fields (@n of them) for attribute @attr, or NULL. */
const struct keel_field *keel_field_find(const struct keel_field *fields,
					 size_t n, uint16_t attr);
/* The word for @value of an ENUM field (bit @value of FLAGS), or NULL. */
const char *keel_field_word(const struct keel_field *f, uint64_t value);
/* "u8", "u32", "u64", "string", "table"; "none", "bytes", "ns"; "dec", ... */
const char *keel_field_type_name(uint32_t type);
const char *keel_field_unit_name(uint32_t unit);
const char *keel_field_format_name(uint32_t format);
/* "counter", "brief" for KEEL_FIELD_F_* bit @bit, or NULL. */
const char *keel_field_flag_name(unsigned int bit);

/*
 * The object types of @s's kernel, fetched with one TYPE_GET dump when
 * first asked for and kept until keel_close(). A kernel without
 * TYPE_GET (EOPNOTSUPP or EINVAL) gives an empty set: INFO is then
 * decoded generically. NULL on failure, details in keel_last_error().
 */
const struct keel_types *keel_types_cached(struct keel_sock *s);
/*
 * Set o->desc to the descriptor of @o's type in @s's cache (NULL if the
 * kernel describes no such type). keel_obj_get() and keel_obj_dump() do
 * this themselves; notifications and keel_state_set() objects need it.
 */
int keel_obj_describe(struct keel_sock *s, struct keel_obj *o);
int keel_objs_describe(struct keel_sock *s, struct keel_objs *list);

/* ---- INFO values (objinfo.c) ---- */

enum keel_info_kind {
	KEEL_INFO_UINT,		/* u8/u16/u32/u64 in u; field->format says more */
	KEEL_INFO_STRING,	/* NUL-terminated, in s */
	KEEL_INFO_TABLE,	/* rows, nrows */
	KEEL_INFO_RAW,		/* bytes shown in hex */
};

struct keel_info_row;

/*
 * An INFO attribute (or one of a table entry) decoded and named. Do not
 * copy one: name may point into namebuf.
 */
struct keel_info_val {
	const char *name;	/* the field's name, or "attr<N>" */
	char namebuf[16];
	const struct keel_field *field;	/* NULL: decoded generically */
	enum keel_info_kind kind;
	uint64_t u;
	const char *s;		/* points into the attribute */
	const uint8_t *raw;
	size_t rawlen;
	struct keel_info_row *rows;
	size_t nrows;
};

/* One entry of a TABLE: a value per attribute of the entry nest. */
struct keel_info_row {
	struct keel_info_val *v;
	size_t n;
};

/*
 * Decode @a, an INFO attribute of an object of type @t (NULL: no
 * descriptor), as its field says. An attribute without a field, or
 * whose length, nesting or entries do not fit its field, is decoded
 * generically: 1/2/4/8-byte values as numbers, printable NUL-terminated
 * ones as strings, the rest as raw bytes, named "attr<N>". Returns 0, or
 * -ENOMEM with @v decoded generically. Free with keel_info_val_free().
 */
int keel_info_decode(const struct keel_type *t, const struct keel_info_attr *a,
		     struct keel_info_val *v);
void keel_info_val_free(struct keel_info_val *v);

/* Room for a formatted value; longer raw values end in "...". */
#define KEEL_INFO_TEXT_MAX	136

/*
 * @v as plain text, by its field's format: a decimal number, 0x and hex
 * digits (HEX), "yes"/"no" (BOOL), the word or the number (ENUM), the
 * words of the set bits joined by ',' with "bit<N>" for unnamed ones and
 * "-" for none (FLAGS), strerror() or "-" for 0 (ERRNO); the string;
 * "[N]" for a table of N entries; "0x" and hex bytes for raw values.
 * Returns what snprintf() returns.
 */
int keel_info_format(const struct keel_info_val *v, char *buf, size_t len);

/* ---- JSON renderings (json.c; the schema of keelctl -j) ---- */

struct json_object *keel_version_json(const struct keel_version *v);
struct json_object *keel_host_json(const struct keel_host *h);
struct json_object *keel_obj_json(const struct keel_obj *o);
struct json_object *keel_obj_state_json(const struct keel_obj_state *st);
struct json_object *keel_objs_json(const struct keel_objs *list);
struct json_object *keel_event_json(const struct keel_event *ev);
/* INFO of @o by its descriptor: {name: value, ...} (infojson.c). */
struct json_object *keel_info_json(const struct keel_obj *o);
struct json_object *keel_info_val_json(const struct keel_info_val *v);
/* {"name", "part", "fields": [...]} and an array of them (infojson.c). */
struct json_object *keel_type_json(const struct keel_type *t);
struct json_object *keel_types_json(const struct keel_types *types);
/* Print @o followed by a newline; compact unless @pretty. */
int keel_json_print(FILE *f, struct json_object *o, bool pretty);

/* journal.c: a daemon's stderr is journald's stream ("<PRIO>" prefixes) */
bool keel_stderr_is_journal(void);

#endif /* LIBKEEL_H */

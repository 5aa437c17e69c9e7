/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Keel core uapi: the generic netlink family "keel" (version, host
 * inventory, object listing) and the /dev/keel VM-binding ioctl.
 *
 * This header is a contract. Attribute and command numbers are never
 * reused or renumbered; new ones are appended. Structs carry their size
 * so they can grow; flags words reject unknown bits.
 */
#ifndef _UAPI_LINUX_KEEL_H
#define _UAPI_LINUX_KEEL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KEEL_GENL_NAME		"keel"
#define KEEL_GENL_VERSION	1
#define KEEL_GENL_MCGRP_EVENTS	"events"

/* Version of this uapi; bumped when commands or attributes are added. */
#define KEEL_API_VERSION	5

#define KEEL_NAME_MAX		32	/* object types, part names, labels */

/*
 * Commands. All requests are NLM_F_REQUEST; replies carry the same cmd.
 *
 * KEEL_CMD_VERSION_GET: doit. Reply: KEEL_A_VERSION, KEEL_A_API_VERSION,
 *	KEEL_A_BUILD_*, KEEL_A_RUNNING_KERNEL, KEEL_A_PARTS.
 * KEEL_CMD_HOST_GET: doit. Reply: KEEL_A_CPU, KEEL_A_NUMA, KEEL_A_HUGEPAGES,
 *	KEEL_A_KVM, KEEL_A_PARTS.
 * KEEL_CMD_OBJ_GET: doit with KEEL_A_OBJ_ID: one KEEL_A_OBJ;
 *	dump (NLM_F_DUMP), optionally filtered by KEEL_A_OBJ_TYPE: one
 *	message with one KEEL_A_OBJ per object.
 * KEEL_CMD_OBJ_NEW / KEEL_CMD_OBJ_DEL: notifications on the "events"
 *	multicast group when an object appears or disappears (KEEL_A_OBJ).
 * KEEL_CMD_STATE_SET (API 2): doit, needs CAP_NET_ADMIN. KEEL_A_OBJ_ID and
 *	KEEL_A_STATE_CMD (enum keel_state_cmd, linux/keel_state.h), with
 *	KEEL_A_STATE_BLOB for LOAD and SWAP. Reply: KEEL_A_OBJ (the object
 *	after the command), with KEEL_A_STATE_BLOB for SAVE and SWAP.
 * KEEL_CMD_TYPE_GET (API 3): doit with KEEL_A_OBJ_TYPE: one KEEL_A_TYPE;
 *	dump: one message with one KEEL_A_TYPE per object type of the
 *	loaded parts. A type's fields describe every attribute its objects
 *	carry in KEEL_OBJ_A_INFO: how to decode, name and show it.
 * KEEL_CMD_OBJ_DETACH (API 4): doit with KEEL_A_OBJ_ID: the kernel lets go
 *	of an object attached to its VM (KEEL_IOC_ATTACH), which goes away
 *	with the last descriptor of it. The caller's own objects and, with
 *	CAP_SYS_ADMIN, all (ENOENT otherwise); ENOLINK when not attached.
 * KEEL_CMD_OBJ_SET (API 5): doit with KEEL_A_OBJ_ID and
 *	KEEL_A_OBJ_PARAMS, a nest of the object type's own parameter
 *	attributes (e.g. enum keel_coalesce_param_attr), all applied or none.
 *	The caller's own objects and, with CAP_SYS_ADMIN, all (ENOENT
 *	otherwise); EOPNOTSUPP for a type without parameters. Reply:
 *	KEEL_A_OBJ, the object after the change.
 */
enum keel_cmd {
	KEEL_CMD_UNSPEC,
	KEEL_CMD_VERSION_GET,
	KEEL_CMD_HOST_GET,
	KEEL_CMD_OBJ_GET,
	KEEL_CMD_OBJ_NEW,
	KEEL_CMD_OBJ_DEL,
	KEEL_CMD_STATE_SET,
	KEEL_CMD_TYPE_GET,
	KEEL_CMD_OBJ_DETACH,
	KEEL_CMD_OBJ_SET,

	__KEEL_CMD_MAX,
	KEEL_CMD_MAX = __KEEL_CMD_MAX - 1
};

/* Top-level attributes. */
enum keel_attr {
	KEEL_A_UNSPEC,
	KEEL_A_PAD,
	KEEL_A_VERSION,			/* string: Keel release, e.g. "0.1.0" */
	KEEL_A_API_VERSION,		/* u32: KEEL_API_VERSION */
	KEEL_A_BUILD_KERNEL,		/* string: kernel release built against */
	KEEL_A_BUILD_COMPILER,		/* string: compiler version text */
	KEEL_A_BUILD_COMMIT,		/* string: source revision */
	KEEL_A_RUNNING_KERNEL,		/* string: running kernel release */
	KEEL_A_PARTS,			/* nest: KEEL_A_PART, multi */
	KEEL_A_PART,			/* nest: enum keel_part_attr */
	KEEL_A_CPU,			/* nest: enum keel_cpu_attr */
	KEEL_A_NUMA,			/* nest: KEEL_A_NODE, multi */
	KEEL_A_NODE,			/* nest: enum keel_node_attr */
	KEEL_A_HUGEPAGES,		/* nest: KEEL_A_HPAGE, multi */
	KEEL_A_HPAGE,			/* nest: enum keel_hpage_attr */
	KEEL_A_KVM,			/* nest: enum keel_kvm_attr */
	KEEL_A_OBJ,			/* nest: enum keel_obj_attr */
	KEEL_A_OBJ_ID,			/* u32: request selector, >= 1 */
	KEEL_A_OBJ_TYPE,		/* string: request (dump) filter */
	KEEL_A_STATE_CMD,		/* u32: enum keel_state_cmd */
	KEEL_A_STATE_BLOB,		/* binary: a state blob */
	KEEL_A_TYPE,			/* nest: enum keel_type_attr (API 3) */
	KEEL_A_OBJ_PARAMS,		/* nest: the type's parameters (API 5) */

	__KEEL_A_MAX,
	KEEL_A_MAX = __KEEL_A_MAX - 1
};

/* A loaded Keel module (keel.ko itself is part "core"). */
enum keel_part_attr {
	KEEL_PART_A_UNSPEC,
	KEEL_PART_A_NAME,		/* string: "core", "vdev", ... */
	KEEL_PART_A_OBJECTS,		/* u32: live objects owned by it */

	__KEEL_PART_A_MAX,
	KEEL_PART_A_MAX = __KEEL_PART_A_MAX - 1
};

enum keel_cpu_attr {
	KEEL_CPU_A_UNSPEC,
	KEEL_CPU_A_VENDOR,		/* string: "AuthenticAMD", ... */
	KEEL_CPU_A_MODEL_NAME,		/* string, as /proc/cpuinfo "model name" */
	KEEL_CPU_A_FAMILY,		/* u32 */
	KEEL_CPU_A_MODEL,		/* u32 */
	KEEL_CPU_A_STEPPING,		/* u32 */
	KEEL_CPU_A_ONLINE,		/* u32: online CPUs */
	KEEL_CPU_A_POSSIBLE,		/* u32: possible CPUs */
	KEEL_CPU_A_FLAG,		/* string, multi: /proc/cpuinfo flag names */

	__KEEL_CPU_A_MAX,
	KEEL_CPU_A_MAX = __KEEL_CPU_A_MAX - 1
};

enum keel_node_attr {
	KEEL_NODE_A_UNSPEC,
	KEEL_NODE_A_PAD,
	KEEL_NODE_A_ID,			/* u32 */
	KEEL_NODE_A_MEM_TOTAL,		/* u64: bytes managed (MemTotal) */
	KEEL_NODE_A_MEM_FREE,		/* u64: bytes free */
	KEEL_NODE_A_CPUS,		/* u32: online CPUs on the node */

	__KEEL_NODE_A_MAX,
	KEEL_NODE_A_MAX = __KEEL_NODE_A_MAX - 1
};

enum keel_hpage_attr {
	KEEL_HPAGE_A_UNSPEC,
	KEEL_HPAGE_A_PAD,
	KEEL_HPAGE_A_SIZE,		/* u64: page size in bytes */
	KEEL_HPAGE_A_TOTAL,		/* u64: persistent pool pages */
	KEEL_HPAGE_A_FREE,		/* u64: free pool pages */

	__KEEL_HPAGE_A_MAX,
	KEEL_HPAGE_A_MAX = __KEEL_HPAGE_A_MAX - 1
};

enum keel_kvm_attr {
	KEEL_KVM_A_UNSPEC,
	KEEL_KVM_A_LOADED,		/* u8: kvm.ko present */
	KEEL_KVM_A_VENDOR,		/* string: "kvm_amd" or "kvm_intel" */
	KEEL_KVM_A_USABLE,		/* u8: a vendor module is loaded */
	KEEL_KVM_A_NESTED,		/* u8: vendor module offers nesting */

	__KEEL_KVM_A_MAX,
	KEEL_KVM_A_MAX = __KEEL_KVM_A_MAX - 1
};

enum keel_obj_attr {
	KEEL_OBJ_A_UNSPEC,
	KEEL_OBJ_A_PAD,
	KEEL_OBJ_A_ID,			/* u32: unique while the object lives */
	KEEL_OBJ_A_TYPE,		/* string: "vm", "uart", "ring", ... */
	KEEL_OBJ_A_PART,		/* string: owning part */
	KEEL_OBJ_A_OWNER_PID,		/* u32: tgid that created it */
	KEEL_OBJ_A_VM_PID,		/* u32: VM creator's tgid, 0: none */
	KEEL_OBJ_A_LABEL,		/* string: operator label, may be empty */
	KEEL_OBJ_A_CREATED_NS,		/* u64: CLOCK_BOOTTIME at creation */
	KEEL_OBJ_A_INFO,		/* nest: per-type attributes */
	KEEL_OBJ_A_STATE,		/* nest: enum keel_state_attr, when the
					 * object has state (API 2)
					 */
	KEEL_OBJ_A_ATTACHED,		/* flag: attached to its VM (API 4) */

	__KEEL_OBJ_A_MAX,
	KEEL_OBJ_A_MAX = __KEEL_OBJ_A_MAX - 1
};

/*
 * An object type (KEEL_CMD_TYPE_GET): its name, its part and one
 * KEEL_TYPE_A_FIELD per attribute of its KEEL_OBJ_A_INFO, in attribute
 * order. Tools decode INFO with these instead of knowing every type.
 */
enum keel_type_attr {
	KEEL_TYPE_A_UNSPEC,
	KEEL_TYPE_A_NAME,		/* string: "vm", "vdev", "ring", ... */
	KEEL_TYPE_A_PART,		/* string: owning part */
	KEEL_TYPE_A_FIELD,		/* nest, multi: enum keel_field_attr */

	__KEEL_TYPE_A_MAX,
	KEEL_TYPE_A_MAX = __KEEL_TYPE_A_MAX - 1
};

/*
 * One INFO attribute. A field of KEEL_FIELD_TYPE_TABLE is a nest of
 * entries, each a nest of attribute type KEEL_FIELD_A_ENTRY whose own
 * attributes its KEEL_FIELD_A_FIELD nests describe (one level only).
 */
enum keel_field_attr {
	KEEL_FIELD_A_UNSPEC,
	KEEL_FIELD_A_ATTR,		/* u32: attribute type in its nest */
	KEEL_FIELD_A_NAME,		/* string: [a-z0-9_]+, unique in the type */
	KEEL_FIELD_A_TYPE,		/* u32: enum keel_field_type */
	KEEL_FIELD_A_UNIT,		/* u32: enum keel_field_unit */
	KEEL_FIELD_A_FORMAT,		/* u32: enum keel_field_format */
	KEEL_FIELD_A_FLAGS,		/* u32: KEEL_FIELD_F_* */
	KEEL_FIELD_A_WORD,		/* string, multi: ENUM: the name of
					 * value 0, 1, ...; FLAGS: of bit 0,
					 * 1, ...; "" where there is none
					 */
	KEEL_FIELD_A_ENTRY,		/* u32: TABLE: attribute type of an entry */
	KEEL_FIELD_A_FIELD,		/* nest, multi: TABLE: an entry's fields */

	__KEEL_FIELD_A_MAX,
	KEEL_FIELD_A_MAX = __KEEL_FIELD_A_MAX - 1
};

/* How a field's value is encoded. */
enum keel_field_type {
	KEEL_FIELD_TYPE_UNSPEC,
	KEEL_FIELD_TYPE_U8,
	KEEL_FIELD_TYPE_U32,
	KEEL_FIELD_TYPE_U64,		/* 8 bytes, 64-bit aligned (pad attr) */
	KEEL_FIELD_TYPE_STRING,		/* NUL-terminated */
	KEEL_FIELD_TYPE_TABLE,		/* nest of entries, see above */
};

/* What a number counts. */
enum keel_field_unit {
	KEEL_FIELD_UNIT_NONE,		/* a count, an id, a size in slots... */
	KEEL_FIELD_UNIT_BYTES,
	KEEL_FIELD_UNIT_NS,		/* nanoseconds */
};

/* How a number reads best. */
enum keel_field_format {
	KEEL_FIELD_FORMAT_DEC,
	KEEL_FIELD_FORMAT_HEX,		/* an address, a port */
	KEEL_FIELD_FORMAT_BOOL,		/* 0 false, anything else true */
	KEEL_FIELD_FORMAT_ENUM,		/* one of the words */
	KEEL_FIELD_FORMAT_FLAGS,	/* bits named by the words */
	KEEL_FIELD_FORMAT_ERRNO,	/* a positive errno, 0 none */
};

/* Field flags. */
#define KEEL_FIELD_F_COUNTER	0x1u	/* only grows while the object lives */
#define KEEL_FIELD_F_BRIEF	0x2u	/* a column of the type's list view */

/* KEEL_OBJ_A_INFO of a "vm" object (a /dev/keel binding). */
enum keel_vm_info_attr {
	KEEL_VM_INFO_A_UNSPEC,
	KEEL_VM_INFO_A_VCPUS,		/* u32: vCPUs created so far */
	KEEL_VM_INFO_A_DEAD,		/* u8: VM fd closed, only Keel holds it */

	__KEEL_VM_INFO_A_MAX,
	KEEL_VM_INFO_A_MAX = __KEEL_VM_INFO_A_MAX - 1
};

/*
 * /dev/keel: each open file may hold one VM binding, which keeps a
 * counted reference to the VM until the file is released. It is listed
 * as an object of type "vm".
 */
/*
 * ioctl magic shared by every Keel device; number ranges: core 0x00-0x0f,
 * vdev 0x10-0x2f, ring 0x30-0x4f, coalesce 0x50-0x5f, mirror 0x60-0x7f,
 * remote 0x80-0x8f, state 0x90-0x9f; samples (built and tested, never
 * installed) 0xf0-0xff.
 */
#define KEEL_IOC_MAGIC		0xE7

/* flags for struct keel_vm_bind: none defined yet, all must be zero. */
#define KEEL_VM_BIND_FLAGS_ALL	0u

struct keel_vm_bind {
	__u32 size;		/* in: sizeof(struct keel_vm_bind) */
	__u32 flags;		/* in: KEEL_VM_BIND_* */
	__s32 vm_fd;		/* in: a KVM VM fd (from KVM_CREATE_VM) */
	__u32 id;		/* out: object id */
	char label[KEEL_NAME_MAX];	/* in: NUL-terminated, printable */
};

#define KEEL_IOC_VM_BIND	_IOWR(KEEL_IOC_MAGIC, 0x00, struct keel_vm_bind)

/*
 * The core's ioctls on every Keel device file (/dev/keel, /dev/keel-vdev,
 * /dev/keel-ring, ...).
 *
 * KEEL_IOC_ATTACH, on a set-up object's own file: the object stays with
 * its VM. The kernel keeps the file open until the object is detached
 * (KEEL_CMD_OBJ_DETACH) or the VM's process (its address space) ends:
 * the caller may close its descriptors and exit. This is how a tool
 * attaches Keel objects to the VM of a VMM that knows nothing of Keel (a
 * VM fd taken with pidfd_getfd(2)). EBADFD when not set up, EINVAL when
 * the object has no VM, EALREADY when attached, ESRCH when the VM's
 * process is exiting or gone.
 */
#define KEEL_IOC_ATTACH		_IO(KEEL_IOC_MAGIC, 0x01)

/* flags for struct keel_obj_open: none defined yet, all must be zero. */
#define KEEL_OBJ_OPEN_FLAGS_ALL	0u

/*
 * KEEL_IOC_OBJ_OPEN, on any Keel device file: a new descriptor
 * (close-on-exec) of an attached object's file, the same open file the
 * kernel keeps (as dup() gives), for the object's data path: a UART's
 * host streams. For the object's owner (the effective uid that created
 * it) and CAP_SYS_ADMIN; ENOENT for anyone else's object and for no such
 * object, ENOLINK when it is not attached.
 */
struct keel_obj_open {
	__u32 size;		/* in: sizeof(struct keel_obj_open) */
	__u32 flags;		/* in: KEEL_OBJ_OPEN_* */
	__u32 id;		/* in: object id */
	__s32 fd;		/* out: the new descriptor */
};

#define KEEL_IOC_OBJ_OPEN	_IOWR(KEEL_IOC_MAGIC, 0x02, struct keel_obj_open)

#endif /* _UAPI_LINUX_KEEL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of keelctl share: the command table entry, the run-time
 * context, exit codes, option handling and the human-output helpers.
 */
#ifndef KEELCTL_H
#define KEELCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "libkeel.h"
#include <linux/keeld.h>
#include <linux/keel_coalesce.h>

#ifndef KEELCTL_VERSION
#define KEELCTL_VERSION "unknown"
#endif

/*
 * Exit codes are part of keelctl's interface (scripts rely on the
 * numbers): see "Exit status" in Documentation/keelctl.rst.
 */
enum keelctl_exit {
	KEELCTL_EXIT_OK = 0,
	KEELCTL_EXIT_FAIL = 1,		/* understood and refused, or failed */
	KEELCTL_EXIT_USAGE = 2,		/* bad command line */
	KEELCTL_EXIT_NOT_LOADED = 3,	/* Keel not loaded, keeld unreachable */
	KEELCTL_EXIT_PERM = 4,		/* permission denied */
	KEELCTL_EXIT_NOT_FOUND = 5,	/* what the command names does not exist */
};

struct table;

struct keelctl {
	bool json;
	bool pretty;
	struct keel_sock *sock;		/* opened by keelctl_connect() */
	const char *keeld_path;		/* --keeld PATH */
	int keeld_fd;			/* keeld's socket, 0 when closed */
	uint32_t keeld_seq;
};

/*
 * One command. A new command group is one new cmd_*.c file defining its
 * struct keelctl_cmd and one line in main.c's table.
 */
struct keelctl_cmd {
	const char *name;
	/* lines after "keelctl [OPTIONS] ", \n between; " ..." continues one */
	const char *synopsis;
	const char *summary;	/* one line for "keelctl help" */
	const char *help;	/* details for "keelctl CMD --help", or NULL */
	const char *options;	/* its own options' help lines, or NULL */
	/* Commands for one object type (cmd_typed.c): one object, in messages. */
	const char *noun;
	/* argv[0] is the command name; returns an exit code. */
	int (*run)(struct keelctl *k, const struct keelctl_cmd *cmd,
		   int argc, char **argv);
};

/*
 * The run() of the commands for one object type (cmd_typed.c): "CMD
 * [list]" lists the objects of type cmd->name, "CMD show ID" shows one,
 * refusing an id of another type.
 */
int keelctl_typed_run(struct keelctl *k, const struct keelctl_cmd *cmd,
		      int argc, char **argv);
/* The same after the options: @argc operands, "[list]" or "show ID". */
int keelctl_typed_list_show(struct keelctl *k, const struct keelctl_cmd *cmd,
			    int argc, char **argv);

extern const struct keelctl_cmd keelctl_cmd_version;
extern const struct keelctl_cmd keelctl_cmd_host;
extern const struct keelctl_cmd keelctl_cmd_objects;
extern const struct keelctl_cmd keelctl_cmd_monitor;
extern const struct keelctl_cmd keelctl_cmd_vdev;
extern const struct keelctl_cmd keelctl_cmd_ring;
extern const struct keelctl_cmd keelctl_cmd_coalesce;
extern const struct keelctl_cmd keelctl_cmd_mirror;
extern const struct keelctl_cmd keelctl_cmd_remote;
extern const struct keelctl_cmd keelctl_cmd_state;
extern const struct keelctl_cmd keelctl_cmd_types;
extern const struct keelctl_cmd keelctl_cmd_cloud;
extern const struct keelctl_cmd keelctl_cmd_alloc;
extern const struct keelctl_cmd keelctl_cmd_free;

/* cloud template|policy ...: @ops[0] is "template" or "policy" (cmd_prefset.c). */
int keelctl_prefset_run(struct keelctl *k, const struct keelctl_cmd *cmd,
			const char *const *ops, int n);

/* ---- options and errors (common.c) ---- */

/*
 * The options every command takes, to put in front of its own. Options
 * may follow a command's operands; main() stops at the command name.
 */
#define KEELCTL_OPTSTRING	":hjp"
#define KEELCTL_LONGOPTS					\
	{ "help", no_argument, NULL, 'h' },			\
	{ "json", no_argument, NULL, 'j' },			\
	{ "pretty", no_argument, NULL, 'p' },			\
	{ "keeld", required_argument, NULL, 'K' }

/* keelctl_getopt() returns this when the command must exit with *rc. */
#define KEELCTL_OPT_EXIT	(-2)

/*
 * getopt_long() over a command's arguments that handles the common
 * options itself. Returns the command's next own option, -1 when options
 * end (optind is then the first operand), or KEELCTL_OPT_EXIT after
 * --help (*rc = 0) or a bad option (usage on stderr, *rc = 2).
 */
int keelctl_getopt(struct keelctl *k, const struct keelctl_cmd *cmd,
		   int argc, char **argv, const char *optstring,
		   const struct option *longopts, int *rc);
/* getopt_long() value of a command's own option @i: above every character. */
#define KEELCTL_OPT_VAL(i)	(0x100 + (i))
/*
 * For commands whose own options take values: parse the common options
 * and the command's own (@longopts values KEELCTL_OPT_VAL(0) ..
 * KEELCTL_OPT_VAL(@n - 1)) into @val, each at most once; an option
 * without an argument gets "". Leaves @argc and @argv at the operands.
 * -1 to go on, else the exit code.
 */
int keelctl_opt_values(struct keelctl *k, const struct keelctl_cmd *cmd,
		       int *argc, char ***argv, const struct option *longopts,
		       const char **val, int n);
/* One option that may be given several times: its values, in order. */
struct keelctl_opt_rep {
	int opt;		/* its index in @val; -1: none */
	const char **list;	/* room for @max values */
	int max;
	int *n;			/* out: how many were given */
};
/*
 * keelctl_opt_values(), but option @rep.opt (which takes a value) may be
 * given up to @rep.max times: its values go to @rep.list, the first also
 * to @val.
 */
int keelctl_opt_list(struct keelctl *k, const struct keelctl_cmd *cmd,
		     int *argc, char ***argv, const struct option *longopts,
		     const char **val, int n, struct keelctl_opt_rep rep);
/*
 * For commands without options of their own: parse the common options
 * and leave @argc and @argv at the operands. -1 to go on, else the exit
 * code.
 */
int keelctl_operands(struct keelctl *k, const struct keelctl_cmd *cmd,
		     int *argc, char ***argv);
/*
 * For commands without options or operands of their own: parse the
 * common options. Returns -1 to go on, else the exit code.
 */
int keelctl_no_args(struct keelctl *k, const struct keelctl_cmd *cmd,
		    int argc, char **argv);
/* The full help of @cmd (for --help and "keelctl help CMD"). */
void keelctl_cmd_usage(const struct keelctl_cmd *cmd, FILE *f);
/* "keelctl: <cmd>: <message>" and the command's synopsis on stderr; 2. */
int keelctl_usage_error(const struct keelctl_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Open k->sock if not yet open: 0, or the exit code after a message. */
int keelctl_connect(struct keelctl *k);
/*
 * For commands that take no arguments: keelctl_no_args(), then
 * keelctl_connect(). Returns -1 to go on, else the exit code.
 */
int keelctl_begin(struct keelctl *k, const struct keelctl_cmd *cmd,
		  int argc, char **argv);
/*
 * The one mapping from a failure to an exit code: Keel not loaded (the
 * kind) 3; EPERM and EACCES 4; ENOENT 5 when the kernel or keeld answered
 * it (KEEL_ERR_KERNEL: the object, type, allocation, host, ... named
 * does not exist), while a system call's ENOENT (KEEL_ERR_SYSTEM) is its
 * own failure; anything else 1.
 */
int keelctl_exit_code(enum keel_err_kind kind, int errnum);
/*
 * Print "keelctl: <op>: <reason>" (keel_error_print(): the kernel's or
 * keeld's message, else the errno in words); keelctl_exit_code().
 */
int keelctl_fail(const char *op, const struct keel_error *err);
/*
 * Open Keel device file @path (of module @module, "keel_vdev"): its
 * descriptor, or -(exit code) after a message that says what to do: the
 * module not loaded (3), the file not open to the caller (4).
 */
int keelctl_open_dev(const char *op, const char *path, const char *module);
/*
 * keel_vm_fd_of_pid() failed with @err: print why (keel_vmm_strerror(),
 * and with @vm_fd_opt the hint to pick a VM with --vm-fd); the exit
 * code: no such process 5, may not ptrace it 4, else 1.
 */
int keelctl_vmm_fail(const char *op, int err, const struct keel_vmm *vmm,
		     bool vm_fd_opt);
/*
 * The JSON document in file @path ("-": standard input), or NULL after
 * "keelctl: <op>: ..." saying why (cannot open it, not JSON).
 */
struct json_object *keelctl_read_json(const char *op, const char *path);
/* An object id operand: decimal or 0x hex, 0..UINT32_MAX. 0 or -1. */
int keelctl_parse_id(const char *s, uint32_t *id);
/* A number, decimal or 0x hex, 0..@max. 0 or -1. */
int keelctl_parse_u64(const char *s, uint64_t max, uint64_t *v);
/* Print a JSON document (and drop it) as -j/-p ask: exit code. */
int keelctl_print_json(struct keelctl *k, struct json_object *o);
/*
 * Print table @t on stdout and free it: exit code; NULL (out of memory
 * while filling it) is "keelctl: <op>: out of memory".
 */
int keelctl_print_table(struct table *t, const char *op);
/*
 * The subcommands "[list]" and "show ARG" of @cmd (@argc operands
 * after the options): -1 to go on with *arg NULL for list or ARG for
 * show; else the exit code of a usage error ("show needs one <what>").
 */
int keelctl_list_or_show(const struct keelctl_cmd *cmd, int argc, char **argv,
			 const char *what, const char **arg);

/* ---- keeld (keeld_client.c) ---- */

/*
 * Connect to keeld's socket (--keeld, $KEELD_SOCKET, KEELD_SOCKET_PATH):
 * 0, or the exit code after a message.
 */
int keelctl_keeld_connect(struct keelctl *k);
/* Start a request in @buf (KEELD_MSG_MAX bytes); add attributes with libmnl. */
struct nlmsghdr *keelctl_keeld_msg(struct keelctl *k, void *buf, uint8_t cmd,
				   uint16_t flags);
/*
 * Send @nlh, run @cb on every reply message and return the final status
 * (0 or a negative errno, details in @err).
 */
int keelctl_keeld_request(struct keelctl *k, const struct nlmsghdr *nlh,
			  mnl_cb_t cb, void *data, struct keel_error *err);
void keelctl_keeld_close(struct keelctl *k);

/* ---- keeld's hosts and allocations (cloudfmt.c) ---- */

#define KD_MAX_RES	16

struct kd_res {
	char dim[72];
	uint64_t amount;		/* capacity, or what is held */
	uint64_t used;			/* hosts */
};

struct kd_host {
	uint32_t id;
	uint64_t generation;
	uint32_t nallocs;
	struct kd_res res[KD_MAX_RES];
	unsigned int nres;
	char **features;
	size_t nfeatures;
};

struct kd_alloc {
	bool valid;			/* the allocation part is present */
	uint64_t id;
	uint32_t host_id;
	uint64_t generation;
	char service[64];
	uint64_t created;
	struct kd_res res[KD_MAX_RES];
	unsigned int nres;
	char *explain;			/* --explain text, or NULL */
};

/* "8G", "512M", "4096", "2MiB": binary units. */
int kd_size_parse(const char *s, uint64_t *v);
int kd_host_parse(const struct nlmsghdr *nlh, struct kd_host *h);
void kd_host_free(struct kd_host *h);
int kd_alloc_parse(const struct nlmsghdr *nlh, struct kd_alloc *al);
void kd_alloc_free(struct kd_alloc *al);
/* "vcpus=4 memory=8 GiB", or with @used "vcpus=2/64 ..." */
void kd_res_text(const struct kd_res *r, unsigned int n, bool used, char *buf,
		 size_t len);
struct json_object *kd_host_json(const struct kd_host *h);
struct json_object *kd_alloc_json(const struct kd_alloc *al);

/* ---- human output (print.c) ---- */

/* 1536 -> "1.5 KiB", 2097152 -> "2 MiB": binary units. */
void fmt_bytes(uint64_t bytes, char *buf, size_t len);
/* 1500000 ns -> "1.5 ms", 75 s -> "75 s": ms below a second, else s. */
void fmt_ns(uint64_t ns, char *buf, size_t len);
/* 75 s -> "1m15s", 90000 s -> "1d01h". */
void fmt_age(uint64_t ns, char *buf, size_t len);
/* "yes" / "no" */
const char *fmt_bool(bool b);
/* @s, or "-" when it is NULL or empty. */
const char *fmt_str(const char *s);

/* "<indent><key padded to a column><value>\n" */
void print_kv(FILE *f, int indent, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Like print_kv() with a list of words wrapped to the terminal width. */
void print_kv_words(FILE *f, int indent, const char *key,
		    char *const *words, size_t n);

/* A table whose columns are as wide as their widest cell. */
struct table;
struct table *table_new(size_t ncols, const char *const *headers);
/* Append one cell; rows fill left to right. -1 on allocation failure. */
int table_cell(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void table_print(const struct table *t, FILE *f, int indent);
void table_free(struct table *t);

/* ---- objects in human form (objfmt.c) ---- */

/* Room for an object's INFO as name=value text. */
#define OBJ_INFO_TEXT_MAX	2048

/* How a value reads: in name=value text, in a list's cell, in show. */
enum val_style {
	VAL_PLAIN,	/* keel_info_format(): numbers as they are */
	VAL_CELL,	/* bytes in binary units, nanoseconds as ms or s */
	VAL_DETAIL,	/* bytes with binary units beside, ns as ms or s */
};

/* Now on CLOCK_BOOTTIME, the clock of keel_obj.created_ns. */
uint64_t boottime_ns(void);
/* @v as text in @style; "-" for an empty string. */
void obj_val_text(const struct keel_info_val *v, enum val_style style,
		  char *buf, size_t len);
/* A field's name as a column heading: "exits_kept" -> "EXITS-KEPT". */
void obj_heading(const char *name, char *buf, size_t len);
/* "vcpus=2 dead=no": every INFO value, plain, tables as "regs=[6]". */
void obj_info_text(const struct keel_obj *o, char *buf, size_t len);
void obj_age_text(const struct keel_obj *o, uint64_t now, char *buf,
		  size_t len);
/*
 * The list of objects of type @t: ID, LABEL and a column for each field
 * @t marks brief (ID, LABEL, INFO without a descriptor). NULL when out
 * of memory.
 */
struct table *obj_brief_table(const struct keel_objs *list,
			      const struct keel_type *t);
/*
 * Every field of @o, one "name  value" line each: the common ones, then
 * its INFO by its descriptor, a table as a small table of its entries.
 */
void obj_print(const struct keel_obj *o, FILE *f);
/* Info field @name of @o as obj_print() prints it; -1 when @o has none. */
int obj_print_field(const struct keel_obj *o, const char *name, FILE *f);

/* ---- keelctl vdev add, del and console (vdev_*.c) ---- */

/* What "vdev add" was asked for, checked (cmd_vdev.c). */
struct vdev_add_req {
	int pid;		/* the VMM */
	int vm_fd;		/* its descriptor of the VM, -1: its only VM */
	uint32_t model;		/* KEEL_VDEV_MODEL_* */
	uint32_t len;		/* the model's size */
	uint32_t bus;		/* KEEL_VDEV_BUS_* */
	uint64_t base;
	uint32_t gsi;
	bool level;		/* level-triggered: with a resample eventfd */
	const char *label;	/* "" for none */
};

/*
 * Take the VM of r->pid, set a device up on it with Keel binding the
 * interrupt to r->gsi, start and attach it; print its id (-j: the
 * object). Exit code; on failure nothing stays behind.
 */
int vdev_add(struct keelctl *k, const struct vdev_add_req *r);
/*
 * KEEL_CMD_OBJ_DETACH of object @id, which must be a @type ("vdev"), an
 * @noun ("device") in messages: exit code (objdel.c).
 */
int keelctl_obj_del(struct keelctl *k, uint32_t id, const char *type,
		    const char *noun);
/*
 * The id of object @id that an add command made: alone, or with -j the
 * object as "TYPE show -j" prints it (its id alone, after a message,
 * when it cannot be read back). The exit code (objdel.c).
 */
int keelctl_print_added(struct keelctl *k, const char *op, uint32_t id);
/*
 * A descriptor of attached object @id's file (KEEL_IOC_OBJ_OPEN on
 * /dev/keel), or -(exit code) after a message naming it an @noun
 * (objdel.c).
 */
int keelctl_obj_file(const char *op, uint32_t id, const char *noun);

/* Servers "remote add" may be given, tried in order. */
#define KEELCTL_REMOTE_SERVERS	8

/* What "remote add" was asked for, checked (cmd_remote.c). */
struct remote_add_req {
	int pid;		/* the VMM */
	int vm_fd;		/* its descriptor of the VM, -1: its only VM */
	uint64_t base;		/* MMIO, 4 KiB aligned */
	uint32_t gsi;
	/* unix:PATH or tcp:HOST:PORT, tried in this order */
	const char *servers[KEELCTL_REMOTE_SERVERS];
	int nservers;
	const char *key;	/* the key file */
	const char *device;	/* the server's name of the device; NULL: any */
	const char *model;	/* NULL: any */
	uint64_t min_capacity;	/* bytes */
	bool entropy;		/* an entropy device as virtio-rng; else a disk */
	bool ro;
	bool level;		/* level-triggered, with a resample eventfd */
	const char *label;	/* "": the server's name of the device */
};

/*
 * Connect to the first server, open a block device there (an entropy
 * device with r->entropy); when that server cannot be reached or has no
 * such device (its refusal printed), the next one. Set the device up on the VM of r->pid as a virtio-mmio disk
 * (a virtio-rng device) with Keel binding the interrupt to r->gsi, start
 * and attach it; print its id (remote_add.c).
 */
int remote_add(struct keelctl *k, const struct remote_add_req *r);

/* "remote connect" and "remote watch" (remote_add.c). */
struct remote_connect_req {
	uint32_t id;
	const char *server;
	const char *key;
	const char *device;	/* NULL: the device's label */
};

int remote_connect(struct keelctl *k, const struct remote_connect_req *r);
int remote_watch(struct keelctl *k, const struct remote_connect_req *r);

/* What "mirror add" was asked for, checked (cmd_mirror.c). */
struct mirror_add_req {
	int pid;		/* the VMM */
	uint64_t gpa;		/* first byte, page aligned */
	uint64_t len;		/* bytes, page multiple */
	const char *label;	/* "" for none */
	uint64_t alias_off;	/* windows (both, or 0 for none) */
	uint64_t mirror_off;
};

/*
 * Protect r->gpa..+r->len of VMM r->pid's guest memory, repaired when a
 * failure is signalled; attach it; print its id (mirror_add.c). Exit
 * code; on failure nothing stays behind.
 */
int mirror_add(struct keelctl *k, const struct mirror_add_req *r);

/* What "mirror xlate" or "mirror unxlate" was asked for (cmd_mirror.c). */
struct mirror_xlate_req {
	uint32_t id;		/* the range, attached */
	bool del;		/* unxlate: remove the one at start */
	bool counted;		/* count_gpa given */
	bool logged;		/* log_gpa given */
	bool pt5;		/* log_pt has 5 levels */
	uint64_t start;		/* the original code, [start, end) */
	uint64_t end;
	uint64_t code;		/* where the translation runs */
	uint64_t count_gpa;	/* its stores' counter, guest-physical */
	uint64_t log_gpa;	/* its full region log, guest-physical */
	uint64_t log_pt;	/* the page tables of its addresses, or 0 */
};

/*
 * Register (or with r->del remove) a translation of the guest's code with
 * range r->id (KEEL_MIRROR_IOC_XLATE, mirror_xlate.c). Exit code.
 */
int mirror_xlate(struct keelctl *k, const struct mirror_xlate_req *r);

/* What "coalesce add" was asked for, checked (cmd_coalesce.c). */
struct coalesce_add_req {
	int pid;		/* the VMM */
	uint32_t gsi;		/* its irqfd to moderate */
	int32_t vcpu;		/* KEEL_COALESCE_VCPU_AUTO or an index */
	struct keel_coalesce_params params;
	const char *label;	/* "" for none */
};

/*
 * Moderate the irqfd on r->gsi of VMM r->pid: set up, start, attach;
 * print its id. Exit code; on failure nothing stays behind.
 */
int coalesce_add(struct keelctl *k, const struct coalesce_add_req *r);
/* The irqfds of VMM @pid's VM, with GSI, route and vCPU: exit code. */
int coalesce_irqfds(struct keelctl *k, int pid);
/*
 * Bridge standard input and output with attached device @id's streams
 * (KEEL_IOC_OBJ_OPEN): exit code. @wait_ms: how long to read after the
 * end of an input that is not a terminal.
 */
int vdev_console(struct keelctl *k, uint32_t id, unsigned int wait_ms,
		 const char *until);

/* ---- a console's byte streams (console.c) ---- */

#define CONSOLE_ESCAPE	0x1d	/* Ctrl-] */

struct console_opts {
	bool escape;		/* CONSOLE_ESCAPE on the input ends it */
	unsigned int wait_ms;	/* after the input's end: read this long */
	/*
	 * Or NULL. Set: end as soon as these bytes came from @dev (once the
	 * input ended), and CONSOLE_UNTIL_MISSED when wait_ms passed first.
	 * Up to CONSOLE_UNTIL_MAX bytes.
	 */
	const char *until;
	int stop_fd;		/* readable when it must stop, or -1 */
};

#define CONSOLE_UNTIL_MAX	256

/*
 * Copy @in to @dev and @dev to @out until @in ends (then what was read
 * of it is written, and @dev read for o->wait_ms more), the escape
 * character or @stop_fd. Blocking descriptors are fine: each is read or
 * written only when poll() says it is ready. 0; CONSOLE_DEV_ENDED when
 * @dev ended first (end of file: a Keel device that was detached, or
 * whose VM ended) and o->until, if set, had not come; CONSOLE_UNTIL_MISSED
 * (o->until did not come in time);
 * or -errno with *@what naming the stream that failed ("standard
 * input", ...).
 */
#define CONSOLE_DEV_ENDED	1
#define CONSOLE_UNTIL_MISSED	2
int console_bridge(int in, int out, int dev, const struct console_opts *o,
		   const char **what);

/* ---- the terminal and signals around a console (term.c) ---- */

struct termios;

/* Put terminal @fd in raw mode, its settings before in @saved: 0/-errno. */
int term_raw(int fd, struct termios *saved);
/* Put @saved back (after term_raw()). */
void term_restore(int fd, const struct termios *saved);
/*
 * From now on SIGINT, SIGTERM, SIGHUP and SIGQUIT do not end keelctl but
 * make the returned descriptor readable (and interrupt a blocking call),
 * so it can restore the terminal first; SIGPIPE is ignored. -errno if
 * the pipe cannot be made. stop_signals_end() undoes it.
 */
int stop_signals(void);
void stop_signals_end(void);

/* ---- list and show of objects (objcmd.c) ---- */

/*
 * Print the objects of @type (every object when NULL) as a JSON array,
 * or through @print_table, which gets @type's descriptor (NULL if the
 * kernel has none). @op names the operation in error messages.
 */
int keelctl_obj_list(struct keelctl *k, const char *type, const char *op,
		     int (*print_table)(const struct keel_objs *list,
					const struct keel_type *t));
/* Print object @id as JSON or with obj_print(); of @type if not NULL. */
int keelctl_obj_show(struct keelctl *k, uint32_t id, const char *type,
		     const char *op);
/*
 * Object @id into @o, which must be a @type (not checked when NULL):
 * -1 to go on, else the exit code after a message (free of @o then), 5
 * for an id that is no object of @type.
 */
int keelctl_obj_get(struct keelctl *k, uint32_t id, const char *type,
		    const char *op, struct keel_obj *o);

#endif /* KEELCTL_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Reads the log the kernel's dm-log-writes target keeps of a block device
 * (drivers/md/dm-log-writes.c: a super block, then one entry block per
 * write, flush, discard or mark, each write followed by its data) and
 * rebuilds the device as it stood after any entry: what a power cut at that
 * moment leaves on a disk with a volatile write cache, when the entry is a
 * flush or FUA write (the target logs writes only once a flush covers them).
 *
 *   log_replay LOG list
 *	one line per entry: "<index> <flags> <sector> <sectors> [<mark>]",
 *	flags from F (flush), U (FUA), D (discard), M (mark), "-" for none
 *   log_replay LOG replay DEV FROM TO
 *	apply entries FROM..TO (indexes, inclusive) to DEV: writes copied,
 *	discards zeroed; DEV then holds what it held after entry TO if it
 *	held what it held after entry FROM - 1 (a zeroed device for 0)
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The on-disk format, little endian (dm-log-writes.c). */
#define LOG_MAGIC	0x6a736677736872ULL
#define LOG_VERSION	1
#define LOG_FLUSH	(1 << 0)
#define LOG_FUA		(1 << 1)
#define LOG_DISCARD	(1 << 2)
#define LOG_MARK	(1 << 3)

struct log_super {
	uint64_t magic;
	uint64_t version;
	uint64_t nr_entries;
	uint32_t sectorsize;
} __attribute__((packed));

struct log_entry {
	uint64_t sector;
	uint64_t nr_sectors;
	uint64_t flags;
	uint64_t data_len;
} __attribute__((packed));

struct log {
	int fd;
	uint32_t bs;		/* the log's sector size: its unit everywhere */
	uint64_t nr;		/* entries */
	uint64_t next;		/* offset of the next entry block */
	uint64_t index;		/* its index */
	char *block;		/* one entry block */
};

static int die(const char *fmt, const char *arg)
{
	fprintf(stderr, "log_replay: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 1;
}

static int log_open(struct log *l, const char *path)
{
	struct log_super s;

	l->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (l->fd < 0)
		return die("cannot open %s", path);
	if (pread(l->fd, &s, sizeof(s), 0) != sizeof(s))
		return die("%s: no super block", path);
	l->bs = le32toh(s.sectorsize);
	l->nr = le64toh(s.nr_entries);
	if (le64toh(s.magic) != LOG_MAGIC || le64toh(s.version) != LOG_VERSION)
		return die("%s is not a dm-log-writes log (version 1)", path);
	if (l->bs < 512 || l->bs > 65536 || (l->bs & (l->bs - 1)))
		return die("%s: bad sector size", path);
	l->block = malloc(l->bs);
	if (!l->block)
		return die("%s", strerror(ENOMEM));
	l->next = l->bs;
	l->index = 0;
	return 0;
}

/* The next entry into @e (and its block in l->block); 1 at the end. */
static int log_next(struct log *l, struct log_entry *e, uint64_t *data_off)
{
	if (l->index >= l->nr)
		return 1;
	if (pread(l->fd, l->block, l->bs, (off_t)l->next) != (ssize_t)l->bs) {
		fprintf(stderr, "log_replay: entry %" PRIu64 " is cut short\n",
			l->index);
		return -1;
	}
	memcpy(e, l->block, sizeof(*e));
	e->sector = le64toh(e->sector);
	e->nr_sectors = le64toh(e->nr_sectors);
	e->flags = le64toh(e->flags);
	e->data_len = le64toh(e->data_len);
	*data_off = l->next + l->bs;
	l->next += l->bs;
	if (!(e->flags & LOG_DISCARD))
		l->next += e->nr_sectors * l->bs;
	l->index++;
	return 0;
}

static int list(struct log *l)
{
	struct log_entry e;
	uint64_t off;
	char flags[5], *f;
	int ret;

	while (!(ret = log_next(l, &e, &off))) {
		f = flags;
		if (e.flags & LOG_FLUSH)
			*f++ = 'F';
		if (e.flags & LOG_FUA)
			*f++ = 'U';
		if (e.flags & LOG_DISCARD)
			*f++ = 'D';
		if (e.flags & LOG_MARK)
			*f++ = 'M';
		if (f == flags)
			*f++ = '-';
		*f = '\0';
		printf("%" PRIu64 " %s %" PRIu64 " %" PRIu64, l->index - 1, flags,
		       e.sector, e.nr_sectors);
		if ((e.flags & LOG_MARK) &&
		    e.data_len < l->bs - sizeof(e))
			printf(" %.*s", (int)e.data_len, l->block + sizeof(e));
		putchar('\n');
	}
	return ret < 0 || fflush(stdout) ? 1 : 0;
}

/* Copy @len bytes at @from in the log to @to on @dev, or zero them. */
static int apply(struct log *l, int dev, uint64_t from, uint64_t to,
		 uint64_t len, int zero)
{
	static char buf[1 << 20];
	size_t n;

	if (zero)
		memset(buf, 0, sizeof(buf));
	while (len) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		if (!zero && pread(l->fd, buf, n, (off_t)from) != (ssize_t)n)
			return -1;
		if (pwrite(dev, buf, n, (off_t)to) != (ssize_t)n)
			return -1;
		from += n;
		to += n;
		len -= n;
	}
	return 0;
}

static int replay(struct log *l, const char *path, uint64_t first,
		  uint64_t last)
{
	struct log_entry e;
	uint64_t off;
	int dev, ret;

	if (last >= l->nr || first > last) {
		fprintf(stderr, "log_replay: entries %" PRIu64 "..%" PRIu64
			" are not in a log of %" PRIu64 "\n", first, last, l->nr);
		return 1;
	}
	dev = open(path, O_WRONLY | O_CLOEXEC);
	if (dev < 0)
		return die("cannot open %s", path);
	while (!(ret = log_next(l, &e, &off)) && l->index - 1 <= last) {
		if (l->index - 1 < first || !e.nr_sectors || (e.flags & LOG_MARK))
			continue;
		if (apply(l, dev, off, e.sector * l->bs, e.nr_sectors * l->bs,
			  !!(e.flags & LOG_DISCARD))) {
			fprintf(stderr, "log_replay: entry %" PRIu64 ": %s\n",
				l->index - 1, strerror(errno));
			ret = -1;
			break;
		}
	}
	if (fsync(dev) || close(dev))
		ret = -1;
	return ret < 0 ? 1 : 0;
}

static int parse(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t first, last;
	struct log l;

	if (argc == 3 && !strcmp(argv[2], "list"))
		return log_open(&l, argv[1]) ?: list(&l);
	if (argc == 6 && !strcmp(argv[2], "replay")) {
		if (parse(argv[4], &first) || parse(argv[5], &last))
			return die("bad entry index: %s", argv[4]);
		return log_open(&l, argv[1]) ?: replay(&l, argv[3], first, last);
	}
	fprintf(stderr, "usage: log_replay LOG list\n"
		"       log_replay LOG replay DEV FROM TO\n");
	return 2;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Writes of the real vhost-net into protected guest memory, which KVM's
 * write tracking never sees, mirrored through vhost's dirty log. Keel's
 * test VMM runs a virtio-net receive queue on vhost-net (the coalesce
 * suite's vnet: guest driver, tap, a peer sending numbered frames):
 *
 * - without a log, the frames vhost writes into protected buffers leave
 *   the mirror behind the guest's memory (the case this covers);
 * - with vhost logging as during a migration and its log given to Keel
 *   (KEEL_MIRROR_IOC_LOG), the buffers' and the rings' mirror equals the
 *   guest's memory after a harvest: on KEEL_MIRROR_LOG_SYNC, and on its
 *   own every scrub_ms;
 * - bad input: unknown flags, an address without LOG_SET, unaligned,
 *   unmapped, LOG_SET from another process, a sync without a log: each
 *   refused, nothing changed.
 */
#include "mirror_test.h"

#include <pthread.h>
#include <sys/mman.h>

#include "keel_test_file.h"
#include "keel_vm.h"
#include "keel_irq.h"
#include "vnet.h"
#include "vnet_guest.h"

#define GSI_RX		20
#define GSI_POKE	21
#define FRAMES		100
#define FRAME_LEN	1000
#define BUFS_LEN	(VNET_QUEUE_SIZE * VNET_BUF_SIZE)
#define RINGS_LEN	(3 * 4096ULL)
#define SCRUB_MS	"/sys/module/keel_mirror/parameters/scrub_ms"

FIXTURE(vhost) {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	struct keel_irqfd *rx, *poke;
	struct vnet net;
	pthread_t vcpu_thread;
	bool running;
	struct ucall uc;
	uint64_t *log;
	size_t log_len;
	uint64_t sent;
};

#define GUEST(self, field)	(vnet_guest_of((self)->vm)->field)

static void *vcpu_main(void *arg)
{
	FIXTURE_DATA(vhost) *self = arg;

	guest_run(self->vcpu, &self->uc);
	return NULL;
}

FIXTURE_SETUP(vhost)
{
	uint64_t end = 0;
	unsigned int i;
	int fd;

	MIRROR_OPEN_OR_SKIP(fd);
	close(fd);
	if (access("/dev/vhost-net", F_OK))
		SKIP(return, "no /dev/vhost-net");
	self->vm = vm_create(0, KEEL_VM_IRQCHIP);
	ASSERT_NE(NULL, self->vm);
	self->vcpu = vm_vcpu_add(self->vm, vnet_guest_main);
	ASSERT_NE(NULL, self->vcpu);
	self->rx = vm_irqfd_add(self->vm, GSI_RX, false);
	self->poke = vm_irqfd_add(self->vm, GSI_POKE, false);
	ASSERT_NE(NULL, self->rx);
	ASSERT_NE(NULL, self->poke);
	ASSERT_EQ(0, vnet_create(&self->net, self->vm, self->rx->fd));
	vnet_guest_init(self->vm, GSI_RX, GSI_POKE);
	ASSERT_EQ(0, vcpu_args_set(self->vcpu, self->net.gpa.desc,
				   self->net.gpa.avail, self->net.gpa.used,
				   self->net.gpa.bufs));
	/* the log: a bit for each page of all of the VM's memory */
	for (i = 0; i < self->vm->nr_regions; i++)
		if (self->vm->regions[i].gpa + self->vm->regions[i].size > end)
			end = self->vm->regions[i].gpa +
			      self->vm->regions[i].size;
	self->log_len = (end / 4096 + 63) / 64 * 8;
	self->log = mmap(NULL, self->log_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->log);
	ASSERT_EQ(0, pthread_create(&self->vcpu_thread, NULL, vcpu_main,
				    self));
	self->running = true;
}

FIXTURE_TEARDOWN(vhost)
{
	write_text(SCRUB_MS, "1000");
	if (self->running) {
		GUEST(self, quit) = 1;
		irqfd_trigger(self->poke);
		pthread_join(self->vcpu_thread, NULL);
		EXPECT_EQ(UCALL_DONE, self->uc.cmd)
			TH_LOG("%s", ucall_str(self->vcpu, &self->uc));
	}
	if (self->net.vm)
		vnet_destroy(&self->net);
	if (self->vm)
		vm_free(self->vm);
	if (self->log && self->log != MAP_FAILED)
		munmap(self->log, self->log_len);
}

/*
 * @n frames from the peer, all received by the guest, in order; then a
 * little time for vhost's last writes after the guest saw the frame.
 */
static void frames(struct __test_metadata *_metadata,
		   FIXTURE_DATA(vhost) *self, uint32_t n)
{
	struct timespec ms = { 0, 1000 * 1000 };
	int i;

	ASSERT_EQ(n, vnet_send(&self->net, n, FRAME_LEN, 200));
	self->sent += n;
	for (i = 0; i < 30000 && GUEST(self, frames) < self->sent; i++)
		nanosleep(&ms, NULL);
	ASSERT_EQ(self->sent, GUEST(self, frames));
	EXPECT_EQ(0, GUEST(self, bad));
	usleep(100 * 1000);
}

static int mirror_log(int fd, uint32_t flags, uint64_t addr, uint64_t *pages)
{
	struct keel_mirror_log l = {
		.size = sizeof(l), .flags = flags, .addr = addr,
	};
	int ret = mirror_ioctl(fd, KEEL_MIRROR_IOC_LOG, &l);

	if (!ret && pages)
		*pages = l.pages;
	return ret;
}

/* Bytes where the mirror of [gpa, gpa + len) differs from the guest's. */
static long differ(FIXTURE_DATA(vhost) *self, int fd, uint64_t gpa,
		   uint64_t len)
{
	return mirror_diff(fd, gpa, vm_gpa2hva(self->vm, gpa, len), len, NULL);
}

TEST_F_TIMEOUT(vhost, logged_writes_mirrored, 600)
{
	uint64_t bufs = self->net.gpa.bufs, rings = self->net.gpa.desc;
	uint32_t bid = 0, rid = 0;
	uint64_t pages = 0;
	int bfd, rfd, st;
	pid_t child;
	long n;

	/* the buffers protected, no log: vhost's writes go past the mirror */
	bfd = mirror_add(self->vm->fd, bufs, BUFS_LEN, &bid);
	ASSERT_LE(0, bfd);
	frames(_metadata, self, FRAMES);
	n = differ(self, bfd, bufs, BUFS_LEN);
	EXPECT_LT(0, n) TH_LOG("vhost's writes reached the mirror without a log");
	close(bfd);

	/* vhost logs, Keel takes the log: buffers and rings stay equal */
	ASSERT_EQ(0, vnet_log_start(&self->net, self->log));
	bfd = mirror_add(self->vm->fd, bufs, BUFS_LEN, &bid);
	rfd = mirror_add(self->vm->fd, rings, RINGS_LEN, &rid);
	ASSERT_LE(0, bfd);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(0, write_text(SCRUB_MS, "0"));
	EXPECT_EQ(0, mirror_log(bfd, KEEL_MIRROR_LOG_SET,
				(uintptr_t)self->log, NULL));
	EXPECT_EQ(0, mirror_log(rfd, KEEL_MIRROR_LOG_SET | KEEL_MIRROR_LOG_SYNC,
				(uintptr_t)self->log, &pages));
	EXPECT_EQ(1, keel_test_obj_info("mirror", bid, "log"));
	frames(_metadata, self, FRAMES);
	EXPECT_EQ(0, mirror_log(bfd, KEEL_MIRROR_LOG_SYNC, 0, &pages));
	/* 100 frames of 1000 bytes in 2 KiB buffers: 50 pages at least */
	EXPECT_LE(FRAMES / 2, pages);
	EXPECT_EQ(0, differ(self, bfd, bufs, BUFS_LEN));
	EXPECT_EQ(0, mirror_log(rfd, KEEL_MIRROR_LOG_SYNC, 0, &pages));
	EXPECT_LE(1, pages);	/* the used ring, at least */
	EXPECT_EQ(0, differ(self, rfd, rings, RINGS_LEN));
	TH_LOG("%lld buffer pages and %lld ring pages logged by vhost, copied",
	       keel_test_obj_info("mirror", bid, "log_pages"),
	       keel_test_obj_info("mirror", rid, "log_pages"));

	/* and on its own, every scrub_ms */
	ASSERT_EQ(0, write_text(SCRUB_MS, "100"));
	frames(_metadata, self, FRAMES);
	usleep(1500 * 1000);
	EXPECT_EQ(0, differ(self, bfd, bufs, BUFS_LEN));
	EXPECT_EQ(0, differ(self, rfd, rings, RINGS_LEN));
	EXPECT_LT(2, keel_test_obj_info("mirror", bid, "log_harvests"));

	/* bad input: refused, the log as it was */
	EXPECT_EQ(-EINVAL, mirror_log(bfd, 0x4, 0, NULL));
	EXPECT_EQ(-EINVAL, mirror_log(bfd, KEEL_MIRROR_LOG_SYNC,
				      (uintptr_t)self->log, NULL));
	EXPECT_EQ(-EINVAL, mirror_log(bfd, KEEL_MIRROR_LOG_SET,
				      (uintptr_t)self->log + 4, NULL));
	EXPECT_EQ(-EFAULT, mirror_log(bfd, KEEL_MIRROR_LOG_SET, 4096, NULL));
	/* a process other than the VMM may sync, not name the log */
	child = fork();
	if (!child)
		_exit(mirror_log(bfd, KEEL_MIRROR_LOG_SET, (uintptr_t)self->log,
				 NULL) != -EPERM ? 1 :
		      mirror_log(bfd, KEEL_MIRROR_LOG_SYNC, 0, NULL) ? 2 : 0);
	ASSERT_LT(0, child);
	ASSERT_EQ(child, waitpid(child, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st))
		TH_LOG("the child's LOG_SET and SYNC: status %#x", st);
	EXPECT_EQ(1, keel_test_obj_info("mirror", bid, "log"));
	EXPECT_EQ(0, mirror_log(bfd, KEEL_MIRROR_LOG_SET, 0, NULL));
	EXPECT_EQ(0, keel_test_obj_info("mirror", bid, "log"));
	EXPECT_EQ(-ENOENT, mirror_log(bfd, KEEL_MIRROR_LOG_SYNC, 0, NULL));
	close(bfd);
	close(rfd);
}

TEST_HARNESS_MAIN

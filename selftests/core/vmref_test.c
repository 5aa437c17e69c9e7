// SPDX-License-Identifier: GPL-2.0
/*
 * VM references through /dev/keel: which fds are accepted and which are
 * rejected, malformed bind requests, a VM whose creator is gone while Keel
 * holds it, and module unload while a reference is held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/kvm.h>
#include <linux/keel.h>

#include "kselftest_harness.h"

static int open_keel(struct __test_metadata *_metadata)
{
	int fd = open("/dev/keel", O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd) TH_LOG("open /dev/keel: %s (is keel.ko loaded?)",
				strerror(errno));
	return fd;
}

static int create_vm(struct __test_metadata *_metadata)
{
	int kvm, vm;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, kvm) TH_LOG("open /dev/kvm: %s", strerror(errno));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, vm) TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	close(kvm);
	return vm;
}

/* Returns 0 or the errno of the bind. */
static int bind_vm(int keel, int vm_fd, __u32 flags, const char *label,
		   __u32 *id)
{
	struct keel_vm_bind arg;

	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.flags = flags;
	arg.vm_fd = vm_fd;
	if (label)
		snprintf(arg.label, sizeof(arg.label), "%s", label);
	if (ioctl(keel, KEEL_IOC_VM_BIND, &arg))
		return errno;
	if (id)
		*id = arg.id;
	return 0;
}

TEST(vm_fd_accepted)
{
	int keel = open_keel(_metadata);
	int vm = create_vm(_metadata);
	__u32 id = 0;

	ASSERT_EQ(0, bind_vm(keel, vm, 0, "accepted", &id));
	EXPECT_NE(0, id);
	/* One binding per file, said before anything of the new VM fd. */
	EXPECT_EQ(EBUSY, bind_vm(keel, vm, 0, "again", NULL));
	EXPECT_EQ(EBUSY, bind_vm(keel, -1, 0, NULL, NULL));
	close(vm);
	close(keel);
}

TEST(regular_file_rejected)
{
	int keel = open_keel(_metadata);
	int fd = open("/proc/self/status", O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EINVAL, bind_vm(keel, fd, 0, NULL, NULL));
	close(fd);
	close(keel);
}

TEST(eventfd_rejected)
{
	int keel = open_keel(_metadata);
	int fd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EINVAL, bind_vm(keel, fd, 0, NULL, NULL));
	close(fd);
	close(keel);
}

TEST(kvm_dev_fd_rejected)
{
	int keel = open_keel(_metadata);
	int fd = open("/dev/kvm", O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EINVAL, bind_vm(keel, fd, 0, NULL, NULL));
	close(fd);
	close(keel);
}

TEST(closed_fd_rejected)
{
	int keel = open_keel(_metadata);
	int vm = create_vm(_metadata);

	close(vm);
	EXPECT_EQ(EBADF, bind_vm(keel, vm, 0, NULL, NULL));
	EXPECT_EQ(EBADF, bind_vm(keel, -1, 0, NULL, NULL));
	EXPECT_EQ(EBADF, bind_vm(keel, 1 << 20, 0, NULL, NULL));
	close(keel);
}

TEST(vcpu_fd_rejected)
{
	int keel = open_keel(_metadata);
	int vm = create_vm(_metadata);
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);

	ASSERT_LE(0, vcpu) TH_LOG("KVM_CREATE_VCPU: %s", strerror(errno));
	EXPECT_EQ(EINVAL, bind_vm(keel, vcpu, 0, NULL, NULL));
	/* The failure left the file unbound: the VM itself still binds. */
	EXPECT_EQ(0, bind_vm(keel, vm, 0, NULL, NULL));
	close(vcpu);
	close(vm);
	close(keel);
}

TEST(malformed_bind_rejected)
{
	int keel = open_keel(_metadata);
	int vm = create_vm(_metadata);
	struct keel_vm_bind arg;
	struct {
		struct keel_vm_bind bind;
		__u64 extra;
	} big;

	/* Unknown flag bits. */
	EXPECT_EQ(EINVAL, bind_vm(keel, vm, 1u << 31, NULL, NULL));
	EXPECT_EQ(EINVAL, bind_vm(keel, vm, 1, NULL, NULL));

	/* Size smaller than the first version. */
	memset(&arg, 0, sizeof(arg));
	arg.size = 8;
	arg.vm_fd = vm;
	EXPECT_EQ(-1, ioctl(keel, KEEL_IOC_VM_BIND, &arg));
	EXPECT_EQ(EINVAL, errno);

	/* Size larger than the ioctl number says. */
	arg.size = sizeof(arg) + 8;
	EXPECT_EQ(-1, ioctl(keel, KEEL_IOC_VM_BIND, &arg));
	EXPECT_EQ(EINVAL, errno);

	/* A newer, larger struct with non-zero unknown fields: E2BIG. */
	memset(&big, 0, sizeof(big));
	big.bind.size = sizeof(big);
	big.bind.vm_fd = vm;
	big.extra = 1;
	EXPECT_EQ(-1, ioctl(keel, _IOWR(KEEL_IOC_MAGIC, 0x00, big), &big));
	EXPECT_EQ(E2BIG, errno);

	/* Label not NUL-terminated. */
	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.vm_fd = vm;
	memset(arg.label, 'x', sizeof(arg.label));
	EXPECT_EQ(-1, ioctl(keel, KEEL_IOC_VM_BIND, &arg));
	EXPECT_EQ(EINVAL, errno);

	/* Label with a control character. */
	EXPECT_EQ(EINVAL, bind_vm(keel, vm, 0, "bad\nlabel", NULL));

	/* Bad pointer. */
	EXPECT_EQ(-1, ioctl(keel, KEEL_IOC_VM_BIND, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	/* Unknown ioctl. */
	EXPECT_EQ(-1, ioctl(keel, _IO(KEEL_IOC_MAGIC, 0x0f)));
	EXPECT_EQ(ENOTTY, errno);

	/* A larger struct whose extra bytes are zero is accepted. */
	big.extra = 0;
	EXPECT_EQ(0, ioctl(keel, _IOWR(KEEL_IOC_MAGIC, 0x00, big), &big));
	EXPECT_NE(0, big.bind.id);

	close(vm);
	close(keel);
}

static void send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 'k';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1)
		exit(1);
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/*
 * The VMM creates a VM with memory and a vCPU that has run, binds it, hands
 * the binding to us and exits: its fds and its mm are gone while Keel still
 * holds the VM. Releasing the binding then destroys the VM from another
 * process. The harness fails the run on any kernel report this causes.
 */
TEST(vm_destroyed_while_referenced)
{
	int sv[2], status, keel;
	pid_t child;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		struct kvm_userspace_memory_region region = { 0 };
		int kfd, vm, vcpu, runsz;
		struct kvm_regs regs = { 0 };
		struct kvm_sregs sregs;
		struct kvm_run *run;
		void *mem;

		close(sv[0]);
		kfd = open("/dev/keel", O_RDWR);
		vm = ioctl(open("/dev/kvm", O_RDWR), KVM_CREATE_VM, 0);
		if (kfd < 0 || vm < 0)
			exit(2);
		mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			exit(3);
		/* Real mode: "hlt" at 0x1000. */
		((unsigned char *)mem)[0x1000] = 0xf4;
		region.memory_size = 0x10000;
		region.userspace_addr = (unsigned long)mem;
		if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
			exit(4);
		vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
		runsz = ioctl(open("/dev/kvm", O_RDWR), KVM_GET_VCPU_MMAP_SIZE, 0);
		if (vcpu < 0 || runsz <= 0)
			exit(5);
		run = mmap(NULL, runsz, PROT_READ | PROT_WRITE, MAP_SHARED,
			   vcpu, 0);
		if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs))
			exit(6);
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		regs.rip = 0x1000;
		regs.rflags = 2;
		if (ioctl(vcpu, KVM_SET_SREGS, &sregs) ||
		    ioctl(vcpu, KVM_SET_REGS, &regs) ||
		    ioctl(vcpu, KVM_RUN, 0) || run->exit_reason != KVM_EXIT_HLT)
			exit(7);
		if (bind_vm(kfd, vm, 0, "orphan", NULL))
			exit(8);
		send_fd(sv[1], kfd);
		exit(0);
	}
	close(sv[1]);
	keel = recv_fd(sv[0]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("child setup step %d failed",
						 WEXITSTATUS(status));
	ASSERT_LE(0, keel);

	/* The VM outlives its creator; a new bind on this file is refused. */
	EXPECT_EQ(EBUSY, bind_vm(keel, keel, 0, NULL, NULL));

	/* Dropping the last reference destroys the VM here. */
	EXPECT_EQ(0, close(keel));
	close(sv[0]);
}

static int module_refcnt(const char *name)
{
	char path[128];
	FILE *f;
	int n = -1;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/*
 * While a binding is open keel.ko is pinned: unloading it is refused and
 * the module and the binding stay intact.
 */
TEST(unload_refused_while_referenced)
{
	int keel = open_keel(_metadata);
	int vm = create_vm(_metadata);
	int before;

	ASSERT_EQ(0, bind_vm(keel, vm, 0, "pinned", NULL));
	close(vm);
	before = module_refcnt("keel");
	ASSERT_LT(0, before);

	EXPECT_EQ(-1, syscall(SYS_delete_module, "keel", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_EQ(0, access("/sys/module/keel", F_OK));
	EXPECT_EQ(before, module_refcnt("keel"));

	close(keel);
	/* The file reference is gone again. */
	EXPECT_EQ(before - 1, module_refcnt("keel"));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * State commands under load: stop, save, load, swap and resume in a loop
 * while a vCPU hammers the device (every access is handled once, in the
 * kernel or, while stopped, by the VMM), and operator commands over
 * netlink (keelctl state ...) racing with devices being released and
 * created. A debug kernel checks the locking and lifetimes underneath.
 */
#include "state_test.h"

#include <pthread.h>
#include <sys/wait.h>

#ifndef KEELCTL_PATH
#define KEELCTL_PATH	"/keel/bin/keelctl"
#endif

#define ROUNDS		200
#define HAMMER		20000
#define NL_COMMANDS	90	/* each one a keelctl process */

static inline uint8_t uart_in(uint8_t reg)
{
	return inb(COM1 + reg);
}

static inline void uart_out(uint8_t reg, uint8_t val)
{
	outb(COM1 + reg, val);
}

/* Write and read back the scratch register; count what the VMM saw. */
static void guest_hammer(uint64_t n)
{
	uint64_t i, kernel = 0, vmm = 0;
	uint8_t v;

	for (i = 0; i < n; i++) {
		uart_out(UART_SCR, i & 0x7f);
		v = uart_in(UART_SCR);
		if (v == 0xee)
			vmm++;
		else
			kernel++;
	}
	GUEST_SYNC(kernel);
	/* The host resumed the device for good: it is the kernel's again. */
	uart_out(UART_SCR, 0x42);
	GUEST_ASSERT_EQ(uart_in(UART_SCR), 0x42);
	GUEST_DONE();
}

static bool vmm_uart(struct keel_vcpu *vcpu, uint16_t port, bool write,
		     void *data, unsigned int size, void *opaque)
{
	(void)vcpu, (void)port, (void)opaque;
	if (!write)
		memset(data, 0xee, size);
	return true;
}

struct runner {
	struct keel_vcpu *vcpu;
	struct ucall uc;
	uint64_t cmd;
};

static void *run_vcpu(void *arg)
{
	struct runner *r = arg;

	r->cmd = guest_run(r->vcpu, &r->uc);
	return NULL;
}

FIXTURE(race) {
	int unused;
};

FIXTURE_SETUP(race)
{
}

FIXTURE_TEARDOWN(race)
{
}

TEST_F_TIMEOUT(race, commands_while_vcpu_hammers, 300)
{
	struct blob saved = {}, old = {};
	struct keel_state_info info;
	struct runner r = {};
	struct keel_vm *vm;
	pthread_t thread;
	uint64_t vmm_in;
	int fd, i;

	VDEV_OPEN_OR_SKIP(fd);
	close(fd);
	VM_CREATE_OR_SKIP(vm, 0, 0);
	r.vcpu = vm_vcpu_add(vm, guest_hammer);
	ASSERT_NE(NULL, r.vcpu);
	ASSERT_EQ(0, vcpu_args_set(r.vcpu, (uint64_t)HAMMER));
	ASSERT_EQ(0, vm_pio_handler_add(vm, COM1, UART_LEN, vmm_uart, NULL));
	fd = state_uart_setup(vm->fd, -1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, state_simple(fd, KEEL_STATE_IOC_RESUME));

	ASSERT_EQ(0, pthread_create(&thread, NULL, run_vcpu, &r));
	for (i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(0, state_simple(fd, KEEL_STATE_IOC_STOP));
		ASSERT_EQ(0, state_save(fd, &saved));
		ASSERT_EQ(0, state_load(fd, saved.buf, saved.len));
		ASSERT_EQ(0, state_swap(fd, &saved, &old));
		/* Stopped, nothing changes it: SWAP hands out what it got. */
		EXPECT_TRUE(blob_eq(&saved, &old));
		blob_free(&saved);
		blob_free(&old);
		ASSERT_EQ(0, state_simple(fd, KEEL_STATE_IOC_RESUME));
		/* Let the vCPU meet the running device too. */
		usleep(500 + (i % 4) * 500);
	}
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(UCALL_SYNC, r.cmd) TH_LOG("%s", ucall_str(r.vcpu, &r.uc));

	/* Each read went to the kernel or, while stopped, to the VMM. */
	vmm_in = vcpu_exit_count_range(r.vcpu, KEEL_EXIT_IO_IN, COM1, UART_LEN);
	EXPECT_EQ(HAMMER, r.uc.args[0] + vmm_in);
	TH_LOG("%llu reads in the kernel, %llu at the VMM",
	       (unsigned long long)r.uc.args[0], (unsigned long long)vmm_in);

	ASSERT_EQ(UCALL_DONE, guest_run(r.vcpu, &r.uc))
		TH_LOG("%s", ucall_str(r.vcpu, &r.uc));
	ASSERT_EQ(0, state_info(fd, &info));
	EXPECT_EQ(2 * ROUNDS, info.saves);
	EXPECT_EQ(2 * ROUNDS, info.loads);
	EXPECT_EQ(0, info.rejects);
	close(fd);
	vm_free(vm);
}

/* keelctl's exit status for one command, or -1 if it did not exit. */
static int keelctl(const char *sub, unsigned int id, const char *file)
{
	const char *path = getenv("KEELCTL") ?: KEELCTL_PATH;
	char ids[16];
	int status;
	pid_t pid;

	snprintf(ids, sizeof(ids), "%u", id);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(path, "keelctl", "state", sub, ids, file, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F_TIMEOUT(race, netlink_commands_race_release, 300)
{
	static const char *const subs[] = { "stop", "save", "resume" };
	volatile unsigned int *newest;
	int fds[4] = { -1, -1, -1, -1 };
	struct keel_vdev_setup s;
	struct keel_vm *vm;
	int fd, i, status, ok_pipe[2];
	unsigned int ok = 0;
	pid_t child;

	VDEV_OPEN_OR_SKIP(fd);
	close(fd);
	if (access(getenv("KEELCTL") ?: KEELCTL_PATH, X_OK))
		SKIP(return, "no keelctl at %s", KEELCTL_PATH);
	VM_CREATE_OR_SKIP(vm, 0, 0);
	/* The id of the newest device, shared with the commanding child. */
	newest = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, newest);
	*newest = 0;

	ASSERT_EQ(0, pipe(ok_pipe));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		/* Command the newest devices; only 0 or 1 are acceptable. */
		unsigned int id, n, good = 0;
		int rc;

		close(ok_pipe[0]);
		for (n = 0; n < NL_COMMANDS; n++) {
			while (!(id = *newest))
				usleep(1000);
			id -= n % 4;
			rc = keelctl(subs[n % 3], id, n % 3 == 1 ? "/dev/null" : NULL);
			if (rc != 0 && rc != 1)
				_exit(10 + (rc < 0 ? 0 : rc));
			good += !rc;
		}
		if (write(ok_pipe[1], &good, sizeof(good)) != sizeof(good))
			_exit(9);
		_exit(0);
	}
	close(ok_pipe[1]);

	/* Meanwhile devices come and go: four alive, the oldest released. */
	for (i = 0; waitpid(child, &status, WNOHANG) == 0; i++) {
		ASSERT_GT(10000, i) TH_LOG("the commanding child is stuck");
		if (fds[i % 4] >= 0)
			close(fds[i % 4]);
		fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		vdev_setup_init(&s, vm->fd, COM1 + 8 * (i % 4));
		ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
		ASSERT_EQ(0, state_simple(fd, KEEL_STATE_IOC_RESUME));
		fds[i % 4] = fd;
		*newest = s.id;
		usleep(20000 + (i % 7) * 5000);
	}
	for (i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ((ssize_t)sizeof(ok), read(ok_pipe[0], &ok, sizeof(ok)));
	close(ok_pipe[0]);
	TH_LOG("%u of %d commands found their device", ok, NL_COMMANDS);
	vm_free(vm);
}

TEST_HARNESS_MAIN

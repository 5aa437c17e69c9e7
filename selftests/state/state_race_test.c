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
#include <signal.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#ifndef KEELCTL_PATH
#define KEELCTL_PATH	"/keel/bin/keelctl"
#endif

#define ROUNDS		60
#define HAMMER		6000
#define NL_ROUNDS	20	/* three keelctl processes each */

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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
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
	uint64_t vmm_in, t0 = now_ns();
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
		if (i % 10 == 9)
			TH_LOG("round %d at %llu ms", i + 1,
			       (unsigned long long)((now_ns() - t0) / 1000000));
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

/*
 * Each round a device is created and its id handed to a child that runs
 * "keelctl state stop|save|resume ID"; the device is closed at a point
 * spread over the time those commands take, so the release lands before,
 * during and after them.
 */
TEST_F_TIMEOUT(race, netlink_commands_race_release, 300)
{
	static const char *const subs[] = { "stop", "save", "resume" };
	int fd, i, status, to_child[2], from_child[2];
	unsigned int found = 0, round_ok;
	uint64_t t0, cmd_ns;
	struct keel_vm *vm;
	pid_t child;

	VDEV_OPEN_OR_SKIP(fd);
	close(fd);
	if (access(getenv("KEELCTL") ?: KEELCTL_PATH, X_OK))
		SKIP(return, "no keelctl at %s", KEELCTL_PATH);
	VM_CREATE_OR_SKIP(vm, 0, 0);

	/* How long one keelctl command takes here: on no object, 5. */
	t0 = now_ns();
	ASSERT_EQ(5, keelctl("stop", 0x7fffffff, NULL));
	cmd_ns = now_ns() - t0;

	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(from_child));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		unsigned int id, good;
		int n, rc;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(to_child[1]);
		close(from_child[0]);
		while (read(to_child[0], &id, sizeof(id)) == sizeof(id)) {
			good = 0;
			for (n = 0; n < 3; n++) {
				rc = keelctl(subs[n], id,
					     n == 1 ? "/dev/null" : NULL);
				/* Refused (1), or the device gone (5). */
				if (rc != 0 && rc != 1 && rc != 5)
					_exit(10 + (rc < 0 ? 0 : rc));
				good += !rc;
			}
			if (write(from_child[1], &good, sizeof(good)) !=
			    sizeof(good))
				_exit(9);
		}
		_exit(0);
	}
	close(to_child[0]);
	close(from_child[1]);

	for (i = 0; i < NL_ROUNDS; i++) {
		struct keel_vdev_setup s;

		fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		vdev_setup_init(&s, vm->fd, COM1);
		ASSERT_EQ(0, vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s));
		ASSERT_EQ(0, state_simple(fd, KEEL_STATE_IOC_RESUME));
		ASSERT_EQ((ssize_t)sizeof(s.id),
			  write(to_child[1], &s.id, sizeof(s.id)));
		/* Release somewhere in the three commands' time. */
		usleep((3 * cmd_ns / 1000) * (i % 10) / 10);
		close(fd);
		ASSERT_EQ((ssize_t)sizeof(round_ok),
			  read(from_child[0], &round_ok, sizeof(round_ok)));
		found += round_ok;
	}
	close(to_child[1]);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(from_child[0]);
	TH_LOG("%u of %d commands found their device (one takes %llu ms)",
	       found, 3 * NL_ROUNDS, (unsigned long long)(cmd_ns / 1000000));
	vm_free(vm);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * keel_coalesce refuses what it cannot moderate, with a clear error and
 * nothing changed: a file that is not an eventfd, an eventfd no irqfd of
 * the VM waits on (or another VM's), intervals of zero or beyond a
 * second, a latency interval longer than the overflow one, too many
 * frames, unknown flags, a vCPU that does not exist, a queue already
 * moderated; over netlink, parameters out of range leave the object as
 * it was. The probe tells what an eventfd is to a VM.
 */
#include "coalesce_test.h"

#include "keel_vm.h"
#include "keel_irq.h"

#define GSI_A	20
#define GSI_B	21

/* A vCPU that never runs: vCPU index 0 exists, 1 does not. */
static void guest_idle(void)
{
	for (;;)
		;
}

static int setup_err(const struct keel_coalesce_setup *s)
{
	int fd = open(KEEL_COALESCE_DEVICE, O_RDWR | O_CLOEXEC), ret;
	struct keel_coalesce_setup copy = *s;

	if (fd < 0)
		return -errno;
	ret = coal_ioctl(fd, KEEL_COALESCE_IOC_SETUP, &copy);
	close(fd);
	return ret;
}

/* Objects of type coalesce, from "keelctl -j coalesce list". */
static int count_objects(void)
{
	char out[16384];
	struct json_object *j;
	int n = -1;

	if (keel_test_keelctl((const char *[]){ "-j", "coalesce", "list", NULL },
			      NULL, out, sizeof(out), false))
		return -1;
	j = json_tokener_parse(out);
	if (j && json_object_is_type(j, json_type_array))
		n = json_object_array_length(j);
	json_object_put(j);
	return n;
}

FIXTURE(bad) {
	struct keel_vm *vm, *other;
	struct keel_irqfd *a, *b, *foreign;
	struct keel_coalesce_setup good;
};

FIXTURE_SETUP(bad)
{
	int fd;

	COAL_OPEN_OR_SKIP(fd);
	close(fd);
	self->vm = vm_create(0, KEEL_VM_IRQCHIP);
	self->other = vm_create(0, KEEL_VM_IRQCHIP);
	if (!self->vm || !self->other)
		SKIP(return, "no KVM VM with an in-kernel irqchip");
	ASSERT_NE(NULL, vm_vcpu_add(self->vm, guest_idle));
	self->a = vm_irqfd_add(self->vm, GSI_A, false);
	self->b = vm_irqfd_add(self->vm, GSI_B, false);
	self->foreign = vm_irqfd_add(self->other, GSI_A, false);
	ASSERT_NE(NULL, self->a);
	ASSERT_NE(NULL, self->b);
	ASSERT_NE(NULL, self->foreign);
	coal_setup_init(&self->good, self->vm->fd, self->a->fd, 50, 1000,
			"good");
	ASSERT_EQ(0, count_objects());
}

FIXTURE_TEARDOWN(bad)
{
	if (self->vm)
		vm_free(self->vm);
	if (self->other)
		vm_free(self->other);
}

TEST_F(bad, setup_refusals_change_nothing)
{
	struct keel_coalesce_setup s;
	int pipefd[2], plain;

	ASSERT_EQ(0, pipe(pipefd));
	plain = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, plain);

	s = self->good;
	s.irq_fd = pipefd[0];
	EXPECT_EQ(-EINVAL, setup_err(&s));	/* not an eventfd */
	s.irq_fd = 1000;
	EXPECT_EQ(-EBADF, setup_err(&s));
	s.irq_fd = plain;
	EXPECT_EQ(-ENOENT, setup_err(&s));	/* no irqfd of the VM */
	s.irq_fd = self->foreign->fd;
	EXPECT_EQ(-ENOENT, setup_err(&s));	/* another VM's */
	s = self->good;
	s.call_fd = pipefd[1];
	EXPECT_EQ(-EINVAL, setup_err(&s));
	s.call_fd = -2;
	EXPECT_EQ(-EINVAL, setup_err(&s));

	s = self->good;
	s.params.overflow_usecs = 0;
	EXPECT_EQ(-EINVAL, setup_err(&s));
	s.params.overflow_usecs = KEEL_COALESCE_MAX_USECS + 1;
	EXPECT_EQ(-EINVAL, setup_err(&s));
	s = self->good;
	s.params.rx_usecs = s.params.overflow_usecs + 1;
	EXPECT_EQ(-EINVAL, setup_err(&s));
	s = self->good;
	s.params.rx_frames = KEEL_COALESCE_MAX_FRAMES + 1;
	EXPECT_EQ(-EINVAL, setup_err(&s));
	s = self->good;
	s.params.flags = 0x80;
	EXPECT_EQ(-EINVAL, setup_err(&s));
	s = self->good;
	s.flags = 0x1;
	EXPECT_EQ(-EINVAL, setup_err(&s));
	s = self->good;
	s.pad = 1;
	EXPECT_EQ(-EINVAL, setup_err(&s));
	s = self->good;
	s.vcpu = 1;			/* the VM has vCPU 0 only */
	EXPECT_EQ(-EINVAL, setup_err(&s));
	s.vcpu = -2;
	EXPECT_EQ(-EINVAL, setup_err(&s));
	s = self->good;
	s.vm_fd = plain;
	EXPECT_NE(0, setup_err(&s));
	EXPECT_EQ(0, count_objects());

	/* and the good one still sets up after all that */
	EXPECT_EQ(0, setup_err(&self->good));
	close(plain);
	close(pipefd[0]);
	close(pipefd[1]);
}

TEST_F(bad, a_queue_is_moderated_once)
{
	struct keel_coalesce_setup s = self->good;
	int fd;

	fd = open(KEEL_COALESCE_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, coal_ioctl(fd, KEEL_COALESCE_IOC_SETUP, &s));
	/* once per file */
	EXPECT_EQ(-EBUSY, coal_ioctl(fd, KEEL_COALESCE_IOC_SETUP, &s));
	EXPECT_EQ(-EBUSY, setup_err(&self->good));
	/* its irqfd as another's call eventfd */
	s = self->good;
	s.irq_fd = self->b->fd;
	s.call_fd = self->a->fd;
	EXPECT_EQ(-EBUSY, setup_err(&s));
	EXPECT_EQ(1, count_objects());
	/* B alone is free */
	s.call_fd = -1;
	EXPECT_EQ(0, setup_err(&s));
	close(fd);
	EXPECT_EQ(0, count_objects());
}

TEST_F(bad, netlink_refusals_change_nothing)
{
	struct keel_coalesce_setup s = self->good;
	char out[4096];
	int fd;

	fd = open(KEEL_COALESCE_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, coal_ioctl(fd, KEEL_COALESCE_IOC_SETUP, &s));
	/* longer than the overflow interval: refused (1), the reason alone */
	EXPECT_EQ(1, coal_set(s.id, "rx-usecs", "5000", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "overflow")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "Invalid argument")) TH_LOG("%s", out);
	EXPECT_EQ(50, coal_info(s.id, "rx_usecs"));
	/* zero overflow: the kernel's policy refuses it */
	EXPECT_EQ(1, coal_set(s.id, "overflow-usecs", "0", out, sizeof(out)));
	EXPECT_EQ(1000, coal_info(s.id, "overflow_usecs"));
	/* and a good change is applied */
	EXPECT_EQ(0, coal_set(s.id, "overflow-usecs", "3000", out,
			      sizeof(out))) TH_LOG("%s", out);
	EXPECT_EQ(3000, coal_info(s.id, "overflow_usecs"));
	close(fd);
}

TEST_F(bad, probe_tells_an_irqfd)
{
	struct keel_coalesce_probe p = { .size = sizeof(p) };
	struct keel_coalesce_setup s = self->good;
	int fd, obj, plain;

	fd = open(KEEL_COALESCE_DEVICE, O_RDWR | O_CLOEXEC);
	obj = open(KEEL_COALESCE_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, obj);
	plain = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, plain);

	p.vm_fd = self->vm->fd;
	p.fd = self->b->fd;
	ASSERT_EQ(0, coal_ioctl(fd, KEEL_COALESCE_IOC_PROBE, &p));
	EXPECT_EQ(GSI_B, p.gsi);
	EXPECT_EQ(KEEL_COALESCE_ROUTE_IRQCHIP, p.route);
	EXPECT_EQ(0, p.moderated);
	p.fd = plain;
	EXPECT_EQ(-ENOENT, coal_ioctl(fd, KEEL_COALESCE_IOC_PROBE, &p));
	p.fd = self->foreign->fd;
	EXPECT_EQ(-ENOENT, coal_ioctl(fd, KEEL_COALESCE_IOC_PROBE, &p));

	ASSERT_EQ(0, coal_ioctl(obj, KEEL_COALESCE_IOC_SETUP, &s));
	p.fd = self->a->fd;
	ASSERT_EQ(0, coal_ioctl(fd, KEEL_COALESCE_IOC_PROBE, &p));
	EXPECT_EQ(GSI_A, p.gsi);
	EXPECT_EQ(s.id, p.moderated);
	/* on a set-up file too */
	ASSERT_EQ(0, coal_ioctl(obj, KEEL_COALESCE_IOC_PROBE, &p));
	close(plain);
	close(obj);
	close(fd);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Port I/O from a long-mode guest reaches the VMM's handler with the right
 * port, size, direction and value, and "in" returns the VMM's value.
 */
#include "lib_test.h"

#define PORT_BASE	0x500
#define PORT_COUNT	8
#define PORT_B		(PORT_BASE + 0)
#define PORT_W		(PORT_BASE + 2)
#define PORT_L		(PORT_BASE + 4)
#define PORT_UNCLAIMED	0x600

struct access {
	uint16_t port;
	bool write;
	unsigned int size;
	uint32_t value;
};

/* The VMM's side: logs every access, answers reads from a script. */
struct pio_dev {
	struct access log[64];
	unsigned int nr;
	uint32_t replies[8];
	unsigned int nr_replies, next_reply;
};

static bool pio_dev_handle(struct keel_vcpu *vcpu, uint16_t port, bool write,
			   void *data, unsigned int size, void *opaque)
{
	struct pio_dev *dev = opaque;
	struct access *a;

	(void)vcpu;
	if (dev->nr == sizeof(dev->log) / sizeof(dev->log[0]))
		return false;
	a = &dev->log[dev->nr++];
	a->port = port;
	a->write = write;
	a->size = size;
	a->value = 0;
	if (write) {
		memcpy(&a->value, data, size);
	} else {
		if (dev->next_reply == dev->nr_replies)
			return false;
		a->value = dev->replies[dev->next_reply++];
		memcpy(data, &a->value, size);
	}
	return true;
}

FIXTURE(port_io) {
	struct keel_vm *vm;
	struct keel_vcpu *vcpu;
	struct pio_dev dev;
	struct ucall uc;
};

FIXTURE_SETUP(port_io)
{
	memset(&self->dev, 0, sizeof(self->dev));
	VM_CREATE_OR_SKIP(self->vm, 0, 0);
	ASSERT_EQ(0, vm_pio_handler_add(self->vm, PORT_BASE, PORT_COUNT,
					pio_dev_handle, &self->dev));
}

FIXTURE_TEARDOWN(port_io)
{
	vm_free(self->vm);
}

static void guest_out(void)
{
	outb(PORT_B, 0x5a);
	outw(PORT_W, 0xbeef);
	outl(PORT_L, 0xdeadbeef);
	outb(PORT_L + 3, 0x01);
	GUEST_DONE();
}

TEST_F(port_io, out_reaches_vmm)
{
	const struct access want[] = {
		{ PORT_B, true, 1, 0x5a },
		{ PORT_W, true, 2, 0xbeef },
		{ PORT_L, true, 4, 0xdeadbeef },
		{ PORT_L + 3, true, 1, 0x01 },
	};
	unsigned int i;

	self->vcpu = vm_vcpu_add(self->vm, guest_out);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);

	ASSERT_EQ(4, self->dev.nr);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(want[i].port, self->dev.log[i].port);
		EXPECT_EQ(want[i].write, self->dev.log[i].write);
		EXPECT_EQ(want[i].size, self->dev.log[i].size);
		EXPECT_EQ(want[i].value, self->dev.log[i].value);
	}
}

static void guest_in(void)
{
	uint8_t b = inb(PORT_B);
	uint16_t w = inw(PORT_W);
	uint32_t l = inl(PORT_L);

	/* The host checks the values; the guest checks the widths. */
	GUEST_SYNC(b, w, l);
	GUEST_ASSERT_EQ(inb(PORT_B + 1), 0x77);
	GUEST_DONE();
}

TEST_F(port_io, in_returns_vmm_value)
{
	const uint32_t replies[] = { 0xc3, 0x1234, 0x89abcdef, 0x77 };

	memcpy(self->dev.replies, replies, sizeof(replies));
	self->dev.nr_replies = 4;
	self->vcpu = vm_vcpu_add(self->vm, guest_in);
	ASSERT_NE(NULL, self->vcpu);

	ASSERT_UCALL(self->vcpu, self->uc, UCALL_SYNC);
	EXPECT_EQ(0xc3, self->uc.args[0]);
	EXPECT_EQ(0x1234, self->uc.args[1]);
	EXPECT_EQ(0x89abcdef, self->uc.args[2]);
	ASSERT_EQ(3, self->dev.nr);
	EXPECT_EQ(1, self->dev.log[0].size);
	EXPECT_EQ(2, self->dev.log[1].size);
	EXPECT_EQ(4, self->dev.log[2].size);
	EXPECT_FALSE(self->dev.log[0].write);
	EXPECT_EQ(PORT_L, self->dev.log[2].port);

	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
	ASSERT_EQ(4, self->dev.nr);
	EXPECT_EQ(PORT_B + 1, self->dev.log[3].port);
}

static uint8_t string_out[16] = "keel string I/O";
static uint8_t string_in[8];

static void guest_string_io(void)
{
	outsb(PORT_B, string_out, sizeof(string_out));
	insb(PORT_B, string_in, sizeof(string_in));
	GUEST_DONE();
}

TEST_F(port_io, string_io_reaches_vmm)
{
	uint8_t *in;
	unsigned int i;

	for (i = 0; i < 8; i++)
		self->dev.replies[i] = 0xa0 + i;
	self->dev.nr_replies = 8;
	self->vcpu = vm_vcpu_add(self->vm, guest_string_io);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);

	ASSERT_EQ(24, self->dev.nr);
	for (i = 0; i < 16; i++) {
		EXPECT_TRUE(self->dev.log[i].write);
		EXPECT_EQ(string_out[i], self->dev.log[i].value);
	}
	in = vm_guest_ptr(self->vm, &string_in[0]);
	ASSERT_NE(NULL, in);
	for (i = 0; i < 8; i++)
		EXPECT_EQ(0xa0 + i, in[i]);
	/*
	 * KVM may batch string I/O (one exit with count > 1) or not; either
	 * way every element reached the handler exactly once, in order.
	 */
	EXPECT_LE(1, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_OUT, PORT_B));
	EXPECT_GE(16, vcpu_exit_count(self->vcpu, KEEL_EXIT_IO_OUT, PORT_B));
}

static void guest_unclaimed(void)
{
	outw(PORT_UNCLAIMED, 0x4321);
	GUEST_DONE();
}

TEST_F(port_io, unclaimed_port_stops_the_run)
{
	self->vcpu = vm_vcpu_add(self->vm, guest_unclaimed);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_EXIT);
	EXPECT_EQ(KVM_EXIT_IO, self->uc.args[0]);
	EXPECT_EQ(PORT_UNCLAIMED, self->uc.args[1]);
	EXPECT_EQ(KVM_EXIT_IO_OUT, self->vcpu->run->io.direction);
	EXPECT_EQ(2, self->vcpu->run->io.size);
	EXPECT_EQ(0, self->dev.nr);
	/* Resuming completes the access; the guest then finishes. */
	ASSERT_UCALL(self->vcpu, self->uc, UCALL_DONE);
}

TEST_HARNESS_MAIN

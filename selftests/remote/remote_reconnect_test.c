// SPDX-License-Identifier: GPL-2.0
/*
 * keel_remote.ko across a lost connection to a real keel-iod (in its
 * own network namespace, TCP over a veth pair; remote_conn.h).
 *
 * cut_and_resume: the guest has writes in flight (keel-iod is stopped
 * with SIGSTOP so none is answered) when the test shuts the module's
 * TCP connection down (shutdown(2) on the test's own descriptor of the
 * same socket). The device file polls readable; keel-iod goes on and
 * may still apply what reached it on the dead connection; the test
 * makes a new connection, HELLO, AUTH and RESUME of the same session,
 * and hands it over with KEEL_REMOTE_IOC_CONNECT. The guest sees only a
 * delay: every request completes OK; it then overwrites the same ranges
 * and reads everything back; keel-iod's backing file holds exactly the
 * guest's writes, so no write was lost and no late copy of a replayed
 * one was applied after the overwrite.
 *
 * server_restart_new_session: keel-iod killed (SIGKILL) with the
 * guest's writes in flight, and started again, knows no session
 * (RESUME: ENOENT). A new OPEN of the same device by name gives a new
 * session, which KEEL_REMOTE_IOC_CONNECT takes with
 * KEEL_REMOTE_CONNECT_NEW_SESSION (after refusing one of another
 * capacity, or without the flag): the module numbers the requests
 * without a reply from the new session's first id and sends them again.
 * The guest again sees only a delay, and the backing file holds exactly
 * its writes.
 */
#include <signal.h>
#include <linux/virtio_blk.h>

#include "remote_test.h"
#include "remote_conn.h"
#include "remote_plan.h"

#define DISK		(4ull << 20)
#define NA		16	/* written before the cut */
#define NB		8	/* in flight at the cut */
#define NW		(NA + NB)

FIXTURE(rc) {
	struct keel_vm *vm;
	struct keel_irqfd *irqfd;
	struct keel_vcpu *vcpu;
	struct rc_server srv;
	bool srv_up;
	struct rc_session sess;
	struct keel_remote_setup s;
	int fd;
};

FIXTURE_SETUP(rc)
{
	int ret;

	self->vm = NULL;
	self->srv_up = false;
	self->sess.fd = -1;
	REMOTE_OPEN_OR_SKIP(self->fd);
	VM_CREATE_OR_SKIP(self->vm, 0, KEEL_VM_IRQCHIP);
	self->irqfd = vm_irqfd_add(self->vm, REMOTE_GSI, false);
	ASSERT_NE(NULL, self->irqfd);
	ret = rc_server_init(&self->srv, DISK);
	self->srv_up = true;
	if (ret == -ENOENT)
		SKIP(return, "no keel-iod (KEEL_IOD or beside the test)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, rc_server_start(&self->srv));
	ASSERT_EQ(0, rc_open(&self->srv, DISK, &self->sess));

	remote_setup_init(&self->s, self->vm->fd, self->irqfd->fd,
			  self->sess.fd, self->sess.handle,
			  self->sess.session, self->sess.capacity);
	self->s.window = self->sess.window;
	self->s.max_data = self->sess.max_data < KEEL_REMOTE_MAX_DATA ?
			   self->sess.max_data : KEEL_REMOTE_MAX_DATA;
	self->s.keepalive_ms = self->sess.keepalive_ms;
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_SETUP, &self->s));
	/* the test keeps its descriptor of the socket: to cut it */
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_START, NULL));
	ASSERT_EQ(0, blk_host_layout(self->vm, true));
}

FIXTURE_TEARDOWN(rc)
{
	if (self->fd >= 0)
		close(self->fd);
	rc_session_close(&self->sess);
	if (self->vm)
		vm_free(self->vm);
	if (self->srv_up) {
		if (!_metadata->passed)
			rc_server_dump_log(&self->srv);
		rc_server_free(&self->srv);
	}
}

static void guest_rc(void)
{
	volatile struct blk_guest *g = &blk_guest;
	int ret;

	ret = blk_init();
	GUEST_SYNC(-ret, g->size_max, g->seg_max);
	if (ret)
		return;
	blk_run_ops(0, NA, 0, true);
	GUEST_SYNC(10);
	blk_run_ops(NA, NB, NB, false);		/* no waiting */
	GUEST_SYNC(11, blk_in_flight());
	blk_wait_all();				/* across the reconnect */
	GUEST_SYNC(12);
	blk_run_ops(NW, g->nops - NW, 0, true);
	GUEST_SYNC(13, g->mismatches, g->first_bad_op);
}

/* Run the guest to its first ucall and lay the plan out. */
static void start_guest(struct __test_metadata *_metadata,
			FIXTURE_DATA(rc) *self, struct plan *p)
{
	volatile struct blk_guest *g;
	uint32_t maxlen = BLK_SLOT_DATA, i;
	struct ucall uc;

	self->vcpu = vm_vcpu_add(self->vm, guest_rc);
	ASSERT_NE(NULL, self->vcpu);
	ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(0, uc.args[0]) TH_LOG("blk_init failed at step %lu",
					(unsigned long)uc.args[0]);
	if (uc.args[1] && uc.args[2] && uc.args[1] * uc.args[2] < maxlen)
		maxlen = uc.args[1] * uc.args[2];
	if (self->s.max_data < maxlen)
		maxlen = self->s.max_data;
	plan_make(p, DISK, NW, NB, maxlen & ~511u, 0xc07);
	g = blk_g(self->vm);
	for (i = 0; i < p->nops; i++)
		g->ops[i] = p->ops[i];
	g->nops = p->nops;
	ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(10, uc.args[0]);
}

/*
 * After the new connection: the guest saw a delay, nothing else, and
 * the backing file holds exactly its writes, each once, in order.
 */
static void finish_and_check(struct __test_metadata *_metadata,
			     FIXTURE_DATA(rc) *self, const struct plan *pp)
{
	volatile struct blk_guest *g;
	uint8_t *img, *have;
	struct ucall uc;
	uint32_t i;

	/* the guest saw a delay, nothing else */
	ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(12, uc.args[0]);
	ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(13, uc.args[0]);
	EXPECT_EQ(0, uc.args[1]) TH_LOG("first bad read: op %lu",
					(unsigned long)uc.args[2] - 1);
	g = blk_g(self->vm);
	for (i = 0; i < pp->nops; i++)
		EXPECT_EQ(VIRTIO_BLK_S_OK, g->ops[i].status)
			TH_LOG("op %u (type %u, sector %lu): status %u", i,
			       g->ops[i].type, (unsigned long)g->ops[i].sector,
			       g->ops[i].status);
	EXPECT_EQ(pp->nops, g->completed);
	EXPECT_EQ(0, g->dup_used);
	EXPECT_EQ(0, g->bad_used);
	ASSERT_UCALL(self->vcpu, uc, UCALL_DONE);

	/* exactly the guest's writes, each once, in order */
	img = plan_image(pp, DISK);
	have = plan_read_file(self->srv.disk, DISK);
	ASSERT_NE(NULL, img);
	ASSERT_NE(NULL, have);
	EXPECT_EQ(-1, plan_compare(img, have, DISK));
	free(img);
	free(have);
}

TEST_F_TIMEOUT(rc, cut_and_resume, 600)
{
	struct keel_remote_connect c;
	struct rc_session again;
	struct plan p;
	struct ucall uc;
	long long v, inflight = -1;
	uint32_t i;

	start_guest(_metadata, self, &p);
	EXPECT_FALSE(remote_disconnected_now(self->fd));

	/* writes in flight that keel-iod does not answer */
	ASSERT_EQ(0, rc_server_signal(&self->srv, SIGSTOP));
	ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(11, uc.args[0]);
	ASSERT_EQ(NB, uc.args[1]);
	/*
	 * Until all NB are on the wire (the module sends from its worker):
	 * then each of them must be sent again after the cut.
	 */
	for (i = 0; i < REMOTE_HANG_MS / 50; i++) {
		inflight = remote_info(self->s.id, "in_flight");
		if (inflight < 0 || inflight == NB)
			break;
		usleep(50000);
	}
	if (inflight >= 0)
		ASSERT_EQ(NB, inflight) TH_LOG("requests never sent");

	/* cut: the module's connection ends */
	ASSERT_EQ(0, shutdown(self->sess.fd, SHUT_RDWR));
	ASSERT_EQ(1, remote_wait_disconnected(self->fd, REMOTE_HANG_MS))
		TH_LOG("the device file did not poll readable");
	rc_session_close(&self->sess);
	ASSERT_EQ(0, rc_server_signal(&self->srv, SIGCONT));

	/* the same session on a new connection */
	ASSERT_EQ(0, rc_resume(&self->srv, self->s.session, &again));
	TH_LOG("RESUME: handle %u, last id %lu, %u records", again.handle,
	       (unsigned long)again.last_id, again.nrecords);
	EXPECT_EQ(self->s.session, again.session);
	EXPECT_GE(NA + NB, again.last_id);
	EXPECT_LE(NA, again.last_id);
	/* another session id is refused, and changes nothing */
	remote_connect_init(&c, again.fd, again.handle, self->s.session ^ 1);
	EXPECT_EQ(-EINVAL, remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c));
	EXPECT_TRUE(remote_disconnected_now(self->fd));
	remote_connect_init(&c, again.fd, again.handle, self->s.session);
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c));
	rc_session_close(&again);
	EXPECT_FALSE(remote_disconnected_now(self->fd));

	finish_and_check(_metadata, self, &p);
	v = remote_info(self->s.id, "reconnects");
	if (v < 0) {
		TH_LOG("no info counters from keelctl: counters not checked");
	} else {
		EXPECT_EQ(1, v);
		EXPECT_EQ(1, remote_info(self->s.id, "disconnects"));
		/* the NB without a reply, sent again, no more */
		EXPECT_EQ(NB, remote_info(self->s.id, "replays"));
		EXPECT_EQ(p.nops, remote_info(self->s.id, "requests"));
		EXPECT_EQ(0, remote_info(self->s.id, "errors"));
		EXPECT_EQ(0, remote_info(self->s.id, "in_flight"));
	}
}

TEST_F_TIMEOUT(rc, server_restart_new_session, 600)
{
	struct keel_remote_connect c;
	struct rc_session again;
	struct plan p;
	struct ucall uc;
	long long v;

	start_guest(_metadata, self, &p);
	ASSERT_EQ(0, rc_server_signal(&self->srv, SIGSTOP));
	ASSERT_UCALL(self->vcpu, uc, UCALL_SYNC);
	ASSERT_EQ(11, uc.args[0]);
	ASSERT_EQ(0, rc_server_stop(&self->srv, SIGKILL));
	ASSERT_EQ(1, remote_wait_disconnected(self->fd, REMOTE_HANG_MS));
	rc_session_close(&self->sess);
	ASSERT_EQ(0, rc_server_start(&self->srv));

	EXPECT_EQ(-ENOENT, rc_resume(&self->srv, self->s.session, &again));
	ASSERT_EQ(0, rc_open(&self->srv, DISK, &again));
	ASSERT_NE(self->s.session, again.session);
	/* refused, changing nothing: another session without the flag ... */
	remote_connect_init(&c, again.fd, again.handle, again.session);
	EXPECT_EQ(-EINVAL, remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c));
	/* ... a new session of another capacity, or without a first id */
	c.flags = KEEL_REMOTE_CONNECT_NEW_SESSION;
	c.window = again.window;
	c.next_id = 1;
	c.capacity = again.capacity - 512;
	EXPECT_EQ(-EINVAL, remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c));
	c.capacity = again.capacity;
	c.next_id = 0;
	EXPECT_EQ(-EINVAL, remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c));
	EXPECT_TRUE(remote_disconnected_now(self->fd));
	if (remote_info(self->s.id, "in_flight") >= 0)
		EXPECT_EQ(NB, remote_info(self->s.id, "in_flight"));

	c.next_id = 1;
	ASSERT_EQ(0, remote_ioctl(self->fd, KEEL_REMOTE_IOC_CONNECT, &c));
	rc_session_close(&again);
	EXPECT_FALSE(remote_disconnected_now(self->fd));

	finish_and_check(_metadata, self, &p);
	v = remote_info(self->s.id, "reconnects");
	if (v < 0) {
		TH_LOG("no info counters from keelctl: counters not checked");
	} else {
		EXPECT_EQ(1, v);
		/*
		 * Those of the NB the worker had sent before the kill count as
		 * sent again; the test did not wait for all to be on the wire.
		 */
		EXPECT_GE(NB, remote_info(self->s.id, "replays"));
		EXPECT_EQ(p.nops, remote_info(self->s.id, "requests"));
		EXPECT_EQ(0, remote_info(self->s.id, "errors"));
		EXPECT_EQ(0, remote_info(self->s.id, "in_flight"));
	}
}

TEST_HARNESS_MAIN

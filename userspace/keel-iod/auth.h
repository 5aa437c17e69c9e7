/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shared key and the proofs of the keel_remote handshake, shared by
 * keel-iod and its client library: nonces, HMAC-SHA256 proofs over both
 * HELLO messages, their comparison in constant time (OpenSSL's
 * libcrypto), and the key file with its permission check.
 */
#ifndef IOD_AUTH_H
#define IOD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/keel_remote.h>

#define IOD_KEY_MIN	16	/* bytes: 32 hex digits */
#define IOD_KEY_MAX	64	/* bytes: SHA-256's block */

struct iod_key {
	uint8_t bytes[IOD_KEY_MAX];
	size_t len;
};

/*
 * Read the key from @path: one line of 32 to 128 hex digits. The file
 * must be a regular file, owned by root or by the user reading it, that
 * no group or other user may read or write. 0, or a negative errno with
 * the reason and what to do in @msg.
 */
int key_load(const char *path, struct iod_key *key, char *msg, size_t len);
/* Parse @hex (blanks around it allowed) as a key. */
int key_parse(const char *hex, struct iod_key *key);
void key_clear(struct iod_key *key);

/* Fill @nonce with KEEL_REMOTE_NONCE_LEN random bytes; 0 or -EIO. */
int auth_nonce(uint8_t *nonce);
/*
 * HMAC-SHA256(key, label || hello || reply), the label being
 * KEEL_REMOTE_AUTH_SERVER or KEEL_REMOTE_AUTH_CLIENT. 0 or -EIO.
 */
int auth_proof(const struct iod_key *key, bool server,
	       const void *hello, size_t hello_len,
	       const void *reply, size_t reply_len,
	       uint8_t mac[KEEL_REMOTE_MAC_LEN]);
/* Two proofs are equal, compared in constant time. */
bool auth_equal(const uint8_t *a, const uint8_t *b);

#endif /* IOD_AUTH_H */

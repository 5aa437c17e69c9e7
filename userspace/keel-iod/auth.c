// SPDX-License-Identifier: GPL-2.0
/*
 * The handshake's cryptography (auth.h): random nonces, the two
 * HMAC-SHA256 proofs and their comparison, all from OpenSSL's libcrypto.
 * Each side's label differs, so a proof sent one way never passes for
 * one sent the other way, and both bind the two nonces and everything
 * else the HELLO messages say (versions, features, names).
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "auth.h"

int auth_nonce(uint8_t *nonce)
{
	return RAND_bytes(nonce, KEEL_REMOTE_NONCE_LEN) == 1 ? 0 : -EIO;
}

int auth_proof(const struct iod_key *key, bool server,
	       const void *hello, size_t hello_len,
	       const void *reply, size_t reply_len,
	       uint8_t mac[KEEL_REMOTE_MAC_LEN])
{
	const char *label = server ? KEEL_REMOTE_AUTH_SERVER :
				     KEEL_REMOTE_AUTH_CLIENT;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 digest, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *hmac;
	size_t out = 0;
	int ret = -EIO;

	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (hmac)
		ctx = EVP_MAC_CTX_new(hmac);
	if (ctx && EVP_MAC_init(ctx, key->bytes, key->len, params) &&
	    EVP_MAC_update(ctx, (const unsigned char *)label, strlen(label)) &&
	    EVP_MAC_update(ctx, hello, hello_len) &&
	    EVP_MAC_update(ctx, reply, reply_len) &&
	    EVP_MAC_final(ctx, mac, &out, KEEL_REMOTE_MAC_LEN) &&
	    out == KEEL_REMOTE_MAC_LEN)
		ret = 0;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	return ret;
}

bool auth_equal(const uint8_t *a, const uint8_t *b)
{
	return !CRYPTO_memcmp(a, b, KEEL_REMOTE_MAC_LEN);
}

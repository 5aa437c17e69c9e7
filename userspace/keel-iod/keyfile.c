// SPDX-License-Identifier: GPL-2.0
/*
 * The shared key's file (auth.h): one line of hex digits in a regular
 * file that only its owner, root or the user reading it, may read or
 * write. Anything else is refused with what to change, before a byte of
 * the key is read. The key never appears in a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "auth.h"

/* Room for the hex digits, blanks and a newline or two. */
#define KEY_FILE_MAX	512

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int key_parse(const char *hex, struct iod_key *key)
{
	size_t n;
	int hi, lo;

	while (*hex == ' ' || *hex == '\t' || *hex == '\n' || *hex == '\r')
		hex++;
	for (n = 0; hexval(hex[0]) >= 0; hex += 2) {
		hi = hexval(hex[0]);
		lo = hexval(hex[1]);
		if (lo < 0 || n == IOD_KEY_MAX) {
			key_clear(key);
			return -EINVAL;
		}
		key->bytes[n++] = (uint8_t)(hi << 4 | lo);
	}
	while (*hex == ' ' || *hex == '\t' || *hex == '\n' || *hex == '\r')
		hex++;
	key->len = n;
	if (*hex || n < IOD_KEY_MIN) {
		key_clear(key);
		return -EINVAL;
	}
	return 0;
}

void key_clear(struct iod_key *key)
{
	OPENSSL_cleanse(key, sizeof(*key));
}

int key_load(const char *path, struct iod_key *key, char *msg, size_t len)
{
	char buf[KEY_FILE_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(msg, len, "key file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, len, "key file %s: not a regular file; give the file that holds the key",
			 path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_mode & 0077) {
		snprintf(msg, len, "key file %s: mode %04o lets its group or others at the shared key; run chmod 600 %s",
			 path, (unsigned int)(st.st_mode & 07777), path);
		close(fd);
		return -EPERM;
	}
	if (st.st_uid && st.st_uid != geteuid()) {
		snprintf(msg, len, "key file %s: owned by uid %u, who can read the shared key; run chown root %s",
			 path, (unsigned int)st.st_uid, path);
		close(fd);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf));
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (n < 0) {
		snprintf(msg, len, "key file %s: %s", path, strerror(-ret));
		return ret;
	}
	if ((size_t)n > KEY_FILE_MAX) {
		ret = -EINVAL;
	} else {
		buf[n] = '\0';
		ret = strlen(buf) != (size_t)n || key_parse(buf, key) ?
		      -EINVAL : 0;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (ret)
		snprintf(msg, len, "key file %s: not one line of 32 to 128 hex digits; make one with: openssl rand -hex 32 >%s",
			 path, path);
	return ret;
}

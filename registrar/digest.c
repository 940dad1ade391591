/* digest.c — digest authentication for the registrar (see digest.h). */
#define _GNU_SOURCE
#include "digest.h"
#include "../lib/rng.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sofia-sip/auth_digest.h>
#include <sofia-sip/su_md5.h>

void digest_init(struct digest *d)
{
	unsigned char raw[16] = {0};
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		snprintf((char *)raw, sizeof(raw), "%p", (void *)d); /* no entropy: still unique */
	for (int i = 0; i < 16; i++)
		snprintf(d->secret + 2 * i, 3, "%02x", raw[i]);
}

void digest_init_seeded(struct digest *d, unsigned long long seed)
{
	struct rng r;
	rng_init(&r, rng_derive(seed, "digest secret"));
	snprintf(d->secret, sizeof(d->secret), "%016llx%016llx", (unsigned long long)rng_next(&r),
	         (unsigned long long)rng_next(&r));
}

static void sign(const struct digest *d, const char *stamp, char hex[33])
{
	su_md5_t md5;
	su_md5_init(&md5);
	su_md5_strupdate(&md5, d->secret);
	su_md5_strupdate(&md5, ":");
	su_md5_strupdate(&md5, stamp);
	su_md5_hexdigest(&md5, hex);
	su_md5_deinit(&md5);
}

/* nonce = HEXTIME "." md5(secret ":" HEXTIME) */
void digest_nonce(const struct digest *d, long long now, char out[64])
{
	char stamp[20], hex[33];
	snprintf(stamp, sizeof(stamp), "%llx", now);
	sign(d, stamp, hex);
	snprintf(out, 64, "%s.%s", stamp, hex);
}

void digest_challenge(const struct digest *d, const char *realm, int stale, long long now,
                      char *out, size_t cap)
{
	char nonce[64];
	digest_nonce(d, now, nonce);
	snprintf(out, cap, "Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, qop=\"auth\"%s",
	         realm, nonce, stale ? ", stale=true" : "");
}

/* 1: ours and fresh, 0: ours but stale, -1: not ours. */
static int nonce_state(const struct digest *d, const char *nonce, long long now)
{
	char stamp[20], hex[33];
	const char *dot = nonce ? strchr(nonce, '.') : NULL;
	if (!dot || (size_t)(dot - nonce) >= sizeof(stamp))
		return -1;
	memcpy(stamp, nonce, (size_t)(dot - nonce));
	stamp[dot - nonce] = '\0';
	sign(d, stamp, hex);
	if (strcmp(hex, dot + 1))
		return -1;
	long long t = strtoll(stamp, NULL, 16);
	return now - t <= DIGEST_NONCE_TTL && t <= now ? 1 : 0;
}

static enum digest_result check_one(const struct digest *d, sip_authorization_t const *au,
                                    const char *method, const char *realm, const char *user,
                                    const char *password, long long now)
{
	auth_response_t ar[1];
	memset(ar, 0, sizeof(ar));
	ar->ar_size = sizeof(ar[0]);
	su_home_t home[1] = {SU_HOME_INIT(home)};
	enum digest_result r = DIGEST_WRONG;
	if (auth_digest_response_get(home, ar, au->au_params) < 0 || !ar->ar_realm ||
	    strcmp(ar->ar_realm, realm)) {
		r = DIGEST_MISSING; /* credentials for someone else's realm */
		goto out;
	}
	int ns = nonce_state(d, ar->ar_nonce, now);
	if (ns < 0) {
		r = DIGEST_BAD_NONCE;
		goto out;
	}
	if (!ar->ar_username || strcmp(ar->ar_username, user) || !ar->ar_response || !ar->ar_uri)
		goto out;
	auth_hexmd5_t ha1, expected;
	auth_digest_a1(ar, ha1, password);
	auth_digest_response(ar, expected, ha1, method, NULL, 0);
	if (strcmp(expected, ar->ar_response))
		goto out;
	/* Right credentials on an old nonce: ask again, marked stale, so the
	 * client retries without asking its user. */
	r = ns ? DIGEST_OK : DIGEST_STALE;
out:
	su_home_deinit(home);
	return r;
}

enum digest_result digest_check(const struct digest *d, sip_authorization_t const *au,
                                const char *method, const char *realm, const char *user,
                                const char *password, long long now)
{
	enum digest_result best = DIGEST_MISSING;
	for (; au; au = au->au_next) {
		if (!au->au_scheme || strcasecmp(au->au_scheme, "Digest"))
			continue;
		enum digest_result r = check_one(d, au, method, realm, user, password, now);
		if (r == DIGEST_OK)
			return r;
		if (r != DIGEST_MISSING)
			best = r;
	}
	return best;
}

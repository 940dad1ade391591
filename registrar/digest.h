/* digest.h — HTTP digest authentication (RFC 2617, MD5, qop=auth) for the
 * registrar: stateless nonces signed with a per-run secret, so a challenge
 * needs no memory and a forged or stale nonce is recognised. */
#ifndef SIPLAB_REG_DIGEST_H
#define SIPLAB_REG_DIGEST_H

#include <sofia-sip/sip.h>

#define DIGEST_NONCE_TTL 300 /* seconds a nonce stays valid */

enum digest_result {
	DIGEST_OK,
	DIGEST_MISSING,   /* no credentials for our realm: challenge */
	DIGEST_STALE,     /* our nonce, but too old: challenge with stale=true */
	DIGEST_BAD_NONCE, /* not a nonce of ours */
	DIGEST_WRONG,     /* user, realm or response do not match */
};

struct digest {
	char secret[33];
};

void digest_init(struct digest *d);
/* The secret derived from a seed instead: a run replays its nonces' secret.
 * Anyone who knows the seed can forge nonces: for a lab only. */
void digest_init_seeded(struct digest *d, unsigned long long seed);
/* A fresh nonce for a challenge. */
void digest_nonce(const struct digest *d, long long now, char out[64]);
/* The WWW-Authenticate value for a 401. */
void digest_challenge(const struct digest *d, const char *realm, int stale, long long now,
                      char *out, size_t cap);
/* Check the Authorization headers of a request for realm, as user with
 * password. */
enum digest_result digest_check(const struct digest *d, sip_authorization_t const *au,
                                const char *method, const char *realm, const char *user,
                                const char *password, long long now);

#endif

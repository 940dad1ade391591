/* location.h — the registrar's location table: address-of-record
 * (user@domain) to contact bindings with expiry, in a hash table. */
#ifndef SIPLAB_REG_LOCATION_H
#define SIPLAB_REG_LOCATION_H

#include "../lib/limits.h"

#include <stddef.h>
#include <stdint.h>

struct loc_binding {
	char contact[192]; /* contact URI, where requests for the AOR go */
	char call_id[96];
	uint32_t cseq;
	long long expires; /* absolute, seconds on the monotonic clock */
	struct loc_binding *next;
};

struct loc_aor {
	char aor[128];
	struct loc_binding *bindings;
	struct loc_aor *next;
};

struct loc {
	struct loc_aor **buckets;
	size_t n_buckets;
	size_t n_bindings;
};

int loc_init(struct loc *l, size_t buckets);
void loc_free(struct loc *l);

/* Add or refresh the binding of contact for aor until `expires` (absolute);
 * expires <= now removes it. Returns 0, or -ENOSPC when the AOR already has
 * LOC_MAX_BINDINGS other bindings, or -ENOMEM. */
int loc_update(struct loc *l, const char *aor, const char *contact, const char *call_id,
               uint32_t cseq, long long expires, long long now);
/* Remove every binding of aor ("Contact: *" with Expires: 0). */
void loc_remove_all(struct loc *l, const char *aor);
/* The live bindings of aor (expired ones are dropped on the way), or NULL. */
const struct loc_binding *loc_lookup(struct loc *l, const char *aor, long long now);

/* Seconds on the monotonic clock, the time base of `expires`. */
long long loc_now(void);

#endif

/* sofia_seed.h — make sofia-sip's own random numbers follow a run's seed.
 *
 * sofia-sip 1.12 (as Debian builds it) draws every random number it makes
 * (From/To tags, Via branch ids, its su_randint/su_random/su_randmem) from
 * libc's rand(). It seeds rand() once, lazily, from /dev/urandom, on its first
 * draw. So: make it draw once (its seeding happens then), and seed rand()
 * again from ours. From here on sofia's numbers are a fixed sequence for the
 * seed, but who gets which number of it follows the order in which the
 * process's endpoints happened to ask: identifiers made while many endpoints
 * interleave on the network may move between runs. What cannot follow a seed
 * at all: Call-IDs that sofia makes itself (su_guid_generate: the wall clock
 * and a node id), so the worker gives its own (SIPTAG_CALL_ID_STR), and
 * OpenSSL's randomness under TLS. Header-only, beside the tap: the one folder of ours that speaks
 * sofia-sip for others. */
#ifndef SIPLAB_SOFIA_SEED_H
#define SIPLAB_SOFIA_SEED_H

#include <stdint.h>
#include <stdlib.h>

#include <sofia-sip/su_uniqueid.h>

static inline void sofia_seed(uint64_t seed)
{
	(void)su_random(); /* sofia seeds rand() from /dev/urandom on its first draw */
	srand((unsigned)(seed ^ (seed >> 32)));
}

#endif

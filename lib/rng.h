/* rng.h — the lab's own pseudo-random numbers, so a run can be replayed.
 *
 * One run seed (given, or drawn fresh and recorded in the report) is the root
 * of everything random in a run: each process gets a seed derived from it by
 * a label ("worker3", "callees"), and each endpoint or call a seed derived
 * from its process's, so what one endpoint draws does not depend on when the
 * others happened to draw theirs. The generator is splitmix64 (Steele, Lea
 * and Flood, 2014): small, fast, every seed good. It is not a cryptographic
 * generator: what it keys (SRTP master keys, digest secrets) is for a lab. */
#ifndef SIPLAB_RNG_H
#define SIPLAB_RNG_H

#include <stddef.h>
#include <stdint.h>

/* Seeds the report can hold exactly: a JSON number is a double, and cJSON
 * prints a double with 15 significant digits whenever that reads back within
 * its tolerance — which a 16-digit seed does, one off. So a seed has at most
 * 15 digits. */
#define RNG_SEED_MAX 999999999999999ULL

struct rng {
	uint64_t state;
};

void rng_init(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
uint32_t rng_u32(struct rng *r);
/* n bytes of the stream. */
void rng_bytes(struct rng *r, void *buf, size_t n);

/* The seed of a part (label) of whatever seed belongs to: a process of a
 * run ("worker2"), a purpose of a process ("ssrc"). */
uint64_t rng_derive(uint64_t seed, const char *label);
/* The seed of the n-th member of a part: endpoint n of a worker. */
uint64_t rng_derive_n(uint64_t seed, const char *label, uint64_t n);

/* A process's derived seed as its --seed argument: decimal text in buf
 * (24 bytes hold any). Returns buf. */
const char *rng_seed_arg(uint64_t seed, const char *label, char *buf, size_t cap);

/* A fresh seed from the kernel's entropy, at most RNG_SEED_MAX. */
uint64_t rng_fresh_seed(void);

/* A seed written as a decimal number (argv, JSON): 0 when s is one, at most
 * max; -EINVAL otherwise. */
int rng_parse_seed(const char *s, uint64_t max, uint64_t *out);

#endif

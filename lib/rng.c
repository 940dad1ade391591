/* rng.c — splitmix64 and the derivation of seeds (see rng.h). */
#define _GNU_SOURCE
#include "rng.h"

#include <stdio.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* splitmix64's output function: a bijection of 64-bit words that spreads
 * every input bit over the whole output. */
static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void rng_init(struct rng *r, uint64_t seed)
{
	r->state = seed;
}

uint64_t rng_next(struct rng *r)
{
	r->state += 0x9e3779b97f4a7c15ULL; /* the golden ratio: a full-period Weyl sequence */
	return mix(r->state);
}

uint32_t rng_u32(struct rng *r)
{
	return (uint32_t)(rng_next(r) >> 32);
}

void rng_bytes(struct rng *r, void *buf, size_t n)
{
	unsigned char *b = buf;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = rng_next(r);
		for (size_t k = 0; k < 8 && i + k < n; k++)
			b[i + k] = (unsigned char)(v >> (8 * k));
	}
}

/* FNV-1a over the label, then mixed with the seed: distinct labels give
 * unrelated seeds, and the same label always the same one. */
uint64_t rng_derive(uint64_t seed, const char *label)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const char *p = label; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return mix(mix(seed) ^ h);
}

uint64_t rng_derive_n(uint64_t seed, const char *label, uint64_t n)
{
	return mix(rng_derive(seed, label) + mix(n + 1));
}

uint64_t rng_fresh_seed(void)
{
	uint64_t v;
	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
		/* No entropy to be had: the clock and the pid still differ per run. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		v = mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ (uint64_t)getpid());
	}
	return v % (RNG_SEED_MAX + 1);
}

int rng_parse_seed(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

const char *rng_seed_arg(uint64_t seed, const char *label, char *buf, size_t cap)
{
	snprintf(buf, cap, "%llu", (unsigned long long)rng_derive(seed, label));
	return buf;
}

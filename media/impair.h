/* impair.h — a network impairment for one direction of a media flow, as an
 * impairing hop applies it packet by packet (the SBC's media relay does:
 * registrar/sbc.c): random loss, bursty loss by a two-state Gilbert–Elliott
 * chain, a fixed one-way delay, and jitter — a random extra delay per packet,
 * so packets overtake each other as on a real path. Every draw comes from a
 * seed, so a run replays. The kernel here has no netem; this is its part. */
#ifndef SIPLAB_IMPAIR_H
#define SIPLAB_IMPAIR_H

#include "../lib/rng.h"

struct impair_params {
	double loss_pct;  /* packets lost in the long run, percent */
	double burst;     /* mean length of a loss burst, packets; 1 (or less): random loss */
	double delay_ms;  /* one-way delay added to every packet */
	double jitter_ms; /* the RFC 3550 interarrival jitter it adds (see impair_packet) */
};

struct impair {
	struct impair_params p;
	struct rng rng;
	double p_enter, p_leave; /* Gilbert–Elliott: good→bad, bad→good per packet */
	int bad;                 /* in the loss state */
};

/* Whether p changes anything at all. */
int impair_active(const struct impair_params *p);
void impair_init(struct impair *im, const struct impair_params *p, uint64_t seed);
/* One packet: 1 when it is lost; otherwise 0 and *delay_ms (>= 0) is how
 * long the hop holds it. The extra delay of jitter is uniform on
 * [0, 3 × jitter_ms]: consecutive packets then differ by jitter_ms on
 * average, which is what RFC 3550's estimate converges to (a little more
 * once packets overtake each other; tests/bench_quality.c measures it). */
int impair_packet(struct impair *im, double *delay_ms);

#endif

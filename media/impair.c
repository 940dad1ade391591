/* impair.c — per-packet loss, delay and jitter of an impairing hop (see impair.h). */
#include "impair.h"

#include <string.h>

int impair_active(const struct impair_params *p)
{
	return p->loss_pct > 0 || p->delay_ms > 0 || p->jitter_ms > 0;
}

void impair_init(struct impair *im, const struct impair_params *p, uint64_t seed)
{
	memset(im, 0, sizeof(*im));
	im->p = *p;
	rng_init(&im->rng, seed);
	/* A burst of mean length b leaves the loss state with probability 1/b per
	 * packet; entering it with L/(1-L) of that keeps the long-run loss at L
	 * (the chain spends L of its time in the loss state). */
	double loss = p->loss_pct / 100;
	if (p->burst > 1 && loss > 0 && loss < 1) {
		im->p_leave = 1 / p->burst;
		im->p_enter = loss * im->p_leave / (1 - loss);
		if (im->p_enter > 1)
			im->p_enter = 1;
	}
}

/* A uniform draw on [0, 1). */
static double uniform(struct impair *im)
{
	return (double)(rng_next(&im->rng) >> 11) * (1.0 / 9007199254740992.0);
}

static int lost(struct impair *im)
{
	if (im->p.loss_pct <= 0)
		return 0;
	if (im->p_leave <= 0) /* random: each packet on its own */
		return uniform(im) * 100 < im->p.loss_pct;
	/* Bursty: the packet takes the state it finds, then the chain moves. */
	int drop = im->bad;
	double u = uniform(im);
	im->bad = im->bad ? u >= im->p_leave : u < im->p_enter;
	return drop;
}

int impair_packet(struct impair *im, double *delay_ms)
{
	*delay_ms = 0;
	if (lost(im))
		return 1;
	*delay_ms = im->p.delay_ms;
	if (im->p.jitter_ms > 0)
		*delay_ms += uniform(im) * 3 * im->p.jitter_ms;
	return 0;
}

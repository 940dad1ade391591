/* bench_quality.c — the impairing hop against the metrics that judge it:
 * G.711 RTP (20 ms frames) through media/impair.c's model on a simulated
 * clock, received by the endpoints' own statistics (media/media.c: loss from
 * sequence numbers, RFC 3550 jitter) and scored by the E-model
 * (media/emodel.c). Prints measured against configured:
 *   - loss over 10,000 packets within ±0.5 percentage points of the rate;
 *   - MOS of G.711 with PLC at 2 % and 5 % random loss against emodel.md's
 *     reference points (4.23, 3.92) within ±0.05;
 *   - the RFC 3550 jitter estimate within 20 % of the configured jitter;
 *   - bursty loss: the measured mean burst against the configured one.
 * The real relay applies this same model packet by packet (registrar/sbc.c);
 * test_quality.c runs it in a lab. Exit 1 when a figure is out of bounds. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../media/emodel.h"
#include "../media/impair.h"
#include "../media/media.h"

#define PACKETS 10000

struct arrival {
	double t_ms;
	uint16_t seq;
	uint32_t ts;
};

static int by_time(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;
	return (x->t_ms > y->t_ms) - (x->t_ms < y->t_ms);
}

/* Send PACKETS frames through the model, receive them in arrival order. */
static void run(const struct impair_params *p, uint64_t seed, struct rx_stats *rx)
{
	static struct arrival a[PACKETS];
	struct impair im;
	impair_init(&im, p, seed);
	int n = 0;
	for (int i = 0; i < PACKETS; i++) {
		double d;
		if (impair_packet(&im, &d))
			continue;
		a[n++] = (struct arrival){20.0 * i + d, (uint16_t)(1000 + i), 160u * (uint32_t)i};
	}
	qsort(a, (size_t)n, sizeof(*a), by_time);
	memset(rx, 0, sizeof(*rx));
	for (int k = 0; k < n; k++) {
		uint8_t pkt[12 + 160] = {0x80, 0};
		pkt[2] = (uint8_t)(a[k].seq >> 8);
		pkt[3] = (uint8_t)a[k].seq;
		pkt[4] = (uint8_t)(a[k].ts >> 24);
		pkt[5] = (uint8_t)(a[k].ts >> 16);
		pkt[6] = (uint8_t)(a[k].ts >> 8);
		pkt[7] = (uint8_t)a[k].ts;
		rx_stats_update(rx, pkt, sizeof(pkt), (uint32_t)(a[k].t_ms * 8));
	}
}

static int bad;

static void line(const char *what, double measured, double configured, double lo, double hi)
{
	int ok = measured >= lo && measured <= hi;
	bad += !ok;
	printf("%-44s measured %8.3f  configured %8.3f  bounds [%.3f, %.3f]  %s\n", what, measured,
	       configured, lo, hi, ok ? "ok" : "OUT");
}

int main(void)
{
	const struct codec_impairment *g711 = emodel_codec("PCMU");
	struct rx_stats rx;
	printf("bench_quality: %d G.711 packets per case, 20 ms apart\n", PACKETS);
	static const struct {
		double loss, mos;
	} ref[] = {{2, 4.23}, {5, 3.92}};
	for (int i = 0; i < 2; i++) {
		struct impair_params p = {.loss_pct = ref[i].loss, .burst = 1};
		run(&p, 100 + (uint64_t)i, &rx);
		double loss = rx_stats_loss_pct(&rx);
		char what[64];
		snprintf(what, sizeof(what), "random loss %g %%: loss %%", ref[i].loss);
		line(what, loss, ref[i].loss, ref[i].loss - 0.5, ref[i].loss + 0.5);
		double mos = emodel_mos_metrics(g711, loss, jitter_ms(&rx.jitter, 8000), 0, NULL);
		snprintf(what, sizeof(what), "random loss %g %%: MOS (emodel.md)", ref[i].loss);
		line(what, mos, ref[i].mos, ref[i].mos - 0.05, ref[i].mos + 0.05);
		double burst = rx.loss_gaps ? (double)rx.gap_packets / (double)rx.loss_gaps : 0;
		snprintf(what, sizeof(what), "random loss %g %%: mean burst", ref[i].loss);
		line(what, burst, 1, 1, 1.3);
	}
	struct impair_params bursty = {.loss_pct = 5, .burst = 4};
	run(&bursty, 7, &rx);
	line("bursty loss 5 %, burst 4: loss %", rx_stats_loss_pct(&rx), 5, 4.0, 6.0);
	line("bursty loss 5 %, burst 4: mean burst",
	     rx.loss_gaps ? (double)rx.gap_packets / (double)rx.loss_gaps : 0, 4, 3.0, 5.0);
	static const double jit[] = {10, 30, 60};
	for (int i = 0; i < 3; i++) {
		struct impair_params p = {.delay_ms = 50, .jitter_ms = jit[i]};
		run(&p, 200 + (uint64_t)i, &rx);
		char what[64];
		snprintf(what, sizeof(what), "jitter %g ms: RFC 3550 estimate, ms", jit[i]);
		line(what, jitter_ms(&rx.jitter, 8000), jit[i], 0.8 * jit[i], 1.2 * jit[i]);
		snprintf(what, sizeof(what), "jitter %g ms: packets reordered", jit[i]);
		printf("%-44s measured %8llu\n", what, (unsigned long long)rx.reordered);
	}
	printf("bench_quality: %s\n", bad ? "OUT OF BOUNDS" : "every figure within bounds");
	return bad ? 1 : 0;
}

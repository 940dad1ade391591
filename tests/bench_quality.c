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
 * Then end to end, through the real relay in a lab: the catalogue's loss and
 * jitter scenarios with longer calls (12 s of audio each, about 12,000
 * packets received over the run), three runs at once, measured from the
 * reports as the platform would read them:
 *   - loss (5 % and 2 %) over every receiver within ±0.5 percentage points;
 *   - their mean received MOS against the E-model reference, ±0.05;
 *   - the mean received jitter within 20 % of the configured 30 ms.
 * Exit 1 when a figure is out of bounds. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/jsonv.h"
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

/* --- end to end, through the SBC's relay in a lab ------------------------------------- */

struct e2e {
	const char *what, *scenario;
	double loss_pct, jitter_ms, mos; /* configured, and the E-model's MOS (-1: none) */
	char dir[64];
	pid_t pid;
};

/* The scenario with calls of 120 s (12 s at its time scale) and the fault's
 * parameters as asked, written to dir/scenario.json. */
static int e2e_scenario(struct e2e *c, char *path, size_t cap)
{
	cJSON *s = jv_read_tree(c->scenario);
	if (!s)
		return -1;
	cJSON_ReplaceItemInObjectCaseSensitive(s, "call_duration_s", cJSON_CreateNumber(120));
	cJSON *params = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(s, "fault"), "params");
	if (c->loss_pct > 0)
		cJSON_ReplaceItemInObjectCaseSensitive(params, "loss_pct",
		                                       cJSON_CreateNumber(c->loss_pct));
	char *text = cJSON_Print(s);
	cJSON_Delete(s);
	snprintf(path, cap, "%s/scenario.json", c->dir);
	FILE *f = fopen(path, "w");
	int ok = f && text && fputs(text, f) >= 0;
	if (f)
		fclose(f);
	free(text);
	return ok ? 0 : -1;
}

static pid_t e2e_start(struct e2e *c)
{
	char scn[128], report[128];
	snprintf(c->dir, sizeof(c->dir), "/tmp/siplab-bench-quality.XXXXXX");
	if (!mkdtemp(c->dir) || e2e_scenario(c, scn, sizeof(scn)))
		return -1;
	snprintf(report, sizeof(report), "%s/report.json", c->dir);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		dup2(devnull, 2);
		const char *bin = getenv("SIPLAB") ? getenv("SIPLAB") : "build/siplab";
		execl(bin, "siplab", "run", scn, "--report", report, "--once", "--quiet", "--seed",
		      "2026", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static double num(const cJSON *o, const char *k, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

/* Every receiver's packets, losses, jitter and MOS, summed. */
static void e2e_measure(const struct e2e *c)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/report.json", c->dir);
	cJSON *rep = jv_read_tree(path);
	double expected = 0, lost = 0, jit = 0, mos = 0, late = 0;
	int n = 0;
	const cJSON *ep;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(rep, "endpoints")) {
		const cJSON *rx = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(ep, "media"), "received");
		double got = num(rx, "packets", -1), loss = num(rx, "loss_pct", -1);
		if (got <= 0 || loss < 0)
			continue;
		expected += got / (1 - loss / 100);
		lost += got / (1 - loss / 100) - got;
		jit += num(rx, "jitter_ms", 0);
		mos += num(rx, "mos", 0);
		late += num(rx, "late_packets", 0);
		n++;
	}
	cJSON_Delete(rep);
	char what[96];
	if (!n) {
		printf("%-44s no report with media (%s)\n", c->what, path);
		bad++;
		return;
	}
	printf("%s: %d receivers, %.0f packets expected\n", c->what, n, expected);
	if (c->loss_pct > 0) {
		double rate = 100 * lost / expected;
		snprintf(what, sizeof(what), "  loss %%");
		line(what, rate, c->loss_pct, c->loss_pct - 0.5, c->loss_pct + 0.5);
		snprintf(what, sizeof(what), "  mean received MOS (emodel.md)");
		line(what, mos / n, c->mos, c->mos - 0.05, c->mos + 0.05);
		bad += expected < 5000;
	}
	if (c->jitter_ms > 0) {
		snprintf(what, sizeof(what), "  mean RFC 3550 jitter, ms");
		line(what, jit / n, c->jitter_ms, 0.8 * c->jitter_ms, 1.2 * c->jitter_ms);
		/* The jitter buffer (3 J deep) holds a uniform spread of 3 J: steady
		 * jitter costs delay, hardly audio. */
		printf("%-44s measured %8.3f  (late for the jitter buffer, %% of packets)\n",
		       "  late packets %", 100 * late / expected);
		printf("%-44s measured %8.3f\n", "  mean received MOS", mos / n);
	}
}

/* The three runs at once (a run mostly waits on the clock). */
static void end_to_end(void)
{
	struct e2e runs[] = {
	        {.what = "relay, 5 % random loss",
	         .scenario = "scenarios/quality_packet_loss.json",
	         .loss_pct = 5,
	         .mos = 3.92},
	        {.what = "relay, 2 % random loss",
	         .scenario = "scenarios/quality_packet_loss.json",
	         .loss_pct = 2,
	         .mos = 4.23},
	        {.what = "relay, 30 ms jitter",
	         .scenario = "scenarios/quality_jitter.json",
	         .jitter_ms = 30,
	         .mos = -1},
	};
	int n = (int)(sizeof(runs) / sizeof(*runs));
	printf("bench_quality: end to end through the SBC relay in a lab (%d runs at once)\n", n);
	for (int i = 0; i < n; i++)
		runs[i].pid = e2e_start(&runs[i]);
	for (int i = 0; i < n; i++) {
		int st = 0;
		if (runs[i].pid > 0)
			waitpid(runs[i].pid, &st, 0);
		e2e_measure(&runs[i]);
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", runs[i].dir);
		(void)!system(cmd);
	}
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
	end_to_end();
	printf("bench_quality: %s\n", bad ? "OUT OF BOUNDS" : "every figure within bounds");
	return bad ? 1 : 0;
}

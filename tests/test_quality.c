/* test_quality.c — call quality: the impairing hop's model (media/impair.c)
 * draws the loss, bursts and jitter it is configured for; the vocabulary's
 * tiers (media/quality.c) at their boundaries; and a real run of
 * scenarios/quality_packet_loss.json through the SBC's relay, whose report
 * must show the configured loss rate, the MOS the E-model gives it, the
 * tiers, and the diagnosis. No
 * timing is asserted: only counts and rates. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include <math.h>

#include "../lib/jsonv.h"
#include "../media/impair.h"
#include "../media/quality.h"

/* Loss over n packets, and the mean run of consecutive losses. */
static double draw_loss(const struct impair_params *p, int n, double *burst)
{
	struct impair im;
	impair_init(&im, p, 42);
	int lost = 0, runs = 0, prev = 0;
	for (int i = 0; i < n; i++) {
		double d;
		int l = impair_packet(&im, &d);
		lost += l;
		runs += l && !prev;
		prev = l;
	}
	*burst = runs ? (double)lost / runs : 0;
	return 100.0 * lost / n;
}

/* Random loss: the rate within ±0.5 percentage points over 20,000 packets
 * (3 standard deviations at 5 % is ±0.46), isolated losses. */
static void test_random_loss(void **state)
{
	(void)state;
	struct impair_params p = {.loss_pct = 5, .burst = 1};
	double burst, loss = draw_loss(&p, 20000, &burst);
	assert_true(loss > 4.5 && loss < 5.5);
	assert_true(burst < 1.2);
}

/* Bursty loss (Gilbert-Elliott): the same long-run rate, in bursts of the
 * configured mean length (±25 %: fewer, longer events vary more). */
static void test_bursty_loss(void **state)
{
	(void)state;
	struct impair_params p = {.loss_pct = 5, .burst = 4};
	double burst, loss = draw_loss(&p, 100000, &burst);
	assert_true(loss > 4.5 && loss < 5.5);
	assert_true(burst > 3 && burst < 5);
}

/* Delay and jitter: the delay is a floor, and the extra delay spreads over
 * [0, 3 × jitter]; the same seed, the same draws. */
static void test_delay_jitter(void **state)
{
	(void)state;
	struct impair_params p = {.delay_ms = 100, .jitter_ms = 30};
	struct impair a, b;
	impair_init(&a, &p, 7);
	impair_init(&b, &p, 7);
	double lo = 1e9, hi = 0;
	for (int i = 0; i < 5000; i++) {
		double da, db;
		assert_int_equal(impair_packet(&a, &da), 0);
		impair_packet(&b, &db);
		assert_true(da == db);
		lo = da < lo ? da : lo;
		hi = da > hi ? da : hi;
	}
	assert_true(lo >= 100 && lo < 102);
	assert_true(hi <= 190 && hi > 188);
	struct impair_params none = {0};
	assert_false(impair_active(&none));
}

static void test_tiers(void **state)
{
	(void)state;
	assert_int_equal(q_loss(1.0), Q_GOOD);
	assert_int_equal(q_loss(1.01), Q_WARNING);
	assert_int_equal(q_loss(5.0), Q_WARNING);
	assert_int_equal(q_loss(5.1), Q_CRITICAL);
	assert_int_equal(q_jitter(19.9), Q_GOOD);
	assert_int_equal(q_jitter(20), Q_WARNING);
	assert_int_equal(q_jitter(40.5), Q_CRITICAL);
	assert_int_equal(q_rtt(99), Q_GOOD);
	assert_int_equal(q_rtt(150), Q_WARNING);
	assert_int_equal(q_rtt(250), Q_CRITICAL);
	assert_int_equal(q_mos(4.0), Q_GOOD);
	assert_int_equal(q_mos(3.92), Q_WARNING);
	assert_int_equal(q_mos(3.4), Q_CRITICAL);
	assert_int_equal(q_mos(-1), Q_UNKNOWN);
	assert_string_equal(q_tier_name(q_worst(Q_UNKNOWN, Q_WARNING)), "warning");
}

static const char *sget(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double nget(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* The loss scenario for real: 5 % random loss both ways through the relay.
 * Over all receivers (about 3,000 packets) the loss is 5 % within ±1.5
 * points (3.7 standard deviations); every end is past "good" on loss and
 * COMPLETED_WITH_WARNINGS; isolated losses; the diagnosis names the code. */
static void test_loss_run(void **state)
{
	(void)state;
	char report[] = "/tmp/siplab-test-quality.XXXXXX", path[PATH_MAX], out[8192];
	assert_non_null(mkdtemp(report));
	snprintf(path, sizeof(path), "%s/report.json", report);
	char *args[] = {"siplab",   "run",  "scenarios/quality_packet_loss.json",
	                "--report", path,   "--quiet",
	                "--seed",   "1313", NULL};
	int rc = siplab_capture(args, out, sizeof(out));
	assert_true(rc == 0 || rc == 1);
	char *text = NULL;
	err_t e;
	assert_int_equal(jv_read_file(path, &text, &e), 0);
	cJSON *rep = cJSON_Parse(text);
	free(text);
	assert_non_null(rep);
	const cJSON *ep;
	double expected = 0, lost = 0, mos = 0;
	int n = 0, eps = 0;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(rep, "endpoints")) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(ep, "media");
		const cJSON *rx = cJSON_GetObjectItemCaseSensitive(m, "received");
		const cJSON *tiers = cJSON_GetObjectItemCaseSensitive(rx, "tiers");
		assert_string_equal(sget(ep, "outcome"), "COMPLETED_WITH_WARNINGS");
		double got = nget(rx, "packets"), loss = nget(rx, "loss_pct");
		assert_true(got > 50 && loss >= 0);
		const char *lt = sget(tiers, "loss");
		/* A 150-packet call at 5 % can draw 1 %: "good" on one end is chance. */
		n += !strcmp(lt, "warning") || !strcmp(lt, "critical");
		assert_string_not_equal(sget(rx, "quality"), "good");
		assert_true(nget(rx, "loss_burst_mean") < 1.6);
		mos += nget(rx, "mos");
		eps++;
		expected += got / (1 - loss / 100);
		lost += got / (1 - loss / 100) - got;
	}
	assert_true(n >= 18);
	double rate = 100 * lost / expected;
	fprintf(stderr, "    measured loss %.2f %% over %.0f packets (configured 5 %%)\n", rate,
	        expected);
	assert_true(expected > 2500);
	assert_true(rate > 3.5 && rate < 6.5);
	/* MOS as the E-model says for G.711 with PLC at 5 % (3.92): within
	 * ±0.15, what ±1.5 points of loss move it by. */
	fprintf(stderr, "    mean received MOS %.3f (emodel.md: 3.92 at 5 %%)\n", mos / eps);
	assert_true(eps > 0 && fabs(mos / eps - 3.92) < 0.15);
	cJSON_Delete(rep);
	char cmd[PATH_MAX + 64];
	snprintf(cmd, sizeof(cmd), "%s diagnose %s", siplab_bin(), path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = 0;
	pclose(p);
	assert_non_null(strstr(out, "1. quality.packet_loss"));
	assert_non_null(strstr(out, "random"));
	sys_rm_tree(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_random_loss),  cmocka_unit_test(test_bursty_loss),
	        cmocka_unit_test(test_delay_jitter), cmocka_unit_test(test_tiers),
	        cmocka_unit_test(test_loss_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_vocab.c — the platform's vocabulary rules, and the E-model and jitter
 * against the reference points of ../shared/reference/emodel.md. */
#include "harness.h"

#include <math.h>

#include "../media/emodel.h"
#include "../sim/model/vocab.h"

static void test_outcome_severity(void **state)
{
	(void)state;
	enum outcome o = OUTCOME_NONE;
	o = outcome_update(o, OUTCOME_SUCCESS); /* set once */
	assert_int_equal(o, OUTCOME_SUCCESS);
	o = outcome_update(o, OUTCOME_COMPLETED_WITH_WARNINGS); /* 1 > 0 */
	assert_int_equal(o, OUTCOME_COMPLETED_WITH_WARNINGS);
	o = outcome_update(o, OUTCOME_SUCCESS); /* lower: kept */
	assert_int_equal(o, OUTCOME_COMPLETED_WITH_WARNINGS);
	o = outcome_update(o, OUTCOME_REGISTRATION_FAILED);
	assert_int_equal(o, OUTCOME_REGISTRATION_FAILED);
	o = outcome_update(o, OUTCOME_OSERROR); /* same severity: the first stays */
	assert_int_equal(o, OUTCOME_REGISTRATION_FAILED);
	o = outcome_update(o, OUTCOME_NONE);
	assert_int_equal(o, OUTCOME_REGISTRATION_FAILED);
	assert_int_equal(outcome_severity(OUTCOME_TEARDOWN_ERROR), 10);
	assert_string_equal(outcome_name(OUTCOME_NEGOTIATION_FAILED), "NEGOTIATION_FAILED");
	assert_string_equal(outcome_name(OUTCOME_NONE), "null");
	assert_int_equal(outcome_from_name("TIMEOUT"), OUTCOME_TIMEOUT);
	assert_int_equal(outcome_from_name("timeout"), -1);
}

static void test_phases_and_statuses(void **state)
{
	(void)state;
	assert_int_equal(phase_advance(PHASE_REGISTERED, PHASE_CALLING), PHASE_CALLING);
	assert_int_equal(phase_advance(PHASE_INCALL, PHASE_RINGING),
	                 PHASE_INCALL); /* no going back */
	assert_int_equal(phase_advance(PHASE_INITIALIZING, PHASE_CLOSED), PHASE_CLOSED);
	assert_string_equal(phase_name(PHASE_DISCONNECTING), "DISCONNECTING");
	assert_int_equal(phase_from_name("INCALL"), PHASE_INCALL);
	assert_true(run_status_terminal(RUN_CANNOT_RUN_FOR_NOW));
	assert_false(run_status_terminal(RUN_STOPPING));
	assert_string_equal(run_status_name(RUN_CANNOT_RUN_FOR_NOW), "CANNOT_RUN_FOR_NOW");
	assert_int_equal(run_status_from_name("QUEUED"), RUN_QUEUED);
	assert_string_equal(worker_status_name(WORKER_OFFLINE), "OFFLINE");
}

static void test_call_results(void **state)
{
	(void)state;
	static const struct {
		int code;
		enum call_result r;
	} cases[] = {{200, RESULT_ANSWERED},  {486, RESULT_BUSY},        {600, RESULT_BUSY},
	             {403, RESULT_REJECTED},  {603, RESULT_REJECTED},    {408, RESULT_TIMEOUT},
	             {487, RESULT_CANCELLED}, {480, RESULT_UNAVAILABLE}, {503, RESULT_UNAVAILABLE},
	             {404, RESULT_FAILED},    {488, RESULT_FAILED},      {180, RESULT_NONE}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		if (call_result_of(cases[i].code) != cases[i].r)
			fail_msg("%d gave %s", cases[i].code,
			         call_result_name(call_result_of(cases[i].code)));
}

#define NEAR(x, want, tol)                                                                     \
	do {                                                                                   \
		double got_ = (x);                                                             \
		if (fabs(got_ - (want)) > (tol))                                               \
			fail_msg("%s = %.3f, expected %.3f +- %.3f", #x, got_, (double)(want), \
			         (double)(tol));                                               \
	} while (0)

static void test_emodel_reference_points(void **state)
{
	(void)state;
	const struct codec_impairment *g711 = emodel_codec("PCMU"),
	                              *noplc = emodel_codec("G711-noPLC"),
	                              *g729 = emodel_codec("G729A");
	assert_non_null(g711);
	NEAR(emodel_r(0, 0), 93.2, 1e-9);
	NEAR(emodel_mos(93.2), 4.41, 0.005);
	static const double rs[] = {90, 80, 70, 60, 50}, mos[] = {4.34, 4.02, 3.60, 3.10, 2.58};
	for (int i = 0; i < 5; i++)
		NEAR(emodel_mos(rs[i]), mos[i], 0.006);
	static const double loss[] = {1, 2, 5, 10}, r_loss[] = {89.6, 86.2, 77.4, 66.1},
	                    mos_loss[] = {4.33, 4.23, 3.92, 3.41};
	for (int i = 0; i < 4; i++) {
		double r = emodel_r(0, emodel_ie_eff(g711->ie, g711->bpl, loss[i], 1));
		NEAR(r, r_loss[i], 0.06);
		NEAR(emodel_mos(r), mos_loss[i], 0.006);
	}
	static const double r_noplc[] = {75.3, 63.0, 42.1}, mos_noplc[] = {3.83, 3.26, 2.17};
	for (int i = 0; i < 3; i++) {
		double r = emodel_r(0, emodel_ie_eff(noplc->ie, noplc->bpl, loss[i], 1));
		NEAR(r, r_noplc[i], 0.06);
		NEAR(emodel_mos(r), mos_noplc[i], 0.006);
	}
	NEAR(emodel_r(0, emodel_ie_eff(g729->ie, g729->bpl, 0, 1)), 82.2, 1e-9);
	NEAR(emodel_mos(82.2), 4.10, 0.006);
	NEAR(emodel_r(0, emodel_ie_eff(g729->ie, g729->bpl, 2, 1)), 74.2, 0.06);
	NEAR(emodel_mos(74.2), 3.79, 0.006);
	static const double ta[] = {150, 200, 300, 400}, idd[] = {0.16, 3.04, 14.8, 24.1};
	for (int i = 0; i < 4; i++)
		NEAR(emodel_idd(ta[i]), idd[i], 0.05);
	NEAR(emodel_idd(100), 0, 1e-9);
	NEAR(emodel_mos(-5), 1, 1e-9);
	NEAR(emodel_mos(120), 4.5, 1e-9);
	/* Bursty loss hurts more than random loss of the same rate. */
	assert_true(emodel_ie_eff(0, 25.1, 2, 2) > emodel_ie_eff(0, 25.1, 2, 1));
	/* A clean LAN call is above the 4.0 "good" line. */
	assert_true(emodel_mos_metrics(g711, 0, 1, 1, NULL) >= 4.0);
}

static void test_jitter(void **state)
{
	(void)state;
	/* Packets every 160 units arriving exactly on time: no jitter. */
	struct jitter j = {0};
	for (uint32_t i = 0; i < 100; i++)
		jitter_update(&j, 1000 + i * 160, 5000 + i * 160);
	NEAR(jitter_ms(&j, 8000), 0, 1e-9);
	/* Arrivals alternating 80 units early and late: |D| is 160 each time,
	 * and J converges to 160 units = 20 ms at 8 kHz. */
	struct jitter k = {0};
	for (uint32_t i = 0; i < 2000; i++)
		jitter_update(&k, 1000 + i * 160 + (i % 2 ? 80 : -80), 5000 + i * 160);
	NEAR(jitter_ms(&k, 8000), 20, 0.01);
	/* The first step from zero is |D|/16 (RFC 3550 A.8). */
	struct jitter m = {0};
	jitter_update(&m, 0, 0);
	jitter_update(&m, 160 + 32, 160);
	NEAR(m.j, 2, 1e-9);
	/* Timestamps wrapping past 2^32 do not disturb it. */
	struct jitter w = {0};
	for (uint32_t i = 0; i < 100; i++)
		jitter_update(&w, 0xfffff000u + i * 160, 0xffffff00u + i * 160);
	NEAR(jitter_ms(&w, 8000), 0, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_outcome_severity),
	        cmocka_unit_test(test_phases_and_statuses),
	        cmocka_unit_test(test_call_results),
	        cmocka_unit_test(test_emodel_reference_points),
	        cmocka_unit_test(test_jitter),
	};
	return cmocka_run_group_tests_name("vocabulary and E-model", tests, NULL, NULL);
}

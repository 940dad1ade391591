/* test_dx_workers.c — the worker rules on the real reports of tests/golden/,
 * edited: a restart is a new session of another process during the run;
 * CPU saturation needs the heartbeats at a quota and jitter on that worker
 * only; the OOM is named from the platform's evidence (the heartbeats'
 * memory cgroup usage climbing to its limit, then the connection lost), and
 * the host section only corroborates it — it never names an OOM by itself,
 * and an OOM it does not corroborate ranks below a plain disconnection.
 * In-process, milliseconds. */
#define _GNU_SOURCE
#include "harness.h"

#include <cJSON.h>

#include "../diagnose/diagnose.h"
#include "../lib/jsonv.h"

#define GOLDEN "tests/golden"

static cJSON *golden(const char *file)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", GOLDEN, file);
	cJSON *j = jv_read_tree(path);
	if (!j)
		fail_msg("%s: missing or not JSON", path);
	return j;
}

/* The top finding's code and score, and whether its evidence says text. */
static void top(const cJSON *rep, char *code, size_t cap, int *score, const char *text, int *says)
{
	cJSON *d = diagnose(rep);
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "findings"), 0);
	const cJSON *s = cJSON_GetObjectItem(first, "score");
	*score = cJSON_IsNumber(s) ? s->valueint : 0;
	snprintf(code, cap, "%s", diagnose_top(d));
	char *ev = cJSON_PrintUnformatted(cJSON_GetObjectItem(first, "evidence"));
	*says = ev && text && strstr(ev, text);
	free(ev);
	cJSON_Delete(d);
}

static cJSON *worker(cJSON *rep, int i)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "workers"), i);
}

/* Every heartbeat of every worker without its memory cgroup's numbers. */
static void drop_cgroup_memory(cJSON *rep)
{
	cJSON *w, *s;
	cJSON_ArrayForEach (w, cJSON_GetObjectItem(rep, "workers"))
		cJSON_ArrayForEach (s, cJSON_GetObjectItem(w, "resources")) {
			cJSON_DeleteItemFromObject(s, "cgroup_usage_kb");
			cJSON_DeleteItemFromObject(s, "cgroup_limit_kb");
		}
}

static void set_host_oom(cJSON *rep, int oom)
{
	cJSON *h = cJSON_GetArrayItem(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "host"), "workers"), 0);
	assert_non_null(h);
	cJSON_ReplaceItemInObject(h, "oom_killed", cJSON_CreateBool(oom));
}

/* Both OOM reports: worker.oom, corroborated by the host and saying so. */
static void test_oom_corroborated(void **state)
{
	static const char *const files[] = {"worker_oom.report.json",
	                                    "worker_oom_fixed_limit.report.json"};
	for (size_t i = 0; i < 2; i++) {
		cJSON *rep = golden(files[i]);
		char code[64];
		int score, says;
		top(rep, code, sizeof(code), &score, "corroborated by the host: OOMKilled", &says);
		cJSON_Delete(rep);
		if (strcmp(code, "worker.oom") || !says)
			fail_msg("%s: %s (%d)%s", files[i], code, score,
			         says ? "" : ", without the host's corroboration");
	}
}

/* Without the host section, the heartbeats alone still name the OOM. */
static void test_oom_without_host(void **state)
{
	cJSON *rep = golden("worker_oom.report.json");
	cJSON_DeleteItemFromObject(rep, "host");
	char code[64];
	int score, says, full;
	top(rep, code, sizeof(code), &score, "memory cgroup's usage climbing", &says);
	cJSON_Delete(rep);
	assert_string_equal(code, "worker.oom");
	assert_true(says);
	rep = golden("worker_oom.report.json");
	top(rep, code, sizeof(code), &full, NULL, &says);
	cJSON_Delete(rep);
	assert_true(score < full); /* the host adds to it, no more */
}

/* The host's OOMKilled alone, with no memory trend in the heartbeats (a
 * worker that reports no cgroup): not enough for an OOM. */
static void test_host_alone_is_not_evidence(void **state)
{
	cJSON *rep = golden("worker_oom.report.json");
	drop_cgroup_memory(rep);
	char code[64];
	int score, says;
	top(rep, code, sizeof(code), &score, NULL, &says);
	cJSON_Delete(rep);
	assert_string_equal(code, "worker.disconnect");
	/* The same for the external kill, with the host edited to say OOM. */
	rep = golden("worker_killed_low_mem.report.json");
	set_host_oom(rep, 1);
	top(rep, code, sizeof(code), &score, NULL, &says);
	cJSON_Delete(rep);
	assert_string_equal(code, "worker.disconnect");
}

/* The host contradicting the trend (not OOM-killed): below a disconnection. */
static void test_host_contradicts(void **state)
{
	cJSON *rep = golden("worker_oom_fixed_limit.report.json");
	set_host_oom(rep, 0);
	char code[64];
	int score, says;
	top(rep, code, sizeof(code), &score, NULL, &says);
	cJSON_Delete(rep);
	assert_string_equal(code, "worker.disconnect");
}

/* The external kill: memory low, a disconnection that says so. */
static void test_kill_at_low_memory(void **state)
{
	cJSON *rep = golden("worker_killed_low_mem.report.json");
	char code[64];
	int score, says;
	top(rep, code, sizeof(code), &score, "not running out of memory", &says);
	cJSON_Delete(rep);
	assert_string_equal(code, "worker.disconnect");
	assert_true(says);
}

/* Memory near its limit but flat, then lost: not the trend of an OOM. And
 * the same climb with no limit (null): nothing to climb towards. */
static void test_no_climb_no_limit(void **state)
{
	cJSON *rep = golden("worker_oom_fixed_limit.report.json");
	cJSON_DeleteItemFromObject(rep, "host");
	cJSON *s, *rs = cJSON_GetObjectItem(worker(rep, 0), "resources");
	const cJSON *last = cJSON_GetArrayItem(rs, cJSON_GetArraySize(rs) - 1);
	double flat = cJSON_GetObjectItem(last, "cgroup_usage_kb")->valuedouble;
	cJSON_ArrayForEach (s, rs)
		cJSON_ReplaceItemInObject(s, "cgroup_usage_kb", cJSON_CreateNumber(flat));
	char code[64];
	int score, says;
	top(rep, code, sizeof(code), &score, NULL, &says);
	assert_string_equal(code, "worker.disconnect");
	cJSON_Delete(rep);
	rep = golden("worker_oom_fixed_limit.report.json");
	cJSON_DeleteItemFromObject(rep, "host");
	rs = cJSON_GetObjectItem(worker(rep, 0), "resources");
	cJSON_ArrayForEach (s, rs)
		cJSON_ReplaceItemInObject(s, "cgroup_limit_kb", cJSON_CreateNull());
	top(rep, code, sizeof(code), &score, NULL, &says);
	cJSON_Delete(rep);
	assert_string_equal(code, "worker.disconnect");
}

/* --- worker.restart ------------------------------------------------------------------ */

/* The gateway's RECONNECTED event of a worker in the report (NULL: none). */
static cJSON *reconnected(cJSON *rep, const char *name)
{
	cJSON *w, *e;
	cJSON_ArrayForEach (w, cJSON_GetObjectItem(rep, "workers")) {
		if (strcmp(cJSON_GetObjectItem(w, "name")->valuestring, name))
			continue;
		cJSON_ArrayForEach (e, cJSON_GetObjectItem(w, "events"))
			if (!strcmp(cJSON_GetObjectItem(e, "kind")->valuestring, "reconnected"))
				return e;
	}
	return NULL;
}

/* Killed and started again during the run: a new session of another
 * process, ranked above the plain disconnection the same loss also fits. */
static void test_restart_new_session(void **state)
{
	cJSON *rep = golden("worker_restart.report.json");
	char code[64];
	int score, says;
	top(rep, code, sizeof(code), &score, "as a new session", &says);
	cJSON_Delete(rep);
	assert_string_equal(code, "worker.restart");
	assert_true(says);
}

/* The same process coming back (a network cut healed): the same pid, not a
 * restart; a disconnection. */
static void test_reconnect_same_process(void **state)
{
	cJSON *rep = golden("worker_restart.report.json");
	cJSON *e = reconnected(rep, "worker1");
	assert_non_null(e);
	cJSON_ReplaceItemInObject(
	        e, "pid", cJSON_CreateNumber(cJSON_GetObjectItem(e, "previous_pid")->valuedouble));
	char code[64];
	int score, says;
	top(rep, code, sizeof(code), &score, NULL, &says);
	cJSON_Delete(rep);
	assert_string_equal(code, "worker.disconnect");
}

/* Back only after the run ended: not evidence of the run's failure. */
static void test_restart_after_run(void **state)
{
	cJSON *rep = golden("worker_restart.report.json");
	cJSON *e = reconnected(rep, "worker1");
	assert_non_null(e);
	cJSON_ReplaceItemInObject(e, "t_ms", cJSON_CreateNumber(1e9));
	char code[64];
	int score, says;
	top(rep, code, sizeof(code), &score, NULL, &says);
	cJSON_Delete(rep);
	assert_string_equal(code, "worker.disconnect");
}

/* --- worker.cpu_saturation ------------------------------------------------------------ */

/* Each heartbeat of a worker, a field set to v (or removed when v < -1). */
static void set_samples(cJSON *rep, int w, const char *field, double v)
{
	cJSON *s;
	cJSON_ArrayForEach (s, cJSON_GetObjectItem(worker(rep, w), "resources")) {
		cJSON_DeleteItemFromObject(s, field);
		if (v >= -1)
			cJSON_AddNumberToObject(s, field, v);
	}
}

static const char *worker_name(cJSON *rep, int w)
{
	return cJSON_GetObjectItem(worker(rep, w), "name")->valuestring;
}

/* Every endpoint on the named worker: received jitter set to ms. */
static void set_jitter(cJSON *rep, const char *name, double ms)
{
	cJSON *e;
	cJSON_ArrayForEach (e, cJSON_GetObjectItem(rep, "endpoints")) {
		cJSON *rx = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "media"), "received");
		if (rx && !strcmp(cJSON_GetObjectItem(e, "worker")->valuestring, name))
			cJSON_ReplaceItemInObject(rx, "jitter_ms", cJSON_CreateNumber(ms));
	}
}

/* The saturated worker: its heartbeats at its quota, its calls jittery,
 * the other worker's clean. */
static int saturated_worker(cJSON *rep)
{
	const cJSON *s = cJSON_GetArrayItem(cJSON_GetObjectItem(worker(rep, 0), "resources"), 1);
	return cJSON_IsNumber(cJSON_GetObjectItem(s, "cpu_limit_pct")) ? 0 : 1;
}

static void test_cpu_saturation(void **state)
{
	cJSON *rep = golden("worker_cpu_saturation.report.json");
	char code[64];
	int score, says;
	top(rep, code, sizeof(code), &score, "against a quota of", &says);
	assert_string_equal(code, "worker.cpu_saturation");
	assert_true(says);
	/* The guide's "jitter and PLC events increase": audio too late for the
	 * jitter buffer, concealed, and the MOS it cost. */
	top(rep, code, sizeof(code), &score, "too late for the jitter buffer", &says);
	cJSON_Delete(rep);
	assert_true(says);
}

/* No quota in its heartbeats (no CPU signature): jitter on one worker is
 * not named a CPU saturation. */
static void test_cpu_no_quota(void **state)
{
	cJSON *rep = golden("worker_cpu_saturation.report.json");
	set_samples(rep, saturated_worker(rep), "cpu_limit_pct", -2);
	char code[64];
	int score, says;
	top(rep, code, sizeof(code), &score, NULL, &says);
	cJSON_Delete(rep);
	assert_string_not_equal(code, "worker.cpu_saturation");
}

/* Its CPU far under its quota: not saturated. */
static void test_cpu_under_quota(void **state)
{
	cJSON *rep = golden("worker_cpu_saturation.report.json");
	int w = saturated_worker(rep);
	set_samples(rep, w, "cpu_pct", 0.1);
	char code[64];
	int score, says;
	top(rep, code, sizeof(code), &score, NULL, &says);
	cJSON_Delete(rep);
	assert_string_not_equal(code, "worker.cpu_saturation");
}

/* Every worker's calls as jittery: the network, not one worker's CPU. */
static void test_cpu_every_worker_jittery(void **state)
{
	cJSON *rep = golden("worker_cpu_saturation.report.json");
	set_jitter(rep, worker_name(rep, 1 - saturated_worker(rep)), 25);
	char code[64];
	int score, says;
	top(rep, code, sizeof(code), &score, NULL, &says);
	cJSON_Delete(rep);
	assert_string_not_equal(code, "worker.cpu_saturation");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_oom_corroborated),
	        cmocka_unit_test(test_oom_without_host),
	        cmocka_unit_test(test_host_alone_is_not_evidence),
	        cmocka_unit_test(test_host_contradicts),
	        cmocka_unit_test(test_kill_at_low_memory),
	        cmocka_unit_test(test_no_climb_no_limit),
	        cmocka_unit_test(test_restart_new_session),
	        cmocka_unit_test(test_reconnect_same_process),
	        cmocka_unit_test(test_restart_after_run),
	        cmocka_unit_test(test_cpu_saturation),
	        cmocka_unit_test(test_cpu_no_quota),
	        cmocka_unit_test(test_cpu_under_quota),
	        cmocka_unit_test(test_cpu_every_worker_jittery),
	};
	return cmocka_run_group_tests_name("worker rules", tests, NULL, NULL);
}

/* test_alloc.c — workers the test cannot have, by real runs. Busy: another
 * tenant's run on the same gateway holds them. Never reaching the platform: a token
 * the gateway refuses, outbound TCP to the gateway dropped on the worker's
 * host, the gateway's name answered NXDOMAIN. Each run must reach pre-flight
 * (not a lab error), its report must list the provisioned worker as never
 * seen (and the refusal when there is one), the worker's own log must show
 * the mechanism acted, and the diagnosis must be alloc.worker_cannot_connect. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include <sys/stat.h>

#include "../diagnose/diagnose.h"
#include "../lib/jsonv.h"
#include "../lib/siplab.h"
#include "../lib/sys.h"

static char workdir[PATH_MAX];

/* The report's worker entries: whether worker1 is listed never seen, and
 * whether some entry carries an event with this cause (NULL: none may). */
static int check_workers(const char *report, const char *cause)
{
	cJSON *rep = jv_read_tree(report);
	CHECK(rep, "no report at %s", report);
	int never_seen = 0, with_cause = 0;
	const cJSON *w, *ev;
	cJSON_ArrayForEach (w, cJSON_GetObjectItemCaseSensitive(rep, "workers")) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(w, "name");
		if (cJSON_IsString(name) && !strcmp(name->valuestring, "worker1") &&
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "never_seen")))
			never_seen = 1;
		cJSON_ArrayForEach (ev, cJSON_GetObjectItemCaseSensitive(w, "events")) {
			const cJSON *c = cJSON_GetObjectItemCaseSensitive(ev, "cause");
			with_cause |= cJSON_IsString(c) && cause && !strcmp(c->valuestring, cause);
		}
	}
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(rep, "run");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(run, "status");
	int cannot = cJSON_IsString(st) && !strcmp(st->valuestring, "CANNOT_RUN_FOR_NOW");
	cJSON_Delete(rep);
	CHECK(cannot, "the run is not CANNOT_RUN_FOR_NOW");
	CHECK(never_seen, "worker1 is not listed as never seen");
	CHECK(!cause || with_cause, "no worker event with cause %s", cause);
	return 0;
}

/* One variant: run its fault alone (no remedy), keep the logs. */
static int run_variant(const char *scenario, const char *tag, const char *cause,
                       const char *log_says)
{
	static char out[65536];
	char report[PATH_MAX], logs[PATH_MAX], log[PATH_MAX], text[4096];
	snprintf(report, sizeof(report), "%s/%s.report.json", workdir, tag);
	snprintf(logs, sizeof(logs), "%s/%s.logs", workdir, tag);
	char *argv[] = {"siplab", "run", (char *)scenario, "--report", report,
	                "--logs", logs,  "--once",         NULL};
	int rc = siplab_capture(argv, out, sizeof(out));
	CHECK(rc != EXIT_ENV, "a lab error, not a pre-flight refusal:\n%s", out);
	CHECK(strstr(out, "diagnose     alloc.worker_cannot_connect"), "diagnosed otherwise:\n%s",
	      out);
	if (check_workers(report, cause))
		return -1;
	/* The worker's side: the mechanism, not a flag, kept it away. */
	snprintf(log, sizeof(log), "%s/worker1.log", logs);
	CHECK(sys_read_tail(log, 20, text, sizeof(text)) == 0, "no worker log at %s", log);
	CHECK(strstr(text, log_says), "worker1's log does not say \"%s\":\n%s", log_says, text);
	return 0;
}

static int body_token(void)
{
	return run_variant("scenarios/alloc_worker_cannot_connect.json", "token", "unknown_token",
	                   "the gateway refused us");
}

static int body_port_blocked(void)
{
	return run_variant("scenarios/alloc_worker_cannot_connect_port_blocked.json", "port", NULL,
	                   "Connection timed out");
}

static int body_dns(void)
{
	return run_variant("scenarios/alloc_worker_cannot_connect_dns.json", "dns", NULL,
	                   "resolving platform.lab");
}

/* Another tenant's run holds the only worker: its endpoints really run
 * (their REGISTERs reach the registrar from the worker's host), and the
 * report shows the worker ONLINE and allocated to that run, with none of its
 * endpoints. */
static int body_workers_busy(void)
{
	static char out[65536];
	char report[PATH_MAX], logs[PATH_MAX], wire[PATH_MAX];
	snprintf(report, sizeof(report), "%s/busy.report.json", workdir);
	snprintf(logs, sizeof(logs), "%s/busy.logs", workdir);
	char *argv[] = {"siplab",   "run",    "scenarios/alloc_workers_busy.json",
	                "--report", report,   "--logs",
	                logs,       "--once", NULL};
	int rc = siplab_capture(argv, out, sizeof(out));
	CHECK(rc != EXIT_ENV, "a lab error:\n%s", out);
	CHECK(strstr(out, "diagnose     alloc.workers_busy"), "diagnosed otherwise:\n%s", out);
	cJSON *rep = jv_read_tree(report);
	CHECK(rep, "no report at %s", report);
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(rep, "run");
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "id"));
	const char *code =
	        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(run, "reason_code"));
	const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "workers"), 0);
	const char *held =
	        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "allocated_to"));
	const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(w, "status"));
	int ok_code = code && !strcmp(code, "workers_busy");
	int ok_held = held && id && strcmp(held, id) && st && !strcmp(st, "ONLINE");
	int n_eps = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rep, "endpoints"));
	cJSON_Delete(rep);
	CHECK(ok_code, "reason_code is not workers_busy");
	CHECK(ok_held, "worker1 is not ONLINE and allocated to another run");
	CHECK(n_eps == 0, "the report has %d endpoints: the other run's are not its own", n_eps);
	/* The other run's endpoints registered for real, from the worker. */
	static char text[1 << 18];
	snprintf(wire, sizeof(wire), "%s/registrar-wire.log", logs);
	CHECK(sys_read_file(wire, text, sizeof(text)) > 0, "no %s", wire);
	CHECK(strstr(text, "recv udp/[10.20.1.2]") && strstr(text, "REGISTER sip:registrar.lab"),
	      "no REGISTER from the worker reached the registrar:\n%.2000s", text);
	return 0;
}

/* --- the rule on hand-built reports: what tells the two apart -------------------- */

/* A pre-flight refusal for no ONLINE worker, with these workers. */
static const char *top_for(const char *workers)
{
	static char code[64];
	char text[2048];
	snprintf(text, sizeof(text),
	         "{\"schema_version\": 2, \"run\": {\"status\": \"CANNOT_RUN_FOR_NOW\", "
	         "\"reason\": \"no ONLINE worker in region \\\"lab\\\"\", "
	         "\"reason_code\": \"no_online_workers\"}, \"endpoints\": [], "
	         "\"workers\": [%s]}",
	         workers);
	cJSON *rep = cJSON_Parse(text);
	assert_non_null(rep);
	cJSON *d = diagnose(rep);
	snprintf(code, sizeof(code), "%s", diagnose_top(d));
	cJSON_Delete(d);
	cJSON_Delete(rep);
	return code;
}

#define NEVER_SEEN                                                                \
	"{\"name\": \"worker1\", \"status\": \"OFFLINE\", \"never_seen\": true, " \
	"\"events\": []}"
#define WENT_AWAY                                                                      \
	"{\"name\": \"worker2\", \"status\": \"OFFLINE\", \"events\": [{\"t_ms\": 1, " \
	"\"kind\": \"online\"}, {\"t_ms\": 2, \"kind\": \"offline\", \"cause\": "      \
	"\"connection_closed\"}]}"
#define REFUSED                                                                         \
	"{\"name\": \"(refused)\", \"status\": \"ERROR\", \"address\": \"10.20.1.2\", " \
	"\"events\": [{\"t_ms\": 1, \"kind\": \"error\", \"cause\": \"unknown_token\"}]}"

static void test_rule_tells_them_apart(void **state)
{
	(void)state;
	/* Never seen, or refused, and none ever ONLINE: cannot connect. */
	assert_string_equal(top_for(NEVER_SEEN), "alloc.worker_cannot_connect");
	assert_string_equal(top_for(REFUSED), "alloc.worker_cannot_connect");
	assert_string_equal(top_for(REFUSED "," NEVER_SEEN), "alloc.worker_cannot_connect");
	/* Workers that were ONLINE and went: no online workers, even beside one
	 * never seen (start the stopped ones first). */
	assert_string_equal(top_for(WENT_AWAY), "alloc.no_online_workers");
	assert_string_equal(top_for(WENT_AWAY "," NEVER_SEEN), "alloc.no_online_workers");
	/* No worker known at all: nothing says the platform was told of one. */
	assert_string_equal(top_for(""), "alloc.no_online_workers");
}

CHILD_TEST(workers_busy)
CHILD_TEST(token)
CHILD_TEST(port_blocked)
CHILD_TEST(dns)

int main(void)
{
	snprintf(workdir, sizeof(workdir), "/tmp/siplab-test-alloc.%d", (int)getpid());
	mkdir(workdir, 0755);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_rule_tells_them_apart), cmocka_unit_test(test_token),
	        cmocka_unit_test(test_port_blocked),          cmocka_unit_test(test_dns),
	        cmocka_unit_test(test_workers_busy),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sys_rm_tree(workdir);
	return rc;
}

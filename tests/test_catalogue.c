/* test_catalogue.c — the product's promise, end to end: `siplab run
 * scenarios/` reproduces each documented failure with real traffic,
 * diagnoses it from the report alone, applies the guide's remedy and proves
 * the run healthy. Then the diagnosis is tried on variants whose evidence
 * differs in detail from the catalogue's (another signature, other counts, a
 * second worker, the reverse mistake), so the rules are about evidence, not
 * about one recorded run. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include <sys/stat.h>

#include "../lib/jsonv.h"
#include "../diagnose/diagnose.h"
#include "../sim/model/scenario.h"

static char workdir[PATH_MAX];

/* Every scenario of the catalogue passes every step. */
static int body_catalogue(void)
{
	static char out[65536];
	char reports[PATH_MAX];
	snprintf(reports, sizeof(reports), "%s/catalogue", workdir);
	char *argv[] = {"siplab", "run", "scenarios/", "--report", reports, NULL};
	int rc = siplab_capture(argv, out, sizeof(out));
	CHECK(rc == 0, "exit %d:\n%s", rc, out);
	CHECK(strstr(out, "13 of 13 scenarios passed"), "%s", out);
	CHECK(logs_clean(reports), "a sanitizer reported");
	static const char *const codes[] = {
	        "reg.rate_limit",          "reg.wrong_transport",    "reg.dns_failure",
	        "media.symmetric_nat",     "media.conntrack_expiry", "worker.oom",
	        "neg.sbc_codec_stripping", "reg.sip_port_blocked",   "reg.bad_credentials",
	        "alloc.no_online_workers", "alloc.endpoint_limit",   "alloc.region_mismatch"};
	for (size_t i = 0; i < sizeof(codes) / sizeof(*codes); i++) {
		char row[128];
		snprintf(row, sizeof(row), "%s", codes[i]);
		const char *line = strstr(out, "\nSCENARIO");
		CHECK(line && strstr(line, row), "no row for %s:\n%s", codes[i], out);
	}
	/* The fault run's report and the remedy run's are both there. */
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/reg_dns_failure.report.json", reports);
	CHECK(stat(path, &st) == 0, "%s missing", path);
	snprintf(path, sizeof(path), "%s/reg_dns_failure.report.remedy.json", reports);
	CHECK(stat(path, &st) == 0, "%s missing", path);
	return 0;
}

/* scenarios/NAME.json with a patch merged in, and a new expectation. */
static int variant(const char *dir, const char *name, const char *from, const char *patch)
{
	char *text = NULL, path[PATH_MAX], src[PATH_MAX];
	err_t e;
	snprintf(src, sizeof(src), "scenarios/%s.json", from);
	if (jv_read_file(src, &text, &e))
		return -1;
	cJSON *s = cJSON_Parse(text), *p = cJSON_Parse(patch);
	free(text);
	if (!s || !p) {
		cJSON_Delete(s);
		cJSON_Delete(p);
		return -1;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(s, "remedy");
	s = json_merge_patch(s, p);
	cJSON_Delete(p);
	char *out = cJSON_Print(s);
	cJSON_Delete(s);
	snprintf(path, sizeof(path), "%s/%s.json", dir, name);
	int rc = sys_write_file(path, out, strlen(out), 1, NULL);
	free(out);
	return rc;
}

/* Each variant carries its expectation: the run ends as the evidence says,
 * and the diagnosis names the same failure. */
static int body_variants(void)
{
	static char out[65536];
	char dir[PATH_MAX], reports[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/variants", workdir);
	snprintf(reports, sizeof(reports), "%s/variant-reports", workdir);
	mkdir(dir, 0755);
	static const struct {
		const char *name, *from, *patch;
	} v[] = {
	        /* Silent drop instead of 503: clients retransmit and time out. */
	        {"rate_drop", "reg_rate_limit",
	         "{\"fault\":{\"params\":{\"per_second\":2,\"mode\":\"drop\"}}}"},
	        /* 429, more endpoints, two workers. */
	        {"rate_429_two_workers", "reg_rate_limit",
	         "{\"platform\":{\"workers\":2},\"groups\":[{\"name\":\"callers\",\"registrar\":"
	         "\"registrar.lab\",\"accounts\":{\"prefix\":\"ep\",\"count\":60,\"password\":"
	         "\"secret\"},\"codecs\":[\"PCMU\"],\"endpoints\":60,\"role\":\"caller\","
	         "\"target\":\"callee-pool\"}],\"fault\":{\"params\":{\"mode\":\"429\"}}}"},
	        /* The reverse mistake: the test uses TLS, the registrar UDP only. */
	        {"transport_reverse", "reg_wrong_transport",
	         "{\"groups\":[{\"name\":\"callers\",\"registrar\":\"registrar.lab\",\"transport\":"
	         "\"tls\",\"accounts\":{\"prefix\":\"ep\",\"count\":10,\"password\":\"secret\"},"
	         "\"codecs\":[\"PCMU\"],\"endpoints\":10,\"role\":\"caller\",\"target\":"
	         "\"callee-pool\"}],\"fault\":{\"params\":{\"registrar_only\":\"udp\"}}}"},
	        /* SERVFAIL instead of NXDOMAIN. */
	        {"dns_servfail", "reg_dns_failure",
	         "{\"fault\":{\"params\":{\"mode\":\"servfail\"}}}"},
	        /* Another codec stripped, fewer calls. */
	        {"strip_pcma", "neg_sbc_codec_stripping",
	         "{\"groups\":[{\"name\":\"callers\",\"registrar\":\"registrar.lab\",\"accounts\":"
	         "{\"prefix\":\"sc\",\"count\":3,\"password\":\"secret\"},\"codecs\":[\"PCMA\"],"
	         "\"endpoints\":3,\"role\":\"caller\",\"target\":\"receivers\"},{\"name\":"
	         "\"receivers\",\"registrar\":\"registrar.lab\",\"accounts\":{\"prefix\":\"sr\","
	         "\"count\":3,\"password\":\"secret\"},\"codecs\":[\"PCMA\",\"PCMU\"],"
	         "\"endpoints\":3,"
	         "\"role\":\"callee\"}],\"fault\":{\"params\":{\"strip\":\"PCMA\"}},\"expect\":"
	         "{\"outcomes\":{\"NEGOTIATION_FAILED\":{\"min\":3}}}}"},
	        /* Two workers, only the loaded one dies. */
	        {"oom_second_worker", "worker_oom",
	         "{\"platform\":{\"workers\":2,\"worker_regions\":[\"busy\",\"idle\"]},\"region\":"
	         "\"busy\"}"},
	        /* A shorter timeout: the same evidence. */
	        {"conntrack_short", "media_conntrack_expiry",
	         "{\"fault\":{\"params\":{\"timeout_s\":20}}}"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
		CHECK(!variant(dir, v[i].name, v[i].from, v[i].patch), "variant %s", v[i].name);
	char *argv[] = {"siplab", "run", dir, "--report", reports, "--jobs", "4", NULL};
	int rc = siplab_capture(argv, out, sizeof(out));
	CHECK(rc == 0, "exit %d:\n%s", rc, out);
	CHECK(strstr(out, "7 of 7 scenarios passed"), "%s", out);
	CHECK(logs_clean(reports), "a sanitizer reported");
	/* The second worker was never touched: the diagnosis names the first. */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/oom_second_worker.report.json", reports);
	cJSON *rep = jv_read_tree(path);
	CHECK(rep, "cannot read %s", path);
	cJSON *d = diagnose(rep);
	char *dj = cJSON_PrintUnformatted(d);
	int names_worker1 = strstr(dj, "worker1's process was killed") != NULL;
	int blames_worker2 = strstr(dj, "worker2's process") != NULL;
	free(dj);
	cJSON_Delete(d);
	cJSON_Delete(rep);
	CHECK(names_worker1 && !blames_worker2, "the OOM evidence names the wrong worker");
	/* The same through the command a person runs, as JSON. */
	char *dx[] = {"siplab", "diagnose", path, "--json", NULL};
	int drc = siplab_capture(dx, out, sizeof(out));
	cJSON *dj2 = cJSON_Parse(out);
	const cJSON *top = cJSON_GetArrayItem(cJSON_GetObjectItem(dj2, "findings"), 0);
	const cJSON *code = cJSON_GetObjectItem(top, "code");
	int ok = drc == 0 && cJSON_IsString(code) && !strcmp(code->valuestring, "worker.oom") &&
	         cJSON_GetArraySize(cJSON_GetObjectItem(top, "evidence")) > 0;
	cJSON_Delete(dj2);
	CHECK(ok, "siplab diagnose --json (exit %d):\n%.2000s", drc, out);
	return 0;
}

CHILD_TEST(catalogue)
CHILD_TEST(variants)

int main(void)
{
	snprintf(workdir, sizeof(workdir), "/tmp/siplab-test-catalogue.%d", (int)getpid());
	mkdir(workdir, 0755);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_catalogue),
	        cmocka_unit_test(test_variants),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sys_rm_tree(workdir);
	return rc;
}

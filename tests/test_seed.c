/* test_seed.c — a run's seed, through `siplab run` in a real lab: no two
 * RTP streams of a 300-endpoint run over three workers share an SSRC; the
 * same scenario and seed give the same SSRCs (ours and the callee pool's),
 * Call-IDs and From tags; another seed gives other ones; and the report
 * records the seed it ran with. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include <sys/stat.h>

#include "../lib/jsonv.h"
#include "../lib/rng.h"

static char workdir[PATH_MAX];

/* Run the scenario text with --seed (NULL: none) and read its report. */
static cJSON *run_with_seed(const char *name, const char *scenario, const char *seed, char *out,
                            size_t cap)
{
	char file[PATH_MAX], report[PATH_MAX];
	snprintf(file, sizeof(file), "%s/%s.json", workdir, name);
	snprintf(report, sizeof(report), "%s/%s.report.json", workdir, name);
	if (sys_write_file(file, scenario, strlen(scenario), 1, NULL))
		return NULL;
	char *with[] = {"siplab", "run", file, "--report", report, "--seed", (char *)seed, NULL};
	char *without[] = {"siplab", "run", file, "--report", report, NULL};
	int rc = siplab_capture(seed ? with : without, out, cap);
	return rc == 0 || rc == 1 ? jv_read_tree(report) : NULL;
}

static const cJSON *member(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
	return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

static double num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = member(o, a, b);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* The first traced request line's message, from the trace: its Call-ID and
 * From header, as text ("" when there is none). */
static void traced_ids(const cJSON *ep, const char *method, char *out, size_t cap)
{
	const cJSON *t;
	out[0] = '\0';
	cJSON_ArrayForEach (t, member(ep, "trace", NULL)) {
		const cJSON *first = member(t, "first_line", NULL), *text = member(t, "text", NULL);
		if (!cJSON_IsString(first) || !cJSON_IsString(text) ||
		    strncmp(first->valuestring, method, strlen(method)))
			continue;
		const char *cid = strstr(text->valuestring, "\nCall-ID:");
		const char *from = strstr(text->valuestring, "\nFrom:");
		snprintf(out, cap, "%.*s|%.*s", cid ? (int)strcspn(cid + 1, "\r\n") : 0,
		         cid ? cid + 1 : "", from ? (int)strcspn(from + 1, "\r\n") : 0,
		         from ? from + 1 : "");
		return;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* 140 callers to 140 callees and 20 to the callee pool, over three workers,
 * with short calls: every stream's SSRC (ours, and the peer's as received)
 * is different from every other's. Before the seed, every worker drew the
 * same SSRCs from libc's unseeded random(). */
static int body_ssrcs_unique(void)
{
	static const char scenario[] =
	        "{\"name\":\"ssrc-300\",\"time_scale\":0.1,\"buildup_s\":20,\"call_duration_s\":10,"
	        "\"platform\":{\"workers\":3},\"groups\":["
	        "{\"name\":\"callers\",\"registrar\":\"registrar.lab\",\"accounts\":{\"prefix\":"
	        "\"a\",\"count\":140,\"password\":\"pa\"},\"codecs\":[\"PCMU\"],\"endpoints\":140,"
	        "\"role\":\"caller\",\"target\":\"receivers\"},"
	        "{\"name\":\"receivers\",\"registrar\":\"registrar.lab\",\"accounts\":{\"prefix\":"
	        "\"b\",\"count\":140,\"password\":\"pb\"},\"codecs\":[\"PCMU\"],\"endpoints\":140,"
	        "\"role\":\"callee\"},"
	        "{\"name\":\"pool\",\"registrar\":\"registrar.lab\",\"accounts\":{\"prefix\":"
	        "\"c\",\"count\":20,\"password\":\"pc\"},\"codecs\":[\"PCMU\"],\"endpoints\":20,"
	        "\"role\":\"caller\",\"target\":\"callee-pool\"}]}";
	static char out[65536];
	cJSON *rep = run_with_seed("ssrc-300", scenario, "4242", out, sizeof(out));
	CHECK(rep, "no report; output:\n%s", out);
	CHECK(num(rep, "seed", NULL) == 4242, "report seed %.0f", num(rep, "seed", NULL));
	static uint32_t ssrc[600];
	int n = 0, eps = 0, pool_peers = 0;
	const cJSON *ep;
	cJSON_ArrayForEach (ep, member(rep, "endpoints", NULL)) {
		eps++;
		const cJSON *m = member(ep, "media", NULL);
		if (num(m, "ssrc", NULL) < 0)
			continue;
		ssrc[n++] = (uint32_t)num(m, "ssrc", NULL);
		/* The callee pool's streams are seen only from our side. */
		const cJSON *g = member(ep, "group", NULL);
		if (cJSON_IsString(g) && !strcmp(g->valuestring, "pool") &&
		    num(m, "peer_ssrc", NULL) > 0) {
			ssrc[n++] = (uint32_t)num(m, "peer_ssrc", NULL);
			pool_peers++;
		}
	}
	cJSON_Delete(rep);
	CHECK(eps == 300, "%d endpoints in the report", eps);
	/* A loaded machine may lose a few calls; the SSRCs of the rest count. */
	CHECK(n >= 250 && pool_peers >= 10, "only %d streams (%d from the pool) ran:\n%s", n,
	      pool_peers, out);
	qsort(ssrc, (size_t)n, sizeof(*ssrc), cmp_u32);
	for (int i = 1; i < n; i++)
		CHECK(ssrc[i] != ssrc[i - 1], "SSRC %u used twice among %d streams", ssrc[i], n);
	return 0;
}

/* What the seed decides, per endpoint, as one line each. */
static int seeded_facts(const cJSON *rep, char facts[][200], int cap)
{
	int n = 0;
	const cJSON *ep;
	cJSON_ArrayForEach (ep, member(rep, "endpoints", NULL)) {
		if (n == cap)
			break;
		const cJSON *m = member(ep, "media", NULL);
		char reg[96], inv[96];
		traced_ids(ep, "REGISTER", reg, sizeof(reg));
		traced_ids(ep, "INVITE", inv, sizeof(inv));
		snprintf(facts[n++], 200, "ssrc %.0f peer %.0f %s %s", num(m, "ssrc", NULL),
		         num(m, "peer_ssrc", NULL), reg, inv);
	}
	return n;
}

static char healthy[8192];

static int body_same_seed_same_numbers(void)
{
	char *text = NULL;
	err_t e;
	CHECK(!jv_read_file("scenarios/healthy.json", &text, &e), "%s", e.msg);
	snprintf(healthy, sizeof(healthy), "%s", text);
	free(text);
	static char out[3][16384];
	static char facts[3][25][200];
	cJSON *a = run_with_seed("seed-a", healthy, "777", out[0], sizeof(out[0]));
	cJSON *b = run_with_seed("seed-b", healthy, "777", out[1], sizeof(out[1]));
	cJSON *c = run_with_seed("seed-c", healthy, "778", out[2], sizeof(out[2]));
	CHECK(a && b && c, "a run gave no report:\n%s\n%s\n%s", out[0], out[1], out[2]);
	CHECK(strstr(out[0], ", seed 777\n"), "the header does not say the seed:\n%s", out[0]);
	int na = seeded_facts(a, facts[0], 25), nb = seeded_facts(b, facts[1], 25),
	    nc = seeded_facts(c, facts[2], 25);
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
	CHECK(na == 25 && nb == 25 && nc == 25, "%d, %d and %d endpoints", na, nb, nc);
	int differ = 0;
	for (int i = 0; i < 25; i++) {
		CHECK(strstr(facts[0][i], "ssrc -1") == NULL, "endpoint %d has no stream: %s", i,
		      facts[0][i]);
		CHECK(strstr(facts[0][i], "Call-ID:"), "endpoint %d: no traced REGISTER: %s", i,
		      facts[0][i]);
		CHECK(!strcmp(facts[0][i], facts[1][i]),
		      "endpoint %d, seed 777 twice:\n      %s\n      %s", i, facts[0][i],
		      facts[1][i]);
		differ += strcmp(facts[0][i], facts[2][i]) != 0;
	}
	CHECK(differ == 25, "seeds 777 and 778 agree on %d endpoints", 25 - differ);
	return 0;
}

/* No seed given: a fresh one, said in the header and kept in the report. */
static int body_fresh_seed_recorded(void)
{
	static char out[16384];
	static const char scenario[] =
	        "{\"name\":\"one\",\"time_scale\":0.1,\"buildup_s\":1,\"call_duration_s\":5,"
	        "\"groups\":[{\"registrar\":\"registrar.lab\",\"accounts\":{\"prefix\":\"pc\","
	        "\"count\":1,\"password\":\"pc-pw\"},\"codecs\":[\"PCMU\"],\"endpoints\":1,"
	        "\"role\":\"caller\",\"target\":\"callee-pool\"}]}";
	cJSON *rep = run_with_seed("fresh", scenario, NULL, out, sizeof(out));
	CHECK(rep, "no report; output:\n%s", out);
	double seed = num(rep, "seed", NULL);
	cJSON_Delete(rep);
	char said[64];
	snprintf(said, sizeof(said), ", seed %.0f\n", seed);
	CHECK(seed >= 0 && strstr(out, said), "report seed %.0f, output:\n%s", seed, out);
	return 0;
}

CHILD_TEST(ssrcs_unique)
CHILD_TEST(same_seed_same_numbers)
CHILD_TEST(fresh_seed_recorded)

/* Any seed a run can have survives the report's JSON exactly (a 16-digit
 * one came back one off: cJSON prints 15 digits when they read back close). */
static void test_seed_survives_json(void **state)
{
	(void)state;
	uint64_t seeds[1002] = {RNG_SEED_MAX, RNG_SEED_MAX - 1};
	for (int i = 2; i < 1002; i++)
		seeds[i] = rng_fresh_seed();
	for (int i = 0; i < 1002; i++) {
		assert_true(seeds[i] <= RNG_SEED_MAX);
		cJSON *n = cJSON_CreateNumber((double)seeds[i]);
		char *text = cJSON_PrintUnformatted(n);
		cJSON *back = cJSON_Parse(text);
		if ((uint64_t)back->valuedouble != seeds[i])
			fail_msg("seed %llu came back as %s", (unsigned long long)seeds[i], text);
		cJSON_Delete(back);
		free(text);
		cJSON_Delete(n);
	}
}

int main(void)
{
	snprintf(workdir, sizeof(workdir), "/tmp/siplab-test-seed.%d", (int)getpid());
	mkdir(workdir, 0755);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_seed_survives_json),
	        cmocka_unit_test(test_ssrcs_unique),
	        cmocka_unit_test(test_same_seed_same_numbers),
	        cmocka_unit_test(test_fresh_seed_recorded),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sys_rm_tree(workdir);
	return rc;
}

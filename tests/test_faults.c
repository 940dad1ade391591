/* test_faults.c — the fault catalogue checks itself, in milliseconds and
 * without a lab: every fault has a scenario that injects it and a rule that
 * can name it, every code a scenario expects exists; a fault's parameters
 * are typed (1000000 and 0.5 are values; ranges, choices and list lengths
 * are refused with the field named); a fault refuses a far side it cannot
 * act on; and the lab-edit API finds hosts by role, keeps each call to its
 * hook, and builds what the faults asked for. */
#define _GNU_SOURCE
#include "harness.h"

#include <cJSON.h>
#include <errno.h>
#include <limits.h>

#include "../diagnose/diagnose.h"
#include "../faults/fault.h"
#include "../lib/jsonv.h"
#include "../sim/model/scenario.h"
#include "../sim/run/edits.h"
#include "../sim/run/labfile.h"
#include "../netns/topo.h"

/* --- the catalogue crossed with the rules and scenarios/ ---------------------------- */

static int rule_exists(const char *code)
{
	if (!strcmp(code, "healthy"))
		return 1;
	for (int s = 0; dx_sections[s]; s++)
		for (const struct dx_rule *r = dx_sections[s]; r->code; r++)
			if (!strcmp(r->code, code))
				return 1;
	return 0;
}

/* Each scenario file: its fault's code, and every code its expectations name. */
struct scn_file {
	char name[64];
	char faults[SCN_MAX_FAULTS][48];
	int n_faults;
	char codes[8][48];
	int n_codes;
	/* The codes a run must name as they are (no known_gap): what it exercises. */
	char firm[8][48];
	int n_firm;
};

/* Every code of "diagnosis" (a code, a list, or {"ranked": [...]}) and
 * "diagnosis_today"; firm ones (no known_gap) also to firm. */
static void expected_codes(const cJSON *expect, struct scn_file *f)
{
	static const char *const keys[] = {"diagnosis", "diagnosis_today", NULL};
	int firm = !cJSON_GetObjectItemCaseSensitive(expect, "known_gap");
	for (int k = 0; keys[k]; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(expect, keys[k]), *it;
		const cJSON *list = cJSON_IsObject(v) ? cJSON_GetObjectItem(v, "ranked") : v;
		if (cJSON_IsString(v))
			list = NULL;
		for (int i = 0; cJSON_IsString(v) ? i < 1 : i < cJSON_GetArraySize(list); i++) {
			it = cJSON_IsString(v) ? v : cJSON_GetArrayItem(list, i);
			if (f->n_codes < 8)
				snprintf(f->codes[f->n_codes++], sizeof(f->codes[0]), "%s",
				         it->valuestring);
			if (firm && k == 0 && f->n_firm < 8)
				snprintf(f->firm[f->n_firm++], sizeof(f->firm[0]), "%s",
				         it->valuestring);
		}
	}
}

static int read_scenarios(struct scn_file *out, int cap)
{
	int n = 0;
	DIR *d = opendir("scenarios");
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) && n < cap) {
		size_t len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
			continue;
		char path[PATH_MAX], *text = NULL;
		snprintf(path, sizeof(path), "scenarios/%s", de->d_name);
		struct scenario *s = malloc(sizeof(*s));
		err_t e;
		assert_non_null(s);
		if (scenario_load(path, s, &e))
			fail_msg("%s", e.msg);
		struct scn_file *f = &out[n++];
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", de->d_name);
		for (int k = 0; k < s->n_faults; k++)
			snprintf(f->faults[f->n_faults++], sizeof(f->faults[0]), "%s",
			         s->faults[k].code);
		free(s);
		assert_int_equal(jv_read_file(path, &text, &e), 0);
		cJSON *root = cJSON_Parse(text);
		free(text);
		expected_codes(cJSON_GetObjectItemCaseSensitive(root, "expect"), f);
		const cJSON *remedy = cJSON_GetObjectItemCaseSensitive(root, "remedy");
		expected_codes(cJSON_GetObjectItemCaseSensitive(remedy, "expect"), f);
		cJSON_Delete(root);
	}
	closedir(d);
	return n;
}

static void test_catalogue_crossed(void **state)
{
	(void)state;
	static struct scn_file files[128];
	int n = read_scenarios(files, 128);
	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < files[i].n_codes; k++)
			if (!rule_exists(files[i].codes[k]))
				fail_msg("%s expects %s: no rule has that code", files[i].name,
				         files[i].codes[k]);
	for (int i = 0; fault_catalogue[i]; i++) {
		const struct fault *f = fault_catalogue[i];
		struct fault_args a;
		err_t e;
		if (fault_defaults(f, &a, &e))
			fail_msg("%s: its defaults are refused: %s", f->code, e.msg);
		if (!rule_exists(f->code))
			fail_msg("fault %s: no diagnosis rule can name it", f->code);
		if (!f->shape && !f->topology && !f->far_side && !f->run_start)
			fail_msg("fault %s: no hook, so no mechanism", f->code);
		int scenario = 0;
		for (int k = 0; k < n; k++)
			for (int j = 0; j < files[k].n_faults; j++)
				scenario |= !strcmp(files[k].faults[j], f->code);
		if (!scenario)
			fail_msg("fault %s: no scenario in scenarios/ injects it", f->code);
	}
}

/* The rules no scenario exercises yet, each with the reason (README.md,
 * "Adding a documented failure", holds the same list), ended by a NULL
 * code. Keep it short: a code leaves it when a scenario in scenarios/
 * expects it. Empty today: every rule has its real run. */
static const struct {
	const char *code, *why;
} no_real_run[] = {
        {NULL, NULL},
};

static const char *no_run_reason(const char *code)
{
	for (size_t i = 0; no_real_run[i].code; i++)
		if (!strcmp(no_real_run[i].code, code))
			return no_real_run[i].why;
	return NULL;
}

/* Every rule is named by a real run: some scenario in scenarios/ expects
 * its code (not under a known_gap), except the few listed above. */
static void test_every_rule_has_a_run(void **state)
{
	(void)state;
	static struct scn_file files[128];
	int n = read_scenarios(files, 128), missing = 0;
	for (int s = 0; dx_sections[s]; s++)
		for (const struct dx_rule *r = dx_sections[s]; r->code; r++) {
			const char *by = NULL;
			for (int i = 0; i < n && !by; i++)
				for (int k = 0; k < files[i].n_firm && !by; k++)
					by = strcmp(files[i].firm[k], r->code) ? NULL
					                                       : files[i].name;
			const char *why = no_run_reason(r->code);
			if (by && why) {
				/* The list stays honest: a code that got its run leaves it. */
				print_error("%s: %s expects it now; take it off the no-real-run "
				            "list\n",
				            r->code, by);
				missing++;
			} else if (!by && why)
				print_message("no real run yet: %s — %s\n", r->code, why);
			else if (!by) {
				print_error("%s: no scenario in scenarios/ expects it, and it is "
				            "not on "
				            "the no-real-run list\n",
				            r->code);
				missing++;
			}
		}
	for (size_t i = 0; no_real_run[i].code; i++)
		if (!rule_exists(no_real_run[i].code))
			fail_msg("the no-real-run list names %s: no rule has that code",
			         no_real_run[i].code);
	if (missing)
		fail_msg("%d rule(s) never exercised by a real run", missing);
}

/* --- typed parameters ------------------------------------------------------------ */

/* Read parameter `name` of fault `code` from JSON text; the error in e. */
static int read_param(const char *code, const char *name, const char *json, struct fault_value *v,
                      err_t *e)
{
	const struct fault *f = fault_find(code);
	assert_non_null(f);
	int i = fault_param_index(f, name);
	assert_true(i >= 0);
	cJSON *j = cJSON_Parse(json);
	assert_non_null(j);
	int rc = fault_param_read(f, i, j, v, e);
	cJSON_Delete(j);
	return rc;
}

static void refused(const char *code, const char *name, const char *json, const char *words)
{
	struct fault_value v;
	err_t e;
	assert_int_equal(read_param(code, name, json, &v, &e), -EINVAL);
	if (!strstr(e.msg, words) || !strstr(e.msg, name) || !strstr(e.msg, code))
		fail_msg("%s %s=%s: the error does not say \"%s\": %s", code, name, json, words,
		         e.msg);
}

static void test_params_typed(void **state)
{
	(void)state;
	struct fault_value v;
	err_t e;
	/* Numbers are numbers: no round trip through "%g" text. */
	assert_int_equal(read_param("reg.rate_limit", "per_second", "1000000", &v, &e), 0);
	assert_true(v.num == 1000000);
	assert_int_equal(read_param("reg.rate_limit", "per_second", "\"1e6\"", &v, &e), 0);
	assert_true(v.num == 1000000);
	assert_int_equal(read_param("worker.oom", "headroom_mb", "0.5", &v, &e), 0);
	assert_true(v.num == 0.5);
	refused("reg.rate_limit", "per_second", "0.5", "a whole number");
	refused("reg.rate_limit", "per_second", "2000000", "1 to 1e+06");
	refused("reg.rate_limit", "per_second", "\"ten\"", "a whole number");
	refused("media.conntrack_expiry", "timeout_s", "0", "seconds of scenario time");
	/* Words from their choices, in the catalogue's spelling. */
	assert_int_equal(read_param("reg.wrong_transport", "registrar_only", "\"UDP\"", &v, &e), 0);
	assert_string_equal(v.text, "udp");
	refused("reg.rate_limit", "mode", "\"504\"", "one of 503, drop, 403, 429");
	refused("reg.dns_failure", "name", "\"bad name!\"", "a name");
	/* Lists: an array or words with commas; their length and items checked. */
	assert_int_equal(
	        read_param("neg.sbc_codec_stripping", "strip", "[\"pcma\", \"G722\"]", &v, &e), 0);
	assert_int_equal(v.n_items, 2);
	assert_string_equal(v.items[0], "PCMA");
	assert_int_equal(read_param("neg.sbc_codec_stripping", "strip", "\"opus, PCMU\"", &v, &e),
	                 0);
	assert_int_equal(v.n_items, 2);
	refused("neg.sbc_codec_stripping", "strip", "\"AMR\"", "of PCMU, PCMA, G722, opus");
	refused("neg.sbc_codec_stripping", "strip", "[]", "1 to 8");
	refused("neg.sbc_codec_stripping", "strip",
	        "[\"PCMU\",\"PCMA\",\"G722\",\"opus\",\"PCMU\",\"PCMA\",\"G722\",\"opus\","
	        "\"PCMU\"]",
	        "1 to 8");
}

/* --- scenarios with faults ------------------------------------------------------------ */

/* scenarios/healthy.json with `patch` merged in, parsed. */
static int healthy_with(const char *patch, struct scenario *s, err_t *e)
{
	char *text = NULL;
	assert_int_equal(jv_read_file("scenarios/healthy.json", &text, e), 0);
	cJSON *root = cJSON_Parse(text), *p = cJSON_Parse(patch);
	free(text);
	assert_non_null(p);
	root = json_merge_patch(root, p);
	cJSON_Delete(p);
	text = cJSON_Print(root);
	cJSON_Delete(root);
	int rc = scenario_parse(text, "healthy+patch", s, e);
	free(text);
	return rc;
}

static void test_needs_refuse_kamailio(void **state)
{
	(void)state;
	static struct scenario s;
	err_t e;
	int rc = healthy_with("{\"far_side\":{\"registrar\":\"kamailio\"},"
	                      "\"fault\":{\"code\":\"reg.rate_limit\"}}",
	                      &s, &e);
	assert_int_equal(rc, -ENOTSUP);
	assert_non_null(strstr(e.msg, "reg.rate_limit acts on siplab's registrar"));
	assert_non_null(strstr(e.msg, "kamailio"));
	/* A fault on the network is fine with either registrar. */
	assert_int_equal(healthy_with("{\"far_side\":{\"registrar\":\"kamailio\"},"
	                              "\"fault\":{\"code\":\"reg.sip_port_blocked\"}}",
	                              &s, &e),
	                 0);
	/* A parameter error names the field. */
	rc = healthy_with("{\"fault\":{\"code\":\"reg.rate_limit\",\"params\":{\"per_second\":0}}}",
	                  &s, &e);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(e.msg, "fault.params.per_second"));
	/* What goes into a Kamailio regex or a digest file is checked too. */
	rc = healthy_with("{\"far_side\":{\"callees\":{\"prefix\":\"c[0-9]\"}}}", &s, &e);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(e.msg, "far_side.callees.prefix"));
}

#define STR_(x) #x
#define STR(x)  STR_(x)

/* --- the lab-edit API ------------------------------------------------------------------ */

struct edited {
	struct scenario s;
	struct labfile lf;
	struct lab_edit le;
	cJSON *topo;
};

static void edit(struct edited *x, const char *patch)
{
	err_t e;
	char *json = NULL;
	if (healthy_with(patch, &x->s, &e))
		fail_msg("%s", e.msg);
	labfile_init(&x->lf, &x->s, "healthy+patch", "{}");
	edits_init(&x->le, &x->s, &x->lf, 1);
	if (edits_topology(&x->le, &json, &e))
		fail_msg("%s", e.msg);
	x->topo = cJSON_Parse(json);
	free(json);
	assert_non_null(x->topo);
}

static void edited_free(struct edited *x)
{
	cJSON_Delete(x->topo);
	edits_free(&x->le);
	labfile_free(&x->lf);
}

static const cJSON *host(const cJSON *topo, const char *name)
{
	const cJSON *h;
	cJSON_ArrayForEach (h, cJSON_GetObjectItemCaseSensitive(topo, "hosts"))
		if (!strcmp(cJSON_GetObjectItemCaseSensitive(h, "name")->valuestring, name))
			return h;
	return NULL;
}

static char *nft_of(const cJSON *topo, const char *name)
{
	return cJSON_PrintUnformatted(
	        cJSON_GetObjectItemCaseSensitive(host(topo, name), "nftables"));
}

static void test_edits_by_role(void **state)
{
	(void)state;
	static struct edited x;
	char buf[256];
	err_t e;
	/* The registrar's firewall names the workers' networks, found by role. */
	edit(&x, "{\"fault\":{\"code\":\"reg.sip_port_blocked\"}}");
	char *nft = nft_of(x.topo, "registrar");
	assert_non_null(strstr(nft, "ip saddr { 10.20.1.0/24, 10.20.2.0/24 } th dport"));
	free(nft);
	assert_null(host(x.topo, "nat"));
	edited_free(&x);
	/* As many workers as a scenario may have: every network in the set. */
	edit(&x, "{\"platform\":{\"workers\":" STR(
	                 SCN_MAX_WORKERS) "},"
	                                  "\"fault\":{\"code\":\"reg.sip_port_blocked\"}}");
	nft = nft_of(x.topo, "registrar");
	assert_non_null(strstr(nft, "10.20." STR(SCN_MAX_WORKERS) ".0/24 } th dport"));
	free(nft);
	edited_free(&x);
	/* Behind the symmetric NAT, the far side sees the NAT router's address. */
	edit(&x, "{\"fault\":{\"code\":\"media.symmetric_nat\"}}");
	nft = nft_of(x.topo, "nat");
	assert_non_null(strstr(nft, "masquerade random,fully-random;"));
	free(nft);
	assert_int_equal(le_sources(&x.le, "worker", buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "{ 10.10.9.2 }");
	edited_free(&x);
	/* The conntrack guard: the first worker's network, on the router. */
	edit(&x, "{\"fault\":{\"code\":\"media.conntrack_expiry\",\"params\":{\"timeout_s\":25}}}");
	nft = nft_of(x.topo, "core");
	assert_non_null(strstr(nft, "ip daddr 10.20.1.0/24 ct state established,related accept"));
	free(nft);
	const cJSON *sys = cJSON_GetObjectItemCaseSensitive(host(x.topo, "core"), "sysctls");
	/* 25 s at the scenario's time scale of 0.1, rounded up. */
	assert_int_equal(
	        cJSON_GetObjectItemCaseSensitive(sys, "net.netfilter.nf_conntrack_udp_timeout")
	                ->valueint,
	        3);
	edited_free(&x);
}

/* A host added by a fault gets its own network off the router, and the
 * lab is built from what the faults left: the topology still parses. */
static void test_edits_add_host(void **state)
{
	(void)state;
	static struct edited x;
	char buf[64];
	err_t e;
	struct topo *t = NULL;
	/* 25 workers: the core router's interfaces go up to eth35 */
	edit(&x, "{\"platform\":{\"workers\":25}}");
	x.le.phase = LE_TOPOLOGY; /* as a topology hook would see it */
	assert_int_equal(le_add_host(&x.le, "impair", "host", &e), 0);
	assert_int_equal(le_add_host(&x.le, "impair", "host", &e), -EEXIST);
	assert_int_equal(le_host_addr(&x.le, "impair", buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "10.10.30.2");
	const char *names[2];
	assert_int_equal(le_hosts(&x.le, "host", names, 2), 1);
	char *json = cJSON_Print(x.le.topo);
	if (topo_parse(json, "edited", &t, &e))
		fail_msg("%s", e.msg);
	assert_true(topo_host_index(t, "impair") >= 0);
	topo_free(t);
	free(json);
	edited_free(&x);
}

static void test_edits_keep_their_phase(void **state)
{
	(void)state;
	static struct edited x;
	err_t e;
	edit(&x, "{}");
	/* After the topology: no NAT any more, no far-side configuration yet. */
	assert_int_equal(le_nat(&x.le, "", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "le_nat is for the shape hook"));
	assert_null(le_config(&x.le, "registrar", &e));
	assert_non_null(strstr(e.msg, "le_config is for the far_side hook"));
	assert_int_equal(le_worker_memory_limit(&x.le, 0, 1 << 20, &e), -EINVAL);
	assert_int_equal(le_host_net(&x.le, "nosuchhost", (char[64]){0}, 64, &e), -ENOENT);
	edited_free(&x);
}

/* The far side's configuration as the faults leave it. */
static void test_edits_far_side(void **state)
{
	(void)state;
	static struct edited x;
	err_t e;
	edit(&x, "{\"fault\":{\"code\":\"reg.rate_limit\",\"params\":{\"per_second\":7,"
	         "\"mode\":\"drop\"}}}");
	cJSON *reg =
	        cJSON_Parse("{\"transports\":[\"udp\"],\"account_pool\":[{\"prefix\":\"callee\","
	                    "\"password\":\"c\"},{\"prefix\":\"caller\",\"password\":\"p\"}]}");
	cJSON *dns = cJSON_Parse("{\"faults\":[]}");
	assert_int_equal(edits_far_side(&x.le, reg, dns, NULL, &e), 0);
	const cJSON *rl = cJSON_GetObjectItemCaseSensitive(reg, "rate_limit");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(rl, "per_second")->valueint, 7);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(rl, "mode")->valuestring, "drop");
	/* One second of scenario time at scale 0.1. */
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(rl, "window_ms")->valueint, 100);
	char *exempt = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(rl, "exempt"));
	assert_string_equal(exempt, "[\"10.10.3.2\"]");
	free(exempt);
	edited_free(&x);
	/* Wrong passwords for the test's accounts, not for the far side's own. */
	edit(&x, "{\"fault\":{\"code\":\"reg.bad_credentials\"}}");
	assert_int_equal(edits_far_side(&x.le, reg, dns, NULL, &e), 0);
	const cJSON *pools = cJSON_GetObjectItemCaseSensitive(reg, "account_pool");
	assert_string_equal(
	        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(pools, 0), "password")
	                ->valuestring,
	        "c");
	assert_string_equal(
	        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(pools, 1), "password")
	                ->valuestring,
	        "not-the-tests");
	edited_free(&x);
	/* A DNS failure is one more answer in the DNS server's faults. */
	edit(&x, "{\"fault\":{\"code\":\"reg.dns_failure\",\"params\":{\"mode\":\"servfail\"}}}");
	assert_int_equal(edits_far_side(&x.le, NULL, dns, NULL, &e), 0);
	char *faults = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(dns, "faults"));
	assert_string_equal(faults, "[{\"name\":\"registrar.lab\",\"mode\":\"servfail\"}]");
	free(faults);
	/* Offline callees: the callee pool's own configuration, within its size. */
	edited_free(&x);
	edit(&x, "{\"fault\":{\"code\":\"call.callee_offline\",\"params\":{\"offline\":3}}}");
	cJSON *pool = cJSON_Parse("{\"prefix\":\"callee\",\"count\":4}");
	assert_int_equal(edits_far_side(&x.le, reg, dns, pool, &e), 0);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(pool, "offline")->valueint, 3);
	cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(pool, "count"), 2);
	assert_int_not_equal(edits_far_side(&x.le, reg, dns, pool, &e), 0);
	assert_non_null(strstr(e.msg, "the callee pool has 2 members"));
	cJSON_Delete(pool);
	/* No group dials the callee pool: it has no configuration to edit. */
	assert_int_not_equal(edits_far_side(&x.le, reg, dns, NULL, &e), 0);
	assert_non_null(strstr(e.msg, "no callees configuration"));
	/* Without siplab's registrar, a fault that needs it gets a clear error. */
	edited_free(&x);
	edit(&x, "{\"fault\":{\"code\":\"reg.wrong_transport\"}}");
	assert_int_not_equal(edits_far_side(&x.le, NULL, dns, NULL, &e), 0);
	assert_non_null(strstr(e.msg, "no registrar configuration"));
	edited_free(&x);
	cJSON_Delete(reg);
	cJSON_Delete(dns);
}

/* Timed actions fire once, when their time has come, in the run phase only. */
static int fired;
static int count_fired(struct lab_edit *le, const void *arg, err_t *e)
{
	(void)le;
	(void)e;
	fired += *(const int *)arg;
	return 0;
}

static void test_edits_timed(void **state)
{
	(void)state;
	static struct edited x;
	static const int one = 1;
	err_t e;
	edit(&x, "{}");
	assert_int_equal(le_at(&x.le, 100, count_fired, &one, &e), -EINVAL);
	assert_int_equal(edits_run_start(&x.le, NULL, 0, NULL, &e), 0);
	assert_int_equal(le_at(&x.le, 100, count_fired, &one, &e), 0);
	fired = 0;
	edits_tick(&x.le, 99);
	assert_int_equal(fired, 0);
	edits_tick(&x.le, 100);
	edits_tick(&x.le, 250);
	assert_int_equal(fired, 1);
	for (int i = 1; i < FAULT_MAX_TIMERS; i++)
		assert_int_equal(le_at(&x.le, 1, count_fired, &one, &e), 0);
	assert_int_equal(le_at(&x.le, 1, count_fired, &one, &e), -ENOSPC);
	edited_free(&x);
}

/* Aimed at worker1: only its host is seen by role, only it goes behind the
 * NAT router, only its network is in the sources. */
static void test_edits_scoped(void **state)
{
	(void)state;
	static struct edited x;
	char buf[256];
	err_t e;
	edit(&x, "{\"faults\":[{\"code\":\"media.symmetric_nat\",\"scope\":{\"workers\":"
	         "[\"worker1\"]}},{\"code\":\"media.firewall_inbound\",\"scope\":{"
	         "\"workers\":[\"worker2\"]}}]}");
	/* worker1 hangs off the NAT router with a private network; worker2
	 * stays on the core router with its own. */
	const cJSON *l;
	int behind = 0, open = 0;
	cJSON_ArrayForEach (l, cJSON_GetObjectItemCaseSensitive(x.topo, "links")) {
		char *link = cJSON_PrintUnformatted(l);
		behind += strstr(link, "\"nat\"") && strstr(link, "\"worker1\"") &&
		          strstr(link, "192.168.1.2/24");
		open += strstr(link, "\"core\"") && strstr(link, "\"worker2\"") &&
		        strstr(link, "10.20.2.2/24");
		free(link);
	}
	assert_int_equal(behind, 1);
	assert_int_equal(open, 1);
	/* The firewall is on worker2's host only, its table named for fault 1. */
	char *nft = nft_of(x.topo, "worker2");
	assert_non_null(strstr(nft, "table inet lab_inbound_f1 {"));
	free(nft);
	assert_null(cJSON_GetObjectItemCaseSensitive(host(x.topo, "worker1"), "nftables"));
	/* Unscoped, le_sources sees both: one through its NAT router. */
	assert_int_equal(le_sources(&x.le, "worker", buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "{ 10.10.9.2, 10.20.2.0/24 }");
	edited_free(&x);
	/* Behind one NAT router, worker1 and worker2 are one source to the far
	 * side: a firewall aimed at worker1 alone would hit worker2 too. */
	{
		static struct scenario s;
		struct labfile lf;
		struct lab_edit le;
		char *topo = NULL;
		assert_int_equal(healthy_with("{\"faults\":[{\"code\":\"media.nat_private_sdp\"},"
		                              "{\"code\":\"reg.sip_port_blocked\",\"scope\":{"
		                              "\"workers\":[\"worker1\"]}}]}",
		                              &s, &e),
		                 0);
		labfile_init(&lf, &s, "healthy", "{}");
		edits_init(&le, &s, &lf, 1);
		assert_int_not_equal(edits_topology(&le, &topo, &e), 0);
		if (!strstr(e.msg, "shares the NAT router's address with worker2"))
			fail_msg("%s", e.msg);
		free(topo);
		edits_free(&le);
		labfile_free(&lf);
	}
	/* The SIP path of worker2 only: the registrar drops its network alone. */
	edit(&x, "{\"fault\":{\"code\":\"reg.sip_port_blocked\",\"scope\":{\"workers\":["
	         "\"worker2\"]}}}");
	nft = nft_of(x.topo, "registrar");
	assert_non_null(strstr(nft, "ip saddr { 10.20.2.0/24 } th dport"));
	free(nft);
	edited_free(&x);
}

/* A timed fault's edits are held back from the build, made at at_s and
 * undone at until_s; a group's scope names its registrar. */
static void test_edits_held_back(void **state)
{
	(void)state;
	static struct edited x;
	err_t e;
	edit(&x, "{\"fault\":{\"code\":\"worker.disconnect\",\"at_s\":12,\"until_s\":15}}");
	assert_null(cJSON_GetObjectItemCaseSensitive(host(x.topo, "core"), "nftables"));
	assert_int_equal(x.le.n_deferred, 1);
	assert_string_equal(x.le.deferred[0].host, "core");
	assert_non_null(strstr(x.le.deferred[0].ruleset, "table inet lab_cut_f0 {"));
	assert_non_null(strstr(x.le.deferred[0].ruleset, "ip daddr 10.10.1.2 drop"));
	assert_string_equal(x.le.deferred[0].undo, "delete table inet lab_cut_f0\n");
	/* Scheduled as the run starts: on at 1.2 s, off at 1.5 s (scale 0.1). */
	assert_int_equal(edits_run_start(&x.le, NULL, 0, NULL, &e), 0);
	assert_int_equal(x.le.n_timers, 2);
	assert_int_equal(x.le.timers[0].ms, 1200);
	assert_int_equal(x.le.timers[1].ms, 1500);
	edited_free(&x);
	/* A DNS failure aimed at group b: the name b's registrar uses. */
	static struct scenario s;
	assert_int_equal(
	        healthy_with(
	                "{\"groups\":[{\"name\":\"b\",\"registrar\":"
	                "\"reg-b.lab:5070\",\"endpoints\":1,\"accounts\":{"
	                "\"prefix\":\"b\",\"count\":1,\"password\":\"p\"},\"role\":\"callee\"}],"
	                "\"fault\":{\"code\":"
	                "\"reg.dns_failure\",\"scope\":{\"group\":\"b\"}}}",
	                &s, &e),
	        0);
	struct lab_edit le;
	edits_init(&le, &s, NULL, 1);
	le.current = fault_find("reg.dns_failure");
	assert_string_equal(le_scope_name(&le), "reg-b.lab");
	assert_int_equal(le_scope_port(&le), 5070);
	edits_free(&le);
}

/* A timed DNS failure leaves the DNS server's configuration as it starts
 * and keeps the changed one for its strike; a timed edit of a service that
 * cannot reload is refused. */
static void test_far_side_held_back(void **state)
{
	(void)state;
	static struct edited x;
	err_t e;
	edit(&x, "{\"fault\":{\"code\":\"reg.dns_failure\",\"at_s\":12}}");
	cJSON *dns = cJSON_Parse("{\"faults\":[]}");
	assert_int_equal(edits_far_side(&x.le, NULL, dns, NULL, &e), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(dns, "faults")), 0);
	assert_int_equal(x.le.n_timed_cfg, 1);
	assert_string_equal(x.le.timed_cfg[0].service, "dns");
	char *on = cJSON_PrintUnformatted(cJSON_GetObjectItem(x.le.timed_cfg[0].on, "faults"));
	assert_string_equal(on, "[{\"name\":\"registrar.lab\",\"mode\":\"nxdomain\"}]");
	free(on);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(x.le.timed_cfg[0].off, "faults")),
	                 0);
	edited_free(&x);
	cJSON_Delete(dns);
	/* The registrar does not reload: a timed rate limit would change nothing. */
	static struct scn_fault sf;
	static struct scenario s;
	struct lab_edit le;
	assert_int_equal(healthy_with("{}", &s, &e), 0);
	snprintf(sf.code, sizeof(sf.code), "reg.rate_limit");
	assert_int_equal(fault_defaults(fault_find(sf.code), &sf.args, &e), 0);
	sf.has_at = 1;
	s.faults[0] = sf;
	s.n_faults = 1;
	struct labfile lf;
	char *topo = NULL;
	labfile_init(&lf, &s, "healthy", "{}");
	edits_init(&le, &s, &lf, 1);
	assert_int_equal(edits_topology(&le, &topo, &e), 0);
	free(topo);
	cJSON *reg = cJSON_Parse("{\"transports\":[\"udp\"]}");
	dns = cJSON_Parse("{\"faults\":[]}");
	assert_int_not_equal(edits_far_side(&le, reg, dns, NULL, &e), 0);
	if (!strstr(e.msg, "the registrar cannot take a new configuration mid-run"))
		fail_msg("%s", e.msg);
	assert_null(cJSON_GetObjectItem(reg, "rate_limit"));
	edits_free(&le);
	labfile_free(&lf);
	cJSON_Delete(reg);
	cJSON_Delete(dns);
}

/* Scope and timing only where the fault's mechanism allows them, each error
 * naming the field and what the fault supports. */
static void test_scope_timing_refused(void **state)
{
	(void)state;
	static struct scenario s;
	static const struct {
		const char *patch, *says;
	} bad[] = {
	        {"{\"fault\":{\"code\":\"reg.rate_limit\",\"scope\":{\"workers\":[\"worker1\"]}}}",
	         "fault.scope: expected nothing here: reg.rate_limit cannot be aimed this way "
	         "(what it supports: none)"},
	        {"{\"fault\":{\"code\":\"reg.rate_limit\",\"at_s\":3}}",
	         "fault.at_s: expected nothing here: reg.rate_limit cannot be switched on or off "
	         "mid-run this way (what it supports: none)"},
	        {"{\"fault\":{\"code\":\"reg.registrar_down\",\"at_s\":3,\"until_s\":5}}",
	         "(what it supports: at_s), got 5"},
	        {"{\"fault\":{\"code\":\"media.firewall_inbound\",\"at_s\":5,\"until_s\":5}}",
	         "fault.until_s: expected a time after at_s"},
	        {"{\"fault\":{\"code\":\"worker.disconnect\"}}",
	         "fault.at_s: expected seconds into the run: this fault only strikes mid-run"},
	        {"{\"fault\":{\"code\":\"media.firewall_inbound\",\"scope\":{\"workers\":["
	         "\"worker3\"]}}}",
	         "fault.scope.workers[0]: expected a worker of this lab: worker1 to worker2"},
	        {"{\"fault\":{\"code\":\"reg.dns_failure\",\"scope\":{\"group\":\"nope\"}}}",
	         "fault.scope.group: expected a group's name"},
	        {"{\"fault\":{\"code\":\"reg.dns_failure\",\"scope\":{\"group\":\"callers\","
	         "\"name\":\"x.lab\"}}}",
	         "expected one of scope.workers, scope.group, scope.name"},
	        {"{\"faults\":[{\"code\":\"reg.dns_failure\",\"scope\":{\"group\":\"callers\"}}]}",
	         "faults[0].scope.group: groups \"callers\" and \"receivers\" use the same "
	         "registrar "
	         "name registrar.lab: a fault aimed at one would reach both"},
	        {"{\"fault\":{\"code\":\"reg.dns_failure\"},\"faults\":[{\"code\":"
	         "\"reg.rate_limit\"}]}",
	         "fault: expected either \"fault\" or \"faults\", not both"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_t e = {{0}};
		if (!healthy_with(bad[i].patch, &s, &e))
			fail_msg("accepted: %s", bad[i].patch);
		if (!strstr(e.msg, bad[i].says))
			fail_msg("%s\n  said: %s\n  expected: %s", bad[i].patch, e.msg,
			         bad[i].says);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_catalogue_crossed),
	        cmocka_unit_test(test_every_rule_has_a_run),
	        cmocka_unit_test(test_params_typed),
	        cmocka_unit_test(test_needs_refuse_kamailio),
	        cmocka_unit_test(test_edits_by_role),
	        cmocka_unit_test(test_edits_add_host),
	        cmocka_unit_test(test_edits_keep_their_phase),
	        cmocka_unit_test(test_edits_far_side),
	        cmocka_unit_test(test_edits_timed),
	        cmocka_unit_test(test_edits_scoped),
	        cmocka_unit_test(test_edits_held_back),
	        cmocka_unit_test(test_scope_timing_refused),
	        cmocka_unit_test(test_far_side_held_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

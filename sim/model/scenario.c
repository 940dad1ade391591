/* scenario.c — read and check test configurations (see scenario.h). The
 * scenario's shape is the field tables below, which also make `siplab run
 * --help`; what a table cannot say (a group's target names another group, a
 * fault's parameters) is checked by the small functions around them. */
#define _GNU_SOURCE
#include "scenario.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../faults/fault.h"
#include "../../lib/rng.h"
#include "vocab.h"

static const char *const transports[] = {"udp", "tcp", "tls", "auto", NULL};
static const char *const keyings[] = {"none", "sdes", NULL};
static const char *const roles[] = {"caller", "callee", "receive-only", NULL};
static const char *const registrars[] = {"siplab", "kamailio", NULL};
static const char *const far_transports[] = {"udp", "tcp", "tls", NULL};
static const char *const behaviours[] = {"answer", "busy", "reject", "noanswer", NULL};
static const char *const action_kinds[] = {"kill_worker", "stop_worker", "restart_worker", NULL};

/* The transports are one flag each, in the order of far_transports. */
_Static_assert(offsetof(struct scn_far, tls) == offsetof(struct scn_far, udp) + 2 * sizeof(int),
               "far_side.transports fills udp, tcp, tls in turn");

/* --- groups ---------------------------------------------------------------- */

/* An account prefix becomes the user part of SIP URIs, a Kamailio regex
 * and digest file names: letters, digits, '-', '_' and '.' only. */
static int valid_prefix(const char *s)
{
	return *s &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
	               strlen(s);
}

/* A password goes into the registrar's digest file ("user:password:") and
 * Kamailio's configuration as a quoted string: printable, and none of
 * ':', '"', '\\' or a space. */
static int valid_password(const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~' || strchr(":\"\\", *p))
			return 0;
	return *s != '\0';
}

/* A group's accounts and the far side's account pools: one shape. */
static const struct field account_fields[] = {
        F_STRING(struct scn_accounts, prefix, "prefix", FF_REQUIRED, NULL,
                 "an account name prefix (accounts are PREFIX0001 ...): letters, digits, "
                 "'-', '_', '.'",
                 .valid = valid_prefix),
        F_INT(struct scn_accounts, first, "first", 0, 999999, 0, "1",
              "the number of the first account"),
        F_INT(struct scn_accounts, count, "count", 0, 100000, FF_REQUIRED, NULL,
              "how many accounts there are"),
        F_STRING(struct scn_accounts, password, "password", FF_REQUIRED, NULL,
                 "a password: printable, without spaces, ':', '\"' or '\\'",
                 .valid = valid_password),
        F_STRING(struct scn_accounts, domain, "domain", 0, "lab", "a domain"),
        F_END,
};

/* The test's silence and a group's own: one shape. */
static const struct field silence_fields[] = {
        F_NUMBER(struct scn_silence, at_s, "at_s", 0, 86400, 0, NULL,
                 "seconds into the call when the endpoints stop sending"),
        F_NUMBER(struct scn_silence, duration_s, "duration_s", 0, 86400, 0, NULL,
                 "seconds they stay silent"),
        F_END,
};

/* Defaults that depend on where the group is: its place and the test. */
static void group_init(struct jv *c, void *elem, int idx)
{
	struct scn_group *g = elem;
	const struct scenario *s = c->top;
	snprintf(g->name, sizeof(g->name), "group%d", idx + 1);
	snprintf(g->region, sizeof(g->region), "%s", s->region);
}

static int group_check(struct jv *c, const cJSON *o, const char *path, void *elem)
{
	const struct scn_group *g = elem;
	if (g->role == SCN_CALLER && !g->target[0])
		return err_set(c->e, EINVAL,
		               "%s: %s.target: expected \"callee-pool\", the name of another "
		               "group or a SIP URI for a caller group, got nothing",
		               c->origin, path);
	return 0;
}

static const struct field group_fields[] = {
        F_STRING(struct scn_group, name, "name", FF_DERIVED, "group1, group2 ...",
                 "a group name (for targets and reports)"),
        F_STRING(struct scn_group, registrar, "registrar", FF_REQUIRED, NULL,
                 "the registrar's name or address, e.g. \"lab\" or \"10.10.2.2:5060\""),
        F_CHOICE(struct scn_group, transport, "transport", transports, FF_ANYCASE, "udp",
                 "the SIP transport (auto: as the registrar's DNS records say)"),
        F_OBJECT(struct scn_group, accounts, "accounts", account_fields, FF_REQUIRED,
                 "the accounts the endpoints register with, one each"),
        F_CHOICES(struct scn_group, codecs, n_codecs, "codecs", codec_names, 1, FF_ANYCASE,
                  "PCMU,PCMA", "the codecs offered, in order of preference"),
        F_CHOICE(struct scn_group, srtp, "srtp", keyings, FF_ANYCASE, "none",
                 "media security: plain RTP, or SRTP keyed by SDES"),
        F_INT(struct scn_group, endpoints, "endpoints", 1, 100000, FF_REQUIRED, NULL,
              "how many endpoints the group has"),
        F_CHOICE(struct scn_group, role, "role", roles, FF_ANYCASE, "caller",
                 "what the endpoints do: call, answer, or only receive"),
        F_STRING(struct scn_group, target, "target", 0, NULL,
                 "\"callee-pool\", the name of another group, or a SIP URI dialled as is "
                 "(\"sip:someone@lab\", whom callers call)"),
        F_STRING(struct scn_group, region, "region", FF_DERIVED, "the test's region",
                 "a region name"),
        F_OBJECT(struct scn_group, pause, "silence", silence_fields, FF_GIVEN,
                 "the group's own silence, instead of the test's",
                 .n_off = offsetof(struct scn_group, has_pause)),
        F_END,
};

int scenario_target_is_uri(const char *target)
{
	return !strncmp(target, "sip:", 4) || !strncmp(target, "sips:", 5);
}

/* Cross-checks that need every group: targets exist, names differ. */
static int check_groups(struct jv *c, struct scenario *s)
{
	for (int i = 0; i < s->n_groups; i++) {
		struct scn_group *g = &s->groups[i];
		int found = !g->target[0] || !strcmp(g->target, "callee-pool") ||
		            scenario_target_is_uri(g->target);
		for (int k = 0; k < s->n_groups && !found; k++)
			found = k != i && !strcmp(s->groups[k].name, g->target);
		if (!found)
			return err_set(
			        c->e, EINVAL,
			        "%s: groups[%d].target: expected \"callee-pool\", the name of "
			        "another group or a SIP URI, got \"%s\"",
			        c->origin, i, g->target);
		for (int k = 0; k < i; k++)
			if (!strcmp(s->groups[k].name, g->name))
				return err_set(c->e, EINVAL,
				               "%s: groups[%d].name: \"%s\" is used twice",
				               c->origin, i, g->name);
	}
	return 0;
}

/* --- the platform, the far side and what is done to them ----------------- */

static const struct field plan_fields[] = {
        F_INT(struct scn_plan, max_endpoints, "max_endpoints", 0, 1000000, 0, "2000",
              "concurrent endpoints the plan allows"),
        F_NUMBER(struct scn_plan, credits, "credits", 0, 1e12, 0, "1e9", "endpoint-minutes left"),
        F_END,
};

static const struct field other_run_fields[] = {
        F_INT(struct scn_other_run, endpoints, "endpoints", 0, OTHER_RUN_MAX_ENDPOINTS, 0, "0",
              "endpoints of the other run (callers to the callee pool)"),
        F_NUMBER(struct scn_other_run, duration_s, "duration_s", 1, 86400, 0, "60",
                 "seconds each of its calls lasts"),
        F_END,
};

static const struct field platform_fields[] = {
        F_INT(struct scn_platform, workers, "workers", 1, SCN_MAX_WORKERS, 0, "1",
              "worker hosts the lab starts"),
        F_STRING(struct scn_platform, worker_region, "worker_region", FF_DERIVED,
                 "the test's region", "a region name"),
        F_INT(struct scn_platform, capacity, "capacity", 1, 100000, 0, "5000",
              "endpoints one worker takes"),
        F_NUMBER(struct scn_platform, heartbeat_s, "heartbeat_s", 0.1, 600, 0, "5",
                 "seconds between a worker's heartbeats"),
        F_NUMBER(struct scn_platform, heartbeat_timeout_s, "heartbeat_timeout_s", 0.5, 3600, 0,
                 "60", "seconds without a heartbeat before a worker is offline"),
        F_INT(struct scn_platform, worker_memory_mb, "worker_memory_mb", 0, WORKER_MEMORY_MB_MAX, 0,
              "0",
              "MB of memory each worker's container may use before the kernel kills it (0: no "
              "limit)"),
        F_STRINGS(struct scn_platform, regions, n_regions, "worker_regions", 1, FF_NONEMPTY, NULL,
                  "region names, one per worker in turn (instead of worker_region)"),
        F_OBJECT(struct scn_platform, other_run, "other_run", other_run_fields, FF_NULLABLE,
                 "another tenant's run on the same gateway, started first: its endpoints hold "
                 "the workers while the test's run reaches pre-flight"),
        F_END,
};

static const struct field far_callees[] = {
        F_STRING(struct scenario, far.callee_prefix, "prefix", 0, "callee",
                 "an account prefix: letters, digits, '-', '_', '.'", .valid = valid_prefix),
        F_INT(struct scenario, far.callee_count, "count", 1, 10000, 0, "20",
              "how many callees answer"),
        F_WORD(struct scenario, far.callee_behaviour, "behaviour", behaviours, 0, "answer",
               "what the callees do with a call"),
        F_END,
};

static const struct field far_sbc[] = {
        F_BOOL(struct scenario, sbc_relay, "relay", 0, "false",
               "the registrar relays media, latching to where it comes from"),
        F_BOOL(struct scenario, sbc_reorder, "reorder", 0, "false",
               "the registrar reverses the order of the codecs in offers (removes none)"),
        F_STRING(struct scenario, sbc_rewrite, "rewrite_address", 0, NULL,
                 "an IPv4 address the registrar writes into the c= of offers (a NAT fix)"),
        F_END,
};

static const struct field far_fields[] = {
        F_CHOICE(struct scenario, far.registrar, "registrar", registrars, FF_ANYCASE, "siplab",
                 "the registrar the lab runs"),
        F_FLAGS(struct scenario, far.udp, "transports", far_transports, 1, 0, "udp,tcp,tls",
                "the transports the registrar listens on"),
        F_SECTION("callees", far_callees, 0, "the callee pool"),
        F_LIST(struct scenario, far.pools, far.n_pools, "accounts", account_fields, 0, 0,
               "the registrar's account pools (none: the groups' accounts)"),
        F_SECTION("sbc", far_sbc, 0, "the registrar as an SBC on the call path"),
        F_NUMBER(struct scenario, far.dns_ttl_s, "dns_ttl_s", 1, 86400, 0, "60",
                 "the TTL of the lab DNS server's answers, in scenario seconds (scaled; at "
                 "least one real second): how long a change of record takes to be seen"),
        F_STRING(struct scenario, far.peer_domain, "peer_domain", 0, NULL,
                 "a domain served by a second registrar, registrar2.lab, peered with the "
                 "first (groups of that domain register there)"),
        F_END,
};

/* "at_s": seconds after the run starts, or "before_run". */
static int read_at(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	struct scn_action *a = dst;
	if (cJSON_IsString(v) && !strcmp(v->valuestring, "before_run"))
		a->before_run = 1;
	else if (cJSON_IsNumber(v) && v->valuedouble >= 0)
		a->at_s = v->valuedouble;
	else
		return jv_bad(c, path, "seconds after the run starts, or \"before_run\"", v);
	return 0;
}

static const struct field action_fields[] = {
        F_CHOICE(struct scn_action, kind, "do", action_kinds, FF_REQUIRED | FF_ANYCASE, NULL,
                 "kill_worker (SIGKILL), stop_worker (SIGTERM), or restart_worker (SIGKILL, "
                 "then the same worker started again after after_s)"),
        F_STRING(struct scn_action, worker, "worker", 0, "all",
                 "a worker host name such as \"worker1\", or \"all\""),
        F_CUSTOM("at_s", read_at, "number|\"before_run\"", FF_REQUIRED,
                 "seconds after the run starts, or \"before_run\""),
        F_NUMBER(struct scn_action, after_s, "after_s", 0, 3600, 0, "2",
                 "restart_worker: seconds from the kill until the worker is started again"),
        F_END,
};

/* --- the fault, and what the run should show ------------------------------- */

/* "code": one of the catalogue's; the parameters start at their defaults. */
static int read_fault_code(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	struct scn_fault *sf = dst;
	const struct fault *f = NULL;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= sizeof(sf->code))
		return jv_bad(c, path, "a fault code such as \"reg.rate_limit\"", v);
	if (!(f = fault_find(v->valuestring))) {
		char list[512] = "a fault code, one of: ";
		size_t n = strlen(list);
		for (int i = 0; fault_catalogue[i] && n < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
			                      fault_catalogue[i]->code);
		return jv_bad(c, path, list, v);
	}
	snprintf(sf->code, sizeof(sf->code), "%s", v->valuestring);
	err_t fe;
	if (fault_defaults(f, &sf->args, &fe))
		return err_set(c->e, EINVAL, "%s: %s", c->origin, fe.msg);
	return 0;
}

/* "params": each a parameter of the fault (read after its code), checked by
 * the fault's own rules. */
static int read_fault_params(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	struct scn_fault *sf = dst;
	const struct fault *f = fault_find(sf->code);
	const cJSON *it;
	if (!cJSON_IsObject(v))
		return jv_bad(c, path, "an object of parameter values", v);
	cJSON_ArrayForEach (it, v) {
		char field[160];
		snprintf(field, sizeof(field), "%s.%s", path, it->string);
		int i = fault_param_index(f, it->string);
		if (i < 0) {
			char names[256] = "a parameter of this fault: ";
			size_t k = strlen(names);
			for (int p = 0;
			     p < FAULT_MAX_PARAMS && f->params[p].name && k < sizeof(names); p++)
				k += (size_t)snprintf(names + k, sizeof(names) - k, "%s%s",
				                      p ? ", " : "", f->params[p].name);
			if (!f->params[0].name)
				snprintf(names, sizeof(names),
				         "nothing: this fault has no parameters");
			return jv_bad(c, field, names, it);
		}
		err_t fe;
		if (fault_param_read(f, i, it, &sf->args.v[i], &fe))
			return err_set(c->e, EINVAL, "%s: %s: %s", c->origin, field, fe.msg);
	}
	return 0;
}

static const struct field scope_fields[] = {
        F_STRINGS(struct scn_scope, workers, n_workers, "workers", 1, 0, NULL,
                  "worker host names such as \"worker1\": the fault reaches only these"),
        F_STRING(struct scn_scope, group, "group", FF_NONEMPTY, NULL,
                 "a group's name: the fault reaches the registrar name and port it uses"),
        F_STRING(struct scn_scope, name, "name", FF_NONEMPTY, NULL,
                 "a name (such as a DNS name) the fault reaches"),
        F_END,
};

/* What the fault supports, for an error that names the field. */
static int reach_refused(struct jv *c, const char *path, const char *key, const struct fault *f,
                         int timing, const cJSON *v)
{
	char sc[64], tm[64], want[224];
	fault_describe_reach(f, sc, sizeof(sc), tm, sizeof(tm));
	snprintf(want, sizeof(want), "nothing here: %s %s (what it supports: %s)", f->code,
	         timing ? "cannot be switched on or off mid-run this way"
	                : "cannot be aimed this way",
	         timing ? tm : sc);
	char field[160];
	snprintf(field, sizeof(field), "%s.%s", path, key);
	return jv_bad(c, field, want, v);
}

/* Scope and timing only where the fault's mechanism allows them. */
static int fault_check(struct jv *c, const cJSON *o, const char *path, void *obj)
{
	struct scn_fault *sf = obj;
	const struct fault *f = fault_find(sf->code);
	const cJSON *scope = cJSON_GetObjectItemCaseSensitive(o, "scope");
	static const struct {
		const char *key;
		unsigned flag;
	} scopes[] = {{"workers", FAULT_SCOPE_WORKER},
	              {"group", FAULT_SCOPE_GROUP},
	              {"name", FAULT_SCOPE_NAME}};
	int aims = 0;
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(scope, scopes[i].key);
		if (v && !(f->scopes & scopes[i].flag))
			return reach_refused(c, path, "scope", f, 0, v);
		aims += v != NULL;
	}
	if (aims > 1)
		return jv_bad(c, path, "one of scope.workers, scope.group, scope.name", scope);
	sf->has_at = cJSON_GetObjectItemCaseSensitive(o, "at_s") != NULL;
	sf->has_until = cJSON_GetObjectItemCaseSensitive(o, "until_s") != NULL;
	if (!sf->has_at && (f->timing & FAULT_TIMING_NEEDS_AT)) {
		char field[160];
		snprintf(field, sizeof(field), "%s.at_s", path);
		return jv_bad(c, field, "seconds into the run: this fault only strikes mid-run",
		              NULL);
	}
	if (sf->has_at && !(f->timing & FAULT_TIMING_AT))
		return reach_refused(c, path, "at_s", f, 1, cJSON_GetObjectItem(o, "at_s"));
	if (sf->has_until && !(f->timing & FAULT_TIMING_UNTIL))
		return reach_refused(c, path, "until_s", f, 1, cJSON_GetObjectItem(o, "until_s"));
	if (sf->has_until && sf->until_s <= (sf->has_at ? sf->at_s : 0)) {
		char field[160];
		snprintf(field, sizeof(field), "%s.until_s", path);
		return jv_bad(c, field, "a time after at_s (the fault must be on for a while)",
		              cJSON_GetObjectItem(o, "until_s"));
	}
	return 0;
}

static const struct field fault_fields[] = {
        F_CUSTOM("code", read_fault_code, "string", FF_REQUIRED,
                 "a fault code such as \"reg.rate_limit\" (`siplab run --faults` lists them)"),
        F_CUSTOM("params", read_fault_params, "object", 0,
                 "the fault's parameters by name; the others keep their defaults"),
        F_OBJECT(struct scn_fault, scope, "scope", scope_fields, 0,
                 "where the fault is aimed (default: everywhere its mechanism reaches)"),
        F_NUMBER(struct scn_fault, at_s, "at_s", 0, 86400, 0, NULL,
                 "seconds into the run when the fault strikes (default: from the start)"),
        F_NUMBER(struct scn_fault, until_s, "until_s", 0, 86400, 0, NULL,
                 "seconds into the run when it is undone (default: never)"),
        F_END,
};

/* "fault": the shorthand for a list of one. */
static int read_one_fault(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	struct scenario *s = dst;
	if (cJSON_IsNull(v))
		return 0;
	if (s->n_faults)
		return jv_bad(c, path, "either \"fault\" or \"faults\", not both", v);
	int rc = fields_read(c, fault_fields, v, path, &s->faults[0]);
	if (!rc)
		rc = fault_check(c, v, path, &s->faults[0]);
	s->n_faults = !rc;
	s->fault_shorthand = !rc;
	return rc;
}

/* "expect" is kept as text for the check after the run (diagnose/expect.c);
 * here its shape is checked, through these tables, into a scratch struct. */
struct expect_shape {
	char status[32];
	char diagnosis[128];
	int all_success;
	char known_gap[1024];
	char diagnosis_today[128];
};

struct outcome_rule {
	double min, max, min_share;
};

static const struct field outcome_rule_fields[] = {
        F_NUMBER(struct outcome_rule, min, "min", 0, 1e9, 0, NULL,
                 "at least this many endpoints end so"),
        F_NUMBER(struct outcome_rule, max, "max", 0, 1e9, 0, NULL, "at most this many"),
        F_NUMBER(struct outcome_rule, min_share, "min_share", 0, 1, 0, NULL,
                 "at least this share of all endpoints"),
        F_END,
};

static int read_outcomes(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	const cJSON *it;
	if (!cJSON_IsObject(v))
		return jv_bad(c, path, "an object {\"OUTCOME\": {\"min\", \"max\", \"min_share\"}}",
		              v);
	cJSON_ArrayForEach (it, v) {
		struct outcome_rule r;
		char f[192];
		snprintf(f, sizeof(f), "%s.%s", path, it->string);
		if (outcome_from_name(it->string) < 0)
			return jv_bad(c, f, "an outcome such as \"REGISTRATION_FAILED\"", it);
		memset(&r, 0, sizeof(r));
		int rc = fields_read(c, outcome_rule_fields, it, f, &r);
		if (rc)
			return rc;
	}
	return 0;
}

/* A code (the first finding), a list of codes (the first findings, any
 * order) or {"ranked": [codes]} (in that order); the first code goes to
 * dst for the checks across fields. */
static int read_dx_expect(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	static const char want[] = "a diagnosis code, a list of distinct codes, or "
	                           "{\"ranked\": [codes]}";
	const cJSON *list = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "ranked") : v;
	int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
	if (cJSON_IsString(v) && *v->valuestring) {
		snprintf(dst, 128, "%s", v->valuestring);
		return 0;
	}
	if (n < 1 || (cJSON_IsObject(v) && cJSON_GetArraySize(v) != 1))
		return jv_bad(c, path, want, v);
	for (int i = 0; i < n; i++) {
		const cJSON *a = cJSON_GetArrayItem(list, i);
		if (!cJSON_IsString(a) || !*a->valuestring)
			return jv_bad(c, path, want, a);
		for (int k = 0; k < i; k++)
			if (!strcmp(cJSON_GetArrayItem(list, k)->valuestring, a->valuestring))
				return jv_bad(c, path, want, a);
	}
	snprintf(dst, 128, "%s", cJSON_GetArrayItem(list, 0)->valuestring);
	return 0;
}

static int is_run_status(const char *s)
{
	return run_status_from_name(s) >= 0;
}

static const struct field expect_fields[] = {
        F_STRING(struct expect_shape, status, "status", 0, NULL,
                 "a run status such as \"COMPLETED\"", .valid = is_run_status),
        F_CUSTOM("diagnosis", read_dx_expect, "code|[codes]|{\"ranked\": [codes]}", 0,
                 "the diagnosis's first finding, e.g. \"reg.rate_limit\" or \"healthy\"; a "
                 "list: its first findings in any order; {\"ranked\": [...]}: in that order",
                 .off = offsetof(struct expect_shape, diagnosis)),
        F_BOOL(struct expect_shape, all_success, "all_success", 0, NULL,
               "every endpoint ends SUCCESS"),
        F_CUSTOM("outcomes", read_outcomes, "object OUTCOME: {...}", 0,
                 "endpoints per outcome, e.g. {\"REGISTRATION_FAILED\": {\"min\": 5}}",
                 .sub = outcome_rule_fields),
        F_STRING(struct expect_shape, known_gap, "known_gap", FF_NONEMPTY, NULL,
                 "a sentence: why the diagnosis cannot name this cause yet"),
        F_STRING(struct expect_shape, diagnosis_today, "diagnosis_today", FF_NONEMPTY, NULL,
                 "with known_gap: the code the diagnosis names until the gap closes"),
        F_END,
};

static int check_expect(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	struct expect_shape x;
	memset(&x, 0, sizeof(x));
	int rc = fields_read(c, expect_fields, v, path, &x);
	/* A known gap says what is named instead, so a gap that moves elsewhere
	 * (or a diagnosis that breaks) is noticed, not excused. */
	if (!rc &&
	    (!x.known_gap[0] != !x.diagnosis_today[0] || (x.known_gap[0] && !x.diagnosis[0]))) {
		char f[256];
		snprintf(f, sizeof(f), "%s.%s", path,
		         x.known_gap[0] && x.diagnosis[0] ? "diagnosis_today" : "known_gap");
		return jv_bad(c, f,
		              "known_gap, diagnosis_today and diagnosis together (the cause, "
		              "why it cannot be named yet, and what is named today)",
		              cJSON_GetObjectItemCaseSensitive(v, x.known_gap[0] && x.diagnosis[0]
		                                                          ? "diagnosis_today"
		                                                          : "known_gap"));
	}
	return rc;
}

/* v as JSON text in out (cap bytes), refused when it does not fit. */
static int keep_text(struct jv *c, const cJSON *v, const char *path, char *out, size_t cap)
{
	char *text = cJSON_PrintUnformatted(v);
	int rc = 0;
	if (!text)
		rc = err_set(c->e, ENOMEM, "%s: %s: out of memory", c->origin, path);
	else if (strlen(text) >= cap)
		rc = err_set(c->e, EINVAL, "%s: %s: too long", c->origin, path);
	else
		snprintf(out, cap, "%s", text);
	free(text);
	return rc;
}

static int read_expect(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	int rc = check_expect(c, v, path, NULL);
	return rc ? rc : keep_text(c, v, path, dst, sizeof(((struct scenario *)0)->expect));
}

/* A merge patch (RFC 7386), applied by scenario_remedied. */
static int check_patch(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	return cJSON_IsObject(v) ? 0 : jv_bad(c, path, "an object (a merge patch)", v);
}

static const struct field remedy_fields[] = {
        F_NOTE("description", "what the remedy changes, for the reader"),
        F_CUSTOM("patch", check_patch, "object", 0, "merged into the scenario for its second run"),
        F_CUSTOM("group_patch", check_patch, "object", 0, "merged into every group"),
        F_CUSTOM("expect", check_expect, "object", 0,
                 "what the second run must show (default: a healthy run)", .sub = expect_fields),
        F_END,
};

static int read_remedy(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	char none;
	int rc = fields_read(c, remedy_fields, v, path, &none);
	return rc ? rc : keep_text(c, v, path, dst, sizeof(((struct scenario *)0)->remedy));
}

/* --- the scenario ------------------------------------------------------------ */

/* A seed is a whole number a JSON reader and writer keep exactly (RNG_SEED_MAX). */
static int read_seed(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	struct scn_seed *seed = dst;
	double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
	if (d < 0 || d > (double)RNG_SEED_MAX || d != (double)(unsigned long long)d)
		return jv_bad(c, path, "a whole number from 0 to 999999999999999 (15 digits)", v);
	seed->value = (unsigned long long)d;
	seed->given = 1;
	return 0;
}

const struct field scenario_fields[] = {
        F_STRING(struct scenario, name, "name", 0, "scenario",
                 "the scenario's name, shown in reports"),
        F_NOTE("description", "what the scenario shows, for the reader"),
        F_STRING(struct scenario, region, "region", 0, "lab",
                 "a region name: the test's, and its groups' and workers' unless they say"),
        F_NUMBER(struct scenario, buildup_s, "buildup_s", 0, 3600, 0, "10",
                 "seconds over which the endpoints start"),
        F_NUMBER(struct scenario, call_duration_s, "call_duration_s", 0, 86400, 0, "30",
                 "seconds each call lasts"),
        F_NUMBER(struct scenario, time_scale, "time_scale", 0.001, 1, 0, "1",
                 "every duration times this: 0.05 runs 20 times faster"),
        F_CUSTOM("seed", read_seed, "integer", 0,
                 "the run's seed: the same seed replays the same SSRCs, keys and Call-IDs "
                 "(default: a fresh one, in the report)",
                 .off = offsetof(struct scenario, seed)),
        F_LIST(struct scenario, groups, n_groups, "groups", group_fields, 1, FF_REQUIRED,
               "groups of endpoints", .init = group_init, .check = group_check),
        F_OBJECT(struct scenario, plan, "plan", plan_fields, 0,
                 "what the customer's plan allows; the run is checked against it first"),
        F_OBJECT(struct scenario, platform, "platform", platform_fields, 0,
                 "the workers the lab starts, and their heartbeat"),
        F_SECTION("far_side", far_fields, 0, "the registrar and callee pool the lab runs"),
        F_LIST(struct scenario, actions, n_actions, "actions", action_fields, 0, 0,
               "what is done to the workers during (or before) the run"),
        F_OBJECT(struct scenario, pause, "silence", silence_fields, 0,
                 "every endpoint stops sending for a while"),
        F_LIST(struct scenario, faults, n_faults, "faults", fault_fields, 0, 0,
               "the faults the run injects, together", .check = fault_check),
        F_CUSTOM("fault", read_one_fault, "object", 0,
                 "one fault: the shorthand for \"faults\": [it]", .sub = fault_fields),
        F_CUSTOM("expect", read_expect, "object", 0,
                 "what the run must show (default: a healthy run); kept as text",
                 .off = offsetof(struct scenario, expect), .sub = expect_fields),
        F_CUSTOM("remedy", read_remedy, "object", 0,
                 "the change that cures the fault, checked by a second run",
                 .off = offsetof(struct scenario, remedy), .sub = remedy_fields),
        F_END,
};

/* A fault says what it needs of the far side; the scenario is refused here,
 * before anything starts, in the fault's own words. */
/* A fault's scope names workers and groups the scenario has. */
/* A group's registrar name: "name" of "name" or "name:port"; "" for an
 * address, which no DNS fault can reach. */
static void registrar_name(const struct scn_group *g, char *out, size_t cap)
{
	struct in6_addr a6;
	struct in_addr a4;
	const char *r = g->registrar, *colon = strrchr(r, ':');
	size_t n = colon && !strchr(r, ']') ? (size_t)(colon - r) : strlen(r);
	snprintf(out, cap, "%.*s", (int)n, r);
	if (inet_pton(AF_INET, out, &a4) == 1 || inet_pton(AF_INET6, out, &a6) == 1 || *r == '[')
		out[0] = '\0';
}

/* A group scope reaches the group through its registrar's name: it must
 * have one, of its own (another group with the same name would be hit too). */
static int check_group_scope(struct jv *c, const struct scenario *s, const char *at,
                             const struct scn_group *g)
{
	char mine[128], other[128];
	registrar_name(g, mine, sizeof(mine));
	if (!mine[0])
		return err_set(c->e, EINVAL,
		               "%s: %s.scope.group: group \"%s\" reaches its registrar by address "
		               "(%s), which a fault aimed through its name cannot reach",
		               c->origin, at, g->name, g->registrar);
	for (int i = 0; i < s->n_groups; i++) {
		registrar_name(&s->groups[i], other, sizeof(other));
		if (&s->groups[i] != g && !strcmp(mine, other))
			return err_set(c->e, EINVAL,
			               "%s: %s.scope.group: groups \"%s\" and \"%s\" use the same "
			               "registrar name %s: a fault aimed at one would reach both",
			               c->origin, at, g->name, s->groups[i].name, mine);
	}
	return 0;
}

static int check_scope(struct jv *c, const struct scenario *s, int k)
{
	const struct scn_scope *sc = &s->faults[k].scope;
	char at[32];
	/* Errors name the field as the file has it: "fault" or "faults[k]". */
	if (s->fault_shorthand)
		snprintf(at, sizeof(at), "fault");
	else
		snprintf(at, sizeof(at), "faults[%d]", k);
	for (int i = 0; i < sc->n_workers; i++) {
		int n = 0, used = 0;
		if (sscanf(sc->workers[i], "worker%d%n", &n, &used) != 1 || sc->workers[i][used] ||
		    n < 1 || n > s->platform.workers)
			return err_set(c->e, EINVAL,
			               "%s: %s.scope.workers[%d]: expected a worker of this lab: "
			               "worker1 to worker%d, got \"%s\"",
			               c->origin, at, i, s->platform.workers, sc->workers[i]);
	}
	for (int g = 0; sc->group[0] && g < s->n_groups; g++)
		if (!strcmp(s->groups[g].name, sc->group))
			return check_group_scope(c, s, at, &s->groups[g]);
	if (sc->group[0])
		return err_set(c->e, EINVAL,
		               "%s: %s.scope.group: expected a group's name, got \"%s\"", c->origin,
		               at, sc->group);
	return 0;
}

static int check_fault_needs(struct jv *c, const struct scenario *s)
{
	err_t fe;
	for (int k = 0; k < s->n_faults; k++) {
		const struct fault *f = fault_find(s->faults[k].code);
		if (f &&
		    fault_check_needs(
		            f, s->far.registrar == SCN_REG_KAMAILIO ? "kamailio" : "siplab", &fe))
			return s->fault_shorthand
			               ? err_set(c->e, ENOTSUP, "%s: fault: %s", c->origin, fe.msg)
			               : err_set(c->e, ENOTSUP, "%s: faults[%d]: %s", c->origin, k,
			                         fe.msg);
		int rc = check_scope(c, s, k);
		if (rc)
			return rc;
	}
	if ((s->sbc_relay || s->sbc_reorder || s->sbc_rewrite[0]) &&
	    s->far.registrar == SCN_REG_KAMAILIO)
		return err_set(c->e, ENOTSUP,
		               "%s: far_side.sbc: the SBC (relay, reorder, rewrite_address) is "
		               "siplab's registrar's; "
		               "this scenario's far side uses kamailio",
		               c->origin);
	if (s->far.peer_domain[0] &&
	    (!valid_prefix(s->far.peer_domain) || !strcasecmp(s->far.peer_domain, "lab") ||
	     !strcasecmp(s->far.peer_domain, "registrar.lab")))
		return err_set(c->e, EINVAL,
		               "%s: far_side.peer_domain: expected a domain name other than the "
		               "first registrar's (lab, registrar.lab), got \"%s\"",
		               c->origin, s->far.peer_domain);
	if (s->far.peer_domain[0] && s->far.registrar == SCN_REG_KAMAILIO)
		return err_set(c->e, ENOTSUP,
		               "%s: far_side.peer_domain: the second registrar is siplab's; this "
		               "scenario's far side uses kamailio",
		               c->origin);
	return 0;
}

int scenario_parse(const char *json, const char *origin, struct scenario *s, err_t *e)
{
	struct jv c = {origin, e, s};
	memset(s, 0, sizeof(*s));
	int rc = fields_parse(&c, scenario_fields, json, s);
	if (!rc)
		rc = check_groups(&c, s);
	if (!rc)
		rc = check_fault_needs(&c, s);
	if (!rc && !s->platform.worker_region[0])
		snprintf(s->platform.worker_region, sizeof(s->platform.worker_region), "%s",
		         s->region);
	return rc;
}

int scenario_load(const char *path, struct scenario *s, err_t *e)
{
	char *text;
	int rc = jv_read_file(path, &text, e);
	if (rc)
		return rc;
	rc = scenario_parse(text, path, s, e);
	if (!rc && s->remedy[0]) {
		/* The remedied scenario must be valid too, before anything starts. */
		char *fixed = scenario_remedied(text, path, e);
		struct scenario *r = fixed ? malloc(sizeof(*r)) : NULL;
		char origin[PATH_MAX + 32];
		snprintf(origin, sizeof(origin), "%s (after its remedy)", path);
		rc = !fixed ? -EINVAL : !r ? -ENOMEM : scenario_parse(fixed, origin, r, e);
		free(r);
		free(fixed);
	}
	free(text);
	return rc;
}

cJSON *json_merge_patch(cJSON *target, const cJSON *patch)
{
	if (!cJSON_IsObject(patch)) {
		cJSON_Delete(target);
		return cJSON_Duplicate(patch, 1);
	}
	if (!cJSON_IsObject(target)) {
		cJSON_Delete(target);
		target = cJSON_CreateObject();
	}
	const cJSON *it;
	cJSON_ArrayForEach (it, patch) {
		if (cJSON_IsNull(it)) {
			cJSON_DeleteItemFromObjectCaseSensitive(target, it->string);
			continue;
		}
		cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(target, it->string);
		cJSON_AddItemToObject(target, it->string, json_merge_patch(old, it));
	}
	return target;
}

char *scenario_remedied(const char *json, const char *origin, err_t *e)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *rem = cJSON_GetObjectItemCaseSensitive(root, "remedy"), *g;
	if (!root || !rem) {
		cJSON_Delete(root);
		err_set(e, EINVAL, "%s: no remedy to apply", origin);
		return NULL;
	}
	cJSON *rem_copy = cJSON_Duplicate(rem, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(root, "remedy");
	cJSON_DeleteItemFromObjectCaseSensitive(root, "expect");
	const cJSON *patch = cJSON_GetObjectItemCaseSensitive(rem_copy, "patch");
	const cJSON *gp = cJSON_GetObjectItemCaseSensitive(rem_copy, "group_patch");
	if (patch)
		root = json_merge_patch(root, patch);
	/* By index: replacing an item ends its place in the list. */
	cJSON *groups = gp ? cJSON_GetObjectItemCaseSensitive(root, "groups") : NULL;
	for (int i = 0; i < cJSON_GetArraySize(groups); i++) {
		g = cJSON_GetArrayItem(groups, i);
		cJSON_ReplaceItemInArray(groups, i, json_merge_patch(cJSON_Duplicate(g, 1), gp));
	}
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(rem_copy, "expect");
	if (exp)
		cJSON_AddItemToObject(root, "expect", cJSON_Duplicate(exp, 1));
	cJSON_Delete(rem_copy);
	char *out = cJSON_Print(root);
	cJSON_Delete(root);
	return out;
}

long scenario_ms(const struct scenario *s, double seconds)
{
	return (long)(seconds * s->time_scale * 1000 + 0.5);
}

double scenario_stretch(const struct scenario *s)
{
	return s->time_scale > 0 ? 1 / s->time_scale : 1;
}

int scenario_endpoints(const struct scenario *s)
{
	int n = 0;
	for (int i = 0; i < s->n_groups; i++)
		n += s->groups[i].endpoints;
	return n;
}

/* The other tenant's run (platform.other_run): one group of callers on
 * accounts of its own, over UDP with PCMU, to the callee pool, registering
 * within a second of the scenario and calling for duration_s. Its region is
 * the test's first group's, so it takes the same workers. */
void scenario_other_run(const struct scenario *s, struct scenario *out)
{
	*out = *s;
	out->n_faults = 0;
	out->n_actions = 0;
	out->expect[0] = out->remedy[0] = '\0';
	snprintf(out->name, sizeof(out->name), "another tenant's test");
	out->buildup_s = 1;
	out->call_duration_s = s->platform.other_run.duration_s;
	out->plan.max_endpoints = OTHER_RUN_MAX_ENDPOINTS;
	out->plan.credits = 1e12;
	out->platform.other_run.endpoints = 0;
	out->n_groups = 1;
	struct scn_group *g = &out->groups[0];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "tenant-b");
	snprintf(g->registrar, sizeof(g->registrar), "registrar.lab");
	g->transport = SCN_UDP;
	snprintf(g->accounts.prefix, sizeof(g->accounts.prefix), "tenant-b");
	g->accounts.first = 1;
	g->accounts.count = s->platform.other_run.endpoints;
	snprintf(g->accounts.password, sizeof(g->accounts.password), "tenant-b-pw");
	snprintf(g->accounts.domain, sizeof(g->accounts.domain), "lab");
	g->codecs[0] = (enum media_codec)codec_by_name("PCMU");
	g->n_codecs = 1;
	g->srtp = KEYING_NONE;
	g->endpoints = s->platform.other_run.endpoints;
	g->role = SCN_CALLER;
	snprintf(g->target, sizeof(g->target), "callee-pool");
	snprintf(g->region, sizeof(g->region), "%s", s->n_groups ? s->groups[0].region : s->region);
}

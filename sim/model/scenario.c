/* scenario.c — read and check test configurations (see scenario.h). */
#define _GNU_SOURCE
#include "scenario.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../faults/fault.h"
#include "../../lib/jsonv.h"
#include "vocab.h"

/* A string member that must be one of `names`; *out gets its index. */
static int one_of(struct jv *c, const cJSON *o, const char *key, const char *field,
                  const char *const *names, int n, int *out, const char *expected)
{
	char v[32];
	int rc = jv_str(c, o, key, field, v, sizeof(v), 0, expected);
	if (rc <= 0)
		return rc;
	for (int i = 0; i < n; i++)
		if (!strcasecmp(v, names[i])) {
			*out = i;
			return 1;
		}
	char f[128];
	snprintf(f, sizeof(f), "%s.%s", field, key);
	return jv_bad(c, f, expected, cJSON_GetObjectItem(o, key));
}

static int parse_codecs(struct jv *c, const cJSON *o, const char *field, struct scn_group *g)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "codecs"), *it;
	char f[128];
	snprintf(f, sizeof(f), "%s.codecs", field);
	if (!a) {
		g->codecs[0] = CODEC_PCMU;
		g->codecs[1] = CODEC_PCMA;
		g->n_codecs = 2;
		return 0;
	}
	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 1 ||
	    cJSON_GetArraySize(a) > SCN_MAX_CODECS)
		return jv_bad(c, f, "an array of 1 to 4 of \"PCMU\", \"PCMA\", \"G722\", \"opus\"",
		              a);
	cJSON_ArrayForEach (it, a) {
		int k = -1;
		for (int i = 0; i < 4 && cJSON_IsString(it); i++)
			if (!strcasecmp(it->valuestring, codec_names[i]))
				k = i;
		if (k < 0)
			return jv_bad(c, f, "codec names among PCMU, PCMA, G722, opus", it);
		g->codecs[g->n_codecs++] = (enum media_codec)k;
	}
	return 0;
}

static int parse_accounts_at(struct jv *c, const cJSON *o, const char *f, struct scn_group *g)
{
	static const char *const keys[] = {"prefix", "first", "count", "password", "domain", NULL};
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "accounts");
	if (!cJSON_IsObject(a))
		return jv_bad(c, f, "an object {\"prefix\", \"count\", \"password\"}", a);
	int rc = jv_keys(c, a, f, keys);
	g->account_first = 1;
	if (!rc)
		rc = jv_str(c, a, "prefix", f, g->account_prefix, sizeof(g->account_prefix), 1,
		            "an account name prefix (accounts are PREFIX0001 ...)");
	if (rc >= 0)
		rc = jv_int(c, a, "first", f, &g->account_first, 0, 999999, 0);
	if (rc >= 0)
		rc = jv_int(c, a, "count", f, &g->account_count, 0, 100000, 1);
	if (rc >= 0)
		rc = jv_str(c, a, "password", f, g->password, sizeof(g->password), 1, "a password");
	if (rc >= 0)
		rc = jv_str(c, a, "domain", f, g->domain, sizeof(g->domain), 0, "a domain");
	return rc < 0 ? rc : 0;
}

static int parse_accounts(struct jv *c, const cJSON *o, const char *field, struct scn_group *g)
{
	char f[128];
	snprintf(f, sizeof(f), "%s.accounts", field);
	return parse_accounts_at(c, o, f, g);
}

static int get_number(struct jv *c, const cJSON *o, const char *key, const char *field, double *out,
                      double min, double max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!v)
		return 0;
	char expected[96], f[96];
	snprintf(expected, sizeof(expected), "a number from %g to %g", min, max);
	snprintf(f, sizeof(f), "%s%s%s", field, *field ? "." : "", key);
	if (!cJSON_IsNumber(v) || v->valuedouble < min || v->valuedouble > max)
		return jv_bad(c, f, expected, v);
	*out = v->valuedouble;
	return 1;
}

/* "silence": {"at_s": 5, "duration_s": 40}: stop sending for a while. */
static int parse_silence(struct jv *c, const cJSON *o, const char *field, int *has, double *at,
                         double *dur)
{
	static const char *const keys[] = {"at_s", "duration_s", NULL};
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "silence");
	char f[64];
	snprintf(f, sizeof(f), "%s%ssilence", field, *field ? "." : "");
	if (!v)
		return 0;
	if (!cJSON_IsObject(v))
		return jv_bad(c, f, "an object {\"at_s\", \"duration_s\"}", v);
	int rc = jv_keys(c, v, f, keys);
	if (!rc)
		rc = get_number(c, v, "at_s", f, at, 0, 86400);
	if (rc >= 0)
		rc = get_number(c, v, "duration_s", f, dur, 0, 86400);
	*has = rc >= 0;
	return rc < 0 ? rc : 0;
}

static int parse_group(struct jv *c, const cJSON *o, int idx, struct scenario *s)
{
	static const char *const keys[] = {"name",   "registrar", "transport", "accounts",
	                                   "codecs", "srtp",      "endpoints", "role",
	                                   "target", "region",    "silence",   NULL};
	static const char *const transports[] = {"udp", "tcp", "tls", "auto"};
	static const char *const srtp[] = {"none", "sdes"};
	static const char *const roles[] = {"caller", "callee", "receive-only"};
	struct scn_group *g = &s->groups[s->n_groups];
	char f[32];
	snprintf(f, sizeof(f), "groups[%d]", idx);
	memset(g, 0, sizeof(*g));
	if (!cJSON_IsObject(o))
		return jv_bad(c, f, "an object describing a group of endpoints", o);
	int rc = jv_keys(c, o, f, keys), v = 0;
	snprintf(g->name, sizeof(g->name), "group%d", idx + 1);
	snprintf(g->domain, sizeof(g->domain), "lab");
	snprintf(g->region, sizeof(g->region), "%s", s->region);
	if (!rc)
		rc = jv_str(c, o, "name", f, g->name, sizeof(g->name), 0, "a group name");
	if (rc >= 0)
		rc = jv_str(c, o, "registrar", f, g->registrar, sizeof(g->registrar), 1,
		            "the registrar's name or address, e.g. \"lab\" or \"10.10.2.2:5060\"");
	if (rc >= 0 && (rc = one_of(c, o, "transport", f, transports, 4, &v,
	                            "\"udp\", \"tcp\", \"tls\" or \"auto\"")) > 0)
		g->transport = (enum scn_transport)v;
	if (rc >= 0)
		rc = parse_accounts(c, o, f, g);
	if (rc >= 0)
		rc = parse_codecs(c, o, f, g);
	if (rc >= 0 && (rc = one_of(c, o, "srtp", f, srtp, 2, &v, "\"none\" or \"sdes\"")) > 0)
		g->srtp = (enum media_keying)v;
	if (rc >= 0)
		rc = jv_int(c, o, "endpoints", f, &g->endpoints, 1, 100000, 1);
	if (rc >= 0 && (rc = one_of(c, o, "role", f, roles, 3, &v,
	                            "\"caller\", \"callee\" or \"receive-only\"")) > 0)
		g->role = (enum scn_role)v;
	if (rc >= 0)
		rc = jv_str(c, o, "target", f, g->target, sizeof(g->target), 0,
		            "\"callee-pool\" or the name of another group");
	if (rc >= 0)
		rc = jv_str(c, o, "region", f, g->region, sizeof(g->region), 0, "a region name");
	if (rc >= 0)
		rc = parse_silence(c, o, f, &g->has_pause, &g->pause_at_s, &g->pause_s);
	if (rc < 0)
		return rc;
	if (g->role == SCN_CALLER && !g->target[0])
		return err_set(
		        c->e, EINVAL,
		        "%s: %s.target: expected \"callee-pool\" or the name of another group "
		        "for a caller group, got nothing",
		        c->origin, f);
	s->n_groups++;
	return 0;
}

/* Cross-checks that need every group: targets exist, accounts suffice. */
static int check_groups(struct jv *c, struct scenario *s)
{
	for (int i = 0; i < s->n_groups; i++) {
		struct scn_group *g = &s->groups[i];
		int found = !g->target[0] || !strcmp(g->target, "callee-pool");
		for (int k = 0; k < s->n_groups && !found; k++)
			found = k != i && !strcmp(s->groups[k].name, g->target);
		if (!found)
			return err_set(
			        c->e, EINVAL,
			        "%s: groups[%d].target: expected \"callee-pool\" or the name of "
			        "another group, got \"%s\"",
			        c->origin, i, g->target);
		for (int k = 0; k < i; k++)
			if (!strcmp(s->groups[k].name, g->name))
				return err_set(c->e, EINVAL,
				               "%s: groups[%d].name: \"%s\" is used twice",
				               c->origin, i, g->name);
	}
	return 0;
}

static int get_seconds(struct jv *c, const cJSON *root, const char *key, double *out, double min,
                       double max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
	if (!v)
		return 0;
	char expected[96];
	snprintf(expected, sizeof(expected), "a number from %g to %g", min, max);
	if (!cJSON_IsNumber(v) || v->valuedouble < min || v->valuedouble > max)
		return jv_bad(c, key, expected, v);
	*out = v->valuedouble;
	return 0;
}

/* An optional object member: NULL when absent, an error when not an object. */
static int get_object(struct jv *c, const cJSON *root, const char *key, const char *const *keys,
                      const cJSON **out)
{
	*out = cJSON_GetObjectItemCaseSensitive(root, key);
	if (!*out)
		return 0;
	if (!cJSON_IsObject(*out))
		return jv_bad(c, key, "an object", *out);
	return jv_keys(c, *out, key, keys);
}

static int parse_plan(struct jv *c, const cJSON *root, struct scenario *s)
{
	static const char *const keys[] = {"max_endpoints", "credits", NULL};
	const cJSON *o;
	int rc = get_object(c, root, "plan", keys, &o);
	if (rc || !o)
		return rc;
	rc = jv_int(c, o, "max_endpoints", "plan", &s->plan.max_endpoints, 0, 1000000, 0);
	if (rc >= 0)
		rc = get_number(c, o, "credits", "plan", &s->plan.credits, 0, 1e12);
	return rc < 0 ? rc : 0;
}

static int parse_platform(struct jv *c, const cJSON *root, struct scenario *s)
{
	static const char *const keys[] = {"workers",     "worker_region",       "capacity",
	                                   "heartbeat_s", "heartbeat_timeout_s", "worker_regions",
	                                   NULL};
	const cJSON *o;
	struct scn_platform *p = &s->platform;
	int rc = get_object(c, root, "platform", keys, &o);
	if (rc || !o)
		return rc;
	rc = jv_int(c, o, "workers", "platform", &p->workers, 1, 50, 0);
	if (rc >= 0)
		rc = jv_str(c, o, "worker_region", "platform", p->worker_region,
		            sizeof(p->worker_region), 0, "a region name");
	if (rc >= 0)
		rc = jv_int(c, o, "capacity", "platform", &p->capacity, 1, 100000, 0);
	if (rc >= 0)
		rc = get_number(c, o, "heartbeat_s", "platform", &p->heartbeat_s, 0.1, 600);
	if (rc >= 0)
		rc = get_number(c, o, "heartbeat_timeout_s", "platform", &p->heartbeat_timeout_s,
		                0.5, 3600);
	const cJSON *r = rc >= 0 ? cJSON_GetObjectItemCaseSensitive(o, "worker_regions") : NULL,
	            *it;
	if (r && (!cJSON_IsArray(r) || !cJSON_GetArraySize(r) || cJSON_GetArraySize(r) > 8))
		return jv_bad(c, "platform.worker_regions", "an array of 1 to 8 region names", r);
	cJSON_ArrayForEach (it, r) {
		if (!cJSON_IsString(it) || !*it->valuestring || strlen(it->valuestring) >= 32)
			return jv_bad(c, "platform.worker_regions", "region names", it);
		snprintf(p->regions[p->n_regions++], 32, "%s", it->valuestring);
	}
	return rc < 0 ? rc : 0;
}

static int parse_far(struct jv *c, const cJSON *root, struct scenario *s)
{
	static const char *const keys[] = {"registrar", "transports", "callees",
	                                   "accounts",  "sbc",        NULL};
	static const char *const ckeys[] = {"prefix", "count", "behaviour", NULL};
	static const char *const impls[] = {"siplab", "kamailio"};
	const cJSON *o, *t, *it;
	struct scn_far *f = &s->far;
	int rc = get_object(c, root, "far_side", keys, &o), v = 0;
	if (rc || !o)
		return rc;
	if ((rc = one_of(c, o, "registrar", "far_side", impls, 2, &v,
	                 "\"siplab\" or \"kamailio\"")) > 0)
		f->registrar = (enum scn_registrar_impl)v;
	if (rc >= 0 && (t = cJSON_GetObjectItemCaseSensitive(o, "transports"))) {
		if (!cJSON_IsArray(t) || !cJSON_GetArraySize(t))
			return jv_bad(c, "far_side.transports",
			              "an array of \"udp\", \"tcp\", \"tls\"", t);
		f->udp = f->tcp = f->tls = 0;
		cJSON_ArrayForEach (it, t) {
			const char *n = cJSON_IsString(it) ? it->valuestring : "";
			int *slot = !strcmp(n, "udp")   ? &f->udp
			            : !strcmp(n, "tcp") ? &f->tcp
			            : !strcmp(n, "tls") ? &f->tls
			                                : NULL;
			if (!slot)
				return jv_bad(c, "far_side.transports",
				              "\"udp\", \"tcp\" or \"tls\"", it);
			*slot = 1;
		}
	}
	const cJSON *cp = rc >= 0 ? cJSON_GetObjectItemCaseSensitive(o, "callees") : NULL;
	if (cp) {
		if (!cJSON_IsObject(cp))
			return jv_bad(c, "far_side.callees", "an object", cp);
		rc = jv_keys(c, cp, "far_side.callees", ckeys);
		if (!rc)
			rc = jv_str(c, cp, "prefix", "far_side.callees", f->callee_prefix,
			            sizeof(f->callee_prefix), 0, "an account prefix");
		if (rc >= 0)
			rc = jv_int(c, cp, "count", "far_side.callees", &f->callee_count, 1, 10000,
			            0);
		if (rc >= 0)
			rc = jv_str(c, cp, "behaviour", "far_side.callees", f->callee_behaviour,
			            sizeof(f->callee_behaviour), 0,
			            "answer, busy, reject or noanswer");
	}
	const cJSON *sbc = rc >= 0 ? cJSON_GetObjectItemCaseSensitive(o, "sbc") : NULL;
	if (sbc) {
		static const char *const skeys[] = {"relay", NULL};
		if (!cJSON_IsObject(sbc))
			return jv_bad(c, "far_side.sbc", "an object {\"relay\": true}", sbc);
		if ((rc = jv_keys(c, sbc, "far_side.sbc", skeys)) ||
		    (rc = jv_bool(c, sbc, "relay", "far_side.sbc", &s->sbc_relay)) < 0)
			return rc;
	}
	const cJSON *pools = rc >= 0 ? cJSON_GetObjectItemCaseSensitive(o, "accounts") : NULL;
	if (pools && (!cJSON_IsArray(pools) || cJSON_GetArraySize(pools) > SCN_MAX_GROUPS))
		return jv_bad(c, "far_side.accounts", "an array of at most 16 account pools",
		              pools);
	cJSON_ArrayForEach (it, pools) {
		/* The same shape as a group's accounts, read by the same code. */
		struct scn_group g;
		char pf[48];
		memset(&g, 0, sizeof(g));
		snprintf(g.domain, sizeof(g.domain), "lab");
		snprintf(pf, sizeof(pf), "far_side.accounts[%d]", f->n_pools);
		cJSON *wrap = cJSON_CreateObject();
		cJSON_AddItemReferenceToObject(wrap, "accounts", (cJSON *)it);
		rc = parse_accounts_at(c, wrap, pf, &g);
		cJSON_Delete(wrap);
		if (rc)
			return rc;
		struct scn_pool *p = &f->pools[f->n_pools++];
		snprintf(p->prefix, sizeof(p->prefix), "%s", g.account_prefix);
		snprintf(p->password, sizeof(p->password), "%s", g.password);
		snprintf(p->domain, sizeof(p->domain), "%s", g.domain);
		p->first = g.account_first;
		p->count = g.account_count;
	}
	return rc < 0 ? rc : 0;
}

static int parse_action(struct jv *c, const cJSON *o, const char *f, struct scn_action *a)
{
	static const char *const keys[] = {"do", "worker", "at_s", NULL};
	static const char *const kinds[] = {"kill_worker", "stop_worker"};
	if (!cJSON_IsObject(o))
		return jv_bad(c, f, "an object {\"do\", \"worker\", \"at_s\"}", o);
	int rc = jv_keys(c, o, f, keys), v = 0;
	snprintf(a->worker, sizeof(a->worker), "all");
	if (!rc && (rc = one_of(c, o, "do", f, kinds, 2, &v,
	                        "\"kill_worker\" (SIGKILL) or \"stop_worker\" (SIGTERM)")) > 0)
		a->kind = (enum scn_action_kind)v;
	else if (!rc)
		return jv_bad(c, f, "a \"do\" member", o);
	if (rc >= 0)
		rc = jv_str(c, o, "worker", f, a->worker, sizeof(a->worker), 0,
		            "a worker host name such as \"worker1\", or \"all\"");
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "at_s");
	char af[64];
	snprintf(af, sizeof(af), "%s.at_s", f);
	if (rc >= 0 && cJSON_IsString(at) && !strcmp(at->valuestring, "before_run"))
		a->before_run = 1;
	else if (rc >= 0 && (!cJSON_IsNumber(at) || at->valuedouble < 0))
		return jv_bad(c, af, "seconds after the run starts, or \"before_run\"", at);
	else if (rc >= 0)
		a->at_s = at->valuedouble;
	return rc < 0 ? rc : 0;
}

static int parse_extras(struct jv *c, const cJSON *root, struct scenario *s)
{
	static const char *const skeys[] = {"at_s", "duration_s", NULL};
	int rc = parse_plan(c, root, s);
	if (!rc)
		rc = parse_platform(c, root, s);
	if (!rc)
		rc = parse_far(c, root, s);
	const cJSON *o, *a = cJSON_GetObjectItemCaseSensitive(root, "actions"), *it;
	if (!rc && a && (!cJSON_IsArray(a) || cJSON_GetArraySize(a) > SCN_MAX_ACTIONS))
		return jv_bad(c, "actions", "an array of at most 8 actions", a);
	const cJSON *list = rc ? NULL : a;
	cJSON_ArrayForEach (it, list) {
		char f[32];
		snprintf(f, sizeof(f), "actions[%d]", s->n_actions);
		if ((rc = parse_action(c, it, f, &s->actions[s->n_actions])))
			return rc;
		s->n_actions++;
	}
	int has = 0;
	(void)o;
	(void)skeys;
	if (!rc)
		rc = parse_silence(c, root, "", &has, &s->pause_at_s, &s->pause_s);
	return rc < 0 ? rc : 0;
}

/* "fault": {"code": "reg.rate_limit", "params": {"per_second": 20}} */
static int parse_fault(struct jv *c, const cJSON *root, struct scenario *s)
{
	static const char *const keys[] = {"code", "params", NULL};
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "fault"), *it;
	if (!o || cJSON_IsNull(o))
		return 0;
	if (!cJSON_IsObject(o))
		return jv_bad(c, "fault", "an object {\"code\", \"params\"}", o);
	int rc = jv_keys(c, o, "fault", keys);
	if (!rc)
		rc = jv_str(c, o, "code", "fault", s->fault.code, sizeof(s->fault.code), 1,
		            "a fault code such as \"reg.rate_limit\"");
	if (rc < 0)
		return rc;
	const struct fault *f = fault_find(s->fault.code);
	if (!f) {
		char list[512] = "a fault code, one of: ";
		size_t n = strlen(list);
		for (int i = 0; fault_catalogue[i] && n < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
			                      fault_catalogue[i]->code);
		(void)n;
		return jv_bad(c, "fault.code", list, cJSON_GetObjectItem(o, "code"));
	}
	for (int i = 0; i < FAULT_MAX_PARAMS && f->params[i].name; i++)
		snprintf(s->fault.vals[i], sizeof(s->fault.vals[i]), "%s", f->params[i].dflt);
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(o, "params");
	if (params && !cJSON_IsObject(params))
		return jv_bad(c, "fault.params", "an object of parameter values", params);
	cJSON_ArrayForEach (it, params) {
		char field[96], value[64];
		snprintf(field, sizeof(field), "fault.params.%s", it->string);
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
		if (cJSON_IsNumber(it))
			snprintf(value, sizeof(value), "%g", it->valuedouble);
		else if (cJSON_IsString(it))
			snprintf(value, sizeof(value), "%s", it->valuestring);
		else
			return jv_bad(c, field, "a number or a string", it);
		err_t fe;
		if (fault_param_check(f, i, value, &fe))
			return err_set(c->e, EINVAL, "%s: %s", c->origin, fe.msg);
		snprintf(s->fault.vals[i], sizeof(s->fault.vals[i]), "%s", value);
	}
	s->has_fault = 1;
	return 0;
}

/* "expect": {"status", "diagnosis", "all_success", "outcomes": {"X": {"min",
 * "max", "min_share"}}} — checked here for shape, kept as text. */
static int parse_expect(struct jv *c, const cJSON *o, const char *field, char *out, size_t cap)
{
	static const char *const keys[] = {"status",   "diagnosis", "all_success",
	                                   "outcomes", "known_gap", NULL};
	static const char *const okeys[] = {"min", "max", "min_share", NULL};
	if (!o)
		return 0;
	if (!cJSON_IsObject(o))
		return jv_bad(c, field, "an object {\"status\", \"diagnosis\", \"outcomes\"}", o);
	int rc = jv_keys(c, o, field, keys);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "status"), *it;
	char f[96];
	snprintf(f, sizeof(f), "%s.status", field);
	if (!rc && st && (!cJSON_IsString(st) || run_status_from_name(st->valuestring) < 0))
		return jv_bad(c, f, "a run status such as \"COMPLETED\"", st);
	const cJSON *gap = cJSON_GetObjectItemCaseSensitive(o, "known_gap");
	snprintf(f, sizeof(f), "%s.known_gap", field);
	if (!rc && gap && (!cJSON_IsString(gap) || !*gap->valuestring))
		return jv_bad(c, f, "a sentence: why the diagnosis cannot name this cause yet",
		              gap);
	const cJSON *outs = cJSON_GetObjectItemCaseSensitive(o, "outcomes");
	const cJSON *list = rc ? NULL : outs;
	cJSON_ArrayForEach (it, list) {
		snprintf(f, sizeof(f), "%s.outcomes.%s", field, it->string);
		if (outcome_from_name(it->string) < 0)
			return jv_bad(c, f, "an outcome such as \"REGISTRATION_FAILED\"", it);
		if (!cJSON_IsObject(it) || (rc = jv_keys(c, it, f, okeys)))
			return rc ? rc
			          : jv_bad(c, f, "an object {\"min\", \"max\", \"min_share\"}", it);
	}
	char *text = rc ? NULL : cJSON_PrintUnformatted(o);
	if (text && strlen(text) >= cap)
		rc = err_set(c->e, EINVAL, "%s: %s: too long", c->origin, field);
	else if (text)
		snprintf(out, cap, "%s", text);
	free(text);
	return rc;
}

static int parse_remedy(struct jv *c, const cJSON *root, struct scenario *s)
{
	static const char *const keys[] = {"description", "patch", "group_patch", "expect", NULL};
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "remedy");
	if (!o)
		return 0;
	if (!cJSON_IsObject(o))
		return jv_bad(c, "remedy", "an object {\"description\", \"patch\", \"expect\"}", o);
	int rc = jv_keys(c, o, "remedy", keys);
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "patch");
	const cJSON *gp = cJSON_GetObjectItemCaseSensitive(o, "group_patch");
	if (!rc && p && !cJSON_IsObject(p))
		return jv_bad(c, "remedy.patch", "an object merged into the scenario", p);
	if (!rc && gp && !cJSON_IsObject(gp))
		return jv_bad(c, "remedy.group_patch", "an object merged into every group", gp);
	char exp[1024];
	if (!rc)
		rc = parse_expect(c, cJSON_GetObjectItemCaseSensitive(o, "expect"), "remedy.expect",
		                  exp, sizeof(exp));
	char *text = rc ? NULL : cJSON_PrintUnformatted(o);
	if (text && strlen(text) >= sizeof(s->remedy))
		rc = err_set(c->e, EINVAL, "%s: remedy: too long", c->origin);
	else if (text)
		snprintf(s->remedy, sizeof(s->remedy), "%s", text);
	free(text);
	return rc;
}

static void defaults(struct scenario *s)
{
	snprintf(s->name, sizeof(s->name), "scenario");
	snprintf(s->region, sizeof(s->region), "lab");
	s->buildup_s = 10;
	s->call_duration_s = 30;
	s->time_scale = 1;
	s->plan.max_endpoints = 2000;
	s->plan.credits = 1e9;
	s->platform.workers = 1;
	s->platform.capacity = 5000;
	s->platform.heartbeat_s = 5;
	s->platform.heartbeat_timeout_s = 60;
	s->far.udp = s->far.tcp = s->far.tls = 1;
	snprintf(s->far.callee_prefix, sizeof(s->far.callee_prefix), "callee");
	s->far.callee_count = 20;
	snprintf(s->far.callee_behaviour, sizeof(s->far.callee_behaviour), "answer");
}

int scenario_parse(const char *json, const char *origin, struct scenario *s, err_t *e)
{
	static const char *const keys[] = {
	        "name",       "region",  "buildup_s",   "call_duration_s",
	        "time_scale", "groups",  "plan",        "platform",
	        "far_side",   "actions", "silence",     "fault",
	        "expect",     "remedy",  "description", NULL};
	struct jv c = {origin, e};
	memset(s, 0, sizeof(*s));
	defaults(s);
	cJSON *root = jv_parse(&c, json);
	if (!root)
		return -EINVAL;
	int rc = cJSON_IsObject(root) ? jv_keys(&c, root, "", keys)
	                              : jv_bad(&c, "(top level)", "an object", root);
	if (!rc)
		rc = jv_str(&c, root, "name", "", s->name, sizeof(s->name), 0, "a name");
	if (rc >= 0)
		rc = jv_str(&c, root, "region", "", s->region, sizeof(s->region), 0,
		            "a region name");
	if (rc >= 0)
		rc = get_seconds(&c, root, "buildup_s", &s->buildup_s, 0, 3600);
	if (rc >= 0)
		rc = get_seconds(&c, root, "call_duration_s", &s->call_duration_s, 0, 86400);
	if (rc >= 0)
		rc = get_seconds(&c, root, "time_scale", &s->time_scale, 0.001, 1);
	const cJSON *groups = cJSON_GetObjectItemCaseSensitive(root, "groups"), *it;
	if (rc >= 0 && (!cJSON_IsArray(groups) || cJSON_GetArraySize(groups) < 1 ||
	                cJSON_GetArraySize(groups) > SCN_MAX_GROUPS))
		rc = jv_bad(&c, "groups", "an array of 1 to 16 groups", groups);
	int i = 0;
	if (rc >= 0)
		cJSON_ArrayForEach (it, groups) {
			if ((rc = parse_group(&c, it, i++, s)))
				break;
		}
	if (rc >= 0)
		rc = check_groups(&c, s);
	if (rc >= 0)
		rc = parse_extras(&c, root, s);
	if (rc >= 0)
		rc = parse_fault(&c, root, s);
	if (rc >= 0)
		rc = parse_expect(&c, cJSON_GetObjectItemCaseSensitive(root, "expect"), "expect",
		                  s->expect, sizeof(s->expect));
	if (rc >= 0)
		rc = parse_remedy(&c, root, s);
	if (rc >= 0 && !s->platform.worker_region[0])
		snprintf(s->platform.worker_region, sizeof(s->platform.worker_region), "%s",
		         s->region);
	cJSON_Delete(root);
	return rc < 0 ? rc : 0;
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

int scenario_endpoints(const struct scenario *s)
{
	int n = 0;
	for (int i = 0; i < s->n_groups; i++)
		n += s->groups[i].endpoints;
	return n;
}

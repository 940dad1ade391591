/* scenario.c — read and check test configurations (see scenario.h). */
#define _GNU_SOURCE
#include "scenario.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../netns/jsonv.h"

static const char *const codec_names[] = {"PCMU", "PCMA", "G722", "opus"};

const char *scn_codec_name(enum scn_codec c)
{
	return (unsigned)c < 4 ? codec_names[c] : "?";
}

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
		g->codecs[0] = SCN_PCMU;
		g->codecs[1] = SCN_PCMA;
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
		g->codecs[g->n_codecs++] = (enum scn_codec)k;
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

static int parse_group(struct jv *c, const cJSON *o, int idx, struct scenario *s)
{
	static const char *const keys[] = {"name",   "registrar", "transport", "accounts",
	                                   "codecs", "srtp",      "endpoints", "role",
	                                   "target", "region",    NULL};
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
		g->srtp = (enum scn_srtp)v;
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
	static const char *const keys[] = {"registrar", "transports", "callees", "accounts", NULL};
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
	if (!rc && !(rc = get_object(c, root, "silence", skeys, &o)) && o) {
		rc = get_number(c, o, "at_s", "silence", &s->pause_at_s, 0, 86400);
		if (rc >= 0)
			rc = get_number(c, o, "duration_s", "silence", &s->pause_s, 0, 86400);
	}
	return rc < 0 ? rc : 0;
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
	static const char *const keys[] = {"name",       "region",  "buildup_s", "call_duration_s",
	                                   "time_scale", "groups",  "plan",      "platform",
	                                   "far_side",   "actions", "silence",   "fault",
	                                   "expect",     "remedy",  NULL};
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
	free(text);
	return rc;
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

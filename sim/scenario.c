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

static int parse_accounts(struct jv *c, const cJSON *o, const char *field, struct scn_group *g)
{
	static const char *const keys[] = {"prefix", "first", "count", "password", "domain", NULL};
	char f[128];
	snprintf(f, sizeof(f), "%s.accounts", field);
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

int scenario_parse(const char *json, const char *origin, struct scenario *s, err_t *e)
{
	static const char *const keys[] = {"name",       "region", "buildup_s", "call_duration_s",
	                                   "time_scale", "groups", NULL};
	struct jv c = {origin, e};
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "scenario");
	snprintf(s->region, sizeof(s->region), "lab");
	s->buildup_s = 10;
	s->call_duration_s = 30;
	s->time_scale = 1;
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

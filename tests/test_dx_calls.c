/* test_dx_calls.c — the call-setup rules told apart on small reports written
 * by hand (no lab): no final answer to INVITEs for another domain (a route
 * between registrars) against the same timeouts within one domain; a caller
 * group aimed at another group of callers (read from the test section)
 * against a busy or an offline callee with the same SIP codes, and against
 * one unknown number. The real runs are scenarios/call_*.json. */
#define _GNU_SOURCE
#include "harness.h"

#include "../diagnose/diagnose.h"

static cJSON *report(const char *groups, const char *endpoints)
{
	char *json = NULL;
	assert_true(asprintf(&json,
	                     "{\"schema_version\":2,\"test\":{\"groups\":[%s]},\"run\":{\"status\":"
	                     "\"COMPLETED\"},\"workers\":[],\"endpoints\":[%s],\"totals\":{}}",
	                     groups, endpoints) > 0);
	cJSON *r = cJSON_Parse(json);
	free(json);
	assert_non_null(r);
	return r;
}

/* A test group: name, role, target ("" none), accounts' domain ("" default). */
static char *group(const char *name, const char *role, const char *target, const char *domain)
{
	char *s = NULL;
	assert_true(asprintf(&s,
	                     "{\"name\":\"%s\",\"registrar\":\"registrar.lab\",\"role\":\"%s\","
	                     "\"accounts\":{\"prefix\":\"%.2s\",\"count\":2%s%s%s}%s%s%s}",
	                     name, role, name, *domain ? ",\"domain\":\"" : "", domain,
	                     *domain ? "\"" : "", *target ? ",\"target\":\"" : "", target,
	                     *target ? "\"" : "") > 0);
	return s;
}

/* A registered endpoint of a group: a caller (target given) or a callee,
 * how it ended and with which code ("408l": made up locally; 0: none). */
static char *ep(const char *user, const char *grp, const char *target, const char *outcome,
                const char *code, int trying)
{
	char *s = NULL;
	int c = atoi(code), local = strchr(code, 'l') != NULL;
	assert_true(asprintf(&s,
	                     "{\"user\":\"%s\",\"group\":\"%s\",\"worker\":\"worker1\",\"outcome\":"
	                     "\"%s\",\"sip_code\":%d,\"sip_code_source\":\"%s\",\"times_ms\":"
	                     "{\"register\":10,\"registered\":20}%s%s%s,\"trace\":[%s]}",
	                     user, grp, outcome, c, local ? "local" : "wire",
	                     *target ? ",\"target\":\"" : "", target, *target ? "\"" : "",
	                     trying ? "{\"dir\":\"send\",\"first_line\":\"INVITE sip:x SIP/2.0\"},"
	                              "{\"dir\":\"recv\",\"first_line\":\"SIP/2.0 100 Trying\"}"
	                            : "") > 0);
	return s;
}

static char *join(char **parts, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(parts[i]) + 1;
	char *out = calloc(1, len);
	assert_non_null(out);
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, parts[i]);
		free(parts[i]);
	}
	return out;
}

/* The ranked codes, "a b c", and whether the evidence holds a phrase. */
static void expect(cJSON *rep, const char *want, const char *banned, const char *evidence)
{
	cJSON *d = diagnose(rep);
	char codes[512] = "";
	size_t n = 0;
	const cJSON *x;
	cJSON_ArrayForEach (x, cJSON_GetObjectItem(d, "findings"))
		n += (size_t)snprintf(codes + n, sizeof(codes) - n, "%s%s", n ? " " : "",
		                      cJSON_GetObjectItem(x, "code")->valuestring);
	if (strcmp(diagnose_top(d), want))
		fail_msg("diagnosis %s, expected %s (ranked: %s)", diagnose_top(d), want, codes);
	if (banned && strstr(codes, banned))
		fail_msg("%s is among the findings (%s)", banned, codes);
	char *text = cJSON_PrintUnformatted(d);
	if (evidence && !strstr(text, evidence))
		fail_msg("no \"%s\" in %s", evidence, text);
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(rep);
}

/* Callers of domain lab dial b.lab, get 100 Trying and then 408 from their
 * registrar; b.lab's callees registered and idle. The route, ranked above
 * the idle callees it explains. */
static void test_no_route_cross_domain(void **state)
{
	(void)state;
	char *g[] = {group("callers", "caller", "receivers", ""),
	             group("receivers", "callee", "", "b.lab")};
	char *e[] = {ep("ca1", "callers", "sip:re1@b.lab", "TIMEOUT", "408", 1),
	             ep("ca2", "callers", "sip:re2@b.lab", "TIMEOUT", "408", 1),
	             ep("re1", "receivers", "", "TIMEOUT", "0", 0),
	             ep("re2", "receivers", "", "TIMEOUT", "0", 0)};
	char *gs = join(g, 2), *es = join(e, 4);
	cJSON *rep = report(gs, es);
	free(gs);
	free(es);
	cJSON *d = diagnose(rep);
	const cJSON *f = cJSON_GetObjectItem(d, "findings");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(f, 0), "code")->valuestring,
	                    "call.no_route");
	int wait_ranked = 0;
	for (int i = 1; i < cJSON_GetArraySize(f); i++)
		wait_ranked |=
		        !strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(f, i), "code")->valuestring,
		                "call.callee_wait_timeout");
	assert_true(wait_ranked);
	cJSON_Delete(d);
	expect(rep, "call.no_route", NULL, "reached their registrar");
}

/* The same timeouts to callees of the callers' own domain are not a route
 * between registrars. */
static void test_no_route_needs_another_domain(void **state)
{
	(void)state;
	char *g[] = {group("callers", "caller", "receivers", ""),
	             group("receivers", "callee", "", "")};
	char *e[] = {ep("ca1", "callers", "sip:re1@lab", "TIMEOUT", "408", 1),
	             ep("ca2", "callers", "sip:re2@lab", "TIMEOUT", "408", 1),
	             ep("re1", "receivers", "", "TIMEOUT", "0", 0),
	             ep("re2", "receivers", "", "TIMEOUT", "0", 0)};
	char *gs = join(g, 2), *es = join(e, 4);
	cJSON *rep = report(gs, es);
	free(gs);
	free(es);
	cJSON *d = diagnose(rep);
	char *text = cJSON_PrintUnformatted(d);
	assert_null(strstr(text, "call.no_route"));
	free(text);
	cJSON_Delete(d);
	cJSON_Delete(rep);
}

/* 480s and 486s to a caller group aimed at another group of callers, a
 * callee group nobody targets idle: targeting, above offline and busy. */
static void test_targeting_not_offline(void **state)
{
	(void)state;
	char *g[] = {group("east-out", "caller", "west-out", ""),
	             group("west-out", "caller", "east-in", ""), group("east-in", "callee", "", ""),
	             group("west-in", "callee", "", "")};
	char *e[] = {ep("eo1", "east-out", "sip:wo1@lab", "CALL_FAILED", "480", 1),
	             ep("eo2", "east-out", "sip:wo2@lab", "CALL_FAILED", "486", 1),
	             ep("wo1", "west-out", "sip:ei1@lab", "SUCCESS", "200", 1),
	             ep("wo2", "west-out", "sip:ei2@lab", "SUCCESS", "200", 1),
	             ep("ei1", "east-in", "", "SUCCESS", "200", 0),
	             ep("ei2", "east-in", "", "SUCCESS", "200", 0),
	             ep("wi1", "west-in", "", "TIMEOUT", "0", 0),
	             ep("wi2", "west-in", "", "TIMEOUT", "0", 0)};
	char *gs = join(g, 4), *es = join(e, 8);
	expect(report(gs, es), "call.targeting_misconfig", NULL,
	       "group west-in (callee) is targeted by no caller group");
	free(gs);
	free(es);
}

/* The same 480s, the callers aimed at a callee group: an offline callee,
 * and no targeting finding at all. */
static void test_offline_is_not_targeting(void **state)
{
	(void)state;
	char *g[] = {group("callers", "caller", "receivers", ""),
	             group("receivers", "callee", "", "")};
	char *e[] = {ep("ca1", "callers", "sip:re1@lab", "CALL_FAILED", "480", 1),
	             ep("ca2", "callers", "sip:re2@lab", "CALL_FAILED", "480", 1),
	             ep("re1", "receivers", "", "TIMEOUT", "0", 0),
	             ep("re2", "receivers", "", "TIMEOUT", "0", 0)};
	char *gs = join(g, 2), *es = join(e, 4);
	expect(report(gs, es), "call.callee_offline", "call.targeting_misconfig", NULL);
	free(gs);
	free(es);
}

/* One unknown number (a URI target, 404), receivers idle: not found, not
 * targeting. */
static void test_unknown_number_is_not_targeting(void **state)
{
	(void)state;
	char *g[] = {group("callers", "caller", "sip:nobody@lab", ""),
	             group("receivers", "callee", "", "")};
	char *e[] = {ep("ca1", "callers", "sip:nobody@lab", "CALL_FAILED", "404", 1),
	             ep("ca2", "callers", "sip:nobody@lab", "CALL_FAILED", "404", 1),
	             ep("re1", "receivers", "", "TIMEOUT", "0", 0),
	             ep("re2", "receivers", "", "TIMEOUT", "0", 0)};
	char *gs = join(g, 2), *es = join(e, 4);
	expect(report(gs, es), "call.callee_not_found", "call.targeting_misconfig", NULL);
	free(gs);
	free(es);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_no_route_cross_domain),
	        cmocka_unit_test(test_no_route_needs_another_domain),
	        cmocka_unit_test(test_targeting_not_offline),
	        cmocka_unit_test(test_offline_is_not_targeting),
	        cmocka_unit_test(test_unknown_number_is_not_targeting),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

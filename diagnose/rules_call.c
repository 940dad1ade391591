/* rules_call.c — calls that failed to set up for their SIP answer (480, 404,
 * 486) or for no answer from another domain, callers aimed at a group that
 * answers no call, and callees that waited for nothing (the guide's "Call
 * Setup Failures").
 * Each rule is one row of the table at the end, in the guide's order. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

static int call_code(const struct dx_evidence *ev, struct dx_finding *f, int code, const char *what)
{
	int callers = 0, n = 0;
	for (int i = 0; i < ev->n; i++) {
		callers += ev->eps[i].caller && ev->eps[i].registered;
		n += ev->eps[i].caller && ev->eps[i].code == code &&
		     !strcmp(ev->eps[i].outcome, "CALL_FAILED");
	}
	if (!n)
		return 0;
	dx_say(f, "%d of %d registered callers got %d to their INVITE: %s", n, callers, code, what);
	return dx_share(n, callers) >= 0.5 ? 80 : 60;
}

static int m_callee_offline(const struct dx_evidence *ev, struct dx_finding *f)
{
	return call_code(ev, f, 480, "the callee was not registered");
}

static int m_callee_not_found(const struct dx_evidence *ev, struct dx_finding *f)
{
	return call_code(ev, f, 404, "the dialled address is unknown");
}

static int m_callee_busy(const struct dx_evidence *ev, struct dx_finding *f)
{
	return call_code(ev, f, 486, "the callee was already in a call");
}

/* --- the test section: which group each caller group targets --------------- */

/* A group of the report's test section by name, or NULL. */
static const cJSON *test_group(const struct dx_evidence *ev, const char *name)
{
	const cJSON *test = cJSON_GetObjectItemCaseSensitive(ev->report, "test"), *g;
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(test, "groups")) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(g, "name");
		if (cJSON_IsString(n) && name && !strcmp(n->valuestring, name))
			return g;
	}
	return NULL;
}

static const char *field_or(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : dflt;
}

/* A group's role and its accounts' domain as the test has them, with the
 * platform's documented defaults (caller; domain "lab"). */
static const char *group_role(const cJSON *g)
{
	return field_or(g, "role", "caller");
}

static const char *group_domain(const cJSON *g)
{
	return field_or(cJSON_GetObjectItemCaseSensitive(g, "accounts"), "domain", "lab");
}

/* The host of a SIP URI ("sip:rr0001@b.lab;transport=udp" -> "b.lab"). */
static void uri_host(const char *uri, char *out, size_t cap)
{
	const char *at = strchr(uri, '@');
	const char *h = at ? at + 1 : strchr(uri, ':') ? strchr(uri, ':') + 1 : uri;
	size_t n = strcspn(h, ":;>?");
	snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), h);
}

/* Where in e's trace a provisional answer to its INVITE came (-1: none):
 * the request reached the first hop, which had nothing final to say. */
static int provisional_at(const struct dx_ep *e)
{
	const cJSON *t;
	int k = 0, sent = 0;
	cJSON_ArrayForEach (t, cJSON_GetObjectItemCaseSensitive(e->rec, "trace")) {
		const char *dir = field_or(t, "dir", ""), *line = field_or(t, "first_line", "");
		sent |= !strcmp(dir, "send") && !strncmp(line, "INVITE ", 7);
		if (sent && !strcmp(dir, "recv") && !strncmp(line, "SIP/2.0 1", 9))
			return k;
		k++;
	}
	return -1;
}

/* No final answer to INVITEs for another domain than the caller's own, while
 * every group registered: the request left the caller's registrar for the
 * far domain's and nothing came back (its transaction timed out: 408, or no
 * answer at all). A routing issue between the registrars (the guide's
 * Step 1, "No response"). */
static int m_no_route(const struct dx_evidence *ev, struct dx_finding *f)
{
	int callers = 0, cross = 0, reached = 0, idle = 0, first = -1;
	char far[64] = "", own[64] = "", host[64], at[64];
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!e->caller || !e->registered)
			continue;
		callers++;
		if (strcmp(e->outcome, "TIMEOUT") || (e->code && e->code != 408))
			continue;
		const char *dom = group_domain(test_group(ev, e->group));
		uri_host(field_or(e->rec, "target", ""), host, sizeof(host));
		if (!host[0] || !strcasecmp(host, dom))
			continue;
		cross++;
		reached += provisional_at(e) >= 0;
		if (first < 0) {
			first = i;
			snprintf(far, sizeof(far), "%s", host);
			snprintf(own, sizeof(own), "%s", dom);
		}
	}
	if (!cross)
		return 0;
	/* The far domain's own endpoints: registered there, never called. */
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		idle += !e->caller && e->registered && !strcmp(e->outcome, "TIMEOUT") &&
		        !strcasecmp(group_domain(test_group(ev, e->group)), far);
	}
	const struct dx_ep *e = &ev->eps[first];
	dx_say_at(f, dx_at_field(e, "target", at, sizeof(at)),
	          "%d of %d registered callers got no final answer to INVITEs for another domain "
	          "(%s, theirs %s): TIMEOUT, %s",
	          cross, callers, far, own,
	          !e->code        ? "no answer at all"
	          : e->code_local ? "408 made up by their own stack (nothing final in time)"
	                          : "408 from their registrar once its transaction timed out");
	if (reached)
		dx_say_at(f, dx_at_msg(e, provisional_at(e), at, sizeof(at)),
		          "%d of them had a provisional answer (100 Trying): the INVITE reached "
		          "their registrar, which got nothing back from the next hop",
		          reached);
	if (idle)
		dx_say(f, "%d endpoints of %s registered and waited: no INVITE reached them", idle,
		       far);
	dx_say(f, "registration is not the cause: every caller counted here registered");
	return dx_share(cross, callers) >= 0.5 ? 85 : 60;
}

/* Callers aimed at a group that answers no call: the test section says a
 * caller group targets another group of callers (they reject every INVITE
 * or are not yet registered), and a callee group no caller group targets
 * waits for nothing. The SIP codes alone (486, 480) look like a busy or an
 * offline callee; the targeting tells them apart. */
static int m_targeting(const struct dx_evidence *ev, struct dx_finding *f)
{
	const cJSON *test = cJSON_GetObjectItemCaseSensitive(ev->report, "test"), *g;
	int found = 0, idle_groups = 0;
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(test, "groups")) {
		const char *name = field_or(g, "name", ""), *target = field_or(g, "target", "");
		const cJSON *t = test_group(ev, target);
		if (strcmp(group_role(g), "caller") || !t || strcmp(group_role(t), "caller"))
			continue;
		int callers = 0, failed = 0, codes[3] = {0}; /* 486, 480, other */
		for (int i = 0; i < ev->n; i++) {
			const struct dx_ep *e = &ev->eps[i];
			if (strcmp(e->group, name) || !e->registered)
				continue;
			callers++;
			if (!dx_failed(e))
				continue;
			failed++;
			codes[e->code == 486 ? 0 : e->code == 480 ? 1 : 2]++;
		}
		if (!failed)
			continue;
		found += failed;
		dx_say(f,
		       "group %s targets group %s, a group of callers: none of its endpoints "
		       "answers a call",
		       name, target);
		dx_say(f,
		       "%d of %d registered callers of %s failed: %d x 486 (the target was "
		       "calling out), %d x 480 (the target not registered then), %d other",
		       failed, callers, name, codes[0], codes[1], codes[2]);
	}
	if (!found)
		return 0;
	/* The group they most likely meant: callees that nobody dials. */
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(test, "groups")) {
		const char *name = field_or(g, "name", "");
		const cJSON *c;
		int targeted = 0, waited = 0;
		if (!strcmp(group_role(g), "caller"))
			continue;
		cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(test, "groups"))
			targeted |= !strcmp(field_or(c, "target", ""), name);
		for (int i = 0; i < ev->n && !targeted; i++)
			waited += !strcmp(ev->eps[i].group, name) &&
			          !strcmp(ev->eps[i].outcome, "TIMEOUT");
		if (targeted || !waited)
			continue;
		idle_groups++;
		dx_say(f,
		       "group %s (%s) is targeted by no caller group: %d of its endpoints "
		       "waited for an INVITE that never came",
		       name, group_role(g), waited);
	}
	return idle_groups ? 90 : 75;
}

/* Receivers that waited for nothing: a consequence, ranked low, so the
 * callers' own failure comes first. */
static int m_callee_wait(const struct dx_evidence *ev, struct dx_finding *f)
{
	int waited = 0, callers_failed = 0;
	for (int i = 0; i < ev->n; i++) {
		waited += !ev->eps[i].caller && !strcmp(ev->eps[i].outcome, "TIMEOUT");
		callers_failed += ev->eps[i].caller && dx_failed(&ev->eps[i]);
	}
	if (!waited)
		return 0;
	dx_say(f, "%d receivers ended TIMEOUT: registered, and no INVITE came", waited);
	if (callers_failed)
		dx_say(f, "%d callers had failed themselves: the cause is upstream",
		       callers_failed);
	return callers_failed ? 30 : 60;
}

const struct dx_rule dx_rules_call[] = {
        {"call.callee_offline", "Call Setup Failures > Step 1: 480 Temporarily Unavailable",
         "Let the callees register before the callers dial: a longer buildup, receivers first.",
         m_callee_offline},
        {"call.callee_not_found", "Call Setup Failures > Step 1: 404 Not Found",
         "Correct the callee's URI or the group targeting.", m_callee_not_found},
        {"call.callee_busy", "Call Setup Failures > Step 1: 486 Busy Here",
         "Fix the pairing so no callee is double-booked.", m_callee_busy},
        {"call.no_route", "Call Setup Failures > Step 1: No response (routing issue)",
         "Fix the SIP routing between the caller's and the callee's registrars, so the "
         "INVITE reaches the callee's registrar and its answer comes back.",
         m_no_route},
        {"call.targeting_misconfig", "Call Setup Failures > Step 2: Check cross-group targeting",
         "Aim each caller group at the callee group meant to answer it.", m_targeting},
        {"call.callee_wait_timeout", "Call Setup Failures > TIMEOUT (Callee Side)",
         "Fix what kept the callers from dialling; then check the callee's wait is long "
         "enough.",
         m_callee_wait},
        {NULL},
};

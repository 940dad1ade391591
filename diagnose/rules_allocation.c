/* rules_allocation.c — the run did not start: pre-flight refused it with
 * CANNOT_RUN_FOR_NOW (the guide's "Test Stuck in CANNOT_RUN_FOR_NOW": plan
 * limits, credits, busy or missing workers, regions). A shortage of SIP
 * accounts is not among them: the guide has it fail the endpoints without an
 * account and run the others (rules_registration.c).
 * Each rule is one row of the table at the end, in the guide's order. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

/* Pre-flight refused the run for this reason (its code; the sentence is
 * only quoted). */
static int preflight(const struct dx_evidence *ev, struct dx_finding *f, enum run_reason why)
{
	if (strcmp(ev->status, "CANNOT_RUN_FOR_NOW") || ev->reason_code != why)
		return 0;
	dx_say(f, "the run ended CANNOT_RUN_FOR_NOW at pre-flight: %s; no SIP traffic was made",
	       ev->reason);
	return 95;
}

static int m_endpoint_limit(const struct dx_evidence *ev, struct dx_finding *f)
{
	return preflight(ev, f, RUN_REASON_ENDPOINT_LIMIT);
}

static int m_credits(const struct dx_evidence *ev, struct dx_finding *f)
{
	return preflight(ev, f, RUN_REASON_CREDITS);
}

/* As the Workers page shows it: ONLINE, allocated to another run (the run,
 * never its endpoints, which are another test's). */
static int m_busy(const struct dx_evidence *ev, struct dx_finding *f)
{
	if (!preflight(ev, f, RUN_REASON_WORKERS_BUSY))
		return 0;
	const cJSON *w;
	int i = 0;
	cJSON_ArrayForEach (w, cJSON_GetObjectItemCaseSensitive(ev->report, "workers")) {
		const cJSON *run = cJSON_GetObjectItemCaseSensitive(w, "allocated_to");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(w, "name");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(w, "status");
		char at[48];
		snprintf(at, sizeof(at), "/workers/%d/allocated_to", i++);
		if (cJSON_IsString(run) && cJSON_IsString(name) && cJSON_IsString(st))
			dx_say_at(f, at,
			          "%s was %s, allocated to run %s when this run reached pre-flight",
			          name->valuestring, st->valuestring, run->valuestring);
	}
	return 95;
}

/* What the report's workers show of how each came to the gateway: workers
 * that were ONLINE at some point, provisioned ones never seen, and hellos
 * the gateway refused (the first one's place kept for the evidence). */
struct arrivals {
	int online, never_seen, refused;
	int first_w, first_e; /* the first refusal: workers[first_w].events[first_e] */
	const char *cause, *from;
	char never[160]; /* the never-seen workers' names */
};

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static void read_arrivals(const struct dx_evidence *ev, struct arrivals *a)
{
	memset(a, 0, sizeof(*a));
	const cJSON *w, *e;
	int wi = 0;
	size_t n = 0;
	cJSON_ArrayForEach (w, cJSON_GetObjectItemCaseSensitive(ev->report, "workers")) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(w, "never_seen"))) {
			if (n < sizeof(a->never))
				n += (size_t)snprintf(a->never + n, sizeof(a->never) - n, "%s%s",
				                      a->never_seen ? ", " : "", jstr(w, "name"));
			a->never_seen++;
		}
		int ei = 0, was_online = 0;
		cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(w, "events")) {
			enum wk_cause c = wk_cause_from_name(jstr(e, "cause"));
			was_online |= wk_event_from_name(jstr(e, "kind")) == WK_EVENT_ONLINE;
			if (c == WK_CAUSE_BAD_TOKEN || c == WK_CAUSE_UNKNOWN_TOKEN ||
			    c == WK_CAUSE_NO_NAME) {
				if (!a->refused++) {
					a->first_w = wi, a->first_e = ei;
					a->cause = jstr(e, "cause");
					a->from = jstr(w, "address");
				}
			}
			ei++;
		}
		a->online += was_online;
		wi++;
	}
}

static void list_workers(const struct dx_evidence *ev, struct dx_finding *f)
{
	char line[300] = "";
	size_t n = 0;
	for (int i = 0; i < ev->n_workers && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %s", i ? ", " : "",
		                      ev->workers[i].name, ev->workers[i].status);
	dx_say(f, "workers known to the gateway: %s", ev->n_workers ? line : "none");
}

static int m_no_workers(const struct dx_evidence *ev, struct dx_finding *f)
{
	if (!preflight(ev, f, RUN_REASON_NO_ONLINE_WORKERS))
		return 0;
	list_workers(ev, f);
	struct arrivals a;
	read_arrivals(ev, &a);
	if (a.online)
		dx_say(f, "%d worker(s) had been ONLINE before pre-flight and went OFFLINE",
		       a.online);
	/* No worker ever came: that is alloc.worker_cannot_connect's tree. */
	return !a.online && (a.never_seen || a.refused) ? 50 : 95;
}

/* The guide's "Worker Cannot Connect to Platform": a provisioned worker never
 * came ONLINE, or the gateway refused its hello. Told from
 * alloc.no_online_workers, where the workers had been ONLINE and went away.
 * From the platform's side, a worker that never connected gives no reason:
 * a wrong gateway name and an outbound firewall look the same. */
static int m_cannot_connect(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct arrivals a;
	read_arrivals(ev, &a);
	if ((!a.never_seen && !a.refused) || !preflight(ev, f, RUN_REASON_NO_ONLINE_WORKERS))
		return 0;
	list_workers(ev, f);
	if (a.refused) {
		char at[64];
		snprintf(at, sizeof(at), "/workers/%d/events/%d", a.first_w, a.first_e);
		dx_say_at(f, at,
		          "the gateway refused %d worker connection(s): %s (the first from %s): "
		          "the worker's token is not one the platform issued, or it was revoked",
		          a.refused, a.cause, a.from[0] ? a.from : "an unknown address");
	}
	if (a.never_seen)
		dx_say(f,
		       "the platform never heard from %s: provisioned (its token issued) but no "
		       "connection from it ever reached the gateway%s",
		       a.never,
		       a.refused ? ""
		                 : "; from the platform's side a gateway name that "
		                   "does not resolve, an outbound firewall and a "
		                   "host without network look the same");
	if (!a.refused)
		dx_say(f,
		       "check on the worker's host: the cmw_ token it was given, that it "
		       "resolves the gateway's name, that outbound TCP to the gateway is allowed");
	/* Workers that had been ONLINE and went: the stopped workers' case too. */
	return a.online ? 60 : 96;
}

static int m_region(const struct dx_evidence *ev, struct dx_finding *f)
{
	if (!preflight(ev, f, RUN_REASON_REGION_MISMATCH))
		return 0;
	list_workers(ev, f);
	dx_say(f, "%d worker(s) were ONLINE, in other regions than the test asked for",
	       ev->online_workers);
	return 95;
}

const struct dx_rule dx_rules_allocation[] = {
        {"alloc.endpoint_limit",
         "Test Stuck in CANNOT_RUN_FOR_NOW > Endpoint count exceeds plan limit",
         "Reduce the endpoints of the test, or raise the plan's concurrent endpoint limit.",
         m_endpoint_limit},
        {"alloc.credits_exhausted", "Test Stuck in CANNOT_RUN_FOR_NOW > Billing credits exhausted",
         "Add credits, or wait for the next billing cycle.", m_credits},
        {"alloc.workers_busy",
         "Test Stuck in CANNOT_RUN_FOR_NOW > Workers are busy with other tests",
         "Wait for the other run to complete, then run again; if tests often need to run at "
         "once, add workers.",
         m_busy},
        {"alloc.no_online_workers",
         "Test Stuck in CANNOT_RUN_FOR_NOW > No online workers available",
         "Start a worker (or bring the stopped ones back) and check it shows ONLINE.",
         m_no_workers},
        {"alloc.region_mismatch", "Test Stuck in CANNOT_RUN_FOR_NOW > Region mismatch",
         "Use a region that has ONLINE workers, or deploy a worker in the region asked for.",
         m_region},
        {"alloc.worker_cannot_connect",
         "Worker-Related Failures > Worker Cannot Connect to Platform",
         "Give the worker the token shown on the Workers page (re-copy it if it was revoked), "
         "and check from its host that it resolves the gateway's name and that outbound "
         "traffic to the gateway is not blocked by a firewall or needs a proxy.",
         m_cannot_connect},
        {NULL},
};

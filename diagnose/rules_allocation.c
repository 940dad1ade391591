/* rules_allocation.c — the run did not start: pre-flight refused it with
 * CANNOT_RUN_FOR_NOW (the guide's "Test Stuck in CANNOT_RUN_FOR_NOW": plan
 * limits, credits, busy or missing workers, regions, SIP accounts).
 * Each rule is one row of the table at the end, in the guide's order. */
#define _GNU_SOURCE
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

static int m_busy(const struct dx_evidence *ev, struct dx_finding *f)
{
	return preflight(ev, f, RUN_REASON_WORKERS_BUSY);
}

static int m_accounts(const struct dx_evidence *ev, struct dx_finding *f)
{
	return preflight(ev, f, RUN_REASON_ACCOUNTS);
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
	return 95;
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
         "Run again when the other run has finished, or add workers.", m_busy},
        {"reg.account_shortage", "Test Stuck in CANNOT_RUN_FOR_NOW > SIP account availability",
         "Give the group at least as many SIP accounts as endpoints, or fewer endpoints.",
         m_accounts},
        {"alloc.no_online_workers",
         "Test Stuck in CANNOT_RUN_FOR_NOW > No online workers available",
         "Start a worker (or bring the stopped ones back) and check it shows ONLINE.",
         m_no_workers},
        {"alloc.region_mismatch", "Test Stuck in CANNOT_RUN_FOR_NOW > Region mismatch",
         "Use a region that has ONLINE workers, or deploy a worker in the region asked for.",
         m_region},
        {NULL},
};

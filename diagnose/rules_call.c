/* rules_call.c — calls that failed to set up for their SIP answer (480, 404,
 * 486) and callees that waited for nothing (the guide's "Call Setup Failures").
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
        {"call.callee_wait_timeout", "Call Setup Failures > TIMEOUT (Callee Side)",
         "Fix what kept the callers from dialling; then check the callee's wait is long "
         "enough.",
         m_callee_wait},
        {NULL},
};

/* vocab.c — the platform's vocabulary (see vocab.h). */
#include "vocab.h"

#include <string.h>

static const char *const run_names[RUN_STATUS_COUNT] = {
        "PENDING", "QUEUED", "RUNNING", "STOPPING", "COMPLETED", "FAILED", "CANNOT_RUN_FOR_NOW"};

static const char *const phase_names[PHASE_COUNT] = {"INITIALIZING",  "REGISTERED",  "CALLING",
                                                     "RINGING",       "NEGOTIATING", "INCALL",
                                                     "DISCONNECTING", "CLOSED"};

static const struct {
	const char *name;
	int severity;
} outcomes[OUTCOME_COUNT] = {
        {NULL, -1},
        {"SUCCESS", 0},
        {"COMPLETED_WITH_WARNINGS", 1},
        {"REGISTRATION_FAILED", 10},
        {"CALL_FAILED", 10},
        {"NEGOTIATION_FAILED", 10},
        {"TIMEOUT", 10},
        {"OSERROR", 10},
        {"TEARDOWN_ERROR", 10},
};

static const char *const worker_names[] = {"ONLINE", "OFFLINE", "ERROR", "DRAINING"};

static const char *const result_names[] = {"answered",  "busy",        "rejected", "timeout",
                                           "cancelled", "unavailable", "failed",   "none"};

const char *run_status_name(enum run_status s)
{
	return (unsigned)s < RUN_STATUS_COUNT ? run_names[s] : "?";
}

const char *phase_name(enum phase p)
{
	return (unsigned)p < PHASE_COUNT ? phase_names[p] : "?";
}

const char *outcome_name(enum outcome o)
{
	return (unsigned)o < OUTCOME_COUNT && outcomes[o].name ? outcomes[o].name : "null";
}

const char *worker_status_name(enum worker_status w)
{
	return (unsigned)w <= WORKER_DRAINING ? worker_names[w] : "?";
}

const char *call_result_name(enum call_result r)
{
	return (unsigned)r <= RESULT_NONE ? result_names[r] : "?";
}

static int index_of(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return i;
	return -1;
}

int outcome_from_name(const char *name)
{
	for (int i = 1; i < OUTCOME_COUNT; i++)
		if (!strcmp(outcomes[i].name, name))
			return i;
	return -1;
}

int phase_from_name(const char *name)
{
	return index_of(phase_names, PHASE_COUNT, name);
}

int run_status_from_name(const char *name)
{
	return index_of(run_names, RUN_STATUS_COUNT, name);
}

int outcome_severity(enum outcome o)
{
	return (unsigned)o < OUTCOME_COUNT ? outcomes[o].severity : -1;
}

enum outcome outcome_update(enum outcome current, enum outcome next)
{
	return outcome_severity(next) > outcome_severity(current) ? next : current;
}

enum phase phase_advance(enum phase current, enum phase next)
{
	return next == PHASE_CLOSED || next > current ? next : current;
}

int run_status_terminal(enum run_status s)
{
	return s == RUN_COMPLETED || s == RUN_FAILED || s == RUN_CANNOT_RUN_FOR_NOW;
}

enum call_result call_result_of(int code)
{
	if (code < 200)
		return RESULT_NONE;
	if (code < 300)
		return RESULT_ANSWERED;
	switch (code) {
	case 486:
	case 600:
		return RESULT_BUSY;
	case 403:
	case 603:
		return RESULT_REJECTED;
	case 408:
		return RESULT_TIMEOUT;
	case 487:
		return RESULT_CANCELLED;
	case 480:
	case 503:
		return RESULT_UNAVAILABLE;
	default:
		return RESULT_FAILED;
	}
}

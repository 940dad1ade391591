/* vocab.h — the words the hosted test platform uses, as the lab must speak
 * them (../shared/reference/vocabulary.md): run statuses, endpoint phases and
 * outcomes with their severity rule, worker statuses, and the call result of
 * a final SIP code. One table each, so a report and its reader agree. */
#ifndef SIPLAB_VOCAB_H
#define SIPLAB_VOCAB_H

enum run_status {
	RUN_PENDING,
	RUN_QUEUED,
	RUN_RUNNING,
	RUN_STOPPING,
	RUN_COMPLETED,
	RUN_FAILED,
	RUN_CANNOT_RUN_FOR_NOW,
	RUN_STATUS_COUNT
};

enum phase {
	PHASE_INITIALIZING,
	PHASE_REGISTERED,
	PHASE_CALLING,
	PHASE_RINGING,
	PHASE_NEGOTIATING,
	PHASE_INCALL,
	PHASE_DISCONNECTING,
	PHASE_CLOSED,
	PHASE_COUNT
};

enum outcome {
	OUTCOME_NONE, /* not set yet (the platform's null) */
	OUTCOME_SUCCESS,
	OUTCOME_COMPLETED_WITH_WARNINGS,
	OUTCOME_REGISTRATION_FAILED,
	OUTCOME_CALL_FAILED,
	OUTCOME_NEGOTIATION_FAILED,
	OUTCOME_TIMEOUT,
	OUTCOME_OSERROR,
	OUTCOME_TEARDOWN_ERROR,
	OUTCOME_COUNT
};

enum worker_status { WORKER_ONLINE, WORKER_OFFLINE, WORKER_ERROR, WORKER_DRAINING };

enum call_result {
	RESULT_ANSWERED,
	RESULT_BUSY,
	RESULT_REJECTED,
	RESULT_TIMEOUT,
	RESULT_CANCELLED,
	RESULT_UNAVAILABLE,
	RESULT_FAILED,
	RESULT_NONE /* no final response (yet), or a 1xx */
};

const char *run_status_name(enum run_status s);
const char *phase_name(enum phase p);
const char *outcome_name(enum outcome o);
const char *worker_status_name(enum worker_status w);
const char *call_result_name(enum call_result r);

/* Name to value; -1 when the name is not in the vocabulary. */
int outcome_from_name(const char *name);
int phase_from_name(const char *name);
int run_status_from_name(const char *name);

/* Severity: SUCCESS 0, COMPLETED_WITH_WARNINGS 1, every failure 10; -1 for
 * OUTCOME_NONE. */
int outcome_severity(enum outcome o);
/* The outcome after `next` is reported: set once, and overwritten only by a
 * higher severity. */
enum outcome outcome_update(enum outcome current, enum outcome next);
/* Phases only move forward; CLOSED can be reached from any phase. Returns
 * the phase after the move (unchanged when the move would go back). */
enum phase phase_advance(enum phase current, enum phase next);
/* Is this status an end of the run? */
int run_status_terminal(enum run_status s);
/* The call result of a final SIP status code. */
enum call_result call_result_of(int sip_status);

#endif

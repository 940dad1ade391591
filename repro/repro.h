/* repro.h — from a customer's failed run to a lab that shows the same thing:
 * a scenario that mirrors the test configuration a report carries, with a
 * diagnosed cause injected as a fault (its parameters read from the
 * evidence where the evidence gives them), and the comparison of the lab's
 * symptoms with the customer's as a similarity score with the differences.
 * Everything here reads and writes JSON only: no lab is started (the
 * command, sim/cli/cmd_repro.c, runs them), so it is unit-tested alone. */
#ifndef SIPLAB_REPRO_H
#define SIPLAB_REPRO_H

#include <cJSON.h>
#include <stddef.h>

#include "../lib/err.h"

/* Every repro runs compressed by this time scale, so two runs take seconds. */
#define REPRO_TIME_SCALE 0.1
/* The similarity (0-100) at or above which the lab reproduces the customer's
 * run. */
#define REPRO_THRESHOLD 80

/* The scenario mirroring the report's test: its groups, transports, codecs,
 * SRTP, counts, buildup and call duration (the report's "test" section, as
 * the customer wrote it), the number of workers the platform saw, the run's
 * seed, and time_scale REPRO_TIME_SCALE. No fault. NULL with the reason in e
 * when the report has no test section. */
cJSON *repro_mirror(const cJSON *report, err_t *e);

/* The fault entry ({"code", "params", "scope"}) that injects the finding's
 * code into a scenario of this report: parameters from the evidence where it
 * gives them (a rate limit's per-second, mode and Retry-After from the
 * REGISTERs' answers), else the fault's defaults; the scope from the
 * finding's scope (a worker, a group) when the fault can be aimed. NULL with
 * the reason in e when no fault of the registry injects that code. */
cJSON *repro_fault(const cJSON *report, const cJSON *finding, err_t *e);

/* The guide's remedy for a code: the remedy of the catalogue scenario in dir
 * whose fault is that code (the one whose expectation also names it when
 * several are), else {"description": "the fault removed", "patch":
 * {"fault": null}}. Never NULL. */
cJSON *repro_remedy(const char *dir, const char *code);

/* The remedy fitted to the scenario's numbers where the catalogue's were
 * its own: a rate limit's longer buildup stretched to this test's endpoints
 * and the rate the evidence gave. */
void repro_remedy_fit(cJSON *remedy, const cJSON *scenario);

/* The customer's worker name as the lab names it: the report's workers in
 * name order become worker1, worker2, ... out gets name itself when it is
 * not one of the report's workers. */
void repro_worker_name(const cJSON *report, const char *name, char *out, size_t cap);

/* How alike two runs' symptoms are, 0 to 100: the run's status, the
 * outcome shares, the failed endpoints' final SIP codes (and who made them)
 * and the phases they reached, the failed share per group and per worker
 * (the customer's workers under their lab names). Each difference that
 * costs points is a line in diffs (an array; may be NULL). */
int repro_similarity(const cJSON *customer, const cJSON *lab, cJSON *diffs);

#endif

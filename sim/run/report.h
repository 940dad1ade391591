/* report.h — the run report (report.json; schema in docs/report.md) and the
 * short summary a person reads on the terminal. The lab's side of the same
 * run (the answer key) is lab.json, written by labfile.h. Built from the platform's
 * view of the run only, so it is written the same way whether the run
 * completed, failed, could not run, or was interrupted. */
#ifndef SIPLAB_REPORT_H
#define SIPLAB_REPORT_H

#include <stdio.h>

#include "../../netns/lab.h"
#include "../platform/platform.h"

/* The whole report: what the hosted platform knows of the run (the test as
 * configured, statuses, workers as the gateway saw them, every endpoint's
 * record, trace and media), its times in the scenario's time. scenario_json
 * is the scenario's text: only the customer's test configuration is taken
 * from it. */
cJSON *report_build(const struct platform *p, const char *scenario_json);
/* How one worker's process ended, as the customer's host shows its
 * container's end (docker inspect: exit code, OOMKilled). */
struct report_host_end {
	char name[32]; /* "" when that slot's worker never ran */
	long long lab_ms;
	struct lab_status st;
};
/* The report's host section, from the n ends given: apart from what the
 * platform knows, for the diagnosis to use as corroboration only. */
void report_add_host(cJSON *report, const struct platform *p, const struct report_host_end *ends,
                     int n);
int report_write(const cJSON *report, const char *path, err_t *e);
/* A report for a run that never started (no lab): FAILED, why, and the
 * reason_code infrastructure_failed. */
int report_unstarted(const char *path, const char *scenario_json, const char *why, err_t *e);
/* The human summary: status, outcome counts per group, media, the first
 * failed endpoints with their reason. name is the scenario's (from the lab's
 * side: the report does not carry it). */
void report_summary(const cJSON *report, const char *name, FILE *f);

#endif

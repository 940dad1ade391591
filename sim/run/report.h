/* report.h — the run report (report.json; schema in docs/report.md) and the
 * short summary a person reads on the terminal. The lab's side of the same
 * run (the answer key) is lab.json, written by labfile.h. Built from the platform's
 * view of the run only, so it is written the same way whether the run
 * completed, failed, could not run, or was interrupted. */
#ifndef SIPLAB_REPORT_H
#define SIPLAB_REPORT_H

#include <stdio.h>

#include "../platform/platform.h"

/* The whole report: what the hosted platform knows of the run (the test as
 * configured, statuses, workers as the gateway saw them, every endpoint's
 * record, trace and media), its times in the scenario's time. scenario_json
 * is the scenario's text: only the customer's test configuration is taken
 * from it. */
cJSON *report_build(const struct platform *p, const char *scenario_json);
int report_write(const cJSON *report, const char *path, err_t *e);
/* A report for a run that never started (no lab): FAILED, why, and the
 * reason_code infrastructure_failed. */
int report_unstarted(const char *path, const char *scenario_json, const char *why, err_t *e);
/* The human summary: status, outcome counts per group, media, the first
 * failed endpoints with their reason. name is the scenario's (from the lab's
 * side: the report does not carry it). */
void report_summary(const cJSON *report, const char *name, FILE *f);

#endif

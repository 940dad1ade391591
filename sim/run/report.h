/* report.h — the run report (report.json; schema in docs/report.md) and the
 * short summary a person reads on the terminal. Built from the platform's
 * view of the run only, so it is written the same way whether the run
 * completed, failed, could not run, or was interrupted. */
#ifndef SIPLAB_REPORT_H
#define SIPLAB_REPORT_H

#include <stdio.h>

#include "../platform/platform.h"

/* The whole report; scenario_json is the scenario file's text (echoed in). */
cJSON *report_build(const struct platform *p, const char *scenario_path, const char *scenario_json,
                    const char *logs_dir);
int report_write(const cJSON *report, const char *path, err_t *e);
/* A report for a run that never started (no lab): FAILED, and why. */
int report_unstarted(const char *path, const char *scenario_path, const char *scenario_json,
                     const char *name, const char *why);
/* The human summary: status, outcome counts per group, media, the first
 * failed endpoints with their reason. */
void report_summary(const cJSON *report, FILE *f);

#endif

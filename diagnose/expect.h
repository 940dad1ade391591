/* expect.h — what a scenario expects of its run, checked against the report
 * and the diagnosis: {"status", "diagnosis", "all_success", "outcomes":
 * {"REGISTRATION_FAILED": {"min", "max", "min_share"}}}. No expectation means
 * a healthy run: COMPLETED, every endpoint SUCCESS, nothing to diagnose. */
#ifndef SIPLAB_EXPECT_H
#define SIPLAB_EXPECT_H

#include <cJSON.h>
#include <stddef.h>

/* 1 when the expectation held; else 0 and what did not in why. A summary of
 * what was checked goes to what (both may be NULL). */
int expect_check(const char *expect_json, const cJSON *report, const char *diagnosis, char *why,
                 size_t cap, char *what, size_t wcap);

#endif

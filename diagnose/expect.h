/* expect.h — what a scenario expects of its run, checked against the report
 * and the diagnosis (dx: what diagnose() returned): {"status", "diagnosis"
 * (a code: the first finding; a list: the first findings in any order;
 * {"ranked": [...]}: in that order), "all_success", "outcomes":
 * {"REGISTRATION_FAILED": {"min", "max", "min_share"}}, "known_gap",
 * "diagnosis_today"}. No expectation means
 * a healthy run: COMPLETED, every endpoint SUCCESS, nothing to diagnose. */
#ifndef SIPLAB_EXPECT_H
#define SIPLAB_EXPECT_H

#include <cJSON.h>
#include <stddef.h>

/* Returned when everything held but the diagnosis, which the expectation's
 * "known_gap" says cannot name the cause yet (why says which gap). */
#define EXPECT_KNOWN_GAP 2

/* 1 when the expectation held; EXPECT_KNOWN_GAP (see above); else 0 and what
 * did not in why. A right diagnosis under a known_gap does not hold: the gap
 * is gone and the scenario must say so. A summary of what was checked goes to
 * what (both may be NULL). */
int expectation_check(const char *expect_json, const cJSON *report, const cJSON *dx, char *why,
                      size_t cap, char *what, size_t wcap);

#endif

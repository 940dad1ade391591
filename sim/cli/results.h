/* results.h — what a scenario's flow came to, as data: results.json.
 *
 * `siplab run` records each step of a scenario's flow (run, diagnosis,
 * expectation, remedy, remedy run...) in a cJSON tree and writes it beside
 * the report; a directory's run lists every scenario's in one more file. The
 * terminal table and the JUnit XML are renderings of that data, never of
 * the printed text. Schema: docs/results.md. */
#ifndef SIPLAB_RESULTS_H
#define SIPLAB_RESULTS_H

#include <stdio.h>

#include <cJSON.h>

#include "../../lib/err.h"

#define RESULTS_SCHEMA 1

/* The current wall-clock time, UTC, as ISO 8601 ("2026-01-02T03:04:05Z"). */
void results_now_iso(char out[32]);

/* A scenario's results, with nothing run yet: its name (the file's base name
 * without .json), its file, its shard ("K/N") or NULL. */
cJSON *results_scenario_new(const char *file, const char *shard);

/* Append one step to the scenario's "steps": its name, status ("pass",
 * "fail", "skipped" or "error"), start (ISO time, or NULL when skipped), its
 * duration in seconds and the line it printed (NULL when skipped). */
void results_step(cJSON *res, const char *name, const char *status, const char *started,
                  double secs, const char *line);

/* The scenarios of a results document: itself for one scenario's, its
 * "scenarios" for a directory's; their number, and the i-th. */
int results_count(const cJSON *doc);
const cJSON *results_at(const cJSON *doc, int i);

/* Check a document read from a file: siplab results of a known schema. */
int results_check(const cJSON *doc, const char *path, err_t *e);

/* The terminal table: one row per scenario, then the summary line. With
 * failures_only, only the rows that did not pass, each with its step lines
 * (for --quiet). */
void results_table(const cJSON *doc, int failures_only, FILE *f);

/* The JUnit XML (docs/ci.md; tests/junit.xsd is the schema it keeps to). */
void results_junit(const cJSON *doc, FILE *f);

/* --shard K/N: parsed (K in 1..N, N up to SHARD_MAX), or -1 with e naming
 * the option. */
int shard_parse(const char *arg, int *k, int *n, err_t *e);

/* The shard (1..n) a scenario file belongs to: a hash of its base name, so
 * a file keeps its shard whatever else is added or removed. */
int shard_of(const char *file, int n);

#endif

/* results.c — results.json (one scenario's flow, or a directory's) and its
 * two renderings: the terminal table and JUnit XML.
 *
 * Everything a reader of the run needs — CI, a person, a test — is in the
 * data; the renderings only lay it out, so they can be made again later
 * from the file (`siplab report RESULTS.json`). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/limits.h"
#include "results.h"

#include "../../lib/markup.h"

void results_now_iso(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

cJSON *results_scenario_new(const char *file, const char *shard)
{
	cJSON *r = cJSON_CreateObject();
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t n = strlen(base);
	char name[256];
	snprintf(name, sizeof(name), "%.*s",
	         (int)(n > 5 && !strcmp(base + n - 5, ".json") ? n - 5 : n), base);
	char now[32];
	results_now_iso(now);
	cJSON_AddNumberToObject(r, "siplab_results", RESULTS_SCHEMA);
	cJSON_AddStringToObject(r, "kind", "scenario");
	cJSON_AddStringToObject(r, "scenario", name);
	cJSON_AddStringToObject(r, "file", file);
	if (shard)
		cJSON_AddStringToObject(r, "shard", shard);
	else
		cJSON_AddNullToObject(r, "shard");
	cJSON_AddStringToObject(r, "started", now);
	cJSON_AddNumberToObject(r, "duration_s", 0);
	cJSON_AddStringToObject(r, "status", "error");
	cJSON_AddStringToObject(r, "fault", "-");
	cJSON_AddStringToObject(r, "symptoms", "");
	cJSON *d = cJSON_AddObjectToObject(r, "diagnosis");
	cJSON_AddNullToObject(d, "code");
	cJSON_AddNullToObject(d, "line");
	cJSON_AddFalseToObject(d, "known_gap");
	cJSON_AddNullToObject(r, "expected");
	cJSON_AddStringToObject(r, "remedy", "-");
	cJSON *rep = cJSON_AddObjectToObject(r, "reports");
	cJSON_AddNullToObject(rep, "run");
	cJSON_AddNullToObject(rep, "remedy");
	cJSON_AddNullToObject(r, "log");
	cJSON_AddFalseToObject(r, "lab_error");
	cJSON_AddFalseToObject(r, "timed_out");
	cJSON_AddNullToObject(r, "timeout_s");
	cJSON_AddArrayToObject(r, "steps");
	return r;
}

void results_step(cJSON *res, const char *name, const char *status, const char *started,
                  double secs, const char *line)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "step", name);
	cJSON_AddStringToObject(s, "status", status);
	if (started)
		cJSON_AddStringToObject(s, "started", started);
	else
		cJSON_AddNullToObject(s, "started");
	cJSON_AddNumberToObject(s, "duration_s", secs);
	if (line)
		cJSON_AddStringToObject(s, "line", line);
	else
		cJSON_AddNullToObject(s, "line");
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(res, "steps"), s);
}

static int is_catalogue(const cJSON *doc)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(doc, "kind");
	return cJSON_IsString(k) && !strcmp(k->valuestring, "catalogue");
}

int results_count(const cJSON *doc)
{
	return is_catalogue(doc)
	               ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "scenarios"))
	               : 1;
}

const cJSON *results_at(const cJSON *doc, int i)
{
	if (is_catalogue(doc))
		return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "scenarios"), i);
	return i == 0 ? doc : NULL;
}

int results_check(const cJSON *doc, const char *path, err_t *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "siplab_results");
	if (!cJSON_IsNumber(v))
		return err_set(e, EINVAL,
		               "%s: not siplab results (no \"siplab_results\"; see "
		               "docs/results.md)",
		               path);
	if (v->valueint != RESULTS_SCHEMA)
		return err_set(e, EINVAL, "%s: results schema %d, this siplab reads %d", path,
		               v->valueint, RESULTS_SCHEMA);
	for (int i = 0; i < results_count(doc); i++)
		if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(results_at(doc, i), "steps")))
			return err_set(e, EINVAL, "%s: scenario %d has no \"steps\"", path, i + 1);
	return 0;
}

/* --- field access that never fails: a missing field reads as "" or 0 ------------------- */

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static int yes(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static int status_is(const cJSON *sc, const char *want)
{
	return !strcmp(str(sc, "status"), want);
}

/* The scenario as the table shows it: its file's name. */
static const char *file_cell(const cJSON *sc)
{
	const char *f = str(sc, "file");
	return strrchr(f, '/') ? strrchr(f, '/') + 1 : *f ? f : str(sc, "scenario");
}

/* The diagnosis as the table shows it: the top code, "(gap)" when known. */
static void dx_cell(const cJSON *sc, char *out, size_t cap)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(sc, "diagnosis");
	const char *code = str(d, "code");
	snprintf(out, cap, "%s%s", *code ? code : "-", yes(d, "known_gap") ? " (gap)" : "");
}

/* --- the table ---------------------------------------------------------------------------- */

static int width(int w, const char *s)
{
	return (int)strlen(s) > w ? (int)strlen(s) : w;
}

void results_table(const cJSON *doc, int failures_only, FILE *f)
{
	int n = results_count(doc), ws = 8, wf = 5, wd = 9, pass = 0, gaps = 0, shown = 0;
	char dx[160];
	/* Columns as wide as their longest cell, so long names stay aligned. */
	for (int i = 0; i < n; i++) {
		const cJSON *sc = results_at(doc, i);
		dx_cell(sc, dx, sizeof(dx));
		ws = width(ws, file_cell(sc));
		wf = width(wf, str(sc, "fault"));
		wd = width(wd, dx);
		pass += status_is(sc, "pass");
		gaps += status_is(sc, "pass") &&
		        yes(cJSON_GetObjectItemCaseSensitive(sc, "diagnosis"), "known_gap");
	}
	for (int i = 0; i < n; i++) {
		const cJSON *sc = results_at(doc, i);
		if (failures_only && status_is(sc, "pass"))
			continue;
		if (!shown++)
			fprintf(f, "\n%-*s %-*s %-50s %-*s %-9s %6s\n", ws, "SCENARIO", wf, "FAULT",
			        "SYMPTOMS", wd, "DIAGNOSIS", "REMEDY", "TIME");
		dx_cell(sc, dx, sizeof(dx));
		fprintf(f, "%-*s %-*s %-50.50s %-*s %-9s %5.1fs %s\n", ws, file_cell(sc), wf,
		        str(sc, "fault"), str(sc, "symptoms"), wd, dx, str(sc, "remedy"),
		        num(sc, "duration_s"),
		        status_is(sc, "pass")    ? "PASS"
		        : status_is(sc, "error") ? "ERROR"
		                                 : "FAIL");
		const cJSON *step;
		if (failures_only)
			cJSON_ArrayForEach (step, cJSON_GetObjectItemCaseSensitive(sc, "steps"))
				if (*str(step, "line"))
					fprintf(f, "    %s\n", str(step, "line"));
	}
	/* A directory's wall time, or the one scenario's. */
	double wall = is_catalogue(doc) ? num(doc, "wall_s") : num(doc, "duration_s");
	const char *shard = str(doc, "shard");
	fprintf(f, "\n%d of %d scenarios passed%s%s%s; catalogue wall time %.1f s\n", pass, n,
	        *shard ? " (shard " : "", shard, *shard ? ")" : "", wall);
	if (gaps)
		fprintf(f,
		        "%d of them with a known gap in the diagnosis (\"(gap)\" above: the "
		        "report does not carry the evidence yet; the scenario's known_gap says "
		        "why)\n",
		        gaps);
}

/* --- JUnit -------------------------------------------------------------------------------- */

/* Text as XML character data or an attribute value. Characters XML 1.0
 * cannot carry (controls other than tab and newline) become '?'. */
static void xml_text(const char *s, FILE *f)
{
	markup_escape(f, s, (size_t)-1);
}

/* The step that did not hold (the first failed or in error), or NULL. */
static const cJSON *failed_step(const cJSON *sc)
{
	const cJSON *step;
	cJSON_ArrayForEach (step, cJSON_GetObjectItemCaseSensitive(sc, "steps"))
		if (!strcmp(str(step, "status"), "fail") || !strcmp(str(step, "status"), "error"))
			return step;
	return NULL;
}

/* The failure's message: what did not hold, then the diagnosis line. */
static void failure_message(const cJSON *sc, FILE *f)
{
	const cJSON *step = failed_step(sc), *d = cJSON_GetObjectItemCaseSensitive(sc, "diagnosis");
	char buf[64];
	if (yes(sc, "timed_out")) {
		snprintf(buf, sizeof(buf), "timed out after %g s", num(sc, "timeout_s"));
		xml_text(buf, f);
	} else if (step) {
		xml_text(str(step, "step"), f);
		fputs(": ", f);
		xml_text(*str(step, "line") ? str(step, "line") : str(step, "status"), f);
	} else {
		xml_text(*str(sc, "symptoms") ? str(sc, "symptoms") : "no step did not hold", f);
	}
	if (*str(d, "code")) {
		fputs("; diagnosis: ", f);
		xml_text(str(d, "code"), f);
		if (*str(d, "line")) {
			fputs(" — ", f);
			xml_text(str(d, "line"), f);
		}
	}
}

/* The suite's name: siplab.DIR (the scenarios' folder's base name). */
static void suite_name(const cJSON *doc, char *out, size_t cap)
{
	char dir[256];
	const char *d = is_catalogue(doc) ? str(doc, "directory") : str(doc, "file");
	snprintf(dir, sizeof(dir), "%s", d);
	if (!is_catalogue(doc)) {
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
	}
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	snprintf(out, cap, "siplab.%s", strcmp(base, ".") ? base : "scenarios");
}

static void junit_case(const cJSON *sc, const char *classname, FILE *f)
{
	fputs("    <testcase classname=\"", f);
	xml_text(classname, f);
	fputs("\" name=\"", f);
	xml_text(str(sc, "scenario"), f);
	fputs("\" file=\"", f);
	xml_text(str(sc, "file"), f);
	fprintf(f, "\" time=\"%.3f\">\n", num(sc, "duration_s"));
	const char *tag = status_is(sc, "pass")      ? NULL
	                  : status_is(sc, "skipped") ? "skipped"
	                  : status_is(sc, "error")   ? "error"
	                                             : "failure";
	if (tag) {
		fprintf(f, "      <%s message=\"", tag);
		failure_message(sc, f);
		fprintf(f, "\" type=\"%s\"/>\n",
		        yes(sc, "timed_out")   ? "timeout"
		        : yes(sc, "lab_error") ? "lab_error"
		                               : str(sc, "status"));
	}
	fputs("      <system-out>", f);
	const cJSON *step;
	cJSON_ArrayForEach (step, cJSON_GetObjectItemCaseSensitive(sc, "steps"))
		if (*str(step, "line")) {
			xml_text(str(step, "line"), f);
			fputc('\n', f);
		}
	fputs("</system-out>\n    </testcase>\n", f);
}

void results_junit(const cJSON *doc, FILE *f)
{
	int n = results_count(doc), fail = 0, error = 0, skipped = 0;
	for (int i = 0; i < n; i++) {
		const cJSON *sc = results_at(doc, i);
		fail += status_is(sc, "fail");
		error += status_is(sc, "error");
		skipped += status_is(sc, "skipped");
	}
	char suite[300], name[340];
	suite_name(doc, suite, sizeof(suite));
	const char *shard = str(doc, "shard");
	snprintf(name, sizeof(name), "%s%s%s", suite, *shard ? " shard " : "", shard);
	double wall = is_catalogue(doc) ? num(doc, "wall_s") : num(doc, "duration_s");
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fputs("<testsuites name=\"", f);
	xml_text(name, f);
	fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
	        n, fail, error, skipped, wall);
	fputs("  <testsuite name=\"", f);
	xml_text(name, f);
	fprintf(f,
	        "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\" "
	        "timestamp=\"",
	        n, fail, error, skipped, wall);
	/* JUnit's timestamp has no zone designator. */
	char ts[32];
	snprintf(ts, sizeof(ts), "%s", str(doc, "started"));
	if (ts[0] && ts[strlen(ts) - 1] == 'Z')
		ts[strlen(ts) - 1] = '\0';
	xml_text(ts, f);
	fputs("\">\n", f);
	if (*shard) {
		fputs("    <properties>\n      <property name=\"shard\" value=\"", f);
		xml_text(shard, f);
		fputs("\"/>\n    </properties>\n", f);
	}
	for (int i = 0; i < n; i++)
		junit_case(results_at(doc, i), suite, f);
	fputs("  </testsuite>\n</testsuites>\n", f);
}

/* --- shards ------------------------------------------------------------------------------- */

int shard_parse(const char *arg, int *k, int *n, err_t *e)
{
	char *end;
	errno = 0;
	long kk = strtol(arg, &end, 10), nn = 0;
	if (end != arg && *end == '/') {
		const char *p = end + 1;
		nn = strtol(p, &end, 10);
		if (end == p)
			nn = 0;
	}
	if (errno || *end || nn < 1 || nn > SHARD_MAX || kk < 1 || kk > nn)
		return err_set(e, EINVAL,
		               "--shard: expected K/N with N from 1 to %d and K from 1 to N "
		               "(e.g. 2/4), got \"%s\"",
		               SHARD_MAX, arg);
	*k = (int)kk;
	*n = (int)nn;
	return 0;
}

/* FNV-1a, 32 bits: small, well spread, and the same on every machine. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

int shard_of(const char *file, int n)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	return n > 0 ? (int)(fnv1a(base) % (uint32_t)n) + 1 : 1;
}

/* cmd_repro.c — `siplab repro REPORT.json`: from a customer's failed run to
 * a proven fix. Diagnoses the report, writes a scenario mirroring the
 * customer's test with the top cause injected, runs it (`siplab run
 * --once`, the same flow as any scenario, in a child), compares the lab's
 * symptoms with the customer's, and when they are alike applies the guide's
 * remedy and runs again to prove it healthy. A cause that does not
 * reproduce gives way to the next in the diagnosis's ranking. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../diagnose/diagnose.h"
#include "../../lib/jsonv.h"
#include "../../lib/limits.h"
#include "../../repro/repro.h"
#include "../model/scenario.h"
#include "cli.h"

static const char usage[] =
        "usage: siplab repro REPORT.json [--out DIR] [--tries N] [--catalogue DIR]\n"
        "\n"
        "Takes a platform report of a customer's failed run (docs/report.md) and tries\n"
        "to show the same failure in the lab, then to prove its fix:\n"
        "  1. diagnoses the report (as `siplab diagnose` does);\n"
        "  2. writes a scenario mirroring the customer's test as the report has it\n"
        "     (groups, transports, codecs, SRTP, counts, buildup, call duration,\n"
        "     workers, seed), run at time scale 0.1 so it takes seconds, with the top\n"
        "     cause injected as a fault: its parameters read from the evidence where\n"
        "     it gives them (a rate limit's rate, mode and Retry-After; the name that\n"
        "     did not resolve; ...), aimed at the worker or group the finding names;\n"
        "  3. runs it (`siplab run --once`) and compares the lab's symptoms with the\n"
        "     customer's: run status, outcome shares, the failed endpoints' final SIP\n"
        "     codes and phases, the failures per group and per worker — a similarity\n"
        "     from 0 to 100, with the differences listed;\n"
        "  4. at a similarity of 80 or more it is reproduced: the guide's remedy (the\n"
        "     catalogue scenario's remedy for that cause, or the fault removed) is\n"
        "     applied and the scenario run again, which must be diagnosed healthy.\n"
        "     Below 80, the next cause in the diagnosis's ranking is tried.\n"
        "\n"
        "It ends with one line: \"verdict: reproduced and fixed\", \"verdict: reproduced,\n"
        "remedy failed\", \"verdict: not reproduced (tried: ...)\" or \"verdict: nothing\n"
        "to reproduce\" (the report is healthy).\n"
        "\n"
        "options:\n"
        "  --out DIR        where everything goes (default: the report's name with .json\n"
        "                   replaced by .repro): scenario.json (the reproduced cause's,\n"
        "                   or the closest tried), report.json (the lab's run of it),\n"
        "                   scenario.remedy.json and report.remedy.json (the remedy's),\n"
        "                   repro.json (every step as data: docs/repro.md), and each\n"
        "                   try's files as try-CODE.*\n"
        "  --tries N        causes to run at most, in the ranking's order (default 3;\n"
        "                   1 to 10); a cause no fault injects is passed over\n"
        "  --catalogue DIR  the scenarios whose remedies are the guide's (default:\n"
        "                   scenarios/)\n"
        "\n" SIPLAB_EXIT_CODES_HELP
        "For repro: 0 reproduced and fixed, or nothing to reproduce; 1 not reproduced,\n"
        "or the remedy failed.\n";

/* Ctrl-C (or SIGTERM) goes on to the run in progress, which hangs up and
 * writes its report; no further run starts. */
static volatile sig_atomic_t interrupted;
static volatile pid_t running_child;

static void on_interrupt(int sig)
{
	interrupted = 1;
	if (running_child > 0)
		kill(running_child, sig);
}

struct repro_opts {
	const char *report;
	char out[PATH_MAX];
	const char *catalogue;
	int tries;
	char self[PATH_MAX];
};

static int parse_opts(int argc, char **argv, struct repro_opts *o)
{
	static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
	                                         {"tries", required_argument, NULL, 't'},
	                                         {"catalogue", required_argument, NULL, 'c'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	memset(o, 0, sizeof(*o));
	o->tries = 3;
	o->catalogue = "scenarios";
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			snprintf(o->out, sizeof(o->out), "%s", optarg);
			break;
		case 't': {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (end == optarg || *end || n < 1 || n > REPRO_MAX_TRIES) {
				fprintf(stderr,
				        "siplab repro: --tries: expected 1 to %d, got \"%s\"\n",
				        REPRO_MAX_TRIES, optarg);
				return -1;
			}
			o->tries = (int)n;
			break;
		}
		case 'c':
			o->catalogue = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(EXIT_OK);
		default:
			fprintf(stderr, "(see `siplab repro --help`)\n");
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "siplab repro: expected one report (see `siplab repro --help`)\n");
		return -1;
	}
	o->report = argv[optind];
	if (!o->out[0]) {
		size_t n = strlen(o->report);
		int ext = n > 5 && !strcmp(o->report + n - 5, ".json");
		snprintf(o->out, sizeof(o->out), "%.*s.repro", (int)(n - 5 * ext), o->report);
	}
	return 0;
}

/* The report, refused when it is not one (or is the lab's answer key). */
static cJSON *read_report(const char *path)
{
	cJSON *rep = jv_read_tree(path);
	if (rep && cJSON_GetObjectItemCaseSensitive(rep, "worker_processes")) {
		fprintf(stderr,
		        "siplab repro: %s is a lab.json, the lab's answer key; give the run's "
		        "report\n",
		        path);
	} else if (rep && cJSON_GetObjectItemCaseSensitive(rep, "run")) {
		return rep;
	} else {
		fprintf(stderr, "siplab repro: %s: not a siplab run report (docs/report.md)\n",
		        path);
	}
	cJSON_Delete(rep);
	return NULL;
}

/* `siplab run SCENARIO --report REPORT --once --quiet` in a child, its output
 * into LOG. Returns its exit code. */
static int run_scenario(const struct repro_opts *o, const char *scenario, const char *report,
                        const char *log)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return EXIT_ENV;
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		FILE *f = fopen(log, "w");
		if (f) {
			dup2(fileno(f), 1);
			dup2(fileno(f), 2);
		}
		char *args[] = {"siplab",       "run",    (char *)scenario, "--report",
		                (char *)report, "--once", "--quiet",        NULL};
		execv(o->self, args);
		_exit(EXIT_ENV);
	}
	running_child = pid;
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	running_child = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_ENV;
}

static int write_text(const char *path, const char *text, err_t *e)
{
	return sys_write_file(path, text, strlen(text), 1, e);
}

/* A scenario's text checked as `siplab run` would read it, then written. */
static int write_scenario(const cJSON *sc, const char *path, const char *origin, err_t *e)
{
	static struct scenario parsed;
	char *text = cJSON_Print(sc);
	int rc = text ? scenario_parse(text, origin, &parsed, e) : err_set(e, ENOMEM, "no memory");
	if (!rc)
		rc = write_text(path, text, e);
	free(text);
	return rc;
}

static void copy_file(const char *from, const char *to)
{
	char *text = NULL;
	err_t e;
	if (jv_read_file(from, &text, &e) || write_text(to, text, &e))
		fprintf(stderr, "siplab repro: %s\n", e.msg);
	free(text);
}

/* What one try came to. */
struct
try {
	char code[64];
	char scenario[PATH_MAX], report[PATH_MAX];
	int similarity; /* -1: not run */
	int ran;        /* a run was started (its lab may have failed) */
	char note[32];  /* for the verdict: "similarity 45", "no fault", ... */
	int lab_error;
};

/* The lab's own words from a run's log: its "lab error:" line. */
static void lab_error_line(const char *log, char *out, size_t cap)
{
	FILE *f = fopen(log, "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "lab error: ");
		if (p) {
			snprintf(out, cap, "%.*s", (int)strcspn(p + 11, "\n"), p + 11);
			break;
		}
	}
	if (f)
		fclose(f);
}

/* Inject one finding's cause, run it, and compare. Adds the try to tries;
 * returns the similarity, or -1 when it did not run. */
static int try_cause(const struct repro_opts *o, const cJSON *rep, const cJSON *finding,
                     struct try *t, cJSON *tries)
{
	err_t e;
	cJSON *entry = cJSON_CreateObject();
	cJSON_AddItemToArray(tries, entry);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(finding, "code");
	snprintf(t->code, sizeof(t->code), "%s", cJSON_IsString(code) ? code->valuestring : "?");
	t->similarity = -1;
	cJSON_AddStringToObject(entry, "code", t->code);
	cJSON *fault = repro_fault(rep, finding, &e);
	cJSON *sc = fault ? repro_mirror(rep, &e) : NULL;
	if (!sc) {
		cJSON_Delete(fault);
		cJSON_AddStringToObject(entry, "skipped", e.msg);
		printf("  %-28s passed over: %s\n", t->code, e.msg);
		snprintf(t->note, sizeof(t->note), "no fault");
		return -1;
	}
	cJSON_AddItemToObject(entry, "fault", cJSON_Duplicate(fault, 1));
	cJSON_AddItemToObject(sc, "fault", fault);
	cJSON *remedy = repro_remedy(o->catalogue, t->code);
	repro_remedy_fit(remedy, sc);
	cJSON_AddItemToObject(sc, "remedy", remedy);
	char log[PATH_MAX];
	snprintf(t->scenario, sizeof(t->scenario), "%s/try-%s.scenario.json", o->out, t->code);
	snprintf(t->report, sizeof(t->report), "%s/try-%s.report.json", o->out, t->code);
	snprintf(log, sizeof(log), "%s/try-%s.log", o->out, t->code);
	int rc = write_scenario(sc, t->scenario, t->scenario, &e);
	cJSON_Delete(sc);
	if (rc) {
		cJSON_AddStringToObject(entry, "skipped", e.msg);
		printf("  %-28s passed over: %s\n", t->code, e.msg);
		snprintf(t->note, sizeof(t->note), "scenario refused");
		return -1;
	}
	cJSON_AddStringToObject(entry, "scenario", t->scenario);
	unlink(t->report); /* a previous repro's must not pass for this one's */
	t->ran = 1;
	int code_run = run_scenario(o, t->scenario, t->report, log);
	cJSON_AddStringToObject(entry, "log", log);
	cJSON *lab = code_run == EXIT_ENV ? NULL : jv_read_tree(t->report);
	if (!lab) {
		/* A fault that does not fit this test (one that needs a callee pool
		 * the test has none of) fails its lab too: the next cause may fit. */
		char why[512] = "", msg[600];
		lab_error_line(log, why, sizeof(why));
		int unfit = code_run == EXIT_ENV && !strncmp(why, "fault ", 6);
		t->lab_error = code_run == EXIT_ENV && !unfit;
		snprintf(msg, sizeof(msg), "%s%s%s",
		         unfit          ? "the fault does not fit this test"
		         : t->lab_error ? "lab error: the lab could not run it"
		                        : "the run left no report",
		         why[0] ? ": " : " (see its log)", why);
		cJSON_AddStringToObject(entry, "skipped", msg);
		printf("  %-28s %s\n", t->code, msg);
		snprintf(t->note, sizeof(t->note), "%s",
		         unfit          ? "did not fit"
		         : t->lab_error ? "lab error"
		                        : "no report");
		return -1;
	}
	cJSON_AddStringToObject(entry, "report", t->report);
	cJSON *diffs = cJSON_CreateArray();
	t->similarity = repro_similarity(rep, lab, diffs);
	snprintf(t->note, sizeof(t->note), "similarity %d", t->similarity);
	cJSON *d = diagnose(lab);
	cJSON_AddStringToObject(entry, "lab_diagnosis", diagnose_top(d));
	cJSON_Delete(d);
	cJSON_Delete(lab);
	cJSON_AddNumberToObject(entry, "similarity", t->similarity);
	cJSON_AddBoolToObject(entry, "reproduced", t->similarity >= REPRO_THRESHOLD);
	cJSON_AddItemToObject(entry, "differences", diffs);
	printf("  %-28s similarity %d/100%s\n", t->code, t->similarity,
	       t->similarity >= REPRO_THRESHOLD ? ": reproduced" : "");
	const cJSON *line;
	cJSON_ArrayForEach (line, diffs)
		printf("      - %s\n", line->valuestring);
	return t->similarity;
}

/* report.json → lab.json, as `siplab run` names them. */
static void lab_json(const char *report, char *out, size_t cap)
{
	size_t n = strlen(report);
	int rep = n > 12 && !strcmp(report + n - 12, ".report.json");
	int plain = !rep && n >= 11 && !strcmp(report + n - 11, "report.json");
	snprintf(out, cap, "%.*s%s",
	         (int)(n - (rep     ? 12
	                    : plain ? 11
	                            : 0)),
	         report,
	         rep     ? ".lab.json"
	         : plain ? "lab.json"
	                 : ".lab");
}

/* The chosen try's files as DIR/scenario.json and DIR/report.json. */
static void keep_try(const struct repro_opts *o, const struct try *t, cJSON *doc)
{
	char path[PATH_MAX], from_lab[PATH_MAX], to_lab[PATH_MAX];
	snprintf(path, sizeof(path), "%s/scenario.json", o->out);
	copy_file(t->scenario, path);
	jv_set(doc, "scenario", cJSON_CreateString(path));
	if (access(t->report, R_OK))
		return;
	snprintf(path, sizeof(path), "%s/report.json", o->out);
	copy_file(t->report, path);
	jv_set(doc, "lab_report", cJSON_CreateString(path));
	lab_json(t->report, from_lab, sizeof(from_lab));
	lab_json(path, to_lab, sizeof(to_lab));
	if (!access(from_lab, R_OK))
		copy_file(from_lab, to_lab);
}

/* The remedy applied to DIR/scenario.json, and its run. 1 when the run is
 * healthy, 0 not, -1 a lab error. */
static int remedy_run(const struct repro_opts *o, cJSON *doc)
{
	char scen[PATH_MAX], fixed_path[PATH_MAX], report[PATH_MAX], log[PATH_MAX];
	snprintf(scen, sizeof(scen), "%s/scenario.json", o->out);
	snprintf(fixed_path, sizeof(fixed_path), "%s/scenario.remedy.json", o->out);
	snprintf(report, sizeof(report), "%s/report.remedy.json", o->out);
	snprintf(log, sizeof(log), "%s/remedy.log", o->out);
	cJSON *rem = cJSON_AddObjectToObject(doc, "remedy");
	char *text = NULL, *fixed = NULL;
	err_t e;
	if (!jv_read_file(scen, &text, &e))
		fixed = scenario_remedied(text, scen, &e);
	cJSON *root = text ? cJSON_Parse(text) : NULL;
	const cJSON *desc = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(root, "remedy"), "description");
	cJSON_AddStringToObject(rem, "description",
	                        cJSON_IsString(desc) ? desc->valuestring : "(the remedy)");
	printf("  remedy: %s\n", cJSON_IsString(desc) ? desc->valuestring : "(the remedy)");
	cJSON_Delete(root);
	free(text);
	if (!fixed || write_text(fixed_path, fixed, &e)) {
		free(fixed);
		cJSON_AddStringToObject(rem, "error", e.msg);
		fprintf(stderr, "siplab repro: %s\n", e.msg);
		return 0;
	}
	free(fixed);
	cJSON_AddStringToObject(rem, "scenario", fixed_path);
	unlink(report);
	int rc = run_scenario(o, fixed_path, report, log);
	cJSON_AddStringToObject(rem, "log", log);
	cJSON *lab = rc == EXIT_ENV ? NULL : jv_read_tree(report);
	if (!lab) {
		cJSON_AddStringToObject(rem, "error", rc == EXIT_ENV ? "lab error" : "no report");
		printf("  remedy run: %s (see %s)\n", rc == EXIT_ENV ? "LAB ERROR" : "no report",
		       log);
		return rc == EXIT_ENV ? -1 : 0;
	}
	cJSON_AddStringToObject(rem, "report", report);
	cJSON *d = diagnose(lab);
	const char *top = diagnose_top(d);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(lab, "run"), "status");
	int healthy = !strcmp(top, "healthy") && cJSON_IsString(st) &&
	              !strcmp(st->valuestring, "COMPLETED");
	cJSON_AddStringToObject(rem, "diagnosis", top);
	cJSON_AddBoolToObject(rem, "healthy", healthy);
	printf("  remedy run: %s, diagnosed %s — %s\n", cJSON_IsString(st) ? st->valuestring : "?",
	       top, report);
	cJSON_Delete(d);
	cJSON_Delete(lab);
	return healthy;
}

static int finish(const struct repro_opts *o, cJSON *doc, const char *verdict, int code)
{
	char path[PATH_MAX], stopped[700];
	err_t e;
	if (interrupted) {
		snprintf(stopped, sizeof(stopped), "stopped (interrupted): %s", verdict);
		verdict = stopped;
		code = code == EXIT_OK ? EXIT_FAIL : code;
	}
	snprintf(path, sizeof(path), "%s/repro.json", o->out);
	jv_set(doc, "verdict", cJSON_CreateString(verdict));
	if (jv_write_tree(doc, path, &e)) {
		fprintf(stderr, "siplab repro: %s\n", e.msg);
		code = code == EXIT_OK ? EXIT_FAIL : code;
	}
	cJSON_Delete(doc);
	printf("verdict: %s\n", verdict);
	return code;
}

/* The causes, in the diagnosis's ranking, until one reproduces or --tries
 * ran. Returns the index of the reproduced try, or -1 (best: the closest). */
static int try_causes(const struct repro_opts *o, const cJSON *rep, const cJSON *findings,
                      struct try *t, int *n_try, int *best, int *lab_error, char *tried, size_t cap,
                      cJSON *doc)
{
	cJSON *tries = cJSON_AddArrayToObject(doc, "tries");
	const cJSON *f;
	int ran = 0;
	size_t len = 0;
	*best = -1;
	cJSON_ArrayForEach (f, findings) {
		if (ran >= o->tries || interrupted)
			break;
		if (*n_try >= REPRO_MAX_FINDINGS) {
			jv_set(doc, "findings_dropped",
			       cJSON_CreateNumber(cJSON_GetArraySize(findings) - *n_try));
			break;
		}
		struct try *cur = &t[(*n_try)++];
		int sim = try_cause(o, rep, f, cur, tries);
		len += (size_t)snprintf(tried + len, len < cap ? cap - len : 0, "%s%s (%s)",
		                        len ? ", " : "", cur->code, cur->note);
		*lab_error += cur->lab_error;
		ran += cur->ran;
		if (sim < 0)
			continue;
		if (*best < 0 || sim > t[*best].similarity)
			*best = *n_try - 1;
		if (sim >= REPRO_THRESHOLD)
			return *n_try - 1;
	}
	return -1;
}

int cmd_repro(int argc, char **argv)
{
	static struct repro_opts o;
	if (parse_opts(argc, argv, &o))
		return EXIT_USAGE;
	ssize_t n = readlink("/proc/self/exe", o.self, sizeof(o.self) - 1);
	if (n <= 0) {
		fprintf(stderr, "siplab repro: cannot find my own program: %s\n", strerror(errno));
		return EXIT_ENV;
	}
	o.self[n] = '\0';
	cJSON *rep = read_report(o.report);
	if (!rep)
		return EXIT_USAGE;
	err_t e;
	if (sys_mkdir_p(o.out, 0755, &e)) {
		fprintf(stderr, "siplab repro: --out %s: %s\n", o.out, e.msg);
		cJSON_Delete(rep);
		return EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = {.sa_handler = on_interrupt};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cJSON *doc = cJSON_CreateObject(), *d = diagnose(rep);
	cJSON_AddNumberToObject(doc, "siplab_repro", 1);
	cJSON_AddStringToObject(doc, "report", o.report);
	cJSON_AddNumberToObject(doc, "time_scale", REPRO_TIME_SCALE);
	cJSON_AddNumberToObject(doc, "threshold", REPRO_THRESHOLD);
	const char *top = diagnose_top(d);
	const cJSON *findings = cJSON_GetObjectItemCaseSensitive(d, "findings"), *f;
	cJSON *ranking = cJSON_CreateArray();
	cJSON_ArrayForEach (f, findings)
		cJSON_AddItemToArray(
		        ranking, cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(f, "code"), 1));
	cJSON *dx = cJSON_AddObjectToObject(doc, "diagnosis");
	cJSON_AddStringToObject(dx, "top", top);
	cJSON_AddItemToObject(dx, "ranking", ranking);
	printf("siplab repro: %s — diagnosed %s; lab runs at time scale %g, in %s/\n", o.report,
	       top, REPRO_TIME_SCALE, o.out);
	int rc;
	if (!strcmp(top, "healthy")) {
		rc = finish(&o, doc, "nothing to reproduce", EXIT_OK);
	} else {
		static struct try t[REPRO_MAX_FINDINGS];
		int n_try = 0, best, lab_error = 0;
		char tried[512] = "", verdict[600];
		int hit = try_causes(&o, rep, findings, t, &n_try, &best, &lab_error, tried,
		                     sizeof(tried), doc);
		if (hit < 0) {
			if (best >= 0)
				keep_try(&o, &t[best], doc);
			snprintf(verdict, sizeof(verdict), "not reproduced (tried: %s)",
			         tried[0] ? tried : "nothing: the diagnosis names no cause");
			/* Nothing ran to its end and a lab failed: the lab, not the
			 * test, is what stopped it. */
			rc = finish(&o, doc, verdict, best < 0 && lab_error ? EXIT_ENV : EXIT_FAIL);
		} else {
			keep_try(&o, &t[hit], doc);
			jv_set(doc, "reproduced", cJSON_CreateString(t[hit].code));
			int healthy = interrupted ? 0 : remedy_run(&o, doc);
			rc = healthy < 0 ? finish(&o, doc, "reproduced, remedy not run: lab error",
			                          EXIT_ENV)
			     : healthy   ? finish(&o, doc, "reproduced and fixed", EXIT_OK)
			                 : finish(&o, doc, "reproduced, remedy failed", EXIT_FAIL);
		}
	}
	cJSON_Delete(d);
	cJSON_Delete(rep);
	return rc;
}

/* cmd_run.c — `siplab run SCENARIO` and `siplab diagnose REPORT`.
 *
 * A scenario is run in steps: the run (with its fault injected), the
 * diagnosis of its report, the check of what the scenario expects; then its
 * remedy applied, a second run, and the check that it is healthy. Each run is
 * a fresh lab in a child process (a lab takes its process into namespaces
 * for good). A directory runs the whole catalogue, several scenarios at once,
 * and ends with a table. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/jsonv.h"
#include "../../lib/rng.h"
#include "cli.h"
#include "../../diagnose/diagnose.h"
#include "../../diagnose/expect.h"
#include "../run/runlab.h"

static const char usage[] =
        "usage: siplab run SCENARIO.json|DIRECTORY [OPTIONS]\n"
        "\n"
        "Runs a scenario in a fresh lab, step by step: the test run (with the\n"
        "scenario's fault injected through its real mechanism), the diagnosis of its\n"
        "report, the check of what the scenario expects; then the scenario's remedy\n"
        "applied, a second run in a new lab, and the check that it is healthy. One line\n"
        "per step, then a verdict. Each run prints its progress and summary and writes\n"
        "its report, also when it fails, cannot run, or is stopped with Ctrl-C (the\n"
        "calls are hung up first).\n"
        "\n"
        "Each run writes two files. The report (report.json) holds only what a hosted\n"
        "platform would have: the test as configured, statuses, workers as the\n"
        "gateway saw them, every endpoint's record, trace and media, in the\n"
        "scenario's time. The diagnosis reads nothing else. Beside it, lab.json is the\n"
        "answer key: the scenario, its fault, expectation and remedy, the time scale,\n"
        "the topology, and what the lab itself saw (how each worker process ended).\n"
        "\n"
        "Given a DIRECTORY, runs every *.json scenario in it, several at once (each in\n"
        "its own lab), and prints a table: scenario, fault, symptoms, diagnosis,\n"
        "remedy verified, time.\n"
        "\n"
        "options:\n"
        "  --report FILE   the first run's report (default: report.json; the remedy\n"
        "                  run's goes to FILE with .remedy before .json). With a\n"
        "                  directory: where the reports and logs go (default: reports/)\n"
        "  --fault CODE[:k=v,...]\n"
        "                  inject a fault into any scenario, e.g.\n"
        "                  --fault reg.rate_limit:per_second=10,mode=drop\n"
        "                  (`siplab run --faults` lists them with their parameters)\n"
        "  --faults        list the faults and exit\n"
        "  --seed N        the run's seed (0 to 10^15 - 1; replaces the scenario's \"seed\"):\n"
        "                  SSRCs, SRTP keys, Call-IDs and tags derive from it, so the\n"
        "                  same seed replays them. Default: a fresh one, printed and\n"
        "                  in the report's \"seed\"\n"
        "  --logs DIR      keep every service's log, the registrar's wire log and the\n"
        "                  configurations there (default: dropped with the lab)\n"
        "  --pcap FILE     keep a packet capture of the run's lab in FILE (pcapng, one\n"
        "                  interface per host's end of each link, e.g. nat:eth0) and\n"
        "                  its TLS session keys beside it (FILE.keys, SSLKEYLOGFILE\n"
        "                  format); with --logs DIR the capture is always kept there\n"
        "                  too (capture.pcapng). The remedy run's: FILE with .remedy\n"
        "                  before .pcapng\n"
        "  --jobs N        scenarios run at once for a directory (default 4: a run\n"
        "                  mostly waits on the clock, not the CPU)\n"
        "  --once          stop after the first run and its diagnosis (no remedy)\n"
        "  --quiet         no progress lines\n"
        "  --worker-program PATH\n"
        "                  start PATH as each worker instead of this program (another\n"
        "                  build, or a wrapper that runs it under valgrind or gdb); it is\n"
        "                  called as PATH worker --gateway ... like `siplab worker`\n"
        "\n"
        "exit codes: 0 every step held (for a scenario without expectations: the run\n"
        "COMPLETED and every endpoint succeeded), 1 a step did not hold, 2 bad scenario\n"
        "or usage (nothing was started), 3 a lab error: the lab could not run the test\n"
        "(the machine cannot build a lab, or a lab process failed — a worker that exited\n"
        "at start, a service that never became ready); nothing is diagnosed then.\n"
        "\n"
        "Scenarios: scenarios/ (one per documented failure, and healthy.json); the\n"
        "report's schema: docs/report.md; diagnosis alone: `siplab diagnose REPORT`.\n"
        "\n"
        "A scenario file is a JSON object with these fields:\n";

struct run_opts {
	const char *target;
	const char *report;
	const char *logs;
	const char *fault;
	const char *seed; /* --seed: the scenario's "seed" */
	const char *pcap; /* --pcap FILE: the run's packet capture */
	int quiet, jobs, once;
	char self[PATH_MAX];
	char worker_program[PATH_MAX]; /* "" = this program's own worker */
};

/* What one scenario's steps came to, for the catalogue's table. */
struct flow_result {
	char scenario[64], fault[112], symptoms[96], diagnosis[48], remedy[24];
	double secs;
	int pass;
	int gap;       /* passed with a known gap in its diagnosis (expect.known_gap) */
	int lab_error; /* the lab failed, not the test: nothing was diagnosed */
};

static volatile sig_atomic_t interrupted;
static volatile pid_t running_child;

/* Ctrl-C (or SIGTERM) goes on to the run in progress, which stops
 * gracefully and writes its report; no further step starts. */
static void on_interrupt(int sig)
{
	interrupted = 1;
	if (running_child > 0)
		kill(running_child, sig);
}

/* The hooks a fault implements: when it acts. */
static void fault_when(const struct fault *f, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s", f->shape ? " the lab's shape;" : "",
	         f->topology ? " its hosts;" : "",
	         f->far_side ? " the far side's configuration;" : "",
	         f->run_start ? " the running lab;" : "");
	size_t n = strlen(buf);
	if (n)
		buf[n - 1] = '\0';
}

static void list_faults(void)
{
	printf("faults (`--fault CODE[:k=v,...]`, or \"fault\" / \"faults\": [...] in a "
	       "scenario;\neach entry {\"code\", \"params\", \"scope\": {\"workers\" | \"group\" | "
	       "\"name\"}, \"at_s\", \"until_s\"}\nwhere the fault supports them):\n");
	for (int i = 0; fault_catalogue[i]; i++) {
		const struct fault *f = fault_catalogue[i];
		char when[96], type[320], scope[64], timing[64];
		fault_when(f, when, sizeof(when));
		fault_describe_reach(f, scope, sizeof(scope), timing, sizeof(timing));
		printf("\n  %s\n      %s\n      applied %s\n      reverted: %s\n      acts on:%s\n"
		       "      scope: %s; timing: %s\n",
		       f->code, f->summary, f->applied, f->reverted, when, scope, timing);
		if (f->needs & FAULT_NEEDS_SIPLAB_REGISTRAR)
			printf("      needs: siplab's registrar (far_side.registrar \"siplab\")\n");
		for (int k = 0; k < FAULT_MAX_PARAMS && f->params[k].name; k++) {
			fault_param_describe(&f->params[k], type, sizeof(type));
			printf("      %-14s %s; default %s\n      %-14s %s\n", f->params[k].name,
			       f->params[k].help, f->params[k].dflt, "", type);
		}
	}
}

static int parse_opts(int argc, char **argv, struct run_opts *o)
{
	static const struct option longopts[] = {{"report", required_argument, NULL, 'r'},
	                                         {"logs", required_argument, NULL, 'l'},
	                                         {"fault", required_argument, NULL, 'f'},
	                                         {"seed", required_argument, NULL, 's'},
	                                         {"jobs", required_argument, NULL, 'j'},
	                                         {"faults", no_argument, NULL, 'F'},
	                                         {"quiet", no_argument, NULL, 'q'},
	                                         {"once", no_argument, NULL, 'o'},
	                                         {"worker-program", required_argument, NULL, 'w'},
	                                         {"pcap", required_argument, NULL, 'p'},
	                                         {"help", no_argument, NULL, 'h'},
	                                         {NULL, 0, NULL, 0}};
	memset(o, 0, sizeof(*o));
	o->jobs = 4;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "hq", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->report = optarg;
			break;
		case 'l':
			o->logs = optarg;
			break;
		case 'p':
			o->pcap = optarg;
			break;
		case 'f':
			o->fault = optarg;
			break;
		case 's': {
			uint64_t v;
			if (rng_parse_seed(optarg, RNG_SEED_MAX, &v)) {
				fprintf(stderr,
				        "siplab run: --seed: expected a whole number from 0 to "
				        "%llu, got \"%s\"\n",
				        (unsigned long long)RNG_SEED_MAX, optarg);
				return -1;
			}
			o->seed = optarg;
			break;
		}
		case 'j':
			o->jobs = atoi(optarg);
			if (o->jobs < 1 || o->jobs > 16) {
				fprintf(stderr,
				        "siplab run: --jobs: expected 1 to 16, got \"%s\"\n",
				        optarg);
				return -1;
			}
			break;
		case 'F':
			list_faults();
			exit(EXIT_OK);
		case 'q':
			o->quiet = 1;
			break;
		case 'o':
			o->once = 1;
			break;
		case 'w':
			if (access(optarg, X_OK) || !realpath(optarg, o->worker_program)) {
				fprintf(stderr,
				        "siplab run: --worker-program %s: not an executable file\n",
				        optarg);
				return -1;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			fields_help(stdout, scenario_fields, 100);
			exit(EXIT_OK);
		default:
			fprintf(stderr, "(see `siplab run --help`)\n");
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "siplab run: expected one scenario file or directory (see `siplab "
		                "run --help`)\n");
		return -1;
	}
	o->target = argv[optind];
	return 0;
}

/* --fault CODE[:k=v,...] becomes the scenario's only fault (its "fault"
 * member, in place of its own "fault" or "faults"). */
static int with_fault(char **text, const char *arg, err_t *e)
{
	char code[64];
	snprintf(code, sizeof(code), "%.*s", (int)strcspn(arg, ":"), arg);
	cJSON *root = cJSON_Parse(*text), *f = cJSON_CreateObject();
	if (!root)
		return cJSON_Delete(f), 0; /* the scenario's own error comes later */
	cJSON_AddStringToObject(f, "code", code);
	cJSON *params = cJSON_AddObjectToObject(f, "params");
	const char *kv = strchr(arg, ':');
	char list[512];
	snprintf(list, sizeof(list), "%s", kv ? kv + 1 : "");
	for (char *save = NULL, *p = strtok_r(list, ",", &save); p;
	     p = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(p, '=');
		if (!eq) {
			cJSON_Delete(root);
			cJSON_Delete(f);
			return err_set(e, EINVAL,
			               "--fault %s: expected k=v after the code, got \"%s\"", arg,
			               p);
		}
		*eq = '\0';
		cJSON_AddStringToObject(params, p, eq + 1);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(root, "fault");
	cJSON_DeleteItemFromObjectCaseSensitive(root, "faults");
	cJSON_AddItemToObject(root, "fault", f);
	free(*text);
	*text = cJSON_Print(root);
	cJSON_Delete(root);
	return 0;
}

/* --seed N becomes the scenario's "seed" member (checked already). */
static void with_seed(char **text, const char *seed)
{
	cJSON *root = cJSON_Parse(*text);
	if (!root)
		return; /* the scenario's own error comes later */
	cJSON_DeleteItemFromObjectCaseSensitive(root, "seed");
	cJSON_AddNumberToObject(root, "seed", strtod(seed, NULL));
	free(*text);
	*text = cJSON_Print(root);
	cJSON_Delete(root);
}

/* --- one run in a child ---------------------------------------------------------------- */

static int run_child(const struct scenario *s, const char *path, const char *text,
                     const char *report, const struct run_opts *o)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return EXIT_ENV;
	if (pid == 0) {
		struct runlab_opts ro = {report,
		                         o->logs,
		                         o->quiet,
		                         o->self,
		                         o->worker_program[0] ? o->worker_program : o->self,
		                         o->pcap};
		_exit(runlab(s, path, text, &ro));
	}
	running_child = pid;
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	running_child = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_FAIL;
}

/* "SUCCESS 25" or "REGISTRATION_FAILED 69, SUCCESS 31", or the run status. */
static void symptoms(const cJSON *rep, char *out, size_t cap)
{
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(rep, "run");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(run, "status");
	const cJSON *outs = cJSON_GetObjectItemCaseSensitive(
	                    cJSON_GetObjectItemCaseSensitive(rep, "totals"), "outcomes"),
	            *o;
	size_t n = (size_t)snprintf(out, cap, "%s", cJSON_IsString(st) ? st->valuestring : "?");
	const char *sep = ": ";
	cJSON_ArrayForEach (o, outs) {
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s %d", sep, o->string,
		                      o->valueint);
		sep = ", ";
	}
}

static void remedy_report(const char *report, char *out, size_t cap)
{
	size_t n = strlen(report);
	if (n > 5 && !strcmp(report + n - 5, ".json"))
		snprintf(out, cap, "%.*s.remedy.json", (int)(n - 5), report);
	else
		snprintf(out, cap, "%s.remedy", report);
}

/* Run, diagnose and check one scenario text; 1 when the expectation held. */
static int run_and_check(const struct scenario *s, const char *path, const char *text,
                         const char *report, const struct run_opts *o, int step,
                         struct flow_result *r, FILE *out)
{
	long long t0 = sys_now_ns();
	int code = run_child(s, path, text, report, o);
	if (code == EXIT_ENV) {
		/* The report says only that the infrastructure failed; diagnosing it
		 * would present the lab's failure as the platform's. */
		fprintf(out,
		        "  %d run          LAB ERROR: the lab failed, not the test (see the lines "
		        "above and lab.json); not diagnosed\n",
		        step);
		if (r)
			r->lab_error = 1;
		if (r && step == 1) {
			snprintf(r->symptoms, sizeof(r->symptoms), "LAB ERROR");
			snprintf(r->diagnosis, sizeof(r->diagnosis), "-");
		}
		return 0;
	}
	cJSON *rep = jv_read_tree(report);
	if (!rep) {
		fprintf(out, "  %d run          no report (exit %d)\n", step, code);
		return 0;
	}
	char sym[256], why[256], what[256];
	symptoms(rep, sym, sizeof(sym));
	fprintf(out, "  %d run          %s (%.1f s) — %s\n", step, sym,
	        (double)(sys_now_ns() - t0) / 1e9, report);
	cJSON *d = diagnose(rep);
	const char *top = diagnose_top(d);
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "findings"), 0);
	const cJSON *ev0 =
	        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(first, "evidence"), 0);
	fprintf(out, "  %d diagnose     %s%s%s\n", step + 1, top, ev0 ? " — " : "",
	        ev0 ? ev0->valuestring : "");
	int held = expectation_check(s->expect, rep, d, why, sizeof(why), what, sizeof(what));
	fprintf(out, "  %d expectation  %s (%s)%s%s\n", step + 2,
	        held == EXPECT_KNOWN_GAP ? "held, but for a KNOWN GAP"
	        : held                   ? "held"
	                                 : "DID NOT HOLD",
	        what, held == 1 ? "" : ": ", held == 1 ? "" : why);
	if (r && step == 1) {
		snprintf(r->symptoms, sizeof(r->symptoms), "%s", sym);
		snprintf(r->diagnosis, sizeof(r->diagnosis), "%s%s", top,
		         held == EXPECT_KNOWN_GAP ? " (gap)" : "");
	}
	if (r && step == 1 && held == EXPECT_KNOWN_GAP)
		r->gap = 1;
	cJSON_Delete(d);
	cJSON_Delete(rep);
	return held && !interrupted;
}

/* The scenario's fault codes, "a + b", or "-". */
static void fault_codes(const struct scenario *s, char *buf, size_t cap)
{
	size_t n = 0;
	snprintf(buf, cap, "-");
	for (int k = 0; k < s->n_faults; k++)
		n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", k ? " + " : "",
		                      s->faults[k].code);
}

/* The steps of one scenario file. Returns 1 when every step held, 0 when
 * one did not, -1 when the scenario itself is bad (nothing ran). */
static int flow(const char *path, const char *report, const struct run_opts *o,
                struct flow_result *r, FILE *out)
{
	static struct scenario s;
	err_t e;
	char *text = NULL;
	long long t0 = sys_now_ns();
	memset(r, 0, sizeof(*r));
	const char *base = strrchr(path, '/');
	snprintf(r->scenario, sizeof(r->scenario), "%s", base ? base + 1 : path);
	snprintf(r->remedy, sizeof(r->remedy), "-");
	int rc = jv_read_file(path, &text, &e);
	if (!rc && o->fault)
		rc = with_fault(&text, o->fault, &e);
	if (!rc && o->seed)
		with_seed(&text, o->seed);
	if (!rc)
		rc = scenario_parse(text, path, &s, &e);
	char *fixed = !rc && s.remedy[0] ? scenario_remedied(text, path, &e) : NULL;
	static struct scenario fixed_s;
	if (!rc && s.remedy[0] && (!fixed || scenario_parse(fixed, path, &fixed_s, &e)))
		rc = -EINVAL;
	if (rc) {
		fprintf(stderr, "siplab run: %s\n", e.msg);
		free(text);
		free(fixed);
		return -1;
	}
	fault_codes(&s, r->fault, sizeof(r->fault));
	fprintf(out, "%s — %s%s\n", path,
	        s.n_faults > 1 ? "faults "
	        : s.n_faults   ? "fault "
	                       : "no fault",
	        s.n_faults ? r->fault : "");
	int ok = run_and_check(&s, path, text, report, o, 1, r, out);
	if (o->once && fixed) {
		free(fixed);
		fixed = NULL;
	}
	if (ok && fixed) {
		const cJSON *rem = NULL;
		cJSON *root = cJSON_Parse(s.remedy);
		rem = cJSON_GetObjectItemCaseSensitive(root, "description");
		fprintf(out, "  4 remedy       %s\n",
		        cJSON_IsString(rem) ? rem->valuestring : "(the scenario's remedy)");
		cJSON_Delete(root);
		char report2[PATH_MAX], logs2[PATH_MAX];
		remedy_report(report, report2, sizeof(report2));
		struct run_opts o2 = *o;
		if (o->logs) {
			snprintf(logs2, sizeof(logs2), "%s.remedy", o->logs);
			o2.logs = logs2;
		}
		char pcap2[PATH_MAX]; /* run.pcapng -> run.remedy.pcapng */
		if (o->pcap) {
			size_t n = strlen(o->pcap),
			       ext = n > 7 && !strcmp(o->pcap + n - 7, ".pcapng");
			snprintf(pcap2, sizeof(pcap2), "%.*s.remedy%s", (int)(n - 7 * ext), o->pcap,
			         ext ? ".pcapng" : "");
			o2.pcap = pcap2;
		}
		ok = run_and_check(&fixed_s, path, fixed, report2, &o2, 5, r, out);
		snprintf(r->remedy, sizeof(r->remedy), "%s", ok ? "verified" : "FAILED");
	} else if (fixed) {
		snprintf(r->remedy, sizeof(r->remedy), "not tried");
	}
	r->secs = (double)(sys_now_ns() - t0) / 1e9;
	r->pass = ok;
	fprintf(out, "verdict: %s%s (%.1f s)\n",
	        ok ? (fixed ? "PASS — reproduced, diagnosed, remedy "
	                      "verified"
	                    : "PASS")
	           : "FAIL",
	        ok && r->gap ? "; the diagnosis has a known gap (see the expectation)" : "",
	        r->secs);
	free(text);
	free(fixed);
	return ok;
}

/* --- the catalogue ------------------------------------------------------------------------ */

static int scenario_files(const char *dir, char ***out)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), k = 0;
	if (n < 0)
		return -1;
	*out = calloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]->d_name);
		if (*out && len > 5 && !strcmp(names[i]->d_name + len - 5, ".json") &&
		    asprintf(&(*out)[k], "%s/%s", dir, names[i]->d_name) > 0)
			k++;
		free(names[i]);
	}
	free(names);
	return *out ? k : -1;
}

/* A guess at how long a scenario's flow takes, in lab milliseconds: its
 * buildup and calls, or the last time a fault acts if later, twice with a
 * remedy. Only for the order they start in. */
static long flow_estimate(const char *file)
{
	static struct scenario s;
	err_t e;
	if (scenario_load(file, &s, &e))
		return 0;
	double span = s.buildup_s + s.call_duration_s;
	for (int k = 0; k < s.n_faults; k++) {
		span = s.faults[k].has_at && s.faults[k].at_s > span ? s.faults[k].at_s : span;
		span = s.faults[k].has_until && s.faults[k].until_s > span ? s.faults[k].until_s
		                                                           : span;
	}
	return scenario_ms(&s, span) * (s.remedy[0] ? 2 : 1);
}

/* The order to start files in: the longest guess first, so a long one does
 * not run alone at the end (the results keep the files' order). */
static void longest_first(char **files, int n, int *order)
{
	long *est = calloc((size_t)n, sizeof(*est));
	for (int i = 0; i < n; i++) {
		order[i] = i;
		est[i] = est ? flow_estimate(files[i]) : 0;
	}
	for (int i = 1; est && i < n; i++)
		for (int k = i; k > 0 && est[order[k]] > est[order[k - 1]]; k--) {
			int t = order[k];
			order[k] = order[k - 1];
			order[k - 1] = t;
		}
	free(est);
}

/* Run one scenario's flow in a child whose output goes to a log; its result
 * comes back through a pipe. */
static pid_t start_flow(const char *file, const char *dir, const struct run_opts *o, int *rfd)
{
	int p[2];
	if (pipe(p) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid != 0) {
		close(p[1]);
		*rfd = p[0];
		return pid;
	}
	close(p[0]);
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	char name[256], log[PATH_MAX], report[PATH_MAX];
	snprintf(name, sizeof(name), "%.*s", (int)(strlen(base) - 5), base);
	snprintf(log, sizeof(log), "%s/%s.log", dir, name);
	snprintf(report, sizeof(report), "%s/%s.report.json", dir, name);
	FILE *out = fopen(log, "w");
	if (out) {
		dup2(fileno(out), 1);
		dup2(fileno(out), 2);
		setvbuf(stdout, NULL, _IOLBF, 0);
	}
	struct run_opts mine = *o;
	mine.quiet = 1;
	/* Every service's log and configuration, next to the report. */
	char logs[PATH_MAX], abs[PATH_MAX];
	snprintf(logs, sizeof(logs), "%s/%s.logs", dir, name);
	if (!o->logs && realpath(dir, abs)) {
		snprintf(logs, sizeof(logs), "%s/%s.logs", abs, name);
		mine.logs = logs;
	}
	struct flow_result r;
	int ok = flow(file, report, &mine, &r, stdout);
	if (ok < 0)
		snprintf(r.symptoms, sizeof(r.symptoms), "bad scenario (see %s)", log);
	(void)!write(p[1], &r, sizeof(r));
	_exit(ok > 0 ? 0 : 1);
}

static void print_table(struct flow_result *r, int n, double wall, FILE *f)
{
	/* Columns as wide as their longest cell, so long names stay aligned. */
	int ws = 8, wf = 5, wd = 9;
	for (int i = 0; i < n; i++) {
		ws = (int)strlen(r[i].scenario) > ws ? (int)strlen(r[i].scenario) : ws;
		wf = (int)strlen(r[i].fault) > wf ? (int)strlen(r[i].fault) : wf;
		wd = (int)strlen(r[i].diagnosis) > wd ? (int)strlen(r[i].diagnosis) : wd;
	}
	fprintf(f, "\n%-*s %-*s %-50s %-*s %-9s %6s\n", ws, "SCENARIO", wf, "FAULT", "SYMPTOMS", wd,
	        "DIAGNOSIS", "REMEDY", "TIME");
	for (int i = 0; i < n; i++)
		fprintf(f, "%-*s %-*s %-50.50s %-*s %-9s %5.1fs %s\n", ws, r[i].scenario, wf,
		        r[i].fault, r[i].symptoms, wd, r[i].diagnosis, r[i].remedy, r[i].secs,
		        r[i].pass ? "PASS" : "FAIL");
	int pass = 0, gaps = 0;
	for (int i = 0; i < n; i++) {
		pass += r[i].pass;
		gaps += r[i].pass && r[i].gap;
	}
	fprintf(f, "\n%d of %d scenarios passed; catalogue wall time %.1f s\n", pass, n, wall);
	if (gaps)
		fprintf(f,
		        "%d of them with a known gap in the diagnosis (\"(gap)\" above: the "
		        "report does not carry the evidence yet; the scenario's known_gap says "
		        "why)\n",
		        gaps);
}

static int catalogue(const struct run_opts *o)
{
	char **files = NULL;
	int n = scenario_files(o->target, &files);
	if (n <= 0) {
		fprintf(stderr, "siplab run: %s: no *.json scenarios\n", o->target);
		free(files);
		return EXIT_USAGE;
	}
	const char *dir = o->report ? o->report : "reports";
	err_t e;
	if (sys_mkdir_p(dir, 0755, &e)) {
		fprintf(stderr, "siplab run: %s\n", e.msg);
		return EXIT_USAGE;
	}
	struct flow_result *res = calloc((size_t)n, sizeof(*res));
	pid_t *pids = calloc((size_t)n, sizeof(*pids));
	int *fds = calloc((size_t)n, sizeof(*fds)), next = 0, running = 0, done = 0;
	int *order = calloc((size_t)n, sizeof(*order));
	if (order)
		longest_first(files, n, order);
	long long t0 = sys_now_ns();
	printf("siplab run: %d scenarios from %s, %d at a time; reports and logs in %s/\n", n,
	       o->target, o->jobs, dir);
	while (res && pids && fds && order && done < n) {
		while (running < o->jobs && next < n) {
			int k = order[next++];
			pids[k] = start_flow(files[k], dir, o, &fds[k]);
			running += pids[k] > 0;
		}
		int st;
		pid_t pid = wait(&st);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (int i = 0; i < n; i++)
			if (pids[i] == pid) {
				if (read(fds[i], &res[i], sizeof(res[i])) !=
				    (ssize_t)sizeof(res[i]))
					snprintf(res[i].symptoms, sizeof(res[i].symptoms),
					         "no result");
				close(fds[i]);
				printf("  [%6.1f s] %-28s %s\n", (double)(sys_now_ns() - t0) / 1e9,
				       res[i].scenario, res[i].pass ? "PASS" : "FAIL");
				running--;
				done++;
			}
	}
	print_table(res, n, (double)(sys_now_ns() - t0) / 1e9, stdout);
	int all = done == n, lab_error = 0;
	for (int i = 0; i < n && res; i++) {
		all &= res[i].pass;
		lab_error |= res[i].lab_error;
	}
	for (int i = 0; i < n; i++)
		free(files[i]);
	free(files);
	free(res);
	free(pids);
	free(fds);
	free(order);
	return lab_error ? EXIT_ENV : all ? EXIT_OK : EXIT_FAIL;
}

int cmd_run(int argc, char **argv)
{
	static struct run_opts o;
	if (parse_opts(argc, argv, &o))
		return EXIT_USAGE;
	ssize_t n = readlink("/proc/self/exe", o.self, sizeof(o.self) - 1);
	if (n <= 0) {
		fprintf(stderr, "siplab run: cannot find my own program: %s\n", strerror(errno));
		return EXIT_ENV;
	}
	o.self[n] = '\0';
	/* The services run in their own mount namespaces: give them a full path. */
	static char logs[PATH_MAX];
	err_t e;
	if (o.logs && (sys_mkdir_p(o.logs, 0755, &e) || !realpath(o.logs, logs))) {
		fprintf(stderr, "siplab run: --logs %s: cannot create it\n", o.logs);
		return EXIT_USAGE;
	}
	if (o.logs)
		o.logs = logs;
	struct stat pst; /* many runs at once would write one file */
	if (o.pcap && stat(o.target, &pst) == 0 && S_ISDIR(pst.st_mode)) {
		fprintf(stderr, "siplab run: --pcap is for one scenario; a directory's runs each "
		                "keep theirs in their logs (NAME.logs/capture.pcapng)\n");
		return EXIT_USAGE;
	}
	struct sigaction sa = {.sa_handler = on_interrupt};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct stat st;
	if (stat(o.target, &st) == 0 && S_ISDIR(st.st_mode))
		return catalogue(&o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct flow_result r;
	int ok = flow(o.target, o.report ? o.report : "report.json", &o, &r, stdout);
	return ok < 0 ? EXIT_USAGE : r.lab_error ? EXIT_ENV : ok ? EXIT_OK : EXIT_FAIL;
}

/* --- siplab diagnose ---------------------------------------------------------------------- */

static const char diagnose_usage[] =
        "usage: siplab diagnose REPORT.json [--json] [--explain]\n"
        "\n"
        "Reads a run's report — only the report, never what was injected (that is in\n"
        "lab.json beside it, the answer key, which this command refuses) — and walks the\n"
        "failure guide: the run's status, whether it started, the scope (all endpoints or\n"
        "some, by group, by worker, by time), the phase reached, the SIP codes and what\n"
        "the traces show, the media per direction. Prints the diagnosis codes that fit,\n"
        "ranked, each with its evidence, the branch of the guide and the resolution; or,\n"
        "when nothing it knows fits, says so and shows what it saw.\n"
        "\n"
        "  --json     the same as JSON; each finding's \"sources\" says where each line of\n"
        "             its evidence came from, as a JSON pointer into the report\n"
        "             (RFC 6901: \"/endpoints/3/trace/5\"), or null\n"
        "  --explain  after the diagnosis, what tells the top two findings apart\n"
        "\n"
        "exit codes: 0 a diagnosis (or nothing failed), 1 no known failure fits,\n"
        "2 the report cannot be read.\n";

int cmd_diagnose(int argc, char **argv)
{
	int json = 0, explain = 0;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--explain"))
			explain = 1;
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return fputs(diagnose_usage, stdout), EXIT_OK;
		else if (!path)
			path = argv[i];
		else
			return fputs(diagnose_usage, stderr), EXIT_USAGE;
	}
	if (!path)
		return fputs(diagnose_usage, stderr), EXIT_USAGE;
	cJSON *rep = jv_read_tree(path);
	if (rep && cJSON_GetObjectItemCaseSensitive(rep, "worker_processes")) {
		fprintf(stderr,
		        "siplab diagnose: %s is a lab.json, the lab's answer key; give the run's "
		        "report (report.json beside it): the diagnosis reads only what a platform "
		        "would have\n",
		        path);
		cJSON_Delete(rep);
		return EXIT_USAGE;
	}
	if (!rep || !cJSON_GetObjectItemCaseSensitive(rep, "run")) {
		fprintf(stderr, "siplab diagnose: %s: not a siplab run report (docs/report.md)\n",
		        path);
		cJSON_Delete(rep);
		return EXIT_USAGE;
	}
	cJSON *d = diagnose(rep);
	if (json) {
		char *t = cJSON_Print(d);
		printf("%s\n", t);
		free(t);
	} else {
		diagnose_print(d, stdout);
	}
	if (explain)
		diagnose_explain(d, json ? stderr : stdout);
	int unexplained = !strcmp(diagnose_top(d), "unexplained");
	cJSON_Delete(d);
	cJSON_Delete(rep);
	return unexplained ? EXIT_FAIL : EXIT_OK;
}

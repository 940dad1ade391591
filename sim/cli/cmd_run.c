/* cmd_run.c — `siplab run SCENARIO` and `siplab diagnose REPORT`.
 *
 * A scenario is run in steps: the run (with its fault injected), the
 * diagnosis of its report, the check of what the scenario expects; then its
 * remedy applied, a second run, and the check that it is healthy. Each run is
 * a fresh lab in a child process (a lab takes its process into namespaces
 * for good). A directory runs the whole catalogue (or one --shard of it),
 * several scenarios at once, each flow in a child of its own that writes its
 * results.json, read back here; the table and the JUnit file are rendered
 * from those results (results.c). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/jsonv.h"
#include "../../lib/limits.h"
#include "../../lib/rng.h"
#include "../../html/html.h"
#include "cli.h"
#include "results.h"
#include "../../diagnose/diagnose.h"
#include "../../diagnose/expect.h"
#include "../../pcapdx/pcapdx.h"
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
        "Every scenario's steps are also written as data: results.json (beside the\n"
        "report: report.json gives report.results.json; in a directory's reports\n"
        "folder NAME.results.json for each scenario and results.json for all of\n"
        "them; schema: docs/results.md). The table and the JUnit file are renderings\n"
        "of it, which `siplab report RESULTS.json` makes again.\n"
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
        "  --keep          no test run: the scenario's lab, far side and fault(s) kept\n"
        "                  up for your own UA (`siplab lab up --scenario`; see\n"
        "                  `siplab lab --help` for --name, --detach, --with-workers)\n"
        "  --quiet         no progress lines; for a directory, only the failures (with\n"
        "                  their steps) and the summary line\n"
        "  --html FILE     also write the first run's HTML report there: status,\n"
        "                  timeline, diagnosis with evidence, outcomes, every\n"
        "                  endpoint's SIP ladder and media (one scenario; the remedy\n"
        "                  run's goes to FILE with .remedy before .html). For any\n"
        "                  report later: siplab report REPORT.json --html FILE\n"
        "  --junit FILE    also write the results as JUnit XML (one testcase per\n"
        "                  scenario), as CI systems read them (docs/ci.md)\n"
        "  --shard K/N     run only the K-th of N parts of a directory (K from 1 to N):\n"
        "                  a scenario's part is a hash of its file name, so N CI jobs\n"
        "                  run each scenario once, and adding one moves only it\n"
        "  --timeout S     stop a scenario's flow that runs longer than S seconds (its\n"
        "                  run hangs up and writes its report; killed "
        "after a grace\n"
        "                  period) and report it as timed out\n"
        "  --worker-program PATH\n"
        "                  start PATH as each worker instead of this program (another\n"
        "                  build, or a wrapper that runs it under valgrind or gdb); it is\n"
        "                  called as PATH worker --gateway ... like `siplab worker`\n"
        "\n" SIPLAB_EXIT_CODES_HELP
        "For a scenario, 0 means every step held (without expectations: the run\n"
        "COMPLETED and every endpoint succeeded); for a directory, every scenario's.\n"
        "A timed-out scenario is a step that did not hold (1).\n"
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
	const char *junit;    /* --junit FILE */
	const char *html;     /* --html FILE: the first run's HTML report */
	double timeout;       /* --timeout S, 0: none */
	int shard_k, shard_n; /* --shard K/N, 0/0: all */
	char shard[32];       /* "K/N" or "" */
	char self[PATH_MAX];
	char worker_program[PATH_MAX]; /* "" = this program's own worker */
};

static volatile sig_atomic_t interrupted, timed_out;
static volatile pid_t running_child;

/* Ctrl-C (or SIGTERM) goes on to the run in progress, which stops
 * gracefully and writes its report; no further step starts. */
static void on_interrupt(int sig)
{
	interrupted = 1;
	if (running_child > 0)
		kill(running_child, sig);
}

/* --timeout: the flow's time is up. The run in progress gets SIGTERM (it
 * hangs up and writes its report) and, if it is still there after the
 * grace period, SIGKILL; no further step starts. */
static void on_timeout(int sig)
{
	(void)sig;
	if (!timed_out) {
		timed_out = 1;
		interrupted = 1;
		if (running_child > 0)
			kill(running_child, SIGTERM);
		alarm(FLOW_STOP_GRACE_S);
	} else if (running_child > 0) {
		kill(running_child, SIGKILL);
	}
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
	                                         {"junit", required_argument, NULL, 'J'},
	                                         {"html", required_argument, NULL, 'H'},
	                                         {"shard", required_argument, NULL, 'S'},
	                                         {"timeout", required_argument, NULL, 'T'},
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
		case 'J':
			o->junit = optarg;
			break;
		case 'H':
			o->html = optarg;
			break;
		case 'S': {
			err_t e;
			if (shard_parse(optarg, &o->shard_k, &o->shard_n, &e)) {
				fprintf(stderr, "siplab run: %s\n", e.msg);
				return -1;
			}
			snprintf(o->shard, sizeof(o->shard), "%d/%d", o->shard_k, o->shard_n);
			break;
		}
		case 'T': {
			char *end;
			o->timeout = strtod(optarg, &end);
			if (end == optarg || *end || !(o->timeout > 0) ||
			    o->timeout > FLOW_TIMEOUT_MAX_S) {
				fprintf(stderr,
				        "siplab run: --timeout: expected seconds above 0, up to "
				        "%d, "
				        "got \"%s\"\n",
				        FLOW_TIMEOUT_MAX_S, optarg);
				return -1;
			}
			break;
		}
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
		                         o->pcap,
		                         NULL,
		                         0,
		                         NULL,
		                         NULL};
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

/* One scenario's flow as it goes: where its lines go and what it came to. */
struct flow {
	const struct run_opts *o;
	FILE *out;
	cJSON *res;    /* results.json */
	int gap;       /* passed with a known gap in its diagnosis (expect.known_gap) */
	int lab_error; /* the lab failed, not the test: nothing was diagnosed */
};

/* The steps of the test run, then of the remedy run. */
static const char *const step_names[2][3] = {
        {"run", "diagnosis", "expectation"},
        {"remedy_run", "remedy_diagnosis", "remedy_expectation"},
};

/* Print one step's line and record it, with its start and duration. */
static void step_done(struct flow *fl, const char *name, const char *status, const char *started,
                      long long t0, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void step_done(struct flow *fl, const char *name, const char *status, const char *started,
                      long long t0, const char *fmt, ...)
{
	char *line = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		line = NULL;
	va_end(ap);
	fprintf(fl->out, "  %s\n", line ? line : name);
	results_step(fl->res, name, status, started, (double)(sys_now_ns() - t0) / 1e9, line);
	free(line);
}

static void step_skipped(struct flow *fl, const char *name)
{
	results_step(fl->res, name, "skipped", NULL, 0, NULL);
}

static void set_str(cJSON *obj, const char *key, const char *value)
{
	jv_set(obj, key, value ? cJSON_CreateString(value) : cJSON_CreateNull());
}

/* Run, diagnose and check one scenario text; 1 when the expectation held. */
static int run_and_check(const struct scenario *s, const char *path, const char *text,
                         const char *report, const struct run_opts *o, int step, struct flow *fl)
{
	const char *const *names = step_names[step != 1];
	char started[32];
	results_now_iso(started);
	long long t0 = sys_now_ns();
	int code = run_child(s, path, text, report, o);
	cJSON *reports = cJSON_GetObjectItemCaseSensitive(fl->res, "reports");
	if (timed_out) {
		step_done(fl, names[0], "fail", started, t0,
		          "%d run          TIMED OUT after %g s: stopped (its report: %s)", step,
		          o->timeout, report);
		set_str(reports, step == 1 ? "run" : "remedy", report);
		if (step == 1)
			set_str(fl->res, "symptoms", "TIMED OUT");
		step_skipped(fl, names[1]);
		step_skipped(fl, names[2]);
		return 0;
	}
	if (code == EXIT_ENV) {
		/* The report says only that the infrastructure failed; diagnosing it
		 * would present the lab's failure as the platform's. */
		step_done(fl, names[0], "error", started, t0,
		          "%d run          LAB ERROR: the lab failed, not the test (see the lines "
		          "above and lab.json); not diagnosed",
		          step);
		fl->lab_error = 1;
		if (step == 1)
			set_str(fl->res, "symptoms", "LAB ERROR");
		step_skipped(fl, names[1]);
		step_skipped(fl, names[2]);
		return 0;
	}
	cJSON *rep = jv_read_tree(report);
	if (!rep) {
		step_done(fl, names[0], "error", started, t0, "%d run          no report (exit %d)",
		          step, code);
		step_skipped(fl, names[1]);
		step_skipped(fl, names[2]);
		return 0;
	}
	set_str(reports, step == 1 ? "run" : "remedy", report);
	char sym[256], why[256], what[256];
	symptoms(rep, sym, sizeof(sym));
	step_done(fl, names[0], "pass", started, t0, "%d run          %s (%.1f s) — %s", step, sym,
	          (double)(sys_now_ns() - t0) / 1e9, report);
	results_now_iso(started);
	t0 = sys_now_ns();
	cJSON *d = diagnose(rep);
	const char *top = diagnose_top(d);
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "findings"), 0);
	const cJSON *ev0 =
	        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(first, "evidence"), 0);
	const char *evidence = cJSON_IsString(ev0) ? ev0->valuestring : NULL;
	step_done(fl, names[1], "pass", started, t0, "%d diagnose     %s%s%s", step + 1, top,
	          evidence ? " — " : "", evidence ? evidence : "");
	results_now_iso(started);
	t0 = sys_now_ns();
	int held = expectation_check(s->expect, rep, d, why, sizeof(why), what, sizeof(what));
	step_done(fl, names[2], held ? "pass" : "fail", started, t0, "%d expectation  %s (%s)%s%s",
	          step + 2,
	          held == EXPECT_KNOWN_GAP ? "held, but for a KNOWN GAP"
	          : held                   ? "held"
	                                   : "DID NOT HOLD",
	          what, held == 1 ? "" : ": ", held == 1 ? "" : why);
	/* The diagnosis of the run the scenario is about; the remedy run's
	 * beside it, for a remedy that did not hold. */
	cJSON *dx = cJSON_CreateObject();
	cJSON_AddStringToObject(dx, "code", top);
	set_str(dx, "line", evidence);
	cJSON_AddBoolToObject(dx, "known_gap", held == EXPECT_KNOWN_GAP);
	jv_set(fl->res, step == 1 ? "diagnosis" : "remedy_diagnosis", dx);
	if (step == 1) {
		set_str(fl->res, "symptoms", sym);
		set_str(fl->res, "expected", what);
		fl->gap = held == EXPECT_KNOWN_GAP;
	}
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

/* --timeout: a timer for the whole flow (0 stops it). */
static void flow_timer(double secs)
{
	struct itimerval t = {{0, 0}, {(time_t)secs, (suseconds_t)((secs - (long)secs) * 1e6)}};
	if (secs > 0 && !t.it_value.tv_sec && !t.it_value.tv_usec)
		t.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &t, NULL);
}

/* The remedy's steps: applied, then a run, diagnosed and checked, in a new
 * lab. Returns 1 when it held. */
static int remedy_steps(const struct scenario *fixed_s, const struct scenario *s, const char *path,
                        const char *fixed, const char *report, struct flow *fl)
{
	char started[32], report2[PATH_MAX], logs2[PATH_MAX];
	results_now_iso(started);
	long long t0 = sys_now_ns();
	cJSON *root = cJSON_Parse(s->remedy);
	const cJSON *rem = cJSON_GetObjectItemCaseSensitive(root, "description");
	step_done(fl, "remedy", "pass", started, t0, "4 remedy       %s",
	          cJSON_IsString(rem) ? rem->valuestring : "(the scenario's remedy)");
	cJSON_Delete(root);
	remedy_report(report, report2, sizeof(report2));
	struct run_opts o2 = *fl->o;
	if (fl->o->logs) {
		snprintf(logs2, sizeof(logs2), "%s.remedy", fl->o->logs);
		o2.logs = logs2;
	}
	char pcap2[PATH_MAX]; /* run.pcapng -> run.remedy.pcapng */
	if (fl->o->pcap) {
		size_t n = strlen(fl->o->pcap),
		       ext = n > 7 && !strcmp(fl->o->pcap + n - 7, ".pcapng");
		snprintf(pcap2, sizeof(pcap2), "%.*s.remedy%s", (int)(n - 7 * ext), fl->o->pcap,
		         ext ? ".pcapng" : "");
		o2.pcap = pcap2;
	}
	return run_and_check(fixed_s, path, fixed, report2, &o2, 5, fl);
}

/* The steps of one scenario file, recorded in res (results_scenario_new).
 * Returns 1 when every step held, 0 when one did not, -1 when the scenario
 * itself is bad (nothing ran). */
static int flow(const char *path, const char *report, const struct run_opts *o, cJSON *res,
                FILE *out)
{
	static struct scenario s;
	err_t e;
	char *text = NULL, faults[256];
	long long t0 = sys_now_ns();
	struct flow fl = {o, out, res, 0, 0};
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
		set_str(res, "symptoms", e.msg);
		free(text);
		free(fixed);
		return -1;
	}
	fault_codes(&s, faults, sizeof(faults));
	set_str(res, "fault", faults);
	if (o->timeout > 0)
		jv_set(res, "timeout_s", cJSON_CreateNumber(o->timeout));
	fprintf(out, "%s — %s%s\n", path,
	        s.n_faults > 1 ? "faults "
	        : s.n_faults   ? "fault "
	                       : "no fault",
	        s.n_faults ? faults : "");
	timed_out = 0;
	flow_timer(o->timeout);
	int ok = run_and_check(&s, path, text, report, o, 1, &fl);
	if (ok && fixed && !o->once) {
		ok = remedy_steps(&fixed_s, &s, path, fixed, report, &fl);
		set_str(res, "remedy", ok ? "verified" : "FAILED");
	} else if (fixed) {
		set_str(res, "remedy", "not tried");
		step_skipped(&fl, "remedy");
		for (int k = 0; k < 3; k++)
			step_skipped(&fl, step_names[1][k]);
	}
	flow_timer(0);
	double secs = (double)(sys_now_ns() - t0) / 1e9;
	jv_set(res, "duration_s", cJSON_CreateNumber(secs));
	set_str(res, "status", ok ? "pass" : fl.lab_error ? "error" : "fail");
	jv_set(res, "lab_error", cJSON_CreateBool(fl.lab_error));
	jv_set(res, "timed_out", cJSON_CreateBool(timed_out));
	if (timed_out)
		fprintf(out, "verdict: FAIL — timed out after %g s (%.1f s)\n", o->timeout, secs);
	else
		fprintf(out, "verdict: %s%s (%.1f s)\n",
		        ok ? (fixed ? "PASS — reproduced, diagnosed, remedy "
		                      "verified"
		                    : "PASS")
		           : "FAIL",
		        ok && fl.gap ? "; the diagnosis has a known gap (see the expectation)" : "",
		        secs);
	free(text);
	free(fixed);
	return ok;
}

/* Write results as JSON and, when asked, as JUnit. */
static int write_results(const cJSON *res, const char *path, const char *junit)
{
	err_t e;
	int rc = jv_write_tree(res, path, &e);
	if (rc)
		fprintf(stderr, "siplab run: %s\n", e.msg);
	FILE *f = junit ? fopen(junit, "w") : NULL;
	if (junit && !f) {
		fprintf(stderr, "siplab run: --junit %s: %s\n", junit, strerror(errno));
		return -1;
	}
	if (f) {
		results_junit(res, f);
		rc |= fclose(f) ? -1 : 0;
	}
	return rc;
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

/* Run one scenario's flow in a child whose output goes to a log; it writes
 * its results to results (read back by the parent when it ends). */
static pid_t start_flow(const char *file, const char *dir, const char *results,
                        const struct run_opts *o)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	signal(SIGALRM, on_timeout);
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
	cJSON *res = results_scenario_new(file, o->shard[0] ? o->shard : NULL);
	set_str(res, "log", log);
	int ok = flow(file, report, &mine, res, stdout);
	if (ok < 0)
		set_str(res, "symptoms", "bad scenario (see its log)");
	int wrc = write_results(res, results, NULL);
	cJSON_Delete(res);
	_exit(ok > 0 && !wrc ? 0 : 1);
}

/* A scenario's results as its child left them, or, when it left none (it
 * died, or was never started), what is known. */
static cJSON *flow_results(const char *file, const char *results, const char *log,
                           const char *shard, const char *status, const char *why)
{
	cJSON *res = jv_read_tree(results);
	err_t e;
	if (res && !results_check(res, results, &e))
		return res;
	cJSON_Delete(res);
	res = results_scenario_new(file, shard);
	set_str(res, "status", status);
	set_str(res, "symptoms", why);
	set_str(res, "log", log);
	return res;
}

/* The files of the directory in this shard (all without --shard). */
static int in_shard(char **files, int n, const struct run_opts *o)
{
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (!o->shard_n || shard_of(files[i], o->shard_n) == o->shard_k)
			files[k++] = files[i];
		else
			free(files[i]);
	}
	files[k] = NULL;
	return k;
}

struct slot {
	pid_t pid;
	char results[PATH_MAX], log[PATH_MAX];
	cJSON *res;
};

static void slot_paths(struct slot *sl, const char *file, const char *dir)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	int len = (int)strlen(base) - 5;
	snprintf(sl->results, sizeof(sl->results), "%s/%.*s.results.json", dir, len, base);
	snprintf(sl->log, sizeof(sl->log), "%s/%.*s.log", dir, len, base);
	unlink(sl->results); /* a previous run's must not pass for this one's */
}

/* The directory's results: every scenario's, in the files' order. */
static cJSON *catalogue_results(const struct run_opts *o, struct slot *slots, int n,
                                const char *started, double wall)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddNumberToObject(doc, "siplab_results", RESULTS_SCHEMA);
	cJSON_AddStringToObject(doc, "kind", "catalogue");
	cJSON_AddStringToObject(doc, "directory", o->target);
	set_str(doc, "shard", o->shard[0] ? o->shard : NULL);
	cJSON_AddNumberToObject(doc, "jobs", o->jobs);
	cJSON_AddStringToObject(doc, "started", started);
	cJSON_AddNumberToObject(doc, "wall_s", wall);
	int pass = 0;
	cJSON *list = cJSON_AddArrayToObject(doc, "scenarios");
	for (int i = 0; i < n; i++) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(slots[i].res, "status");
		pass += cJSON_IsString(st) && !strcmp(st->valuestring, "pass");
		set_str(slots[i].res, "results", slots[i].results);
		cJSON_AddItemToArray(list, slots[i].res);
		slots[i].res = NULL;
	}
	cJSON_AddNumberToObject(doc, "scenario_count", n);
	cJSON_AddNumberToObject(doc, "passed", pass);
	return doc;
}

/* Start flows up to --jobs and collect them as they end, until every one
 * has ended (or, after Ctrl-C, every started one). */
static void run_slots(const struct run_opts *o, char **files, int n, const char *dir,
                      struct slot *slots, int *order, long long t0)
{
	int next = 0, running = 0;
	for (;;) {
		while (running < o->jobs && next < n && !interrupted) {
			int k = order[next++];
			slots[k].pid = start_flow(files[k], dir, slots[k].results, o);
			running += slots[k].pid > 0;
		}
		if (!running)
			break;
		int st;
		pid_t pid = wait(&st);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		for (int i = 0; i < n; i++)
			if (slots[i].pid == pid) {
				slots[i].res =
				        flow_results(files[i], slots[i].results, slots[i].log,
				                     o->shard[0] ? o->shard : NULL, "error",
				                     "no result (its flow died; see its log)");
				const cJSON *s =
				        cJSON_GetObjectItemCaseSensitive(slots[i].res, "status");
				const char *base = strrchr(files[i], '/');
				if (!o->quiet)
					printf("  [%6.1f s] %-28s %s\n",
					       (double)(sys_now_ns() - t0) / 1e9,
					       base ? base + 1 : files[i],
					       cJSON_IsString(s) && !strcmp(s->valuestring, "pass")
					               ? "PASS"
					               : "FAIL");
				running--;
			}
	}
	/* The ones never started (Ctrl-C). */
	for (int i = 0; i < n; i++)
		if (!slots[i].res)
			slots[i].res = flow_results(files[i], "", slots[i].log,
			                            o->shard[0] ? o->shard : NULL, "skipped",
			                            "not started (interrupted)");
}

static int catalogue(const struct run_opts *o)
{
	char **files = NULL;
	int all_n = scenario_files(o->target, &files);
	if (all_n <= 0) {
		fprintf(stderr, "siplab run: %s: no *.json scenarios\n", o->target);
		free(files);
		return EXIT_USAGE;
	}
	int n = in_shard(files, all_n, o);
	const char *dir = o->report ? o->report : "reports";
	err_t e;
	if (sys_mkdir_p(dir, 0755, &e)) {
		fprintf(stderr, "siplab run: %s\n", e.msg);
		return EXIT_USAGE;
	}
	struct slot *slots = calloc((size_t)n + 1, sizeof(*slots));
	int *order = calloc((size_t)n + 1, sizeof(*order));
	if (!slots || !order) {
		fprintf(stderr, "siplab run: out of memory\n");
		return EXIT_ENV;
	}
	for (int i = 0; i < n; i++)
		slot_paths(&slots[i], files[i], dir);
	longest_first(files, n, order);
	char started[32];
	results_now_iso(started);
	long long t0 = sys_now_ns();
	if (!o->quiet && o->shard[0])
		printf("siplab run: shard %s: %d of the %d scenarios from %s, %d at a time; "
		       "reports and logs in %s/\n",
		       o->shard, n, all_n, o->target, o->jobs, dir);
	else if (!o->quiet)
		printf("siplab run: %d scenarios from %s, %d at a time; reports and logs in %s/\n",
		       n, o->target, o->jobs, dir);
	run_slots(o, files, n, dir, slots, order, t0);
	cJSON *doc = catalogue_results(o, slots, n, started, (double)(sys_now_ns() - t0) / 1e9);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/results.json", dir);
	int wrc = write_results(doc, path, o->junit);
	results_table(doc, o->quiet, stdout);
	int all = 1, lab_error = 0;
	for (int i = 0; i < n; i++) {
		const cJSON *sc = results_at(doc, i);
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(sc, "status");
		all &= cJSON_IsString(st) && !strcmp(st->valuestring, "pass");
		lab_error |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sc, "lab_error"));
	}
	cJSON_Delete(doc);
	for (int i = 0; i < n; i++)
		free(files[i]);
	free(files);
	free(slots);
	free(order);
	return lab_error ? EXIT_ENV : all && !wrc ? EXIT_OK : EXIT_FAIL;
}

/* results.json of one scenario: beside its report (report.json gives
 * report.results.json). */
/* The HTML pages of a scenario's runs: the first run's with the steps, and
 * the remedy run's (when it ran) beside it as FILE.remedy.html. */
static int write_html(const char *report, const char *results, const char *html, int remedy)
{
	err_t e;
	int rc = 0;
	if (html_write(report, results, html, &e)) {
		fprintf(stderr, "siplab run: --html %s: %s\n", html, e.msg);
		return -1;
	}
	printf("  html: %s\n", html);
	char report2[PATH_MAX], html2[PATH_MAX];
	remedy_report(report, report2, sizeof(report2));
	size_t n = strlen(html), ext = n > 5 && !strcmp(html + n - 5, ".html");
	snprintf(html2, sizeof(html2), "%.*s.remedy.html", (int)(n - 5 * ext), html);
	if (remedy && access(report2, R_OK) == 0) {
		rc = html_write(report2, NULL, html2, &e);
		if (rc)
			fprintf(stderr, "siplab run: --html %s: %s\n", html2, e.msg);
		else
			printf("  html: %s\n", html2);
	}
	return rc;
}

/* The report's folder, made when missing: a run that cannot write its
 * report would be lost. */
static int report_dir(const char *report)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", report);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	err_t e;
	if (sys_mkdir_p(dir, 0755, &e)) {
		fprintf(stderr, "siplab run: --report %s: %s\n", report, e.msg);
		return -1;
	}
	return 0;
}

static void results_path(const char *report, char *out, size_t cap)
{
	size_t n = strlen(report);
	if (n > 5 && !strcmp(report + n - 5, ".json"))
		snprintf(out, cap, "%.*s.results.json", (int)(n - 5), report);
	else
		snprintf(out, cap, "%s.results.json", report);
}

int cmd_run(int argc, char **argv)
{
	static struct run_opts o;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--keep")) /* a lab to walk into, not a test run */
			return cmd_run_keep(argc, argv);
	if (parse_opts(argc, argv, &o))
		return EXIT_USAGE;
	ssize_t n = readlink("/proc/self/exe", o.self, sizeof(o.self) - 1);
	if (n <= 0) {
		fprintf(stderr, "siplab run: cannot find my own program: %s\n", strerror(errno));
		return EXIT_ENV;
	}
	o.self[n] = '\0';
	struct stat st;
	int is_dir = stat(o.target, &st) == 0 && S_ISDIR(st.st_mode);
	if (o.shard[0] && !is_dir) {
		fprintf(stderr,
		        "siplab run: --shard %s: splits a directory of scenarios; %s is "
		        "not one\n",
		        o.shard, o.target);
		return EXIT_USAGE;
	}
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
	if (o.html && is_dir) {
		fprintf(stderr, "siplab run: --html is for one scenario; for one of a directory's: "
		                "siplab report DIR/NAME.results.json --format html -o FILE\n");
		return EXIT_USAGE;
	}
	if (o.pcap && stat(o.target, &pst) == 0 && S_ISDIR(pst.st_mode)) {
		fprintf(stderr, "siplab run: --pcap is for one scenario; a directory's runs each "
		                "keep theirs in their logs (NAME.logs/capture.pcapng)\n");
		return EXIT_USAGE;
	}
	struct sigaction sa = {.sa_handler = on_interrupt};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (is_dir)
		return catalogue(&o);
	struct sigaction alrm = {.sa_handler = on_timeout};
	sigaction(SIGALRM, &alrm, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *report = o.report ? o.report : "report.json";
	if (report_dir(report))
		return EXIT_USAGE;
	char path[PATH_MAX];
	results_path(report, path, sizeof(path));
	cJSON *res = results_scenario_new(o.target, NULL);
	int ok = flow(o.target, report, &o, res, stdout);
	int lab_error = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "lab_error"));
	int wrc = ok < 0 ? 0 : write_results(res, path, o.junit);
	const cJSON *rem = cJSON_GetObjectItemCaseSensitive(res, "remedy");
	int remedy_ran = cJSON_IsString(rem) && strcmp(rem->valuestring, "not tried");
	if (ok >= 0 && o.html)
		wrc |= write_html(report, path, o.html, remedy_ran);
	cJSON_Delete(res);
	return ok < 0 ? EXIT_USAGE : lab_error ? EXIT_ENV : ok && !wrc ? EXIT_OK : EXIT_FAIL;
}

/* --- siplab diagnose ---------------------------------------------------------------------- */

static const char diagnose_usage[] =
        "usage: siplab diagnose REPORT.json|CAPTURE.pcap[ng] [--json] [--explain]\n"
        "\n"
        "Reads a run's report — only the report, never what was injected (that is in\n"
        "lab.json beside it, the answer key, which this command refuses) — and walks the\n"
        "failure guide: the run's status, whether it started, the scope (all endpoints or\n"
        "some, by group, by worker, by time), the phase reached, the SIP codes and what\n"
        "the traces show, the media per direction. Prints the diagnosis codes that fit,\n"
        "ranked, each with its evidence, the branch of the guide and the resolution; or,\n"
        "when nothing it knows fits, says so and shows what it saw.\n"
        "\n"
        "A packet capture (pcap or pcapng, e.g. a customer's tcpdump) is read instead\n"
        "of a report: SIP over UDP and TCP, ICMP errors and RTP are rebuilt into the\n"
        "report's evidence and the same rules run; it ends with what a capture cannot\n"
        "show (heartbeats, probes, resources, allocation). docs/pcapdx.md.\n"
        "\n"
        "  --json     the same as JSON; each finding's \"sources\" says where each line of\n"
        "             its evidence came from, as a JSON pointer into the report\n"
        "             (RFC 6901: \"/endpoints/3/trace/5\"), or null\n"
        "  --explain  after the diagnosis, what tells the top two findings apart\n"
        "  --as-report FILE\n"
        "             a capture: also write the report rebuilt from it to FILE\n"
        "\n"
        "exit codes: 0 a diagnosis (or nothing failed), 1 no known failure fits,\n"
        "2 the report cannot be read.\n";

int cmd_diagnose(int argc, char **argv)
{
	int json = 0, explain = 0;
	const char *path = NULL, *as_report = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--explain"))
			explain = 1;
		else if (!strcmp(argv[i], "--as-report") && i + 1 < argc)
			as_report = argv[++i];
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return fputs(diagnose_usage, stdout), EXIT_OK;
		else if (!path)
			path = argv[i];
		else
			return fputs(diagnose_usage, stderr), EXIT_USAGE;
	}
	if (!path)
		return fputs(diagnose_usage, stderr), EXIT_USAGE;
	/* A packet capture (by its magic) is rebuilt into a report first. */
	err_t pe;
	int capture = pcapdx_is_capture(path);
	cJSON *rep = capture ? pcapdx_report(path, &pe) : jv_read_tree(path);
	if (capture && !rep)
		return fprintf(stderr, "siplab diagnose: %s\n", pe.msg), EXIT_USAGE;
	if (capture && as_report && jv_write_tree(rep, as_report, &pe))
		fprintf(stderr, "siplab diagnose: %s\n", pe.msg);
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
	if (capture)
		cJSON_AddItemToObject(
		        d, "capture",
		        cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rep, "capture"), 1));
	if (json) {
		char *t = cJSON_Print(d);
		printf("%s\n", t);
		free(t);
	} else {
		diagnose_print(d, stdout);
		pcapdx_print(rep, stdout);
	}
	if (explain)
		diagnose_explain(d, json ? stderr : stdout);
	int unexplained = !strcmp(diagnose_top(d), "unexplained");
	cJSON_Delete(d);
	cJSON_Delete(rep);
	return unexplained ? EXIT_FAIL : EXIT_OK;
}

/* cmd_train.c — `siplab train`: a training session for support staff. Each
 * case is a catalogue scenario with its parameters redrawn (train/), run in a
 * fresh lab by `siplab run --once` itself (a child of this program, its lines
 * kept in the case's run.log: they name the fault); the trainee sees what the
 * platform shows, asks for more on request, names the cause from a menu
 * grouped like the guide (or types its code), and is scored and shown the
 * diagnosis, the guide's branch and resolution, and the fault that was
 * really injected. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../diagnose/diagnose.h"
#include "../../faults/fault.h"
#include "../../html/html.h"
#include "../../lib/jsonv.h"
#include "../../lib/limits.h"
#include "../../lib/rng.h"
#include "../../lib/sys.h"
#include "../../train/train.h"
#include "cli.h"

static const char usage[] =
        "usage: siplab train [--cases N] [--seed S] [--from DIR] [--level easy|mixed|hard]\n"
        "                    [--sheet FILE] [--time-limit SECONDS] [--trainee NAME] [--out DIR]\n"
        "\n"
        "A training session: N cases drawn from the scenario catalogue, each a variant\n"
        "of a scenario (endpoint counts, which worker is aimed, rate limits, signatures,\n"
        "loss rates redrawn within what its fault allows) run in a fresh lab with the\n"
        "fault hidden. You see what the platform shows — run status, outcomes per group\n"
        "and worker, the failing endpoints with phase and SIP code — and on request an\n"
        "endpoint's trace, the media metrics, the HTML report. Then you name the cause:\n"
        "a section of the guide and a cause by their numbers, or a code typed\n"
        "(reg.rate_limit). Each answer is scored right, right branch (the right section\n"
        "of the guide, another cause) or wrong, and the diagnosis with its evidence,\n"
        "the guide's branch and resolution and the fault really injected are shown.\n"
        "\n"
        "Answers are read a line at a time, from the terminal or from stdin when it is\n"
        "not one (a file or a pipe of answers, for scripts).\n"
        "\n"
        "options:\n"
        "  --cases N         cases in the session (default 5, at most 100)\n"
        "  --seed S          the session's seed: the same seed gives the same cases,\n"
        "                    variants and order, so a class can sit the same test\n"
        "                    (default: a fresh one, printed)\n"
        "  --from DIR        the scenarios to draw from (default: scenarios)\n"
        "  --level L         easy: single-cause failures of the whole run; hard:\n"
        "                    confounders, partial, mid-run, several faults; mixed: both\n"
        "                    (default mixed)\n"
        "  --sheet FILE      write the answers and score as JSON to FILE, and as CSV to\n"
        "                    FILE with .csv in place of .json\n"
        "  --time-limit S    seconds per case to answer; unanswered, a case scores wrong\n"
        "                    (\"time limit\"). Default: none\n"
        "  --trainee NAME    the name on the score sheet\n"
        "  --out DIR         where each case's scenario, report, log and HTML page go\n"
        "                    (default: train-SEED)\n"
        "\n"
        "Runs labs: needs root, as `siplab run` does.\n"
        "\n" SIPLAB_EXIT_CODES_HELP;

struct train_opts {
	int cases;
	uint64_t seed;
	const char *from, *sheet, *trainee;
	char out[PATH_MAX];
	enum train_level level;
	double time_limit; /* 0: none */
	char self[PATH_MAX];
};

/* --- options ---------------------------------------------------------------------------- */

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "siplab train: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see `siplab train --help`)\n");
	return -1;
}

static int parse_level(const char *s, enum train_level *l)
{
	*l = !strcmp(s, "easy")    ? TRAIN_EASY
	     : !strcmp(s, "hard")  ? TRAIN_HARD
	     : !strcmp(s, "mixed") ? TRAIN_MIXED
	                           : 0;
	return *l ? 0 : -1;
}

static int parse_opts(int argc, char **argv, struct train_opts *o)
{
	static const struct option longs[] = {
	        {"cases", required_argument, NULL, 'n'},
	        {"seed", required_argument, NULL, 's'},
	        {"from", required_argument, NULL, 'f'},
	        {"level", required_argument, NULL, 'l'},
	        {"sheet", required_argument, NULL, 'S'},
	        {"time-limit", required_argument, NULL, 't'},
	        {"trainee", required_argument, NULL, 'T'},
	        {"out", required_argument, NULL, 'o'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c, seeded = 0;
	char *end;
	while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->cases = (int)strtol(optarg, &end, 10);
			if (*end || o->cases < 1 || o->cases > TRAIN_MAX_CASES)
				return bad("--cases %s: expected a whole number from 1 to 100 "
				           "(TRAIN_MAX_CASES)",
				           optarg);
			break;
		case 's':
			if (rng_parse_seed(optarg, RNG_SEED_MAX, &o->seed))
				return bad("--seed %s: expected a whole number from 0 to 10^15 - 1",
				           optarg);
			seeded = 1;
			break;
		case 'f':
			o->from = optarg;
			break;
		case 'l':
			if (parse_level(optarg, &o->level))
				return bad("--level %s: expected easy, mixed or hard", optarg);
			break;
		case 'S':
			o->sheet = optarg;
			break;
		case 't':
			o->time_limit = strtod(optarg, &end);
			if (*end || !(o->time_limit > 0) || o->time_limit > TRAIN_MAX_TIME_LIMIT_S)
				return bad("--time-limit %s: expected seconds, more than 0 and at "
				           "most "
				           "86400 (TRAIN_MAX_TIME_LIMIT_S)",
				           optarg);
			break;
		case 'T':
			o->trainee = optarg;
			break;
		case 'o':
			snprintf(o->out, sizeof(o->out), "%s", optarg);
			break;
		case 'h':
			fputs(usage, stdout);
			exit(EXIT_OK);
		default:
			return bad("%s", "bad option");
		}
	}
	if (optind != argc)
		return bad("unexpected argument \"%s\"", argv[optind]);
	if (!seeded)
		o->seed = rng_fresh_seed();
	if (!o->out[0])
		snprintf(o->out, sizeof(o->out), "train-%llu", (unsigned long long)o->seed);
	return 0;
}

/* --- reading answers -------------------------------------------------------------------- */

/* One line from stdin, read byte by byte so that poll() sees what is left
 * (stdio would buffer it). 1: a line; 0: the deadline passed; -1: the end
 * of the input. deadline_ns 0: none. */
static int read_line(char *buf, size_t cap, long long deadline_ns)
{
	size_t n = 0;
	for (;;) {
		int wait = -1;
		if (deadline_ns) {
			long long left = deadline_ns - sys_now_ns();
			if (left <= 0)
				return 0;
			wait = (int)(left / 1000000) + 1;
		}
		struct pollfd p = {0, POLLIN, 0};
		int r = poll(&p, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return 0;
		char ch;
		ssize_t got = read(0, &ch, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			buf[n] = '\0';
			return n ? 1 : -1;
		}
		if (ch == '\n') {
			buf[n] = '\0';
			return 1;
		}
		if (ch != '\r' && n + 1 < cap)
			buf[n++] = ch;
	}
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* --- what the platform shows ------------------------------------------------------------ */

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void count_in(cJSON *tally, const char *who, const char *outcome)
{
	cJSON *row = cJSON_GetObjectItemCaseSensitive(tally, who);
	if (!row)
		row = cJSON_AddObjectToObject(tally, who);
	cJSON *n = cJSON_GetObjectItemCaseSensitive(row, outcome);
	if (n)
		cJSON_SetNumberValue(n, n->valuedouble + 1);
	else
		cJSON_AddNumberToObject(row, outcome, 1);
}

static void print_tally(const char *title, const cJSON *tally)
{
	const cJSON *row, *n;
	cJSON_ArrayForEach (row, tally) {
		printf("  %-8s %-14s", title, row->string);
		const char *sep = " ";
		cJSON_ArrayForEach (n, row) {
			printf("%s%s %d", sep, n->string, n->valueint);
			sep = ", ";
		}
		putchar('\n');
	}
}

static int failed(const cJSON *ep)
{
	const char *o = str(ep, "outcome");
	return o && strcmp(o, "SUCCESS");
}

static void print_endpoint(const cJSON *ep)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(ep, "sip_code");
	const char *src = str(ep, "sip_code_source");
	char sip[48] = "no SIP code";
	if (cJSON_IsNumber(code))
		snprintf(sip, sizeof(sip), "SIP %d%s%s%s", code->valueint, src ? " (" : "",
		         src ? src : "", src ? ")" : "");
	printf("  %-14s group %-10s %-8s %-20s phase %-12s %s\n", str(ep, "user") ?: "?",
	       str(ep, "group") ?: "?", str(ep, "worker") ?: "-", str(ep, "outcome") ?: "(none)",
	       str(ep, "phase_reached") ?: "?", sip);
	if (str(ep, "reason"))
		printf("  %14s %s\n", "", str(ep, "reason"));
}

#define SHOW_FAILING 5

static void show_symptoms(const cJSON *rep)
{
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(rep, "run");
	const cJSON *eps = cJSON_GetObjectItemCaseSensitive(rep, "endpoints"), *ep, *o;
	printf("run status: %s%s%s\n", str(run, "status") ?: "?", str(run, "reason") ? " — " : "",
	       str(run, "reason") ?: "");
	printf("outcomes:");
	const char *sep = " ";
	cJSON_ArrayForEach (
	        o, cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rep, "totals"),
	                                            "outcomes")) {
		printf("%s%s %d", sep, o->string, o->valueint);
		sep = ", ";
	}
	printf("%s\n", *sep == ' ' ? " none (no endpoint ran)" : "");
	cJSON *groups = cJSON_CreateObject(), *workers = cJSON_CreateObject();
	int n_failed = 0;
	cJSON_ArrayForEach (ep, eps) {
		const char *outcome = str(ep, "outcome") ?: "(none)";
		count_in(groups, str(ep, "group") ?: "?", outcome);
		count_in(workers, str(ep, "worker") ?: "(none)", outcome);
		n_failed += failed(ep);
	}
	print_tally("group", groups);
	print_tally("worker", workers);
	cJSON_Delete(groups);
	cJSON_Delete(workers);
	if (n_failed) {
		printf("failing endpoints (%d; the first %d):\n", n_failed,
		       n_failed < SHOW_FAILING ? n_failed : SHOW_FAILING);
		int k = 0;
		cJSON_ArrayForEach (ep, eps)
			if (failed(ep) && k++ < SHOW_FAILING)
				print_endpoint(ep);
	}
}

/* The endpoint named (its user), else the first failing one, else the first. */
static const cJSON *pick_endpoint(const cJSON *rep, const char *user)
{
	const cJSON *eps = cJSON_GetObjectItemCaseSensitive(rep, "endpoints"), *ep;
	cJSON_ArrayForEach (ep, eps)
		if (user && *user && str(ep, "user") && !strcmp(str(ep, "user"), user))
			return ep;
	if (user && *user)
		return NULL;
	cJSON_ArrayForEach (ep, eps)
		if (failed(ep))
			return ep;
	return cJSON_GetArrayItem(eps, 0);
}

#define SHOW_TRACE 40

static void show_trace(const cJSON *rep, const char *user)
{
	const cJSON *ep = pick_endpoint(rep, user), *m;
	if (!ep) {
		printf("no endpoint %s in this run\n", user);
		return;
	}
	const cJSON *trace = cJSON_GetObjectItemCaseSensitive(ep, "trace");
	printf("trace of %s (%d messages):\n", str(ep, "user") ?: "?", cJSON_GetArraySize(trace));
	int k = 0;
	cJSON_ArrayForEach (m, trace) {
		if (k++ == SHOW_TRACE) {
			printf("  ... %d more\n", cJSON_GetArraySize(trace) - SHOW_TRACE);
			break;
		}
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "t_ms");
		int send = str(m, "dir") && !strcmp(str(m, "dir"), "send");
		printf("  %8.0f ms %s %-28s %s\n", cJSON_IsNumber(t) ? t->valuedouble : 0,
		       send ? "->" : "<-", str(m, "peer") ?: "", str(m, "first_line") ?: "");
	}
}

static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

#define SHOW_MEDIA 10

static void show_media(const cJSON *rep)
{
	const cJSON *ep;
	int k = 0;
	printf("media (received per endpoint; -1: not measured):\n");
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(rep, "endpoints")) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(ep, "media");
		if (!cJSON_IsObject(m) || k++ >= SHOW_MEDIA)
			continue;
		const cJSON *rx = cJSON_GetObjectItemCaseSensitive(m, "received"),
		            *tx = cJSON_GetObjectItemCaseSensitive(m, "sent");
		printf("  %-14s %-5s sent %5.0f pkts, received %5.0f pkts, loss %5.1f %%, "
		       "jitter %6.1f ms, rtt %6.1f ms, MOS %4.2f\n",
		       str(ep, "user") ?: "?", str(m, "codec") ?: "?", num(tx, "packets"),
		       num(rx, "packets"), num(rx, "loss_pct"), num(rx, "jitter_ms"),
		       num(rx, "rtt_ms"), num(rx, "mos"));
	}
	if (!k)
		printf("  no endpoint had a media stream\n");
	else if (k > SHOW_MEDIA)
		printf("  ... %d more\n", k - SHOW_MEDIA);
}

/* --- one case ----------------------------------------------------------------------------- */

struct case_files {
	char scenario[PATH_MAX], report[PATH_MAX], log[PATH_MAX], html[PATH_MAX];
};

static int case_files(const struct train_opts *o, int k, struct case_files *cf)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/case-%d", o->out, k + 1);
	if (mkdir(o->out, 0755) && errno != EEXIST)
		return -errno;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(cf->scenario, sizeof(cf->scenario), "%s/scenario.json", dir);
	snprintf(cf->report, sizeof(cf->report), "%s/report.json", dir);
	snprintf(cf->log, sizeof(cf->log), "%s/run.log", dir);
	snprintf(cf->html, sizeof(cf->html), "%s/report.html", dir);
	return 0;
}

/* `siplab run SCENARIO --once --quiet --report R` in a child, its lines in
 * the case's log (they name the fault). Returns its exit code. */
static int run_case(const struct train_opts *o, const struct case_files *cf)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return EXIT_ENV;
	if (pid == 0) {
		int fd = open(cf->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || in < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || dup2(in, 0) < 0)
			_exit(EXIT_ENV);
		execl(o->self, "siplab", "run", cf->scenario, "--once", "--quiet", "--report",
		      cf->report, (char *)NULL);
		_exit(EXIT_ENV);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_ENV;
}

static void show_menu(void)
{
	printf("Your diagnosis: a section's number, then a cause's number; or type a code.\n ");
	for (int m = 0; m < TRAIN_SECTIONS; m++)
		printf(" %d %s", m + 1, train_section_name(m));
	printf("\n  t [USER] an endpoint's trace   m media metrics   h the HTML report   ? this "
	       "menu\n");
}

static void show_section(int m)
{
	int k = 0;
	printf("%s:\n", train_section_name(m));
	for (const struct dx_rule *r = train_section_rules(m); r->code; r++)
		printf("  %2d %-28s %s\n", ++k, r->code, r->branch);
	printf("   0 back\n");
}

/* A number of the section's causes, its code; NULL when there is none. */
static const char *section_pick(int m, const char *line)
{
	char *end;
	long want = strtol(line, &end, 10), k = 0;
	if (*end || want < 1)
		return NULL;
	for (const struct dx_rule *r = train_section_rules(m); r->code; r++)
		if (++k == want)
			return r->code;
	return NULL;
}

/* Ask until an answer, the time limit or the end of the input. */
static void ask(const struct train_opts *o, int k, const cJSON *rep, const struct case_files *cf,
                struct train_answer *a)
{
	long long t0 = sys_now_ns();
	long long deadline = o->time_limit > 0 ? t0 + (long long)(o->time_limit * 1e9) : 0;
	int section = -1;
	char buf[256];
	show_menu();
	if (o->time_limit > 0)
		printf("(%g s to answer)\n", o->time_limit);
	for (;;) {
		if (section >= 0)
			printf("case %d %s> ", k + 1, train_section_name(section));
		else
			printf("case %d answer> ", k + 1);
		fflush(stdout);
		int r = read_line(buf, sizeof(buf), deadline);
		if (r <= 0) {
			a->note = r == 0 ? "time limit" : "no answer";
			printf("\n%s\n", r == 0 ? "time limit: this case scores wrong"
			                        : "no answer (end of input)");
			break;
		}
		char *line = trim(buf);
		if (section >= 0) {
			const char *code = section_pick(section, line);
			if (code) {
				snprintf(a->answer, sizeof(a->answer), "%s", code);
				break;
			}
			if (!strcmp(line, "0") || !*line)
				section = -1;
			else
				printf("a number from the list, or 0 to go back\n");
			continue;
		}
		if (!*line)
			continue;
		if (line[0] >= '1' && line[0] <= '0' + TRAIN_SECTIONS && !line[1]) {
			section = line[0] - '1';
			show_section(section);
		} else if (line[0] == 't' && (!line[1] || line[1] == ' ')) {
			show_trace(rep, trim(line + 1));
		} else if (!strcmp(line, "m")) {
			show_media(rep);
		} else if (!strcmp(line, "h")) {
			err_t e;
			if (html_write(cf->report, NULL, cf->html, &e))
				printf("no HTML report: %s\n", e.msg);
			else
				printf("HTML report: %s (it holds siplab's own diagnosis too)\n",
				       cf->html);
		} else if (!strcmp(line, "?")) {
			show_menu();
		} else if (train_section_of(line) >= 0) {
			snprintf(a->answer, sizeof(a->answer), "%s", line);
			break;
		} else {
			printf("\"%s\" is not a cause of the guide's tree (? for the menu)\n",
			       line);
		}
	}
	a->seconds = (double)(sys_now_ns() - t0) / 1e9;
}

/* --- the answer ----------------------------------------------------------------------------- */

static void show_verdict(int k, const struct train_case *c, const struct train_answer *a)
{
	const char *said = a->answer[0] ? a->answer : "nothing";
	if (a->result == TRAIN_RIGHT)
		printf("case %d: RIGHT — %s\n", k + 1, said);
	else if (a->result == TRAIN_BRANCH)
		printf("case %d: RIGHT BRANCH, WRONG LEAF — you said %s; it was %s (both %s)\n",
		       k + 1, said, c->expected, train_section_name(train_section_of(c->expected)));
	else
		printf("case %d: WRONG — you said %s%s%s%s; it was %s\n", k + 1, said,
		       a->note ? " (" : "", a->note ? a->note : "", a->note ? ")" : "",
		       c->expected);
}

#define SHOW_EVIDENCE 8

static void show_diagnosis(const cJSON *rep, struct train_answer *a)
{
	cJSON *d = diagnose(rep);
	snprintf(a->diagnosis, sizeof(a->diagnosis), "%s", diagnose_top(d));
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "findings"), 0),
	            *ev;
	printf("siplab's diagnosis: %s\n", diagnose_top(d));
	int k = 0;
	cJSON_ArrayForEach (ev, cJSON_GetObjectItemCaseSensitive(first, "evidence"))
		if (cJSON_IsString(ev) && k++ < SHOW_EVIDENCE)
			printf("  - %s\n", ev->valuestring);
	cJSON_Delete(d);
}

/* Every parameter the fault declares, as the scenario gives it or at its
 * default: "per_second=12, mode=429, retry_after=5 (default)". */
static void fault_params(const cJSON *f, char *buf, size_t cap)
{
	const struct fault *decl = fault_find(str(f, "code") ?: "");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(f, "params");
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; decl && i < FAULT_MAX_PARAMS && decl->params[i].name && n < cap; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, decl->params[i].name);
		char *text = v ? cJSON_PrintUnformatted(v) : NULL;
		if (text && text[0] == '"') { /* a string: without its quotes */
			memmove(text, text + 1, strlen(text));
			text[strlen(text) - 1] = '\0';
		}
		n += (size_t)snprintf(buf + n, cap - n, "%s%s=%s%s", n ? ", " : "",
		                      decl->params[i].name, text ? text : decl->params[i].dflt,
		                      v ? "" : " (default)");
		free(text);
	}
	if (!buf[0])
		snprintf(buf, cap, "none");
}

static void show_one_fault(const cJSON *f)
{
	char params[512];
	fault_params(f, params, sizeof(params));
	char *s = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(f, "scope"));
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(f, "at_s");
	const cJSON *until = cJSON_GetObjectItemCaseSensitive(f, "until_s");
	printf("  fault %s, parameters: %s%s%s", str(f, "code") ?: "?", params, s ? "; scope " : "",
	       s ? s : "");
	if (cJSON_IsNumber(at))
		printf(", from %g s", at->valuedouble);
	if (cJSON_IsNumber(until))
		printf(", until %g s", until->valuedouble);
	putchar('\n');
	free(s);
}

static void show_fault(const struct train_case *c)
{
	cJSON *root = cJSON_Parse(c->text), *f;
	const cJSON *one = cJSON_GetObjectItemCaseSensitive(root, "fault");
	char *text = NULL;
	err_t e;
	printf("what it really was: %s (%s)\n", c->name, c->file);
	if (!jv_read_file(c->file, &text, &e)) {
		cJSON *orig = cJSON_Parse(text);
		const char *desc = str(orig, "description");
		if (desc)
			printf("  %s\n", desc);
		cJSON_Delete(orig);
		free(text);
	}
	int n = 0;
	if (cJSON_IsObject(one)) {
		show_one_fault(one);
		n++;
	}
	cJSON_ArrayForEach (f, cJSON_GetObjectItemCaseSensitive(root, "faults")) {
		show_one_fault(f);
		n++;
	}
	if (!n)
		printf("  no fault injected: the test's own configuration is the cause\n");
	printf("  varied: %s\n", c->varied);
	cJSON_Delete(root);
}

static void reveal(int k, const struct train_case *c, struct train_answer *a, const cJSON *rep,
                   const struct case_files *cf)
{
	show_verdict(k, c, a);
	show_diagnosis(rep, a);
	const struct dx_rule *r = train_rule(c->expected);
	if (r) {
		printf("the guide: %s\n", r->branch);
		printf("resolution: %s\n", r->resolution);
	}
	show_fault(c);
	printf("report: %s (HTML: `h` during a case, or siplab report %s --html FILE)\n",
	       cf->report, cf->report);
}

/* One case: run, show, ask, score, reveal. */
static void one_case(const struct train_opts *o, int k, const struct train_case *c,
                     struct train_answer *a)
{
	struct case_files cf;
	err_t e;
	printf("\n=== case %d of %d ===\n", k + 1, o->cases);
	if (case_files(o, k, &cf) || sys_write_file(cf.scenario, c->text, strlen(c->text), 1, &e)) {
		printf("case %d: cannot write its files under %s; skipped\n", k + 1, o->out);
		a->note = "lab error";
		return;
	}
	printf("running the test in a fresh lab ...\n");
	fflush(stdout);
	int code = run_case(o, &cf);
	cJSON *rep = code == EXIT_ENV ? NULL : jv_read_tree(cf.report);
	if (!rep) {
		printf("case %d: the lab failed, not the test (see %s); the case does not count\n",
		       k + 1, cf.log);
		a->note = "lab error";
		return;
	}
	show_symptoms(rep);
	ask(o, k, rep, &cf, a);
	a->result = train_score(c, a->answer);
	reveal(k, c, a, rep, &cf);
	cJSON_Delete(rep);
}

static const char *level_word(enum train_level l)
{
	return l == TRAIN_EASY ? "easy" : l == TRAIN_HARD ? "hard" : "mixed";
}

int cmd_train(int argc, char **argv)
{
	struct train_opts o = {.cases = 5, .from = "scenarios", .level = TRAIN_MIXED};
	if (parse_opts(argc, argv, &o))
		return EXIT_USAGE;
	ssize_t n = readlink("/proc/self/exe", o.self, sizeof(o.self) - 1);
	if (n <= 0) {
		fprintf(stderr, "siplab train: cannot find this program: %s\n", strerror(errno));
		return EXIT_ENV;
	}
	o.self[n] = '\0';
	struct train_case *cases = calloc((size_t)o.cases, sizeof(*cases));
	struct train_answer *answers = calloc((size_t)o.cases, sizeof(*answers));
	err_t e;
	if (!cases || !answers || train_draw(o.from, o.level, o.cases, o.seed, cases, &e)) {
		fprintf(stderr, "siplab train: %s\n", cases && answers ? e.msg : "out of memory");
		for (int k = 0; cases && k < o.cases; k++)
			train_case_free(&cases[k]);
		free(cases);
		free(answers);
		return EXIT_USAGE;
	}
	printf("siplab train: %d case%s, level %s, seed %llu (`--seed %llu` gives this session "
	       "again)%s%s\n",
	       o.cases, o.cases == 1 ? "" : "s", level_word(o.level), (unsigned long long)o.seed,
	       (unsigned long long)o.seed, o.trainee ? "; trainee " : "",
	       o.trainee ? o.trainee : "");
	for (int k = 0; k < o.cases; k++)
		one_case(&o, k, &cases[k], &answers[k]);
	struct train_session s = {o.trainee, o.seed, o.level, o.cases, cases, answers};
	int right = 0, branch = 0, counted = train_counted(&s);
	for (int k = 0; k < o.cases; k++) {
		right += answers[k].result == TRAIN_RIGHT;
		branch += answers[k].result == TRAIN_BRANCH;
	}
	printf("\nscore: %d right, %d right branch, %d wrong — %g of %d points%s\n", right, branch,
	       counted - right - branch, train_points(&s), counted,
	       counted < o.cases ? " (cases whose lab failed do not count)" : "");
	int rc = EXIT_OK;
	if (o.sheet) {
		char csv[PATH_MAX];
		train_csv_path(o.sheet, csv, sizeof(csv));
		if (train_sheet_write(&s, o.sheet, &e)) {
			fprintf(stderr, "siplab train: %s\n", e.msg);
			rc = EXIT_ENV;
		} else {
			printf("score sheet: %s and %s\n", o.sheet, csv);
		}
	}
	for (int k = 0; k < o.cases; k++)
		train_case_free(&cases[k]);
	free(cases);
	free(answers);
	return rc;
}

/* test_train.c — `siplab train`. Without labs: the same seed draws the same
 * session and another seed another; every catalogue scenario's variants read
 * back with scenario_parse, keep their faults and stay within each fault's
 * declared range; the levels; scoring (right, right branch, wrong, lists
 * and ranked expectations); the menu covers every rule once; the score sheet
 * as JSON and CSV. With labs (two short easy cases each): a session driven in
 * a real terminal — tmux, answers by send-keys, one right through the menu's
 * number keys and one wrong typed as a code — whose screen and score sheet
 * are checked (skipped under the sanitizer suite: it checks tmux); and the
 * same session with answers on a pipe, the second case left to its
 * --time-limit. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include <sys/stat.h>

#include "../diagnose/diagnose.h"
#include "../faults/fault.h"
#include "../lib/jsonv.h"
#include "../lib/sys.h"
#include "../sim/model/scenario.h"
#include "../train/train.h"

static char workdir[PATH_MAX];

#define SEED  3ULL /* two short easy cases: registration failures */
#define CASES 2

static void free_cases(struct train_case *c, int n)
{
	for (int k = 0; k < n; k++)
		train_case_free(&c[k]);
}

/* --- without labs ------------------------------------------------------------------------ */

static void test_same_seed_same_session(void **state)
{
	(void)state;
	struct train_case a[8] = {0}, b[8] = {0}, c[8] = {0};
	err_t e;
	assert_int_equal(train_draw("scenarios", TRAIN_MIXED, 8, 7, a, &e), 0);
	assert_int_equal(train_draw("scenarios", TRAIN_MIXED, 8, 7, b, &e), 0);
	assert_int_equal(train_draw("scenarios", TRAIN_MIXED, 8, 8, c, &e), 0);
	int differ = 0;
	for (int k = 0; k < 8; k++) {
		assert_string_equal(a[k].file, b[k].file);
		assert_string_equal(a[k].text, b[k].text);
		assert_string_equal(a[k].varied, b[k].varied);
		assert_true(a[k].run_seed == b[k].run_seed);
		differ += strcmp(a[k].file, c[k].file) || strcmp(a[k].text, c[k].text);
	}
	assert_true(differ > 0);
	/* Eight of a catalogue of dozens: no scenario twice. */
	for (int i = 0; i < 8; i++)
		for (int j = i + 1; j < 8; j++)
			assert_string_not_equal(a[i].file, a[j].file);
	free_cases(a, 8);
	free_cases(b, 8);
	free_cases(c, 8);
}

/* The fault codes of a scenario's JSON, "a b". */
static void fault_codes(const char *json, char *out, size_t cap)
{
	cJSON *root = cJSON_Parse(json), *f;
	const cJSON *one = cJSON_GetObjectItemCaseSensitive(root, "fault");
	size_t n = 0;
	out[0] = '\0';
	if (one)
		n += (size_t)snprintf(out + n, cap - n, "%s ",
		                      cJSON_GetObjectItemCaseSensitive(one, "code")->valuestring);
	cJSON_ArrayForEach (f, cJSON_GetObjectItemCaseSensitive(root, "faults"))
		n += (size_t)snprintf(out + n, cap - n, "%s ",
		                      cJSON_GetObjectItemCaseSensitive(f, "code")->valuestring);
	cJSON_Delete(root);
}

/* Every numeric parameter of every fault within its declared range. */
static int params_in_range(const struct scenario *s)
{
	for (int i = 0; i < s->n_faults; i++) {
		const struct fault *f = fault_find(s->faults[i].code);
		for (int p = 0; f && p < FAULT_MAX_PARAMS && f->params[p].name; p++) {
			const struct fault_param *fp = &f->params[p];
			double v = s->faults[i].args.v[p].num;
			if ((fp->type == FP_INT || fp->type == FP_NUMBER) &&
			    (v < fp->min || v > fp->max))
				return 0;
		}
	}
	return 1;
}

static void test_variants_are_valid(void **state)
{
	(void)state;
	struct dirent **names;
	int n = scandir("scenarios", &names, NULL, alphasort), checked = 0, changed = 0;
	assert_true(n > 0);
	static struct scenario s;
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX], *text = NULL, before[256], after[256];
		size_t len = strlen(names[i]->d_name);
		snprintf(path, sizeof(path), "scenarios/%s", names[i]->d_name);
		free(names[i]);
		err_t e;
		if (len < 6 || strcmp(path + strlen(path) - 5, ".json") ||
		    jv_read_file(path, &text, &e))
			continue;
		fault_codes(text, before, sizeof(before));
		for (uint64_t seed = 1; seed <= 12; seed++) {
			char *out = NULL, varied[512];
			assert_int_equal(
			        train_vary(text, path, seed, &out, varied, sizeof(varied), &e), 0);
			if (strstr(varied, "did not read"))
				fail_msg("%s seed %llu: %s", path, (unsigned long long)seed,
				         varied);
			if (scenario_parse(out, path, &s, &e))
				fail_msg("%s seed %llu: %s", path, (unsigned long long)seed, e.msg);
			assert_true(params_in_range(&s));
			fault_codes(out, after, sizeof(after));
			assert_string_equal(before, after);
			/* Nothing on the case gives the scenario away. */
			cJSON *root = cJSON_Parse(out);
			assert_false(cJSON_HasObjectItem(root, "description"));
			cJSON_Delete(root);
			assert_string_equal(s.name, "training-case");
			changed += strncmp(varied, "nothing", 7) != 0;
			checked++;
			free(out);
		}
		free(text);
	}
	free(names);
	assert_true(checked > 100);
	assert_true(changed > checked / 4);
}

/* The rate limit's variants: rates within 0.7..1.3 of the scenario's 10,
 * signatures among those that name a rate, and both seen. */
static void test_rate_limit_varies(void **state)
{
	(void)state;
	char *text = NULL;
	err_t e;
	int modes = 0, rates = 0;
	assert_int_equal(jv_read_file("scenarios/reg_rate_limit.json", &text, &e), 0);
	for (uint64_t seed = 1; seed <= 30; seed++) {
		char *out = NULL, varied[512];
		assert_int_equal(train_vary(text, "x", seed, &out, varied, sizeof(varied), &e), 0);
		cJSON *root = cJSON_Parse(out);
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(root, "fault"), "params");
		double rate = cJSON_GetObjectItemCaseSensitive(p, "per_second")->valuedouble;
		const char *mode = cJSON_GetObjectItemCaseSensitive(p, "mode")->valuestring;
		assert_true(rate >= 7 && rate <= 13);
		assert_true(!strcmp(mode, "503") || !strcmp(mode, "429"));
		modes |= !strcmp(mode, "429") ? 1 : 2;
		rates += rate != 10;
		cJSON_Delete(root);
		free(out);
	}
	assert_int_equal(modes, 3);
	assert_true(rates > 10);
	free(text);
}

/* The aimed worker moves: a fault on worker1 of two lands on worker2 for
 * some seeds, the same worker for the others. */
static void test_aimed_worker_varies(void **state)
{
	(void)state;
	char *text = NULL;
	err_t e;
	int seen[3] = {0};
	assert_int_equal(jv_read_file("scenarios/reg_sip_port_blocked_one_worker.json", &text, &e),
	                 0);
	for (uint64_t seed = 1; seed <= 20; seed++) {
		char *out = NULL, varied[512];
		assert_int_equal(train_vary(text, "x", seed, &out, varied, sizeof(varied), &e), 0);
		cJSON *root = cJSON_Parse(out);
		const cJSON *w = cJSON_GetArrayItem(
		        cJSON_GetObjectItemCaseSensitive(
		                cJSON_GetObjectItemCaseSensitive(
		                        cJSON_GetObjectItemCaseSensitive(root, "fault"), "scope"),
		                "workers"),
		        0);
		assert_true(cJSON_IsString(w));
		assert_true(!strcmp(w->valuestring, "worker1") ||
		            !strcmp(w->valuestring, "worker2"));
		seen[w->valuestring[6] - '0']++;
		cJSON_Delete(root);
		free(out);
	}
	assert_true(seen[1] > 0 && seen[2] > 0);
	free(text);
}

static void classify_file(const char *path, struct train_case *c, int want)
{
	char *text = NULL;
	err_t e;
	memset(c, 0, sizeof(*c));
	assert_int_equal(jv_read_file(path, &text, &e), 0);
	assert_int_equal(train_classify(text, c), want);
	free(text);
}

static void test_levels(void **state)
{
	(void)state;
	struct train_case c;
	classify_file("scenarios/reg_bad_credentials.json", &c, 1);
	assert_int_equal(c.level, TRAIN_EASY);
	classify_file("scenarios/alloc_endpoint_limit.json", &c, 1);
	assert_int_equal(c.level, TRAIN_EASY);
	classify_file("scenarios/reg_rate_limit.json", &c, 1);
	assert_int_equal(c.level, TRAIN_HARD); /* partial: some register */
	classify_file("scenarios/media_nat_and_firewall.json", &c, 1);
	assert_int_equal(c.level, TRAIN_HARD);
	assert_string_equal(c.why_hard, "several faults");
	classify_file("scenarios/reg_dns_failure_mid_run.json", &c, 1);
	assert_int_equal(c.level, TRAIN_HARD);
	classify_file("scenarios/call_callee_busy.json", &c, 1);
	assert_int_equal(c.level, TRAIN_HARD); /* 1 of 6 fail */
	classify_file("scenarios/alloc_no_online_workers.json", &c, 1);
	assert_int_equal(c.level, TRAIN_EASY); /* stopped before the run */
	classify_file("scenarios/worker_restart.json", &c, 1);
	assert_int_equal(c.level, TRAIN_HARD); /* restarted during it */
	classify_file("scenarios/healthy.json", &c, 0);
	/* A draw at a level holds only that level. */
	struct train_case d[20] = {0};
	err_t e;
	assert_int_equal(train_draw("scenarios", TRAIN_EASY, 20, 3, d, &e), 0);
	for (int k = 0; k < 20; k++)
		assert_int_equal(d[k].level, TRAIN_EASY);
	free_cases(d, 20);
	assert_int_equal(train_draw("scenarios", TRAIN_HARD, 20, 3, d, &e), 0);
	for (int k = 0; k < 20; k++)
		assert_int_equal(d[k].level, TRAIN_HARD);
	free_cases(d, 20);
	assert_true(train_draw("no/such/dir", TRAIN_EASY, 1, 3, d, &e) < 0);
}

static void test_scoring(void **state)
{
	(void)state;
	struct train_case c;
	classify_file("scenarios/reg_bad_credentials.json", &c, 1);
	assert_int_equal(train_score(&c, "reg.bad_credentials"), TRAIN_RIGHT);
	assert_int_equal(train_score(&c, "reg.forbidden"), TRAIN_BRANCH);
	assert_int_equal(train_score(&c, "sip.alg_corruption"), TRAIN_BRANCH);
	assert_int_equal(train_score(&c, "media.rtp_blocked"), TRAIN_WRONG);
	assert_int_equal(train_score(&c, ""), TRAIN_WRONG);
	assert_int_equal(train_score(&c, NULL), TRAIN_WRONG);
	assert_int_equal(train_score(&c, "no.such_code"), TRAIN_WRONG);
	/* A list: each member is the top finding. */
	classify_file("scenarios/media_nat_and_firewall.json", &c, 1);
	assert_int_equal(train_score(&c, "media.symmetric_nat"), TRAIN_RIGHT);
	assert_int_equal(train_score(&c, "media.firewall_inbound"), TRAIN_RIGHT);
	assert_int_equal(train_score(&c, "media.rtp_blocked"), TRAIN_BRANCH);
	/* Ranked: only the first. */
	classify_file("scenarios/call_no_route.json", &c, 1);
	assert_string_equal(c.expected, "call.no_route");
	assert_int_equal(train_score(&c, "call.no_route"), TRAIN_RIGHT);
	assert_int_equal(train_score(&c, "call.callee_wait_timeout"), TRAIN_BRANCH);
	/* The negotiation section holds call.codec_rejected, as the rules do. */
	classify_file("scenarios/neg_srtp_mismatch.json", &c, 1);
	assert_int_equal(train_score(&c, "call.codec_rejected"), TRAIN_BRANCH);
	assert_int_equal(train_score(&c, "call.callee_busy"), TRAIN_WRONG);
}

/* Every rule is in exactly one section of the menu, in the guide's order. */
static void test_menu_covers_rules(void **state)
{
	(void)state;
	assert_string_equal(train_section_name(0), "allocation");
	assert_string_equal(train_section_name(3), "call");
	assert_string_equal(train_section_name(4), "negotiation");
	assert_string_equal(train_section_name(6), "quality");
	int rules = 0, menu = 0;
	for (int s = 0; dx_sections[s]; s++)
		for (const struct dx_rule *r = dx_sections[s]; r->code; r++) {
			rules++;
			assert_true(train_section_of(r->code) >= 0);
			assert_ptr_equal(train_rule(r->code), r);
		}
	for (int m = 0; m < TRAIN_SECTIONS; m++)
		for (const struct dx_rule *r = train_section_rules(m); r->code; r++)
			menu++;
	assert_int_equal(rules, menu);
	assert_int_equal(train_section_of("healthy"), -1);
}

static void test_sheet(void **state)
{
	(void)state;
	struct train_case c[3] = {0};
	struct train_answer a[3] = {0};
	classify_file("scenarios/reg_bad_credentials.json", &c[0], 1);
	classify_file("scenarios/reg_rate_limit.json", &c[1], 1);
	classify_file("scenarios/quality_jitter.json", &c[2], 1);
	snprintf(a[0].answer, sizeof(a[0].answer), "reg.bad_credentials");
	a[0].result = TRAIN_RIGHT;
	snprintf(a[0].diagnosis, sizeof(a[0].diagnosis), "reg.bad_credentials");
	snprintf(a[1].answer, sizeof(a[1].answer), "reg.registrar_overloaded");
	a[1].result = TRAIN_BRANCH;
	a[2].result = TRAIN_WRONG;
	a[2].note = "time limit";
	struct train_session s = {"Doe, \"Jo\"", 99, TRAIN_MIXED, 3, c, a};
	char json[PATH_MAX], csv[PATH_MAX], text[4096];
	snprintf(json, sizeof(json), "%s/sheet.json", workdir);
	err_t e;
	assert_int_equal(train_sheet_write(&s, json, &e), 0);
	train_csv_path(json, csv, sizeof(csv));
	assert_true(strstr(csv, "/sheet.csv") != NULL);
	cJSON *root = jv_read_tree(json);
	assert_non_null(root);
	const cJSON *score = cJSON_GetObjectItemCaseSensitive(root, "score");
	assert_true(cJSON_GetObjectItemCaseSensitive(score, "points")->valuedouble == 1.5);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(score, "right")->valueint, 1);
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "cases");
	assert_int_equal(cJSON_GetArraySize(rows), 3);
	const cJSON *r2 = cJSON_GetArrayItem(rows, 2);
	assert_string_equal(
	        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(rows, 0), "diagnosis")
	                ->valuestring,
	        "reg.bad_credentials");
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r2, "answer")));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(r2, "note")->valuestring,
	                    "time limit");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(r2, "expected")->valuestring,
	                    "quality.jitter");
	cJSON_Delete(root);
	int fd = open(csv, O_RDONLY);
	assert_true(fd >= 0);
	read_all(fd, text, sizeof(text));
	close(fd);
	assert_non_null(strstr(text, "trainee,seed,case,scenario,level,answer,expected,result,"));
	assert_non_null(strstr(text, "\"Doe, \"\"Jo\"\"\",99,1,reg-bad-credentials,easy,"
	                             "reg.bad_credentials,reg.bad_credentials,right,,"));
	assert_non_null(strstr(text, ",reg.registrar_overloaded,reg.rate_limit,branch,,"));
	assert_non_null(strstr(text, ",,quality.jitter,wrong,time limit,"));
}

static void test_bad_options(void **state)
{
	(void)state;
	static const char *const bad[] = {"--cases 0", "--cases 101",    "--level medium",
	                                  "--seed -1", "--time-limit 0", "extra"};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "%s train %s </dev/null >/dev/null 2>&1", siplab_bin(),
		         bad[k]);
		int st = system(cmd);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 2);
	}
}

/* --- with labs: a whole session ---------------------------------------------------------- */

/* The menu keys that pick a code: its section's number and its own. */
static void menu_keys(const char *code, int *section, int *leaf)
{
	*section = train_section_of(code);
	*leaf = 0;
	for (const struct dx_rule *r = train_section_rules(*section); r->code; r++) {
		++*leaf;
		if (!strcmp(r->code, code))
			break;
	}
}

/* A code surely wrong for the case: one of another section. */
static const char *wrong_code(const struct train_case *c)
{
	return train_section_of(c->expected) == train_section_of("quality.jitter")
	               ? "reg.dns_failure"
	               : "quality.jitter";
}

static int sh(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define TMUX "tmux -L siplab-test-train"

static int pane(char *out, size_t cap)
{
	return sh(TMUX " capture-pane -p -J -S -3000 -t train", out, cap);
}

/* Wait until the pane shows text (up to 90 s: a lab run under load). */
static int wait_pane(const char *text, char *out, size_t cap)
{
	for (int k = 0; k < 900; k++) {
		if (pane(out, cap) == 0 && strstr(out, text))
			return 1;
		usleep(100000);
	}
	return 0;
}

static int keys(const char *k)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd),
	         TMUX " send-keys -t train -l '%s' && " TMUX " send-keys -t train Enter", k);
	return system(cmd);
}

/* The sheet both ways: case 1 right with the expected code, case 2 wrong. */
static int check_sheet(const char *json, const struct train_case *c, const char *note2)
{
	char csv[PATH_MAX], text[4096], line[256];
	cJSON *root = jv_read_tree(json);
	CHECK(root, "no sheet at %s", json);
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "cases");
	const cJSON *r1 = cJSON_GetArrayItem(rows, 0), *r2 = cJSON_GetArrayItem(rows, 1);
	CHECK(cJSON_GetArraySize(rows) == 2, "cases: %d", cJSON_GetArraySize(rows));
	CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(r1, "result")->valuestring, "right"),
	      "case 1 not right");
	CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(r1, "answer")->valuestring, c[0].expected),
	      "case 1's answer");
	CHECK(!strcmp(cJSON_GetObjectItemCaseSensitive(r2, "result")->valuestring, "wrong"),
	      "case 2 not wrong");
	CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "score"),
	                                       "points")
	                      ->valuedouble == 1,
	      "points");
	CHECK(cJSON_GetObjectItemCaseSensitive(root, "seed")->valuedouble == (double)SEED, "seed");
	CHECK(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r1, "diagnosis"))[0],
	      "no diagnosis of case 1's run");
	if (note2)
		CHECK(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r2, "note")) &&
		              !strcmp(cJSON_GetObjectItemCaseSensitive(r2, "note")->valuestring,
		                      note2),
		      "case 2's note is not %s", note2);
	cJSON_Delete(root);
	train_csv_path(json, csv, sizeof(csv));
	int fd = open(csv, O_RDONLY);
	CHECK(fd >= 0, "no CSV at %s", csv);
	read_all(fd, text, sizeof(text));
	close(fd);
	snprintf(line, sizeof(line), "%llu,1,%s,easy,%s,%s,right,", SEED, c[0].name, c[0].expected,
	         c[0].expected);
	CHECK(strstr(text, line), "no line %s in\n%s", line, text);
	snprintf(line, sizeof(line), "%llu,2,%s,easy,", SEED, c[1].name);
	CHECK(strstr(text, line) && strstr(text, ",wrong,"), "no wrong line 2 in\n%s", text);
	return 0;
}

static int body_tmux_session(void)
{
	if (getenv("SIPLAB_ASAN"))
		return CHILD_SKIP; /* it checks tmux; the pipe test runs our code there */
	if (system("command -v tmux >/dev/null 2>&1"))
		return CHILD_SKIP;
	struct train_case c[CASES] = {0};
	err_t e;
	CHECK(!train_draw("scenarios", TRAIN_EASY, CASES, SEED, c, &e), "%s", e.msg);
	char cmd[4 * PATH_MAX], sheet[PATH_MAX], cwd[PATH_MAX];
	static char screen[1 << 18];
	snprintf(sheet, sizeof(sheet), "%s/tmux.json", workdir);
	CHECK(getcwd(cwd, sizeof(cwd)), "cwd");
	(void)system(TMUX " kill-server 2>/dev/null");
	snprintf(cmd, sizeof(cmd),
	         TMUX " new-session -d -s train -x 200 -y 50 \"cd '%s' && '%s' train --seed %llu "
	              "--cases %d --level easy --trainee tester --sheet '%s' --out '%s/tmux'; "
	              "echo TRAIN-EXIT-\\$?; sleep 120\"",
	         cwd, siplab_bin(), SEED, CASES, sheet, workdir);
	CHECK(system(cmd) == 0, "%s", cmd);
	int rc = 1;
	if (!wait_pane("case 1 answer>", screen, sizeof(screen))) {
		fprintf(stderr, "    no first question; the screen:\n%s\n", screen);
		goto out;
	}
	/* The fault stays hidden until the answer. */
	if (strstr(screen, c[0].name) || strstr(screen, "what it really was") ||
	    strstr(screen, "lab.json") || strstr(screen, c[0].expected)) {
		fprintf(stderr, "    the case gives itself away before the answer:\n%s\n", screen);
		goto out;
	}
	/* Case 1: right, through the menu's number keys. */
	int section, leaf;
	char k[16];
	menu_keys(c[0].expected, &section, &leaf);
	snprintf(k, sizeof(k), "%d", section + 1);
	keys(k);
	snprintf(k, sizeof(k), "%d", leaf);
	keys(k);
	if (!wait_pane("case 2 answer>", screen, sizeof(screen))) {
		fprintf(stderr, "    no second question; the screen:\n%s\n", screen);
		goto out;
	}
	/* Case 2: wrong, typed as a code. */
	keys(wrong_code(&c[1]));
	if (!wait_pane("TRAIN-EXIT-", screen, sizeof(screen))) {
		fprintf(stderr, "    the session did not end; the screen:\n%s\n", screen);
		goto out;
	}
	char want[256];
	snprintf(want, sizeof(want), "case 1: RIGHT — %s", c[0].expected);
	if (!strstr(screen, want) || !strstr(screen, "case 2: WRONG — you said ") ||
	    !strstr(screen, "score: 1 right, 0 right branch, 1 wrong — 1 of 2 points") ||
	    !strstr(screen, "TRAIN-EXIT-0") || !strstr(screen, "what it really was: ")) {
		fprintf(stderr, "    the screen lacks the scoring lines:\n%s\n", screen);
		goto out;
	}
	rc = check_sheet(sheet, c, NULL);
out:
	(void)system(TMUX " kill-server 2>/dev/null");
	free_cases(c, CASES);
	return rc;
}
CHILD_TEST(tmux_session)

/* The same session with its answers on a pipe that stays open until it
 * ends: the first right as a typed code, the second left to --time-limit. */
static int body_piped_session(void)
{
	struct train_case c[CASES] = {0};
	err_t e;
	CHECK(!train_draw("scenarios", TRAIN_EASY, CASES, SEED, c, &e), "%s", e.msg);
	char sheet[PATH_MAX], outdir[PATH_MAX], log[PATH_MAX], seed[32], answers[256];
	static char out[1 << 18];
	snprintf(sheet, sizeof(sheet), "%s/pipe.json", workdir);
	snprintf(outdir, sizeof(outdir), "%s/pipe", workdir);
	snprintf(log, sizeof(log), "%s/pipe.out", workdir);
	snprintf(seed, sizeof(seed), "%llu", SEED);
	int in[2];
	CHECK(pipe(in) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(in[0], 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(in[1]);
		execl(siplab_bin(), "siplab", "train", "--seed", seed, "--cases", "2", "--level",
		      "easy", "--time-limit", "2", "--sheet", sheet, "--out", outdir, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	int n = snprintf(answers, sizeof(answers), "m\nt\nno.such\n%s\n", c[0].expected);
	CHECK(write(in[1], answers, (size_t)n) == n, "write");
	int st = 0;
	waitpid(pid, &st, 0);
	close(in[1]);
	int fd = open(log, O_RDONLY);
	CHECK(fd >= 0, "no output");
	read_all(fd, out, sizeof(out));
	close(fd);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "exit %d:\n%s", st, out);
	CHECK(strstr(out, "is not a cause of the guide's tree"), "no refusal:\n%s", out);
	CHECK(strstr(out, "trace of "), "no trace:\n%s", out);
	CHECK(strstr(out, "case 1: RIGHT"), "no right:\n%s", out);
	CHECK(strstr(out, "time limit: this case scores wrong") &&
	              strstr(out, "case 2: WRONG — you said nothing (time limit)"),
	      "no time limit:\n%s", out);
	CHECK(strstr(out, "the guide: ") && strstr(out, "resolution: "), "no guide:\n%s", out);
	int rc = check_sheet(sheet, c, "time limit");
	free_cases(c, CASES);
	return rc;
}
CHILD_TEST(piped_session)

int main(void)
{
	snprintf(workdir, sizeof(workdir), "/tmp/siplab-test-train.%d", (int)getpid());
	mkdir(workdir, 0755);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_same_seed_same_session),
	        cmocka_unit_test(test_variants_are_valid),
	        cmocka_unit_test(test_rate_limit_varies),
	        cmocka_unit_test(test_aimed_worker_varies),
	        cmocka_unit_test(test_levels),
	        cmocka_unit_test(test_scoring),
	        cmocka_unit_test(test_menu_covers_rules),
	        cmocka_unit_test(test_sheet),
	        cmocka_unit_test(test_bad_options),
	        cmocka_unit_test(test_tmux_session),
	        cmocka_unit_test(test_piped_session),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sys_rm_tree(workdir);
	return rc;
}

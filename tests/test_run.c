/* test_run.c — whole test runs through `siplab run`, as a user starts them:
 * the healthy scenario over UDP, TCP and TLS with SRTP on and off; the same
 * through Kamailio as the registrar; a worker killed mid-run; workers
 * stopped before the run; a plan too small; wrong credentials; Ctrl-C; a bad
 * scenario. Every verdict is read back from report.json. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include "../lib/jsonv.h"
#include <signal.h>
#include <sys/stat.h>

static char workdir[PATH_MAX];

/* Run `siplab run FILE --report R --quiet` and capture its output; the logs
 * go next to the report and must be free of sanitizer reports. */
static int run_scenario(const char *file, const char *report, char *out, size_t cap)
{
	char logs[PATH_MAX];
	snprintf(logs, sizeof(logs), "%s.logs", report);
	char *args[] = {"siplab",  "run",    (char *)file, "--report", (char *)report,
	                "--quiet", "--logs", logs,         NULL};
	int rc = siplab_capture(args, out, cap);
	if (rc >= 0 && rc != 2 && !logs_clean(logs))
		return 99;
	return rc;
}

/* scenarios/healthy.json with changes applied by edit(). */
static int write_variant(const char *name, void (*edit)(cJSON *, const void *), const void *arg,
                         char *path, size_t cap)
{
	char *text = NULL;
	err_t e;
	if (jv_read_file("scenarios/healthy.json", &text, &e))
		return -1;
	cJSON *s = cJSON_Parse(text);
	free(text);
	if (!s)
		return -1;
	if (edit)
		edit(s, arg);
	char *out = cJSON_Print(s);
	cJSON_Delete(s);
	snprintf(path, cap, "%s/%s.json", workdir, name);
	int rc = sys_write_file(path, out, strlen(out), 1, NULL);
	free(out);
	return rc;
}

static const char *sget(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double nget(const cJSON *o, const char *a, const char *b, const char *c)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	if (c)
		v = cJSON_GetObjectItemCaseSensitive(v, c);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* Every endpoint SUCCESS and CLOSED, media both ways with MOS >= 4.0, SRTP
 * where the group asked for it, a trace with the REGISTER exchange. */
static int check_healthy(const cJSON *rep, const char *expect_peer)
{
	CHECK(!strcmp(sget(rep, "run", "status"), "COMPLETED"), "status %s (%s)",
	      sget(rep, "run", "status"), sget(rep, "run", "reason"));
	const cJSON *eps = cJSON_GetObjectItemCaseSensitive(rep, "endpoints"), *ep;
	CHECK(cJSON_GetArraySize(eps) == 25, "%d endpoints", cJSON_GetArraySize(eps));
	int srtp = 0, plain = 0;
	cJSON_ArrayForEach (ep, eps) {
		const char *user = sget(ep, "user", NULL);
		CHECK(!strcmp(sget(ep, "outcome", NULL), "SUCCESS"), "%s: %s (%s)", user,
		      sget(ep, "outcome", NULL), sget(ep, "reason", NULL));
		CHECK(!strcmp(sget(ep, "phase", NULL), "CLOSED"), "%s in %s", user,
		      sget(ep, "phase", NULL));
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(ep, "media");
		CHECK(nget(m, "sent", "packets", NULL) > 50, "%s sent %.0f packets", user,
		      nget(m, "sent", "packets", NULL));
		CHECK(nget(m, "received", "packets", NULL) > 50, "%s received %.0f packets", user,
		      nget(m, "received", "packets", NULL));
		CHECK(nget(m, "received", "mos", NULL) >= 4.0, "%s: MOS %.2f", user,
		      nget(m, "received", "mos", NULL));
		CHECK(nget(m, "srtp_errors", NULL, NULL) == 0, "%s: SRTP errors", user);
		int is_srtp = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "srtp"));
		srtp += is_srtp;
		plain += !is_srtp;
		if (is_srtp) {
			/* Between two workers' endpoints RTCP flows both ways: RTT
			 * is measured and the peer's view of our stream is known. */
			CHECK(nget(m, "rtcp_received", NULL, NULL) > 0, "%s: no RTCP", user);
			CHECK(nget(m, "received", "rtt_ms", NULL) >= 0, "%s: no RTT", user);
			CHECK(nget(m, "sent", "mos", NULL) >= 4.0, "%s: sent MOS %.2f", user,
			      nget(m, "sent", "mos", NULL));
		}
		const cJSON *tr = cJSON_GetObjectItemCaseSensitive(ep, "trace");
		CHECK(cJSON_GetArraySize(tr) >= 4, "%s: trace of %d", user, cJSON_GetArraySize(tr));
		/* The first answer that came back (a loaded machine may have
		 * retransmitted the REGISTER before it). */
		const cJSON *t0 = cJSON_GetArrayItem(tr, 0), *t1 = NULL, *t;
		cJSON_ArrayForEach (t, tr)
			if (!t1 && !strcmp(sget(t, "dir", NULL), "recv"))
				t1 = t;
		CHECK(!strncmp(sget(t0, "first_line", NULL), "REGISTER ", 9) &&
		              !strcmp(sget(t0, "dir", NULL), "send"),
		      "%s: first traced %s", user, sget(t0, "first_line", NULL));
		CHECK(strstr(sget(t0, "text", NULL), "Call-ID:"), "%s: no full text", user);
		CHECK(!strcmp(sget(t1, "first_line", NULL), "SIP/2.0 401 Unauthorized") &&
		              !strcmp(sget(t1, "dir", NULL), "recv"),
		      "%s: second traced %s", user, sget(t1, "first_line", NULL));
		CHECK(!expect_peer ||
		              !strncmp(sget(t0, "peer", NULL), expect_peer, strlen(expect_peer)),
		      "%s: sent to %s", user, sget(t0, "peer", NULL));
	}
	CHECK(srtp == 20 && plain == 5, "%d SRTP and %d plain streams", srtp, plain);
	return 0;
}

static void set_transport(cJSON *s, const void *arg)
{
	cJSON *g;
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(s, "groups"))
		cJSON_ReplaceItemInObject(g, "transport", cJSON_CreateString(arg));
}

static int healthy_over(const char *transport, const char *peer)
{
	char file[PATH_MAX], report[PATH_MAX], out[16384];
	CHECK(!write_variant(transport, set_transport, transport, file, sizeof(file)),
	      "cannot write the scenario");
	snprintf(report, sizeof(report), "%s/%s.report.json", workdir, transport);
	int rc = run_scenario(file, report, out, sizeof(out));
	cJSON *rep = jv_read_tree(report);
	CHECK(rep, "no report; output:\n%s", out);
	int bad = check_healthy(rep, peer);
	cJSON_Delete(rep);
	CHECK(!bad, "output:\n%s", out);
	CHECK(rc == 0, "exit %d", rc);
	CHECK(strstr(out, "COMPLETED") && strstr(out, "SUCCESS 25"), "summary:\n%s", out);
	return 0;
}

/* scenarios/healthy.json as it is: UDP with SDES-SRTP and Opus between two
 * workers' groups, TCP without SRTP to the callee pool. */
static int body_healthy(void)
{
	char report[PATH_MAX], out[16384];
	snprintf(report, sizeof(report), "%s/healthy.report.json", workdir);
	int rc = run_scenario("scenarios/healthy.json", report, out, sizeof(out));
	cJSON *rep = jv_read_tree(report);
	CHECK(rep, "no report; output:\n%s", out);
	int bad = check_healthy(rep, NULL), calls = 0;
	/* Opus was negotiated between the groups, PCMA with the callee pool. */
	const cJSON *ep;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(rep, "endpoints")) {
		const char *codec = sget(ep, "media", "codec");
		const char *g = sget(ep, "group", NULL);
		if (!bad && strcmp(codec, strcmp(g, "pool-callers") ? "opus" : "PCMA")) {
			fprintf(stderr, "    %s negotiated %s\n", g, codec);
			bad = 1;
		}
		/* The report reads in the scenario's time: its 30 s calls last
		 * about 30 s there, although the lab ran them at scale 0.1. */
		double up = nget(ep, "times_ms", "answered", NULL);
		double down = nget(ep, "times_ms", "bye", NULL);
		if (!bad && up > 0 && down > 0 && (down - up < 20000 || down - up > 40000)) {
			fprintf(stderr, "    %s: a call of %.0f ms in the report\n",
			        sget(ep, "user", NULL), down - up);
			bad = 1;
		}
		calls += up > 0 && down > 0;
	}
	CHECK(calls >= 15, "%d calls with answered and bye times", calls);
	cJSON_Delete(rep);
	CHECK(!bad && rc == 0, "exit %d, output:\n%s", rc, out);
	return 0;
}

static int body_tcp(void)
{
	return healthy_over("tcp", "tcp/");
}

static int body_tls(void)
{
	return healthy_over("tls", "tls/");
}

static void use_kamailio(cJSON *s, const void *arg)
{
	cJSON *far = cJSON_AddObjectToObject(s, "far_side");
	cJSON_AddStringToObject(far, "registrar", "kamailio");
	cJSON *t = cJSON_AddArrayToObject(far, "transports");
	cJSON_AddItemToArray(t, cJSON_CreateString("udp"));
	cJSON_AddItemToArray(t, cJSON_CreateString("tcp"));
}

/* A registrar no one here wrote: the same run through Kamailio. */
static int body_kamailio(void)
{
	char file[PATH_MAX], report[PATH_MAX], out[16384];
	CHECK(!write_variant("kamailio", use_kamailio, NULL, file, sizeof(file)), "scenario");
	snprintf(report, sizeof(report), "%s/kamailio.report.json", workdir);
	int rc = run_scenario(file, report, out, sizeof(out));
	cJSON *rep = jv_read_tree(report);
	CHECK(rep, "no report; output:\n%s", out);
	int bad = check_healthy(rep, NULL);
	/* The challenge came from Kamailio itself. */
	const cJSON *ep = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "endpoints"), 0);
	const cJSON *t, *t1 = NULL;
	cJSON_ArrayForEach (t, cJSON_GetObjectItemCaseSensitive(ep, "trace"))
		if (!t1 && !strcmp(sget(t, "dir", NULL), "recv"))
			t1 = t;
	int from_kamailio = strstr(sget(t1, "text", NULL), "kamailio") != NULL;
	cJSON_Delete(rep);
	CHECK(!bad && rc == 0, "exit %d, output:\n%s", rc, out);
	CHECK(from_kamailio, "the 401 does not name Kamailio");
	return 0;
}

static void one_worker_action(cJSON *s, const void *arg)
{
	cJSON_ReplaceItemInObject(s, "platform", cJSON_Parse("{\"workers\":1}"));
	cJSON_AddItemToObject(s, "actions", cJSON_Parse(arg));
}

static int run_variant(const char *name, void (*edit)(cJSON *, const void *), const void *arg,
                       cJSON **rep, char *out, size_t cap)
{
	char file[PATH_MAX], report[PATH_MAX];
	if (write_variant(name, edit, arg, file, sizeof(file)))
		return -1;
	snprintf(report, sizeof(report), "%s/%s.report.json", workdir, name);
	int rc = run_scenario(file, report, out, cap);
	*rep = jv_read_tree(report);
	return rc;
}

/* The run's only worker is killed in the middle of the calls. */
static int body_worker_killed(void)
{
	char out[16384];
	cJSON *rep;
	int rc = run_variant("killed", one_worker_action,
	                     "[{\"do\":\"kill_worker\",\"worker\":\"worker1\",\"at_s\":25}]", &rep,
	                     out, sizeof(out));
	CHECK(rep, "no report; output:\n%s", out);
	char status[32];
	snprintf(status, sizeof(status), "%s", sget(rep, "run", "status"));
	const cJSON *eps = cJSON_GetObjectItemCaseSensitive(rep, "endpoints"), *ep;
	int oserror = 0, n = cJSON_GetArraySize(eps);
	cJSON_ArrayForEach (ep, eps)
		oserror += !strcmp(sget(ep, "outcome", NULL), "OSERROR") &&
		           !strcmp(sget(ep, "phase", NULL), "CLOSED");
	const cJSON *w = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "workers"), 0);
	char wstatus[32];
	snprintf(wstatus, sizeof(wstatus), "%s", sget(w, "status", NULL));
	cJSON_Delete(rep);
	CHECK(!strcmp(status, "FAILED"), "status %s; output:\n%s", status, out);
	CHECK(oserror == n && n == 25, "%d of %d CLOSED/OSERROR", oserror, n);
	CHECK(!strcmp(wstatus, "OFFLINE"), "worker %s", wstatus);
	CHECK(rc == 1, "exit %d", rc);
	/* How the process ended is the lab's to know, in its words in lab.json;
	 * the report has at most the host's facts (exit code, OOMKilled). */
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/killed.report.json", workdir);
	char *text = NULL;
	err_t e;
	CHECK(!jv_read_file(path, &text, &e), "%s", e.msg);
	int in_report = strstr(text, "SIGKILL") != NULL;
	free(text);
	CHECK(!in_report, "the report says how the worker's process ended");
	snprintf(path, sizeof(path), "%s/killed.lab.json", workdir);
	cJSON *lab = jv_read_tree(path);
	CHECK(lab, "no %s", path);
	const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItem(lab, "worker_processes"), 0);
	char exit_how[96];
	snprintf(exit_how, sizeof(exit_how), "%s", sget(p, "exit", NULL));
	int oom = cJSON_IsTrue(cJSON_GetObjectItem(p, "oom_killed"));
	cJSON_Delete(lab);
	CHECK(strstr(exit_how, "SIGKILL") && !oom, "lab.json: worker1 %s%s", exit_how,
	      oom ? " (OOM)" : "");
	return 0;
}

static int expect_cannot_run(const char *name, void (*edit)(cJSON *, const void *), const void *arg,
                             const char *why)
{
	char out[16384];
	cJSON *rep;
	int rc = run_variant(name, edit, arg, &rep, out, sizeof(out));
	CHECK(rep, "no report; output:\n%s", out);
	char status[32], reason[256];
	snprintf(status, sizeof(status), "%s", sget(rep, "run", "status"));
	snprintf(reason, sizeof(reason), "%s", sget(rep, "run", "reason"));
	char *run = cJSON_PrintUnformatted(cJSON_GetObjectItem(rep, "run"));
	int running = strstr(run, "\"RUNNING\"") != NULL;
	free(run);
	cJSON_Delete(rep);
	CHECK(!strcmp(status, "CANNOT_RUN_FOR_NOW"), "status %s; output:\n%s", status, out);
	CHECK(strstr(reason, why), "reason: %s", reason);
	CHECK(!running, "the run went to RUNNING");
	CHECK(rc == 1, "exit %d", rc);
	return 0;
}

static int body_workers_stopped(void)
{
	return expect_cannot_run("stopped", one_worker_action,
	                         "[{\"do\":\"stop_worker\",\"worker\":\"all\","
	                         "\"at_s\":\"before_run\"}]",
	                         "no ONLINE worker in region \"lab\"");
}

static void small_plan(cJSON *s, const void *arg)
{
	cJSON_AddItemToObject(s, "plan", cJSON_Parse("{\"max_endpoints\":20}"));
}

static int body_plan_limit(void)
{
	return expect_cannot_run("plan", small_plan, NULL, "the plan allows 20");
}

static void wrong_password(cJSON *s, const void *arg)
{
	cJSON_AddItemToObject(
	        s, "far_side",
	        cJSON_Parse(
	                "{\"accounts\":[{\"prefix\":\"caller\",\"count\":10,\"password\":"
	                "\"changed\"},{\"prefix\":\"recv\",\"count\":10,\"password\":"
	                "\"recv-pw\"},{\"prefix\":\"pc\",\"count\":5,\"password\":\"pc-pw\"}]}"));
}

/* The registrar has other passwords for the callers: challenged, then
 * challenged again — REGISTRATION_FAILED with the 401 that was on the wire. */
static int body_wrong_password(void)
{
	char out[16384];
	cJSON *rep;
	int rc = run_variant("password", wrong_password, NULL, &rep, out, sizeof(out));
	CHECK(rep, "no report; output:\n%s", out);
	const cJSON *ep;
	int refused = 0, timeouts = 0, ok = 0;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(rep, "endpoints")) {
		const char *o = sget(ep, "outcome", NULL), *g = sget(ep, "group", NULL);
		refused += !strcmp(g, "callers") && !strcmp(o, "REGISTRATION_FAILED") &&
		           nget(ep, "sip_code", NULL, NULL) == 401 &&
		           !strcmp(sget(ep, "sip_code_source", NULL), "wire") &&
		           !strcmp(sget(ep, "phase_reached", NULL), "INITIALIZING");
		timeouts += !strcmp(g, "receivers") && !strcmp(o, "TIMEOUT");
		ok += !strcmp(g, "pool-callers") && !strcmp(o, "SUCCESS");
	}
	cJSON_Delete(rep);
	CHECK(refused == 10 && timeouts == 10 && ok == 5,
	      "%d refused, %d receivers timed out, %d pool calls; output:\n%s", refused, timeouts,
	      ok, out);
	CHECK(rc == 1, "exit %d", rc);
	return 0;
}

/* Ctrl-C during the calls: STOPPING, hang-ups, and the report is written. */
static int body_interrupted(void)
{
	char report[PATH_MAX], out[16384];
	snprintf(report, sizeof(report), "%s/interrupted.report.json", workdir);
	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execl(siplab_bin(), "siplab", "run", "scenarios/healthy.json", "--report", report,
		      "--logs", workdir, NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* Wait for the calls to be up, then press Ctrl-C. */
	size_t got = 0;
	ssize_t n;
	out[0] = '\0';
	while (got + 1 < sizeof(out) && (n = read(pfd[0], out + got, sizeof(out) - 1 - got)) > 0) {
		got += (size_t)n;
		out[got] = '\0';
		if (strstr(out, "25 in call"))
			break;
	}
	kill(pid, SIGINT);
	read_all(pfd[0], out + got, sizeof(out) - got);
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	cJSON *rep = jv_read_tree(report);
	CHECK(rep, "no report; output:\n%s", out);
	char *run = cJSON_PrintUnformatted(cJSON_GetObjectItem(rep, "run"));
	int stopping = strstr(run, "\"STOPPING\"") != NULL;
	int flagged = strstr(run, "\"stopped_by_user\":true") != NULL;
	const cJSON *ep =
	        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "endpoints"), 15);
	int hung_up = strstr(sget(ep, "reason", NULL), "stopped by the user") != NULL &&
	              !strcmp(sget(ep, "phase", NULL), "CLOSED");
	free(run);
	cJSON_Delete(rep);
	CHECK(stopping && flagged, "no STOPPING in the timeline; output:\n%s", out);
	CHECK(hung_up, "endpoint 15 was not hung up by the stop");
	CHECK(logs_clean(workdir), "a sanitizer reported");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1, "a stopped run exits 1 (got %d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}

/* A mistake in the scenario: named, exit 2, and no lab was started. */
static int body_bad_scenario(void)
{
	char file[PATH_MAX], out[4096];
	snprintf(file, sizeof(file), "%s/bad.json", workdir);
	const char *text = "{\"groups\":[{\"registrar\":\"lab\",\"accounts\":{\"prefix\":\"a\","
	                   "\"count\":1,\"password\":\"p\"},\"endpoints\":1,\"role\":\"caller\","
	                   "\"target\":\"callee-pool\",\"srtp\":\"dtls\"}]}";
	CHECK(!sys_write_file(file, text, strlen(text), 1, NULL), "write");
	int rc = run_scenario(file, "/nonexistent/report.json", out, sizeof(out));
	CHECK(rc == 2, "exit %d: %s", rc, out);
	CHECK(strstr(out, "bad.json") && strstr(out, "groups[0].srtp") && strstr(out, "sdes"),
	      "message: %s", out);
	CHECK(!strstr(out, "RUNNING"), "something started: %s", out);
	return 0;
}

CHILD_TEST(healthy)
CHILD_TEST(tcp)
CHILD_TEST(tls)
CHILD_TEST(kamailio)
CHILD_TEST(worker_killed)
CHILD_TEST(workers_stopped)
CHILD_TEST(plan_limit)
CHILD_TEST(wrong_password)
CHILD_TEST(interrupted)
CHILD_TEST(bad_scenario)

int main(void)
{
	snprintf(workdir, sizeof(workdir), "/tmp/siplab-test-run.%d", (int)getpid());
	mkdir(workdir, 0755);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_healthy),       cmocka_unit_test(test_tcp),
	        cmocka_unit_test(test_tls),           cmocka_unit_test(test_kamailio),
	        cmocka_unit_test(test_worker_killed), cmocka_unit_test(test_workers_stopped),
	        cmocka_unit_test(test_plan_limit),    cmocka_unit_test(test_wrong_password),
	        cmocka_unit_test(test_interrupted),   cmocka_unit_test(test_bad_scenario),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sys_rm_tree(workdir);
	return rc;
}

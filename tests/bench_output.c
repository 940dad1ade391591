/* bench_output.c — what the readers' outputs cost (issues 14 and 15):
 *   - the HTML report of the largest golden report (200 endpoints with
 *     traces), against the diagnosis of the same report alone (which the
 *     page includes);
 *   - a run's packet capture: the same short scenario run with and without
 *     --pcap, alternately, its wall time compared (the reference is the run
 *     without it), and what the capture held.
 *   - a customer's capture diagnosed (siplab diagnose CAPTURE), against
 *     tshark reading the same capture's SIP (sip,stat) — the peer;
 *   - siplab repro of a golden report: its wall time, similarity, verdict.
 * Medians of several rounds; printed, never asserted. */
#define _GNU_SOURCE
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../diagnose/diagnose.h"
#include "../html/html.h"
#include "../lib/jsonv.h"
#include "../lib/sys.h"

#define ROUNDS 5
#define BIG    "tests/golden/reg_worker_overloaded.report.json"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

static void bench_html(void)
{
	double page[ROUNDS], dx[ROUNDS];
	const char *out = "/tmp/siplab-bench-output.html";
	for (int i = 0; i < ROUNDS; i++) {
		err_t e;
		long long t0 = sys_now_ns();
		if (html_write(BIG, NULL, out, &e)) {
			printf("html: %s\n", e.msg);
			return;
		}
		page[i] = (double)(sys_now_ns() - t0) / 1e6;
		t0 = sys_now_ns();
		cJSON *rep = jv_read_tree(BIG);
		cJSON *d = rep ? diagnose(rep) : NULL;
		dx[i] = (double)(sys_now_ns() - t0) / 1e6;
		cJSON_Delete(d);
		cJSON_Delete(rep);
	}
	struct stat st = {0}, in = {0};
	stat(out, &st);
	stat(BIG, &in);
	printf("html report of %s (%.1f MB):\n", BIG, (double)in.st_size / 1e6);
	printf("  html_write          %8.1f ms median of %d, page %.2f MB, one file\n",
	       median(page, ROUNDS), ROUNDS, (double)st.st_size / 1e6);
	printf("  reference: read + diagnose alone %8.1f ms\n", median(dx, ROUNDS));
	unlink(out);
}

/* One run of the scenario (--once), with a capture when pcap is set: its
 * wall time in seconds, or -1. */
static double one_run(const char *pcap)
{
	const char *bin = getenv("SIPLAB") ? getenv("SIPLAB") : "build/siplab";
	fflush(NULL);
	long long t0 = sys_now_ns();
	pid_t pid = fork();
	if (pid == 0) {
		(void)!freopen("/dev/null", "w", stdout);
		(void)!freopen("/dev/null", "w", stderr);
		if (pcap)
			execl(bin, "siplab", "run", "scenarios/healthy.json", "--once", "--quiet",
			      "--report", "/tmp/siplab-bench-output/r.json", "--pcap", pcap,
			      (char *)NULL);
		else
			execl(bin, "siplab", "run", "scenarios/healthy.json", "--once", "--quiet",
			      "--report", "/tmp/siplab-bench-output/r.json", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? (double)(sys_now_ns() - t0) / 1e9 : -1;
}

static void bench_capture(void)
{
	double with[ROUNDS], without[ROUNDS];
	const char *pcap = "/tmp/siplab-bench-output/c.pcapng";
	for (int i = 0; i < ROUNDS; i++) {
		without[i] = one_run(NULL);
		with[i] = one_run(pcap);
		if (with[i] < 0 || without[i] < 0) {
			printf("capture: a run of scenarios/healthy.json failed\n");
			return;
		}
	}
	struct stat st = {0};
	stat(pcap, &st);
	double a = median(with, ROUNDS), b = median(without, ROUNDS);
	printf("packet capture of scenarios/healthy.json (--once):\n");
	printf("  with --pcap         %8.3f s median of %d, capture %.1f MB\n", a, ROUNDS,
	       (double)st.st_size / 1e6);
	printf("  reference: without  %8.3f s   (the capture adds %.0f ms a run)\n", b,
	       1000 * (a - b));
}

/* Seconds a shell command took, -1 when it failed (exit 1, a check that
 * did not hold or nothing known fits, is a finished run). */
static double timed(const char *cmd)
{
	long long t0 = sys_now_ns();
	int rc = system(cmd);
	int ok = rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) <= 1;
	return ok ? (double)(sys_now_ns() - t0) / 1e9 : -1;
}

static void bench_capture_diagnosis(void)
{
	const char *bin = getenv("SIPLAB") ? getenv("SIPLAB") : "build/siplab";
	const char *pcap = "/tmp/siplab-bench-output/c.pcapng";
	char ours[512], peer[512];
	snprintf(ours, sizeof(ours), "%s diagnose %s >/dev/null 2>&1", bin, pcap);
	snprintf(peer, sizeof(peer), "tshark -r %s -q -z sip,stat >/dev/null 2>&1", pcap);
	double a[ROUNDS], b[ROUNDS];
	for (int i = 0; i < ROUNDS; i++) {
		a[i] = timed(ours);
		b[i] = timed(peer);
	}
	printf("a capture diagnosed (%s, healthy.json's run):\n", pcap);
	printf("  siplab diagnose     %8.3f s median of %d (SIP, RTP, rules)\n", median(a, ROUNDS),
	       ROUNDS);
	printf("  reference: tshark -z sip,stat %8.3f s\n", median(b, ROUNDS));
}

static void bench_repro(void)
{
	const char *bin = getenv("SIPLAB") ? getenv("SIPLAB") : "build/siplab";
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "%s repro tests/golden/reg_dns_failure.report.json --out "
	         "/tmp/siplab-bench-output/repro > /tmp/siplab-bench-output/repro.log 2>&1",
	         bin);
	double t = timed(cmd);
	cJSON *r = jv_read_tree("/tmp/siplab-bench-output/repro/repro.json");
	char *line = NULL;
	err_t e;
	(void)jv_read_file("/tmp/siplab-bench-output/repro.log", &line, &e);
	const char *v = line ? strstr(line, "verdict:") : NULL;
	printf("siplab repro tests/golden/reg_dns_failure.report.json:\n");
	printf("  %.1f s, %.*s\n", t, v ? (int)strcspn(v, "\n") : 10, v ? v : "no verdict");
	free(line);
	cJSON_Delete(r);
}

int main(void)
{
	printf("bench_output: the HTML report, the packet capture, a capture's diagnosis, a "
	       "repro\n");
	bench_html();
	if (system("mkdir -p /tmp/siplab-bench-output") == 0) {
		bench_capture();
		bench_capture_diagnosis();
		bench_repro();
	}
	(void)!system("rm -rf /tmp/siplab-bench-output");
	return 0;
}

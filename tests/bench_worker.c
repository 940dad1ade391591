/* bench_worker.c — what one worker process holds on this machine: 1,000
 * registered endpoints, and 200 concurrent calls with SDES-SRTP Opus media,
 * each run by `siplab run` as a user would, with the numbers read from the
 * workers' heartbeats in report.json (memory and CPU over time).
 *
 * The calls' far ends are in a second worker (another region), so the
 * measured process carries exactly one endpoint per call, as a worker calling
 * out to customers' numbers does. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include <sys/stat.h>

#include "../lib/jsonv.h"

static const char scenario[] =
        "{\"name\":\"%s\",\"time_scale\":1,\"buildup_s\":%d,\"call_duration_s\":%d,"
        "\"platform\":{\"workers\":2,\"worker_regions\":[\"near\",\"far\"],"
        "\"heartbeat_s\":0.25},\"plan\":{\"max_endpoints\":5000},"
        "\"groups\":[{\"name\":\"callers\",\"region\":\"near\",\"registrar\":\"registrar.lab\","
        "\"accounts\":{\"prefix\":\"bc\",\"count\":%d,\"password\":\"pw\"},\"codecs\":[\"opus\"],"
        "\"srtp\":\"sdes\",\"endpoints\":%d,\"role\":\"caller\",\"target\":\"receivers\"},"
        "{\"name\":\"receivers\",\"region\":\"far\",\"registrar\":\"registrar.lab\","
        "\"accounts\":{\"prefix\":\"br\",\"count\":%d,\"password\":\"pw\"},\"codecs\":[\"opus\"],"
        "\"srtp\":\"sdes\",\"endpoints\":%d,\"role\":\"callee\"}]}";

struct sample {
	double t, registered, in_call, rss, cpu;
};

struct outcome {
	int endpoints, success;
	double max_registered[2];
	/* least-squares slope of RSS over registered endpoints, calls not yet up */
	double sx[2], sy[2], sxx[2], sxy[2], n[2];
	double mos_min, jitter_max;
	/* worker1 (callers) and worker2 (receivers) */
	long idle_kb[2];
	struct sample peak_call[2];  /* the sample with the most calls up */
	struct sample registered[2]; /* the last sample before any call */
	struct sample last[2];
	double wall_s;
};

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void read_worker(const cJSON *w, int i, struct outcome *o)
{
	const cJSON *s;
	o->idle_kb[i] = (long)num(w, "rss_idle_kb");
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(w, "resources")) {
		struct sample x = {num(s, "t_ms"), num(s, "registered"), num(s, "in_call"),
		                   num(s, "rss_kb"), num(s, "cpu_ms")};
		if (x.in_call > o->peak_call[i].in_call ||
		    (x.in_call == o->peak_call[i].in_call && x.rss > o->peak_call[i].rss))
			o->peak_call[i] = x;
		if (x.in_call == 0 && x.registered >= o->registered[i].registered &&
		    o->peak_call[i].in_call == 0)
			o->registered[i] = x;
		if (x.in_call == 0 && o->peak_call[i].in_call == 0 && x.registered > 0) {
			o->n[i]++;
			o->sx[i] += x.registered;
			o->sy[i] += x.rss;
			o->sxx[i] += x.registered * x.registered;
			o->sxy[i] += x.registered * x.rss;
		}
		if (x.registered > o->max_registered[i])
			o->max_registered[i] = x.registered;
		o->last[i] = x;
	}
}

static int run(const char *name, int buildup, int duration, int n, struct outcome *o)
{
	char dir[PATH_MAX], file[PATH_MAX], report[PATH_MAX], json[4096];
	snprintf(dir, sizeof(dir), "/tmp/siplab-bench-worker.%d", (int)getpid());
	mkdir(dir, 0755);
	snprintf(file, sizeof(file), "%s/%s.json", dir, name);
	snprintf(report, sizeof(report), "%s/%s.report.json", dir, name);
	snprintf(json, sizeof(json), scenario, name, buildup, duration, n, n, n, n);
	sys_write_file(file, json, strlen(json), 1, NULL);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "%s run %s --report %s --quiet >/dev/null 2>&1", siplab_bin(),
	         file, report);
	long long t0 = sys_now_ns();
	int rc = system(cmd);
	memset(o, 0, sizeof(*o));
	o->wall_s = (double)(sys_now_ns() - t0) / 1e9;
	cJSON *r = jv_read_tree(report);
	if (!getenv("KEEP"))
		sys_rm_tree(dir);
	if (!r) {
		fprintf(stderr, "bench: %s: no report (exit %d)\n", name, rc);
		return -1;
	}
	const cJSON *totals = cJSON_GetObjectItemCaseSensitive(r, "totals");
	o->endpoints = (int)num(totals, "endpoints");
	o->success = (int)num(cJSON_GetObjectItemCaseSensitive(totals, "outcomes"), "SUCCESS");
	const cJSON *media = cJSON_GetObjectItemCaseSensitive(totals, "media");
	o->mos_min = num(media, "received_mos_min");
	o->jitter_max = num(media, "received_jitter_ms_max");
	const cJSON *w;
	int i = 0;
	cJSON_ArrayForEach (w, cJSON_GetObjectItemCaseSensitive(r, "workers"))
		if (i < 2)
			read_worker(w, i++, o);
	cJSON_Delete(r);
	return 0;
}

int main(void)
{
	struct outcome reg, calls;
	printf("bench: worker endpoints — `siplab run`, scale 1, SDES-SRTP Opus; worker1 holds the "
	       "callers,\n       worker2 (another region) the far ends; memory and CPU from the "
	       "workers' heartbeats\n");
	/* 1,000 callers over a 20 s buildup, 2 s calls: every one registers and
	 * calls; the receivers' worker registers all 1,000 before any call. */
	if (run("thousand", 20, 2, 1000, &reg))
		return 1;
	const struct sample *plateau = &reg.registered[1];
	double all_in = (plateau->rss - (double)reg.idle_kb[1]) /
	                (plateau->registered > 0 ? plateau->registered : 1);
	double d = reg.n[1] * reg.sxx[1] - reg.sx[1] * reg.sx[1];
	double slope = d > 0 ? (reg.n[1] * reg.sxy[1] - reg.sx[1] * reg.sy[1]) / d : 0;
	printf("  registered endpoints in one worker: %.0f callers (worker1), %.0f receivers "
	       "(worker2); SUCCESS %d of %d (%.0f s)\n",
	       reg.max_registered[0], reg.max_registered[1], reg.success, reg.endpoints,
	       reg.wall_s);
	if (reg.n[1] < 2)
		printf("  (no heartbeat of worker2 fell between its registrations and the first "
		       "call: the memory slope below is not measured; a loaded machine delays "
		       "heartbeats — run again)\n");
	printf("  memory per registered endpoint: %.1f kB each added (slope over %.0f samples), "
	       "%.1f kB all in\n      (%ld kB idle -> %.0f kB with %.0f registered, dispatch "
	       "included)\n"
	       "      reference: target <= 64 kB; sofia-sip notes: 26-27 kB per bare registered "
	       "handle\n",
	       slope, reg.n[1], all_in, reg.idle_kb[1], plateau->rss, plateau->registered);
	/* 200 calls of 10 s, set up over 4 s: all 200 up at once. */
	if (run("calls", 4, 10, 200, &calls))
		return 1;
	const struct sample *pk = &calls.peak_call[0];
	double per_call =
	        (pk->rss - (double)calls.idle_kb[0]) / (pk->in_call > 0 ? pk->in_call : 1);
	double cpu = calls.last[0].cpu;
	printf("  concurrent SRTP calls from one worker: %d at the peak, SUCCESS %d of %d, "
	       "received MOS min %.2f, jitter max %.1f ms\n",
	       (int)pk->in_call, calls.success, calls.endpoints, calls.mos_min, calls.jitter_max);
	printf("  memory per in-call endpoint: %.1f kB (%ld -> %.0f kB RSS with %.0f in call)\n"
	       "      reference: target <= 256 kB; the hosted platform budgets 50-100 MB per "
	       "audio endpoint\n",
	       per_call, calls.idle_kb[0], pk->rss, pk->in_call);
	printf("  CPU per call: %.1f ms for a 10 s call (%.2f ms per call-second), worker1 total "
	       "%.0f ms\n",
	       cpu / 200, cpu / 200 / 10, cpu);
	int ok = reg.success == reg.endpoints && reg.endpoints == 2000 &&
	         reg.max_registered[0] >= 1000 && calls.success == calls.endpoints &&
	         pk->in_call >= 200;
	printf("  %s\n", ok ? "every endpoint SUCCESS" : "NOT every endpoint succeeded");
	return ok ? 0 : 1;
}

/* rules_workers.c — the run failed because a worker was lost while it ran
 * (the guide's "Worker Disconnection During Test"), or came back from a
 * restart as a new session.
 * Each rule is one row of the table at the end, in the guide's order. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

static int lost_endpoints(const struct dx_evidence *ev, const char *worker)
{
	int n = 0;
	for (int i = 0; i < ev->n; i++)
		n += !strcmp(ev->eps[i].worker, worker) && ev->eps[i].fail == EP_FAIL_WORKER_LOST;
	return n;
}

/* The worker's object in the report, or in its host section, by name. */
static const cJSON *named(const cJSON *array, const char *name)
{
	const cJSON *o;
	cJSON_ArrayForEach (o, array) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "name");
		if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
			return o;
	}
	return NULL;
}

/* What a worker's heartbeats said of its memory cgroup until it was lost:
 * usage and limit in kB, first and last of the samples that carry a limit. */
struct mem_trend {
	int samples;
	double first_kb, last_kb, limit_kb, first_t, last_t;
};

/* The kernel's OOM killer acts at the limit, and the last heartbeat comes up
 * to a heartbeat's worth of growth before it: near the limit is 85 % of it,
 * or half of it when the climb, kept up at its pace until the worker was
 * lost, reaches the limit. Climbing: the last sample above the first by a
 * share of the limit, not by noise. */
#define OOM_NEAR_LIMIT 0.85
#define OOM_HALF_WAY   0.5
#define OOM_CLIMB      0.02

static void mem_trend(const cJSON *worker, double until_t, struct mem_trend *m)
{
	const cJSON *s;
	memset(m, 0, sizeof(*m));
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(worker, "resources")) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(s, "t_ms");
		const cJSON *use = cJSON_GetObjectItemCaseSensitive(s, "cgroup_usage_kb");
		const cJSON *lim = cJSON_GetObjectItemCaseSensitive(s, "cgroup_limit_kb");
		if (!cJSON_IsNumber(t) || t->valuedouble > until_t || !cJSON_IsNumber(use) ||
		    !cJSON_IsNumber(lim) || lim->valuedouble <= 0)
			continue;
		if (!m->samples++) {
			m->first_kb = use->valuedouble;
			m->first_t = t->valuedouble;
		}
		m->last_kb = use->valuedouble;
		m->limit_kb = lim->valuedouble;
		m->last_t = t->valuedouble;
	}
}

/* The usage the climb would have reached at time t, at its pace so far. */
static double mem_reach(const struct mem_trend *m, double t)
{
	if (m->samples < 2 || m->last_t <= m->first_t)
		return m->last_kb;
	double pace = (m->last_kb - m->first_kb) / (m->last_t - m->first_t);
	return m->last_kb + pace * (t - m->last_t);
}

/* Climbing towards the limit: the heartbeat trend of an OOM kill. */
static int mem_exhausted(const struct mem_trend *m, double lost_t)
{
	double near = m->samples ? m->last_kb / m->limit_kb : 0;
	if (m->samples < 2 || m->last_kb - m->first_kb < OOM_CLIMB * m->limit_kb)
		return 0;
	return near >= OOM_NEAR_LIMIT ||
	       (near >= OOM_HALF_WAY && mem_reach(m, lost_t) >= m->limit_kb);
}

/* The platform sees a worker's connection close and, before that, what its
 * heartbeats said: its memory cgroup's usage and limit, as the worker reads
 * them in its container. Usage climbing to its limit, then the connection
 * lost, is the kernel's OOM killer at work; a crash or a kill at low memory
 * does not look like that. What the customer's host shows of the container's
 * end (the report's host section, like docker inspect's OOMKilled) is not the
 * platform's evidence: it only corroborates, and says so — or, when it says
 * the container was not OOM-killed, it lowers the finding below a plain
 * disconnection. */
static int m_oom(const struct dx_evidence *ev, struct dx_finding *f)
{
	int score = 0;
	const cJSON *workers = cJSON_GetObjectItemCaseSensitive(ev->report, "workers");
	const cJSON *host = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(ev->report, "host"), "workers");
	for (int i = 0; i < ev->n_workers; i++) {
		const struct dx_worker *w = &ev->workers[i];
		int lost = lost_endpoints(ev, w->name);
		struct mem_trend m;
		if (!w->lost || !lost)
			continue;
		mem_trend(named(workers, w->name), w->lost_t, &m);
		if (!mem_exhausted(&m, w->lost_t))
			continue;
		dx_say(f,
		       "%s went OFFLINE at %.1f s; %d of its %.0f endpoints were closed with "
		       "OSERROR at that instant",
		       w->name, w->lost_t / 1000, lost, w->endpoints);
		dx_say(f,
		       "its heartbeats reported its memory cgroup's usage climbing from %.1f MB to "
		       "%.1f MB, %.0f %% of its %.1f MB limit, at %.1f s (%d samples); then it was "
		       "lost",
		       m.first_kb / 1024, m.last_kb / 1024, 100 * m.last_kb / m.limit_kb,
		       m.limit_kb / 1024, m.last_t / 1000, m.samples);
		if (m.last_kb < OOM_NEAR_LIMIT * m.limit_kb)
			dx_say(f,
			       "at that pace it would have used %.1f MB when it was lost, %.1f s "
			       "later: its limit",
			       mem_reach(&m, w->lost_t) / 1024, (w->lost_t - m.last_t) / 1000);
		int fit = 90;
		const cJSON *h = named(host, w->name);
		const cJSON *oom = cJSON_GetObjectItemCaseSensitive(h, "oom_killed");
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(h, "exit_code");
		char exit[32] = "";
		if (cJSON_IsNumber(code))
			snprintf(exit, sizeof(exit), ", exit code %d", code->valueint);
		if (cJSON_IsTrue(oom)) {
			dx_say(f,
			       "corroborated by the host: OOMKilled%s (the container's end as its "
			       "host shows it, not the platform's evidence)",
			       exit);
			fit = 97;
		} else if (cJSON_IsFalse(oom)) {
			dx_say(f,
			       "the host does not corroborate it: not OOMKilled%s (the container's "
			       "end as its host shows it)",
			       exit);
			fit = 70;
		}
		score = fit > score ? fit : score;
	}
	return score;
}

static int m_disconnect(const struct dx_evidence *ev, struct dx_finding *f)
{
	int score = 0;
	const cJSON *workers = cJSON_GetObjectItemCaseSensitive(ev->report, "workers");
	for (int i = 0; i < ev->n_workers; i++) {
		const struct dx_worker *w = &ev->workers[i];
		int lost = lost_endpoints(ev, w->name);
		if (!w->lost || !lost)
			continue;
		dx_say(f,
		       "%s went OFFLINE at %.1f s during the run; %d of its endpoints were closed "
		       "with OSERROR at once",
		       w->name, w->lost_t / 1000, lost);
		/* Memory far from its limit rules the OOM killer out. */
		struct mem_trend m;
		mem_trend(named(workers, w->name), w->lost_t, &m);
		if (m.samples && !mem_exhausted(&m, w->lost_t))
			dx_say(f,
			       "its last heartbeat (%.1f s) showed its memory cgroup at %.1f MB of "
			       "its %.1f MB limit (%.0f %%): not running out of memory",
			       m.last_t / 1000, m.last_kb / 1024, m.limit_kb / 1024,
			       100 * m.last_kb / m.limit_kb);
		score = 85;
	}
	return score;
}

/* The session a lost worker came back with: the gateway's first RECONNECTED
 * event for it after it was lost, from a process of another pid than the
 * session it lost (the same process coming back after a network cut is not
 * a restart). The run's end bounds it: a worker restarted by the lab after
 * the run is not evidence. Returns the event, or NULL. */
static const cJSON *new_session(const cJSON *worker, double lost_t, double run_end_t)
{
	const cJSON *e;
	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(worker, "events")) {
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(e, "kind");
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "t_ms");
		const cJSON *pid = cJSON_GetObjectItemCaseSensitive(e, "pid");
		const cJSON *before = cJSON_GetObjectItemCaseSensitive(e, "previous_pid");
		if (!cJSON_IsString(kind) ||
		    wk_event_from_name(kind->valuestring) != WK_EVENT_RECONNECTED ||
		    !cJSON_IsNumber(t) || t->valuedouble < lost_t || t->valuedouble > run_end_t)
			continue;
		if (cJSON_IsNumber(pid) && cJSON_IsNumber(before) &&
		    pid->valuedouble != before->valuedouble)
			return e;
	}
	return NULL;
}

/* When the run reached its last status (its timeline's last entry). */
static double run_end_t(const cJSON *report)
{
	const cJSON *tl = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(report, "run"), "timeline");
	const cJSON *last = cJSON_GetArrayItem(tl, cJSON_GetArraySize(tl) - 1);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(last, "t_ms");
	return cJSON_IsNumber(t) ? t->valuedouble : 1e18;
}

/* The guide: "if the container orchestration system restarted the worker,
 * it will reconnect as a new session". The worker's connection was lost
 * with its endpoints, and during the run the same worker (its name and
 * token) said hello again from another process. Its lost endpoints stay
 * lost: the new session starts empty. Ranked above a plain disconnection,
 * which the same loss also fits. */
static int m_restart(const struct dx_evidence *ev, struct dx_finding *f)
{
	int score = 0;
	const cJSON *workers = cJSON_GetObjectItemCaseSensitive(ev->report, "workers");
	double end = run_end_t(ev->report);
	for (int i = 0; i < ev->n_workers; i++) {
		const struct dx_worker *w = &ev->workers[i];
		int lost = lost_endpoints(ev, w->name);
		if (!w->lost || !lost)
			continue;
		const cJSON *e = new_session(named(workers, w->name), w->lost_t, end);
		if (!e)
			continue;
		const cJSON *sess = cJSON_GetObjectItemCaseSensitive(e, "session");
		dx_say(f,
		       "%s went OFFLINE at %.1f s during the run; %d of its endpoints were closed "
		       "with OSERROR at once",
		       w->name, w->lost_t / 1000, lost);
		dx_say(f,
		       "%.1f s later, at %.1f s, %s connected again as a new session%s%.0f from "
		       "another process (pid %.0f, the lost session's was %.0f): the worker was "
		       "restarted, and its old session's endpoints stay lost",
		       (cJSON_GetObjectItemCaseSensitive(e, "t_ms")->valuedouble - w->lost_t) /
		               1000,
		       cJSON_GetObjectItemCaseSensitive(e, "t_ms")->valuedouble / 1000, w->name,
		       cJSON_IsNumber(sess) ? " " : "",
		       cJSON_IsNumber(sess) ? sess->valuedouble : 0,
		       cJSON_GetObjectItemCaseSensitive(e, "pid")->valuedouble,
		       cJSON_GetObjectItemCaseSensitive(e, "previous_pid")->valuedouble);
		score = 90;
	}
	return score;
}

/* --- CPU saturation --------------------------------------------------------------- */

/* Received jitter (ms) of an endpoint's call, -1 when it had no media. */
static double rx_jitter(const struct dx_ep *e)
{
	const cJSON *rx = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(e->rec, "media"), "received");
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(rx, "jitter_ms");
	return cJSON_IsNumber(j) ? j->valuedouble : -1;
}

/* A received-direction number of an endpoint's media (-1 when absent). */
static double rx_num(const struct dx_ep *e, const char *key)
{
	const cJSON *rx = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(e->rec, "media"), "received");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rx, key);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* Media of one worker's endpoints: how many had any, and their received
 * jitter, median and worst; the packets they received and those that came
 * too late for the jitter buffer (-1: the report does not say); the lowest
 * received MOS. */
struct media_on {
	int eps, with_media;
	double median, worst;
	double packets, late, mos_low;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void media_on(const struct dx_evidence *ev, const char *worker, struct media_on *m)
{
	double *j = calloc((size_t)ev->n + 1, sizeof(*j));
	memset(m, 0, sizeof(*m));
	m->median = m->worst = m->late = m->mos_low = -1;
	for (int i = 0; j && i < ev->n; i++) {
		if (strcmp(ev->eps[i].worker, worker))
			continue;
		m->eps++;
		double x = rx_jitter(&ev->eps[i]);
		if (x >= 0)
			j[m->with_media++] = x;
		double late = rx_num(&ev->eps[i], "late_packets"), mos = rx_num(&ev->eps[i], "mos");
		if (late >= 0) {
			m->late = (m->late < 0 ? 0 : m->late) + late;
			m->packets += rx_num(&ev->eps[i], "packets");
		}
		if (mos >= 0 && (m->mos_low < 0 || mos < m->mos_low))
			m->mos_low = mos;
	}
	if (j && m->with_media) {
		qsort(j, (size_t)m->with_media, sizeof(*j), cmp_double);
		m->median = j[m->with_media / 2];
		m->worst = j[m->with_media - 1];
	}
	free(j);
}

/* What a worker's heartbeats said of its CPU while it had calls up: samples
 * that carry its quota, those at its allowance, and the mean use and
 * throttled share of periods. */
struct cpu_use {
	int samples, at_limit;
	double limit_pct, use_pct, throttled_pct;
};

/* At its allowance: the use the kernel lets through is the quota, less what
 * the heartbeat's own timing blurs. */
#define CPU_AT_LIMIT 0.8

static void cpu_use(const cJSON *worker, struct cpu_use *c)
{
	const cJSON *s;
	int throttled_n = 0;
	memset(c, 0, sizeof(*c));
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(worker, "resources")) {
		const cJSON *use = cJSON_GetObjectItemCaseSensitive(s, "cpu_pct");
		const cJSON *lim = cJSON_GetObjectItemCaseSensitive(s, "cpu_limit_pct");
		const cJSON *thr = cJSON_GetObjectItemCaseSensitive(s, "cpu_throttled_pct");
		const cJSON *calls = cJSON_GetObjectItemCaseSensitive(s, "in_call");
		if (!cJSON_IsNumber(use) || !cJSON_IsNumber(lim) || lim->valuedouble <= 0 ||
		    !cJSON_IsNumber(calls) || calls->valuedouble <= 0)
			continue;
		c->samples++;
		c->at_limit += use->valuedouble >= CPU_AT_LIMIT * lim->valuedouble;
		c->limit_pct = lim->valuedouble;
		c->use_pct += use->valuedouble;
		if (cJSON_IsNumber(thr)) {
			c->throttled_pct += thr->valuedouble;
			throttled_n++;
		}
	}
	if (c->samples)
		c->use_pct /= c->samples;
	c->throttled_pct = throttled_n ? c->throttled_pct / throttled_n : -1;
}

/* Jittery: well above what a lab path adds (a fraction of a millisecond),
 * and well above the other workers' calls. */
#define JITTER_HIGH_MS 10.0
#define JITTER_ABOVE   5.0

static int sym_jittery(const struct dx_ep *e)
{
	return rx_jitter(e) >= JITTER_HIGH_MS;
}

/* The guide's "Worker CPU Saturation": quality degrades, jitter rises, and
 * the worker's CPU sits at 100 % — of what it is allowed. One worker's
 * heartbeats show its CPU use at its cgroup quota while its calls were up;
 * its endpoints' calls connected and their received audio is jittery, while
 * the other workers' calls are clean. A network impairment hits every
 * worker's calls or shows no CPU at its limit; a worker too starved to
 * register (reg.worker_overloaded) has no calls to be jittery. */
static int m_cpu_saturation(const struct dx_evidence *ev, struct dx_finding *f)
{
	const cJSON *workers = cJSON_GetObjectItemCaseSensitive(ev->report, "workers");
	int score = 0;
	for (int i = 0; i < ev->n_workers; i++) {
		const struct dx_worker *w = &ev->workers[i];
		struct cpu_use c;
		struct media_on m;
		cpu_use(named(workers, w->name), &c);
		if (!c.samples || 2 * c.at_limit < c.samples)
			continue;
		media_on(ev, w->name, &m);
		if (2 * m.with_media < m.eps || m.median < JITTER_HIGH_MS)
			continue;
		/* The other workers' calls: the worst of their medians. */
		double others = -1;
		for (int k = 0; k < ev->n_workers; k++) {
			struct media_on o;
			if (k == i)
				continue;
			media_on(ev, ev->workers[k].name, &o);
			others = o.median > others ? o.median : others;
		}
		if (others >= 0 && m.median < JITTER_ABOVE * others)
			continue;
		struct dx_scope sc;
		dx_scope_of(ev, sym_jittery, &sc);
		dx_say_scope(f, &sc, "received jitter of 10 ms or more");
		dx_say(f,
		       "%s's heartbeats, while its calls were up, reported its CPU use at %.2f %% "
		       "of "
		       "one core on average against a quota of %.2f %%: at its allowance in %d of "
		       "%d samples",
		       w->name, c.use_pct, c.limit_pct, c.at_limit, c.samples);
		if (c.throttled_pct >= 0)
			dx_say(f, "the kernel throttled it in %.0f %% of its quota's periods",
			       c.throttled_pct);
		dx_say(f,
		       "%d of its %d endpoints had audio; their received jitter: median %.1f ms, "
		       "worst %.1f ms",
		       m.with_media, m.eps, m.median, m.worst);
		if (m.late > 0 && m.packets > 0)
			dx_say(f,
			       "%.0f of the %.0f packets they received (%.1f %%) came too late for "
			       "the jitter buffer and were concealed (PLC); their lowest received "
			       "MOS: %.2f",
			       m.late, m.packets, 100 * m.late / m.packets, m.mos_low);
		if (others >= 0)
			dx_say(f,
			       "the other workers' calls are clean: their median received jitter "
			       "is "
			       "%.1f ms at most — the network path is not the cause",
			       others);
		else
			dx_say(f, "no other worker to compare with");
		score = others >= 0 ? 85 : 70;
	}
	return score;
}

const struct dx_rule dx_rules_workers[] = {
        {"worker.oom", "Worker Disconnection During Test > Resource exhaustion (OOM)",
         "Give the worker more memory, or fewer endpoints per worker (spread them over more "
         "workers).",
         m_oom},
        {"worker.restart", "Worker Disconnection During Test > Container restart",
         "Nothing to change in the test: find why the orchestrator restarted the worker (its "
         "container's lifecycle logs) and run again.",
         m_restart},
        {"worker.disconnect", "Worker Disconnection During Test > Network failure",
         "Restore the worker's path to the gateway; run several workers so one loss does not "
         "fail the run.",
         m_disconnect},
        {"worker.cpu_saturation", "Worker CPU Saturation",
         "Give the worker more CPU (lift its quota), or put fewer endpoints on it (spread them "
         "over more workers).",
         m_cpu_saturation},
        {NULL},
};

/* rules_workers.c — the run failed because a worker was lost while it ran
 * (the guide's "Worker Disconnection During Test").
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

/* How a worker's process ended is known to the lab, its parent (lab.json),
 * not to a hosted platform: the platform sees the connection close or the
 * heartbeats stop, and the memory each heartbeat reported before. A worker
 * lost while its memory was still growing fits an OOM kill, but a crash or a
 * kill under load look the same from here, so this scores below a plain
 * disconnect until the report carries more evidence. */
static int m_oom(const struct dx_evidence *ev, struct dx_finding *f)
{
	int score = 0;
	for (int i = 0; i < ev->n_workers; i++) {
		const struct dx_worker *w = &ev->workers[i];
		int lost = lost_endpoints(ev, w->name);
		if (!w->lost || !lost || w->samples < 2 || w->first_rss_kb <= 0 ||
		    w->last_rss_kb < w->first_rss_kb * 1.1)
			continue;
		dx_say(f,
		       "%s went OFFLINE at %.1f s; %d of its %.0f endpoints were closed with "
		       "OSERROR at that instant",
		       w->name, w->lost_t / 1000, lost, w->endpoints);
		dx_say(f,
		       "its heartbeats reported its memory growing from %.1f MB to %.1f MB "
		       "(%d samples) until it went silent",
		       w->first_rss_kb / 1024, w->last_rss_kb / 1024, w->samples);
		score = 60;
	}
	return score;
}

static int m_disconnect(const struct dx_evidence *ev, struct dx_finding *f)
{
	int score = 0;
	for (int i = 0; i < ev->n_workers; i++) {
		const struct dx_worker *w = &ev->workers[i];
		int lost = lost_endpoints(ev, w->name);
		if (!w->lost || !lost)
			continue;
		dx_say(f,
		       "%s went OFFLINE at %.1f s during the run; %d of its endpoints were closed "
		       "with OSERROR at once",
		       w->name, w->lost_t / 1000, lost);
		score = 85;
	}
	return score;
}

const struct dx_rule dx_rules_workers[] = {
        {"worker.oom", "Worker Disconnection During Test > Resource exhaustion (OOM)",
         "Give the worker more memory, or fewer endpoints per worker (spread them over more "
         "workers).",
         m_oom},
        {"worker.disconnect", "Worker Disconnection During Test > Network failure",
         "Restore the worker's path to the gateway; run several workers so one loss does not "
         "fail the run.",
         m_disconnect},
        {NULL},
};

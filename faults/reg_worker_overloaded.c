/* reg.worker_overloaded — one worker has far less CPU than its endpoints
 * need while the others have room. Mechanism: that worker's CPU cgroup. From
 * from_s into the run its quota is cpu_pct percent of one core, for for_s
 * seconds of the scenario, then lifted. Starved, the worker sends its
 * REGISTERs late and reads their answers later still; the endpoints not
 * registered when its run deadline comes fail (REGISTRATION_FAILED, no final
 * answer before the run ended). Its heartbeats are late but small and still
 * get out, and the quota is lifted between the worker's deadline and the
 * gateway's, so it stays ONLINE and delivers its results: not a worker
 * disconnect. The remedy is the quota removed (or fewer endpoints on it).
 *
 * Measured (2 cores, cgroup v1, time scale 0.1, scenarios/
 * reg_worker_overloaded.json): at 0.1 % (1 ms of CPU per 1 s period, the
 * kernel's least quota and longest period; the worker gets ~1.3 ms a
 * second) a worker's endpoints progress together and register in a burst
 * near the end: 60 of them took 80 to 110 s of the scenario, a race with the
 * worker's deadline (82 s from when it reads its dispatch — itself 10 to
 * 30 s late when the quota came at the run's start, hence from_s: 1 s, after
 * the dispatch is read). With 100 a worker and a 10 s buildup (12 to 17 of
 * them registered before the quota), three runs at once: 83 to 89 of its 100
 * failed to register, the other worker's 100 all registered. Even 1 %
 * starved nothing: registering costs well under 1 ms an endpoint. Its
 * heartbeats came up to 8 s apart (79 s of the scenario's time, more than
 * the default gateway timeout of 60 s): the scenario's timeout, 160 s, is
 * longer than the quota lasts plus a heartbeat, so even a silent worker
 * stays ONLINE. The quota is lifted at 150 s: after the worker's deadline
 * (90 s), and 2.2 s (real) before the gateway's (172 s) for the worker to
 * send its results. */
#include "fault.h"

/* What the timed actions need: which worker, and its share. */
static struct {
	int k;
	double pct;
} starved;

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	return le_worker_cgroups(le, e);
}

static int starve(struct lab_edit *le, const void *arg, err_t *e)
{
	(void)arg;
	int rc = le_worker_cpu_limit(le, starved.k, starved.pct, e);
	if (!rc)
		le_note(le, "fault: %s's CPU limited to %g%% of one core (%d endpoints on it)",
		        le_worker_name(le, starved.k), starved.pct,
		        le_worker_endpoints(le, starved.k));
	return rc;
}

static int lift(struct lab_edit *le, const void *arg, err_t *e)
{
	(void)arg;
	int rc = le_worker_cpu_limit(le, starved.k, 0, e);
	if (!rc)
		le_note(le, "fault: %s's CPU quota lifted", le_worker_name(le, starved.k));
	return rc;
}

/* The quota from from_s on (after the worker has read its dispatch, so its
 * deadline does not move with the starving), lifted for_s later. */
static int run_start(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	starved.k = (int)a->v[0].num - 1;
	starved.pct = a->v[1].num;
	if (starved.k >= le_workers(le))
		return err_set(e, EINVAL, "reg.worker_overloaded: worker %d, but the lab has %d",
		               starved.k + 1, le_workers(le));
	double from = a->v[2].num, until = from + a->v[3].num;
	int rc = from > 0 ? le_at(le, le_ms(le, from), starve, NULL, e) : starve(le, NULL, e);
	return rc ? rc : le_at(le, le_ms(le, until), lift, NULL, e);
}

const struct fault fault_reg_worker_overloaded = {
        .code = "reg.worker_overloaded",
        .summary = "one worker has too little CPU for its endpoints",
        .applied = "from from_s into the run: that worker's CPU cgroup quota, lifted for_s later",
        .reverted = "the next lab's workers have no CPU quota",
        .params = {{"worker", FP_INT, "2", 1, SCN_MAX_WORKERS, NULL,
                    "the worker starved (1 is the first)", NULL},
                   {"cpu_pct", FP_NUMBER, "0.1", 0.1, 100, "% of one core",
                    "the CPU share that worker keeps", NULL},
                   {"from_s", FP_DURATION, "1", 0, 86400, "s",
                    "when the quota starts, from the run's start", NULL},
                   {"for_s", FP_DURATION, "149", 1, 86400, "s", "how long the quota lasts", NULL}},
        .topology = topology,
        .run_start = run_start,
};

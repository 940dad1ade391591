/* reg.worker_overloaded — one worker has far less CPU than its endpoints
 * need while the others have room. Mechanism: that worker's CPU cgroup.
 * When the run starts its quota is set to cpu_pct percent of one core, for
 * for_s seconds of the scenario, then lifted. Starved, the worker sends its
 * REGISTERs late and reads their answers later still; the endpoints not
 * registered when its run deadline comes fail (REGISTRATION_FAILED, no final
 * answer before the run ended). Its heartbeats are late but small and still
 * get out, and the quota is lifted between the worker's deadline and the
 * gateway's, so it stays ONLINE and delivers its results: not a worker
 * disconnect. The remedy is the quota removed (or fewer endpoints on it).
 *
 * Measured (2 cores, cgroup v1, time scale 0.1, scenarios/
 * reg_worker_overloaded.json): at 0.1 % (1 ms of CPU per 1 s period, the
 * kernel's least quota and longest period) a worker gets 20 to 40 endpoints
 * through REGISTER in the 8 s its deadline allows, so 20 or 40 per worker
 * registered late and failed only their calls; with 60 per worker 38 to 54 of
 * its 60 failed to register in each of several runs, the other worker's 60
 * all registered. Even 1 % starved nothing: registering costs ~0.3 ms a
 * endpoint. Its REGISTER transactions themselves do not time out: each slice
 * reads their answers before sofia's timers give up. Its heartbeats came at
 * most 2 s apart (20 s of the scenario's time; the gateway's timeout there
 * is 120 s). The quota is lifted at 110 s: after the worker's deadline
 * (82 s from its dispatch, which the starved worker itself reads late, ~10 s
 * in) and well before the gateway's (164 s). */
#include "fault.h"

/* What a timed action needs: which worker. */
static int lift_worker;

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	return le_worker_cgroups(le, e);
}

static int lift(struct lab_edit *le, const void *arg, err_t *e)
{
	int k = *(const int *)arg;
	int rc = le_worker_cpu_limit(le, k, 0, e);
	if (!rc)
		le_note(le, "fault: %s's CPU quota lifted", le_worker_name(le, k));
	return rc;
}

static int run_start(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	int k = (int)a->v[0].num - 1;
	double pct = a->v[1].num;
	if (k >= le_workers(le))
		return err_set(e, EINVAL, "reg.worker_overloaded: worker %d, but the lab has %d",
		               k + 1, le_workers(le));
	int rc = le_worker_cpu_limit(le, k, pct, e);
	if (rc)
		return rc;
	le_note(le, "fault: %s's CPU limited to %g%% of one core for %g s (%d endpoints on it)",
	        le_worker_name(le, k), pct, a->v[2].num, le_worker_endpoints(le, k));
	lift_worker = k;
	return le_at(le, le_ms(le, a->v[2].num), lift, &lift_worker, e);
}

const struct fault fault_reg_worker_overloaded = {
        .code = "reg.worker_overloaded",
        .summary = "one worker has too little CPU for its endpoints",
        .applied = "when the run starts: that worker's CPU cgroup quota, lifted after for_s",
        .reverted = "the next lab's workers have no CPU quota",
        .params = {{"worker", FP_INT, "2", 1, SCN_MAX_WORKERS, NULL,
                    "the worker starved (1 is the first)", NULL},
                   {"cpu_pct", FP_NUMBER, "0.1", 0.1, 100, "% of one core",
                    "the CPU share that worker keeps", NULL},
                   {"for_s", FP_DURATION, "110", 1, 86400, "s",
                    "how long the quota lasts from the run's start", NULL}},
        .topology = topology,
        .run_start = run_start,
};

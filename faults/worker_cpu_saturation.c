/* worker.cpu_saturation — one worker's CPU quota is too small for the media
 * of its calls, while the others have room. Mechanism: that worker's CPU
 * cgroup (as a container's --cpus), set from from_s into the run. Its
 * REGISTERs and INVITEs cost little and still get through, so its calls
 * connect; but the 20 ms pace of RTP does not fit in the quota: the kernel
 * throttles the worker for the rest of each period, its packets leave in
 * bursts and the ones it receives are read late — jitter on both directions
 * of its calls, on that worker only. The remedy is the quota removed (or
 * fewer endpoints on that worker). */
#include "fault.h"

static struct {
	int k;
	double pct;
} saturated;

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	return le_worker_cgroups(le, e);
}

static int limit(struct lab_edit *le, const void *arg, err_t *e)
{
	(void)arg;
	int rc = le_worker_cpu_limit(le, saturated.k, saturated.pct, e);
	if (!rc)
		le_note(le, "fault: %s's CPU limited to %g%% of one core (%d endpoints on it)",
		        le_worker_name(le, saturated.k), saturated.pct,
		        le_worker_endpoints(le, saturated.k));
	return rc;
}

static int run_start(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	saturated.k = (int)a->v[0].num - 1;
	saturated.pct = a->v[1].num;
	if (saturated.k >= le_workers(le))
		return err_set(e, EINVAL, "worker.cpu_saturation: worker %d, but the lab has %d",
		               saturated.k + 1, le_workers(le));
	double from = a->v[2].num;
	return from > 0 ? le_at(le, le_ms(le, from), limit, NULL, e) : limit(le, NULL, e);
}

const struct fault fault_worker_cpu_saturation = {
        .code = "worker.cpu_saturation",
        .summary = "one worker's CPU quota is too small for the media of its calls",
        .applied = "from from_s into the run: that worker's CPU cgroup quota",
        .reverted = "the next lab's workers have no CPU quota",
        .params = {{"worker", FP_INT, "1", 1, SCN_MAX_WORKERS, NULL,
                    "the worker whose CPU is limited (1 is the first)", NULL},
                   {"cpu_pct", FP_NUMBER, "2", 0.1, 100, "% of one core",
                    "the CPU share that worker keeps", NULL},
                   {"from_s", FP_DURATION, "0", 0, 86400, "s",
                    "when the quota starts, from the run's start", NULL}},
        .topology = topology,
        .run_start = run_start,
};

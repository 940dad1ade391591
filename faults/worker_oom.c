/* worker.oom — the worker runs in a memory cgroup too small for its
 * endpoints, and the kernel OOM-kills it mid-run. Mechanism: the worker's
 * memory cgroup. When the run starts, its limit is set to what the worker
 * uses at that moment plus a headroom — too little for the endpoints it is
 * about to create, whatever the build (a sanitizer build is much larger) —
 * so the kill comes mid-run, after the worker was ONLINE and dispatched. The
 * remedy is a larger limit, or fewer endpoints per worker. */
#include "fault.h"

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	return le_worker_cgroups(le, e);
}

/* Each worker that was given endpoints: its usage now plus the headroom. */
static int run_start(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	long long headroom = (long long)(a->v[0].num * (1 << 20));
	for (int i = 0; i < le_workers(le); i++) {
		long long used = le_worker_memory(le, i);
		if (!le_worker_endpoints(le, i))
			continue;
		if (used < 0)
			return err_set(e, ENOENT, "%s has no memory cgroup to limit",
			               le_worker_name(le, i));
		int rc = le_worker_memory_limit(le, i, used + headroom, e);
		if (rc)
			return rc;
		le_note(le, "fault: %s's memory limited to %.1f MB (%.1f MB in use + %g MB)",
		        le_worker_name(le, i), (double)(used + headroom) / (1 << 20),
		        (double)used / (1 << 20), a->v[0].num);
	}
	return 0;
}

const struct fault fault_worker_oom = {
        .code = "worker.oom",
        .summary = "each worker's memory cgroup is too small for its endpoints",
        .applied = "when the run starts: each worker's memory cgroup limit, set to its usage "
                   "then plus a headroom",
        .reverted = "the next lab's workers have no memory limit",
        .params = {{"headroom_mb", FP_NUMBER, "3", 0.1, 65536, "MB",
                    "memory the worker may still take once the run starts", NULL}},
        .topology = topology,
        .run_start = run_start,
};

/* worker.oom — the worker runs in a memory cgroup too small for its
 * endpoints, and the kernel OOM-kills it mid-run. Mechanism: the worker's
 * memory cgroup. When the run starts, its limit is set to what the worker
 * uses at that moment plus a headroom — too little for the endpoints it is
 * about to create, whatever the build (a sanitizer build is much larger) —
 * so the kill comes mid-run, after the worker was ONLINE and dispatched. The
 * remedy is a larger limit, or fewer endpoints per worker. */
#include "fault.h"

static int apply(struct fault_plan *p, const char *const *v, double time_scale, err_t *e)
{
	(void)time_scale;
	(void)e;
	p->worker_headroom_kb = fault_num(v[0]) * 1024;
	return 0;
}

const struct fault fault_worker_oom = {
        .code = "worker.oom",
        .summary = "each worker's memory cgroup is too small for its endpoints",
        .applied = "when the run starts: each worker's memory cgroup limit, set to its usage "
                   "then plus a headroom",
        .reverted = "the next lab's workers have no memory limit",
        .params = {{"headroom_mb", "3", "memory the worker may still take once the run starts, MB",
                    NULL}},
        .apply = apply,
};

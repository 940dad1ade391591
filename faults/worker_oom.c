/* worker.oom — the worker runs in a memory cgroup too small for its
 * endpoints, and the kernel OOM-kills it mid-run. Mechanism: the cgroup's
 * memory limit. The remedy is a larger limit, or fewer endpoints per worker. */
#include "fault.h"

static int apply(struct fault_plan *p, const char *const *v, double time_scale, err_t *e)
{
	(void)time_scale;
	(void)e;
	p->worker_mem_kb = fault_num(v[0]) * 1024;
	return 0;
}

const struct fault fault_worker_oom = {
        .code = "worker.oom",
        .summary = "each worker's memory cgroup is too small for its endpoints",
        .applied = "before the run: the workers' memory cgroup limit",
        .params = {{"limit_mb", "24", "memory limit of each worker, MB", NULL}},
        .apply = apply,
};

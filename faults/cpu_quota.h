/* cpu_quota.h — what the faults that starve workers of CPU share
 * (reg.worker_overloaded, worker.cpu_saturation): the workers get CPU
 * cgroups, the aimed ones a quota of the fault's first parameter (cpu_pct)
 * when it strikes, lifted when it is undone. The two differ in the share
 * and in what the starving shows, not in the mechanism. */
#ifndef SIPLAB_CPU_QUOTA_H
#define SIPLAB_CPU_QUOTA_H

#include "fault.h"

static inline int cpu_quota_topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	return le_worker_cgroups(le, e);
}

/* params[0] is cpu_pct, in percent of one core. */
static inline int cpu_quota_on(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	return le_aimed_cpu_limit(le, a->v[0].num, e);
}

static inline int cpu_quota_off(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	return le_aimed_cpu_limit(le, 0, e);
}

#endif

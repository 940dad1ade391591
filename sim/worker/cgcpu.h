/* cgcpu.h — the worker's own CPU quota and throttling, read the way a
 * process in a container can: its cpu cgroup from /proc/self/cgroup, then
 * that cgroup's files under /sys/fs/cgroup (cgroup v1: cpu/PATH/
 * cpu.cfs_quota_us, cpu.cfs_period_us and cpu.stat; v2: PATH/cpu.max and
 * cpu.stat). The worker reports its CPU use as a share of its quota in its
 * heartbeats, so the platform sees a worker held at its allowance. */
#ifndef SIPLAB_CGCPU_H
#define SIPLAB_CGCPU_H

struct cgcpu {
	int version;         /* 1 or 2; 0 when no cpu cgroup could be read */
	double limit_pct;    /* the quota in % of one core; -1 when there is none */
	long long periods;   /* enforcement periods so far (cpu.stat nr_periods), -1 unknown */
	long long throttled; /* of them, periods it was held back in (nr_throttled), -1 unknown */
};

/* Read them under root: "" for this process's own files, or a folder that
 * holds proc/self/cgroup and sys/fs/cgroup/... (a test's fixture). Returns
 * 0, or -ENOENT when no cpu cgroup is readable (c->version is then 0). */
int cgcpu_read(const char *root, struct cgcpu *c);

#endif

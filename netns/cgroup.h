/* cgroup.h — per-process memory and CPU limits for lab processes, on cgroup v2
 * or v1, and the evidence of an OOM kill. All of a lab's cgroups sit under one
 * directory per controller, named after the lab's main process, so one
 * recursive removal cleans up after it (and a dead lab's leftovers can be
 * found by that name). */
#ifndef SIPLAB_CGROUP_H
#define SIPLAB_CGROUP_H

#include <limits.h>
#include <sys/types.h>

#include "../lib/sys.h"

struct cgroup_root {
	int version;        /* 2, 1, or 0 when no usable hierarchy is delegated to us */
	char why[512];      /* when version is 0: what was looked at, and why it can't be used */
	char mem[PATH_MAX]; /* v1 memory base (or the v2 base) for this lab */
	char cpu[PATH_MAX]; /* v1 cpu base ("" when the cpu controller is missing) */
	int made;           /* the base directories exist */
};

struct cgroup {
	char mem[PATH_MAX]; /* v2: the one directory; v1: the memory directory */
	char cpu[PATH_MAX]; /* v1 cpu directory, or "" */
	int version;
};

/* Find where this process may create cgroups and name the lab's base after
 * owner_pid. Never fails: when nothing is usable r->version is 0 and r->why
 * says why, so a caller that needs limits can report it. */
void cgroup_probe(struct cgroup_root *r, pid_t owner_pid);

/* Create the lab's base directories now (also done lazily by cgroup_create). */
int cgroup_prepare(struct cgroup_root *r, err_t *e);

/* cpu_pct for a cgroup of the cpu controller without a quota yet (one can be
 * set later); left out, without an error, where that controller is missing. */
#define CGROUP_CPU_NO_LIMIT (-1)

/* Create a cgroup for one process under the lab's base, with a memory limit in
 * bytes (0 or less: none) and a CPU limit in percent of one core (0: none;
 * CGROUP_CPU_NO_LIMIT: none yet). */
int cgroup_create(struct cgroup_root *r, const char *name, long long mem_bytes, int cpu_pct,
                  struct cgroup *cg, err_t *e);
/* Move the calling process into cg (used in a child between fork and exec). */
int cgroup_enter(const struct cgroup *cg, err_t *e);
/* How many times the kernel's OOM killer acted in cg (0 if unknown). */
int cgroup_oom_kills(const struct cgroup *cg);
/* Memory charged to the cgroup now, in bytes (-1 when unreadable). */
long long cgroup_memory_usage(const struct cgroup *cg);
/* Change the memory limit of a cgroup whose processes are running. */
int cgroup_set_memory_limit(const struct cgroup *cg, long long bytes, err_t *e);
/* Change the CPU quota of a cgroup whose processes are running: pct percent
 * of one core (0: none; at least 0.1); ENOTSUP when it has no cpu controller. */
int cgroup_set_cpu_limit(const struct cgroup *cg, double pct, err_t *e);
/* Kill what is left in cg and remove it. */
void cgroup_destroy(struct cgroup *cg);
/* Remove the lab's whole base (every cgroup in it), killing stragglers;
 * waits up to timeout_ms for the kernel to let the directories go. */
int cgroup_root_destroy(struct cgroup_root *r, int timeout_ms);
/* Remove bases left by labs whose main process is gone (after SIGKILL of both
 * the lab and its reaper). Returns how many were removed. */
int cgroup_sweep_stale(const struct cgroup_root *r);

/* Move a running process (the whole of it, every thread) into cg: for a
 * service started without a cgroup that a fault later limits. */
int cgroup_attach(const struct cgroup *cg, pid_t pid, err_t *e);

#endif

/* cgroup.c — memory and CPU limits for lab processes (see cgroup.h). */
#define _GNU_SOURCE
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The path of this process's cgroup in a hierarchy, from /proc/self/cgroup:
 * "0::/x" for v2, "N:memory:/x" (or "N:cpu,cpuacct:/x") for v1. */
static int own_path(const char *controller, char *out, size_t cap)
{
	char buf[4096];
	if (sys_read_file("/proc/self/cgroup", buf, sizeof(buf)) < 0)
		return -ENOENT;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1;
		int match = 0;
		if (!controller)
			match = !strcmp(line, "0") && *ctrls == '\0';
		else
			for (char *save = NULL, *tok = strtok_r((char *)ctrls, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				match |= !strcmp(tok, controller);
		if (match)
			return sys_strlcpy(out, c2 + 1, cap);
	}
	return -ENOENT;
}

static int is_fs(const char *path, long magic)
{
	struct statfs st;
	return statfs(path, &st) == 0 && (long)st.f_type == magic;
}

static int probe_v2(struct cgroup_root *r, pid_t owner)
{
	char rel[PATH_MAX], dir[PATH_MAX], ctl[512];
	if (own_path(NULL, rel, sizeof(rel)) < 0)
		return 0;
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", strcmp(rel, "/") ? rel : "");
	char f[PATH_MAX + 32];
	snprintf(f, sizeof(f), "%s/cgroup.controllers", dir);
	if (sys_read_file(f, ctl, sizeof(ctl)) < 0 || !strstr(ctl, "memory")) {
		snprintf(r->why, sizeof(r->why),
		         "cgroup v2 at %s does not offer the memory controller to us", dir);
		return 0;
	}
	if (access(dir, W_OK) < 0) {
		snprintf(r->why, sizeof(r->why),
		         "cgroup v2 at %s is not delegated to uid %d (not writable)", dir,
		         (int)getuid());
		return 0;
	}
	/* Our cgroup must hand memory down to the lab's; a cgroup that holds
	 * processes cannot start doing so (no internal processes in v2). */
	snprintf(f, sizeof(f), "%s/cgroup.subtree_control", dir);
	if (sys_read_file(f, ctl, sizeof(ctl)) < 0 || !strstr(ctl, "memory")) {
		snprintf(r->why, sizeof(r->why),
		         "cgroup v2 at %s does not enable memory for its children "
		         "(cgroup.subtree_control); run siplab in a delegated cgroup, e.g. "
		         "systemd-run --scope -p Delegate=yes",
		         dir);
		return 0;
	}
	snprintf(r->mem, sizeof(r->mem), "%s/siplab.%d", dir, (int)owner);
	r->cpu[0] = '\0';
	r->version = 2;
	return 1;
}

static int probe_v1(struct cgroup_root *r, pid_t owner)
{
	char rel[PATH_MAX], dir[PATH_MAX + 32];
	if (!is_fs("/sys/fs/cgroup/memory", 0x27e0eb /* CGROUP_SUPER_MAGIC */) ||
	    own_path("memory", rel, sizeof(rel)) < 0) {
		snprintf(r->why, sizeof(r->why),
		         "neither cgroup v2 with the memory controller nor a cgroup v1 memory "
		         "hierarchy is mounted under /sys/fs/cgroup");
		return 0;
	}
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory%s", strcmp(rel, "/") ? rel : "");
	if (access(dir, W_OK) < 0) {
		snprintf(r->why, sizeof(r->why),
		         "cgroup v1 memory hierarchy at %s is not writable by uid %d (not "
		         "delegated); run as root for memory and CPU limits",
		         dir, (int)getuid());
		return 0;
	}
	snprintf(r->mem, sizeof(r->mem), "%s/siplab.%d", dir, (int)owner);
	r->cpu[0] = '\0';
	if (own_path("cpu", rel, sizeof(rel)) == 0) {
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup/cpu%s", strcmp(rel, "/") ? rel : "");
		if (access(dir, W_OK) == 0)
			snprintf(r->cpu, sizeof(r->cpu), "%s/siplab.%d", dir, (int)owner);
	}
	r->version = 1;
	return 1;
}

void cgroup_probe(struct cgroup_root *r, pid_t owner)
{
	memset(r, 0, sizeof(*r));
	if (is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC)) {
		probe_v2(r, owner);
		return;
	}
	probe_v1(r, owner);
}

int cgroup_prepare(struct cgroup_root *r, err_t *e)
{
	if (r->made)
		return 0;
	if (mkdir(r->mem, 0755) < 0 && errno != EEXIST)
		return err_set(e, errno, "cannot create cgroup %s: %s", r->mem, strerror(errno));
	if (r->version == 2) {
		/* Children of our base get memory and cpu only if the base hands
		 * them down; cpu is optional. */
		char f[PATH_MAX + 32];
		snprintf(f, sizeof(f), "%s/cgroup.subtree_control", r->mem);
		int rc = sys_write_str(f, "+memory", e);
		if (rc)
			return err_wrap(e, rc, "cannot enable the memory controller for the lab");
		(void)sys_write_str(f, "+cpu", NULL);
	}
	if (r->cpu[0] && mkdir(r->cpu, 0755) < 0 && errno != EEXIST)
		r->cpu[0] = '\0';
	r->made = 1;
	return 0;
}

static int set_knob(const char *dir, const char *knob, const char *val, err_t *e)
{
	char f[PATH_MAX + 64];
	snprintf(f, sizeof(f), "%s/%s", dir, knob);
	return sys_write_str(f, val, e);
}

int cgroup_create(struct cgroup_root *r, const char *name, long long mem_bytes, int cpu_pct,
                  struct cgroup *cg, err_t *e)
{
	memset(cg, 0, sizeof(*cg));
	if (r->version == 0)
		return err_set(e, EPERM, "memory/CPU limits are unavailable: %s", r->why);
	int rc = cgroup_prepare(r, e);
	if (rc)
		return rc;
	cg->version = r->version;
	snprintf(cg->mem, sizeof(cg->mem), "%s/%s", r->mem, name);
	if (mkdir(cg->mem, 0755) < 0 && errno != EEXIST)
		return err_set(e, errno, "cannot create cgroup %s: %s", cg->mem, strerror(errno));
	char v[64];
	if (mem_bytes > 0) {
		snprintf(v, sizeof(v), "%lld", mem_bytes);
		rc = set_knob(cg->mem, r->version == 2 ? "memory.max" : "memory.limit_in_bytes", v,
		              e);
		/* Without swap limits a v2 cgroup would page out instead of dying. */
		if (!rc && r->version == 2)
			(void)set_knob(cg->mem, "memory.swap.max", "0", NULL);
	}
	if (!rc && cpu_pct == CGROUP_CPU_NO_LIMIT && r->version == 1 && r->cpu[0]) {
		snprintf(cg->cpu, sizeof(cg->cpu), "%s/%s", r->cpu, name);
		if (mkdir(cg->cpu, 0755) < 0 && errno != EEXIST)
			cg->cpu[0] = '\0'; /* optional: a later quota then says so */
	}
	if (!rc && cpu_pct > 0) {
		if (r->version == 2) {
			rc = cgroup_set_cpu_limit(cg, cpu_pct, e);
		} else if (r->cpu[0]) {
			snprintf(cg->cpu, sizeof(cg->cpu), "%s/%s", r->cpu, name);
			if (mkdir(cg->cpu, 0755) < 0 && errno != EEXIST)
				rc = err_set(e, errno, "cannot create cgroup %s: %s", cg->cpu,
				             strerror(errno));
			if (!rc)
				rc = cgroup_set_cpu_limit(cg, cpu_pct, e);
		} else {
			rc = err_set(e, ENOTSUP,
			             "a CPU limit was asked for, but the cgroup v1 cpu "
			             "controller is not available to us");
		}
	}
	if (rc)
		cgroup_destroy(cg);
	return rc;
}

int cgroup_enter(const struct cgroup *cg, err_t *e)
{
	int rc = set_knob(cg->mem, "cgroup.procs", "0", e);
	if (!rc && cg->cpu[0])
		rc = set_knob(cg->cpu, "cgroup.procs", "0", e);
	return rc;
}

int cgroup_oom_kills(const struct cgroup *cg)
{
	char f[PATH_MAX + 32], buf[2048];
	snprintf(f, sizeof(f), "%s/%s", cg->mem,
	         cg->version == 2 ? "memory.events" : "memory.oom_control");
	if (sys_read_file(f, buf, sizeof(buf)) < 0)
		return 0;
	const char *p = strstr(buf, "oom_kill ");
	return p ? atoi(p + 9) : 0;
}

long long cgroup_memory_usage(const struct cgroup *cg)
{
	char f[PATH_MAX + 32], buf[64];
	snprintf(f, sizeof(f), "%s/%s", cg->mem,
	         cg->version == 2 ? "memory.current" : "memory.usage_in_bytes");
	return sys_read_file(f, buf, sizeof(buf)) > 0 ? atoll(buf) : -1;
}

int cgroup_set_memory_limit(const struct cgroup *cg, long long bytes, err_t *e)
{
	char v[64];
	snprintf(v, sizeof(v), "%lld", bytes);
	return set_knob(cg->mem, cg->version == 2 ? "memory.max" : "memory.limit_in_bytes", v, e);
}

/* The quota is per 100 ms period (pct of one core is pct ms of it); below
 * the kernel's least quota of 1 ms the period grows instead, up to 1 s, so
 * shares down to 0.1 % can be given. */
int cgroup_set_cpu_limit(const struct cgroup *cg, double pct, err_t *e)
{
	long period = 100000, quota = lround(period * pct / 100);
	if (pct > 0 && quota < 1000) {
		quota = 1000;
		period = lround(quota * 100 / pct);
		period = period > 1000000 ? 1000000 : period;
	}
	char v[64];
	if (cg->version == 2) {
		if (pct > 0)
			snprintf(v, sizeof(v), "%ld %ld", quota, period);
		else
			snprintf(v, sizeof(v), "max %ld", period);
		return set_knob(cg->mem, "cpu.max", v, e);
	}
	if (!cg->cpu[0])
		return err_set(e, ENOTSUP,
		               "a CPU limit was asked for, but the cgroup v1 cpu controller is "
		               "not available to us");
	snprintf(v, sizeof(v), "%ld", pct > 0 ? quota : -1L);
	int rc = set_knob(cg->cpu, "cpu.cfs_quota_us", v, e);
	snprintf(v, sizeof(v), "%ld", period);
	return rc ? rc : set_knob(cg->cpu, "cpu.cfs_period_us", v, e);
}

/* SIGKILL every process listed in dir/cgroup.procs; returns how many. */
static int kill_members(const char *dir)
{
	char f[PATH_MAX + 32], buf[8192];
	snprintf(f, sizeof(f), "%s/cgroup.procs", dir);
	if (sys_read_file(f, buf, sizeof(buf)) <= 0)
		return 0;
	int n = 0;
	for (char *s = strtok(buf, "\n"); s; s = strtok(NULL, "\n"), n++)
		(void)kill((pid_t)atoi(s), SIGKILL);
	return n;
}

/* Depth-first: kill and remove children, then the directory itself. */
static int remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		char sub[PATH_MAX + 300];
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		(void)remove_tree(sub);
	}
	closedir(d);
	kill_members(dir);
	return rmdir(dir) < 0 && errno != ENOENT ? -errno : 0;
}

void cgroup_destroy(struct cgroup *cg)
{
	if (cg->mem[0])
		(void)remove_tree(cg->mem);
	if (cg->cpu[0])
		(void)remove_tree(cg->cpu);
	cg->mem[0] = cg->cpu[0] = '\0';
}

static int remove_with_retry(const char *dir, int timeout_ms)
{
	long long deadline = sys_now_ns() + (long long)timeout_ms * 1000000LL;
	int rc;
	/* Killed processes leave their cgroup a moment after the signal. */
	while ((rc = remove_tree(dir)) == -EBUSY && sys_now_ns() < deadline)
		usleep(5000);
	return rc;
}

int cgroup_root_destroy(struct cgroup_root *r, int timeout_ms)
{
	int rc = 0;
	if (r->version == 0)
		return 0;
	if (r->mem[0])
		rc = remove_with_retry(r->mem, timeout_ms);
	if (r->cpu[0]) {
		int rc2 = remove_with_retry(r->cpu, timeout_ms);
		rc = rc ? rc : rc2;
	}
	r->made = 0;
	return rc;
}

static int sweep_dir(const char *base_path)
{
	char parent[PATH_MAX];
	if (sys_strlcpy(parent, base_path, sizeof(parent)) < 0)
		return 0;
	char *slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	DIR *d = opendir(parent);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		int pid;
		char tail;
		if (sscanf(de->d_name, "siplab.%d%c", &pid, &tail) != 1 || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno == EPERM)
			continue; /* its lab is still alive */
		char sub[PATH_MAX + 300];
		snprintf(sub, sizeof(sub), "%s/%s", parent, de->d_name);
		n += remove_with_retry(sub, 500) == 0;
	}
	closedir(d);
	return n;
}

int cgroup_sweep_stale(const struct cgroup_root *r)
{
	if (r->version == 0)
		return 0;
	int n = sweep_dir(r->mem);
	if (r->cpu[0])
		n += sweep_dir(r->cpu);
	return n;
}

int cgroup_attach(const struct cgroup *cg, pid_t pid, err_t *e)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	int rc = set_knob(cg->mem, "cgroup.procs", v, e);
	if (!rc && cg->cpu[0])
		rc = set_knob(cg->cpu, "cgroup.procs", v, e);
	return rc;
}

/* cgcpu.c — the worker's CPU cgroup, as a container sees it (see cgcpu.h). */
#define _GNU_SOURCE
#include "cgcpu.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/sys.h"

/* This process's cpu cgroup, from /proc/self/cgroup's lines
 * "ID:CONTROLLERS:PATH": the v1 hierarchy with the cpu controller ("4:cpu,
 * cpuacct:/x"; its folder under /sys/fs/cgroup is named by the controller
 * list), else the v2 one ("0::/x"). Returns the version, 0 when neither. */
static int own_cgroup(char *text, char *path, size_t cap, char *ctl, size_t ctl_cap)
{
	int version = 0;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		if (!strcmp(line, "0") && !c1[1]) {
			if (!version && sys_strlcpy(path, c2 + 1, cap) >= 0)
				version = 2;
			continue;
		}
		char list[256];
		if (sys_strlcpy(list, c1 + 1, sizeof(list)) < 0)
			continue;
		for (char *s2 = NULL, *tok = strtok_r(list, ",", &s2); tok;
		     tok = strtok_r(NULL, ",", &s2))
			if (!strcmp(tok, "cpu") && sys_strlcpy(path, c2 + 1, cap) >= 0 &&
			    sys_strlcpy(ctl, c1 + 1, ctl_cap) >= 0)
				return 1;
	}
	return version;
}

/* One number from a control file (-2 when unreadable; v2's "max" is -1). */
static long long read_num(const char *dir, const char *file)
{
	char f[PATH_MAX + 64], buf[64], *end;
	snprintf(f, sizeof(f), "%s/%s", dir, file);
	if (sys_read_file(f, buf, sizeof(buf)) <= 0)
		return -2;
	if (!strncmp(buf, "max", 3))
		return -1;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	return end == buf || errno ? -2 : v;
}

/* A "key value" line of cpu.stat, -1 when absent. */
static long long stat_value(const char *stat, const char *key)
{
	size_t n = strlen(key);
	for (const char *l = stat; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, n) && l[n] == ' ')
			return strtoll(l + n + 1, NULL, 10);
	return -1;
}

/* The quota as % of one core: v1 quota/period (quota -1: none), v2 cpu.max
 * "QUOTA PERIOD" or "max PERIOD". Returns -ENOENT when the files are not there. */
static int read_limit(const char *dir, int version, double *pct)
{
	long long quota, period;
	if (version == 1) {
		quota = read_num(dir, "cpu.cfs_quota_us");
		period = read_num(dir, "cpu.cfs_period_us");
		if (quota == -2 || period <= 0)
			return -ENOENT;
	} else {
		char f[PATH_MAX + 64], buf[64];
		snprintf(f, sizeof(f), "%s/cpu.max", dir);
		if (sys_read_file(f, buf, sizeof(buf)) <= 0)
			return -ENOENT;
		quota = !strncmp(buf, "max", 3) ? -1 : strtoll(buf, NULL, 10);
		const char *sp = strchr(buf, ' ');
		period = sp ? strtoll(sp + 1, NULL, 10) : 100000;
		if (period <= 0)
			return -ENOENT;
	}
	*pct = quota < 0 ? -1 : 100.0 * (double)quota / (double)period;
	return 0;
}

static int read_dir(const char *dir, int version, struct cgcpu *c)
{
	double pct;
	if (read_limit(dir, version, &pct))
		return -ENOENT;
	char f[PATH_MAX + 64], stat[1024];
	snprintf(f, sizeof(f), "%s/cpu.stat", dir);
	int have = sys_read_file(f, stat, sizeof(stat)) > 0;
	c->version = version;
	c->limit_pct = pct;
	c->periods = have ? stat_value(stat, "nr_periods") : -1;
	c->throttled = have ? stat_value(stat, "nr_throttled") : -1;
	return 0;
}

int cgcpu_read(const char *root, struct cgcpu *c)
{
	char f[PATH_MAX], text[4096], path[PATH_MAX], ctl[256] = "", mnt[PATH_MAX + 300],
	                                              dir[2 * PATH_MAX + 300];
	memset(c, 0, sizeof(*c));
	c->limit_pct = -1;
	snprintf(f, sizeof(f), "%s/proc/self/cgroup", root);
	if (sys_read_file(f, text, sizeof(text)) <= 0)
		return -ENOENT;
	int version = own_cgroup(text, path, sizeof(path), ctl, sizeof(ctl));
	if (!version)
		return -ENOENT;
	/* v1 hosts mount the hierarchy under its controller list ("cpu,cpuacct")
	 * or under "cpu" alone; v2 has one tree. As for memory, a container may
	 * see its own cgroup as the mount's root: then the files are there. */
	static const char *const v1_dirs[] = {NULL, "cpu"};
	for (int k = 0; k < (version == 1 ? 2 : 1); k++) {
		const char *sub = version == 2 ? "" : k == 0 ? ctl : v1_dirs[k];
		snprintf(mnt, sizeof(mnt), "%s/sys/fs/cgroup%s%s", root, *sub ? "/" : "", sub);
		snprintf(dir, sizeof(dir), "%s%s", mnt, strcmp(path, "/") ? path : "");
		if (!read_dir(dir, version, c) || !read_dir(mnt, version, c))
			return 0;
	}
	return -ENOENT;
}

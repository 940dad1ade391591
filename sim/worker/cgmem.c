/* cgmem.c — the worker's memory cgroup, as a container sees it (see cgmem.h). */
#define _GNU_SOURCE
#include "cgmem.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/sys.h"

/* cgroup v1 has no word for "no limit": memory.limit_in_bytes then holds the
 * largest page count it can in bytes (0x7ffffffffffff000 with 4 kB pages).
 * No real limit comes near 2^62 bytes. */
#define V1_NO_LIMIT (1LL << 62)

/* This process's memory cgroup, from /proc/self/cgroup's lines
 * "ID:CONTROLLERS:PATH": the v1 hierarchy that has the memory controller
 * ("4:memory:/x"), else the v2 one ("0::/x"). A hybrid host mounts both, with
 * memory on v1, so v1's line wins. Returns the version, 0 when neither. */
static int own_cgroup(char *text, char *path, size_t cap)
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
		for (char *s2 = NULL, *tok = strtok_r(c1 + 1, ",", &s2); tok;
		     tok = strtok_r(NULL, ",", &s2))
			if (!strcmp(tok, "memory") && sys_strlcpy(path, c2 + 1, cap) >= 0)
				return 1;
	}
	return version;
}

/* A control file's value in bytes: -1 for "max" (v2's no limit), -2 when the
 * file cannot be read or holds no number. */
static long long read_bytes(const char *dir, const char *file)
{
	char f[PATH_MAX + 64], buf[64], *end;
	snprintf(f, sizeof(f), "%s/%s", dir, file);
	if (sys_read_file(f, buf, sizeof(buf)) <= 0)
		return -2;
	if (!strncmp(buf, "max", 3))
		return -1;
	errno = 0;
	long long v = strtoll(buf, &end, 10);
	return end == buf || errno || v < 0 ? -2 : v;
}

/* usage and limit from one cgroup directory; -ENOENT when it has none. */
static int read_dir(const char *dir, int version, struct cgmem *m)
{
	long long usage =
	        read_bytes(dir, version == 2 ? "memory.current" : "memory.usage_in_bytes");
	long long limit = read_bytes(dir, version == 2 ? "memory.max" : "memory.limit_in_bytes");
	if (usage < 0 || limit == -2)
		return -ENOENT;
	m->version = version;
	m->usage = usage;
	m->limit = limit >= V1_NO_LIMIT ? -1 : limit;
	return 0;
}

int cgmem_read(const char *root, struct cgmem *m)
{
	char f[PATH_MAX], text[4096], path[PATH_MAX], mnt[PATH_MAX], dir[2 * PATH_MAX];
	memset(m, 0, sizeof(*m));
	snprintf(f, sizeof(f), "%s/proc/self/cgroup", root);
	if (sys_read_file(f, text, sizeof(text)) <= 0)
		return -ENOENT;
	int version = own_cgroup(text, path, sizeof(path));
	if (!version)
		return -ENOENT;
	snprintf(mnt, sizeof(mnt), "%s/sys/fs/cgroup%s", root, version == 1 ? "/memory" : "");
	/* The path is from the hierarchy's root, which is where the host mounts
	 * it. A container may see its own cgroup mounted as the root instead
	 * (a cgroup namespace shows the path as "/"; without one the path names
	 * a folder the container's mount does not have): then its files are at
	 * the mount itself. */
	snprintf(dir, sizeof(dir), "%s%s", mnt, strcmp(path, "/") ? path : "");
	if (!read_dir(dir, version, m))
		return 0;
	return read_dir(mnt, version, m);
}

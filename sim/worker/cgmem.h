/* cgmem.h — the worker's own memory limit and usage, read the way a process
 * in a container can: its memory cgroup from /proc/self/cgroup, then that
 * cgroup's files under /sys/fs/cgroup (cgroup v1: memory/PATH/
 * memory.limit_in_bytes and memory.usage_in_bytes; v2: PATH/memory.max and
 * memory.current). The worker reports both in its heartbeats, so the
 * platform sees its memory climb towards its limit. */
#ifndef SIPLAB_CGMEM_H
#define SIPLAB_CGMEM_H

struct cgmem {
	int version;     /* 1 or 2; 0 when no memory cgroup could be read */
	long long usage; /* bytes charged to the cgroup now */
	long long limit; /* bytes; -1 when the cgroup has no limit */
};

/* Read them under root: "" for this process's own files, or a folder that
 * holds proc/self/cgroup and sys/fs/cgroup/... (a test's fixture). Returns
 * 0, or -ENOENT when no memory cgroup is readable (m->version is then 0). */
int cgmem_read(const char *root, struct cgmem *m);

#endif

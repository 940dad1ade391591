/* lab.h — a running lab: a topology built inside a sandbox, and the processes
 * started in its hosts.
 *
 * Each host is a network namespace (with its own interfaces, routes, sysctls
 * and nftables ruleset); each process started in a host also gets its own
 * mount and UTS namespaces, so it sees that host's /etc/resolv.conf,
 * /etc/hosts, /proc, /sys and hostname. */
#ifndef SIPLAB_LAB_H
#define SIPLAB_LAB_H

#include <sys/types.h>

#include "cgroup.h"
#include "sandbox.h"
#include "../lib/sys.h"
#include "topo.h"

struct lab_host {
	int netns;             /* fd keeping the host's network namespace alive */
	char resolv[PATH_MAX]; /* its /etc/resolv.conf, in the lab's runtime dir */
	char hosts[PATH_MAX];  /* its /etc/hosts */
};

/* How a process ended. */
struct lab_status {
	int exited; /* exited normally with code */
	int code;
	int signaled; /* killed by signal sig */
	int sig;
	int oom_killed; /* killed by the kernel's OOM killer (SIGKILL + cgroup event) */
};

struct lab_proc {
	pid_t pid;
	int host;
	int pidfd; /* pollable; -1 when the kernel has no pidfd */
	int has_cg;
	struct cgroup cg;
	int done;
	struct lab_status st;
	char ready[128]; /* a service: what it said when ready ("udp:10.10.4.2:53") */
	struct lab_proc *next;
};

struct lab_spawn_opts {
	/* bytes; 0 = no limit; LAB_MEM_NO_LIMIT = a memory cgroup of its own
	 * without a limit (its usage can be read, a limit set later) */
	long long mem_limit;
	int cpu_pct; /* percent of one core; 0 = no limit; CGROUP_CPU_NO_LIMIT = none yet */
	int fd_in, fd_out, fd_err; /* -1 = inherit the lab's own */
	int fd_pass;               /* -1, or a descriptor the child gets as its fd 3 */
	/* NULL, or "NAME=value" strings (NULL-terminated) added to the child's
	 * environment only: the lab's own stays as it is. */
	char *const *env;
	/* 1: fd_in is a terminal (a pty's slave end): the child leads a session
	 * of its own with it as its controlling terminal, so a shell in it has
	 * job control. */
	int ctty;
};
#define LAB_MEM_NO_LIMIT (-1LL)
#define LAB_SPAWN_OPTS_INIT                                            \
	{                                                              \
		.fd_in = -1, .fd_out = -1, .fd_err = -1, .fd_pass = -1 \
	}

/* How the lab knows a service it started is ready to serve. */
enum lab_ready_how {
	/* The service writes "READY <what>" on the descriptor named by
	 * SIPLAB_READY_FD (lib/ready.h): siplab's own services. */
	LAB_READY_LINE,
	/* A program that cannot (Kamailio): a SIP OPTIONS sent over UDP from
	 * inside its host to sip_addr:sip_port gets a response, any response. */
	LAB_READY_SIP,
};

struct lab_ready {
	enum lab_ready_how how;
	int timeout_ms;
	const char *sip_addr; /* LAB_READY_SIP */
	int sip_port;
};

struct lab {
	struct topo *topo; /* owned */
	struct lab_host hosts[TOPO_MAX_HOSTS];
	struct sandbox sb;
	struct lab_proc *procs;
	int seq;            /* for naming cgroups */
	long long build_ns; /* time taken to build the topology */
};

/* Enter a fresh sandbox and build topo in it (the lab takes ownership of topo,
 * also on failure). rundir: see sandbox_enter. */
int lab_up(struct lab *lab, struct topo *topo, const char *rundir, err_t *e);
/* Stop every process, remove everything the lab made, leave the sandbox. */
void lab_down(struct lab *lab);

/* Start argv in host (by name); opts may be NULL. */
int lab_spawn(struct lab *lab, const char *host, char *const argv[],
              const struct lab_spawn_opts *opts, struct lab_proc **out, err_t *e);
/* Start a long-running service in host with its output in the file log, and
 * wait until it is ready as `ready` says (its answer in (*out)->ready). When it
 * exits first or stays unready for ready->timeout_ms (it is then killed), an
 * error that names the service, says it never became ready and why, and gives
 * the log's path and its last lines. */
int lab_service(struct lab *lab, const char *host, char *const argv[], const char *log,
                const struct lab_ready *ready, struct lab_proc **out, err_t *e);
/* Run fn(arg) in a child inside host; the child's exit code is fn's result. */
int lab_spawn_fn(struct lab *lab, const char *host, int (*fn)(void *), void *arg,
                 const struct lab_spawn_opts *opts, struct lab_proc **out, err_t *e);
/* Wait for p to end (timeout_ms < 0: forever). 0 when it ended, -ETIMEDOUT. */
int lab_wait(struct lab *lab, struct lab_proc *p, int timeout_ms, struct lab_status *st);
/* Collect every child that has ended, tracked or orphaned (the lab is PID 1
 * of its namespace). Returns how many. */
int lab_reap(struct lab *lab);
/* Forget a finished process (frees it). */
void lab_release(struct lab *lab, struct lab_proc *p);

/* Run nftables commands (a ruleset, or "delete table inet x") in a running
 * host: a fault switched on or off mid-run. */
int lab_host_nft(struct lab *lab, const char *host, const char *cmds, err_t *e);
/* Set a sysctl in a running host; its value before goes to old (cap bytes)
 * unless old is NULL. */
int lab_host_sysctl(struct lab *lab, const char *host, const char *key, const char *val, char *old,
                    size_t cap, err_t *e);

/* A sentence for a status: "exited with 0", "killed by SIGKILL (OOM kill)". */
const char *lab_status_str(const struct lab_status *st, char *buf, size_t cap);

/* A running process's CPU quota from now on, in percent of one core (0:
 * none): a process started without a cgroup is moved into a CPU cgroup of
 * its own first (removed with it). ENOTSUP without a cpu controller. */
int lab_proc_cpu_limit(struct lab *lab, struct lab_proc *p, double pct, err_t *e);

#endif

/* sandbox.h — the private namespaces every lab lives in.
 *
 * The calling process moves into new user, mount, network and PID namespaces.
 * Its children are born in the new PID namespace under a tiny init that dies
 * with the caller, so when the caller exits — or is SIGKILLed — the kernel
 * kills every lab process and frees every network namespace and interface.
 * What the kernel does not clean up by itself (cgroup directories, the lab's
 * runtime directory) is removed by a reaper process left outside, which
 * waits for the caller to be gone. The host's network is never touched: the
 * caller's own network namespace is new and empty, with no link out. */
#ifndef SIPLAB_SANDBOX_H
#define SIPLAB_SANDBOX_H

#include <limits.h>
#include <sys/types.h>

#include "cgroup.h"
#include "sys.h"

struct sandbox {
	pid_t owner; /* the process that entered (host PID) */
	pid_t init; /* PID 1 of the lab's PID namespace, as seen by owner */
	pid_t reaper; /* cleanup process outside the namespaces */
	int lifeline; /* write end held only by owner; EOF tells the reaper to clean */
	int home_netns; /* fd of the owner's (empty) network namespace */
	int unprivileged; /* entered as a non-root user through a user namespace */
	char rundir[PATH_MAX]; /* lab runtime files; removed on exit */
	struct cgroup_root cg;
};

/* Can this process create a user namespace? Returns 0, or -errno with a reason
 * in e (used to skip unprivileged tests with a message). Runs in a child. */
int sandbox_userns_available(err_t *e);

/* Enter the sandbox. rundir is created (mode 0700) and removed on exit. */
int sandbox_enter(struct sandbox *sb, const char *rundir, err_t *e);
/* Normal exit: kill every lab process, remove cgroups and rundir, and wait for
 * the reaper. The caller stays in its (now empty) namespaces. */
void sandbox_leave(struct sandbox *sb);

/* The directory for lab runtime files of this user: $XDG_RUNTIME_DIR/siplab or
 * /tmp/siplab-UID, created 0700 and checked to be ours. */
int sandbox_user_dir(char *out, size_t cap, err_t *e);

#endif

/* sandbox.h — the private namespaces every lab lives in.
 *
 * sandbox_enter() is called by the process that wants a lab (the owner). It
 * forks; the lab itself runs in the child, which is PID 1 of new PID, user,
 * mount and network namespaces, and sandbox_enter returns there. The owner
 * never returns from a successful sandbox_enter: it stays outside, forwards
 * SIGINT/SIGTERM/SIGHUP to the lab, and exits with the lab's exit status.
 *
 *   owner (host namespaces)  -- reaper: removes cgroups and runtime files once
 *     |                                 every lab process is gone
 *     +- shell (unshares, waits, dies with the owner)
 *          +- lab, PID 1 (dies with the shell; all lab processes die with it)
 *
 * So when the owner exits or is SIGKILLed, the kernel kills every lab process
 * and frees every network namespace and interface, and the reaper removes
 * what the kernel leaves. The lab's own network namespace is new and empty:
 * it has no link to the host's. The lab being PID 1 of its namespace also
 * keeps sanitizers working (their helper threads must share its PID view). */
#ifndef SIPLAB_SANDBOX_H
#define SIPLAB_SANDBOX_H

#include <limits.h>
#include <sys/types.h>

#include "cgroup.h"
#include "../lib/sys.h"

struct sandbox {
	pid_t owner;           /* the process that asked for the lab (host PID) */
	pid_t reaper;          /* cleanup process outside (owner's child) */
	int home_netns;        /* fd of the lab's own (empty) network namespace */
	int unprivileged;      /* entered as a non-root user through a user namespace */
	char rundir[PATH_MAX]; /* lab runtime files; removed on exit */
	struct cgroup_root cg;
};

/* Can this process create a user namespace? Returns 0, or -errno with a reason
 * in e (used to skip unprivileged tests with a message). Runs in a child. */
int sandbox_userns_available(err_t *e);

/* Enter the sandbox (see above). rundir is created (mode 0700) and removed on
 * exit. Returns 0 in the lab; returns an error in the owner if the lab could
 * not be started; otherwise the owner exits with the lab's status. */
int sandbox_enter(struct sandbox *sb, const char *rundir, err_t *e);
/* In the lab, at the end: remove cgroups and rundir (the reaper would too). */
void sandbox_leave(struct sandbox *sb);

/* The directory for lab runtime files of this user: $XDG_RUNTIME_DIR/siplab or
 * /tmp/siplab-UID, created 0700 and checked to be ours. */
int sandbox_user_dir(char *out, size_t cap, err_t *e);

#endif

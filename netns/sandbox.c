/* sandbox.c — private namespaces, the lab's PID 1 and the reaper (see sandbox.h). */
#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int sandbox_user_dir(char *out, size_t cap, err_t *e)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (xdg && *xdg && stat(xdg, &st) == 0 && st.st_uid == getuid())
		snprintf(out, cap, "%s/siplab", xdg);
	else
		snprintf(out, cap, "/tmp/siplab-%d", (int)getuid());
	if (mkdir(out, 0700) < 0 && errno != EEXIST)
		return err_set(e, errno, "cannot create %s: %s", out, strerror(errno));
	/* A directory someone else made in /tmp must not be trusted. */
	if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077))
		return err_set(e, EPERM,
			       "%s exists but is not a private directory owned by uid %d; "
			       "remove it or set XDG_RUNTIME_DIR",
			       out, (int)getuid());
	return 0;
}

/* Fork a child that only tries unshare(CLONE_NEWUSER): the test must not
 * change the calling process. */
int sandbox_userns_available(err_t *e)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return err_set(e, errno, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		return err_set(e, errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		int err = unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0 ? errno : 0;
		(void)!write(pfd[1], &err, sizeof(err));
		_exit(0);
	}
	close(pfd[1]);
	int err = EIO;
	(void)!read(pfd[0], &err, sizeof(err));
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	if (!err)
		return 0;
	char why[128] = "";
	char v[32];
	if (sys_read_file("/proc/sys/kernel/unprivileged_userns_clone", v, sizeof(v)) > 0 &&
	    atoi(v) == 0)
		snprintf(why, sizeof(why), " (kernel.unprivileged_userns_clone = 0)");
	else if (sys_read_file("/proc/sys/user/max_user_namespaces", v, sizeof(v)) > 0 &&
		 atoi(v) == 0)
		snprintf(why, sizeof(why), " (user.max_user_namespaces = 0)");
	return err_set(e, err, "user namespaces are not available to uid %d: %s%s",
		       (int)getuid(), strerror(err), why);
}

/* --- the reaper ------------------------------------------------------------ */

static void reaper_main(struct sandbox *sb, int lifeline_rd)
{
	/* Own session: a Ctrl-C meant for the lab must not stop the cleanup. */
	setsid();
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	/* Close everything but the lifeline: holding the caller's pipes open would
	 * keep a reader of its output waiting. */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != lifeline_rd)
			close(fd);
	char c;
	while (read(lifeline_rd, &c, 1) != 0 && errno == EINTR)
		;
	/* The owner is gone (exit or kill). Its init died with it, taking the
	 * lab's processes; remove what the kernel leaves behind. */
	(void)cgroup_root_destroy(&sb->cg, 3000);
	(void)sys_rm_tree(sb->rundir);
	_exit(0);
}

/* --- PID 1 of the lab -------------------------------------------------------- */

static void init_main(int lifeline_rd)
{
	/* Die with the owner: the kernel then kills every process in this PID
	 * namespace. The pipe check closes the race with an owner that died
	 * before prctl took effect. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct pollfd p = {.fd = lifeline_rd, .events = POLLIN};
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLIN)))
		_exit(0);
	/* Hold nothing of the owner's: an inherited pipe would keep its reader
	 * waiting for an end of file that never comes. */
	for (int fd = 0; fd < 1024; fd++)
		close(fd);
	prctl(PR_SET_NAME, "siplab-init");
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		/* Reap orphans of lab processes; sleep when there are none. */
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD) {
			int sig;
			sigset_t chld;
			sigemptyset(&chld);
			sigaddset(&chld, SIGCHLD);
			sigwait(&chld, &sig);
		}
	}
}

/* --- entering ---------------------------------------------------------------- */

/* An ordinary user may map only itself, and only after giving up setgroups;
 * it can do that from inside. */
static int map_self(uid_t uid, gid_t gid, err_t *e)
{
	char map[64];
	int rc = sys_write_str("/proc/self/setgroups", "deny", e);
	if (rc)
		return rc;
	snprintf(map, sizeof(map), "0 %d 1", (int)uid);
	if ((rc = sys_write_str("/proc/self/uid_map", map, e)))
		return rc;
	snprintf(map, sizeof(map), "0 %d 1", (int)gid);
	return sys_write_str("/proc/self/gid_map", map, e);
}

/* Root maps every ID to itself, so files and tools (tcpdump dropping to its
 * own user, say) behave as outside. A full map must be written by a process
 * with CAP_SETUID in the parent namespace, so a helper forked before unshare
 * writes it once told to. */
struct mapper {
	pid_t pid;
	int go, done; /* owner writes to go; reads the helper's errno from done */
};

static int mapper_start(struct mapper *m, err_t *e)
{
	int go[2], done[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return err_set(e, errno, "pipe: %s", strerror(errno));
	if (pipe2(done, O_CLOEXEC) < 0) {
		close(go[0]);
		close(go[1]);
		return err_set(e, errno, "pipe: %s", strerror(errno));
	}
	pid_t owner = getpid();
	m->pid = fork();
	if (m->pid == 0) {
		char c, path[64];
		int err = 0;
		close(go[1]);
		close(done[0]);
		if (read(go[0], &c, 1) == 1) {
			snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)owner);
			err = sys_write_str(path, "0 0 4294967295", NULL);
			snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)owner);
			if (!err)
				err = sys_write_str(path, "0 0 4294967295", NULL);
		}
		(void)!write(done[1], &err, sizeof(err));
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	m->go = go[1];
	m->done = done[0];
	if (m->pid < 0) {
		close(m->go);
		close(m->done);
		return err_set(e, errno, "fork: %s", strerror(errno));
	}
	return 0;
}

/* Tell the helper to write the maps (now == 1) or just to go away. */
static int mapper_finish(struct mapper *m, int now, err_t *e)
{
	int err = -EIO;
	if (now && write(m->go, "m", 1) == 1 && read(m->done, &err, sizeof(err)) != sizeof(err))
		err = -EIO;
	close(m->go);
	close(m->done);
	waitpid(m->pid, NULL, 0);
	if (!now)
		return 0;
	return err ? err_set(e, -err, "cannot write the lab's user ID map: %s", strerror(-err))
		   : 0;
}

static int enter_namespaces(struct sandbox *sb, err_t *e)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct mapper m = {0, -1, -1};
	int rc;
	if (!sb->unprivileged && (rc = mapper_start(&m, e)))
		return rc;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) < 0) {
		int err = errno;
		err_t why;
		if (!sb->unprivileged)
			(void)mapper_finish(&m, 0, NULL);
		if (uid != 0 && sandbox_userns_available(&why) < 0)
			return err_set(e, err, "cannot create the lab's namespaces: %s", why.msg);
		return err_set(e, err, "cannot create the lab's namespaces: %s", strerror(err));
	}
	rc = sb->unprivileged ? map_self(uid, gid, e) : mapper_finish(&m, 1, e);
	if (rc)
		return err_wrap(e, rc, "cannot map user IDs into the lab");
	/* Nothing mounted in the lab may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return err_set(e, errno, "cannot make mounts private: %s", strerror(errno));
	sb->home_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (sb->home_netns < 0)
		return err_set(e, errno, "cannot open own network namespace: %s", strerror(errno));
	return 0;
}

int sandbox_enter(struct sandbox *sb, const char *rundir, err_t *e)
{
	memset(sb, 0, sizeof(*sb));
	sb->lifeline = sb->home_netns = -1;
	sb->owner = getpid();
	sb->unprivileged = geteuid() != 0;
	/* After a setuid() the kernel makes /proc/self root's; the ID maps
	 * below must be writable by us. */
	if (sb->unprivileged)
		prctl(PR_SET_DUMPABLE, 1);
	if (sys_strlcpy(sb->rundir, rundir, sizeof(sb->rundir)) < 0)
		return err_set(e, ENAMETOOLONG, "runtime directory path too long");
	if (mkdir(rundir, 0700) < 0)
		return err_set(e, errno, "cannot create %s: %s", rundir, strerror(errno));
	cgroup_probe(&sb->cg, sb->owner);
	(void)cgroup_sweep_stale(&sb->cg);
	/* Made now, outside the user namespace, so the limits work the same for
	 * every process the lab starts later. */
	if (sb->cg.version && cgroup_prepare(&sb->cg, NULL) < 0) {
		snprintf(sb->cg.why, sizeof(sb->cg.why), "cannot create %s", sb->cg.mem);
		sb->cg.version = 0;
	}

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		rmdir(rundir);
		return err_set(e, errno, "pipe: %s", strerror(errno));
	}
	fflush(NULL);
	sb->reaper = fork();
	if (sb->reaper == 0) {
		close(pfd[1]);
		reaper_main(sb, pfd[0]);
	}
	if (sb->reaper < 0) {
		int err = errno;
		close(pfd[0]);
		close(pfd[1]);
		rmdir(rundir);
		return err_set(e, err, "fork: %s", strerror(err));
	}
	sb->lifeline = pfd[1];
	int rc = enter_namespaces(sb, e);
	if (rc == 0) {
		sb->init = fork();
		if (sb->init == 0) {
			close(pfd[1]);
			init_main(pfd[0]);
		}
		if (sb->init < 0)
			rc = err_set(e, errno, "cannot start the lab's init: %s", strerror(errno));
	}
	close(pfd[0]);
	if (rc)
		sandbox_leave(sb);
	return rc;
}

void sandbox_leave(struct sandbox *sb)
{
	if (sb->init > 0) {
		/* PID 1 going away kills the rest of its namespace. */
		kill(sb->init, SIGKILL);
		waitpid(sb->init, NULL, 0);
		sb->init = 0;
	}
	(void)cgroup_root_destroy(&sb->cg, 3000);
	(void)sys_rm_tree(sb->rundir);
	if (sb->home_netns >= 0)
		close(sb->home_netns);
	sb->home_netns = -1;
	if (sb->lifeline >= 0)
		close(sb->lifeline);
	sb->lifeline = -1;
	if (sb->reaper > 0)
		waitpid(sb->reaper, NULL, 0);
	sb->reaper = 0;
}

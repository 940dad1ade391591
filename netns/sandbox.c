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
	return err_set(e, err, "user namespaces are not available to uid %d: %s%s", (int)getuid(),
	               strerror(err), why);
}

/* --- the reaper ------------------------------------------------------------ */

/* Close every descriptor but keep: inherited pipes held open here would keep
 * their readers waiting for an end of file. */
static void close_all_but(int keep)
{
	for (int fd = 3; fd < 1024; fd++)
		if (fd != keep)
			close(fd);
}

static void reaper_main(struct sandbox *sb, int lifeline_rd)
{
	/* Own session: a Ctrl-C meant for the lab must not stop the cleanup. */
	setsid();
	prctl(PR_SET_NAME, "siplab-reaper");
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	}
	close_all_but(lifeline_rd);
	char c;
	while (read(lifeline_rd, &c, 1) < 0 && errno == EINTR)
		;
	/* Every holder of the lifeline is gone — owner, shell, the lab and its
	 * processes — however they ended. Remove what the kernel leaves. */
	(void)cgroup_root_destroy(&sb->cg, 3000);
	(void)sys_rm_tree(sb->rundir);
	_exit(0);
}

/* --- the shell: unshare, start the lab as PID 1, wait for it ----------------- */

/* Messages from the shell to the owner, over a pipe. */
struct shell_msg {
	int err;       /* errno of a failure, 0 when the lab started */
	pid_t lab_pid; /* the lab's host PID */
	char text[512];
};

/* Die with the parent; the pipe check closes the race with a parent that died
 * before prctl took effect. */
static void die_with_parent(int hup_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	struct pollfd p = {.fd = hup_fd, .events = POLLIN};
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLIN)))
		_exit(128 + SIGKILL);
}

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
 * own user, say) behave as outside. A full map must be written from the
 * parent namespace by a process with CAP_SETUID there: the owner does it. */
static int map_all(pid_t pid, err_t *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	int rc = sys_write_str(path, "0 0 4294967295", e);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	return rc ? rc : sys_write_str(path, "0 0 4294967295", e);
}

struct chan {
	int to_owner;   /* shell -> owner: struct shell_msg */
	int from_owner; /* owner -> shell: "maps written"; hangs up when the owner dies */
	int lifeline;   /* write end of the reaper's pipe */
};

static void shell_fail(const struct chan *c, int err, const char *text)
{
	struct shell_msg m = {.err = err ? err : EIO};
	snprintf(m.text, sizeof(m.text), "%s", text);
	(void)!write(c->to_owner, &m, sizeof(m));
	_exit(1);
}

/* In the shell. Returns only in the lab (PID 1). */
static void shell_main(struct sandbox *sb, const struct chan *c, uid_t uid, gid_t gid)
{
	err_t e;
	die_with_parent(c->from_owner);
	signal(SIGINT, SIG_IGN); /* the owner forwards signals to the lab */
	signal(SIGQUIT, SIG_IGN);
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID) < 0) {
		int err = errno;
		if (uid != 0 && sandbox_userns_available(&e) < 0)
			shell_fail(c, err, e.msg);
		snprintf(e.msg, sizeof(e.msg), "cannot create the lab's namespaces: %s",
		         strerror(err));
		shell_fail(c, err, e.msg);
	}
	if (sb->unprivileged) {
		if (map_self(uid, gid, &e))
			shell_fail(c, EPERM, e.msg);
	} else {
		struct shell_msg ask = {.err = -1};
		char ok = 0;
		(void)!write(c->to_owner, &ask, sizeof(ask));
		if (read(c->from_owner, &ok, 1) != 1 || ok != 'y')
			_exit(1); /* the owner reports it */
	}
	/* Nothing mounted in the lab may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		shell_fail(c, errno, "cannot make the lab's mounts private");
	int alive[2]; /* hangs up for the lab when the shell dies */
	if (pipe2(alive, O_CLOEXEC) < 0)
		shell_fail(c, errno, "pipe");
	fflush(NULL);
	pid_t lab = fork();
	if (lab < 0)
		shell_fail(c, errno, "cannot start the lab process");
	if (lab == 0) {
		close(alive[1]);
		die_with_parent(alive[0]);
		close(alive[0]);
		close(c->to_owner);
		close(c->from_owner);
		close(c->lifeline);
		return;
	}
	struct shell_msg m = {.err = 0, .lab_pid = lab};
	(void)!write(c->to_owner, &m, sizeof(m));
	close_all_but(alive[1]);
	int status;
	while (waitpid(lab, &status, 0) < 0 && errno == EINTR)
		;
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* --- the owner: wait outside, forward signals, exit with the lab's status ---- */

static void owner_wait(struct sandbox *sb, pid_t shell, pid_t lab, int lifeline)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int status = 0;
	for (;;) {
		if (waitpid(shell, &status, WNOHANG) == shell)
			break;
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig > 0 && sig != SIGCHLD)
			kill(lab, sig);
	}
	/* The lab is gone: let the reaper finish before we report, so that when
	 * siplab returns nothing of the lab is left. */
	close(lifeline);
	waitpid(sb->reaper, NULL, 0);
	fflush(NULL);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Read the shell's messages until the lab has started or the shell failed. */
static int owner_start(struct sandbox *sb, pid_t shell, const struct chan *c, pid_t *lab, err_t *e)
{
	struct shell_msg m;
	for (;;) {
		if (read(c->to_owner, &m, sizeof(m)) != sizeof(m))
			return err_set(e, EIO, "the lab's namespace setup ended unexpectedly");
		if (m.err > 0)
			return err_set(e, m.err, "%s", m.text);
		if (m.err == 0) {
			*lab = m.lab_pid;
			return 0;
		}
		/* The shell has unshared and asks for its ID maps. */
		int rc = map_all(shell, e);
		if (rc) {
			err_wrap(e, rc, "cannot map user IDs into the lab");
			return rc;
		}
		if (write(c->from_owner, "y", 1) != 1)
			return err_set(e, EIO, "the lab's namespace setup ended unexpectedly");
	}
}

static int make_pipes(int p[3][2])
{
	for (int i = 0; i < 3; i++)
		if (pipe2(p[i], O_CLOEXEC) < 0) {
			while (i-- > 0) {
				close(p[i][0]);
				close(p[i][1]);
			}
			return -errno;
		}
	return 0;
}

/* In the lab, once started. */
static int lab_init(struct sandbox *sb, err_t *e)
{
	/* PID 1 drops signals it does not handle; blocked ones stay queued for
	 * the lab's event loop (signalfd) to read. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	prctl(PR_SET_NAME, "siplab-lab");
	sb->home_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (sb->home_netns < 0)
		return err_set(e, errno, "cannot open own network namespace: %s", strerror(errno));
	return 0;
}

/* Set in the lab process: its namespaces are for good, so a second lab from
 * the same process would nest inside the first. */
static int inside_lab;

int sandbox_enter(struct sandbox *sb, const char *rundir, err_t *e)
{
	if (inside_lab)
		return err_set(e, EBUSY,
		               "this process already runs a lab; start another lab from "
		               "a fresh process (fork first)");
	memset(sb, 0, sizeof(*sb));
	sb->home_netns = -1;
	sb->owner = getpid();
	sb->unprivileged = geteuid() != 0;
	/* After a setuid() the kernel makes /proc/self root's; the ID maps
	 * must be writable by us. */
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
	err_t cg_err;
	if (sb->cg.version && cgroup_prepare(&sb->cg, &cg_err) < 0) {
		snprintf(sb->cg.why, sizeof(sb->cg.why), "%s", cg_err.msg);
		sb->cg.version = 0;
	}
	/* p[0]: lifeline (reaper), p[1]: shell -> owner, p[2]: owner -> shell */
	int p[3][2], rc;
	if ((rc = make_pipes(p)) < 0) {
		sandbox_leave(sb);
		return err_set(e, -rc, "pipe: %s", strerror(-rc));
	}
	fflush(NULL);
	sb->reaper = fork();
	if (sb->reaper == 0) {
		close(p[0][1]);
		reaper_main(sb, p[0][0]);
	}
	close(p[0][0]);
	uid_t uid = geteuid();
	gid_t gid = getegid();
	pid_t shell = sb->reaper < 0 ? -1 : fork();
	if (shell == 0) {
		struct chan c = {p[1][1], p[2][0], p[0][1]};
		close(p[1][0]);
		close(p[2][1]);
		shell_main(sb, &c, uid, gid);
		inside_lab = 1;
		return lab_init(sb, e); /* here we are the lab */
	}
	close(p[1][1]);
	close(p[2][0]);
	struct chan c = {p[1][0], p[2][1], -1};
	pid_t lab = 0;
	if (shell < 0)
		rc = err_set(e, errno, "fork: %s", strerror(errno));
	else
		rc = owner_start(sb, shell, &c, &lab, e);
	close(p[1][0]);
	close(p[2][1]);
	if (rc == 0)
		owner_wait(sb, shell, lab, p[0][1]); /* does not return */
	if (shell > 0) {
		kill(shell, SIGKILL);
		waitpid(shell, NULL, 0);
	}
	close(p[0][1]);
	if (sb->reaper > 0)
		waitpid(sb->reaper, NULL, 0);
	sb->reaper = 0;
	return rc;
}

void sandbox_leave(struct sandbox *sb)
{
	(void)cgroup_root_destroy(&sb->cg, 3000);
	(void)sys_rm_tree(sb->rundir);
	if (sb->home_netns >= 0)
		close(sb->home_netns);
	sb->home_netns = -1;
}

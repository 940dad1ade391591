/* ctl.c — the control socket of a running lab (see ctl.h).
 *
 * Messages are SOCK_SEQPACKET datagrams: one opcode byte, then text.
 *   client -> lab: 'X' HOST\0ARG0\0ARG1\0...  (with stdin, stdout, stderr as
 *                  SCM_RIGHTS, so the command talks straight to the caller's
 *                  terminal), 'T' as 'X' but the three are a pty's slave end
 *                  (the command gets it as its controlling terminal), 'K'
 *                  SIGNAL, 'S' (status), 'D' (down)
 *   lab -> client: 'P' PID, 'R' "CODE SIG OOM", 'O' TEXT, 'E' ERROR */
#define _GNU_SOURCE
#include "ctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define CTL_MSG_MAX     65536
#define CTL_MAX_CLIENTS 32

static int sock_path(const char *rundir, struct sockaddr_un *sa, err_t *e)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", rundir, CTL_SOCK) >=
	    (int)sizeof(sa->sun_path))
		return err_set(e, ENAMETOOLONG, "socket path too long under %s", rundir);
	return 0;
}

static int lab_dir(const char *name, char *out, size_t cap, err_t *e)
{
	char user[PATH_MAX - 64];
	int rc = sandbox_user_dir(user, sizeof(user), e);
	if (rc)
		return rc;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return err_set(e, EINVAL,
			               "lab name \"%s\": expected letters, digits, '-', '_' or '.'",
			               name);
	if (!*name || *name == '.' || strlen(name) > 64)
		return err_set(e, EINVAL, "lab name \"%s\": expected 1-64 characters", name);
	snprintf(out, cap, "%s/%s", user, name);
	return 0;
}

static int connect_dir(const char *rundir, err_t *e)
{
	struct sockaddr_un sa;
	int rc = sock_path(rundir, &sa, e);
	if (rc)
		return rc;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int ctl_claim(const char *name, char *rundir, size_t cap, err_t *e)
{
	int rc = lab_dir(name, rundir, cap, e);
	if (rc)
		return rc;
	struct stat st;
	if (stat(rundir, &st) < 0)
		return 0;
	int fd = connect_dir(rundir, NULL);
	if (fd >= 0) {
		close(fd);
		return err_set(e, EEXIST,
		               "a lab named \"%s\" is already up; stop it with `siplab lab down "
		               "--name %s` or choose another --name",
		               name, name);
	}
	/* Nobody answers: a lab on its way out (its reaper is still removing
	 * the directory) or one that died together with its reaper. */
	for (int i = 0; i < 200 && stat(rundir, &st) == 0; i++)
		usleep(10000);
	(void)sys_rm_tree(rundir);
	return 0;
}

int ctl_listen(const char *rundir, err_t *e)
{
	struct sockaddr_un sa;
	int rc = sock_path(rundir, &sa, e);
	if (rc)
		return rc;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(e, errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		rc = err_set(e, errno, "cannot listen on %s: %s", sa.sun_path, strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

static int send_msg(int fd, char op, const char *text, size_t len)
{
	char buf[CTL_MSG_MAX];
	if (len + 1 > sizeof(buf))
		len = sizeof(buf) - 1;
	buf[0] = op;
	memcpy(buf + 1, text, len);
	return send(fd, buf, len + 1, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int send_str(int fd, char op, const char *text)
{
	return send_msg(fd, op, text, strlen(text));
}

/* --- describing a lab ------------------------------------------------------------ */

char *lab_describe(const struct lab *lab)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	const struct topo *t = lab->topo;
	fprintf(f, "lab \"%s\": %d hosts, %d links, built in %.1f ms\n", t->name, t->n_hosts,
	        t->n_links, (double)lab->build_ns / 1e6);
	fprintf(f, "  %-12s %-10s %s\n", "HOST", "ROLE", "INTERFACES");
	for (int h = 0; h < t->n_hosts; h++) {
		fprintf(f, "  %-12s %-10s", t->hosts[h].name, t->hosts[h].role);
		for (int i = 0; i < t->n_links; i++) {
			const struct topo_link *l = &t->links[i];
			const struct topo_end *me = l->a.host == h   ? &l->a
			                            : l->b.host == h ? &l->b
			                                             : NULL;
			const struct topo_end *peer = me == &l->a ? &l->b : &l->a;
			if (me)
				fprintf(f, " %s %s (to %s)", me->ifname, me->addr,
				        t->hosts[peer->host].name);
		}
		fputc('\n', f);
	}
	int n = 0;
	for (const struct lab_proc *p = lab->procs; p; p = p->next)
		n += !p->done;
	fprintf(f, "  processes running: %d; cgroups: %s\n", n,
	        lab->sb.cg.version ? (lab->sb.cg.version == 2 ? "v2" : "v1") : lab->sb.cg.why);
	fclose(f);
	return out;
}

/* --- the server -------------------------------------------------------------------- */

struct client {
	int fd;
	struct lab_proc *proc;
};

static void drop_client(struct lab *lab, struct client *c)
{
	if (c->proc) {
		/* The caller went away (or was interrupted): so does its command. */
		kill(-c->proc->pid, SIGHUP);
		lab_release(lab, c->proc);
	}
	close(c->fd);
	c->fd = -1;
	c->proc = NULL;
}

static void take_fds(struct msghdr *mh, int fds[3])
{
	fds[0] = fds[1] = fds[2] = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *in = (int *)CMSG_DATA(cm);
		for (size_t i = 0; i < n; i++) {
			if (i < 3)
				fds[i] = in[i];
			else
				close(in[i]);
		}
	}
}

static void do_exec(struct lab *lab, struct client *c, char *payload, size_t len, int fds[3],
                    int ctty)
{
	char *argv[256];
	int argc = 0;
	const char *host = payload;
	for (size_t off = strlen(host) + 1; off < len && argc < 255;
	     off += strlen(payload + off) + 1)
		argv[argc++] = payload + off;
	argv[argc] = NULL;
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_in = fds[0];
	o.fd_out = fds[1];
	o.fd_err = fds[2];
	o.ctty = ctty;
	err_t e;
	int rc = c->proc ? err_set(&e, EBUSY, "one command per connection")
	                 : lab_spawn(lab, host, argv, &o, &c->proc, &e);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (rc) {
		(void)send_str(c->fd, 'E', e.msg);
		return;
	}
	fprintf(stderr, "siplab: exec in %s: %s (pid %d)\n", host, argv[0], (int)c->proc->pid);
	char pid[32];
	snprintf(pid, sizeof(pid), "%d", (int)c->proc->pid);
	(void)send_str(c->fd, 'P', pid);
}

/* One request from a client. Returns 1 when the lab was asked to go down. */
static int handle(struct lab *lab, struct client *c, const char *status_extra)
{
	static char buf[CTL_MSG_MAX + 1];
	union {
		char b[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {buf, CTL_MSG_MAX};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf.b,
	                    .msg_controllen = sizeof(cbuf.b)};
	ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	int fds[3];
	take_fds(&mh, fds);
	if (n <= 0) {
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		drop_client(lab, c);
		return 0;
	}
	buf[n] = '\0';
	switch (buf[0]) {
	case 'X':
	case 'T':
		do_exec(lab, c, buf + 1, (size_t)n - 1, fds, buf[0] == 'T');
		return 0;
	case 'K':
		if (c->proc)
			kill(-c->proc->pid, atoi(buf + 1));
		break;
	case 'S': {
		char *d = lab_describe(lab), *all = NULL;
		if (d && status_extra && asprintf(&all, "%s%s", d, status_extra) < 0)
			all = NULL;
		(void)send_str(c->fd, 'O', all ? all : d ? d : "out of memory");
		free(all);
		free(d);
		break;
	}
	case 'D':
		(void)send_str(c->fd, 'O', "going down");
		return 1;
	default:
		(void)send_str(c->fd, 'E', "unknown request");
	}
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

static void finish_exec(struct lab *lab, struct client *c)
{
	struct lab_status st;
	if (lab_wait(lab, c->proc, 0, &st) < 0)
		return;
	char res[64];
	snprintf(res, sizeof(res), "%d %d %d", st.exited ? st.code : -1, st.signaled ? st.sig : 0,
	         st.oom_killed);
	(void)send_str(c->fd, 'R', res);
	lab_release(lab, c->proc);
	c->proc = NULL;
}

int ctl_serve(struct lab *lab, int lfd)
{
	return ctl_serve_status(lab, lfd, NULL);
}

int ctl_serve_status(struct lab *lab, int lfd, const char *status_extra)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	struct client cl[CTL_MAX_CLIENTS];
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		cl[i] = (struct client){-1, NULL};
	int result = 0;
	for (int done = 0; !done;) {
		struct pollfd pf[2 + 2 * CTL_MAX_CLIENTS];
		int map[2 + 2 * CTL_MAX_CLIENTS], n = 0;
		pf[n] = (struct pollfd){sfd, POLLIN, 0};
		map[n++] = -1;
		pf[n] = (struct pollfd){lfd, POLLIN, 0};
		map[n++] = -2;
		for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
			if (cl[i].fd < 0)
				continue;
			pf[n] = (struct pollfd){cl[i].fd, POLLIN, 0};
			map[n++] = i;
			if (cl[i].proc && cl[i].proc->pidfd >= 0) {
				pf[n] = (struct pollfd){cl[i].proc->pidfd, POLLIN, 0};
				map[n++] = CTL_MAX_CLIENTS + i;
			}
		}
		if (poll(pf, (nfds_t)n, -1) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n && !done; k++) {
			if (!pf[k].revents)
				continue;
			if (map[k] == -1) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGCHLD) {
					(void)lab_reap(lab);
					continue;
				}
				result = (int)si.ssi_signo;
				done = 1;
			} else if (map[k] == -2) {
				int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
				int slot = -1;
				for (int i = 0; fd >= 0 && i < CTL_MAX_CLIENTS && slot < 0; i++)
					slot = cl[i].fd < 0 ? i : -1;
				if (slot >= 0)
					cl[slot].fd = fd;
				else if (fd >= 0)
					close(fd);
			} else if (map[k] >= CTL_MAX_CLIENTS) {
				struct client *c = &cl[map[k] - CTL_MAX_CLIENTS];
				if (c->proc)
					finish_exec(lab, c);
			} else if (cl[map[k]].fd >= 0) {
				done = handle(lab, &cl[map[k]], status_extra);
			}
		}
	}
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (cl[i].fd >= 0)
			drop_client(lab, &cl[i]);
	if (sfd >= 0)
		close(sfd);
	return result;
}

/* --- clients ----------------------------------------------------------------------- */

static int connect_lab(const char *name, err_t *e)
{
	char dir[PATH_MAX];
	int rc = lab_dir(name, dir, sizeof(dir), e);
	if (rc)
		return rc;
	int fd = connect_dir(dir, e);
	if (fd < 0 && fd != -ENAMETOOLONG)
		return err_set(
		        e, -fd,
		        "no lab named \"%s\" is up (start one with `siplab lab up --name %s`; "
		        "`siplab lab list` shows the running ones)",
		        name, name);
	return fd;
}

static ssize_t recv_reply(int fd, char *buf, size_t cap)
{
	ssize_t n;
	while ((n = recv(fd, buf, cap - 1, 0)) < 0 && errno == EINTR)
		;
	if (n > 0)
		buf[n] = '\0';
	return n;
}

static int simple_request(const char *name, char op, char **text, err_t *e)
{
	int fd = connect_lab(name, e);
	if (fd < 0)
		return fd;
	char *buf = malloc(CTL_MSG_MAX + 1);
	int rc = buf ? send_msg(fd, op, "", 0) : -ENOMEM;
	ssize_t n = rc ? -1 : recv_reply(fd, buf, CTL_MSG_MAX + 1);
	if (n <= 0)
		rc = err_set(e, EPIPE, "lab \"%s\" did not answer", name);
	else if (buf[0] == 'E')
		rc = err_set(e, EINVAL, "%s", buf + 1);
	else if (text)
		*text = strdup(buf + 1);
	if (op == 'D' && rc == 0) {
		/* Wait until the lab has really gone: the socket closes last. */
		while (recv_reply(fd, buf, CTL_MSG_MAX + 1) > 0)
			;
	}
	free(buf);
	close(fd);
	return rc;
}

int ctl_down(const char *name, err_t *e)
{
	int rc = simple_request(name, 'D', NULL, e);
	char dir[PATH_MAX];
	struct stat st;
	/* Return only once everything is gone: the runtime directory goes last. */
	if (!rc && lab_dir(name, dir, sizeof(dir), NULL) == 0)
		for (int i = 0; i < 500 && stat(dir, &st) == 0; i++)
			usleep(10000);
	return rc;
}

int ctl_status(const char *name, char **text, err_t *e)
{
	*text = NULL;
	return simple_request(name, 'S', text, e);
}

int ctl_list(char **text, err_t *e)
{
	char user[PATH_MAX];
	int rc = sandbox_user_dir(user, sizeof(user), e);
	if (rc)
		return rc;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	DIR *d = f ? opendir(user) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		char dir[PATH_MAX + 300];
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", user, de->d_name);
		int fd = connect_dir(dir, NULL);
		if (fd >= 0) {
			fprintf(f, "%s\n", de->d_name);
			close(fd);
		}
	}
	if (d)
		closedir(d);
	if (f)
		fclose(f);
	*text = out;
	return out ? 0 : err_set(e, ENOMEM, "out of memory");
}

static int send_exec(int fd, char op, const char *host, char *const argv[], const int fds[3])
{
	char buf[CTL_MSG_MAX];
	size_t n = 0;
	buf[n++] = op;
	const char *parts[258];
	int k = 0;
	parts[k++] = host;
	for (int i = 0; argv[i] && k < 257; i++)
		parts[k++] = argv[i];
	for (int i = 0; i < k; i++) {
		size_t l = strlen(parts[i]) + 1;
		if (n + l > sizeof(buf))
			return -E2BIG;
		memcpy(buf + n, parts[i], l);
		n += l;
	}
	union {
		char b[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {buf, n};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf.b,
	                    .msg_controllen = sizeof(cbuf.b)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(3 * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, 3 * sizeof(int));
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* The lab's answer to a request of ours: 1 when the command ended (its
 * status in *exit_code), 0 when there is more to wait for, <0 on error. */
static int exec_reply(int fd, int *exit_code, err_t *e)
{
	char buf[1024];
	ssize_t n = recv_reply(fd, buf, sizeof(buf));
	if (n <= 0)
		return err_set(e, EPIPE, "the lab went down while the command was running");
	if (buf[0] == 'E')
		return err_set(e, EINVAL, "%s", buf + 1);
	if (buf[0] != 'R')
		return 0;
	int code = -1, sig = 0, oom = 0;
	sscanf(buf + 1, "%d %d %d", &code, &sig, &oom);
	*exit_code = sig ? 128 + sig : code;
	if (oom)
		fprintf(stderr, "siplab: the command was OOM-killed\n");
	return 1;
}

static void forward_signal(int fd, int sfd)
{
	struct signalfd_siginfo si;
	if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		char s[16];
		snprintf(s, sizeof(s), "%u", si.ssi_signo);
		(void)send_str(fd, 'K', s);
	}
}

static int wait_exec(int fd, int sfd, int *exit_code, err_t *e)
{
	for (;;) {
		struct pollfd pf[2] = {{fd, POLLIN, 0}, {sfd, POLLIN, 0}};
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			return err_set(e, errno, "poll: %s", strerror(errno));
		if (pf[1].revents)
			forward_signal(fd, sfd);
		int rc = pf[0].revents ? exec_reply(fd, exit_code, e) : 0;
		if (rc)
			return rc < 0 ? rc : 0;
	}
}

/* --- a command on a terminal: a pty pair ------------------------------------------ */

/* A pty pair made here, on the caller's side: the slave end goes to the
 * lab as the command's terminal, the master stays, relayed to ours. It
 * starts with our terminal's settings and window size. */
static int open_pty(int *master, int *slave, err_t *e)
{
	char name[64];
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof(name))) {
		int rc = err_set(e, errno, "cannot open a pseudo-terminal: %s", strerror(errno));
		if (m >= 0)
			close(m);
		return rc;
	}
	int s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		int rc = err_set(e, errno, "cannot open %s: %s", name, strerror(errno));
		close(m);
		return rc;
	}
	struct termios t;
	struct winsize ws;
	if (tcgetattr(0, &t) == 0)
		(void)tcsetattr(s, TCSANOW, &t);
	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(m, TIOCSWINSZ, &ws);
	*master = m;
	*slave = s;
	return 0;
}

/* Copy what is readable on `from` to `to`; 0 at its end (a pty master
 * whose slaves are all closed reads EIO). */
static int relay(int from, int to)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	(void)sys_write_all(to, buf, (size_t)n);
	return 1;
}

/* What the command wrote just before it ended may still sit in the pty. */
static void drain(int master)
{
	struct pollfd pf = {master, POLLIN, 0};
	while (poll(&pf, 1, 50) > 0 && relay(master, 1))
		;
}

/* Our terminal in raw mode while the command runs (its keys, Ctrl-C and
 * Ctrl-Z too, go to the command's terminal, whose line discipline makes
 * the signals there), our window size followed; restored after. */
static int relay_tty(int fd, int sfd, int master, int *exit_code, err_t *e)
{
	struct termios saved, raw;
	int have = tcgetattr(0, &saved) == 0, in_open = 1, out_open = 1;
	raw = saved;
	if (have) {
		cfmakeraw(&raw);
		(void)tcsetattr(0, TCSADRAIN, &raw);
	}
	int rc = 0;
	for (;;) {
		struct pollfd pf[4] = {{fd, POLLIN, 0},
		                       {sfd, POLLIN, 0},
		                       {in_open ? 0 : -1, POLLIN, 0},
		                       {out_open ? master : -1, POLLIN, 0}};
		if (poll(pf, 4, -1) < 0 && errno != EINTR) {
			rc = err_set(e, errno, "poll: %s", strerror(errno));
			break;
		}
		if (pf[1].revents) {
			struct signalfd_siginfo si;
			struct winsize ws;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				;
			else if (si.ssi_signo == SIGWINCH)
				(void)(ioctl(0, TIOCGWINSZ, &ws) == 0 &&
				       ioctl(master, TIOCSWINSZ, &ws) == 0);
			else {
				char s[16];
				snprintf(s, sizeof(s), "%u", si.ssi_signo);
				(void)send_str(fd, 'K', s);
			}
		}
		if (pf[2].revents)
			in_open = relay(0, master);
		if (pf[3].revents)
			out_open = relay(master, 1);
		if (pf[0].revents && (rc = exec_reply(fd, exit_code, e)) != 0)
			break;
	}
	if (rc > 0) {
		drain(master);
		rc = 0;
	}
	if (have)
		(void)tcsetattr(0, TCSADRAIN, &saved);
	return rc;
}

int ctl_exec(const char *name, const char *host, char *const argv[], int *exit_code, err_t *e)
{
	int fd = connect_lab(name, e);
	if (fd < 0)
		return fd;
	/* Signals meant for the command are forwarded to it through the lab. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	/* On a terminal, the command gets one of its own (a shell with job
	 * control); otherwise our descriptors themselves, pipes and files. */
	int tty = isatty(0), master = -1, slave = -1;
	if (tty)
		sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, &old);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	int rc = tty ? open_pty(&master, &slave, e) : 0;
	if (!rc) {
		const int std[3] = {0, 1, 2}, pty[3] = {slave, slave, slave};
		rc = send_exec(fd, tty ? 'T' : 'X', host, argv, tty ? pty : std);
		if (slave >= 0)
			close(slave); /* the lab's copy is the command's */
		if (rc)
			rc = err_set(e, -rc, "cannot send the command to lab \"%s\": %s", name,
			             strerror(-rc));
		else if (tty)
			rc = relay_tty(fd, sfd, master, exit_code, e);
		else
			rc = wait_exec(fd, sfd, exit_code, e);
	}
	if (master >= 0)
		close(master);
	close(sfd);
	close(fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

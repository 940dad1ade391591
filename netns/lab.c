/* lab.c — build a topology inside the sandbox and run processes in its hosts
 * (see lab.h). */
#define _GNU_SOURCE
#include "lab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nl.h"
#include "../lib/ready.h"

/* --- building hosts -------------------------------------------------------- */

static int enter_host(struct lab *lab, int h, err_t *e)
{
	if (setns(lab->hosts[h].netns, CLONE_NEWNET) < 0)
		return err_set(e, errno, "cannot enter host %s: %s", lab->topo->hosts[h].name,
		               strerror(errno));
	return 0;
}

static void leave_host(struct lab *lab)
{
	/* Returning home cannot fail for a namespace we hold open; if it did,
	 * everything after would act on the wrong host, so stop here. */
	if (setns(lab->sb.home_netns, CLONE_NEWNET) < 0)
		abort();
}

/* "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward", written while
 * inside the host, since /proc/sys/net shows the opener's namespace. */
static int write_sysctl(const char *key, const char *val, err_t *e)
{
	char path[256] = "/proc/sys/";
	size_t n = strlen(path);
	for (const char *p = key; *p && n + 1 < sizeof(path); p++)
		path[n++] = *p == '.' ? '/' : *p;
	path[n] = '\0';
	if (access(path, F_OK) < 0)
		return err_set(e, ENOENT, "sysctl %s does not exist in this network namespace%s",
		               key,
		               strstr(key, "nf_conntrack")
		                       ? " (conntrack is not loaded; a nftables rule using ct or "
		                         "nat loads it)"
		                       : "");
	int rc = sys_write_str(path, val, e);
	return rc ? err_wrap(e, rc, "sysctl %s = %s", key, val) : 0;
}

static int apply_nftables(const char *ruleset, err_t *e)
{
	/* libnftables opens its netlink socket per command, in the namespace we
	 * are in; its errors come back as text naming the line. */
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft)
		return err_set(e, ENOMEM, "cannot create an nftables context");
	nft_ctx_buffer_error(nft);
	nft_ctx_buffer_output(nft);
	int rc = nft_run_cmd_from_buffer(nft, ruleset);
	if (rc) {
		const char *msg = nft_ctx_get_error_buffer(nft);
		rc = err_set(e, EINVAL, "nftables ruleset refused:\n%s", msg ? msg : "(no detail)");
	}
	nft_ctx_free(nft);
	return rc;
}

static int write_etc_files(struct lab *lab, int h, err_t *e)
{
	const struct topo_host *th = &lab->topo->hosts[h];
	struct lab_host *lh = &lab->hosts[h];
	char buf[8192], addr[64];
	size_t n = 0;
	snprintf(lh->resolv, sizeof(lh->resolv), "%s/%s.resolv.conf", lab->sb.rundir, th->name);
	snprintf(lh->hosts, sizeof(lh->hosts), "%s/%s.hosts", lab->sb.rundir, th->name);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "# siplab lab host %s\n", th->name);
	for (int i = 0; i < th->n_nameservers; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "nameserver %s\n",
		                      th->nameservers[i]);
	if (th->search[0])
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "search %s\n", th->search);
	int rc = sys_write_file(lh->resolv, buf, n, 1, e);
	if (rc)
		return rc;
	n = (size_t)snprintf(buf, sizeof(buf), "127.0.0.1\tlocalhost\n::1\tlocalhost\n");
	if (topo_host_addr(lab->topo, h, addr, sizeof(addr)))
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\t%s\n", addr, th->name);
	for (int i = 0; i < th->n_etc_hosts && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\t%s\n", th->etc_hosts[i].val,
		                      th->etc_hosts[i].key);
	return sys_write_file(lh->hosts, buf, n < sizeof(buf) ? n : sizeof(buf) - 1, 1, e);
}

/* A new network namespace for host h, with lo up and forwarding as asked. */
static int create_host(struct lab *lab, int h, struct nlh *nl, err_t *e)
{
	const struct topo_host *th = &lab->topo->hosts[h];
	if (unshare(CLONE_NEWNET) < 0)
		return err_set(e, errno, "cannot create a network namespace: %s", strerror(errno));
	int rc = 0;
	lab->hosts[h].netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (lab->hosts[h].netns < 0)
		rc = err_set(e, errno, "cannot open its namespace: %s", strerror(errno));
	if (!rc)
		rc = nlh_open(nl, -1, -1, e);
	if (!rc)
		rc = nlh_link_up(nl, "lo", e);
	if (!rc && th->forward) {
		rc = write_sysctl("net.ipv4.ip_forward", "1", e);
		if (!rc)
			(void)write_sysctl("net.ipv6.conf.all.forwarding", "1", NULL);
	}
	leave_host(lab);
	return rc ? rc : write_etc_files(lab, h, e);
}

static int build_link(struct lab *lab, const struct topo_link *l, struct nlh *nl, err_t *e)
{
	const struct topo_end *a = &l->a, *b = &l->b;
	int rc = nlh_veth(&nl[a->host], a->ifname, lab->hosts[b->host].netns, b->ifname, e);
	if (!rc)
		rc = nlh_addr_add(&nl[a->host], a->ifname, a->addr, e);
	if (!rc)
		rc = nlh_addr_add(&nl[b->host], b->ifname, b->addr, e);
	if (!rc)
		rc = nlh_link_up(&nl[a->host], a->ifname, e);
	if (!rc)
		rc = nlh_link_up(&nl[b->host], b->ifname, e);
	if (rc)
		err_wrap(e, rc, "link %s:%s - %s:%s", lab->topo->hosts[a->host].name, a->ifname,
		         lab->topo->hosts[b->host].name, b->ifname);
	return rc;
}

/* --- changing a running host (a fault that strikes mid-run) ---------------------- */

static int host_by_name(const struct lab *lab, const char *host, err_t *e)
{
	int h = topo_host_index(lab->topo, host);
	return h >= 0 ? h : err_set(e, ENOENT, "the lab has no host %s", host);
}

int lab_host_nft(struct lab *lab, const char *host, const char *cmds, err_t *e)
{
	int h = host_by_name(lab, host, e), rc;
	if (h < 0)
		return h;
	if ((rc = enter_host(lab, h, e)))
		return rc;
	rc = apply_nftables(cmds, e);
	leave_host(lab);
	return rc ? err_wrap(e, rc, "host %s", host) : 0;
}

int lab_host_sysctl(struct lab *lab, const char *host, const char *key, const char *val, char *old,
                    size_t cap, err_t *e)
{
	int h = host_by_name(lab, host, e), rc;
	if (h < 0)
		return h;
	if ((rc = enter_host(lab, h, e)))
		return rc;
	if (old) {
		char path[256] = "/proc/sys/";
		size_t n = strlen(path);
		for (const char *p = key; *p && n + 1 < sizeof(path); p++)
			path[n++] = *p == '.' ? '/' : *p;
		path[n] = '\0';
		ssize_t got = sys_read_file(path, old, cap);
		old[got > 0 ? strcspn(old, "\n") : 0] = '\0';
	}
	rc = write_sysctl(key, val, e);
	leave_host(lab);
	return rc ? err_wrap(e, rc, "host %s", host) : 0;
}

/* Rules and sysctls last: conntrack sysctls only exist once a ruleset that
 * uses conntrack has been loaded in that namespace. */
static int finish_host(struct lab *lab, int h, struct nlh *nl, err_t *e)
{
	const struct topo_host *th = &lab->topo->hosts[h];
	int rc = 0;
	for (int i = 0; !rc && i < th->n_routes; i++)
		rc = nlh_route_add(nl, th->routes[i].to, th->routes[i].via, e);
	if (rc || (!th->nftables && th->n_sysctls == 0))
		return rc;
	if ((rc = enter_host(lab, h, e)))
		return rc;
	if (th->nftables)
		rc = apply_nftables(th->nftables, e);
	for (int i = 0; !rc && i < th->n_sysctls; i++)
		rc = write_sysctl(th->sysctls[i].key, th->sysctls[i].val, e);
	leave_host(lab);
	return rc;
}

static int build(struct lab *lab, err_t *e)
{
	struct topo *t = lab->topo;
	struct nlh nl[TOPO_MAX_HOSTS];
	int rc = 0, h;
	memset(nl, 0, sizeof(nl));
	for (h = 0; !rc && h < t->n_hosts; h++)
		if ((rc = create_host(lab, h, &nl[h], e)))
			err_wrap(e, rc, "host %s", t->hosts[h].name);
	for (int i = 0; !rc && i < t->n_links; i++)
		rc = build_link(lab, &t->links[i], nl, e);
	for (h = 0; !rc && h < t->n_hosts; h++)
		if ((rc = finish_host(lab, h, &nl[h], e)))
			err_wrap(e, rc, "host %s", t->hosts[h].name);
	for (h = 0; h < t->n_hosts; h++)
		nlh_close(&nl[h]);
	return rc;
}

int lab_up(struct lab *lab, struct topo *topo, const char *rundir, err_t *e)
{
	memset(lab, 0, sizeof(*lab));
	lab->topo = topo;
	for (int h = 0; h < TOPO_MAX_HOSTS; h++)
		lab->hosts[h].netns = -1;
	long long t0 = sys_now_ns();
	int rc = sandbox_enter(&lab->sb, rundir, e);
	if (rc) {
		topo_free(topo);
		lab->topo = NULL;
		return rc;
	}
	rc = build(lab, e);
	lab->build_ns = sys_now_ns() - t0;
	if (rc) {
		err_wrap(e, rc, "building lab \"%s\"", topo->name);
		lab_down(lab);
	}
	return rc;
}

/* --- processes ----------------------------------------------------------------- */

/* In the child: report a setup failure to the parent and stop. */
static void child_fail(int errfd, const char *what, int err)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s: %s", what, strerror(err));
	(void)!write(errfd, msg, (size_t)n);
	_exit(127);
}

static void child_setup(struct lab *lab, int h, const struct lab_spawn_opts *o,
                        const struct lab_proc *p, int errfd)
{
	const struct lab_host *lh = &lab->hosts[h];
	const char *name = lab->topo->hosts[h].name;
	err_t e;
	/* Own process group: Ctrl-C on the lab's terminal is the lab's to handle.
	 * On a terminal of its own, its own session too (its group is the same). */
	if (o->ctty)
		setsid();
	else
		setpgid(0, 0);
	if (p->has_cg && cgroup_enter(&p->cg, &e) < 0)
		child_fail(errfd, e.msg, EPERM);
	if (setns(lh->netns, CLONE_NEWNET) < 0)
		child_fail(errfd, "cannot enter the host's network namespace", errno);
	if (unshare(CLONE_NEWNS | CLONE_NEWUTS) < 0)
		child_fail(errfd, "cannot create the host's mount namespace", errno);
	(void)sethostname(name, strlen(name));
	/* /proc for the lab's PID namespace and /sys for this host's network
	 * namespace; tools still work without them, so failures are not fatal. */
	(void)mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	/* The fresh /sys hides the cgroup hierarchies under it, where a process
	 * in a container reads its own memory limit and usage (the worker's
	 * heartbeats do): held before, bound back after. */
	int cgfd = open("/sys/fs/cgroup", O_PATH | O_DIRECTORY | O_CLOEXEC);
	(void)mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
	if (cgfd >= 0) {
		char held[64];
		snprintf(held, sizeof(held), "/proc/self/fd/%d", cgfd);
		(void)mount(held, "/sys/fs/cgroup", NULL, MS_BIND | MS_REC, NULL);
		close(cgfd);
	}
	if (mount(lh->resolv, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0)
		child_fail(errfd, "cannot bind the host's /etc/resolv.conf", errno);
	if (mount(lh->hosts, "/etc/hosts", NULL, MS_BIND, NULL) < 0)
		child_fail(errfd, "cannot bind the host's /etc/hosts", errno);
	int fds[3] = {o->fd_in, o->fd_out, o->fd_err};
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && fds[i] != i && dup2(fds[i], i) < 0)
			child_fail(errfd, "cannot set up standard streams", errno);
	if (o->ctty && ioctl(0, TIOCSCTTY, 0) < 0)
		child_fail(errfd, "cannot take the terminal as the controlling one", errno);
	/* dup2 clears close-on-exec; a descriptor already at 3 needs it done. */
	if (o->fd_pass >= 0 && (o->fd_pass == 3 ? fcntl(3, F_SETFD, 0) : dup2(o->fd_pass, 3)) < 0)
		child_fail(errfd, "cannot pass a descriptor", errno);
	for (char *const *v = o->env; v && *v; v++)
		if (putenv(*v) != 0)
			child_fail(errfd, "cannot set the environment", errno);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
}

static int spawn(struct lab *lab, const char *host, char *const argv[], int (*fn)(void *),
                 void *arg, const struct lab_spawn_opts *opts, struct lab_proc **out, err_t *e)
{
	static const struct lab_spawn_opts defaults = LAB_SPAWN_OPTS_INIT;
	const struct lab_spawn_opts *o = opts ? opts : &defaults;
	*out = NULL;
	int h = topo_host_index(lab->topo, host);
	if (h < 0)
		return err_set(e, ENOENT, "no host named \"%s\" in lab \"%s\"", host,
		               lab->topo->name);
	struct lab_proc *p = calloc(1, sizeof(*p));
	if (!p)
		return err_set(e, ENOMEM, "out of memory");
	p->host = h;
	p->pidfd = -1;
	int rc = 0;
	if (o->mem_limit > 0 || o->mem_limit == LAB_MEM_NO_LIMIT || o->cpu_pct != 0) {
		char name[64];
		snprintf(name, sizeof(name), "%s.%d", host, ++lab->seq);
		rc = cgroup_create(&lab->sb.cg, name, o->mem_limit, o->cpu_pct, &p->cg, e);
		p->has_cg = rc == 0;
	}
	int pfd[2] = {-1, -1};
	if (!rc && pipe2(pfd, O_CLOEXEC) < 0)
		rc = err_set(e, errno, "pipe: %s", strerror(errno));
	if (rc) {
		if (p->has_cg)
			cgroup_destroy(&p->cg);
		free(p);
		return rc;
	}
	fflush(NULL);
	p->pid = fork();
	if (p->pid == 0) {
		close(pfd[0]);
		child_setup(lab, h, o, p, pfd[1]);
		if (fn) {
			close(pfd[1]);
			int code = fn(arg) & 0xff;
			fflush(NULL); /* _exit() would lose what fn printed */
			_exit(code);
		}
		execvp(argv[0], argv);
		child_fail(pfd[1], argv[0], errno);
	}
	close(pfd[1]);
	if (p->pid < 0) {
		rc = err_set(e, errno, "fork: %s", strerror(errno));
	} else {
		char msg[512];
		ssize_t n;
		while ((n = read(pfd[0], msg, sizeof(msg) - 1)) < 0 && errno == EINTR)
			;
		if (n > 0) {
			msg[n] = '\0';
			rc = err_set(e, ENOEXEC, "cannot start in host %s: %s", host, msg);
			waitpid(p->pid, NULL, 0);
		}
	}
	close(pfd[0]);
	if (rc) {
		if (p->has_cg)
			cgroup_destroy(&p->cg);
		free(p);
		return rc;
	}
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	p->next = lab->procs;
	lab->procs = p;
	*out = p;
	return 0;
}

int lab_spawn(struct lab *lab, const char *host, char *const argv[],
              const struct lab_spawn_opts *opts, struct lab_proc **out, err_t *e)
{
	if (!argv || !argv[0])
		return err_set(e, EINVAL, "no command given");
	return spawn(lab, host, argv, NULL, NULL, opts, out, e);
}

/* "siplab dns", "kamailio": how errors name a service. */
static void service_name(char *const argv[], char *out, size_t cap)
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *sub = argv[1];
	if (sub && (sub[0] == '-' || strchr(sub, '/')))
		sub = NULL;
	snprintf(out, cap, "%s%s%s", prog, sub ? " " : "", sub ? sub : "");
}

/* The last lines of a service's log (at most cap - 1 bytes), for an error. */
static void log_tail(const char *log, char *out, size_t cap)
{
	(void)sys_read_tail(log, 8, out, cap);
}

/* Waits for the line "READY ..." on fd, while p runs; 0 when said (the rest
 * of the line in what), -ECHILD when p ended first, -EPIPE when it closed
 * the descriptor unsaid, -ETIMEDOUT. */
static int wait_ready_line(struct lab *lab, struct lab_proc *p, int fd, int timeout_ms, char *what,
                           size_t cap)
{
	char buf[512];
	size_t len = 0;
	long long deadline = sys_now_ns() + (long long)timeout_ms * 1000000LL;
	for (;;) {
		long long left = (deadline - sys_now_ns()) / 1000000;
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pf[2] = {{.fd = fd, .events = POLLIN},
		                       {.fd = p->pidfd, .events = POLLIN}};
		int n = poll(pf, p->pidfd >= 0 ? 2 : 1, p->pidfd >= 0 ? (int)left : 10);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (pf[0].revents) {
			ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);
			if (r == 0)
				return lab_wait(lab, p, 500, NULL) == 0 ? -ECHILD : -EPIPE;
			if (r > 0)
				len += (size_t)r;
			buf[len] = '\0';
			char *nl;
			while ((nl = strchr(buf, '\n'))) {
				*nl = '\0';
				if (!strncmp(buf, "READY", 5)) {
					snprintf(what, cap, "%s", buf[5] == ' ' ? buf + 6 : "");
					return 0;
				}
				len -= (size_t)(nl + 1 - buf);
				memmove(buf, nl + 1, len + 1);
			}
			if (len == sizeof(buf) - 1)
				len = 0; /* a line too long to be ours */
		}
		if (lab_wait(lab, p, 0, NULL) == 0)
			return -ECHILD;
	}
}

/* A UDP socket inside host h, connected to addr:port. */
static int host_udp_socket(struct lab *lab, int h, const char *addr, int port, err_t *e)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return err_set(e, EINVAL, "\"%s\" is not an IPv4 address", addr);
	int rc = enter_host(lab, h, e);
	if (rc)
		return rc;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		rc = err_set(e, errno, "a UDP socket to %s:%d: %s", addr, port, strerror(errno));
	leave_host(lab);
	return rc ? rc : fd;
}

static void send_options(int fd, const char *addr, int port, int n)
{
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	char local[INET_ADDRSTRLEN] = "0.0.0.0", msg[768];
	if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
		inet_ntop(AF_INET, &me.sin_addr, local, sizeof(local));
	int len = snprintf(msg, sizeof(msg),
	                   "OPTIONS sip:%s:%d SIP/2.0\r\n"
	                   "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-lab-ready-%d;rport\r\n"
	                   "Max-Forwards: 70\r\n"
	                   "From: <sip:lab@%s>;tag=lab-ready\r\n"
	                   "To: <sip:%s:%d>\r\n"
	                   "Call-ID: lab-ready-%d-%d@%s\r\n"
	                   "CSeq: %d OPTIONS\r\n"
	                   "Content-Length: 0\r\n\r\n",
	                   addr, port, local, ntohs(me.sin_port), n, local, addr, port,
	                   (int)getpid(), n, local, n + 1);
	(void)!send(fd, msg, (size_t)len, 0);
}

/* Sends an OPTIONS every 200 ms until a SIP response comes back while p runs;
 * 0 when one did (its status line in what), -ECHILD, -ETIMEDOUT. */
static int wait_sip_answer(struct lab *lab, struct lab_proc *p, const struct lab_ready *r,
                           char *what, size_t cap, err_t *e)
{
	int fd = host_udp_socket(lab, p->host, r->sip_addr, r->sip_port, e);
	if (fd < 0)
		return fd;
	long long deadline = sys_now_ns() + (long long)r->timeout_ms * 1000000LL;
	int rc = -ETIMEDOUT;
	for (int n = 0; sys_now_ns() < deadline; n++) {
		send_options(fd, r->sip_addr, r->sip_port, n);
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 200) > 0) {
			char buf[2048];
			ssize_t got = recv(fd, buf, sizeof(buf) - 1, 0);
			if (got > 8 && !strncmp(buf, "SIP/2.0 ", 8)) {
				buf[got] = '\0';
				snprintf(what, cap, "sip:%s:%d answered OPTIONS: %.*s", r->sip_addr,
				         r->sip_port, (int)strcspn(buf, "\r\n"), buf);
				rc = 0;
				break;
			}
			/* Port unreachable (nothing bound yet) or noise: try again. */
		}
		if (lab_wait(lab, p, 0, NULL) == 0) {
			rc = -ECHILD;
			break;
		}
	}
	close(fd);
	return rc;
}

int lab_service(struct lab *lab, const char *host, char *const argv[], const char *log,
                const struct lab_ready *ready, struct lab_proc **out, err_t *e)
{
	char name[96], tail[400], what[sizeof((*out)->ready)] = "";
	*out = NULL;
	if (!argv || !argv[0])
		return err_set(e, EINVAL, "no command given");
	service_name(argv, name, sizeof(name));
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(e, errno, "%s: %s", log, strerror(errno));
	int pfd[2] = {-1, -1};
	if (ready->how == LAB_READY_LINE && pipe2(pfd, O_CLOEXEC) < 0) {
		close(fd);
		return err_set(e, errno, "pipe: %s", strerror(errno));
	}
	/* The service gets the pipe as its fd 3, and is told so. */
	char env_fd[32];
	snprintf(env_fd, sizeof(env_fd), "%s=3", READY_ENV);
	char *env[] = {env_fd, NULL};
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = o.fd_err = fd;
	o.fd_pass = pfd[1];
	o.env = ready->how == LAB_READY_LINE ? env : NULL;
	struct lab_proc *p = NULL;
	int rc = lab_spawn(lab, host, argv, &o, &p, e);
	close(fd);
	if (pfd[1] >= 0)
		close(pfd[1]); /* only the service holds the writing end: EOF when it goes */
	if (!rc)
		rc = ready->how == LAB_READY_LINE
		             ? wait_ready_line(lab, p, pfd[0], ready->timeout_ms, what,
		                               sizeof(what))
		             : wait_sip_answer(lab, p, ready, what, sizeof(what), e);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (!p)
		return rc;
	if (!rc) {
		snprintf(p->ready, sizeof(p->ready), "%s", what);
		*out = p;
		return 0;
	}
	const char *how = ready->how == LAB_READY_LINE ? "saying READY" : "answering an OPTIONS";
	char why[160], st[96];
	if (rc == -ECHILD) {
		snprintf(why, sizeof(why), "it %s before %s",
		         lab_status_str(&p->st, st, sizeof(st)), how);
	} else if (rc == -EPIPE) {
		snprintf(why, sizeof(why),
		         "it closed its readiness descriptor without saying READY");
	} else if (rc == -ETIMEDOUT) {
		snprintf(why, sizeof(why), "no %s within %d ms (it was stopped)",
		         ready->how == LAB_READY_LINE ? "READY line" : "answer to OPTIONS",
		         ready->timeout_ms);
	} else {
		snprintf(why, sizeof(why), "%s",
		         ready->how == LAB_READY_SIP ? e->msg : strerror(-rc));
	}
	lab_release(lab, p); /* kills it when still running */
	log_tail(log, tail, sizeof(tail));
	return err_set(e, rc == -ECHILD || rc == -EPIPE ? ECHILD : ETIMEDOUT,
	               "%s in host %s never became ready: %s; its log: %s%s%s", name, host, why,
	               log, tail[0] ? "\n" : " (empty)", tail);
}

int lab_spawn_fn(struct lab *lab, const char *host, int (*fn)(void *), void *arg,
                 const struct lab_spawn_opts *opts, struct lab_proc **out, err_t *e)
{
	return spawn(lab, host, NULL, fn, arg, opts, out, e);
}

static void record_status(struct lab_proc *p, int status)
{
	memset(&p->st, 0, sizeof(p->st));
	if (WIFEXITED(status)) {
		p->st.exited = 1;
		p->st.code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		p->st.signaled = 1;
		p->st.sig = WTERMSIG(status);
		/* SIGKILL alone could be anyone's; the cgroup's oom_kill counter
		 * says it was the kernel reclaiming memory. */
		p->st.oom_killed =
		        p->st.sig == SIGKILL && p->has_cg && cgroup_oom_kills(&p->cg) > 0;
	}
	p->done = 1;
}

int lab_wait(struct lab *lab, struct lab_proc *p, int timeout_ms, struct lab_status *st)
{
	(void)lab;
	long long deadline = sys_now_ns() + (long long)timeout_ms * 1000000LL;
	while (!p->done) {
		int status;
		pid_t r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid) {
			record_status(p, status);
			break;
		}
		if (r < 0 && errno != EINTR)
			return -errno;
		long long left = (deadline - sys_now_ns()) / 1000000;
		if (timeout_ms >= 0 && left <= 0)
			return -ETIMEDOUT;
		int wait_ms = timeout_ms < 0 ? -1 : (int)left;
		if (p->pidfd >= 0) {
			struct pollfd pf = {.fd = p->pidfd, .events = POLLIN};
			(void)poll(&pf, 1, wait_ms);
		} else {
			usleep(2000);
		}
	}
	if (st)
		*st = p->st;
	return 0;
}

int lab_reap(struct lab *lab)
{
	int n = 0, status;
	pid_t pid;
	/* The lab is PID 1: orphans of lab processes end up here too. */
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		n++;
		for (struct lab_proc *p = lab->procs; p; p = p->next)
			if (p->pid == pid && !p->done)
				record_status(p, status);
	}
	return n;
}

void lab_release(struct lab *lab, struct lab_proc *p)
{
	for (struct lab_proc **pp = &lab->procs; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (!p->done) {
		kill(-p->pid, SIGKILL);
		kill(p->pid, SIGKILL);
		(void)lab_wait(lab, p, -1, NULL);
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->has_cg)
		cgroup_destroy(&p->cg);
	free(p);
}

const char *lab_status_str(const struct lab_status *st, char *buf, size_t cap)
{
	if (st->exited)
		snprintf(buf, cap, "exited with %d", st->code);
	else if (st->signaled)
		snprintf(buf, cap, "killed by SIG%s%s",
		         sigabbrev_np(st->sig) ? sigabbrev_np(st->sig) : "?",
		         st->oom_killed ? " (OOM kill: the memory limit was reached)" : "");
	else
		snprintf(buf, cap, "still running");
	return buf;
}

/* --- teardown ------------------------------------------------------------------ */

void lab_down(struct lab *lab)
{
	/* Ask politely first, so services can say goodbye (un-REGISTER, BYE). */
	for (struct lab_proc *p = lab->procs; p; p = p->next)
		if (!p->done)
			kill(-p->pid, SIGTERM);
	long long deadline = sys_now_ns() + 1000000000LL;
	for (struct lab_proc *p = lab->procs; p; p = p->next) {
		long long left_ms = (deadline - sys_now_ns()) / 1000000;
		if (!p->done &&
		    lab_wait(lab, p, left_ms > 0 ? (int)left_ms : 0, NULL) == -ETIMEDOUT)
			kill(-p->pid, SIGKILL);
	}
	while (lab->procs)
		lab_release(lab, lab->procs);
	for (int h = 0; h < TOPO_MAX_HOSTS; h++)
		if (lab->hosts[h].netns >= 0) {
			close(lab->hosts[h].netns);
			lab->hosts[h].netns = -1;
		}
	sandbox_leave(&lab->sb);
	topo_free(lab->topo);
	lab->topo = NULL;
}

int lab_proc_cpu_limit(struct lab *lab, struct lab_proc *p, double pct, err_t *e)
{
	if (!p->has_cg) {
		char name[64];
		snprintf(name, sizeof(name), "%s.%d", lab->topo->hosts[p->host].name, ++lab->seq);
		int rc = cgroup_create(&lab->sb.cg, name, 0, CGROUP_CPU_NO_LIMIT, &p->cg, e);
		if (!rc)
			rc = cgroup_attach(&p->cg, p->pid, e);
		if (rc) {
			cgroup_destroy(&p->cg);
			return rc;
		}
		p->has_cg = 1;
	}
	return cgroup_set_cpu_limit(&p->cg, pct, e);
}

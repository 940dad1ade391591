/* probe.c — UDP reachability inside the lab (see probe.h). */
#define _GNU_SOURCE
#include <stdio.h>

#include "probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Answer from the address the probe was sent to: a router has several, and a
 * connected prober ignores a reply from any other. */
static void echo_one(int fd)
{
	char buf[512];
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	struct sockaddr_in from;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh = {.msg_name = &from,
	                    .msg_namelen = sizeof(from),
	                    .msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = cbuf.b,
	                    .msg_controllen = sizeof(cbuf.b)};
	ssize_t n = recvmsg(fd, &mh, 0);
	if (n <= 0)
		return;
	iov.iov_len = (size_t)n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(cm);
			pi->ipi_spec_dst = pi->ipi_addr;
			pi->ipi_ifindex = 0;
		}
	(void)sendmsg(fd, &mh, 0);
}

static int echo_main(void *arg)
{
	int lifetime_ms = *(int *)arg, on = 1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PROBE_PORT)};
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	/* Tell the parent we are listening (it waits on our stdout). */
	(void)!write(1, "R", 1);
	long long end = sys_now_ns() + (long long)lifetime_ms * 1000000LL;
	for (long long now; (now = sys_now_ns()) < end;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, (int)((end - now) / 1000000) + 1) > 0)
			echo_one(fd);
	}
	return 0;
}

int probe_echo_start(struct lab *lab, const char *host, int lifetime_ms, struct lab_proc **out,
                     err_t *e)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return err_set(e, errno, "pipe: %s", strerror(errno));
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = pfd[1];
	int rc = lab_spawn_fn(lab, host, echo_main, &lifetime_ms, &o, out, e);
	close(pfd[1]);
	char c;
	if (!rc && read(pfd[0], &c, 1) != 1)
		rc = err_set(e, EIO, "the echo responder in %s did not start", host);
	close(pfd[0]);
	return rc;
}

struct prober {
	const char *const *addrs;
	int n, timeout_ms;
};

/* Writes one character per address to stdout: '1' echoed, '0' not. */
static int prober_main(void *arg)
{
	const struct prober *p = arg;
	for (int i = 0; i < p->n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(PROBE_PORT)};
		char ok = '0';
		if (fd >= 0 && inet_pton(AF_INET, p->addrs[i], &sa.sin_addr) == 1 &&
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    send(fd, "ping", 4, 0) == 4) {
			struct pollfd pf = {fd, POLLIN, 0};
			char buf[16];
			if (poll(&pf, 1, p->timeout_ms) > 0 && recv(fd, buf, sizeof(buf), 0) == 4)
				ok = '1';
		}
		if (fd >= 0)
			close(fd);
		(void)!write(1, &ok, 1);
	}
	return 0;
}

static int start_prober(struct lab *lab, const char *from, struct prober *pr, int *rd,
                        struct lab_proc **proc, err_t *e)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return err_set(e, errno, "pipe: %s", strerror(errno));
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = pfd[1];
	int rc = lab_spawn_fn(lab, from, prober_main, pr, &o, proc, e);
	close(pfd[1]);
	if (rc)
		close(pfd[0]);
	else
		*rd = pfd[0];
	return rc;
}

static void collect_prober(struct lab *lab, struct lab_proc *proc, int rd, int *ok, int n)
{
	char buf[TOPO_MAX_HOSTS + 1];
	size_t got = 0;
	ssize_t r;
	while (got < (size_t)n && (r = read(rd, buf + got, (size_t)n - got)) > 0)
		got += (size_t)r;
	for (int i = 0; i < n; i++)
		ok[i] = i < (int)got && buf[i] == '1';
	close(rd);
	(void)lab_wait(lab, proc, -1, NULL);
	lab_release(lab, proc);
}

int probe_from(struct lab *lab, const char *from, const char *const *addrs, int n, int timeout_ms,
               int *ok, err_t *e)
{
	struct prober pr = {addrs, n, timeout_ms};
	struct lab_proc *proc;
	int rd;
	int rc = start_prober(lab, from, &pr, &rd, &proc, e);
	if (!rc)
		collect_prober(lab, proc, rd, ok, n);
	return rc;
}

static int must_reach(const char *role)
{
	static const char *const svc[] = {"platform", "registrar", "callee", "dns", "stun", NULL};
	for (int i = 0; svc[i]; i++)
		if (!strcmp(role, svc[i]))
			return 1;
	return 0;
}

int probe_matrix(struct lab *lab, FILE *f, err_t *e)
{
	const struct topo *t = lab->topo;
	int n = t->n_hosts, rc = 0, bad = 0;
	char addrbuf[TOPO_MAX_HOSTS][64];
	const char *addrs[TOPO_MAX_HOSTS];
	struct lab_proc *echo[TOPO_MAX_HOSTS] = {0}, *prober[TOPO_MAX_HOSTS] = {0};
	int rd[TOPO_MAX_HOSTS], ok[TOPO_MAX_HOSTS][TOPO_MAX_HOSTS];
	struct prober pr = {addrs, n, 300};
	for (int h = 0; h < n; h++)
		addrs[h] = topo_host_addr(t, h, addrbuf[h], sizeof(addrbuf[h]));
	for (int h = 0; h < n; h++)
		if (addrs[h] == NULL)
			addrs[h] = "127.0.0.1";
	for (int h = 0; !rc && h < n; h++)
		rc = probe_echo_start(lab, t->hosts[h].name, 10000, &echo[h], e);
	int started = 0;
	for (int h = 0; !rc && h < n; h++, started++)
		rc = start_prober(lab, t->hosts[h].name, &pr, &rd[h], &prober[h], e);
	for (int h = 0; h < started; h++)
		collect_prober(lab, prober[h], rd[h], ok[h], n);
	for (int h = 0; h < n; h++)
		if (echo[h])
			lab_release(lab, echo[h]);
	if (rc)
		return rc;
	fprintf(f, "  UDP reachability (row: from, column: to; + answered, - no answer):\n");
	fprintf(f, "  %-16s", "");
	for (int j = 0; j < n; j++)
		fprintf(f, " %3d", j + 1);
	fputc('\n', f);
	for (int h = 0; h < n; h++) {
		fprintf(f, "  %2d %-13s", h + 1, t->hosts[h].name);
		for (int j = 0; j < n; j++) {
			int need = must_reach(t->hosts[j].role) && h != j;
			bad += need && !ok[h][j];
			fprintf(f, "   %c", h == j ? '.' : ok[h][j] ? '+' : need ? '!' : '-');
		}
		fputc('\n', f);
	}
	if (bad)
		fprintf(f, "  ! = a service host that must be reachable did not answer\n");
	return bad;
}

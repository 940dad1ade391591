/* capture.c — a packet capture of a running lab (see capture.h): a process
 * that opens a libpcap handle on every link end, each from inside its host,
 * and writes the packets as pcapng (pcapng.c) until SIGTERM. */
#define _GNU_SOURCE
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "../lib/limits.h"
#include "pcapng.h"

#define LINKTYPE_ETHERNET 1
/* Unwritten packets go to the file at least this often, so a run killed
 * outright still leaves a readable capture up to its last second. */
#define FLUSH_EVERY_NS  1000000000LL
#define READ_TIMEOUT_MS 10
#define CAPTURE_NICE    10

struct cap_iface {
	pcap_t *h;
	int fd;   /* pcap_get_selectable_fd */
	int gone; /* its interface went away: no more reads */
};

struct cap_child {
	struct lab *lab;
	const char *path;
	int status_w, status_r;
	FILE *f;
	struct cap_iface ifs[CAPTURE_MAX_IFACES];
	int n;
	struct capture_summary sum;
	int current; /* the interface being read, for the callback */
};

/* --- in the capture process --------------------------------------------------------- */

static void say(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int fd, const char *fmt, ...)
{
	char line[900];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)sys_write_all(fd, line, (size_t)n);
}

/* A handle on ifname, opened while inside the host's network namespace:
 * its packet socket is bound there for good. */
static pcap_t *open_end(struct cap_child *c, int host, const char *ifname, char *why, size_t cap)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	if (setns(c->lab->hosts[host].netns, CLONE_NEWNET) < 0) {
		snprintf(why, cap, "cannot enter host %s: %s", c->lab->topo->hosts[host].name,
		         strerror(errno));
		return NULL;
	}
	pcap_t *h = pcap_create(ifname, errbuf);
	if (!h) {
		snprintf(why, cap, "%s", errbuf);
		return NULL;
	}
	/* Not immediate mode: libpcap then uses the kernel's TPACKET_V3 ring,
	 * where packets are packed by their real size; in immediate mode each
	 * takes a snap-length slot and a ring of a few slots overflows. The
	 * kernel hands a block over when it is full or READ_TIMEOUT_MS passed,
	 * so interfaces interleave in the file within that time (each one's
	 * packets stay in order; the timestamps are the kernel's). Promiscuous
	 * is not needed: a veth end sees all its link's traffic. */
	(void)pcap_set_snaplen(h, CAPTURE_SNAPLEN);
	(void)pcap_set_promisc(h, 0);
	(void)pcap_set_timeout(h, READ_TIMEOUT_MS);
	(void)pcap_set_buffer_size(h, CAPTURE_RING_BYTES);
	(void)pcap_set_tstamp_precision(h, PCAP_TSTAMP_PRECISION_NANO);
	int rc = pcap_activate(h);
	if (rc < 0 || pcap_setnonblock(h, 1, errbuf) < 0) {
		snprintf(why, cap, "%s", rc < 0 ? pcap_geterr(h) : errbuf);
		pcap_close(h);
		return NULL;
	}
	if (pcap_datalink(h) != DLT_EN10MB) {
		snprintf(why, cap, "link type %d, not Ethernet", pcap_datalink(h));
		pcap_close(h);
		return NULL;
	}
	return h;
}

/* One end being opened by its own thread (setns moves only the calling
 * thread): opening a packet socket's ring also waits out a grace period in
 * the kernel, and twenty of them one after another cost ~0.15 s a run. */
struct end_open {
	struct cap_child *c;
	int host;
	const char *ifname;
	pcap_t *h;
	char err[PCAP_ERRBUF_SIZE + 64];
};

static void *open_one(void *arg)
{
	struct end_open *o = arg;
	o->h = open_end(o->c, o->host, o->ifname, o->err, sizeof(o->err));
	return NULL;
}

/* Every end at once, each in its thread (or here when a thread cannot be
 * had); returns how many ends. */
static int open_all(struct cap_child *c, struct end_open *o)
{
	const struct topo *t = c->lab->topo;
	pthread_t th[CAPTURE_MAX_IFACES];
	int started[CAPTURE_MAX_IFACES] = {0}, n = 0;
	for (int l = 0; l < t->n_links; l++) {
		const struct topo_end *ends[2] = {&t->links[l].a, &t->links[l].b};
		for (int k = 0; k < 2 && n < CAPTURE_MAX_IFACES; k++, n++) {
			o[n] = (struct end_open){
			        .c = c, .host = ends[k]->host, .ifname = ends[k]->ifname};
			started[n] = pthread_create(&th[n], NULL, open_one, &o[n]) == 0;
			if (!started[n])
				open_one(&o[n]);
		}
	}
	/* Each host's loopback too: two endpoints of one worker calling each
	 * other send their RTP there, on no link. */
	for (int h = 0; h < t->n_hosts && n < CAPTURE_MAX_IFACES; h++, n++) {
		o[n] = (struct end_open){.c = c, .host = h, .ifname = "lo"};
		started[n] = pthread_create(&th[n], NULL, open_one, &o[n]) == 0;
		if (!started[n])
			open_one(&o[n]);
	}
	for (int i = 0; i < n; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	return n;
}

/* One interface description per end: "worker1:eth0", and which link it is. */
static int open_ends(struct cap_child *c, char *why, size_t cap)
{
	const struct topo *t = c->lab->topo;
	static struct end_open o[CAPTURE_MAX_IFACES];
	int n = open_all(c, o), bad = 0;
	for (int i = 0; i < n; i++) {
		char name[2 * TOPO_NAME_LEN + 2], desc[256];
		if (i >= 2 * t->n_links) {
			const char *host = t->hosts[o[i].host].name;
			snprintf(name, sizeof(name), "%s:lo", host);
			snprintf(desc, sizeof(desc),
			         "%s's loopback (traffic between two processes or endpoints of %s)",
			         host, host);
		} else {
			const struct topo_link *lk = &t->links[i / 2];
			const struct topo_end *me = i % 2 ? &lk->b : &lk->a,
			                      *peer = i % 2 ? &lk->a : &lk->b;
			snprintf(name, sizeof(name), "%s:%s", t->hosts[me->host].name, me->ifname);
			snprintf(desc, sizeof(desc), "%s (%s), link to %s:%s (%s)", name, me->addr,
			         t->hosts[peer->host].name, peer->ifname, peer->addr);
		}
		if (!o[i].h) {
			if (!bad++)
				snprintf(why, cap, "capturing on %s: %s", name, o[i].err);
			continue;
		}
		c->ifs[c->n++] =
		        (struct cap_iface){.h = o[i].h, .fd = pcap_get_selectable_fd(o[i].h)};
		if (!bad &&
		    pcapng_interface(c->f, LINKTYPE_ETHERNET, CAPTURE_SNAPLEN, name, desc)) {
			snprintf(why, cap, "writing %s: %s", c->path, strerror(errno));
			bad++;
		}
	}
	return bad ? -1 : 0;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *ph, const u_char *data)
{
	struct cap_child *c = (struct cap_child *)user;
	uint32_t size = pcapng_packet_size(ph->caplen);
	if (c->sum.bytes + size > CAPTURE_MAX_BYTES) {
		c->sum.dropped_limit++;
		return;
	}
	/* Nanosecond precision was asked for: tv_usec holds nanoseconds. */
	uint64_t ts = (uint64_t)ph->ts.tv_sec * 1000000000ULL + (uint64_t)ph->ts.tv_usec;
	long n = pcapng_packet(c->f, (uint32_t)c->current, ts, data, ph->caplen, ph->len);
	if (n < 0) {
		c->sum.dropped_limit++; /* the disk is full: counted like the bound */
		return;
	}
	c->sum.bytes += n;
	c->sum.packets++;
}

/* Read what interface i holds now. An interface removed during the run
 * (a fault's doing) ends its reads, not the capture. */
static void read_iface(struct cap_child *c, int i)
{
	struct cap_iface *ci = &c->ifs[i];
	if (ci->gone)
		return;
	c->current = i;
	int rc;
	while ((rc = pcap_dispatch(ci->h, -1, on_packet, (u_char *)c)) > 0)
		;
	if (rc < 0) {
		ci->gone = 1;
		c->sum.lost_ifaces++;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Each interface's statistics block: what its kernel ring received and
 * dropped, and what the size bound left out (on the first one). */
static void write_stats(struct cap_child *c)
{
	uint64_t ts = now_ns();
	for (int i = 0; i < c->n; i++) {
		struct pcap_stat st = {0};
		if (!c->ifs[i].gone && pcap_stats(c->ifs[i].h, &st) == 0)
			c->sum.dropped_kernel += st.ps_drop;
		char note[160] = "";
		if (i == 0 && c->sum.dropped_limit)
			snprintf(note, sizeof(note),
			         "%lld packets not written: the capture reached its bound of %lld "
			         "bytes (CAPTURE_MAX_BYTES)",
			         c->sum.dropped_limit, (long long)CAPTURE_MAX_BYTES);
		(void)pcapng_stats(c->f, (uint32_t)i, ts, st.ps_recv, st.ps_drop,
		                   note[0] ? note : NULL);
	}
}

/* Until SIGTERM: poll every handle, write what comes. Then read what the
 * rings still hold, write the statistics and close the file. */
static int capture_loop(struct cap_child *c, int sfd)
{
	struct pollfd pfd[CAPTURE_MAX_IFACES + 1];
	long long last_flush = 0;
	for (;;) {
		int n = 0;
		for (int i = 0; i < c->n; i++)
			pfd[n++] = (struct pollfd){.fd = c->ifs[i].gone ? -1 : c->ifs[i].fd,
			                           .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		int r = poll(pfd, (nfds_t)n, 200);
		if (r < 0 && errno != EINTR)
			return -1;
		for (int i = 0; r > 0 && i < c->n; i++)
			if (pfd[i].revents)
				read_iface(c, i);
		long long t = sys_now_ns();
		if (t - last_flush >= FLUSH_EVERY_NS) {
			fflush(c->f);
			last_flush = t;
		}
		if (r > 0 && pfd[c->n].revents)
			break;
	}
	for (int i = 0; i < c->n; i++)
		read_iface(c, i);
	write_stats(c);
	return fclose(c->f) == 0 ? 0 : -1;
}

static void *close_one(void *h)
{
	pcap_close(h);
	return NULL;
}

/* Closing a packet socket waits out an RCU grace period in the kernel; one
 * after another, twenty of them held the run ~0.25 s. Closed at once, the
 * waits overlap. */
static void close_ends(struct cap_child *c)
{
	pthread_t t[CAPTURE_MAX_IFACES];
	int started[CAPTURE_MAX_IFACES] = {0};
	for (int i = 0; i < c->n; i++)
		started[i] = pthread_create(&t[i], NULL, close_one, c->ifs[i].h) == 0;
	for (int i = 0; i < c->n; i++) {
		if (started[i])
			pthread_join(t[i], NULL);
		else
			pcap_close(c->ifs[i].h);
		c->ifs[i].h = NULL;
	}
}

static int capture_main(void *arg)
{
	struct cap_child *c = arg;
	char why[600] = "";
	close(c->status_r);
	/* Told to stop by SIGTERM (the run's end, or the lab coming down); if
	 * the lab's process dies outright, the same. */
	int sfd = sys_stop_signalfd();
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* An observer must not change what it observes: the scenarios
	 * calibrated in CPU time (a worker's quota, an overloaded registrar)
	 * get the CPU first; the kernel rings hold the packets meanwhile, and
	 * what overflows them is counted. */
	(void)setpriority(PRIO_PROCESS, 0, CAPTURE_NICE);
	c->f = fopen(c->path, "we");
	if (sfd < 0 || !c->f) {
		say(c->status_w, "ERROR cannot write %s: %s", c->path, strerror(errno));
		return 1;
	}
	/* A large stdio buffer: the file is written in big pieces. */
	(void)setvbuf(c->f, NULL, _IOFBF, 1 << 20);
	if (pcapng_section(c->f, "siplab") || open_ends(c, why, sizeof(why)) || fflush(c->f)) {
		say(c->status_w, "ERROR %s", why[0] ? why : strerror(errno));
		return 1;
	}
	say(c->status_w, "READY %d", c->n);
	int rc = capture_loop(c, sfd);
	close_ends(c);
	say(c->status_w, "DONE %lld %lld %lld %lld %d %d", c->sum.packets, c->sum.bytes,
	    c->sum.dropped_limit, c->sum.dropped_kernel, c->n, c->sum.lost_ifaces);
	return rc ? 1 : 0;
}

/* --- in the lab's process ------------------------------------------------------------ */

/* One line from the capture process, waiting at most timeout_ms. */
static int read_status(int fd, int timeout_ms, char *line, size_t cap)
{
	size_t n = 0;
	long long end = sys_now_ns() + (long long)timeout_ms * 1000000LL;
	while (n + 1 < cap) {
		long long left = (end - sys_now_ns()) / 1000000;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		ssize_t r = read(fd, line + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	return n ? 0 : -EPIPE;
}

int capture_start(struct lab *lab, const char *path, struct capture *c, err_t *e)
{
	memset(c, 0, sizeof(*c));
	c->status_fd = -1;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_set(e, errno, "capture: pipe: %s", strerror(errno));
	/* The child gets its own copy of this (fork): it may live on the stack. */
	struct cap_child child = {.lab = lab, .path = path, .status_w = p[1], .status_r = p[0]};
	int rc = lab_spawn_fn(lab, lab->topo->hosts[0].name, capture_main, &child, NULL, &c->proc,
	                      e);
	close(p[1]);
	if (rc) {
		close(p[0]);
		return err_wrap(e, rc, "starting the capture");
	}
	c->status_fd = p[0];
	char line[900];
	rc = read_status(c->status_fd, 10000, line, sizeof(line));
	if (!rc && !strncmp(line, "READY ", 6)) {
		c->n_ifaces = atoi(line + 6);
		return 0;
	}
	if (!rc)
		rc = err_set(e, EIO, "capture: %s", !strncmp(line, "ERROR ", 6) ? line + 6 : line);
	else
		rc = err_set(e, -rc, "capture: the capture process %s",
		             rc == -ETIMEDOUT ? "was not ready within 10 s"
		                              : "ended before it was ready");
	lab_release(lab, c->proc);
	c->proc = NULL;
	close(c->status_fd);
	c->status_fd = -1;
	return rc;
}

int capture_stop(struct lab *lab, struct capture *c, struct capture_summary *s, err_t *e)
{
	memset(s, 0, sizeof(*s));
	if (!c->proc)
		return err_set(e, ENOENT, "no capture running");
	kill(c->proc->pid, SIGTERM);
	char line[200];
	int rc = read_status(c->status_fd, 10000, line, sizeof(line));
	if (!rc &&
	    sscanf(line, "DONE %lld %lld %lld %lld %d %d", &s->packets, &s->bytes,
	           &s->dropped_limit, &s->dropped_kernel, &s->n_ifaces, &s->lost_ifaces) != 6)
		rc = -EIO;
	struct lab_status st = {0};
	if (lab_wait(lab, c->proc, 5000, &st)) {
		kill(c->proc->pid, SIGKILL);
		(void)lab_wait(lab, c->proc, 2000, &st);
	}
	int ok = st.exited && st.code == 0;
	lab_release(lab, c->proc);
	c->proc = NULL;
	close(c->status_fd);
	c->status_fd = -1;
	if (rc || !ok)
		return err_set(e, EIO, "capture: the capture process did not finish its file (%s)",
		               rc ? "no summary" : "it failed writing");
	return 0;
}

const char *capture_summary_str(const struct capture_summary *s, char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "%lld packets on %d interfaces, %.1f MB", s->packets,
	                            s->n_ifaces, (double)s->bytes / 1e6);
	if (s->dropped_limit && n < cap)
		n += (size_t)snprintf(buf + n, cap - n,
		                      "; %lld packets DROPPED: the capture reached its bound of "
		                      "%lld MB (CAPTURE_MAX_BYTES)",
		                      s->dropped_limit, (long long)(CAPTURE_MAX_BYTES >> 20));
	if (s->dropped_kernel && n < cap)
		n += (size_t)snprintf(buf + n, cap - n,
		                      "; %lld packets DROPPED by the kernel before the capture "
		                      "read them",
		                      s->dropped_kernel);
	if (s->lost_ifaces && n < cap)
		snprintf(buf + n, cap - n, "; %d interfaces went away during the run",
		         s->lost_ifaces);
	return buf;
}

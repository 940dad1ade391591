/* test_lab.c — the lab's network, for real: namespaces, veth links, routing,
 * nftables, NAT, per-host files and memory limits. Every test builds a lab in a
 * forked child (see harness.h). */
#define _GNU_SOURCE
#include "labrun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "../netns/lab.h"
#include "../netns/probe.h"
#include "../netns/topo.h"

/* a (10.0.1.2) -- r (router) -- b (10.0.2.2); b's ruleset and r's role vary. */
static const char three_fmt[] =
        "{\"name\":\"three\",\"hosts\":["
        "{\"name\":\"a\",\"role\":\"worker\",\"routes\":[{\"to\":\"default\",\"via\":\"10.0.1.1\"}]"
        ","
        " \"resolv\":{\"nameservers\":[\"10.0.2.53\"],\"search\":\"a.test\"},"
        " \"etc_hosts\":{\"registrar.lab\":\"10.0.2.2\"}},"
        "{\"name\":\"r\",\"role\":\"%s\",\"routes\":[]%s},"
        "{\"name\":\"b\",\"role\":\"registrar\",\"routes\":%s%s,"
        " \"resolv\":{\"nameservers\":[\"10.0.2.54\"],\"search\":\"b.test\"}}],"
        "\"links\":[{\"a\":{\"host\":\"a\",\"ifname\":\"eth0\",\"addr\":\"10.0.1.2/24\"},"
        "\"b\":{\"host\":\"r\",\"ifname\":\"eth1\",\"addr\":\"10.0.1.1/24\"}},"
        "{\"a\":{\"host\":\"r\",\"ifname\":\"eth0\",\"addr\":\"10.0.2.1/24\"},"
        "\"b\":{\"host\":\"b\",\"ifname\":\"eth0\",\"addr\":\"10.0.2.2/24\"}}]}";

static const char back_route[] = "[{\"to\":\"default\",\"via\":\"10.0.2.1\"}]";

static const char drop_9999[] =
        ",\"nftables\":\"table inet fw { chain input { type filter hook input priority 0; "
        "udp dport 9999 drop; }\\n}\"";
static const char masquerade[] =
        ",\"nftables\":\"table ip nat { chain post { type nat hook postrouting priority srcnat; "
        "oifname \\\"eth0\\\" masquerade; }\\n}\"";

static int up(struct lab *lab, const char *router_role, const char *router_extra,
              const char *b_routes, const char *b_extra)
{
	char json[4096];
	snprintf(json, sizeof(json), three_fmt, router_role, router_extra, b_routes, b_extra);
	struct topo *t;
	err_t e;
	if (topo_parse(json, "test topology", &t, &e)) {
		fprintf(stderr, "    %s\n", e.msg);
		return -1;
	}
	char dir[PATH_MAX], user[PATH_MAX - 64];
	if (sandbox_user_dir(user, sizeof(user), &e)) {
		fprintf(stderr, "    %s\n", e.msg);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/test.%d", user, (int)getpid());
	if (lab_up(lab, t, dir, &e)) {
		fprintf(stderr, "    %s\n", e.msg);
		return -1;
	}
	return 0;
}

/* --- a UDP receiver in one host that reports what it got ----------------------- */

struct rx {
	int ports[2];
	int wait_ms;
};

/* Prints "PORT SRCADDR" for each datagram, after "R" once bound. */
static int rx_main(void *arg)
{
	const struct rx *r = arg;
	int fds[2];
	for (int i = 0; i < 2; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(r->ports[i])};
		if (bind(fds[i], (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return 1;
	}
	printf("R\n");
	fflush(stdout);
	/* The window opens before the sender is even started: on a loaded
	 * machine that can take a while, so it is long, and it closes early
	 * once everything the sender sends (5 per port) has come. */
	long long end = sys_now_ns() + r->wait_ms * 1000000LL;
	int got = 0;
	while (sys_now_ns() < end && got < 10) {
		struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
		if (poll(p, 2, 50) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (!p[i].revents)
				continue;
			char buf[64], ip[64];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			if (recvfrom(fds[i], buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) <=
			    0)
				continue;
			printf("%d %s\n", r->ports[i],
			       inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip)));
			fflush(stdout);
			got++;
		}
	}
	return 0;
}

struct tx {
	const char *dst;
	int ports[2];
};

static int tx_main(void *arg)
{
	const struct tx *t = arg;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	for (int k = 0; k < 5; k++)
		for (int i = 0; i < 2; i++) {
			struct sockaddr_in sa = {.sin_family = AF_INET,
			                         .sin_port = htons(t->ports[i])};
			inet_pton(AF_INET, t->dst, &sa.sin_addr);
			if (sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) != 1)
				return 1;
		}
	return 0;
}

/* Send from a to b on two ports; returns what b's receiver printed. */
static int exchange(struct lab *lab, int p1, int p2, char *out, size_t cap)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	struct rx r = {{p1, p2}, 2000};
	struct tx t = {"10.0.2.2", {p1, p2}};
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = pfd[1];
	struct lab_proc *prx, *ptx;
	err_t e;
	if (lab_spawn_fn(lab, "b", rx_main, &r, &o, &prx, &e)) {
		fprintf(stderr, "    %s\n", e.msg);
		return -1;
	}
	close(pfd[1]);
	char c[2];
	if (read(pfd[0], c, 2) != 2) /* "R\n": bound */
		return -1;
	if (lab_spawn_fn(lab, "a", tx_main, &t, NULL, &ptx, &e)) {
		fprintf(stderr, "    %s\n", e.msg);
		return -1;
	}
	size_t got = 0;
	ssize_t n;
	while (got + 1 < cap && (n = read(pfd[0], out + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(pfd[0]);
	struct lab_status st;
	lab_wait(lab, ptx, -1, &st);
	lab_release(lab, ptx);
	lab_release(lab, prx);
	return st.exited && st.code == 0 ? 0 : -1;
}

/* --- tests ---------------------------------------------------------------------------- */

static int body_routed(void)
{
	struct lab lab;
	int fds = fd_count();
	CHECK(up(&lab, "router", "", back_route, "") == 0, "lab did not come up");
	char out[512];
	CHECK(exchange(&lab, 9998, 9999, out, sizeof(out)) == 0, "exchange failed");
	lab_down(&lab);
	CHECK(fd_count() == fds, "file descriptors leaked: %d before, %d after", fds, fd_count());
	/* Routed, not translated: b sees a's own address on both ports. */
	CHECK(strstr(out, "9998 10.0.1.2") && strstr(out, "9999 10.0.1.2"), "b received: [%s]",
	      out);
	return 0;
}

static int body_no_forwarding(void)
{
	/* The same topology with a plain host in the middle: no forwarding, so
	 * nothing arrives — proof that the router role really routes. */
	struct lab lab;
	CHECK(up(&lab, "host", "", back_route, "") == 0, "lab did not come up");
	char out[512];
	CHECK(exchange(&lab, 9998, 9999, out, sizeof(out)) == 0, "exchange failed");
	lab_down(&lab);
	CHECK(out[0] == '\0', "b received without a router: [%s]", out);
	return 0;
}

static int body_firewall(void)
{
	struct lab lab;
	CHECK(up(&lab, "router", "", back_route, drop_9999) == 0, "lab did not come up");
	char out[512];
	CHECK(exchange(&lab, 9998, 9999, out, sizeof(out)) == 0, "exchange failed");
	lab_down(&lab);
	CHECK(strstr(out, "9998 10.0.1.2"), "the open port got nothing: [%s]", out);
	CHECK(!strstr(out, "9999 "), "the dropped port received: [%s]", out);
	return 0;
}

static int body_nat(void)
{
	/* b has no route back to 10.0.1.0/24: only the masquerade lets a talk to it,
	 * and b must see the router's outside address. */
	struct lab lab;
	CHECK(up(&lab, "nat", masquerade, "[]", "") == 0, "lab did not come up");
	char out[512];
	CHECK(exchange(&lab, 9998, 9999, out, sizeof(out)) == 0, "exchange failed");
	lab_down(&lab);
	CHECK(strstr(out, "9998 10.0.2.1"), "b did not see the NAT address: [%s]", out);
	CHECK(!strstr(out, "10.0.1.2"), "b saw the private address: [%s]", out);
	return 0;
}

static int body_resolv(void)
{
	struct lab lab;
	CHECK(up(&lab, "router", "", back_route, "") == 0, "lab did not come up");
	char a[1024], b[1024], h[1024], name[64];
	char *cat_resolv[] = {"cat", "/etc/resolv.conf", NULL};
	char *getent[] = {"getent", "ahostsv4", "registrar.lab", NULL};
	char *hostname[] = {"hostname", NULL};
	int rc_a = capture(&lab, "a", cat_resolv, a, sizeof(a));
	int rc_b = capture(&lab, "b", cat_resolv, b, sizeof(b));
	int rc_h = capture(&lab, "a", getent, h, sizeof(h));
	int rc_n = capture(&lab, "b", hostname, name, sizeof(name));
	lab_down(&lab);
	CHECK(rc_a == 0 && rc_b == 0, "cat failed: %d %d", rc_a, rc_b);
	CHECK(strstr(a, "nameserver 10.0.2.53") && strstr(a, "search a.test"), "a sees: [%s]", a);
	CHECK(strstr(b, "nameserver 10.0.2.54") && !strstr(b, "10.0.2.53"), "b sees: [%s]", b);
	CHECK(rc_h == 0 && strstr(h, "10.0.2.2"), "getent in a: %d [%s]", rc_h, h);
	CHECK(rc_n == 0 && !strcmp(name, "b\n"), "hostname in b: [%s]", name);
	/* And the host's own file is untouched. */
	char host_resolv[1024];
	int fd = open("/etc/resolv.conf", O_RDONLY);
	if (fd >= 0) {
		read_all(fd, host_resolv, sizeof(host_resolv));
		close(fd);
		CHECK(!strstr(host_resolv, "10.0.2.53"), "the host's resolv.conf changed");
	}
	return 0;
}

static int hog(void *arg)
{
	/* Touch every page so the memory is really charged to the cgroup. */
	size_t mb = *(size_t *)arg;
	for (size_t i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);
		if (!p)
			return 3;
		memset(p, 0xa5, 1 << 20);
	}
	return 0;
}

static int body_oom(void)
{
	struct lab lab;
	int fds = fd_count();
	CHECK(up(&lab, "router", "", back_route, "") == 0, "lab did not come up");
	if (lab.sb.cg.version == 0) {
		fprintf(stderr, "    skipped: %s\n", lab.sb.cg.why);
		lab_down(&lab);
		return CHILD_SKIP;
	}
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.mem_limit = 32 << 20;
	struct lab_proc *p, *q, *s;
	err_t e;
	size_t big = 256, small = 4;
	CHECK(lab_spawn_fn(&lab, "a", hog, &big, &o, &p, &e) == 0, "%s", e.msg);
	CHECK(lab_spawn_fn(&lab, "a", hog, &small, &o, &q, &e) == 0, "%s", e.msg);
	char *sleeper[] = {"sleep", "30", NULL};
	CHECK(lab_spawn(&lab, "b", sleeper, &o, &s, &e) == 0, "%s", e.msg);
	char cgdir[PATH_MAX];
	snprintf(cgdir, sizeof(cgdir), "%s", p->cg.mem);
	struct lab_status sp, sq, ss;
	lab_wait(&lab, p, -1, &sp);
	lab_wait(&lab, q, -1, &sq);
	kill(s->pid, SIGKILL);
	lab_wait(&lab, s, -1, &ss);
	char text[256];
	lab_status_str(&sp, text, sizeof(text));
	lab_down(&lab);
	CHECK(fd_count() == fds, "file descriptors leaked: %d before, %d after", fds, fd_count());
	CHECK(sp.signaled && sp.sig == SIGKILL && sp.oom_killed, "the hog: %s", text);
	CHECK(strstr(text, "OOM kill"), "status text: %s", text);
	CHECK(sq.exited && sq.code == 0 && !sq.oom_killed, "the small one did not finish");
	/* A SIGKILL from someone else is not an OOM kill. */
	CHECK(ss.signaled && ss.sig == SIGKILL && !ss.oom_killed, "plain kill counted as OOM");
	CHECK(access(cgdir, F_OK) < 0, "cgroup %s still exists", cgdir);
	return 0;
}

static int spin(void *arg)
{
	/* Busy for a wall-clock second; under a quota the CPU time stays low. */
	(void)arg;
	long long end = sys_now_ns() + 1000000000LL;
	volatile unsigned long x = 0;
	while (sys_now_ns() < end)
		x++;
	return 0;
}

static long cpu_ms_of_children(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 + ru.ru_stime.tv_sec * 1000 +
	       ru.ru_stime.tv_usec / 1000;
}

static int body_cpu_limit(void)
{
	struct lab lab;
	CHECK(up(&lab, "router", "", back_route, "") == 0, "lab did not come up");
	if (lab.sb.cg.version == 0 || (lab.sb.cg.version == 1 && !lab.sb.cg.cpu[0])) {
		fprintf(stderr, "    skipped: no cgroup cpu controller: %s\n", lab.sb.cg.why);
		lab_down(&lab);
		return CHILD_SKIP;
	}
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.cpu_pct = 20;
	struct lab_proc *p;
	err_t e;
	long before = cpu_ms_of_children();
	CHECK(lab_spawn_fn(&lab, "a", spin, NULL, &o, &p, &e) == 0, "%s", e.msg);
	struct lab_status st;
	lab_wait(&lab, p, -1, &st);
	lab_release(&lab, p);
	long used = cpu_ms_of_children() - before;
	lab_down(&lab);
	/* 20 % of one core over one second is about 200 ms; without the quota
	 * it would be close to 1000 ms. Contention can only lower it. */
	CHECK(st.exited && st.code == 0, "the spinner did not finish");
	CHECK(used < 500, "a 20%% CPU quota let the process use %ld ms in 1 s", used);
	return 0;
}

static int body_sysctls(void)
{
	/* A per-host conntrack timeout: set on the router (whose ruleset uses
	 * conntrack), while the other hosts keep the kernel's default. */
	struct lab lab;
	const char *r_extra = ",\"sysctls\":{\"net.netfilter.nf_conntrack_udp_timeout\":7},"
	                      "\"nftables\":\"table inet fw { chain forward { type filter hook "
	                      "forward priority 0; "
	                      "ct state established accept; }\\n}\"";
	CHECK(up(&lab, "router", r_extra, back_route, "") == 0, "lab did not come up");
	char in_r[64] = "", in_b[64] = "";
	char *cat[] = {"cat", "/proc/sys/net/netfilter/nf_conntrack_udp_timeout", NULL};
	int rc_r = capture(&lab, "r", cat, in_r, sizeof(in_r));
	int rc_b = capture(&lab, "b", cat, in_b, sizeof(in_b));
	lab_down(&lab);
	CHECK(rc_r == 0 && !strcmp(in_r, "7\n"), "in r: %d [%s]", rc_r, in_r);
	CHECK(rc_b != 0 || strcmp(in_b, "7\n"), "the setting leaked into b: [%s]", in_b);
	return 0;
}

static int body_spawn_errors(void)
{
	struct lab lab;
	CHECK(up(&lab, "router", "", back_route, "") == 0, "lab did not come up");
	struct lab_proc *p;
	err_t e;
	char *nope[] = {"/nonexistent/siplab-tool", NULL};
	int rc1 = lab_spawn(&lab, "a", nope, NULL, &p, &e);
	int has_path = rc1 && strstr(e.msg, "/nonexistent/siplab-tool") != NULL;
	int rc2 = lab_spawn(&lab, "zz", nope, NULL, &p, &e);
	int has_host = rc2 && strstr(e.msg, "\"zz\"") != NULL;
	lab_down(&lab);
	CHECK(has_path, "exec failure not reported: %d", rc1);
	CHECK(has_host, "unknown host not reported: %d", rc2);
	return 0;
}

static int body_bad_ruleset(void)
{
	struct lab lab;
	int rc = up(&lab, "router", ",\"nftables\":\"table inet x { chain c { bogus; } }\"",
	            back_route, "");
	CHECK(rc < 0, "a bad ruleset was accepted");
	return 0;
}

static int body_unprivileged(void)
{
	/* Drop to nobody, then build and use the same lab through a user
	 * namespace. */
	if (getuid() == 0 && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)) {
		fprintf(stderr, "    skipped: cannot become uid 65534: %s\n", strerror(errno));
		return CHILD_SKIP;
	}
	unsetenv("XDG_RUNTIME_DIR");
	err_t e;
	if (sandbox_userns_available(&e) < 0) {
		fprintf(stderr, "    skipped: %s\n", e.msg);
		return CHILD_SKIP;
	}
	struct lab lab;
	CHECK(up(&lab, "router", "", back_route, drop_9999) == 0, "lab did not come up");
	CHECK(lab.sb.unprivileged, "not running unprivileged");
	char out[512];
	int rc = exchange(&lab, 9998, 9999, out, sizeof(out));
	lab_down(&lab);
	CHECK(rc == 0, "exchange failed");
	CHECK(strstr(out, "9998 10.0.1.2") && !strstr(out, "9999"), "b received: [%s]", out);
	return 0;
}

CHILD_TEST(routed)
CHILD_TEST(no_forwarding)
CHILD_TEST(firewall)
CHILD_TEST(nat)
CHILD_TEST(resolv)
CHILD_TEST(oom)
CHILD_TEST(cpu_limit)
CHILD_TEST(sysctls)
CHILD_TEST(spawn_errors)
CHILD_TEST(bad_ruleset)
CHILD_TEST(unprivileged)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_routed),       cmocka_unit_test(test_no_forwarding),
	        cmocka_unit_test(test_firewall),     cmocka_unit_test(test_nat),
	        cmocka_unit_test(test_resolv),       cmocka_unit_test(test_oom),
	        cmocka_unit_test(test_cpu_limit),    cmocka_unit_test(test_sysctls),
	        cmocka_unit_test(test_spawn_errors), cmocka_unit_test(test_bad_ruleset),
	        cmocka_unit_test(test_unprivileged),
	};
	return cmocka_run_group_tests_name("lab network", tests, NULL, NULL);
}

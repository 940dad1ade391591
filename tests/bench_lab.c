/* bench_lab.c — `make bench` for the lab network: time to build and tear down
 * the standard topology with 10 hosts, and the peak memory of the lab
 * process. Reference: the target of 100 ms, and the same topology built in the
 * same run by a shell script of iproute2 commands (`ip netns add`, `ip link add
 * ... type veth`, `ip addr`, `ip route`) — the way it is usually done by hand. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../netns/lab.h"
#include "../netns/topo.h"

#define ROUNDS    30
#define TARGET_MS 100.0

struct sample {
	double up_ms, down_ms;
	long rss_kb;
};

/* One build + teardown in a child (a lab changes its process for good). */
static int one_round(const char *json, struct sample *s)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		struct topo *t;
		struct lab lab;
		err_t e;
		char dir[PATH_MAX], user[PATH_MAX - 64];
		if (topo_parse(json, "standard", &t, &e) ||
		    sandbox_user_dir(user, sizeof(user), &e))
			_exit(1);
		snprintf(dir, sizeof(dir), "%s/bench.%d", user, (int)getpid());
		if (lab_up(&lab, t, dir, &e)) {
			fprintf(stderr, "%s\n", e.msg);
			_exit(1);
		}
		struct sample r;
		r.up_ms = (double)lab.build_ns / 1e6;
		long long t0 = sys_now_ns();
		lab_down(&lab);
		r.down_ms = (double)(sys_now_ns() - t0) / 1e6;
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		r.rss_kb = ru.ru_maxrss;
		(void)!write(pfd[1], &r, sizeof(r));
		_exit(0);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], s, sizeof(*s));
	close(pfd[0]);
	int status;
	waitpid(pid, &status, 0);
	return n == sizeof(*s) && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* The same hosts, links, addresses and routes as an iproute2 script, run in
 * its own user+mount+network namespaces with a private /run, so nothing of it
 * reaches the host either. */
static char *iproute2_script(const struct topo *t)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	fprintf(f, "set -e; mount -t tmpfs tmpfs /run; t0=$(date +%%s%%N)\n");
	for (int h = 0; h < t->n_hosts; h++) {
		fprintf(f, "ip netns add %s; ip -n %s link set lo up\n", t->hosts[h].name,
		        t->hosts[h].name);
		if (t->hosts[h].forward)
			fprintf(f, "ip netns exec %s sysctl -qw net.ipv4.ip_forward=1\n",
			        t->hosts[h].name);
	}
	for (int i = 0; i < t->n_links; i++) {
		const struct topo_end *a = &t->links[i].a, *b = &t->links[i].b;
		const char *ha = t->hosts[a->host].name, *hb = t->hosts[b->host].name;
		fprintf(f, "ip -n %s link add %s type veth peer name %s netns %s\n", ha, a->ifname,
		        b->ifname, hb);
		fprintf(f, "ip -n %s addr add %s dev %s; ip -n %s link set %s up\n", ha, a->addr,
		        a->ifname, ha, a->ifname);
		fprintf(f, "ip -n %s addr add %s dev %s; ip -n %s link set %s up\n", hb, b->addr,
		        b->ifname, hb, b->ifname);
	}
	for (int h = 0; h < t->n_hosts; h++)
		for (int r = 0; r < t->hosts[h].n_routes; r++)
			fprintf(f, "ip -n %s route add %s via %s\n", t->hosts[h].name,
			        t->hosts[h].routes[r].to, t->hosts[h].routes[r].via);
	fprintf(f, "t1=$(date +%%s%%N)\n");
	for (int h = 0; h < t->n_hosts; h++)
		fprintf(f, "ip netns del %s\n", t->hosts[h].name);
	fprintf(f, "t2=$(date +%%s%%N); echo $(( (t1-t0)/1000 )) $(( (t2-t1)/1000 ))\n");
	fclose(f);
	return out;
}

static int peer_round(const char *script, struct sample *s)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execlp("unshare", "unshare", "--user", "--map-root-user", "--mount", "--net",
		       "--propagation", "private", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	char buf[128] = "";
	ssize_t n = read(pfd[0], buf, sizeof(buf) - 1);
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	long up_us, down_us;
	if (n <= 0 || sscanf(buf, "%ld %ld", &up_us, &down_us) != 2)
		return -1;
	s->up_ms = (double)up_us / 1e3;
	s->down_ms = (double)down_us / 1e3;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void summary(const char *what, double *v, int n, double *median)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	*median = v[n / 2];
	printf("  %-34s median %7.1f ms   p90 %7.1f ms   max %7.1f ms\n", what, v[n / 2],
	       v[n * 9 / 10], v[n - 1]);
}

int main(void)
{
	char *json = topo_standard_json(5, 0);
	struct topo *t;
	err_t e;
	if (!json || topo_parse(json, "standard", &t, &e)) {
		fprintf(stderr, "bench: cannot build the standard topology\n");
		return 1;
	}
	printf("bench: lab network — standard topology, %d hosts, %d links, %d rounds\n",
	       t->n_hosts, t->n_links, ROUNDS);
	double up[ROUNDS], down[ROUNDS], total[ROUNDS], pup[ROUNDS], pdown[ROUNDS], ptotal[ROUNDS];
	long rss = 0;
	char *script = iproute2_script(t);
	int peer_ok = 1;
	for (int i = 0; i < ROUNDS; i++) {
		struct sample s, p;
		if (one_round(json, &s)) {
			fprintf(stderr, "bench: round %d failed\n", i);
			return 1;
		}
		up[i] = s.up_ms;
		down[i] = s.down_ms;
		total[i] = s.up_ms + s.down_ms;
		rss = s.rss_kb > rss ? s.rss_kb : rss;
		if (peer_ok && peer_round(script, &p) == 0) {
			pup[i] = p.up_ms;
			pdown[i] = p.down_ms;
			ptotal[i] = p.up_ms + p.down_ms;
		} else {
			peer_ok = 0;
		}
	}
	double m_up, m_down, m_total, p_up, p_down, p_total;
	printf(" siplab (libnl, in-process):\n");
	summary("build (sandbox + hosts + links)", up, ROUNDS, &m_up);
	summary("tear down", down, ROUNDS, &m_down);
	summary("build + tear down", total, ROUNDS, &m_total);
	printf("  peak memory of the lab process     %ld kB\n", rss);
	if (peer_ok) {
		printf(" reference, same run: iproute2 shell script (ip netns/link/addr/route):\n");
		summary("build", pup, ROUNDS, &p_up);
		summary("tear down", pdown, ROUNDS, &p_down);
		summary("build + tear down", ptotal, ROUNDS, &p_total);
		printf(" ratio: siplab is %.1fx faster than the iproute2 script (build + tear "
		       "down)\n",
		       p_total / m_total);
	} else {
		printf(" reference iproute2 script could not run here (unshare/ip missing)\n");
	}
	printf(" target: build + tear down under %.0f ms for 10 hosts: %s (median %.1f ms)\n",
	       TARGET_MS, m_total < TARGET_MS ? "MET" : "NOT MET", m_total);
	free(script);
	free(json);
	topo_free(t);
	return 0;
}

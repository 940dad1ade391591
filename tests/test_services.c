/* test_services.c — the lab's DNS and STUN servers, checked with clients no
 * one here wrote: dig (bind9-dnsutils), sofia-sip's own resolver, and coturn's
 * turnutils_stunclient; and how the lab knows a service is ready (its READY
 * line, or an answered OPTIONS), and says so when one never is. */
#define _GNU_SOURCE
#include "labrun.h"

#include <arpa/inet.h>
#include <signal.h>
#include <sofia-resolv/sres.h>
#include <sofia-resolv/sres_record.h>

static const char dns_json[] =
        "{\"listen\":\"10.10.4.2\",\"records\":["
        "{\"name\":\"registrar.lab\",\"type\":\"A\",\"value\":\"10.10.2.2\"},"
        "{\"name\":\"_sip._udp.lab\",\"type\":\"SRV\",\"priority\":10,\"weight\":10,"
        "\"port\":5060,\"value\":\"registrar.lab\"},"
        "{\"name\":\"lab\",\"type\":\"NAPTR\",\"order\":10,\"preference\":10,\"flags\":\"s\","
        "\"service\":\"SIP+D2U\",\"value\":\"_sip._udp.lab\"}],"
        "\"faults\":[%s]}";

static int write_dns(struct lab *lab, const char *faults, char *path, size_t cap)
{
	char json[2048];
	snprintf(json, sizeof(json), dns_json, faults);
	return lab_file(lab, "dns.json", json, path, cap);
}

static int dig(struct lab *lab, const char *name, const char *type, char *out, size_t cap)
{
	char *argv[] = {"dig",       "+tries=1",   "+time=1",    "+noall", "+answer",
	                "+comments", (char *)name, (char *)type, NULL};
	return capture(lab, "worker1", argv, out, cap);
}

static int body_dns_dig(void)
{
	struct lab lab;
	char path[PATH_MAX], a[2048], srv[2048], naptr[2048], nx[2048], sf[2048], wrong[2048],
	        drop[2048], after[2048];
	CHECK(std_lab_up(&lab) == 0, "lab did not come up");
	write_dns(&lab,
	          "{\"name\":\"gone.lab\",\"mode\":\"nxdomain\"},"
	          "{\"name\":\"broken.lab\",\"mode\":\"servfail\"},"
	          "{\"name\":\"liar.lab\",\"mode\":\"wrong\",\"address\":\"10.10.9.9\"},"
	          "{\"name\":\"silent.lab\",\"mode\":\"drop\"}",
	          path, sizeof(path));
	char *argv[] = {(char *)siplab_bin(), "dns", path, NULL};
	struct lab_proc *dns = start_service(&lab, "dns", argv);
	CHECK(dns, "dns server did not start");
	dig(&lab, "registrar.lab", "A", a, sizeof(a));
	dig(&lab, "_sip._udp.lab", "SRV", srv, sizeof(srv));
	dig(&lab, "lab", "NAPTR", naptr, sizeof(naptr));
	dig(&lab, "gone.lab", "A", nx, sizeof(nx));
	dig(&lab, "broken.lab", "A", sf, sizeof(sf));
	dig(&lab, "liar.lab", "A", wrong, sizeof(wrong));
	int drop_rc = dig(&lab, "silent.lab", "A", drop, sizeof(drop));
	/* Switch a fault on mid-run: edit the file, SIGHUP the server. */
	write_dns(&lab, "{\"name\":\"registrar.lab\",\"mode\":\"nxdomain\"}", path, sizeof(path));
	kill(dns->pid, SIGHUP);
	usleep(200000);
	dig(&lab, "registrar.lab", "A", after, sizeof(after));
	lab_stop_service(&lab, dns, NULL);
	lab_down(&lab);
	CHECK(strstr(a, "NOERROR") && strstr(a, "IN\tA\t10.10.2.2"), "A: %s", a);
	CHECK(strstr(srv, "SRV\t10 10 5060 registrar.lab."), "SRV: %s", srv);
	CHECK(strstr(naptr, "NAPTR\t10 10 \"s\" \"SIP+D2U\" \"\" _sip._udp.lab."), "NAPTR: %s",
	      naptr);
	CHECK(strstr(nx, "NXDOMAIN"), "nxdomain: %s", nx);
	CHECK(strstr(sf, "SERVFAIL"), "servfail: %s", sf);
	CHECK(strstr(wrong, "10.10.9.9") && !strstr(wrong, "10.10.2.2"), "wrong: %s", wrong);
	CHECK(drop_rc != 0 || strstr(drop, "timed out"), "drop was answered: %s", drop);
	CHECK(strstr(after, "NXDOMAIN"), "the fault did not switch on: %s", after);
	return 0;
}

/* In worker1: RFC 3263 with sofia's resolver — NAPTR, then SRV, then A —
 * using the host's /etc/resolv.conf. Prints "HOST PORT ADDRESS". */
static int sres_main(void *arg)
{
	(void)arg;
	sres_resolver_t *res = sres_resolver_new("/etc/resolv.conf");
	sres_record_t **ans = NULL;
	char replace[256] = "", target[256] = "", addr[64] = "";
	int port = 0;
	if (!res)
		return 2;
	if (sres_blocking_query(res, sres_type_naptr, "lab", 1, &ans) >= 0 && ans && ans[0] &&
	    ans[0]->sr_record->r_type == sres_type_naptr)
		snprintf(replace, sizeof(replace), "%s", ans[0]->sr_naptr->na_replace);
	sres_free_answers(res, ans);
	ans = NULL;
	if (replace[0] && sres_blocking_query(res, sres_type_srv, replace, 1, &ans) >= 0 && ans &&
	    ans[0] && ans[0]->sr_record->r_type == sres_type_srv) {
		snprintf(target, sizeof(target), "%s", ans[0]->sr_srv->srv_target);
		port = ans[0]->sr_srv->srv_port;
	}
	sres_free_answers(res, ans);
	ans = NULL;
	if (target[0] && sres_blocking_query(res, sres_type_a, target, 1, &ans) >= 0 && ans &&
	    ans[0] && ans[0]->sr_record->r_type == sres_type_a)
		inet_ntop(AF_INET, &ans[0]->sr_a->a_addr, addr, sizeof(addr));
	sres_free_answers(res, ans);
	sres_resolver_unref(res);
	printf("%s %s %d %s\n", replace, target, port, addr);
	return addr[0] ? 0 : 1;
}

static int body_dns_sofia(void)
{
	struct lab lab;
	char path[PATH_MAX], out[1024];
	CHECK(std_lab_up(&lab) == 0, "lab did not come up");
	write_dns(&lab, "", path, sizeof(path));
	char *argv[] = {(char *)siplab_bin(), "dns", path, NULL};
	struct lab_proc *dns = start_service(&lab, "dns", argv);
	CHECK(dns, "dns server did not start");
	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = pfd[1];
	struct lab_proc *p;
	err_t e;
	CHECK(lab_spawn_fn(&lab, "worker1", sres_main, NULL, &o, &p, &e) == 0, "%s", e.msg);
	close(pfd[1]);
	read_all(pfd[0], out, sizeof(out));
	close(pfd[0]);
	struct lab_status st;
	lab_wait(&lab, p, -1, &st);
	lab_release(&lab, p);
	lab_stop_service(&lab, dns, NULL);
	lab_down(&lab);
	CHECK(st.exited && st.code == 0, "sofia's resolver failed: %s", out);
	CHECK(!strcmp(out, "_sip._udp.lab. registrar.lab. 5060 10.10.2.2\n"), "chain: %s", out);
	return 0;
}

static int stun_from(struct lab *lab, const char *host, char *out, size_t cap)
{
	char *argv[] = {"turnutils_stunclient", "-p", "3478", "10.10.4.2", NULL};
	return capture(lab, host, argv, out, cap);
}

static int body_stun(void)
{
	/* Behind the NAT router the worker learns the router's outside address;
	 * a host on the core network learns its own. */
	struct lab lab;
	char w[4096], c[4096];
	CHECK(std_lab_up_nat(&lab, 1) == 0, "lab did not come up");
	char *argv[] = {(char *)siplab_bin(), "stun", "10.10.4.2:3478", NULL};
	struct lab_proc *stun = start_service(&lab, "dns", argv);
	CHECK(stun, "stun server did not start");
	int rc_w = stun_from(&lab, "worker1", w, sizeof(w));
	int rc_c = stun_from(&lab, "registrar", c, sizeof(c));
	lab_stop_service(&lab, stun, NULL);
	lab_down(&lab);
	CHECK(rc_w == 0 && strstr(w, "reflexive addr: 10.10.9.2:"), "worker1 behind NAT: %s", w);
	CHECK(rc_c == 0 && strstr(c, "reflexive addr: 10.10.2.2:"), "registrar host: %s", c);
	return 0;
}

/* A service is ready when it says so, and says on what. */
static int body_ready_line(void)
{
	struct lab lab;
	char path[PATH_MAX];
	CHECK(std_lab_up(&lab) == 0, "lab did not come up");
	write_dns(&lab, "", path, sizeof(path));
	char *argv[] = {(char *)siplab_bin(), "dns", path, NULL};
	struct lab_proc *dns = start_service(&lab, "dns", argv);
	char said[sizeof(dns->ready)] = "";
	if (dns) {
		snprintf(said, sizeof(said), "%s", dns->ready);
		lab_stop_service(&lab, dns, NULL);
	}
	lab_down(&lab);
	CHECK(dns, "dns server did not start");
	CHECK(!strcmp(said, "udp:10.10.4.2:53"), "it said READY %s", said);
	return 0;
}

/* lab_service's error for argv, which must never become ready. */
static int unready(struct lab *lab, char *const argv[], const struct lab_ready *r,
                   const char *log_name, char *log, size_t cap, err_t *e)
{
	struct lab_proc *p = NULL;
	snprintf(log, cap, "%s/%s", lab->sb.rundir, log_name);
	long long t0 = sys_now_ns();
	int rc = lab_service(lab, "registrar", argv, log, r, &p, e);
	CHECK(rc != 0 && !p, "%s was taken for ready", argv[0]);
	CHECK(sys_now_ns() - t0 < 20000000000LL, "the wait outlasted its timeout by far");
	return 0;
}

/* A service that exits before it is ready, one that stays silent, and one
 * that cannot say READY and whose port never answers: each error names the
 * service, says it never became ready and why, and gives its log. */
static int body_never_ready(void)
{
	struct lab lab;
	char log1[PATH_MAX], log2[PATH_MAX], log3[PATH_MAX];
	err_t e1, e2, e3;
	CHECK(std_lab_up(&lab) == 0, "lab did not come up");
	char *exits[] = {(char *)siplab_bin(), "dns", "/nonexistent/dns.json", NULL};
	char *silent[] = {"sleep", "30", NULL};
	const struct lab_ready line = {.how = LAB_READY_LINE, .timeout_ms = 1500};
	const struct lab_ready sip = {LAB_READY_SIP, 1500, "10.10.2.2", 5060};
	int rc = unready(&lab, exits, &line, "exits.log", log1, sizeof(log1), &e1) ||
	         unready(&lab, silent, &line, "silent.log", log2, sizeof(log2), &e2) ||
	         unready(&lab, silent, &sip, "deaf.log", log3, sizeof(log3), &e3);
	int left = lab.procs != NULL;
	lab_down(&lab);
	CHECK(rc == 0, "a service was taken for ready");
	CHECK(!left, "a service that never became ready was left running");
	CHECK(strstr(e1.msg, "siplab dns in host registrar never became ready") &&
	              strstr(e1.msg, "exited with 1 before saying READY") && strstr(e1.msg, log1) &&
	              strstr(e1.msg, "/nonexistent/dns.json"),
	      "exits early: %s", e1.msg);
	CHECK(strstr(e2.msg, "sleep 30 in host registrar never became ready") &&
	              strstr(e2.msg, "no READY line within 1500 ms") && strstr(e2.msg, log2),
	      "silent: %s", e2.msg);
	CHECK(strstr(e3.msg, "never became ready") &&
	              strstr(e3.msg, "no answer to OPTIONS within 1500 ms") && strstr(e3.msg, log3),
	      "deaf: %s", e3.msg);
	return 0;
}

/* The environment a process is given is its own: the lab's stays as it was. */
static int body_spawn_env(void)
{
	struct lab lab;
	char out[256];
	CHECK(std_lab_up(&lab) == 0, "lab did not come up");
	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	char *env[] = {"SIPLAB_TEST_ONLY=for-the-child", NULL};
	char *argv[] = {"sh", "-c", "echo \"[$SIPLAB_TEST_ONLY]\"", NULL};
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = pfd[1];
	o.env = env;
	struct lab_proc *p = NULL;
	err_t e;
	int rc = lab_spawn(&lab, "worker1", argv, &o, &p, &e);
	close(pfd[1]);
	read_all(pfd[0], out, sizeof(out));
	close(pfd[0]);
	if (!rc)
		lab_wait(&lab, p, 5000, NULL);
	lab_down(&lab);
	CHECK(rc == 0, "%s", e.msg);
	CHECK(!strcmp(out, "[for-the-child]\n"), "the child saw %s", out);
	CHECK(!getenv("SIPLAB_TEST_ONLY"), "the lab's own environment changed");
	return 0;
}

CHILD_TEST(dns_dig)
CHILD_TEST(dns_sofia)
CHILD_TEST(stun)
CHILD_TEST(ready_line)
CHILD_TEST(never_ready)
CHILD_TEST(spawn_env)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_dns_dig),     cmocka_unit_test(test_dns_sofia),
	        cmocka_unit_test(test_stun),        cmocka_unit_test(test_ready_line),
	        cmocka_unit_test(test_never_ready), cmocka_unit_test(test_spawn_env),
	};
	return cmocka_run_group_tests_name("dns and stun", tests, NULL, NULL);
}

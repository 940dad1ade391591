/* test_registrar.c — siplab's registrar and proxy against peers no one here
 * wrote: sipp (and sipsak) in the standard lab. Each test starts a lab, runs
 * `siplab registrar` in the registrar host and drives it from worker1. */
#define _GNU_SOURCE
#include "labrun.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include "../registrar/callees.h"
#include "../registrar/config.h"
#include "../registrar/sbc.h"

#define REG_ADDR "10.10.2.2"

static const char base_cfg[] =
        "{\"listen\":\"" REG_ADDR "\",\"domains\":[\"lab\"],\"transports\":%s,"
        "\"accounts\":[{\"user\":\"alice\",\"password\":\"apw\"},"
        "{\"user\":\"bob\",\"password\":\"bpw\",\"enabled\":false}],"
        "\"account_pool\":{\"prefix\":\"ep\",\"count\":20,\"password\":\"secret\"}%s}";

struct reg {
	struct lab lab;
	struct lab_proc *proc, *dns;
	char log[PATH_MAX];
};

/* The lab's names, so nothing waits on a resolver timeout (unknown names get
 * NXDOMAIN at once), and records for RFC 3263 lookups of "lab". */
static const char dns_cfg[] =
        "{\"listen\":\"10.10.4.2\",\"records\":["
        "{\"name\":\"registrar.lab\",\"type\":\"A\",\"value\":\"" REG_ADDR "\"},"
        "{\"name\":\"_sip._udp.lab\",\"type\":\"SRV\",\"priority\":10,\"weight\":10,"
        "\"port\":5060,\"value\":\"registrar.lab\"},"
        "{\"name\":\"lab\",\"type\":\"NAPTR\",\"order\":10,\"preference\":10,"
        "\"flags\":\"s\",\"service\":\"SIP+D2U\",\"value\":\"_sip._udp.lab\"}]}";

static int start_dns(struct reg *r)
{
	char path[PATH_MAX];
	if (lab_file(&r->lab, "dns.json", dns_cfg, path, sizeof(path)))
		return -1;
	char *argv[] = {(char *)siplab_bin(), "dns", path, NULL};
	int devnull = open("/dev/null", O_WRONLY);
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_err = devnull;
	err_t e;
	int rc = lab_spawn(&r->lab, "dns", argv, &o, &r->dns, &e);
	close(devnull);
	if (rc)
		fprintf(stderr, "    %s\n", e.msg);
	return rc;
}

/* Start the lab and the registrar with the given transports and extra
 * config members; wait until it listens. */
static int reg_up_nat(struct reg *r, int nat, const char *transports, const char *extra)
{
	if (std_lab_up_nat(&r->lab, nat) || start_dns(r))
		return -1;
	char cfg[2048], path[PATH_MAX];
	snprintf(cfg, sizeof(cfg), base_cfg, transports, extra);
	if (lab_file(&r->lab, "reg.json", cfg, path, sizeof(path)))
		return -1;
	snprintf(r->log, sizeof(r->log), "%s/registrar.log", r->lab.sb.rundir);
	int fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_err = fd;
	char *argv[] = {(char *)siplab_bin(), "registrar", path, NULL};
	err_t e;
	int rc = lab_spawn(&r->lab, "registrar", argv, &o, &r->proc, &e);
	close(fd);
	if (rc) {
		fprintf(stderr, "    %s\n", e.msg);
		return -1;
	}
	char text[4096] = "";
	for (int i = 0; i < 500 && !strstr(text, "listening") && !strstr(text, "cannot"); i++) {
		usleep(10000);
		sys_read_file(r->log, text, sizeof(text));
	}
	if (!strstr(text, "listening"))
		fprintf(stderr, "    registrar did not start: %s\n", text);
	return strstr(text, "listening") ? 0 : -1;
}

static int reg_up(struct reg *r, const char *transports, const char *extra)
{
	return reg_up_nat(r, 0, transports, extra);
}

/* Stop the registrar (SIGTERM) and the lab; returns the registrar's log. */
static int reg_down(struct reg *r, char *log, size_t cap, int *exit_code)
{
	kill(r->proc->pid, SIGTERM);
	struct lab_status st;
	lab_wait(&r->lab, r->proc, -1, &st);
	lab_release(&r->lab, r->proc);
	if (log)
		sys_read_file(r->log, log, cap);
	if (exit_code)
		*exit_code = st.exited ? st.code : 128 + st.sig;
	lab_stop_service(&r->lab, r->dns, NULL);
	lab_down(&r->lab);
	return 0;
}

static int scenario(struct reg *r, const char *tmpl, const char *code, const char *check,
                    char *path, size_t cap)
{
	return sipp_scenario(&r->lab, tmpl, code, check, path, cap);
}

/* sipp's final screen: cumulative successful and failed calls. */
static void sipp_counts(const char *out, int *ok, int *failed)
{
	const char *s = strstr(out, "Successful call"), *f = strstr(out, "Failed call");
	*ok = *failed = -1;
	if (s)
		sscanf(strchr(s, '|') + 1, "%*d %*[|] %d", ok);
	if (f)
		sscanf(strchr(f, '|') + 1, "%*d %*[|] %d", failed);
}

/* Run sipp in worker1 against the registrar; extra args after the scenario. */
static int sipp(struct reg *r, const char *transport, const char *scen, const char *csv,
                const char *const *extra, char *out, size_t cap)
{
	char *argv[40];
	int n = 0;
	argv[n++] = "sipp";
	argv[n++] = REG_ADDR ":5060";
	argv[n++] = "-t";
	argv[n++] = (char *)transport;
	argv[n++] = "-sf";
	argv[n++] = (char *)scen;
	argv[n++] = "-nostdin";
	argv[n++] = "-timeout";
	argv[n++] = "20s";
	if (csv) {
		argv[n++] = "-inf";
		argv[n++] = (char *)csv;
	}
	for (int i = 0; extra && extra[i] && n < 38; i++)
		argv[n++] = (char *)extra[i];
	argv[n] = NULL;
	return capture(&r->lab, "worker1", argv, out, cap);
}

static const char users_ok[] = "SEQUENTIAL\n"
                               "ep0001;[authentication username=ep0001 password=secret]\n"
                               "ep0002;[authentication username=ep0002 password=secret]\n"
                               "ep0003;[authentication username=ep0003 password=secret]\n";

static int body_register_auth(void)
{
	struct reg r;
	CHECK(reg_up(&r, "[\"udp\",\"tcp\"]", "") == 0, "registrar did not start");
	char scen[PATH_MAX], csv[PATH_MAX], out[16384];
	const char *m3[] = {"-m", "3", NULL};
	CHECK(scenario(&r, "register_auth_expect.xml", "200", NULL, scen, sizeof(scen)) == 0,
	      "no scenario");
	CHECK(lab_file(&r.lab, "users.csv", users_ok, csv, sizeof(csv)) == 0, "no csv");
	int udp = sipp(&r, "u1", scen, csv, m3, out, sizeof(out));
	int ok_udp, bad_udp;
	sipp_counts(out, &ok_udp, &bad_udp);
	int tcp = sipp(&r, "t1", scen, csv, m3, out, sizeof(out));
	int ok_tcp, bad_tcp;
	sipp_counts(out, &ok_tcp, &bad_tcp);
	char log[65536];
	int code;
	reg_down(&r, log, sizeof(log), &code);
	CHECK(udp == 0 && ok_udp == 3, "sipp over UDP: exit %d, %d registered", udp, ok_udp);
	CHECK(tcp == 0 && ok_tcp == 3, "sipp over TCP: exit %d, %d registered: %s", tcp, ok_tcp,
	      out);
	CHECK(code == 0, "registrar exit %d", code);
	/* The far side's view: every message logged with direction and Call-ID. */
	CHECK(strstr(log, "recv udp/[10.20.1.2]") && strstr(log, "REGISTER sip:lab SIP/2.0") &&
	              strstr(log, "SIP/2.0 401 Unauthorized") && strstr(log, "recv tcp/") &&
	              strstr(log, "call-id "),
	      "message log lacks entries:\n%.2000s", log);
	CHECK(strstr(log, "6 OK"), "registrar stats: %s", strrchr(log, '\n') ? log : log);
	return 0;
}

struct code_case {
	const char *user, *domain, *expect;
};

static int body_register_codes(void)
{
	struct reg r;
	CHECK(reg_up(&r, "[\"udp\"]", "") == 0, "registrar did not start");
	static const struct code_case cases[] = {
	        {"alice", "lab", "401"},   /* no credentials: challenge */
	        {"bob", "lab", "403"},     /* disabled account */
	        {"nobody", "lab", "404"},  /* unknown user */
	        {"alice", "other", "404"}, /* unknown domain */
	};
	char scen[PATH_MAX], csv[PATH_MAX], out[16384], line[128];
	const char *m1[] = {"-m", "1", NULL};
	int rc[4], ok[4], failed[4];
	for (int i = 0; i < 4; i++) {
		snprintf(line, sizeof(line), "SEQUENTIAL\n%s;%s\n", cases[i].user, cases[i].domain);
		lab_file(&r.lab, "one.csv", line, csv, sizeof(csv));
		scenario(&r, "register_expect.xml", cases[i].expect, NULL, scen, sizeof(scen));
		rc[i] = sipp(&r, "u1", scen, csv, m1, out, sizeof(out));
		sipp_counts(out, &ok[i], &failed[i]);
	}
	/* Wrong password: challenged, answered, challenged again. */
	lab_file(&r.lab, "wrong.csv",
	         "SEQUENTIAL\nalice;[authentication username=alice password=nope]\n", csv,
	         sizeof(csv));
	scenario(&r, "register_auth_expect.xml", "401", NULL, scen, sizeof(scen));
	int wrong = sipp(&r, "u1", scen, csv, m1, out, sizeof(out));
	/* And the right one succeeds, so the 401s above were about the password. */
	lab_file(&r.lab, "right.csv",
	         "SEQUENTIAL\nalice;[authentication username=alice password=apw]\n", csv,
	         sizeof(csv));
	scenario(&r, "register_auth_expect.xml", "200", NULL, scen, sizeof(scen));
	int right = sipp(&r, "u1", scen, csv, m1, out, sizeof(out));
	reg_down(&r, NULL, 0, NULL);
	for (int i = 0; i < 4; i++)
		CHECK(rc[i] == 0 && ok[i] == 1, "%s@%s: expected %s, sipp exit %d", cases[i].user,
		      cases[i].domain, cases[i].expect, rc[i]);
	CHECK(wrong == 0, "wrong password did not get a second 401 (sipp exit %d)", wrong);
	CHECK(right == 0, "right password did not get 200 (sipp exit %d)", right);
	return 0;
}

/* 10 REGISTERs at 200/s against a limit of 2 per second: the first ones get
 * the 401 challenge, the rest the configured signature. */
static int rate_limit(const char *mode, const char *expect, const char *check, int drop)
{
	struct reg r;
	char extra[128];
	snprintf(extra, sizeof(extra),
	         ",\"rate_limit\":{\"per_second\":2,\"mode\":\"%s\",\"retry_after\":7}", mode);
	CHECK(reg_up(&r, "[\"udp\"]", extra) == 0, "registrar did not start");
	char scen[PATH_MAX], csv[PATH_MAX], out[16384];
	lab_file(&r.lab, "many.csv",
	         "SEQUENTIAL\nep0001;lab\nep0002;lab\nep0003;lab\nep0004;lab\nep0005;lab\n", csv,
	         sizeof(csv));
	/* Dropped requests: sipp gives up on each after 1 s. */
	scenario(&r, "register_expect.xml", drop ? "401" : expect, check, scen, sizeof(scen));
	const char *args[] = {"-m", "10", "-r", "200", "-recv_timeout", "1000", NULL};
	int rc = sipp(&r, "u1", scen, csv, args, out, sizeof(out));
	int ok, failed;
	sipp_counts(out, &ok, &failed);
	char log[65536];
	reg_down(&r, log, sizeof(log), NULL);
	(void)rc;
	if (drop) {
		/* Only the challenged ones got any answer; the others timed out. */
		CHECK(ok >= 2 && ok <= 4 && failed == 10 - ok, "drop: %d answered, %d timed out",
		      ok, failed);
		CHECK(strstr(log, "rate-limited"), "no stats");
	} else {
		CHECK(ok >= 6 && failed == 10 - ok, "%s: %d of 10 got %s (failed %d)", mode, ok,
		      expect, failed);
	}
	return 0;
}

static int body_rate_limit_503(void)
{
	/* 503 with the configured Retry-After, checked by sipp itself. */
	return rate_limit(
	        "503", "503",
	        "<action><ereg regexp=\"^ *7 *$\" search_in=\"hdr\" header=\"Retry-After:\" "
	        "check_it=\"true\" assign_to=\"1\"/></action>",
	        0);
}

static int body_rate_limit_429(void)
{
	return rate_limit("429", "429", NULL, 0);
}

static int body_rate_limit_403(void)
{
	return rate_limit("403", "403", NULL, 0);
}

static int body_rate_limit_drop(void)
{
	return rate_limit("drop", NULL, NULL, 1);
}

static int body_closed_transport(void)
{
	/* A registrar listening on TCP only: a UDP REGISTER gets nothing back
	 * (the port is closed), while TCP works. */
	struct reg r;
	CHECK(reg_up(&r, "[\"tcp\"]", "") == 0, "registrar did not start");
	char scen[PATH_MAX], csv[PATH_MAX], out[16384];
	lab_file(&r.lab, "one.csv", "SEQUENTIAL\nalice;lab\n", csv, sizeof(csv));
	scenario(&r, "register_expect.xml", "401", NULL, scen, sizeof(scen));
	const char *args[] = {"-m", "1", "-recv_timeout", "1000", NULL};
	int udp = sipp(&r, "u1", scen, csv, args, out, sizeof(out));
	int ok_udp, bad_udp;
	sipp_counts(out, &ok_udp, &bad_udp);
	int tcp = sipp(&r, "t1", scen, csv, args, out, sizeof(out));
	reg_down(&r, NULL, 0, NULL);
	CHECK(udp != 0 && ok_udp == 0, "UDP REGISTER to a TCP-only registrar was answered");
	CHECK(tcp == 0, "TCP REGISTER failed (sipp exit %d)", tcp);
	return 0;
}

static int body_proxy_call(void)
{
	struct reg r;
	CHECK(reg_up(&r, "[\"udp\"]", "") == 0, "registrar did not start");
	char scen[PATH_MAX], csv[PATH_MAX], out[16384];
	/* The callee registers ep0002 with its contact on port 5070 ... */
	lab_file(&r.lab, "callee.csv",
	         "SEQUENTIAL\nep0002;[authentication username=ep0002 password=secret]\n", csv,
	         sizeof(csv));
	scenario(&r, "register_auth_expect.xml", "200", NULL, scen, sizeof(scen));
	char *reg_argv[] = {
	        "sipp", REG_ADDR ":5060", "-sf",      scen,       "-inf", csv, "-m", "1",
	        "-p",   "5070",           "-nostdin", "-timeout", "10s",  NULL};
	int reg_rc = capture(&r.lab, "callee", reg_argv, out, sizeof(out));
	/* ... and answers there, keeping the proxy in the path. */
	char *uas[] = {"sipp", "-sf",      "tests/sipp/uas_rr.xml",
	               "-p",   "5070",     "-m",
	               "1",    "-nostdin", "-timeout",
	               "15s",  NULL};
	struct lab_proc *callee;
	err_t e;
	int devnull = open("/dev/null", O_WRONLY);
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = o.fd_err = devnull;
	CHECK(lab_spawn(&r.lab, "callee", uas, &o, &callee, &e) == 0, "%s", e.msg);
	close(devnull);
	usleep(300000);
	/* The caller's sipp calls ep0002@lab through the proxy: INVITE, ACK and
	 * BYE along the recorded route. */
	lab_file(&r.lab, "call.csv", "SEQUENTIAL\nep0002;lab\n", csv, sizeof(csv));
	const char *m1[] = {"-m", "1", NULL};
	int call_rc = sipp(&r, "u1", "tests/sipp/call_domain.xml", csv, m1, out, sizeof(out));
	struct lab_status st;
	lab_wait(&r.lab, callee, 15000, &st);
	lab_release(&r.lab, callee);
	/* A callee that is not registered: 480. */
	scenario(&r, "invite_expect.xml", "480", NULL, scen, sizeof(scen));
	char *unreg[] = {"sipp", REG_ADDR ":5060", "-sf",      scen,  "-s", "ep0003", "-m",
	                 "1",    "-nostdin",       "-timeout", "10s", NULL};
	int unreg_rc = capture(&r.lab, "worker1", unreg, out, sizeof(out));
	/* An unknown user: 404. */
	scenario(&r, "invite_expect.xml", "404", NULL, scen, sizeof(scen));
	char *unknown[] = {"sipp", REG_ADDR ":5060", "-sf",      scen,  "-s", "nobody", "-m",
	                   "1",    "-nostdin",       "-timeout", "10s", NULL};
	int unknown_rc = capture(&r.lab, "worker1", unknown, out, sizeof(out));
	char log[65536];
	reg_down(&r, log, sizeof(log), NULL);
	CHECK(reg_rc == 0, "callee registration failed");
	CHECK(call_rc == 0, "the call through the proxy failed (sipp exit %d)", call_rc);
	CHECK(st.exited && st.code == 0, "the callee's sipp did not see a full call");
	CHECK(strstr(log, "send udp/[10.10.3.2]:5070 INVITE sip:ep0002@10.10.3.2:5070"),
	      "the INVITE was not proxied to the registered contact:\n%.3000s", log);
	CHECK(unreg_rc == 0, "INVITE to an unregistered callee did not get 480");
	CHECK(unknown_rc == 0, "INVITE to an unknown user did not get 404");
	return 0;
}

/* --- RFC 4475 torture messages ------------------------------------------------- */

static int connect_to(int type)
{
	int fd = socket(AF_INET, type, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5060)};
	inet_pton(AF_INET, REG_ADDR, &sa.sin_addr);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static const char probe_register[] =
        "REGISTER sip:lab SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 10.20.1.2:5999;rport;branch=z9hG4bKprobe%d\r\n"
        "From: <sip:alice@lab>;tag=p%d\r\n"
        "To: <sip:alice@lab>\r\n"
        "Call-ID: probe-%d@10.20.1.2\r\n"
        "CSeq: 1 REGISTER\r\n"
        "Max-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n";

/* A normal REGISTER must still get its 401. */
static int registrar_answers(int seq)
{
	char probe[1024], reply[2048] = "";
	int n = snprintf(probe, sizeof(probe), probe_register, seq, seq, seq);
	int fd = connect_to(SOCK_DGRAM);
	if (fd < 0 || send(fd, probe, (size_t)n, 0) != n) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	/* Patient, and resent: a sanitizer build on a loaded machine may still
	 * be working through the batch (this checks that it answers, not how
	 * fast). */
	struct pollfd p = {fd, POLLIN, 0};
	ssize_t got = 0;
	for (int tries = 0; tries < 10 && got <= 0; tries++) {
		if (tries && send(fd, probe, (size_t)n, 0) != n)
			break;
		got = poll(&p, 1, 1000) > 0 ? recv(fd, reply, sizeof(reply) - 1, 0) : 0;
	}
	close(fd);
	reply[got > 0 ? got : 0] = '\0';
	return strstr(reply, " 401 ") != NULL;
}

#define MAX_TORTURE 64

/* Send every file over one transport at once (a socket each), then collect
 * the first line of each answer, until 1 s passes with no new one (at most
 * 15 s): how long the registrar takes is not what is checked. */
static void torture_batch(int type, char names[][64], char **data, size_t *len, int n,
                          char replies[][96])
{
	int fds[MAX_TORTURE];
	for (int i = 0; i < n; i++) {
		fds[i] = connect_to(type);
		snprintf(replies[i], 96, "(no answer)");
		if (fds[i] >= 0 && send(fds[i], data[i], len[i], MSG_NOSIGNAL) < 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	long long last = sys_now_ns(), end = last + 15000000000LL;
	while (sys_now_ns() < end && sys_now_ns() - last < 1000000000LL) {
		struct pollfd p[MAX_TORTURE];
		for (int i = 0; i < n; i++)
			p[i] = (struct pollfd){fds[i], POLLIN, 0};
		if (poll(p, (nfds_t)n, 50) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (fds[i] < 0 || !(p[i].revents & POLLIN))
				continue;
			char buf[2048];
			ssize_t got = recv(fds[i], buf, sizeof(buf) - 1, 0);
			buf[got > 0 ? got : 0] = '\0';
			if (got > 0)
				snprintf(replies[i], 96, "%.*s", (int)strcspn(buf, "\r\n"), buf);
			last = sys_now_ns();
			close(fds[i]);
			fds[i] = -1;
		}
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	(void)names;
}

/* In worker1: every torture message over UDP, then over TCP; after each
 * batch a normal REGISTER must be answered. Prints one line per file:
 * NAME | UDP-ANSWER | TCP-ANSWER */
static int torture_main(void *arg)
{
	(void)arg;
	static char names[MAX_TORTURE][64], udp[MAX_TORTURE][96], tcp[MAX_TORTURE][96];
	static char *data[MAX_TORTURE];
	size_t len[MAX_TORTURE];
	int n = 0;
	DIR *d = opendir("tests/rfc4475");
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL && n < MAX_TORTURE) {
		if (!strstr(de->d_name, ".dat"))
			continue;
		char path[600];
		snprintf(path, sizeof(path), "tests/rfc4475/%s", de->d_name);
		data[n] = malloc(16384);
		int fd = open(path, O_RDONLY);
		ssize_t got = fd >= 0 && data[n] ? read(fd, data[n], 16384) : -1;
		if (fd >= 0)
			close(fd);
		if (got <= 0) {
			free(data[n]);
			continue;
		}
		len[n] = (size_t)got;
		snprintf(names[n++], 64, "%s", de->d_name);
	}
	if (d)
		closedir(d);
	torture_batch(SOCK_DGRAM, names, data, len, n, udp);
	int alive_udp = registrar_answers(1);
	torture_batch(SOCK_STREAM, names, data, len, n, tcp);
	int alive_tcp = registrar_answers(2);
	for (int i = 0; i < n; i++) {
		printf("%s | %s | %s\n", names[i], udp[i], tcp[i]);
		free(data[i]);
	}
	printf("sent %d files; registrar answered after UDP: %s, after TCP: %s\n", n,
	       alive_udp ? "yes" : "NO", alive_tcp ? "yes" : "NO");
	return n > 40 && alive_udp && alive_tcp ? 0 : 1;
}

static int body_torture(void)
{
	struct reg r;
	CHECK(reg_up(&r, "[\"udp\",\"tcp\"]", "") == 0, "registrar did not start");
	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = pfd[1];
	struct lab_proc *p;
	err_t e;
	CHECK(lab_spawn_fn(&r.lab, "worker1", torture_main, NULL, &o, &p, &e) == 0, "%s", e.msg);
	close(pfd[1]);
	static char out[65536];
	read_all(pfd[0], out, sizeof(out));
	close(pfd[0]);
	struct lab_status st;
	lab_wait(&r.lab, p, -1, &st);
	lab_release(&r.lab, p);
	int alive = lab_wait(&r.lab, r.proc, 0, NULL) == -ETIMEDOUT;
	int code;
	reg_down(&r, NULL, 0, &code);
	fprintf(stderr, "%s", getenv("SIPLAB_VERBOSE") ? out : "");
	CHECK(alive && code == 0, "the registrar died (exit %d)", code);
	CHECK(st.exited && st.code == 0, "the registrar stopped answering:\n%s", out);
	/* Spot checks on what the RFC asks for (UDP answers go back to the
	 * source port: the registrar uses rport). */
	struct {
		const char *file, *want;
	} expect[] = {
	        {"badvers.dat", "(no answer)|505"}, /* SIP/7.0: 505 or dropped */
	        {"unkscm.dat", "416"},              /* unknown URI scheme */
	        {"novelsc.dat", "416"},             /* soap.beep: scheme */
	        {"insuf.dat", "400|(no answer)"},   /* missing headers */
	        {"mcl01.dat", "400|(no answer)"},   /* several Content-Length */
	        {"zeromf.dat", "483"},              /* Max-Forwards: 0 where we would forward */
	};
	for (size_t i = 0; i < sizeof(expect) / sizeof(*expect); i++) {
		const char *line = strstr(out, expect[i].file);
		CHECK(line, "%s was not sent", expect[i].file);
		char want[64], l[512];
		snprintf(l, sizeof(l), "%.*s", (int)strcspn(line, "\n"), line);
		snprintf(want, sizeof(want), "%s", expect[i].want);
		int match = 0;
		for (char *tok = strtok(want, "|"); tok; tok = strtok(NULL, "|"))
			match |= strstr(strchr(l, '|'), tok) != NULL;
		CHECK(match, "%s: expected %s, got: %s", expect[i].file, expect[i].want, l);
	}
	return 0;
}

static const char tls_register[] = "REGISTER sip:lab SIP/2.0\r\n"
                                   "Via: SIP/2.0/TLS 10.20.1.2:5061;branch=z9hG4bKtls1;rport\r\n"
                                   "From: <sip:alice@lab>;tag=t1\r\n"
                                   "To: <sip:alice@lab>\r\n"
                                   "Call-ID: tls-1@10.20.1.2\r\n"
                                   "CSeq: 1 REGISTER\r\n"
                                   "Contact: <sips:alice@10.20.1.2:5061>\r\n"
                                   "Max-Forwards: 70\r\n"
                                   "Content-Length: 0\r\n\r\n";

static int body_tls(void)
{
	/* TLS only, with a lab CA made at start in tls_dir: openssl's client
	 * verifies the registrar's certificate against that CA and gets the 401
	 * challenge back over TLS; a plain UDP REGISTER gets nothing. */
	struct reg r;
	char extra[PATH_MAX + 64], user[PATH_MAX - 128], certs[PATH_MAX];
	err_t e;
	CHECK(sandbox_user_dir(user, sizeof(user), &e) == 0, "%s", e.msg);
	/* The lab's runtime dir is test.PID under the user dir (see labrun.h). */
	snprintf(certs, sizeof(certs), "%s/test.%d/certs", user, (int)getpid());
	snprintf(extra, sizeof(extra), ",\"tls_dir\":\"%s\"", certs);
	CHECK(reg_up(&r, "[\"tls\"]", extra) == 0, "registrar did not start");
	char req[PATH_MAX], cmd[3 * PATH_MAX], out[16384];
	lab_file(&r.lab, "tls-register.txt", tls_register, req, sizeof(req));
	snprintf(cmd, sizeof(cmd),
	         "(cat %s; sleep 2) | timeout 3 openssl s_client -connect " REG_ADDR
	         ":5061 -CAfile "
	         "%s/cafile.pem -verify_return_error -quiet",
	         req, certs);
	char *argv[] = {"sh", "-c", cmd, NULL};
	int rc = capture(&r.lab, "worker1", argv, out, sizeof(out));
	char scen[PATH_MAX], csv[PATH_MAX], sipp_out[16384];
	lab_file(&r.lab, "one.csv", "SEQUENTIAL\nalice;lab\n", csv, sizeof(csv));
	scenario(&r, "register_expect.xml", "401", NULL, scen, sizeof(scen));
	const char *args[] = {"-m", "1", "-recv_timeout", "1000", NULL};
	int udp = sipp(&r, "u1", scen, csv, args, sipp_out, sizeof(sipp_out));
	reg_down(&r, NULL, 0, NULL);
	CHECK(strstr(out, "verify return:1") && strstr(out, "CN = lab"),
	      "certificate not verified against the lab CA:\n%s", out);
	CHECK(strstr(out, "SIP/2.0 401 Unauthorized") && strstr(out, "Via: SIP/2.0/TLS"),
	      "no 401 over TLS (exit %d):\n%s", rc, out);
	CHECK(udp != 0, "a UDP REGISTER was answered by a TLS-only registrar");
	return 0;
}

static int body_cross_registrar(void)
{
	/* Two registrars: "lab" (A, in the registrar host) knows that b.lab is
	 * served by B (in the platform host). A caller asks A for bp0001@b.lab;
	 * A routes to B, B to the registered callee; ACK and BYE follow the two
	 * Record-Route entries back through both. */
	struct reg r;
	CHECK(reg_up(&r, "[\"udp\"]",
	             ",\"peers\":[{\"domain\":\"b.lab\",\"uri\":\"sip:10.10.1.2:5060\"}]") == 0,
	      "registrar A did not start");
	char path[PATH_MAX], scen[PATH_MAX], csv[PATH_MAX], out[16384], log_b[65536];
	lab_file(&r.lab, "b.json",
	         "{\"listen\":\"10.10.1.2\",\"domains\":[\"b.lab\"],\"transports\":[\"udp\"],"
	         "\"account_pool\":{\"prefix\":\"bp\",\"count\":5,\"password\":\"bsecret\"}}",
	         path, sizeof(path));
	char *b_argv[] = {(char *)siplab_bin(), "registrar", path, NULL};
	struct lab_proc *b = start_service(&r.lab, "platform", b_argv);
	CHECK(b, "registrar B did not start");
	/* bp0001 registers at B, from the callee host, port 5070. */
	lab_file(&r.lab, "b-callee.csv",
	         "SEQUENTIAL\nbp0001;[authentication username=bp0001 password=bsecret]\n", csv,
	         sizeof(csv));
	/* The registration template is for "lab": rewrite it for b.lab. */
	char reg_xml[PATH_MAX];
	scenario(&r, "register_auth_expect.xml", "200", NULL, reg_xml, sizeof(reg_xml));
	char text[8192], fixed[8192];
	sys_read_file(reg_xml, text, sizeof(text));
	size_t n = 0;
	for (const char *p = text; *p && n + 8 < sizeof(fixed);) {
		if (!strncmp(p, "@lab>", 5) || !strncmp(p, "sip:lab ", 8)) {
			int at = *p == '@';
			n += (size_t)snprintf(fixed + n, sizeof(fixed) - n,
			                      at ? "@b.lab>" : "sip:b.lab ");
			p += at ? 5 : 8;
		} else {
			fixed[n++] = *p++;
		}
	}
	fixed[n] = '\0';
	lab_file(&r.lab, "register-b.xml", fixed, reg_xml, sizeof(reg_xml));
	char *reg_argv[] = {
	        "sipp", "10.10.1.2:5060", "-sf",      reg_xml,    "-inf", csv, "-m", "1",
	        "-p",   "5070",           "-nostdin", "-timeout", "10s",  NULL};
	int reg_rc = capture(&r.lab, "callee", reg_argv, out, sizeof(out));
	char *uas[] = {"sipp", "-sf",      "tests/sipp/uas_rr.xml",
	               "-p",   "5070",     "-m",
	               "1",    "-nostdin", "-timeout",
	               "15s",  NULL};
	int devnull = open("/dev/null", O_WRONLY);
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = o.fd_err = devnull;
	struct lab_proc *callee;
	err_t e;
	CHECK(lab_spawn(&r.lab, "callee", uas, &o, &callee, &e) == 0, "%s", e.msg);
	close(devnull);
	usleep(300000);
	lab_file(&r.lab, "call.csv", "SEQUENTIAL\nbp0001;b.lab\n", csv, sizeof(csv));
	snprintf(scen, sizeof(scen), "tests/sipp/call_domain.xml");
	const char *m1[] = {"-m", "1", NULL};
	int call_rc = sipp(&r, "u1", scen, csv, m1, out, sizeof(out));
	struct lab_status st;
	lab_wait(&r.lab, callee, 15000, &st);
	lab_release(&r.lab, callee);
	lab_stop_service(&r.lab, b, NULL);
	char b_log_path[PATH_MAX];
	snprintf(b_log_path, sizeof(b_log_path), "%s/platform.registrar.log", r.lab.sb.rundir);
	sys_read_file(b_log_path, log_b, sizeof(log_b));
	char log_a[65536];
	reg_down(&r, log_a, sizeof(log_a), NULL);
	CHECK(reg_rc == 0, "bp0001 did not register at B");
	CHECK(call_rc == 0, "the cross-registrar call failed (sipp exit %d)\nA:\n%s\nB:\n%s",
	      call_rc, log_a, log_b);
	CHECK(st.exited && st.code == 0, "the callee did not see the whole call");
	CHECK(strstr(log_a, "send udp/[10.10.1.2]:5060 INVITE sip:bp0001@b.lab"),
	      "A did not route the INVITE to B:\n%.3000s", log_a);
	CHECK(strstr(log_b, "recv udp/[10.10.2.2]:5060 BYE"),
	      "the BYE did not come through A to B");
	return 0;
}

static struct lab_proc *start_callees_ring(struct reg *r, const char *behaviour, int ring_ms)
{
	char cfg[512], path[PATH_MAX];
	snprintf(cfg, sizeof(cfg),
	         "{\"registrar\":\"sip:" REG_ADDR
	         ":5060\",\"domain\":\"lab\",\"bind\":\"10.10.3.2\","
	         "\"prefix\":\"ep\",\"first\":11,\"count\":3,\"password\":\"secret\","
	         "\"behaviour\":\"%s\",\"ring_ms\":%d}",
	         behaviour, ring_ms);
	lab_file(&r->lab, "callees.json", cfg, path, sizeof(path));
	char *argv[] = {(char *)siplab_bin(), "callees", path, NULL};
	return start_service(&r->lab, "callee", argv);
}

static struct lab_proc *start_callees(struct reg *r, const char *behaviour)
{
	return start_callees_ring(r, behaviour, 0);
}

static int body_callee_pool(void)
{
	/* Three callee-pool members (ep0011-13) register; sipp calls ep0012
	 * through the proxy, offers PCMA and plays a recording; the member
	 * answers, echoes, and the caller's host sees its RTP come back. */
	struct reg r;
	CHECK(reg_up(&r, "[\"udp\"]", "") == 0, "registrar did not start");
	struct lab_proc *pool = start_callees(&r, "answer");
	CHECK(pool, "the callee pool did not register");
	int pfd[2];
	CHECK(pipe(pfd) == 0, "pipe");
	char *dump[] = {"timeout", "5",    "tcpdump",
	                "-lni",    "eth0", "udp and src host 10.10.3.2 and not port 5060",
	                NULL};
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = pfd[1];
	int devnull = open("/dev/null", O_WRONLY);
	o.fd_err = devnull;
	struct lab_proc *td;
	err_t e;
	CHECK(lab_spawn(&r.lab, "worker1", dump, &o, &td, &e) == 0, "%s", e.msg);
	close(pfd[1]);
	close(devnull);
	usleep(500000);
	char csv[PATH_MAX], out[16384];
	lab_file(&r.lab, "media.csv", "SEQUENTIAL\nep0012;lab\n", csv, sizeof(csv));
	const char *m1[] = {"-m", "1", NULL};
	int call_rc = sipp(&r, "u1", "tests/sipp/call_media.xml", csv, m1, out, sizeof(out));
	static char seen[1 << 16];
	read_all(pfd[0], seen, sizeof(seen));
	close(pfd[0]);
	lab_wait(&r.lab, td, -1, NULL);
	lab_release(&r.lab, td);
	int back = 0;
	for (const char *p = seen; (p = strstr(p, "IP 10.10.3.2.")); p++)
		back++;
	struct lab_status st;
	lab_stop_service(&r.lab, pool, &st);
	char log[8192], path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/callee.callees.log", r.lab.sb.rundir);
	sys_read_file(path, log, sizeof(log));
	unsigned long sent = 0, received = 0;
	const char *line = strstr(log, "rtp sent");
	if (line)
		sscanf(line, "rtp sent %lu, received %lu", &sent, &received);
	/* The same pool, busy: 486 to the caller. */
	struct lab_proc *busy = start_callees(&r, "busy");
	char scen[PATH_MAX];
	scenario(&r, "invite_expect.xml", "486", NULL, scen, sizeof(scen));
	char *busy_call[] = {"sipp", REG_ADDR ":5060", "-sf",      scen,  "-s", "ep0011", "-m",
	                     "1",    "-nostdin",       "-timeout", "10s", NULL};
	int busy_rc = busy ? capture(&r.lab, "worker1", busy_call, out, sizeof(out)) : -1;
	if (busy)
		lab_stop_service(&r.lab, busy, NULL);
	reg_down(&r, NULL, 0, NULL);
	CHECK(call_rc == 0, "the call to the callee pool failed (sipp exit %d)", call_rc);
	CHECK(received >= 20 && sent >= 20, "callee RTP: sent %lu, received %lu\n%s", sent,
	      received, log);
	CHECK(back >= 20, "the caller's host saw %d RTP packets from the callee", back);
	CHECK(st.exited && st.code == 0, "the callee pool did not stop cleanly");
	CHECK(busy_rc == 0, "a busy callee did not answer 486 (sipp exit %d)", busy_rc);
	return 0;
}

/* In worker1: count RTP packets arriving for this host during `secs`. */
static struct lab_proc *count_rtp(struct reg *r, const char *filter, int *fd_out)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return NULL;
	char *dump[] = {"timeout", "5", "tcpdump", "-lni", "eth0", (char *)filter, NULL};
	struct lab_spawn_opts o = LAB_SPAWN_OPTS_INIT;
	o.fd_out = pfd[1];
	int devnull = open("/dev/null", O_WRONLY);
	o.fd_err = devnull;
	struct lab_proc *td = NULL;
	err_t e;
	if (lab_spawn(&r->lab, "worker1", dump, &o, &td, &e))
		fprintf(stderr, "    %s\n", e.msg);
	close(pfd[1]);
	close(devnull);
	*fd_out = pfd[0];
	usleep(500000);
	return td;
}

static char seen[1 << 16];

static int lines_of(struct reg *r, struct lab_proc *td, int fd)
{
	read_all(fd, seen, sizeof(seen));
	close(fd);
	lab_wait(&r->lab, td, -1, NULL);
	lab_release(&r->lab, td);
	int n = 0;
	for (const char *p = seen; (p = strstr(p, " IP ")); p++)
		n++;
	return n;
}

/* One call with media from the worker behind the NAT router to the pool;
 * returns how many RTP packets reached the worker. */
static int nat_call(int relay, char *log, size_t cap)
{
	struct reg r;
	if (reg_up_nat(&r, 1, "[\"udp\"]", relay ? ",\"sbc\":{\"relay\":true}" : ""))
		return -1;
	struct lab_proc *pool = start_callees(&r, "answer");
	int fd;
	struct lab_proc *td = pool ? count_rtp(&r,
	                                       "udp and dst host 192.168.1.2 and not port 5060 "
	                                       "and not port 53",
	                                       &fd)
	                           : NULL;
	char csv[PATH_MAX], out[16384];
	lab_file(&r.lab, "media.csv", "SEQUENTIAL\nep0012;lab\n", csv, sizeof(csv));
	const char *m1[] = {"-m", "1", NULL};
	int call_rc =
	        td ? sipp(&r, "u1", "tests/sipp/call_media.xml", csv, m1, out, sizeof(out)) : -1;
	int got = td ? lines_of(&r, td, fd) : -1;
	if (got > 0 && !relay)
		fprintf(stderr, "    packets seen without the relay:\n%s", seen);
	if (pool)
		lab_stop_service(&r.lab, pool, NULL);
	reg_down(&r, log, cap, NULL);
	return call_rc == 0 ? got : -1;
}

/* Behind the NAT router the worker's SDP carries 192.168.1.2: without the
 * relay the callee's RTP never arrives (one-way audio); with the relay, which
 * latches onto the NAT's real address, it does. (Two tests: a lab belongs to
 * its process for good.) */
static int body_sbc_nat_plain(void)
{
	static char log[65536];
	int plain = nat_call(0, log, sizeof(log));
	CHECK(plain == 0, "without the relay %d packets reached the worker behind NAT:\n%s", plain,
	      seen);
	return 0;
}

static int body_sbc_nat_relay(void)
{
	static char log[65536];
	int relayed = nat_call(1, log, sizeof(log));
	CHECK(relayed >= 20, "with the relay only %d packets reached the worker", relayed);
	CHECK(strstr(log, "latched caller yes, callee yes"), "no latching in the log:\n%s", log);
	return 0;
}

/* Registrar (with `extra` config), a pool of `behaviour` members, and a sipp
 * call to `callee` that must end with `code`. Returns sipp's exit code. */
static int call_expecting(const char *extra, const char *behaviour, const char *callee,
                          const char *code)
{
	struct reg r;
	if (reg_up(&r, "[\"udp\"]", extra))
		return -1;
	struct lab_proc *pool = start_callees(&r, behaviour);
	int rc = -1;
	if (pool) {
		char scen[PATH_MAX], out[16384];
		scenario(&r, "invite_expect.xml", code, NULL, scen, sizeof(scen));
		char *call[] = {"sipp",     REG_ADDR ":5060", "-sf", scen,
		                "-s",       (char *)callee,   "-m",  "1",
		                "-nostdin", "-timeout",       "10s", NULL};
		rc = capture(&r.lab, "worker1", call, out, sizeof(out));
		lab_stop_service(&r.lab, pool, NULL);
	}
	reg_down(&r, NULL, 0, NULL);
	return rc;
}

static int body_sbc_strip(void)
{
	/* The SBC strips PCMU from offers; an offer of PCMU alone reaches the
	 * callee with no codec and is refused with 488 (the same pool offers
	 * PCMU and answers in test_callee_pool). */
	int rc = call_expecting(",\"sbc\":{\"strip\":[\"PCMU\"]}", "answer", "ep0011", "488");
	CHECK(rc == 0, "a PCMU-only offer through a PCMU-stripping SBC did not get 488 (%d)", rc);
	return 0;
}

/* The SBC's rewriting without a lab: a new SDP from the parsed one, the
 * stripped codecs gone from m= with their rtpmap and fmtp lines, whatever
 * the body's size; other lines kept; an unreadable body left alone. */
static void test_sbc_rewrite(void **state)
{
	(void)state;
	struct sbc_config c = {.enabled = 1, .n_strip = 2};
	snprintf(c.strip[0], sizeof(c.strip[0]), "opus");
	snprintf(c.strip[1], sizeof(c.strip[1]), "pcmu");
	char body[8192];
	size_t n = (size_t)snprintf(body, sizeof(body),
	                            "v=0\r\no=a 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\n"
	                            "t=0 0\r\nm=audio 4000 RTP/AVP 96 0 8 101\r\n"
	                            "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n"
	                            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n");
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "a=x-long-attribute-%d:%s\r\n", i,
		                      "a value that makes the body longer than two kilobytes");
	n += (size_t)snprintf(body + n, sizeof(body) - n, "a=ptime:20\r\na=sendrecv\r\n");
	assert_true(n > 2048);
	char *out = sbc_rewrite_sdp(body, n, &c, 1, "192.0.2.9", 7000);
	assert_non_null(out);
	assert_non_null(strstr(out, "c=IN IP4 192.0.2.9\r\n"));
	assert_non_null(strstr(out, "m=audio 7000 RTP/AVP 8 101\r\n"));
	assert_null(strstr(out, "opus"));
	assert_null(strstr(out, "fmtp:96"));
	assert_non_null(strstr(out, "a=fmtp:101 0-16\r\n"));
	assert_non_null(strstr(out, "a=x-long-attribute-59:"));
	assert_non_null(strstr(out, "a=ptime:20\r\na=sendrecv\r\n"));
	char addr[64];
	int port = 0;
	assert_int_equal(sbc_sdp_media(out, strlen(out), addr, sizeof(addr), &port), 0);
	assert_string_equal(addr, "192.0.2.9");
	assert_int_equal(port, 7000);
	free(out);
	/* Not an offer (an answer): nothing is removed. */
	out = sbc_rewrite_sdp(body, n, &c, 0, NULL, 0);
	assert_non_null(strstr(out, "m=audio 4000 RTP/AVP 96 0 8 101\r\n"));
	free(out);
	/* Reordering: the offer's codecs reversed, every one kept, rtpmaps too. */
	struct sbc_config r = {.enabled = 1, .reorder = 1};
	out = sbc_rewrite_sdp(body, n, &r, 1, NULL, 0);
	assert_non_null(strstr(out, "m=audio 4000 RTP/AVP 101 8 0 96\r\n"));
	assert_non_null(strstr(out, "a=rtpmap:96 opus/48000/2\r\n"));
	free(out);
	assert_null(sbc_rewrite_sdp("garbage", 7, &c, 1, NULL, 0));
	assert_int_equal(sbc_sdp_media("garbage", 7, addr, sizeof(addr), &port), -1);
	/* The strip list takes the codec table's names, in any case, and no other. */
	struct reg_config cfg;
	err_t e;
	char json[512];
	snprintf(json, sizeof(json), base_cfg, "[\"udp\"]",
	         ",\"sbc\":{\"strip\":[\"OPUS\",\"g722\"]}");
	assert_int_equal(reg_config_parse(json, "test", &cfg, &e), 0);
	assert_int_equal(cfg.sbc.n_strip, 2);
	reg_config_free(&cfg);
	snprintf(json, sizeof(json), base_cfg, "[\"udp\"]", ",\"sbc\":{\"strip\":[\"G729\"]}");
	assert_int_not_equal(reg_config_parse(json, "test", &cfg, &e), 0);
	assert_non_null(strstr(e.msg, "opus"));
}

/* The callee pool's codecs are names of the codec table that it can play
 * (G.711): others are refused when its configuration is read. */
static void test_callee_codecs(void **state)
{
	(void)state;
	static const struct {
		const char *codecs;
		int ok;
	} cases[] = {{"PCMU,PCMA", 1}, {"pcma", 1}, {"PCMA,G729", 0}, {"opus", 0}, {"", 0}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char path[] = "/tmp/siplab-callees-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		dprintf(fd,
		        "{\"registrar\":\"sip:10.10.2.2\",\"bind\":\"10.10.3.2\",\"prefix\":\"ep\","
		        "\"password\":\"pw\",\"codecs\":\"%s\"}",
		        cases[i].codecs);
		close(fd);
		struct callees_config c;
		err_t e;
		int rc = callees_config_load(path, &c, &e);
		unlink(path);
		if ((rc == 0) != cases[i].ok)
			fail_msg("codecs \"%s\": %d (%s)", cases[i].codecs, rc, e.msg);
	}
}

/* The callee pool's offline members are some of its own: no more than it has. */
static void test_callee_offline_config(void **state)
{
	(void)state;
	static const struct {
		int count, offline, ok;
	} cases[] = {{4, 0, 1}, {4, 2, 1}, {4, 4, 1}, {4, 5, 0}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char path[] = "/tmp/siplab-callees-XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		dprintf(fd,
		        "{\"registrar\":\"sip:10.10.2.2\",\"bind\":\"10.10.3.2\",\"prefix\":\"ep\","
		        "\"password\":\"pw\",\"count\":%d,\"offline\":%d}",
		        cases[i].count, cases[i].offline);
		close(fd);
		struct callees_config c;
		err_t e;
		int rc = callees_config_load(path, &c, &e);
		unlink(path);
		if ((rc == 0) != cases[i].ok)
			fail_msg("count %d, offline %d: %d (%s)", cases[i].count, cases[i].offline,
			         rc, e.msg);
		if (rc)
			assert_non_null(strstr(e.msg, "offline"));
	}
}

static int body_sipsak(void)
{
	/* sipsak's usrloc mode registers with digest auth (and fails on a wrong
	 * password); its OPTIONS goes through the proxy to a callee-pool member
	 * (200) or to nobody registered (480). (sipsak's own call modes, -I and
	 * -M, crash in sipsak 0.9.8 after registering, so calls are sipp's.) */
	struct reg r;
	CHECK(reg_up(&r, "[\"udp\"]", "") == 0, "registrar did not start");
	struct lab_proc *pool = start_callees(&r, "answer");
	CHECK(pool, "the callee pool did not register");
	char out[16384];
	char *good[] = {"sipsak", "-v", "-U",     "-s", "sip:ep0004@lab", "-u",
	                "ep0004", "-a", "secret", "-p", REG_ADDR,         NULL};
	char *bad[] = {"sipsak", "-v", "-U",    "-s", "sip:ep0004@lab", "-u",
	               "ep0004", "-a", "wrong", "-p", REG_ADDR,         NULL};
	char *options[] = {"sipsak", "-vv", "-s", "sip:ep0012@lab", "-p", REG_ADDR, NULL};
	char *nobody[] = {"sipsak", "-vv", "-s", "sip:ep0019@lab", "-p", REG_ADDR, NULL};
	int good_rc = capture(&r.lab, "worker1", good, out, sizeof(out));
	int said_ok = strstr(out, "completed successful") != NULL;
	int bad_rc = capture(&r.lab, "worker1", bad, out, sizeof(out));
	int said_failed = strstr(out, "authorization failed") != NULL;
	int opt_rc = capture(&r.lab, "worker1", options, out, sizeof(out));
	int opt_200 = strstr(out, "SIP/2.0 200 OK") != NULL;
	capture(&r.lab, "worker1", nobody, out, sizeof(out));
	int nobody_480 = strstr(out, "SIP/2.0 480") != NULL;
	lab_stop_service(&r.lab, pool, NULL);
	reg_down(&r, NULL, 0, NULL);
	CHECK(good_rc == 0 && said_ok, "sipsak did not register (exit %d)", good_rc);
	CHECK(bad_rc != 0 && said_failed, "sipsak registered with a wrong password (exit %d)",
	      bad_rc);
	CHECK(opt_rc == 0 && opt_200, "OPTIONS to a callee-pool member did not get 200");
	CHECK(nobody_480, "OPTIONS to an unregistered user did not get 480");
	return 0;
}

static int body_callee_reject(void)
{
	/* Members set to reject answer every offer with 488. */
	int rc = call_expecting("", "reject", "ep0013", "488");
	CHECK(rc == 0, "a rejecting member did not answer 488 (sipp exit %d)", rc);
	return 0;
}

static int body_cancel_and_unregister(void)
{
	/* A member that rings for 3 s: the caller cancels while it rings (200
	 * for the CANCEL, 487 for the INVITE, through the proxy). Then a member
	 * registers and un-registers (Expires: 0): calls to it get 480. */
	struct reg r;
	CHECK(reg_up(&r, "[\"udp\"]", "") == 0, "registrar did not start");
	struct lab_proc *pool = start_callees_ring(&r, "answer", 3000);
	CHECK(pool, "the callee pool did not register");
	char out[16384], scen[PATH_MAX], csv[PATH_MAX], text[8192];
	char *cancel[] = {"sipp",     REG_ADDR ":5060", "-sf", "tests/sipp/invite_cancel.xml",
	                  "-s",       "ep0011",         "-m",  "1",
	                  "-nostdin", "-timeout",       "10s", NULL};
	int cancel_rc = capture(&r.lab, "worker1", cancel, out, sizeof(out));
	lab_stop_service(&r.lab, pool, NULL);
	/* Register ep0005, then the same with Expires: 0. */
	lab_file(&r.lab, "ep5.csv",
	         "SEQUENTIAL\nep0005;[authentication username=ep0005 password=secret]\n", csv,
	         sizeof(csv));
	scenario(&r, "register_auth_expect.xml", "200", NULL, scen, sizeof(scen));
	const char *m1[] = {"-m", "1", NULL};
	int reg_rc = sipp(&r, "u1", scen, csv, m1, out, sizeof(out));
	sys_read_file(scen, text, sizeof(text));
	for (char *p = text; (p = strstr(p, "Expires: 300"));)
		memcpy(p, "Expires: 0  ", 12);
	char unreg[PATH_MAX];
	lab_file(&r.lab, "unregister.xml", text, unreg, sizeof(unreg));
	int unreg_rc = sipp(&r, "u1", unreg, csv, m1, out, sizeof(out));
	scenario(&r, "invite_expect.xml", "480", NULL, scen, sizeof(scen));
	char *call[] = {"sipp", REG_ADDR ":5060", "-sf",      scen,  "-s", "ep0005", "-m",
	                "1",    "-nostdin",       "-timeout", "10s", NULL};
	int gone_rc = capture(&r.lab, "worker1", call, out, sizeof(out));
	reg_down(&r, NULL, 0, NULL);
	CHECK(cancel_rc == 0, "CANCEL while ringing did not give 200 + 487 (sipp exit %d)",
	      cancel_rc);
	CHECK(reg_rc == 0 && unreg_rc == 0, "register/unregister failed (%d, %d)", reg_rc,
	      unreg_rc);
	CHECK(gone_rc == 0, "a call to an un-registered user did not get 480 (%d)", gone_rc);
	return 0;
}

CHILD_TEST(register_auth)
CHILD_TEST(register_codes)
CHILD_TEST(rate_limit_503)
CHILD_TEST(rate_limit_429)
CHILD_TEST(rate_limit_403)
CHILD_TEST(rate_limit_drop)
CHILD_TEST(closed_transport)
CHILD_TEST(proxy_call)
CHILD_TEST(torture)
CHILD_TEST(sipsak)
CHILD_TEST(tls)
CHILD_TEST(cross_registrar)
CHILD_TEST(callee_pool)
CHILD_TEST(sbc_nat_plain)
CHILD_TEST(sbc_nat_relay)
CHILD_TEST(sbc_strip)
CHILD_TEST(cancel_and_unregister)
CHILD_TEST(callee_reject)

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_register_auth),
	        cmocka_unit_test(test_register_codes),
	        cmocka_unit_test(test_rate_limit_503),
	        cmocka_unit_test(test_rate_limit_429),
	        cmocka_unit_test(test_rate_limit_403),
	        cmocka_unit_test(test_rate_limit_drop),
	        cmocka_unit_test(test_closed_transport),
	        cmocka_unit_test(test_proxy_call),
	        cmocka_unit_test(test_torture),
	        cmocka_unit_test(test_sipsak),
	        cmocka_unit_test(test_tls),
	        cmocka_unit_test(test_cross_registrar),
	        cmocka_unit_test(test_callee_pool),
	        cmocka_unit_test(test_sbc_nat_plain),
	        cmocka_unit_test(test_sbc_nat_relay),
	        cmocka_unit_test(test_sbc_strip),
	        cmocka_unit_test(test_sbc_rewrite),
	        cmocka_unit_test(test_callee_codecs),
	        cmocka_unit_test(test_callee_offline_config),
	        cmocka_unit_test(test_cancel_and_unregister),
	        cmocka_unit_test(test_callee_reject),
	};
	return cmocka_run_group_tests_name("registrar and proxy", tests, NULL, NULL);
}

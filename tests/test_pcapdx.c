/* test_pcapdx.c — `siplab diagnose CAPTURE.pcap` on captures siplab did not
 * write. Catalogue runs whose workers are started through a wrapper that runs
 * tcpdump in the worker's host (what a customer's worker host would capture):
 * the capture's diagnosis must be the report's, for three registration
 * faults and a media-quality fault. Then plain sipp traffic — a REGISTER
 * storm against a rate-limited registrar — captured with tcpdump in the lab:
 * reg.rate_limit, from a capture no siplab process took part in but the
 * registrar. */
#define _GNU_SOURCE
#include "labrun.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <pcap/pcap.h>
#include <sys/stat.h>

#include "../lib/jsonv.h"

static char workdir[PATH_MAX];

/* The wrapper each worker is started as: tcpdump on every interface of the
 * worker's host into DIR/NAME.pcap, the real worker, then tcpdump stopped.
 * The lab gives a worker no PATH. Immediate mode: tcpdump stops at SIGINT
 * without reading what its ring still holds in a block not yet handed over;
 * in that mode the ring has one slot per snap length, so a short snap length
 * and a 16 MB ring (4,000 slots) keep a busy second of RTP without a drop. */
static const char wrapper[] =
        "#!/bin/sh\n"
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH\n"
        "dir='%s'; name=worker; prev=\n"
        "for a in \"$@\"; do [ \"$prev\" = --name ] && name=$a; prev=$a; done\n"
        "tcpdump -i any --immediate-mode -U -s 4096 -B 16384 -Z root -w \"$dir/$name.pcap\" "
        "2>\"$dir/$name.tcpdump.log\" &\n"
        "tp=$!\n"
        "i=0; while [ $i -lt 250 ] && ! grep -q listening \"$dir/$name.tcpdump.log\"; do "
        "sleep 0.02; i=$((i+1)); done\n"
        "'%s' \"$@\"\n"
        "rc=$?\n"
        "kill -INT $tp; wait $tp\n"
        "exit $rc\n";

static int have(const char *prog)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* siplab diagnose FILE --json, parsed (NULL when it printed no JSON). */
static cJSON *diagnosis(const char *file, const char *as_report)
{
	char *args[] = {"siplab", "diagnose", (char *)file, "--json", NULL, NULL, NULL};
	if (as_report)
		args[4] = "--as-report", args[5] = (char *)as_report;
	static char out[1 << 20];
	int rc = siplab_capture(args, out, sizeof(out));
	cJSON *d = cJSON_Parse(out);
	if (!d) /* say why: the command's own words */
		fprintf(stderr, "    siplab diagnose %s: exit %d, not JSON:\n%.3000s\n", file, rc,
		        out);
	return d;
}

static const char *top(const cJSON *d)
{
	const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "findings"), 0);
	const char *c = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "code"));
	return c ? c : "(none)";
}

static double cnum(const cJSON *d, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(d, "capture"), k));
}

/* --- a TCP stream written by the test: cut by Content-Length -------------------------- */

/* One Ethernet/IPv4/TCP frame with payload, client 10.0.0.1:5070 <->
 * registrar 10.0.0.2:5060 (the checksums are not read). */
static void tcp_frame(pcap_dumper_t *d, int from_client, uint32_t seq, const char *data, size_t n,
                      int usec)
{
	uint8_t f[1600] = {0};
	size_t len = 14 + 20 + 20 + n;
	f[12] = 0x08; /* IPv4 */
	uint8_t *ip = f + 14, *tcp = ip + 20;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + 20 + n) >> 8), ip[3] = (uint8_t)(20 + 20 + n);
	ip[8] = 64, ip[9] = 6;
	uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
	memcpy(ip + 12, from_client ? a : b, 4);
	memcpy(ip + 16, from_client ? b : a, 4);
	uint16_t sp = from_client ? 5070 : 5060, dp = from_client ? 5060 : 5070;
	tcp[0] = (uint8_t)(sp >> 8), tcp[1] = (uint8_t)sp, tcp[2] = (uint8_t)(dp >> 8),
	tcp[3] = (uint8_t)dp;
	tcp[4] = (uint8_t)(seq >> 24), tcp[5] = (uint8_t)(seq >> 16), tcp[6] = (uint8_t)(seq >> 8),
	tcp[7] = (uint8_t)seq;
	tcp[12] = 5 << 4, tcp[13] = 0x18; /* PSH ACK */
	memcpy(tcp + 20, data, n);
	struct pcap_pkthdr h = {
	        .ts = {1700000000, usec}, .caplen = (bpf_u_int32)len, .len = (bpf_u_int32)len};
	pcap_dump((u_char *)d, &h, f);
}

static const char reg1[] = "REGISTER sip:lab SIP/2.0\r\n"
                           "Via: SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bK1\r\n"
                           "From: <sip:alice@lab>;tag=1\r\nTo: <sip:alice@lab>\r\n"
                           "Call-ID: c1\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
static const char reg2[] = "REGISTER sip:lab SIP/2.0\r\n"
                           "Via: SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bK2\r\n"
                           "From: <sip:alice@lab>;tag=1\r\nTo: <sip:alice@lab>\r\n"
                           "Call-ID: c1\r\nCSeq: 2 REGISTER\r\n"
                           "Authorization: Digest username=\"alice\", realm=\"lab\", "
                           "nonce=\"n\", uri=\"sip:lab\", response=\"00\"\r\n"
                           "l: 0\r\n\r\n";
static const char r401[] = "SIP/2.0 401 Unauthorized\r\n"
                           "Via: SIP/2.0/TCP 10.0.0.1:5070;branch=z9hG4bK%d\r\n"
                           "From: <sip:alice@lab>;tag=1\r\nTo: <sip:alice@lab>;tag=r\r\n"
                           "Call-ID: c1\r\nCSeq: %d REGISTER\r\n"
                           "WWW-Authenticate: Digest realm=\"lab\", nonce=\"n\"\r\n"
                           "Content-Length: 0\r\n\r\n";

/* A REGISTER split over two segments, the second sent twice; a CRLF
 * keep-alive; the 401 and the next REGISTER (compact Content-Length) each
 * whole; the second 401 split, its last bytes in the same segment as
 * nothing else. Read right, alice is challenged again after credentials. */
static int body_tcp_stream(void)
{
	char path[PATH_MAX + 16], rebuilt[PATH_MAX + 16], a401[512], b401[512];
	snprintf(path, sizeof(path), "%s/stream.pcap", workdir);
	snprintf(rebuilt, sizeof(rebuilt), "%s/stream.json", workdir);
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = p ? pcap_dump_open(p, path) : NULL;
	CHECK(d, "cannot write %s", path);
	size_t n1 = strlen(reg1), half = n1 / 2, n2 = strlen(reg2);
	int na = snprintf(a401, sizeof(a401), r401, 1, 1);
	int nb = snprintf(b401, sizeof(b401), r401, 2, 2);
	uint32_t c = 1000, s = 5000;
	tcp_frame(d, 1, c, reg1, half, 0);
	tcp_frame(d, 1, c + (uint32_t)half, reg1 + half, n1 - half, 1000);
	tcp_frame(d, 1, c + (uint32_t)half, reg1 + half, n1 - half, 2000); /* retransmitted */
	c += (uint32_t)n1;
	tcp_frame(d, 1, c, "\r\n\r\n", 4, 3000);
	c += 4;
	tcp_frame(d, 0, s, a401, (size_t)na, 4000);
	s += (uint32_t)na;
	tcp_frame(d, 1, c, reg2, n2, 5000);
	tcp_frame(d, 0, s, b401, 40, 6000);
	tcp_frame(d, 0, s + 40, b401 + 40, (size_t)nb - 40, 7000);
	pcap_dump_close(d);
	pcap_close(p);
	cJSON *dx = diagnosis(path, rebuilt), *r = jv_read_tree(rebuilt);
	CHECK(dx && r, "no diagnosis of %s", path);
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "endpoints"), 0);
	const cJSON *tr = cJSON_GetObjectItemCaseSensitive(e, "trace");
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(e, "failure"), "kind"));
	CHECK(cnum(dx, "sip_messages") == 4, "%.0f SIP messages read, not 4",
	      cnum(dx, "sip_messages"));
	CHECK(cJSON_GetArraySize(tr) == 4, "alice's trace has %d messages", cJSON_GetArraySize(tr));
	CHECK(kind && !strcmp(kind, "auth_failed"), "alice failed as %s", kind ? kind : "(none)");
	CHECK(!strcmp(top(dx), "reg.bad_credentials"), "diagnosed %s", top(dx));
	cJSON_Delete(dx);
	cJSON_Delete(r);
	return 0;
}

/* --- catalogue runs, captured on the worker's host ------------------------------------ */

static const char *const cases[] = {"reg_bad_credentials", "reg_rate_limit", "reg_wrong_transport",
                                    "quality_packet_loss"};
#define N_CASES (int)(sizeof(cases) / sizeof(*cases))

static pid_t start_run(const char *name)
{
	char dir[PATH_MAX], wrap[PATH_MAX + 16], text[4096], scn[PATH_MAX], rep[PATH_MAX + 16];
	char self[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", workdir, name);
	mkdir(dir, 0755);
	if (!realpath(siplab_bin(), self))
		return -1;
	snprintf(wrap, sizeof(wrap), "%s/wrap.sh", dir);
	snprintf(text, sizeof(text), wrapper, dir, self);
	if (sys_write_file(wrap, text, strlen(text), 1, NULL) || chmod(wrap, 0755))
		return -1;
	snprintf(scn, sizeof(scn), "scenarios/%s.json", name);
	snprintf(rep, sizeof(rep), "%s/report.json", dir);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(null, 2);
		execl(self, "siplab", "run", scn, "--once", "--quiet", "--worker-program", wrap,
		      "--report", rep, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* An endpoint of a report by its user, or NULL. */
static const cJSON *ep_by_user(const cJSON *rep, const char *user)
{
	const cJSON *e;
	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(rep, "endpoints")) {
		const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "user"));
		if (u && !strcmp(u, user))
			return e;
	}
	return NULL;
}

static double media_rx(const cJSON *e, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "media"),
	                                         "received"),
	        k);
	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

/* Endpoint by endpoint, the rebuilt report against the run's: the same users,
 * each registered or not alike, and where audio came, the same loss (both
 * count sequence numbers on the worker's host). */
static int same_endpoints(const char *name, const char *rep_path, const char *rebuilt_path)
{
	cJSON *rep = jv_read_tree(rep_path), *reb = jv_read_tree(rebuilt_path);
	const cJSON *e;
	int bad = !rep || !reb, n = 0, differ = 0;
	const cJSON *eps = rep ? cJSON_GetObjectItemCaseSensitive(rep, "endpoints") : NULL;
	cJSON_ArrayForEach (e, eps) {
		n++;
		const char *u = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "user"));
		const cJSON *x = ep_by_user(reb, u ? u : "");
		const char *o1 =
		        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "outcome"));
		const char *o2 =
		        x ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "outcome"))
		          : NULL;
		int f1 = o1 && !strcmp(o1, "REGISTRATION_FAILED");
		int f2 = o2 && !strcmp(o2, "REGISTRATION_FAILED");
		double l1 = media_rx(e, "loss_pct"), l2 = media_rx(x, "loss_pct");
		if (!x || f1 != f2 || (l1 >= 0 && (l2 < 0 || l2 - l1 > 1.5 || l1 - l2 > 1.5))) {
			fprintf(stderr,
			        "    %s: %s: report %s (loss %.1f), capture %s (loss %.1f)\n", name,
			        u, o1, l1, x ? o2 : "(missing)", l2);
			bad |= !x || f1 == f2; /* missing, or the media differ */
			differ += x && f1 != f2;
		}
	}
	cJSON_Delete(rep);
	cJSON_Delete(reb);
	/* A stack that retries after a 503's Retry-After can register late: the
	 * capture shows the refusal, the platform the late success (seen under
	 * the sanitizer build, where the retry falls inside the run). One in ten
	 * may differ so on registration; none may be missing. */
	return bad || differ > n / 10 ? -1 : 0;
}

static int body_catalogue(void)
{
	if (!have("tcpdump"))
		return CHILD_SKIP;
	pid_t pid[N_CASES];
	/* The runs side by side: each mostly waits on its scenario's clock. */
	for (int i = 0; i < N_CASES; i++)
		CHECK((pid[i] = start_run(cases[i])) > 0, "%s: not started", cases[i]);
	for (int i = 0; i < N_CASES; i++)
		waitpid(pid[i], NULL, 0);
	for (int i = 0; i < N_CASES; i++) {
		char rep[PATH_MAX], pcap[PATH_MAX];
		snprintf(rep, sizeof(rep), "%s/%s/report.json", workdir, cases[i]);
		snprintf(pcap, sizeof(pcap), "%s/%s/worker1.pcap", workdir, cases[i]);
		char rebuilt[PATH_MAX + 16];
		snprintf(rebuilt, sizeof(rebuilt), "%s/%s/rebuilt.json", workdir, cases[i]);
		cJSON *dr = diagnosis(rep, NULL), *dc = diagnosis(pcap, rebuilt);
		CHECK(dr && dc, "%s: no diagnosis of the report (%p) or the capture (%p)", cases[i],
		      (void *)dr, (void *)dc);
		fprintf(stderr, "    %s: report %s, capture %s\n", cases[i], top(dr), top(dc));
		char code[64];
		snprintf(code, sizeof(code), "%s", cases[i]);
		*strchr(code, '_') = '.'; /* the scenario's file names its code */
		CHECK(!strcmp(top(dr), code), "%s: the report is diagnosed %s", cases[i], top(dr));
		CHECK(!strcmp(top(dr), top(dc)), "%s: the report says %s, the capture %s", cases[i],
		      top(dr), top(dc));
		/* tcpdump -i any writes Linux cooked frames: not siplab's capture. */
		const char *lt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(dc, "capture"), "link_type"));
		CHECK(lt && !strncmp(lt, "LINUX_SLL", 9), "%s: link type %s", cases[i],
		      lt ? lt : "(none)");
		CHECK(cnum(dc, "sip_messages") > 0, "%s: no SIP read", cases[i]);
		CHECK(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(dr, "endpoints")) ==
		              cJSON_GetNumberValue(
		                      cJSON_GetObjectItemCaseSensitive(dc, "endpoints")),
		      "%s: the report and the capture count different endpoints", cases[i]);
		CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
		              cJSON_GetObjectItemCaseSensitive(dc, "capture"), "cannot_show")) > 0,
		      "%s: the capture section does not say what it cannot show", cases[i]);
		if (!strcmp(cases[i], "quality_packet_loss"))
			CHECK(cnum(dc, "rtp_packets") > 1000, "%s: %.0f RTP packets", cases[i],
			      cnum(dc, "rtp_packets"));
		cJSON_Delete(dr);
		cJSON_Delete(dc);
		CHECK(same_endpoints(cases[i], rep, rebuilt) == 0, "%s: see above", cases[i]);
	}
	return 0;
}

/* --- plain sipp traffic -------------------------------------------------------------------- */

#define REG_ADDR "10.10.2.2"

static const char reg_cfg[] =
        "{\"listen\":\"" REG_ADDR "\",\"domains\":[\"lab\"],\"transports\":[\"udp\",\"tcp\"],"
        "\"account_pool\":{\"prefix\":\"ep\",\"count\":20,\"password\":\"secret\"},"
        "\"rate_limit\":{\"per_second\":5,\"mode\":\"503\",\"retry_after\":7}}";

static const char *const tp[][2] = {{"u1", "udp"}, {"t1", "tcp"}};

static int body_sipp_storm(void)
{
	if (!have("tcpdump") || !have("sipp"))
		return CHILD_SKIP;
	struct lab lab;
	CHECK(std_lab_up(&lab) == 0, "no lab");
	char cfg[PATH_MAX], scen[PATH_MAX], csv[PATH_MAX];
	char users[2048] = "SEQUENTIAL\n", out[16384], cmd[4 * PATH_MAX];
	CHECK(lab_file(&lab, "reg.json", reg_cfg, cfg, sizeof(cfg)) == 0, "no config");
	for (int i = 1; i <= 20; i++)
		snprintf(users + strlen(users), sizeof(users) - strlen(users),
		         "ep%04d;[authentication username=ep%04d password=secret]\n", i, i);
	CHECK(lab_file(&lab, "users.csv", users, csv, sizeof(csv)) == 0, "no csv");
	CHECK(sipp_scenario(&lab, "register_auth_expect.xml", "200", NULL, scen, sizeof(scen)) == 0,
	      "no scenario");
	char *reg[] = {(char *)siplab_bin(), "registrar", cfg, NULL};
	struct lab_proc *rp = start_service(&lab, "registrar", reg);
	CHECK(rp, "the registrar did not start");
	/* 20 accounts register at 20 a second, two REGISTERs each, against a
	 * limit of 5 a second, over UDP then over TCP (one connection: the
	 * messages are cut from the stream); tcpdump in worker1 sees what a
	 * customer's host would. */
	char *pcaps[2], *rebuilt[2];
	for (int k = 0; k < 2; k++) {
		if (asprintf(&pcaps[k], "%s/storm-%s.pcap", workdir, tp[k][1]) < 0 ||
		    asprintf(&rebuilt[k], "%s/storm-%s.json", workdir, tp[k][1]) < 0)
			return 1;
		snprintf(
		        cmd, sizeof(cmd),
		        "tcpdump -i any --immediate-mode -U -s 4096 -B 16384 -Z root -w '%s' "
		        "2>'%s.log' & tp=$!; "
		        "i=0; while [ $i -lt 250 ] && ! grep -q listening '%s.log'; do sleep 0.02; "
		        "i=$((i+1)); done; "
		        "sipp " REG_ADDR ":5060 -t %s -sf '%s' -inf '%s' -m 20 -r 20 -nostdin "
		        "-timeout 20s -recv_timeout 2000 >/dev/null 2>&1; "
		        "sleep 0.1; kill -INT $tp; wait $tp",
		        pcaps[k], pcaps[k], pcaps[k], tp[k][0], scen, csv);
		char *argv[] = {"/bin/sh", "-c", cmd, NULL};
		capture(&lab, "worker1", argv, out, sizeof(out));
		sleep(1); /* the next storm in a window of its own */
	}
	lab_stop_service(&lab, rp, NULL);
	lab_down(&lab);
	for (int k = 0; k < 2; k++) {
		free(pcaps[k]);
		free(rebuilt[k]);
	}
	return 0;
}

/* The storms' captures diagnosed, from a process that never entered the
 * lab's namespaces (a sanitized siplab forked inside the lab's PID namespace
 * reads another's /proc, and LeakSanitizer then fails at exit now and then). */
static int body_storm_diagnosis(void)
{
	char pcaps[2][PATH_MAX], rebuilt[2][PATH_MAX];
	for (int k = 0; k < 2; k++) {
		snprintf(pcaps[k], sizeof(pcaps[k]), "%s/storm-%s.pcap", workdir, tp[k][1]);
		snprintf(rebuilt[k], sizeof(rebuilt[k]), "%s/storm-%s.json", workdir, tp[k][1]);
	}
	for (int k = 0; k < 2; k++) {
		cJSON *d = diagnosis(pcaps[k], rebuilt[k]), *r = jv_read_tree(rebuilt[k]);
		CHECK(d && r, "no diagnosis of %s", pcaps[k]);
		const cJSON *g = cJSON_GetArrayItem(
		        cJSON_GetObjectItemCaseSensitive(
		                cJSON_GetObjectItemCaseSensitive(r, "test"), "groups"),
		        0);
		const char *t =
		        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(g, "transport"));
		fprintf(stderr, "    sipp storm over %s: %s, %.0f endpoints, %.0f SIP messages\n",
		        tp[k][1], top(d), cnum(d, "endpoints"), cnum(d, "sip_messages"));
		CHECK(t && !strcmp(t, tp[k][1]), "over %s: the capture shows %s", tp[k][1],
		      t ? t : "(none)");
		CHECK(cnum(d, "endpoints") == 20, "over %s: %.0f endpoints in the capture",
		      tp[k][1], cnum(d, "endpoints"));
		CHECK(!strcmp(top(d), "reg.rate_limit"), "over %s: diagnosed %s", tp[k][1], top(d));
		cJSON_Delete(d);
		cJSON_Delete(r);
	}
	return 0;
}

CHILD_TEST(tcp_stream)
CHILD_TEST(catalogue)

static void test_sipp_storm(void **state)
{
	(void)state;
	in_child(body_sipp_storm);
	in_child(body_storm_diagnosis);
}

int main(void)
{
	snprintf(workdir, sizeof(workdir), "/tmp/siplab-test-pcapdx.%d", (int)getpid());
	mkdir(workdir, 0755);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_tcp_stream),
	        cmocka_unit_test(test_catalogue),
	        cmocka_unit_test(test_sipp_storm),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sys_rm_tree(workdir);
	return rc;
}

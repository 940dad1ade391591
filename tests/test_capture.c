/* test_capture.c — the packet capture of a run, read by the real reader,
 * tshark: two short runs. The first (UDP and TLS groups, one worker, calls to
 * each other and to the callee pool) must dissect as SIP with the same
 * REGISTER, INVITE, 200 and BYE per endpoint as the report's traces — the
 * TLS ones only through the key log beside the capture — and show the
 * callee-pool calls' RTP streams with the report's SSRCs. The second, behind
 * a symmetric NAT, must show one flow on both sides of the router with
 * different source addresses and ports. */
#define _GNU_SOURCE
#include "labrun.h"

#include <cJSON.h>
#include <strings.h>
#include <sys/stat.h>

#include "../lib/jsonv.h"

static char workdir[PATH_MAX];

/* A command's standard output (its errors dropped: tshark warns about root). */
static int sh(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int have_tshark(void)
{
	char out[64];
	return sh("command -v tshark", out, sizeof(out)) == 0;
}

/* One interface's packets in a file of their own. Wireshark follows a TCP
 * connection by its addresses and ports, so the same connection seen on
 * several interfaces reads as retransmissions and TLS cannot be followed:
 * a reader looks at one interface at a time (the README says so too). */
static int split_iface(const char *pcap, const char *iface, const char *out)
{
	char cmd[3 * PATH_MAX], res[256];
	snprintf(cmd, sizeof(cmd),
	         "tshark -r '%s' -Y 'frame.interface_name == \"%s\"' -w '%s' 2>/dev/null && "
	         "echo ok",
	         pcap, iface, out);
	return sh(cmd, res, sizeof(res)) == 0 && strstr(res, "ok") ? 0 : -1;
}

/* A count printed by a tshark pipeline. */
static long count(const char *cmd)
{
	char out[64];
	return sh(cmd, out, sizeof(out)) == 0 ? strtol(out, NULL, 10) : -1;
}

/* --- SIP in the capture against the report's traces ----------------------------------- */

struct msg {
	char cid[128], cseq[24], src[48], dst[48], kind[24];
};

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Every SIP message of tshark's JSON (-T json): a frame's "sip" layer
 * appears once per message it holds (duplicate keys, which cJSON keeps). */
static int read_msgs(const char *json_path, struct msg **out)
{
	cJSON *root = jv_read_tree(json_path);
	int n = 0, cap = 0;
	struct msg *m = NULL;
	const cJSON *frame;
	cJSON_ArrayForEach (frame, root) {
		const cJSON *layers = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(frame, "_source"), "layers");
		const cJSON *ip = cJSON_GetObjectItemCaseSensitive(layers, "ip"), *l;
		cJSON_ArrayForEach (l, layers) {
			if (!l->string || strcmp(l->string, "sip"))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 256;
				struct msg *more = realloc(m, (size_t)cap * sizeof(*m));
				if (!more)
					break;
				m = more;
			}
			struct msg *x = &m[n++];
			const cJSON *hdr = cJSON_GetObjectItemCaseSensitive(l, "sip.msg_hdr_tree");
			const cJSON *rl =
			        cJSON_GetObjectItemCaseSensitive(l, "sip.Request-Line_tree");
			const cJSON *sl =
			        cJSON_GetObjectItemCaseSensitive(l, "sip.Status-Line_tree");
			snprintf(x->cid, sizeof(x->cid), "%s", jstr(hdr, "sip.Call-ID"));
			snprintf(x->cseq, sizeof(x->cseq), "%s",
			         jstr(cJSON_GetObjectItemCaseSensitive(hdr, "sip.CSeq_tree"),
			              "sip.CSeq.seq"));
			snprintf(x->src, sizeof(x->src), "%s", jstr(ip, "ip.src"));
			snprintf(x->dst, sizeof(x->dst), "%s", jstr(ip, "ip.dst"));
			snprintf(x->kind, sizeof(x->kind), "%s",
			         rl ? jstr(rl, "sip.Method") : jstr(sl, "sip.Status-Code"));
		}
	}
	cJSON_Delete(root);
	*out = m;
	return root ? n : -1;
}

static const char *const kinds[] = {"REGISTER", "INVITE", "200", "BYE"};
#define N_KINDS 4

static int kind_index(const char *k)
{
	for (int i = 0; i < N_KINDS; i++)
		if (!strcmp(k, kinds[i]))
			return i;
	return -1;
}

/* A trace entry's key: kind (method or status code), CSeq number, and the
 * worker's address from "udp/[10.20.1.2]:5062". */
static int trace_key(const cJSON *t, char *kind, char *cseq, char *ip)
{
	const char *fl = jstr(t, "first_line"), *text = jstr(t, "text");
	if (!strncmp(fl, "SIP/2.0 ", 8))
		sscanf(fl + 8, "%23s", kind);
	else
		sscanf(fl, "%23s", kind);
	const char *c = strcasestr(text, "\nCSeq:");
	const char *l = strchr(jstr(t, "local"), '[');
	if (!c || !l || sscanf(c + 6, " %23[0-9]", cseq) != 1 || sscanf(l + 1, "%47[^]]", ip) != 1)
		return -1;
	return 0;
}

/* How many captured messages carry this key, seen from the worker at ip. */
static int captured(const struct msg *m, int n, const char *cid, const char *cseq, const char *kind,
                    int send, const char *ip)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += !strcmp(m[i].cid, cid) && !strcmp(m[i].cseq, cseq) &&
		     !strcmp(m[i].kind, kind) && !strcmp(send ? m[i].src : m[i].dst, ip);
	return k;
}

/* Per endpoint and kind: the messages of its trace, and the captured ones
 * with the same Call-ID, CSeq, kind and direction (a message sent twice —
 * a retransmission — counts twice in both). The capture also holds the
 * un-REGISTERs the workers send as they leave, after their traces were
 * reported: those have CSeqs of their own and are not compared. */
static int check_traces(const cJSON *rep, const struct msg *m, int n, const char *tls_group,
                        int *tls_seen)
{
	int total[N_KINDS] = {0};
	*tls_seen = 0;
	const cJSON *ep;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(rep, "endpoints")) {
		const char *user = jstr(ep, "user");
		int in_trace[N_KINDS] = {0}, in_cap[N_KINDS] = {0};
		char seen[64][200];
		int n_seen = 0;
		CHECK(cJSON_GetObjectItemCaseSensitive(ep, "trace_dropped")->valueint == 0,
		      "%s: trace cut", user);
		const cJSON *t;
		cJSON_ArrayForEach (t, cJSON_GetObjectItemCaseSensitive(ep, "trace")) {
			char kind[24] = "", cseq[24] = "", ip[48] = "", key[200];
			int ki;
			if (trace_key(t, kind, cseq, ip) || (ki = kind_index(kind)) < 0)
				continue;
			int send = !strcmp(jstr(t, "dir"), "send");
			in_trace[ki]++;
			snprintf(key, sizeof(key), "%s|%s|%s|%d", jstr(t, "call_id"), cseq, kind,
			         send);
			int dup = 0;
			for (int i = 0; i < n_seen; i++)
				dup |= !strcmp(seen[i], key);
			if (dup || n_seen == 64)
				continue;
			snprintf(seen[n_seen++], sizeof(seen[0]), "%s", key);
			in_cap[ki] += captured(m, n, jstr(t, "call_id"), cseq, kind, send, ip);
		}
		for (int k = 0; k < N_KINDS; k++) {
			CHECK(in_trace[k] == in_cap[k],
			      "%s: %s: %d in its trace, %d in the capture", user, kinds[k],
			      in_trace[k], in_cap[k]);
			total[k] += in_cap[k];
		}
		if (!strcmp(jstr(ep, "group"), tls_group))
			*tls_seen += in_cap[0];
	}
	for (int k = 0; k < N_KINDS; k++)
		CHECK(total[k] > 0, "no %s in the capture at all", kinds[k]);
	return 0;
}

/* --- the runs ------------------------------------------------------------------------- */

/* UDP callers calling UDP receivers, and TLS callers calling the callee
 * pool, all on one worker: SIP over both, RTP to the pool in the clear. */
static const char mixed[] =
        "{\"name\": \"capture\", \"region\": \"lab\", \"time_scale\": 0.1,"
        " \"buildup_s\": 5, \"call_duration_s\": 10, \"platform\": {\"workers\": 1},"
        " \"far_side\": {\"transports\": [\"udp\", \"tcp\", \"tls\"]},"
        " \"groups\": ["
        "  {\"name\": \"callers\", \"registrar\": \"registrar.lab\", \"transport\": \"udp\","
        "   \"accounts\": {\"prefix\": \"caller\", \"count\": 2, \"password\": \"caller-pw\"},"
        "   \"codecs\": [\"PCMU\"], \"srtp\": \"none\", \"endpoints\": 2, \"role\": \"caller\","
        "   \"target\": \"receivers\"},"
        "  {\"name\": \"receivers\", \"registrar\": \"registrar.lab\", \"transport\": \"udp\","
        "   \"accounts\": {\"prefix\": \"recv\", \"count\": 2, \"password\": \"recv-pw\"},"
        "   \"codecs\": [\"PCMU\"], \"srtp\": \"none\", \"endpoints\": 2, \"role\": \"callee\"},"
        "  {\"name\": \"secure\", \"registrar\": \"registrar.lab\", \"transport\": \"tls\","
        "   \"accounts\": {\"prefix\": \"sec\", \"count\": 2, \"password\": \"sec-pw\"},"
        "   \"codecs\": [\"PCMA\"], \"srtp\": \"none\", \"endpoints\": 2, \"role\": \"caller\","
        "   \"target\": \"callee-pool\"}]}";

static int run(const char *scenario, const char *report, const char *logs, const char *pcap,
               int once, char *out, size_t cap)
{
	char *args[] = {"siplab",       "run",     (char *)scenario,       "--report",
	                (char *)report, "--logs",  (char *)logs,           "--pcap",
	                (char *)pcap,   "--quiet", once ? "--once" : NULL, NULL};
	return siplab_capture(args, out, cap);
}

/* The callee-pool calls' RTP, found by tshark's RTP heuristic, carries the
 * SSRCs the report gives those endpoints, both ways. */
static int check_rtp(const cJSON *rep, const char *pcap)
{
	char cmd[2 * PATH_MAX], streams[16384];
	snprintf(cmd, sizeof(cmd),
	         "tshark -r '%s' -o rtp.heuristic_rtp:TRUE -q -z rtp,streams 2>/dev/null", pcap);
	CHECK(sh(cmd, streams, sizeof(streams)) == 0, "tshark failed");
	int found = 0;
	const cJSON *ep;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItemCaseSensitive(rep, "endpoints")) {
		if (strcmp(jstr(ep, "group"), "secure"))
			continue;
		const cJSON *media = cJSON_GetObjectItemCaseSensitive(ep, "media");
		const char *fields[] = {"ssrc", "peer_ssrc"};
		for (int k = 0; k < 2; k++) {
			char hex[16];
			snprintf(hex, sizeof(hex), "0x%08llX",
			         (unsigned long long)cJSON_GetObjectItemCaseSensitive(media,
			                                                              fields[k])
			                 ->valuedouble);
			CHECK(strstr(streams, hex), "%s's %s %s is not among the RTP streams:\n%s",
			      jstr(ep, "user"), fields[k], hex, streams);
			found++;
		}
	}
	CHECK(found == 4, "%d of the 4 callee-pool streams", found);
	return 0;
}

static int body_healthy(void)
{
	if (!have_tshark())
		return CHILD_SKIP;
	char scn[PATH_MAX], report[PATH_MAX], logs[PATH_MAX], pcap[PATH_MAX], keys[PATH_MAX],
	        w1[PATH_MAX], json[PATH_MAX], cmd[4 * PATH_MAX], out[65536];
	snprintf(scn, sizeof(scn), "%s/mixed.json", workdir);
	snprintf(report, sizeof(report), "%s/mixed.report.json", workdir);
	snprintf(logs, sizeof(logs), "%s/mixed.logs", workdir);
	snprintf(pcap, sizeof(pcap), "%s/mixed.pcapng", workdir);
	snprintf(keys, sizeof(keys), "%s/mixed.keys", workdir);
	snprintf(w1, sizeof(w1), "%s/worker1.pcapng", workdir);
	snprintf(json, sizeof(json), "%s/worker1.sip.json", workdir);
	CHECK(!sys_write_file(scn, mixed, strlen(mixed), 1, NULL), "writing %s", scn);
	int rc = run(scn, report, logs, pcap, 0, out, sizeof(out));
	CHECK(rc == 0, "exit %d: %s", rc, out);
	struct stat st;
	snprintf(cmd, sizeof(cmd), "%s/capture.pcapng", logs);
	CHECK(stat(cmd, &st) == 0 && st.st_size > 0, "no capture in --logs: %s", cmd);
	snprintf(cmd, sizeof(cmd), "%s/capture.keys", logs);
	CHECK(stat(cmd, &st) == 0 && st.st_size > 0, "no key log in --logs: %s", cmd);
	CHECK(stat(keys, &st) == 0 && st.st_size > 0, "no key log beside --pcap: %s", keys);

	/* One interface per host's end of each link, named host:ifname. */
	snprintf(cmd, sizeof(cmd), "capinfos -I '%s' 2>/dev/null", pcap);
	CHECK(sh(cmd, out, sizeof(out)) == 0, "capinfos failed on %s", pcap);
	const char *names[] = {"Name = worker1:eth0", "Name = registrar:eth0", "Name = callee:eth0",
	                       "Name = dns:eth0", "Name = platform:eth0"};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		CHECK(strstr(out, names[i]), "no interface \"%s\" in:\n%s", names[i] + 7, out);
	CHECK(strstr(out, "Name = core:"), "the core router's ends are missing:\n%s", out);

	CHECK(split_iface(pcap, "worker1:eth0", w1) == 0, "tshark could not split %s", pcap);
	snprintf(cmd, sizeof(cmd),
	         "tshark -r '%s' -o tls.keylog_file:'%s' -Y sip -T json -J 'frame ip sip' "
	         "> '%s' 2>/dev/null",
	         w1, keys, json);
	CHECK(sh(cmd, out, sizeof(out)) == 0, "tshark failed: %s", cmd);
	struct msg *m = NULL;
	int n = read_msgs(json, &m);
	CHECK(n > 0, "no SIP dissected in %s", w1);
	cJSON *rep = jv_read_tree(report);
	CHECK(rep, "no report %s", report);
	int tls_seen = 0;
	rc = check_traces(rep, m, n, "secure", &tls_seen);
	free(m);
	if (!rc)
		rc = check_rtp(rep, w1);
	cJSON_Delete(rep);
	if (rc)
		return rc;
	/* The TLS group's SIP is there only through the key log. */
	CHECK(tls_seen > 0, "no REGISTER of the TLS group decrypted");
	snprintf(cmd, sizeof(cmd),
	         "tshark -r '%s' -Y 'sip && tcp.port == 5061' 2>/dev/null | wc -l", w1);
	long clear = count(cmd);
	CHECK(clear == 0, "%ld SIP messages over TLS read without the key log", clear);
	snprintf(cmd, sizeof(cmd), "tshark -r '%s' -Y tls 2>/dev/null | wc -l", w1);
	CHECK(count(cmd) > 0, "no TLS in the capture");
	return 0;
}

/* One field of the first packet a filter finds on an interface. */
static int first_field(const char *pcap, const char *filter, const char *fields, char *out,
                       size_t cap)
{
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd),
	         "tshark -r '%s' -o rtp.heuristic_rtp:TRUE -Y '%s' -T fields %s 2>/dev/null | "
	         "head -1",
	         pcap, filter, fields);
	if (sh(cmd, out, cap) != 0)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	return out[0] ? 0 : -1;
}

/* The first REGISTER and the first RTP packet from the worker, seen inside
 * (worker1:eth0) and outside (nat:eth0) the NAT router: the same message
 * (Call-ID and CSeq; SSRC and sequence number) from different addresses and
 * ports. */
static int body_nat(void)
{
	if (!have_tshark())
		return CHILD_SKIP;
	char scn[PATH_MAX], report[PATH_MAX], logs[PATH_MAX], pcap[PATH_MAX], in[PATH_MAX],
	        outside[PATH_MAX], out[65536];
	char *text = NULL;
	CHECK(!jv_read_file("scenarios/media_symmetric_nat.json", &text, NULL), "no scenario");
	cJSON *s = cJSON_Parse(text);
	free(text);
	cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "groups"), 0);
	cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(g, "endpoints"), 2);
	cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(s, "call_duration_s"), 10);
	text = cJSON_Print(s);
	cJSON_Delete(s);
	snprintf(scn, sizeof(scn), "%s/nat.json", workdir);
	snprintf(report, sizeof(report), "%s/nat.report.json", workdir);
	snprintf(logs, sizeof(logs), "%s/nat.logs", workdir);
	snprintf(pcap, sizeof(pcap), "%s/nat.pcapng", workdir);
	snprintf(in, sizeof(in), "%s/nat.inside.pcapng", workdir);
	snprintf(outside, sizeof(outside), "%s/nat.outside.pcapng", workdir);
	CHECK(!sys_write_file(scn, text, strlen(text), 1, NULL), "writing %s", scn);
	free(text);
	int rc = run(scn, report, logs, pcap, 1, out, sizeof(out));
	CHECK(rc == 0 || rc == 1, "exit %d: %s", rc, out);
	CHECK(split_iface(pcap, "worker1:eth0", in) == 0, "split inside");
	CHECK(split_iface(pcap, "nat:eth0", outside) == 0, "split outside");

	char a[256], b[256], id[256], flt[512];
	CHECK(!first_field(in, "sip.Method == \"REGISTER\"", "-e sip.Call-ID -e sip.CSeq.seq", id,
	                   sizeof(id)),
	      "no REGISTER inside the NAT");
	char cid[200] = "", seq[32] = "";
	sscanf(id, "%199s %31s", cid, seq);
	snprintf(flt, sizeof(flt), "sip.Call-ID == \"%s\" && sip.CSeq.seq == %s", cid, seq);
	CHECK(!first_field(in, flt, "-e ip.src -e udp.srcport", a, sizeof(a)), "inside: %s", flt);
	CHECK(!first_field(outside, flt, "-e ip.src -e udp.srcport", b, sizeof(b)),
	      "the REGISTER %s is not seen outside the NAT", flt);
	CHECK(strcmp(a, b), "the same address and port on both sides: %s", a);
	char ia[64], ib[64];
	int pa = 0, pb = 0;
	sscanf(a, "%63s %d", ia, &pa);
	sscanf(b, "%63s %d", ib, &pb);
	CHECK(strcmp(ia, ib) && pa != pb, "REGISTER inside %s:%d, outside %s:%d", ia, pa, ib, pb);

	/* The caller's audio: the same SSRC and sequence number on both sides. */
	snprintf(flt, sizeof(flt), "rtp && ip.src == %s", ia);
	CHECK(!first_field(in, flt, "-e rtp.ssrc -e rtp.seq -e udp.srcport", a, sizeof(a)),
	      "no RTP from the worker (%s) inside the NAT", ia);
	char ssrc[32];
	int rseq = 0;
	sscanf(a, "%31s %d %d", ssrc, &rseq, &pa);
	snprintf(flt, sizeof(flt), "rtp.ssrc == %s && rtp.seq == %d", ssrc, rseq);
	CHECK(!first_field(outside, flt, "-e udp.srcport", b, sizeof(b)),
	      "the RTP packet %s is not seen outside the NAT", flt);
	pb = atoi(b);
	CHECK(pa != pb, "RTP: the same source port %d on both sides", pa);
	return 0;
}

CHILD_TEST(healthy)
CHILD_TEST(nat)

int main(void)
{
	/* The sanitizer suite runs the capture in every run of test_run; the
	 * readers here exercise nothing of ours. */
	if (getenv("SIPLAB_ASAN")) {
		printf("[  SKIPPED ] 2 tests: tshark's checks are left to the normal build\n");
		return 0;
	}
	snprintf(workdir, sizeof(workdir), "/tmp/siplab-test-capture.%d", (int)getpid());
	mkdir(workdir, 0755);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_healthy),
	        cmocka_unit_test(test_nat),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sys_rm_tree(workdir);
	return rc;
}

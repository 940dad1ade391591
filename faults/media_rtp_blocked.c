/* media.rtp_blocked — a firewall drops the RTP port range both ways: calls
 * connect (SIP passes), and no audio arrives in either direction. The
 * workers' and the callee pool's RTP sockets take their ports from the
 * kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 in
 * every lab host), so that is the "RTP port range" here, as 10000-20000 is
 * on many platforms. Mechanism: nftables on the hosts of the workers it is
 * aimed at (scope.workers; every worker's by default), input and output,
 * dropping UDP whose source and destination ports both lie in the range —
 * media between two RTP ports. SIP (the registrar's 5060/5061), DNS (53)
 * and the gateway's TCP keep a well-known port on one end, and pass. From
 * the start, or switched on and off mid-run (at_s, until_s). The remedy is
 * the range opened (the fault removed). */
#include <stdio.h>

#include "fault.h"

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	int lo = (int)a->v[0].num, hi = (int)a->v[1].num, rc = 0;
	if (lo > hi)
		return err_set(e, EINVAL, "media.rtp_blocked: first_port %d is above last_port %d",
		               lo, hi);
	const char *workers[SCN_MAX_WORKERS];
	int n = le_hosts(le, "worker", workers, SCN_MAX_WORKERS);
	char rules[512];
	/* Both ways on the worker's own host: what it sends to an RTP port
	 * never leaves, what comes to its RTP port never reaches the socket. */
	(void)snprintf(rules, sizeof(rules),
	               "table inet lab_rtp_block {\n"
	               "  chain input { type filter hook input priority filter; "
	               "udp sport %d-%d udp dport %d-%d drop; }\n"
	               "  chain output { type filter hook output priority filter; "
	               "udp sport %d-%d udp dport %d-%d drop; }\n}",
	               lo, hi, lo, hi, lo, hi, lo, hi);
	for (int i = 0; !rc && i < n && i < SCN_MAX_WORKERS; i++)
		rc = le_nft(le, workers[i], rules, e);
	return rc;
}

const struct fault fault_media_rtp_blocked = {
        .code = "media.rtp_blocked",
        .summary = "a firewall drops the RTP port range both ways",
        .applied = "before the run (or at at_s): nftables on the aimed workers' hosts, input "
                   "and output",
        .reverted = "the next lab's workers have no such firewall (or at until_s: the rule "
                    "deleted)",
        .params = {{"first_port", FP_INT, "32768", 1, 65535, NULL,
                    "the first port of the RTP range (the kernel's ephemeral range, where "
                    "the lab's RTP sockets are)",
                    NULL},
                   {"last_port", FP_INT, "60999", 1, 65535, NULL, "the last port of the RTP range",
                    NULL}},
        .topology = topology,
        .scopes = FAULT_SCOPE_WORKER,
        .timing = FAULT_TIMING_AT | FAULT_TIMING_UNTIL,
};

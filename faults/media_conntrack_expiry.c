/* media.conntrack_expiry — a stateful firewall on the workers' path (the core
 * router: only established flows may enter the first worker's network) with
 * a short UDP conntrack timeout. When both ends of a call fall silent for
 * longer than it, the entry expires, and the far end's audio after the pause
 * is dropped as a new inbound flow. The remedy is a timeout of at least 120 s
 * (scaled). */
#include <math.h>
#include <stdio.h>

#include "fault.h"

static int topology(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	const char *worker[1], *router[1];
	char net[64], rules[512];
	if (le_hosts(le, "worker", worker, 1) < 1 || le_hosts(le, "router", router, 1) < 1)
		return err_set(e, ENOENT,
		               "media.conntrack_expiry: the lab has no worker or router");
	int rc = le_host_net(le, worker[0], net, sizeof(net), e);
	if (rc)
		return rc;
	/* Only established flows may enter the guarded network. */
	snprintf(rules, sizeof(rules),
	         "table inet lab_fw {\n  chain guard { type filter hook forward priority filter; "
	         "ip daddr %s ct state established,related accept;\n    ip daddr %s meta l4proto "
	         "udp drop; }\n}",
	         net, net);
	/* The kernel counts whole seconds: scaled, rounded up, at least 1. */
	double s = a->v[0].num * le_time_scale(le);
	long timeout = s < 1 ? 1 : (long)ceil(s);
	if ((rc = le_nft(le, router[0], rules, e)) ||
	    (rc = le_sysctl(le, router[0], "net.netfilter.nf_conntrack_udp_timeout", timeout, e)))
		return rc;
	return le_sysctl(le, router[0], "net.netfilter.nf_conntrack_udp_timeout_stream", timeout,
	                 e);
}

const struct fault fault_media_conntrack_expiry = {
        .code = "media.conntrack_expiry",
        .summary = "a stateful firewall with a short UDP conntrack timeout in front of the first "
                   "worker",
        .applied = "before the run: nftables and conntrack sysctls on the core router",
        .reverted = "the next lab's core router has no firewall, and default timeouts",
        .params = {{"timeout_s", FP_DURATION, "30", 1, 86400, "s",
                    "UDP conntrack timeout (scaled time)", NULL}},
        .topology = topology,
};

/* media.conntrack_expiry — a stateful firewall on the workers' path (the core
 * router: only established flows may enter worker1's network) with a short
 * UDP conntrack timeout. When both ends of a call fall silent for longer than
 * it, the entry expires, and the far end's audio after the pause is dropped as
 * a new inbound flow. The remedy is a timeout of at least 120 s (scaled). */
#include <math.h>
#include <stdio.h>

#include "fault.h"

static int apply(struct fault_plan *p, const char *const *v, double time_scale, err_t *e)
{
	(void)e;
	snprintf(p->firewall, sizeof(p->firewall), "%s", "10.20.1.0/24");
	/* The kernel counts whole seconds: scaled, rounded up, at least 1. */
	double s = (double)fault_num(v[0]) * time_scale;
	p->conntrack_udp_s = s < 1 ? 1 : (int)ceil(s);
	return 0;
}

const struct fault fault_media_conntrack_expiry = {
        .code = "media.conntrack_expiry",
        .summary = "a stateful firewall with a short UDP conntrack timeout in front of worker1",
        .applied = "before the run: nftables and conntrack sysctls on the core router",
        .reverted = "the next lab's core router has no firewall, and default timeouts",
        .params = {{"timeout_s", "30", "UDP conntrack timeout, seconds (scaled time)", NULL}},
        .apply = apply,
};

/* reg.sip_port_blocked — a firewall in front of the registrar drops SIP from
 * the workers' networks. Mechanism: nftables on the registrar host drops UDP
 * and TCP to ports 5060 and 5061 from the worker subnets, silently: REGISTERs
 * are retransmitted and time out. The remedy is the port opened. */
#include "fault.h"

static int apply(struct fault_plan *p, const char *const *v, double time_scale, err_t *e)
{
	(void)v;
	(void)time_scale;
	(void)e;
	p->block_sip = 1;
	return 0;
}

const struct fault fault_reg_sip_port_blocked = {
        .code = "reg.sip_port_blocked",
        .summary = "a firewall drops SIP from the workers to the registrar",
        .applied = "before the run: nftables on the registrar host",
        .reverted = "the next lab's registrar host has no firewall",
        .params = {{NULL, NULL, NULL, NULL}},
        .apply = apply,
};

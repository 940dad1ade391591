/* reg.dns_failure — the registrar's name does not resolve from the worker's
 * network. Mechanism: the lab's DNS server answers that name with NXDOMAIN or
 * SERVFAIL, or not at all. The remedy is the record restored. */
#include <stdio.h>

#include "fault.h"

static const char *const modes[] = {"nxdomain", "servfail", "drop", NULL};

static int apply(struct fault_plan *p, const char *const *v, double time_scale, err_t *e)
{
	(void)time_scale;
	(void)e;
	snprintf(p->dns_name, sizeof(p->dns_name), "%s", v[0]);
	snprintf(p->dns_mode, sizeof(p->dns_mode), "%s", v[1]);
	return 0;
}

const struct fault fault_reg_dns_failure = {
        .code = "reg.dns_failure",
        .summary = "the registrar's name does not resolve (NXDOMAIN, SERVFAIL or no answer)",
        .applied = "before the run: the lab DNS server's answer for the name",
        .reverted = "the next lab's DNS server answers the name",
        .params = {{"name", "registrar.lab", "the name that fails",
                    (const char *const[]){"registrar.lab", "lab", NULL}},
                   {"mode", "nxdomain", "how it fails", modes}},
        .apply = apply,
};

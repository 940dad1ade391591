/* reg.wrong_transport — the registrar listens on TLS only while the test uses
 * UDP (or on UDP only while it uses TLS). Mechanism: the registrar is started
 * on that transport alone, so the test's REGISTERs meet a closed port (ICMP
 * port unreachable for UDP, a refused connection for TCP/TLS). The remedy is
 * the registrar's transport. */
#include <string.h>

#include "fault.h"

static const char *const only[] = {"tls", "udp", "tcp", NULL};

static int apply(struct fault_plan *p, const char *const *v, double time_scale, err_t *e)
{
	(void)time_scale;
	(void)e;
	p->transports_set = 1;
	p->udp = !strcmp(v[0], "udp");
	p->tcp = !strcmp(v[0], "tcp");
	p->tls = !strcmp(v[0], "tls");
	return 0;
}

const struct fault fault_reg_wrong_transport = {
        .code = "reg.wrong_transport",
        .summary = "the registrar listens on one transport only, not the test's",
        .applied = "before the run: the registrar's listening transports",
        .reverted = "the next lab's registrar listens on what the scenario says",
        .params = {{"registrar_only", "tls", "the one transport the registrar listens on", only}},
        .apply = apply,
};

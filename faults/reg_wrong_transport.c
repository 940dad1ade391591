/* reg.wrong_transport — the registrar listens on TLS only while the test uses
 * UDP (or on UDP only while it uses TLS). Mechanism: the registrar is started
 * on that transport alone, so the test's REGISTERs meet a closed port (ICMP
 * port unreachable for UDP, a refused connection for TCP/TLS). The remedy is
 * the registrar's transport. */
#include "../lib/jsonv.h"
#include "fault.h"

static const char *const only[] = {"tls", "udp", "tcp", NULL};

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	cJSON *reg = le_config(le, "registrar", e);
	if (!reg)
		return -ENOENT;
	cJSON *t = cJSON_CreateArray();
	cJSON_AddItemToArray(t, cJSON_CreateString(a->v[0].text));
	jv_set(reg, "transports", t);
	return 0;
}

const struct fault fault_reg_wrong_transport = {
        .code = "reg.wrong_transport",
        .summary = "the registrar listens on one transport only, not the test's",
        .applied = "before the run: the registrar's listening transports",
        .reverted = "the next lab's registrar listens on what the scenario says",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .params = {{"registrar_only", FP_ENUM, "tls", 0, 0, NULL,
                    "the one transport the registrar listens on", only}},
        .far_side = far_side,
};

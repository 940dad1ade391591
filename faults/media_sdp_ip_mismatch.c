/* media.sdp_ip_mismatch — a proxy on the call path rewrites the SDP's
 * connection address, and writes a wrong one: the callee sends its audio
 * to an address where the caller is not. Calls connect; the caller hears
 * nothing, the callee hears the caller (the answer is not rewritten). The
 * c= the callee received differs from the c= the caller sent, which both
 * traces show. Mechanism: the registrar's SBC mode rewrites the c= of the
 * offers it forwards (sbc.rewrite_address) to `address` — by default
 * 192.0.2.10, a documentation address no lab host has, like a mistyped
 * external address in an SBC's NAT settings. The remedy is the proxy fixed
 * (the fault removed: nothing rewrites the SDP). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "../lib/jsonv.h"
#include "fault.h"

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	struct in_addr x;
	if (inet_pton(AF_INET, a->v[0].text, &x) != 1)
		return err_set(e, EINVAL, "media.sdp_ip_mismatch: address \"%s\" is not IPv4",
		               a->v[0].text);
	cJSON *reg = le_config(le, "registrar", e);
	if (!reg)
		return -ENOENT;
	cJSON *sbc = cJSON_GetObjectItemCaseSensitive(reg, "sbc");
	if (!sbc) {
		sbc = cJSON_AddObjectToObject(reg, "sbc");
		cJSON_AddFalseToObject(sbc, "relay");
	}
	jv_set(sbc, "rewrite_address", cJSON_CreateString(a->v[0].text));
	le_note(le, "the SBC rewrites the c= of every offer it forwards to %s", a->v[0].text);
	return 0;
}

const struct fault fault_media_sdp_ip_mismatch = {
        .code = "media.sdp_ip_mismatch",
        .summary = "a proxy rewrites the SDP connection address of offers to a wrong one",
        .applied = "before the run: the registrar's SBC rewrites c= in the offers it forwards",
        .reverted = "the next lab's registrar rewrites nothing",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .params = {{"address", FP_NAME, "192.0.2.10", 0, 0, NULL,
                    "the IPv4 address written into the offers' c= lines", NULL}},
        .far_side = far_side,
};

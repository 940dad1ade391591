/* reg.tls_failure — the registrar's TLS is not what the workers accept.
 * cause "certificate" (the default): its certificate is signed by a CA of the
 * registrar's own, not the lab CA the workers check certificates against;
 * siplab's registrar starts without the lab's certificate directory and
 * makes its own CA and certificate, as a server set up with a self-made
 * certificate does, and every TLS handshake fails its verification. cause
 * "version" (issue 11): the registrar keeps the trusted certificate but
 * offers only TLS 1.0 and 1.1, which the workers refuse (they accept 1.2 and
 * later), so the handshake fails on the version before any certificate is
 * judged. UDP and TCP still answer. The remedy is a certificate from the CA
 * the workers trust, or a TLS version they accept. */
#include <string.h>

#include "../lib/jsonv.h"
#include "fault.h"

static const char *const causes[] = {"certificate", "version", NULL};

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	cJSON *reg = le_config(le, "registrar", e);
	if (!reg)
		return -ENOENT;
	if (!strcmp(a->v[0].text, "version")) {
		/* A legacy TLS stack: the old versions only. */
		jv_set(reg, "tls_versions", cJSON_CreateString("1.0-1.1"));
		return 0;
	}
	/* No certificate directory: the registrar makes a CA of its own. */
	jv_set(reg, "tls_dir", cJSON_CreateString(""));
	return 0;
}

const struct fault fault_reg_tls_failure = {
        .code = "reg.tls_failure",
        .summary = "the registrar's TLS is refused by the workers: a certificate from a CA they "
                   "do not trust, or only TLS versions they do not accept",
        .applied = "before the run: the registrar's certificate, or its TLS versions",
        .reverted = "the next lab's registrar serves the lab CA's certificate over any TLS "
                    "version",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .params = {{"cause", FP_ENUM, "certificate", 0, 0, NULL,
                    "what the workers refuse: the certificate's CA, or the TLS version (the "
                    "registrar offers only 1.0 and 1.1)",
                    causes}},
        .far_side = far_side,
};

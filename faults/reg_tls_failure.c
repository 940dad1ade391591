/* reg.tls_failure — the registrar's TLS certificate is not one the workers
 * can trust: it is signed by a CA of the registrar's own, not the lab CA the
 * workers check certificates against. Mechanism: siplab's registrar starts
 * without the lab's certificate directory and makes its own CA and
 * certificate, as a server set up with a self-made certificate does. Every
 * TLS handshake then fails its verification; UDP and TCP still answer. The
 * remedy is a certificate from the CA the workers trust. */
#include "../lib/jsonv.h"
#include "fault.h"

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	cJSON *reg = le_config(le, "registrar", e);
	if (!reg)
		return -ENOENT;
	/* No certificate directory: the registrar makes a CA of its own. */
	jv_set(reg, "tls_dir", cJSON_CreateString(""));
	return 0;
}

const struct fault fault_reg_tls_failure = {
        .code = "reg.tls_failure",
        .summary = "the registrar's TLS certificate is signed by a CA the workers do not trust",
        .applied = "before the run: the registrar's certificate",
        .reverted = "the next lab's registrar serves the lab CA's certificate",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .far_side = far_side,
};

/* reg.registrar_down — the registrar process is not running. Mechanism: the
 * registrar is stopped as the run starts (after the callee pool registered),
 * so nothing listens on its ports: UDP gets ICMP port unreachable, TCP and
 * TLS a refused connection, on every transport alike. With at_s it stops
 * mid-run instead ("it worked, then it stopped"). The remedy is the
 * registrar started. */
#include "fault.h"

static int run_start(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	return le_stop_service(le, "registrar", e);
}

const struct fault fault_reg_registrar_down = {
        .code = "reg.registrar_down",
        .summary = "the registrar process is not running: nothing listens on any transport",
        .applied = "as the run starts (or at at_s): the registrar process stopped",
        .reverted = "the next lab starts its registrar",
        .needs = 0,
        .run_start = run_start,
        .timing = FAULT_TIMING_AT,
};

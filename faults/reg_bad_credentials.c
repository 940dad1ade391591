/* reg.bad_credentials — every account's password at the registrar differs
 * from the test's. Mechanism: the registrar's account pools are made with
 * other passwords. REGISTER is challenged, the credentials sent, and
 * challenged again. The remedy is the correct credentials. */
#include "fault.h"

static int apply(struct fault_plan *p, const char *const *v, double time_scale, err_t *e)
{
	(void)v;
	(void)time_scale;
	(void)e;
	p->wrong_passwords = 1;
	return 0;
}

const struct fault fault_reg_bad_credentials = {
        .code = "reg.bad_credentials",
        .summary = "the registrar has other passwords for the test's accounts",
        .applied = "before the run: the registrar's account pools",
        .reverted = "the next lab's registrar has the scenario's passwords",
        .params = {{NULL, NULL, NULL, NULL}},
        .apply = apply,
};

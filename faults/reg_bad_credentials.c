/* reg.bad_credentials — every account's password at the registrar differs
 * from the test's. Mechanism: the registrar's account pools are made with
 * other passwords. REGISTER is challenged, the credentials sent, and
 * challenged again. The remedy is the correct credentials. */
#include <string.h>

#include "../lib/jsonv.h"
#include "fault.h"

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	(void)a;
	cJSON *reg = le_config(le, "registrar", e), *pool;
	if (!reg)
		return -ENOENT;
	cJSON_ArrayForEach (pool, cJSON_GetObjectItemCaseSensitive(reg, "account_pool")) {
		const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(pool, "prefix");
		if (cJSON_IsString(prefix) && !strcmp(prefix->valuestring, le_callee_prefix(le)))
			continue; /* the far side's own callees keep theirs */
		jv_set(pool, "password", cJSON_CreateString("not-the-tests"));
	}
	return 0;
}

const struct fault fault_reg_bad_credentials = {
        .code = "reg.bad_credentials",
        .summary = "the registrar has other passwords for the test's accounts",
        .applied = "before the run: the registrar's account pools",
        .reverted = "the next lab's registrar has the scenario's passwords",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .far_side = far_side,
};

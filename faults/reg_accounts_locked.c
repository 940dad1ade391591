/* reg.accounts_locked — some of the test's accounts are disabled at the
 * registrar: those get 403 to their REGISTER, the others register. The
 * confounder of reg.rate_limit's 403 signature: the same answer, for who the
 * account is rather than when it came. Mechanism: the registrar's account
 * pool marks its last accounts disabled. The remedy is the accounts enabled. */
#include <string.h>

#include "fault.h"

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	cJSON *reg = le_config(le, "registrar", e);
	if (!reg)
		return -ENOENT;
	const char *callee = le_callee_prefix(le);
	cJSON *pool;
	/* The test's first pool (the callee pool's accounts are the far side's). */
	cJSON_ArrayForEach (pool, cJSON_GetObjectItemCaseSensitive(reg, "account_pool")) {
		const cJSON *prefix = cJSON_GetObjectItemCaseSensitive(pool, "prefix");
		const cJSON *count = cJSON_GetObjectItemCaseSensitive(pool, "count");
		if (!cJSON_IsString(prefix) || !cJSON_IsNumber(count) ||
		    (callee && !strcmp(prefix->valuestring, callee)))
			continue;
		int n = (int)a->v[0].num;
		if (n > count->valueint)
			return err_set(
			        e, EINVAL,
			        "reg.accounts_locked: disabled %d, but the pool \"%s\" has %d "
			        "accounts",
			        n, prefix->valuestring, count->valueint);
		cJSON_DeleteItemFromObjectCaseSensitive(pool, "disabled");
		cJSON_AddNumberToObject(pool, "disabled", n);
		le_note(le, "the last %d accounts of pool %s disabled", n, prefix->valuestring);
		return 0;
	}
	return err_set(e, ENOENT,
	               "reg.accounts_locked: the registrar has no account pool of the "
	               "test's");
}

const struct fault fault_reg_accounts_locked = {
        .code = "reg.accounts_locked",
        .summary = "some of the test's accounts are disabled at the registrar (403 for them)",
        .applied = "before the run: the registrar's account pool",
        .reverted = "the next lab's registrar has every account enabled",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .params = {{"disabled", FP_INT, "3", 1, 1000000, "accounts",
                    "how many of the pool's last accounts are disabled", NULL}},
        .far_side = far_side,
};

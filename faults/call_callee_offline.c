/* call.callee_offline — some of the callee pool's members are switched off:
 * the registrar knows their accounts and holds no binding for them, so a
 * call to one gets 480 Temporarily Unavailable (RFC 3261 21.4.18), where an
 * unknown number would get 404. Mechanism: the callee pool's configuration
 * marks its last members offline, and they never register. The remedy is the
 * fault removed: every member registers before the callers dial. */
#include <errno.h>

#include "fault.h"

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	cJSON *pool = le_config(le, "callees", e);
	if (!pool)
		return -ENOENT;
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(pool, "count");
	int n = (int)a->v[0].num;
	if (!cJSON_IsNumber(count) || n > count->valueint)
		return err_set(
		        e, EINVAL,
		        "call.callee_offline: offline %d, but the callee pool has %d members", n,
		        cJSON_IsNumber(count) ? count->valueint : 0);
	cJSON_DeleteItemFromObjectCaseSensitive(pool, "offline");
	cJSON_AddNumberToObject(pool, "offline", n);
	le_note(le, "the last %d of the callee pool's %d members never register (%s...)", n,
	        count->valueint, le_callee_prefix(le));
	return 0;
}

const struct fault fault_call_callee_offline = {
        .code = "call.callee_offline",
        .summary = "some callees of the pool are not registered when called (480 to the "
                   "INVITE)",
        .applied = "before the run: the callee pool's configuration",
        .reverted = "the next lab's callee pool registers every member",
        .params = {{"offline", FP_INT, "1", 1, 10000, "members",
                    "how many of the callee pool's last members never register", NULL}},
        .far_side = far_side,
};

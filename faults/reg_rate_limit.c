/* reg.rate_limit — the registrar limits REGISTERs per second. A burst with a
 * short buildup loses the later endpoints; the remedy is a longer buildup.
 * Mechanism: the registrar's own rate limiter, with the signature chosen —
 * 503 with Retry-After, silent drop (clients time out), 403 or 429. */
#include "../lib/jsonv.h"
#include "fault.h"

static const char *const modes[] = {"503", "drop", "403", "429", NULL};

static int far_side(struct lab_edit *le, const struct fault_args *a, err_t *e)
{
	cJSON *reg = le_config(le, "registrar", e);
	const char *callee[1];
	char addr[64];
	if (!reg || le_hosts(le, "callee", callee, 1) < 1 ||
	    le_host_addr(le, callee[0], addr, sizeof(addr), e))
		return err_set(e, ENOENT,
		               "reg.rate_limit: no registrar configuration or callee host");
	/* A rate is per second of the compressed run: at scale 0.1 the limiter
	 * counts over 100 ms windows, as a buildup ten times shorter sends ten
	 * times faster. */
	long window = le_ms(le, 1.0);
	cJSON *rl = cJSON_CreateObject();
	jv_set(reg, "rate_limit", rl);
	cJSON_AddNumberToObject(rl, "per_second", a->v[0].num);
	cJSON_AddStringToObject(rl, "mode", a->v[1].text);
	cJSON_AddNumberToObject(rl, "retry_after", a->v[2].num);
	cJSON_AddNumberToObject(rl, "window_ms", (double)(window < 1 ? 1 : window));
	/* The far side's own callee pool is not what the test measures. */
	cJSON *exempt = cJSON_AddArrayToObject(rl, "exempt");
	cJSON_AddItemToArray(exempt, cJSON_CreateString(addr));
	return 0;
}

const struct fault fault_reg_rate_limit = {
        .code = "reg.rate_limit",
        .summary = "the registrar limits REGISTERs per second (503 + Retry-After, silent drop, "
                   "403 or 429)",
        .applied = "before the run: the registrar's rate limiter",
        .reverted = "the next lab's registrar has no limit",
        .needs = FAULT_NEEDS_SIPLAB_REGISTRAR,
        .params = {{"per_second", FP_INT, "20", 1, 1000000, "REGISTERs per second",
                    "REGISTERs per second allowed (scaled time)", NULL},
                   {"mode", FP_ENUM, "503", 0, 0, NULL, "how the excess is refused", modes},
                   {"retry_after", FP_INT, "5", 0, 86400, "seconds",
                    "seconds, in the 503's Retry-After", NULL}},
        .far_side = far_side,
};

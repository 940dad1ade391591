/* reg.rate_limit — the registrar limits REGISTERs per second. A burst with a
 * short buildup loses the later endpoints; the remedy is a longer buildup.
 * Mechanism: the registrar's own rate limiter, with the signature chosen —
 * 503 with Retry-After, silent drop (clients time out), 403 or 429. */
#include <stdio.h>

#include "fault.h"

static const char *const modes[] = {"503", "drop", "403", "429", NULL};

static int apply(struct fault_plan *p, const char *const *v, double time_scale, err_t *e)
{
	(void)e;
	/* A rate is per second of the compressed run: at scale 0.1 the limiter
	 * counts over 100 ms windows, as a buildup ten times shorter sends ten
	 * times faster. */
	p->rate_per_second = (int)fault_num(v[0]);
	p->rate_window_ms = (int)(1000 * time_scale + 0.5);
	if (p->rate_window_ms < 1)
		p->rate_window_ms = 1;
	snprintf(p->rate_mode, sizeof(p->rate_mode), "%s", v[1]);
	p->retry_after = (int)fault_num(v[2]);
	return 0;
}

const struct fault fault_reg_rate_limit = {
        .code = "reg.rate_limit",
        .summary = "the registrar limits REGISTERs per second (503 + Retry-After, silent drop, "
                   "403 or 429)",
        .applied = "before the run: the registrar's rate limiter",
        .reverted = "the next lab's registrar has no limit",
        .params = {{"per_second", "20", "REGISTERs per second allowed (scaled time)", NULL},
                   {"mode", "503", "how the excess is refused", modes},
                   {"retry_after", "5", "seconds, in the 503's Retry-After", NULL}},
        .apply = apply,
};

/* quality.c — severity tiers of the quality metrics (see quality.h). */
#include "quality.h"

/* A metric where higher is worse, by its two boundaries; warn_at says
 * whether reaching the warning boundary already leaves "good". */
static enum q_tier tier(double v, double warn, double crit, int warn_at)
{
	if (v < 0)
		return Q_UNKNOWN;
	if (v > crit)
		return Q_CRITICAL;
	return (warn_at ? v >= warn : v > warn) ? Q_WARNING : Q_GOOD;
}

enum q_tier q_loss(double pct)
{
	return tier(pct, 1, 5, 0); /* good includes 1 % */
}

enum q_tier q_jitter(double ms)
{
	return tier(ms, 20, 40, 1); /* good is below 20 ms */
}

enum q_tier q_rtt(double ms)
{
	return tier(ms, 100, 200, 1);
}

enum q_tier q_mos(double mos)
{
	if (mos < 0)
		return Q_UNKNOWN;
	return mos >= 4.0 ? Q_GOOD : mos >= 3.5 ? Q_WARNING : Q_CRITICAL;
}

enum q_tier q_plc(double ms_per_s)
{
	if (ms_per_s < 0)
		return Q_UNKNOWN;
	return ms_per_s <= 50 ? Q_GOOD : ms_per_s <= 150 ? Q_WARNING : Q_CRITICAL;
}

const char *q_tier_name(enum q_tier t)
{
	switch (t) {
	case Q_GOOD:
		return "good";
	case Q_WARNING:
		return "warning";
	case Q_CRITICAL:
		return "critical";
	default:
		return "unknown";
	}
}

enum q_tier q_worst(enum q_tier a, enum q_tier b)
{
	return a > b ? a : b;
}

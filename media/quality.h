/* quality.h — the severity tiers of the call-quality metrics, as the
 * platform's vocabulary sets them (../shared/reference/vocabulary.md,
 * "Quality metrics and thresholds"): good, warning, critical for packet
 * loss, jitter, RTT and MOS. The worker reports each direction's tiers and
 * warns past "good"; the diagnosis reads the same words. */
#ifndef SIPLAB_QUALITY_H
#define SIPLAB_QUALITY_H

enum q_tier {
	Q_UNKNOWN = -1, /* not measured (no RTCP from the far end, no packets) */
	Q_GOOD,
	Q_WARNING,
	Q_CRITICAL,
};

/* Loss: good <= 1 %, warning to 5 %, critical above. */
enum q_tier q_loss(double pct);
/* Jitter: good < 20 ms, warning to 40 ms, critical above. */
enum q_tier q_jitter(double ms);
/* RTT: good < 100 ms, warning to 200 ms, critical above. */
enum q_tier q_rtt(double ms);
/* MOS: good >= 4.0, warning down to 3.5, critical below. */
enum q_tier q_mos(double mos);
/* PLC duration, the audio concealed per second of call (Opus only in the
 * vocabulary): good <= 50 ms/s, warning to 150 ms/s, critical above. */
enum q_tier q_plc(double ms_per_s);
/* A negative value is "not measured" for all five. */

/* "good", "warning", "critical", or "unknown". */
const char *q_tier_name(enum q_tier t);
/* The worse of two tiers (unknown counts as nothing). */
enum q_tier q_worst(enum q_tier a, enum q_tier b);

#endif

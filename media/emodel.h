/* emodel.h — MOS by the ITU-T G.107 E-model, and RFC 3550 interarrival
 * jitter, as the platform computes them per endpoint and direction
 * (../shared/reference/emodel.md).
 *
 * R = 93.2 - Idd - Ie,eff (every other term at its default). Delay uses the
 * G.107 Idd formula (not the Cole-Rosenbluth simplification). From measured
 * metrics, the one-way delay Ta is RTT/2 plus the jitter buffer's depth
 * (emodel_jbuf_depth_ms) plus one 20 ms packet; the packets that arrive later
 * than that depth allows are the receiver's to count as lost (media.h's
 * rx_stats.late), which the caller adds to the loss it passes. Codec values are G.113's;
 * Opus has none published, so this project uses Ie = 0 and Bpl = 30 (its
 * concealment is at least as good as G.711's with PLC) — our own choice. */
#ifndef SIPLAB_EMODEL_H
#define SIPLAB_EMODEL_H

#include <stdint.h>

struct codec_impairment {
	const char *name;
	double ie;  /* equipment impairment */
	double bpl; /* packet-loss robustness */
};

/* Values for the codecs of the codec table (codec.h), and for G729A and
 * "G711-noPLC" (for comparison); NULL if unknown. */
const struct codec_impairment *emodel_codec(const char *name);

/* Delay impairment for a mean one-way delay Ta in ms (0 up to 100 ms). */
double emodel_idd(double ta_ms);
/* Effective equipment impairment at ppl percent loss (burst_r 1 = random). */
double emodel_ie_eff(double ie, double bpl, double ppl, double burst_r);
/* R from the impairments, everything else at its default. */
double emodel_r(double idd, double ie_eff);
/* MOS (1 to 4.5) from R. */
double emodel_mos(double r);
/* The receiver's jitter buffer: it adapts to the RFC 3550 estimate J, at
 * 3 J, never below 60 ms. A delay spread whose mean difference is J (a
 * uniform spread of width 3 J has exactly that) fits in it, so steady
 * network jitter costs delay, not audio; what does not fit is delay that
 * comes in stalls longer than the estimate follows, e.g. a CPU-starved
 * process reading 100 ms of audio at once. The 60 ms floor is the depth
 * common softphones start with (three 20 ms frames); our own choice. */
double emodel_jbuf_depth_ms(double jitter_ms);
/* MOS for measured metrics; *r_out (if not NULL) gets R. */
double emodel_mos_metrics(const struct codec_impairment *c, double loss_pct, double jitter_ms,
                          double rtt_ms, double *r_out);

/* RFC 3550 6.4.1: J += (|D| - J) / 16, in timestamp units. */
struct jitter {
	double j;
	int64_t last_transit;
	int have;
};

/* One packet: its arrival time and RTP timestamp, both in timestamp units. */
void jitter_update(struct jitter *j, uint32_t arrival, uint32_t rtp_ts);
/* The estimate in milliseconds for a clock rate (8000 for G.711). */
double jitter_ms(const struct jitter *j, int clock_rate);

#endif

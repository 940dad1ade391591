/* emodel.c — E-model MOS and RFC 3550 jitter (see emodel.h). */
#include "emodel.h"

#include "codec.h"

#include <math.h>
#include <string.h>
#include <strings.h>

/* Codecs we never send, for comparison (the MOS tests): G.113's values. The
 * codecs we send have theirs in the codec table. */
static const struct codec_impairment reference[] = {
        {"G729A", 11, 19.0},    /* G.729A + VAD */
        {"G711-noPLC", 0, 4.3}, /* G.711 without concealment */
};

const struct codec_impairment *emodel_codec(const char *name)
{
	int c = codec_by_name(name);
	if (c >= 0)
		return &codec_info((enum media_codec)c)->emodel;
	for (size_t i = 0; i < sizeof(reference) / sizeof(*reference); i++)
		if (!strcasecmp(reference[i].name, name))
			return &reference[i];
	return NULL;
}

double emodel_idd(double ta)
{
	if (ta <= 100)
		return 0;
	double x = log2(ta / 100);
	return 25 * (pow(1 + pow(x, 6), 1.0 / 6) - 3 * pow(1 + pow(x / 3, 6), 1.0 / 6) + 2);
}

double emodel_ie_eff(double ie, double bpl, double ppl, double burst_r)
{
	if (ppl <= 0)
		return ie;
	return ie + (95 - ie) * ppl / (ppl / (burst_r > 0 ? burst_r : 1) + bpl);
}

double emodel_r(double idd, double ie_eff)
{
	return 93.2 - idd - ie_eff;
}

double emodel_mos(double r)
{
	if (r < 0)
		return 1;
	if (r > 100)
		return 4.5;
	return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

double emodel_jbuf_depth_ms(double jitter_ms)
{
	return 3 * jitter_ms > 60 ? 3 * jitter_ms : 60;
}

double emodel_mos_metrics(const struct codec_impairment *c, double loss_pct, double jitter_ms,
                          double rtt_ms, double *r_out)
{
	double ta = rtt_ms / 2 + emodel_jbuf_depth_ms(jitter_ms) + 20;
	double r = emodel_r(emodel_idd(ta), emodel_ie_eff(c->ie, c->bpl, loss_pct, 1));
	if (r_out)
		*r_out = r;
	return emodel_mos(r);
}

void jitter_update(struct jitter *j, uint32_t arrival, uint32_t rtp_ts)
{
	/* Transit times differ by a constant clock offset; only their changes
	 * matter, and the 32-bit wrap cancels in the difference. */
	int64_t transit = (int32_t)(arrival - rtp_ts);
	if (j->have) {
		int64_t d = transit - j->last_transit;
		j->j += ((double)(d < 0 ? -d : d) - j->j) / 16;
	}
	j->last_transit = transit;
	j->have = 1;
}

double jitter_ms(const struct jitter *j, int clock_rate)
{
	return clock_rate > 0 ? j->j * 1000.0 / clock_rate : 0;
}

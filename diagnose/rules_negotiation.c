/* rules_negotiation.c — calls refused for their SDP: no codec left in common,
 * or stripped by an SBC on the way (the guide's "Call Setup Failures >
 * NEGOTIATION_FAILED").
 * Each rule is one row of the table at the end, in the guide's order. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

struct neg_view {
	int failed, changed, intact, external;
	const struct dx_ep *caller, *callee, *outside;
};

static void neg_view(const struct dx_evidence *ev, struct neg_view *v)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!e->caller || strcmp(e->outcome, "NEGOTIATION_FAILED"))
			continue;
		v->failed++;
		const struct dx_ep *c = dx_far_end(ev, e);
		if (!c || !c->offer_seen) {
			v->external++;
			v->outside = v->outside ? v->outside : e;
			continue;
		}
		int same = !strcmp(c->offer_received, e->offer_sent);
		v->changed += !same;
		v->intact += same;
		if (!v->caller ||
		    (!same && !strcmp(v->caller->offer_sent, v->callee->offer_received))) {
			v->caller = e;
			v->callee = c;
		}
	}
}

static int m_sbc_stripping(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct neg_view v;
	neg_view(ev, &v);
	if (!v.changed)
		return 0;
	dx_say(f, "%d callers NEGOTIATION_FAILED (%d)", v.failed, v.caller->code);
	dx_say(f, "the offer as sent by %s: m=audio with [%s]; as received by %s: [%s]",
	       v.caller->user, v.caller->offer_sent, v.callee->user,
	       v.callee->offer_received[0] ? v.callee->offer_received : "no codec left");
	dx_say(f,
	       "on %d calls the offer changed on the way: an element on the path removed "
	       "codecs",
	       v.changed);
	return 95;
}

static int m_no_common_codec(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct neg_view v;
	neg_view(ev, &v);
	if (!v.intact || v.changed)
		return 0;
	dx_say(f,
	       "%d callers NEGOTIATION_FAILED; the offer arrived unchanged ([%s]) and the "
	       "callee has none of those codecs",
	       v.failed, v.caller->offer_sent);
	return 90;
}

static int m_codec_rejected(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct neg_view v;
	neg_view(ev, &v);
	if (!v.external || v.changed || v.intact)
		return 0;
	dx_say(f,
	       "%d callers NEGOTIATION_FAILED with %d from a callee outside the test; the "
	       "offer %s sent had [%s]",
	       v.external, v.outside->code, v.outside->user, v.outside->offer_sent);
	return 70;
}

const struct dx_rule dx_rules_negotiation[] = {
        {"neg.sbc_codec_stripping",
         "Call Setup Failures > NEGOTIATION_FAILED > SDP manipulation by intermediate proxies",
         "Offer a codec the SBC on the path keeps (and the callee has), or fix the SBC's codec "
         "policy.",
         m_sbc_stripping},
        {"neg.no_common_codec", "Call Setup Failures > NEGOTIATION_FAILED",
         "Configure the test to offer at least one codec the other side supports.",
         m_no_common_codec},
        {"call.codec_rejected", "Call Setup Failures > Step 1: 488 Not Acceptable",
         "Offer a codec the callee has.", m_codec_rejected},
        {NULL},
};

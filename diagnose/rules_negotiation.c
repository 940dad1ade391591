/* rules_negotiation.c — calls refused for their SDP: no codec left in common,
 * or stripped by an SBC on the way (the guide's "Call Setup Failures >
 * NEGOTIATION_FAILED").
 * Each rule is one row of the table at the end, in the guide's order. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

struct neg_view {
	int failed, changed, intact, external, reordered;
	int profile_clash; /* plain RTP offered to a callee that requires SRTP, or the reverse */
	const struct dx_ep *caller, *callee, *outside, *clash_caller, *clash_callee;
};

/* The callee's group requires SRTP and the offer is plain RTP/AVP, or the
 * reverse: the profile decides before any codec is looked at. */
static int profile_clash(const struct dx_ep *caller, const struct dx_ep *callee)
{
	int secure = callee->offer_received_secure;
	if (secure < 0 || !*callee->srtp_cfg)
		return 0;
	return secure != (strcmp(callee->srtp_cfg, "none") != 0);
}

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
		/* Compared as sets: an element that only reorders the codecs, or
		 * adds telephone-event, strips nothing. */
		int same = dx_same_codecs(c->offer_received, e->offer_sent);
		v->changed += !same;
		v->intact += same;
		v->reordered += same && strcmp(c->offer_received, e->offer_sent);
		if (profile_clash(e, c) && !v->profile_clash++) {
			v->clash_caller = e;
			v->clash_callee = c;
		}
		if (!v->caller ||
		    (!same && dx_same_codecs(v->caller->offer_sent, v->callee->offer_received))) {
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
	char at[64];
	dx_say_at(f, dx_at_msg(v.caller, v.caller->invite_sent_at, at, sizeof(at)),
	          "the offer as sent by %s: m=audio with [%s]", v.caller->user,
	          v.caller->offer_sent);
	dx_say_at(f, dx_at_msg(v.callee, v.callee->invite_recv_at, at, sizeof(at)),
	          "as received by %s: [%s]: codecs are missing from the set (compared as sets, "
	          "not as strings)",
	          v.callee->user,
	          v.callee->offer_received[0] ? v.callee->offer_received : "no codec left");
	dx_say(f,
	       "on %d calls the offer changed on the way: an element on the path removed "
	       "codecs",
	       v.changed);
	return 95;
}

static int m_srtp_mismatch(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct neg_view v;
	neg_view(ev, &v);
	if (!v.profile_clash || v.changed)
		return 0;
	const struct dx_ep *c = v.clash_caller, *r = v.clash_callee;
	int meet = !*r->codecs_cfg || dx_codecs_meet(r->offer_received, r->codecs_cfg);
	char at[64];
	dx_say(f, "%d callers NEGOTIATION_FAILED (%d); on %d calls the media profile clashed",
	       v.failed, c->code, v.profile_clash);
	dx_say_at(f, dx_at_msg(r, r->invite_recv_at, at, sizeof(at)),
	          "%s received m=audio %s [%s]; its group \"%s\" is configured for %s", r->user,
	          r->offer_received_secure ? "RTP/SAVP (SRTP)" : "RTP/AVP (plain RTP)",
	          r->offer_received, r->group,
	          strcmp(r->srtp_cfg, "none") ? "SRTP only (SDES keys)" : "plain RTP only");
	if (*r->codecs_cfg)
		dx_say(f, "the codecs were not the problem: the offer and %s's group [%s] %s",
		       r->user, r->codecs_cfg, meet ? "share a codec" : "share none either");
	dx_say_at(f, dx_at_field(r, "failure", at, sizeof(at)),
	          "%s refused the offer (488) for its profile, not for its codecs", r->user);
	return meet ? 92 : 80;
}

static int m_no_common_codec(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct neg_view v;
	neg_view(ev, &v);
	if (!v.intact || v.changed)
		return 0;
	/* When the callee's codecs are known and meet the offer, the codecs
	 * are not what failed. */
	if (v.callee && *v.callee->codecs_cfg &&
	    dx_codecs_meet(v.callee->offer_received, v.callee->codecs_cfg))
		return 0;
	char at[64];
	dx_say_at(f, dx_at_msg(v.callee, v.callee->invite_recv_at, at, sizeof(at)),
	          "%d callers NEGOTIATION_FAILED; the offer arrived with the same codecs ([%s]) "
	          "and the callee has none of those codecs%s%s%s",
	          v.failed, v.caller->offer_sent, *v.callee->codecs_cfg ? " (it has [" : "",
	          v.callee->codecs_cfg, *v.callee->codecs_cfg ? "])" : "");
	if (v.reordered)
		dx_say(f,
		       "on %d calls an element on the path reordered the codecs (or added "
		       "telephone-event) without removing any: that is not stripping",
		       v.reordered);
	if (v.profile_clash)
		dx_say(f, "the media profiles clashed too (neg.srtp_mismatch)");
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
        {"neg.srtp_mismatch",
         "Call Setup Failures > NEGOTIATION_FAILED > media parameters (SRTP profile)",
         "Make both sides agree on media security: SRTP (SDES) on both groups, or plain RTP "
         "on both.",
         m_srtp_mismatch},
        {"neg.no_common_codec", "Call Setup Failures > NEGOTIATION_FAILED",
         "Configure the test to offer at least one codec the other side supports.",
         m_no_common_codec},
        {"call.codec_rejected", "Call Setup Failures > Step 1: 488 Not Acceptable",
         "Offer a codec the callee has.", m_codec_rejected},
        {NULL},
};

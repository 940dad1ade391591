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

/* --- after negotiation: the media rows (media.payload_mismatch,
 * media.reinvite_codec_change), listed at the end of rules_media.c's table
 * (the guide's "Media Failures > Codec Mismatch Post-Negotiation"); they
 * read what the offer/answer settled against what the media then did. ---- */

/* Packets arrived, and enough of them with a type the SDP never gave the
 * codec to matter: a few stragglers around a re-INVITE are not this. */
static int pt_unexpected(const struct dx_ep *e)
{
	return e->media && e->pt_unexpected >= 5;
}

int dx_m_payload_mismatch(const struct dx_evidence *ev, struct dx_finding *f)
{
	int calls = 0, hit = 0, deaf = 0;
	double packets = 0;
	const struct dx_ep *ex = NULL;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		calls += e->media;
		if (!pt_unexpected(e))
			continue;
		hit++;
		deaf += e->rx == 0;
		packets += e->pt_unexpected;
		if (!ex || (e->caller && !ex->caller))
			ex = e;
	}
	if (!hit)
		return 0;
	struct dx_scope sc;
	dx_scope_of(ev, pt_unexpected, &sc);
	dx_say_scope(f, &sc, "RTP with a payload type not negotiated");
	char at[64];
	dx_say(f,
	       "%d of %d calls were up and RTP arrived, but with a payload type their own SDP "
	       "never gave the codec (%.0f packets in all); %d of them heard no audio at all",
	       hit, calls, packets, deaf);
	dx_say_at(f, dx_at_field(ex, "media", at, sizeof(at)),
	          "%s negotiated %s at payload type %d and received %.0f packets with payload "
	          "type %d, %.0f with %d: a receiver cannot decode a type its SDP did not "
	          "give",
	          ex->user, *ex->codec ? ex->codec : "?", ex->pt_expected, ex->pt_unexpected,
	          ex->pt_seen, ex->rx, ex->pt_expected);
	if (ex->caller && ex->invite_sent_at >= 0)
		dx_say_at(f, dx_at_msg(ex, ex->invite_sent_at, at, sizeof(at)),
		          "its offer as sent (m=audio [%s]) is where it gave %s its type",
		          ex->offer_sent, *ex->codec ? ex->codec : "the codec");
	const struct dx_ep *far = dx_far_end(ev, ex);
	if (far && far->offer_seen && ex->caller)
		dx_say_at(f, dx_at_msg(far, far->invite_recv_at, at, sizeof(at)),
		          "%s received that offer with %s at payload type %d and sent %.0f "
		          "packets: the SDP was renumbered on the way (%d as sent, %d as "
		          "received) and the RTP was not",
		          far->user, *ex->codec ? ex->codec : "the codec", far->pt_expected,
		          far->tx, ex->pt_expected, far->pt_expected);
	dx_say(f, "the packets were not lost on the way (no firewall or NAT): they were "
	          "refused as audio by the receiver");
	return dx_share(hit, calls) >= 0.3 ? 95 : 75;
}

static int codec_changed(const struct dx_ep *e)
{
	return e->media && (e->codec_changes > 0 || e->reoffer_at >= 0);
}

int dx_m_reinvite_codec_change(const struct dx_evidence *ev, struct dx_finding *f)
{
	int calls = 0, hit = 0, changed = 0, foreign = 0, broke = 0, refused = 0;
	const struct dx_ep *ex = NULL;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		calls += e->media;
		if (!codec_changed(e))
			continue;
		hit++;
		changed += e->codec_changes > 0;
		refused += e->reoffer_at >= 0 && e->reanswer_at < 0;
		int off = e->codec_changes && *e->codecs_cfg &&
		          !dx_codecs_meet(e->codec, e->codecs_cfg);
		int mute = e->codec_changes && e->rx_since_change == 0;
		foreign += off;
		broke += mute;
		if (!ex || (off || mute) > (ex->codec_changes && ex->rx_since_change == 0))
			ex = e;
	}
	if (!hit)
		return 0;
	struct dx_scope sc;
	dx_scope_of(ev, codec_changed, &sc);
	dx_say_scope(f, &sc, "a later offer/answer in the call");
	char at[64];
	dx_say(f, "%d of %d calls had a later offer/answer once up; on %d the codec changed", hit,
	       calls, changed);
	if (ex->reoffer_at >= 0)
		dx_say_at(f, dx_at_msg(ex, ex->reoffer_at, at, sizeof(at)),
		          "%s received a re-INVITE in its call offering [%s]", ex->user,
		          *ex->reoffer ? ex->reoffer : "no SDP");
	if (ex->reanswer_at >= 0)
		dx_say_at(f, dx_at_msg(ex, ex->reanswer_at, at, sizeof(at)),
		          "and answered it with [%s]", ex->reanswer);
	else if (ex->reoffer_at >= 0)
		dx_say(f, "and refused it: the call went on with its codec (%d calls so)", refused);
	if (ex->codec_changes)
		dx_say_at(f, dx_at_field(ex, "media", at, sizeof(at)),
		          "its media started with %s and ended with %s; %.0f audio packets were "
		          "received after the change; its group \"%s\" has [%s]",
		          ex->codec_first, ex->codec, ex->rx_since_change, ex->group,
		          ex->codecs_cfg);
	if (foreign || broke) {
		dx_say(f,
		       "that is a failure here: on %d calls the new codec is not in the group's "
		       "list, on %d the audio stopped after the change",
		       foreign, broke);
		return 90;
	}
	dx_say(f, "a codec change by a later offer/answer is not itself a failure: the new "
	          "codec is in the group's list and the audio went on");
	return 80;
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

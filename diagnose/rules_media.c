/* rules_media.c — calls that were up with audio missing: conntrack expiry
 * during silence, NAT, firewalls (the guide's "RTP Media Blocked", "One-Way
 * Audio", "NAT Traversal Failures").
 * Each rule is one row of the table at the end, in the guide's order. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose.h"

/* The rows after negotiation, in rules_negotiation.c with the offer/answer
 * they read. */
int dx_m_payload_mismatch(const struct dx_evidence *ev, struct dx_finding *f);
int dx_m_reinvite_codec_change(const struct dx_evidence *ev, struct dx_finding *f);

/* Inbound audio that stopped after a pause and never came back, while the
 * far end sent again after its own pause. */
static int m_conntrack(const struct dx_evidence *ev, struct dx_finding *f)
{
	int paused = 0, stopped = 0;
	const struct dx_ep *ex = NULL, *far = NULL;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		paused += e->before_pause >= 0;
		if (dx_lost_after_pause(ev, e)) {
			stopped++;
			if (!ex) {
				ex = e;
				far = dx_far_end(ev, e);
			}
		}
	}
	if (!stopped)
		return 0;
	dx_say(f,
	       "on %d of %d endpoints whose calls paused (silence suppression), inbound audio "
	       "stopped at the pause and never came back, while the calls stayed up",
	       stopped, paused);
	dx_say(f,
	       "%s received %.0f packets before its pause and none after; its far end %s sent "
	       "%.0f packets after its own pause ended: they were lost on the way in",
	       ex->user, ex->before_pause, far->user, far->sent_after_pause);
	dx_say(f, "a stateful firewall forgets a UDP flow idle for longer than its timeout; "
	          "packets arriving after that are new inbound traffic, and are dropped");
	return dx_share(stopped, paused) >= 0.3 ? 90 : 70;
}

/* RFC 1918 and the lab's private ranges. */
static int private_addr(const char *a)
{
	struct in_addr x;
	if (inet_pton(AF_INET, a, &x) != 1)
		return 0;
	uint32_t h = ntohl(x.s_addr);
	return (h >> 24) == 10 || (h >> 20) == 0xac1 || (h >> 16) == 0xc0a8;
}

/* NAT facts taken over the one-way calls themselves, endpoint by endpoint:
 * a NATed worker elsewhere in the test says nothing about these. */
struct nat_view {
	int calls, one_way, none, behind_nat, port_changed, stream_nat, not_nat;
	const struct dx_ep *ex, *nat_ex, *plain_ex;
};

/* Over TCP and TLS the source port is the connection's, never the Via's:
 * a changed port means something only over UDP. */
static int over_udp(const struct dx_ep *e)
{
	return !*e->reg_transport || !strcmp(e->reg_transport, "udp");
}

/* Its REGISTER came from another address than its Via says. */
static int shows_nat(const struct dx_ep *e)
{
	return e->via_host[0] && e->received[0] && strcmp(e->via_host, e->received);
}

static int one_way(const struct dx_ep *e)
{
	return e->media && e->rx == 0 && e->tx > 0;
}

static int one_way_nat(const struct dx_ep *e)
{
	return one_way(e) && shows_nat(e);
}

static int one_way_open(const struct dx_ep *e)
{
	return one_way(e) && !shows_nat(e);
}

/* When one-way calls are both behind NAT and not, each cause's scope is
 * where its own kind is (the first evidence line), not every one-way call. */
static void say_own_scope(const struct dx_evidence *ev, struct dx_finding *f, dx_symptom has,
                          const char *what)
{
	struct dx_scope sc;
	dx_scope_of(ev, has, &sc);
	dx_say_scope(f, &sc, what);
}

static void nat_view(const struct dx_evidence *ev, struct nat_view *v)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!e->media)
			continue;
		v->calls++;
		v->none += e->rx == 0 && e->tx == 0;
		/* Packets that arrived with a type never negotiated were not
		 * lost on the way (media.payload_mismatch). */
		if (e->rx != 0 || e->tx <= 0 || e->pt_unexpected > 0)
			continue;
		v->one_way++;
		if (!v->ex || (e->caller && !v->ex->caller))
			v->ex = e;
		if (!shows_nat(e)) {
			v->not_nat++;
			v->plain_ex = v->plain_ex ? v->plain_ex : e;
			continue;
		}
		v->behind_nat++;
		if (!v->nat_ex || (e->caller && !v->nat_ex->caller))
			v->nat_ex = e;
		if (!over_udp(e))
			v->stream_nat++;
		else
			v->port_changed += e->rport && e->rport != e->via_port;
	}
	if (v->nat_ex && v->behind_nat >= v->not_nat)
		v->ex = v->nat_ex;
	else if (v->plain_ex)
		v->ex = v->plain_ex;
}

static void nat_evidence(const struct dx_evidence *ev, struct dx_finding *f,
                         const struct nat_view *v)
{
	char at[64];
	if (v->not_nat)
		say_own_scope(ev, f, one_way_nat, "audio missing while sending, behind NAT");
	dx_say_at(f, dx_at_field(v->ex, "media", at, sizeof(at)),
	          "%d of %d calls were answered and up, and received no audio while sending "
	          "(%s sent %.0f packets, received 0)",
	          v->one_way, v->calls, v->ex->user, v->ex->tx);
	dx_say_at(f, dx_at_msg(v->ex, v->ex->via_at, at, sizeof(at)),
	          "%s's REGISTER (%s) left from %s:%d; the registrar saw it come from %s, port %d: "
	          "the worker is behind NAT (%d of the %d one-way endpoints show it)",
	          v->ex->user, *v->ex->reg_transport ? v->ex->reg_transport : "?", v->ex->via_host,
	          v->ex->via_port, v->ex->received[0] ? v->ex->received : "?", v->ex->rport,
	          v->behind_nat, v->one_way);
	if (v->ex->sdp_addr[0])
		dx_say(f, "its SDP offered c=%s%s", v->ex->sdp_addr,
		       private_addr(v->ex->sdp_addr)
		               ? ", a private address the far end cannot send to"
		               : "");
}

static int m_symmetric_nat(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct nat_view v;
	nat_view(ev, &v);
	if (!v.ex || dx_share(v.one_way, v.calls) < 0.3 ||
	    dx_share(v.behind_nat, v.one_way) < 0.5 || !v.port_changed)
		return 0;
	nat_evidence(ev, f, &v);
	dx_say(f,
	       "over UDP the NAT also changed the source port on %d of those %d endpoints: a new "
	       "port per flow, so no address learnt for one peer holds for another (symmetric "
	       "NAT)",
	       v.port_changed, v.behind_nat - v.stream_nat);
	return 90;
}

static int m_nat_private_sdp(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct nat_view v;
	nat_view(ev, &v);
	if (!v.ex || dx_share(v.one_way, v.calls) < 0.3 ||
	    dx_share(v.behind_nat, v.one_way) < 0.5 || v.port_changed)
		return 0;
	nat_evidence(ev, f, &v);
	if (v.stream_nat)
		dx_say(f,
		       "%d of them registered over TCP/TLS, where the source port is the "
		       "connection's and always differs from the Via's: not a sign of symmetric "
		       "NAT",
		       v.stream_nat);
	return 85;
}

static int m_firewall_inbound(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct nat_view v;
	nat_view(ev, &v);
	if (!v.ex || dx_share(v.one_way, v.calls) < 0.3 || !v.plain_ex ||
	    dx_share(v.not_nat, v.one_way) < 0.5)
		return 0;
	char at[64];
	if (v.behind_nat)
		say_own_scope(ev, f, one_way_open, "audio missing while sending, no NAT");
	dx_say_at(f, dx_at_field(v.plain_ex, "media", at, sizeof(at)),
	          "%d of %d calls received no audio while sending (%s sent %.0f packets, received "
	          "0), and %d of those one-way endpoints show no sign of NAT",
	          v.one_way, v.calls, v.plain_ex->user, v.plain_ex->tx, v.not_nat);
	dx_say_at(f, dx_at_msg(v.plain_ex, v.plain_ex->via_at, at, sizeof(at)),
	          "%s's REGISTER left from %s and the registrar saw it from the same address: "
	          "its media was sent out, and what came back was dropped on the way in",
	          v.plain_ex->user, v.plain_ex->via_host[0] ? v.plain_ex->via_host : "?");
	return v.behind_nat ? 70 : 80;
}

/* One-way calls through a media relay: both ends of every call sent their
 * audio to one address that is neither's own (the SDP's c= was the relay's),
 * and the silent side is always the same one (every one-way end a callee, or
 * every one a caller) while its far end heard it fine — the relay forwards
 * one direction only. A firewall or a NAT on a worker's host would leave
 * calls' media addressed to the far end itself. */
static int m_relay_broken(const struct dx_evidence *ev, struct dx_finding *f)
{
	char relay[64];
	if (!dx_media_relay(ev, relay, sizeof(relay)))
		return 0;
	int calls = 0, oneway = 0, callers = 0, heard = 0;
	const struct dx_ep *ex = NULL;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!e->media)
			continue;
		calls++;
		if (!one_way(e))
			continue;
		oneway++;
		callers += e->caller;
		const struct dx_ep *far = dx_far_end(ev, e);
		heard += far && far->rx > 0;
		ex = ex ? ex : e;
	}
	if (!ex || dx_share(oneway, calls) < 0.3 || (callers && callers != oneway))
		return 0;
	char at[64];
	dx_say(f,
	       "scope: %d of %d ends with a call heard nothing while sending: every one of them "
	       "a %s",
	       oneway, calls, callers ? "caller" : "callee");
	dx_say_at(f, dx_at_field(ex, "media", at, sizeof(at)),
	          "%s sent %.0f packets and received 0; %d of the %d one-way ends' far ends "
	          "received their audio: the media flowed %s only",
	          ex->user, ex->tx, heard, oneway,
	          callers ? "caller to callee" : "callee to caller");
	dx_say(f,
	       "both ends of every call sent their audio to %s, neither end's own address: the "
	       "SDP's c= was a media relay's (an SBC), and it forwarded only what the %s sent",
	       relay, callers ? "callers" : "callees");
	return 90;
}

/* --- media.rtp_blocked: no audio either way -------------------------------------- */

/* Calls up whose audio was lost both ways: the endpoint received nothing
 * while sending, and so did its far end, in the test too. One-way audio
 * (NAT, an inbound firewall) leaves one direction working; only with both
 * ends' counters in the report can "neither way" be told from it. */
struct dead_view {
	int calls, dead, nat; /* calls with both ends in the test; dead both ways; behind NAT */
	const struct dx_ep *ex, *far;
};

/* Nothing arrived: packets of an unexpected payload type did arrive (a
 * payload mismatch, not a blocked path). */
static int dead_one_end(const struct dx_ep *e)
{
	return e->media && e->rx == 0 && e->tx > 0 && e->pt_unexpected <= 0;
}

static void dead_view(const struct dx_evidence *ev, struct dead_view *v)
{
	memset(v, 0, sizeof(*v));
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i], *far = dx_far_end(ev, e);
		if (!e->caller || !e->media || !far || !far->media)
			continue;
		v->calls++;
		if (!dead_one_end(e) || !dead_one_end(far))
			continue;
		v->dead++;
		/* A NAT on either end explains it otherwise (symmetric NAT on both). */
		if (shows_nat(e) || shows_nat(far)) {
			v->nat++;
			continue;
		}
		if (!v->ex)
			v->ex = e, v->far = far;
	}
}

static int m_rtp_blocked(const struct dx_evidence *ev, struct dx_finding *f)
{
	struct dead_view v;
	dead_view(ev, &v);
	if (!v.ex || dx_share(v.dead, v.calls) < 0.3 || dx_share(v.nat, v.dead) >= 0.5)
		return 0;
	char at[64];
	dx_say_at(f, dx_at_field(v.ex, "media", at, sizeof(at)),
	          "%d of %d calls with both ends in the test were up and received no audio in "
	          "either direction: %s sent %.0f packets and received 0",
	          v.dead, v.calls, v.ex->user, v.ex->tx);
	dx_say_at(f, dx_at_field(v.far, "media", at, sizeof(at)),
	          "its far end %s sent %.0f packets and received 0 as well: not one-way audio",
	          v.far->user, v.far->tx);
	dx_say_at(f, dx_at_msg(v.ex, v.ex->via_at, at, sizeof(at)),
	          "%s's REGISTER left from %s and the registrar saw it from the same address, as "
	          "for %d of the %d: no NAT in the way; SIP passed, the media ports did not",
	          v.ex->user, v.ex->via_host[0] ? v.ex->via_host : "?", v.dead - v.nat, v.dead);
	return 90;
}

/* --- media.sdp_ip_mismatch: the offer's address changed on the way --------------------- */

/* A caller that heard nothing while its far end (in the test) received its
 * offer with another c= than it sent — and not the address the registrar
 * saw it come from, which is what a proxy's NAT fix would write. */
static int c_rewritten_wrong(const struct dx_evidence *ev, const struct dx_ep *e,
                             const struct dx_ep **far)
{
	*far = e->caller && one_way(e) && e->sdp_addr[0] ? dx_far_end(ev, e) : NULL;
	if (!*far || !(*far)->sdp_addr_received[0])
		return 0;
	const char *got = (*far)->sdp_addr_received;
	return strcmp(got, e->sdp_addr) && strcmp(got, e->received[0] ? e->received : e->via_host);
}

static int m_sdp_ip_mismatch(const struct dx_evidence *ev, struct dx_finding *f)
{
	int one = 0, wrong = 0;
	const struct dx_ep *ex = NULL, *far = NULL, *x;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!e->caller || !one_way(e))
			continue;
		one++;
		if (c_rewritten_wrong(ev, e, &x)) {
			wrong++;
			if (!ex)
				ex = e, far = x;
		}
	}
	if (!ex || dx_share(wrong, one) < 0.5)
		return 0;
	char at[64];
	dx_say_at(f, dx_at_msg(ex, ex->invite_sent_at, at, sizeof(at)),
	          "%s's INVITE left with its audio at c=%s", ex->user, ex->sdp_addr);
	dx_say_at(f, dx_at_msg(far, far->invite_recv_at, at, sizeof(at)),
	          "%s received that offer with c=%s: something on the path rewrote the address "
	          "(and not to %s, where the registrar saw %s)",
	          far->user, far->sdp_addr_received, ex->received[0] ? ex->received : ex->via_host,
	          ex->user);
	dx_say_at(f, dx_at_field(ex, "media", at, sizeof(at)),
	          "%d of %d callers with no audio coming in had their offer's c= changed on the "
	          "way (%s sent %.0f packets and received 0; %s received %.0f): the far end sent "
	          "its audio to the rewritten address",
	          wrong, one, ex->user, ex->tx, far->user, far->rx);
	return 92;
}

/* --- media.asymmetric_nat: translated out, not back --------------------------------- */

/* A caller behind a NAT that keeps ports (over UDP), one-way, whose far end
 * (in the test) got the offer with the NAT's public address — the address
 * the registrar saw — and heard the caller: the SDP pointed at the right
 * place and the outbound direction was translated, yet nothing came back
 * through the NAT. */
static int asym_nat(const struct dx_evidence *ev, const struct dx_ep *e, const struct dx_ep **far)
{
	*far = e->caller && one_way(e) && shows_nat(e) ? dx_far_end(ev, e) : NULL;
	if (!*far || !over_udp(e) || (e->rport && e->rport != e->via_port))
		return 0;
	return !strcmp((*far)->sdp_addr_received, e->received) && (*far)->rx > 0;
}

static int m_asymmetric_nat(const struct dx_evidence *ev, struct dx_finding *f)
{
	int nat_one_way = 0, asym = 0;
	const struct dx_ep *ex = NULL, *far = NULL, *x;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!e->caller || !one_way(e) || !shows_nat(e))
			continue;
		nat_one_way++;
		if (asym_nat(ev, e, &x)) {
			asym++;
			if (!ex)
				ex = e, far = x;
		}
	}
	if (!ex || dx_share(asym, nat_one_way) < 0.5)
		return 0;
	char at[64];
	dx_say_at(f, dx_at_msg(ex, ex->via_at, at, sizeof(at)),
	          "%s's REGISTER (udp) left from %s:%d; the registrar saw it from %s, port %d: "
	          "behind a NAT that keeps ports (%d of %d one-way callers behind NAT)",
	          ex->user, ex->via_host, ex->via_port, ex->received, ex->rport, asym, nat_one_way);
	dx_say_at(f, dx_at_msg(far, far->invite_recv_at, at, sizeof(at)),
	          "%s received %s's offer with c=%s, the NAT's public address: the SDP sent the "
	          "far end to the right place (its own c= was %s)",
	          far->user, ex->user, far->sdp_addr_received, ex->sdp_addr);
	dx_say_at(
	        f, dx_at_field(ex, "media", at, sizeof(at)),
	        "%s received %.0f of %s's packets through the NAT, and %s received 0 of what came "
	        "back: one direction translated, the other not",
	        far->user, far->rx, ex->user, ex->user);
	return 93;
}

const struct dx_rule dx_rules_media[] = {
        {"media.conntrack_expiry", "Firewall and NAT Troubleshooting > Conntrack timeouts",
         "Set the firewall's UDP conntrack timeout to at least 120 s (or keep media flowing "
         "with keepalives during silence).",
         m_conntrack},
        {"media.symmetric_nat", "RTP Media Blocked > Symmetric NAT",
         "Relay the media through something that latches onto the real source (the SBC's "
         "media relay, or TURN): STUN cannot fix a symmetric NAT.",
         m_symmetric_nat},
        {"media.nat_private_sdp", "NAT Traversal Failures",
         "Put the public address in the SDP (STUN), or let the registrar/SBC rewrite it.",
         m_nat_private_sdp},
        {"media.firewall_inbound", "One-Way Audio/Video > Firewall rules",
         "Allow UDP media in both directions.", m_firewall_inbound},
        {"media.relay_broken", "One-Way Audio/Video > Media relay",
         "Fix the media relay (SBC): it must forward both directions of every call it "
         "anchors.",
         m_relay_broken},
        {"media.payload_mismatch",
         "Media Failures > Codec Mismatch Post-Negotiation > RTP payload type",
         "Fix the sender (or the SBC that renumbered the payload type without translating "
         "the RTP): send each codec with the payload type the receiver's SDP gave it.",
         dx_m_payload_mismatch},
        {"media.reinvite_codec_change",
         "Media Failures > Codec Mismatch Post-Negotiation > re-INVITE",
         "Nothing to fix when the new codec is in the group's list and audio went on; "
         "otherwise offer that codec, or stop the far end's mid-call re-offer.",
         dx_m_reinvite_codec_change},
        {"media.rtp_blocked", "Media Failures > No RTP Traffic > Firewall blocking UDP",
         "Open the RTP port range (UDP, both directions) between the worker and the remote "
         "media endpoint on every firewall in the path.",
         m_rtp_blocked},
        {"media.sdp_ip_mismatch", "Media Failures > No RTP Traffic > SDP IP mismatch",
         "Fix the proxy (SBC/B2BUA) that rewrites the SDP: its c= must be an address where "
         "the endpoint receives media (its own, the NAT's public one, or a relay's).",
         m_sdp_ip_mismatch},
        {"media.asymmetric_nat", "One-Way Audio/Video > Asymmetric NAT",
         "Fix the NAT so that it maps the replies to translated media back to the worker "
         "(a stateful mapping both ways), or relay the media from outside it.",
         m_asymmetric_nat},
        {NULL},
};

/* sbc.h — the registrar's SBC mode on the call path: rewrite the SDP of
 * offers and answers (strip codecs, rewrite the connection address) and relay
 * media through the registrar host with latching — the relay learns each
 * side's real address from its first RTP packet, which is how SBCs get media
 * through NATs that the SDP knows nothing about. */
#ifndef SIPLAB_SBC_H
#define SIPLAB_SBC_H

#include "../lib/limits.h"
#include "../media/impair.h"

#include <stddef.h>

struct sbc_config {
	int enabled;
	char strip[SBC_MAX_STRIP][16]; /* codec names removed from offers */
	int n_strip;
	char rewrite_address[64]; /* c= address to write into offers, or "" */
	int relay;                /* relay media (and latch) */
	int reorder;              /* offers' codecs in reverse order (nothing removed) */
	char relay_address[64];   /* where the relay listens: the registrar's address */
	/* What the relay does to the media it forwards, per direction: [0]
	 * caller to callee, [1] callee to caller (the quality.* faults). */
	struct impair_params impair[2];
	/* A broken relay (media.relay_broken): 0 forwards both ways; 1 drops
	 * what the caller sends, 2 what the callee sends. */
	int relay_drop;
	/* Renumber one dynamic payload type: the codec named gets renumber_pt in
	 * the offers forwarded, and its own type back in the answers, while the
	 * RTP (never seen by the SBC without the relay) keeps the old one.
	 * "" / 0: off. */
	char renumber_codec[16];
	int renumber_pt;
};

/* Rewrite an SDP body (read with media/sdp.h, of any size): drop the payload
 * types of stripped codecs (from the m= line and their a=rtpmap/a=fmtp lines)
 * when strip is set, and set the IPv4 c= addresses and the m=audio port when
 * addr/port are given. Returns a malloc'd body, or NULL when the SDP cannot
 * be read or has no audio stream (it is then forwarded as it came). */
char *sbc_rewrite_sdp(const char *sdp, size_t len, const struct sbc_config *c, int offer,
                      const char *addr, int port);

/* The audio address (IPv4) and port an SDP body announces; -1 when none. */
int sbc_sdp_media(const char *sdp, size_t len, char *addr, size_t cap, int *port);

struct su_root_s;
struct sbc_relay;

/* A media relay for one call: two UDP ports on addr, one facing the caller
 * (a) and one facing the callee (b). Packets from one side go to the other
 * side's address: first the one its SDP announced, then — latching — the
 * source of the first packet actually received from it. */
struct sbc_relay *sbc_relay_create(struct su_root_s *root, const char *addr);
int sbc_relay_port(const struct sbc_relay *r, int side);
void sbc_relay_set_peer(struct sbc_relay *r, int side, const char *addr, int port);
void sbc_relay_stats(const struct sbc_relay *r, unsigned long fwd[2], int latched[2]);
/* Impair what the relay forwards from side i by c->impair[i] (and drop it
 * all when c->relay_drop names side i), the draws seeded by seed. Held
 * packets wait on a timer of root's; more than RELAY_MAX_HELD at once are
 * dropped and counted. */
void sbc_relay_impair(struct sbc_relay *r, const struct sbc_config *c, uint64_t seed);
/* What the impairment did per side: packets it dropped as lost, and those
 * dropped because the hold queue was full. */
void sbc_relay_impaired(const struct sbc_relay *r, unsigned long lost[2], unsigned long full[2]);
void sbc_relay_destroy(struct sbc_relay *r);

#endif

/* codec.h — THE table of audio codecs: every list of codecs in siplab (the
 * scenario's choices, the SBC's strip list, the fault's parameter, the SDP an
 * endpoint writes and reads, the diagnosis's names for static payload types)
 * comes from here. One row per codec: the name the platform's vocabulary and
 * a=rtpmap use, the payload type we offer it with, its RTP clock rate and
 * channels as rtpmap writes them. Shared by scenarios, workers, the callee
 * pool and the diagnosis, so it sits in media/. */
#ifndef SIPLAB_CODEC_H
#define SIPLAB_CODEC_H

#include "emodel.h"

/* X(enum suffix, name, payload type, static, clock rate, channels, E-model
 * Ie, E-model Bpl). A static payload type (RFC 3551) is known without an
 * a=rtpmap line; a dynamic one is ours to choose in an offer, and the
 * offerer's to choose in an answer. Ie and Bpl are G.113's (emodel.h);
 * G.722 is treated like G.711 in the narrowband model, and Opus has no
 * published value: 0 and 30 are this project's choice. */
#define CODEC_TABLE(X)                                                                  \
	X(PCMU, "PCMU", 0, 1, 8000, 1, 0, 25.1)                                         \
	X(PCMA, "PCMA", 8, 1, 8000, 1, 0, 25.1)                                         \
	X(G722, "G722", 9, 1, 8000, 1, 0, 25.1) /* RTP clock 8000, samples at 16 kHz */ \
	X(OPUS, "opus", 111, 0, 48000, 2, 0, 30.0)

#define CODEC_ENUM(ID, NM, PT, ST, RATE, CH, IE, BPL) CODEC_##ID,
enum media_codec { CODEC_TABLE(CODEC_ENUM) CODEC_COUNT };
#undef CODEC_ENUM

struct codec_info {
	enum media_codec id;
	const char *name;
	int pt;                         /* the payload type we offer */
	int static_pt;                  /* 1: the type means this codec with or without a=rtpmap */
	int rate;                       /* RTP clock rate, as a=rtpmap writes it */
	int channels;                   /* as a=rtpmap writes it (written only when not 1) */
	struct codec_impairment emodel; /* for the MOS of a call with it */
};

/* How the media is keyed: plain RTP, or SRTP with SDES keys in the SDP. */
enum media_keying { KEYING_NONE, KEYING_SDES };

/* The row of codec c, NULL when out of range. */
const struct codec_info *codec_info(enum media_codec c);
/* The codec's name ("?" when out of range). */
const char *codec_name(enum media_codec c);
/* The codec named `name` (any case), or -1. */
int codec_by_name(const char *name);
/* The codec with the first n characters of `name` (any case), or -1. */
int codec_by_name_n(const char *name, unsigned long n);
/* The codec a payload type means with no a=rtpmap (a static type), or -1. */
int codec_by_static_pt(int pt);
/* Every name in a list such as "opus,PCMU" is a codec of the table: 1, else 0. */
int codec_list_valid(const char *list);

/* Every codec name, NULL-terminated, in enum order (for choices and --help). */
extern const char *const codec_names[];

#endif

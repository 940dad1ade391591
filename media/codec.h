/* codec.h — the audio codecs and media security an endpoint can offer, by the
 * names the platform's vocabulary uses (PCMU, PCMA, G722, opus). Shared by
 * scenarios, workers and the callee pool, so it sits in media/. */
#ifndef SIPLAB_CODEC_H
#define SIPLAB_CODEC_H

enum media_codec { CODEC_PCMU, CODEC_PCMA, CODEC_G722, CODEC_OPUS };
#define CODEC_COUNT 4

/* How the media is keyed: plain RTP, or SRTP with SDES keys in the SDP. */
enum media_keying { KEYING_NONE, KEYING_SDES };

/* The codec's name ("?" when out of range). */
const char *codec_name(enum media_codec c);
/* The codec named `name` (any case), or -1. */
int codec_by_name(const char *name);

/* Every codec name, NULL-terminated, in enum order (for choices and --help). */
extern const char *const codec_names[];

#endif

/* codec.c — codec names (see codec.h). */
#include "codec.h"

#include <stddef.h>
#include <strings.h>

const char *const codec_names[] = {"PCMU", "PCMA", "G722", "opus", NULL};

const char *codec_name(enum media_codec c)
{
	return (unsigned)c < CODEC_COUNT ? codec_names[c] : "?";
}

int codec_by_name(const char *name)
{
	for (int i = 0; i < CODEC_COUNT; i++)
		if (!strcasecmp(name, codec_names[i]))
			return i;
	return -1;
}

/* codec.c — the codec table (see codec.h). */
#include "codec.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#define CODEC_ROW(ID, NM, PT, ST, RATE, CH, IE, BPL) \
	{.id = CODEC_##ID,                           \
	 .name = NM,                                 \
	 .pt = PT,                                   \
	 .static_pt = ST,                            \
	 .rate = RATE,                               \
	 .channels = CH,                             \
	 .emodel = {NM, IE, BPL}},
static const struct codec_info table[] = {CODEC_TABLE(CODEC_ROW)};
#undef CODEC_ROW

#define CODEC_NAME(ID, NM, PT, ST, RATE, CH, IE, BPL) NM,
const char *const codec_names[] = {CODEC_TABLE(CODEC_NAME) NULL};
#undef CODEC_NAME

_Static_assert(sizeof(table) / sizeof(*table) == CODEC_COUNT, "one row per codec");

const struct codec_info *codec_info(enum media_codec c)
{
	return (unsigned)c < CODEC_COUNT ? &table[c] : NULL;
}

const char *codec_name(enum media_codec c)
{
	return (unsigned)c < CODEC_COUNT ? table[c].name : "?";
}

int codec_by_name_n(const char *name, unsigned long n)
{
	for (int i = 0; i < CODEC_COUNT; i++)
		if (strlen(table[i].name) == n && !strncasecmp(name, table[i].name, n))
			return i;
	return -1;
}

int codec_by_name(const char *name)
{
	return codec_by_name_n(name, strlen(name));
}

int codec_by_static_pt(int pt)
{
	for (int i = 0; i < CODEC_COUNT; i++)
		if (table[i].static_pt && table[i].pt == pt)
			return i;
	return -1;
}

int codec_list_valid(const char *list)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (codec_by_name_n(p, n) < 0)
			return 0;
		p += n + (p[n] == ',');
	}
	return 1;
}

/* pcapng.c — the pcapng blocks siplab's capture writes (see pcapng.h).
 * Every block is: type, total length, body, options, total length again;
 * bodies and option values are padded to 4 bytes. Written in the host's
 * byte order, which the section header's magic announces to readers. */
#include "pcapng.h"

#include <string.h>

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u

#define OPT_END        0
#define OPT_COMMENT    1
#define SHB_USERAPPL   4
#define IF_NAME        2
#define IF_DESCRIPTION 3
#define IF_TSRESOL     9
#define ISB_IFRECV     4
#define ISB_IFDROP     5

static uint32_t pad4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

static uint32_t opt_size(uint32_t len)
{
	return 4 + pad4(len);
}

static int put(FILE *f, const void *p, size_t n)
{
	return n && fwrite(p, 1, n, f) != n ? -1 : 0;
}

static int put32(FILE *f, uint32_t v)
{
	return put(f, &v, 4);
}

static int put_pad(FILE *f, uint32_t len)
{
	static const uint8_t zeros[4];
	return put(f, zeros, pad4(len) - len);
}

static int put_opt(FILE *f, uint16_t code, const void *val, uint32_t len)
{
	uint16_t hdr[2] = {code, (uint16_t)len};
	return put(f, hdr, 4) || put(f, val, len) || put_pad(f, len);
}

static int put_end(FILE *f)
{
	return put32(f, OPT_END);
}

/* A string option's length: option lengths are 16 bits. */
static uint32_t str_len(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > 0xfff0 ? 0xfff0 : (uint32_t)n;
}

int pcapng_section(FILE *f, const char *appl)
{
	uint32_t alen = str_len(appl);
	uint32_t total = 28 + (alen ? opt_size(alen) : 0) + 4;
	uint16_t ver[2] = {1, 0};
	int64_t section_len = -1; /* unknown: the file is written as it goes */
	int rc = put32(f, BT_SHB) || put32(f, total) || put32(f, 0x1A2B3C4Du) || put(f, ver, 4) ||
	         put(f, &section_len, 8) || (alen && put_opt(f, SHB_USERAPPL, appl, alen)) ||
	         put_end(f) || put32(f, total);
	return rc ? -1 : 0;
}

int pcapng_interface(FILE *f, uint16_t linktype, uint32_t snaplen, const char *name,
                     const char *description)
{
	uint32_t nlen = str_len(name), dlen = str_len(description);
	uint8_t tsresol = 9; /* 10^-9: nanoseconds */
	uint32_t total =
	        20 + (nlen ? opt_size(nlen) : 0) + (dlen ? opt_size(dlen) : 0) + opt_size(1) + 4;
	uint16_t lt[2] = {linktype, 0};
	int rc = put32(f, BT_IDB) || put32(f, total) || put(f, lt, 4) || put32(f, snaplen) ||
	         (nlen && put_opt(f, IF_NAME, name, nlen)) ||
	         (dlen && put_opt(f, IF_DESCRIPTION, description, dlen)) ||
	         put_opt(f, IF_TSRESOL, &tsresol, 1) || put_end(f) || put32(f, total);
	return rc ? -1 : 0;
}

uint32_t pcapng_packet_size(uint32_t caplen)
{
	return 32 + pad4(caplen);
}

long pcapng_packet(FILE *f, uint32_t iface, uint64_t ts_ns, const uint8_t *data, uint32_t caplen,
                   uint32_t origlen)
{
	uint32_t total = pcapng_packet_size(caplen);
	int rc = put32(f, BT_EPB) || put32(f, total) || put32(f, iface) ||
	         put32(f, (uint32_t)(ts_ns >> 32)) || put32(f, (uint32_t)ts_ns) ||
	         put32(f, caplen) || put32(f, origlen) || put(f, data, caplen) ||
	         put_pad(f, caplen) || put32(f, total);
	return rc ? -1 : (long)total;
}

int pcapng_stats(FILE *f, uint32_t iface, uint64_t ts_ns, uint64_t received, uint64_t dropped,
                 const char *comment)
{
	uint32_t clen = str_len(comment);
	uint32_t total = 24 + 2 * opt_size(8) + (clen ? opt_size(clen) : 0) + 4;
	int rc = put32(f, BT_ISB) || put32(f, total) || put32(f, iface) ||
	         put32(f, (uint32_t)(ts_ns >> 32)) || put32(f, (uint32_t)ts_ns) ||
	         put_opt(f, ISB_IFRECV, &received, 8) || put_opt(f, ISB_IFDROP, &dropped, 8) ||
	         (clen && put_opt(f, OPT_COMMENT, comment, clen)) || put_end(f) || put32(f, total);
	return rc ? -1 : 0;
}

/* pcapng.h — a pcapng file writer: one section, one interface description
 * per capture point, enhanced packet blocks, and statistics at the end.
 *
 * libpcap 1.10 (Debian 12) writes only classic pcap, which has one link type
 * and no interfaces: a packet seen on "worker1:eth0" and again on "nat:eth1"
 * could not be told apart. pcapng (draft-ietf-opsawg-pcapng) names each
 * interface, so the blocks are written here; the format is a handful of
 * length-prefixed blocks. */
#ifndef SIPLAB_PCAPNG_H
#define SIPLAB_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

/* The header of the file's one section (SHB); appl names the writer. */
int pcapng_section(FILE *f, const char *appl);
/* An interface (IDB), numbered from 0 in the order written. linktype is a
 * LINKTYPE_ value (1: Ethernet); timestamps are in nanoseconds. */
int pcapng_interface(FILE *f, uint16_t linktype, uint32_t snaplen, const char *name,
                     const char *description);
/* A packet (EPB) seen on interface iface at ts_ns (nanoseconds since the
 * epoch): caplen bytes kept of origlen. Returns the bytes written, or -1. */
long pcapng_packet(FILE *f, uint32_t iface, uint64_t ts_ns, const uint8_t *data, uint32_t caplen,
                   uint32_t origlen);
/* The size of the block pcapng_packet would write for caplen bytes. */
uint32_t pcapng_packet_size(uint32_t caplen);
/* An interface's statistics (ISB) at ts_ns: packets received and dropped by
 * the kernel, and a comment (NULL for none) — what the capture left out. */
int pcapng_stats(FILE *f, uint32_t iface, uint64_t ts_ns, uint64_t received, uint64_t dropped,
                 const char *comment);

#endif

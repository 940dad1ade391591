/* pcapdx.h — a customer's packet capture read as evidence: SIP over UDP and
 * TCP, ICMP errors and RTP, rebuilt into a report of the shape
 * docs/report.md describes, so the same diagnose() reads it. What a capture
 * cannot show (heartbeats, workers' resources, probes, allocation) is said in
 * the report's "capture" section. See docs/pcapdx.md. */
#ifndef SIPLAB_PCAPDX_H
#define SIPLAB_PCAPDX_H

#include <cJSON.h>
#include <stdio.h>

#include "../lib/err.h"

/* Whether the file at path starts with a pcap or pcapng magic number. */
int pcapdx_is_capture(const char *path);

/* Read the capture at path and return a report-shaped tree (the caller
 * frees it), or NULL with a sentence in e. */
cJSON *pcapdx_report(const char *path, err_t *e);

/* The report's "capture" section as text: what was read, what was dropped,
 * and which evidence a capture cannot give. */
void pcapdx_print(const cJSON *report, FILE *f);

#endif

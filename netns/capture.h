/* capture.h — a packet capture of a running lab: every host's end of every
 * link, in one pcapng file with one interface per end ("worker1:eth0",
 * "nat:eth0", "core:eth9"), so a reader sees where a packet was seen —
 * before and after a NAT router, say.
 *
 * One process, started in the lab, opens a libpcap handle on each end from
 * inside that end's host (a packet socket stays bound to the network
 * namespace it was opened in), then writes what they see until it is told
 * to stop. The host's own network is never captured: only the lab's hosts.
 * The file is bounded (CAPTURE_MAX_BYTES): packets past the bound, and any
 * the kernel dropped, are counted and said. */
#ifndef SIPLAB_CAPTURE_H
#define SIPLAB_CAPTURE_H

#include "lab.h"

struct capture {
	struct lab_proc *proc; /* NULL: not running */
	int status_fd;         /* its READY line, then its summary */
	int n_ifaces;
};

/* What a capture came to. */
struct capture_summary {
	long long packets;        /* written to the file */
	long long bytes;          /* the file's size */
	long long dropped_limit;  /* seen, not written: the file reached CAPTURE_MAX_BYTES */
	long long dropped_kernel; /* lost before the capture read them (its ring was full) */
	int n_ifaces;
	int lost_ifaces; /* ends that went away during the run (a link removed) */
};

/* Start capturing every link end of the lab into path (a pcapng file,
 * created or truncated). Returns once every end is open, so nothing sent
 * after it is missed. */
int capture_start(struct lab *lab, const char *path, struct capture *c, err_t *e);
/* Stop: what is still buffered is written and the file closed. Safe on a
 * capture that never started (returns -ENOENT, s zeroed). */
int capture_stop(struct lab *lab, struct capture *c, struct capture_summary *s, err_t *e);
/* "1234 packets on 14 interfaces, 2.1 MB" and what was dropped, if any. */
const char *capture_summary_str(const struct capture_summary *s, char *buf, size_t cap);

#endif

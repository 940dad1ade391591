/* dns.h — the lab's DNS server: A, SRV and NAPTR answers for the lab's
 * domains so endpoints find the registrar by name (RFC 3263), and per-name
 * failures for the DNS fault: NXDOMAIN, SERVFAIL, no answer at all, or a
 * wrong address. Names it does not know get NXDOMAIN at once, so nothing in
 * the lab waits on a resolver timeout by accident. */
#ifndef SIPLAB_DNS_H
#define SIPLAB_DNS_H

#include "../lib/limits.h"

#include <stddef.h>
#include <stdint.h>

#include "../lib/fields.h"
#include "../lib/sys.h"

enum dns_type { DNS_A = 1, DNS_AAAA = 28, DNS_SRV = 33, DNS_NAPTR = 35 };
enum dns_fault { DNS_OK, DNS_NXDOMAIN, DNS_SERVFAIL, DNS_DROP, DNS_WRONG };

struct dns_record {
	char name[128];
	enum dns_type type;
	char value[128];            /* A: address; SRV: target; NAPTR: replacement */
	int priority, weight, port; /* SRV */
	int order, preference;      /* NAPTR */
	char flags[8], service[32], regexp[64];
	enum dns_fault fault; /* for a "fault" entry: what to do for this name */
};

struct dns_config {
	char listen[64];
	int port;
	int ttl;
	struct dns_record records[DNS_MAX_RECORDS];
	int n_records;
	struct dns_record faults[32];
	int n_faults;
};

/* The configuration file's fields, for reading and for --help. */
extern const struct field dns_config_fields[];

int dns_config_load(const char *path, struct dns_config *c, err_t *e);

/* Answer one query (q, qlen) into out; returns the answer's length, 0 to send
 * nothing, or -1 for a packet that is not a query. */
int dns_answer(const struct dns_config *c, const uint8_t *q, size_t qlen, uint8_t *out, size_t cap);

/* Serve on UDP until SIGTERM/SIGINT; SIGHUP reloads the file (so a fault can
 * be switched on and off while a run goes on). */
int dns_run(const char *path, err_t *e);

#endif

/* farside.h — what a test run talks to, started in the lab from a scenario:
 * the DNS server (the lab's names, SRV and NAPTR for RFC 3263), the registrar
 * and proxy (siplab's own, or Kamailio from Debian) with an account pool per
 * group, and the callee pool. Each writes its log in a directory a person
 * can keep. */
#ifndef SIPLAB_FARSIDE_H
#define SIPLAB_FARSIDE_H

#include <cJSON.h>
#include "../../netns/lab.h"
#include "../model/scenario.h"
#include "edits.h"

struct farside {
	struct lab_proc *dns, *registrar, *callees;
	struct lab_proc *registrar2; /* far_side.peer_domain's registrar, or NULL */
	char dir[PATH_MAX];          /* configurations and logs */
	char tls_dir[PATH_MAX];      /* the lab CA and the registrar's certificate */
	struct lab_proc *alg;        /* the NAT router's SIP ALG, when a fault runs one */
	char callee_domain[64];
	char callee_password[32];
};

/* Start the far side for scenario s, its configuration edited by the
 * scenario's faults through le; self is this program (for its
 * subcommands). dir holds configurations and logs. */
int farside_start(struct farside *f, struct lab *lab, const struct scenario *s, struct lab_edit *le,
                  const char *self, const char *dir, err_t *e);
void farside_stop(struct farside *f, struct lab *lab);
/* Stop one service ("registrar", "dns", "callee") before the others, for a
 * fault, as a crash (SIGKILL); -1 when it is not running. */
int farside_stop_service(struct farside *f, struct lab *lab, const char *service);

/* Give a running far-side service a new configuration tree: written over
 * its file, then SIGHUP. Only the DNS server reloads; the others are
 * refused (ENOTSUP). */
int farside_reload(struct farside *f, const char *service, const cJSON *tree, err_t *e);
/* A far-side service's CPU quota from now on, in percent of one core (0:
 * none); -ENOENT when it is not running, else lab_proc_cpu_limit's result. */
int farside_cpu_limit(struct farside *f, struct lab *lab, const char *service, double pct,
                      err_t *e);

#endif

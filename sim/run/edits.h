/* edits.h — the run's side of the lab-edit API (faults/labedit.h): the state a
 * fault may change, and the calls that run the scenario's faults' hooks at
 * each step of building and running the lab. The faults never see this. */
#ifndef SIPLAB_EDITS_H
#define SIPLAB_EDITS_H

#include <cJSON.h>

#include "../../faults/fault.h"
#include "../../netns/lab.h"
#include "../model/scenario.h"
#include "../platform/platform.h"
#include "labfile.h"

struct farside;

enum le_phase { LE_SHAPE, LE_TOPOLOGY, LE_FAR_SIDE, LE_RUN };

struct le_timer {
	long ms;
	le_action fn;
	const void *arg;
	int k; /* the scenario's fault that set it */
	int done;
};

/* An edit of a timed fault, held back from the lab's build and made on the
 * running lab at at_s, undone at until_s. */
struct le_deferred {
	int k; /* the scenario's fault */
	char host[32];
	char *ruleset;  /* nftables, its tables already renamed; or NULL for a sysctl */
	char undo[160]; /* "delete table inet lab_block_f0; ..." */
	char key[96];   /* a sysctl */
	long value;
	char old[32]; /* the sysctl's value before */
	int applied;
};

struct lab_edit {
	enum le_phase phase;
	const struct scenario *s;
	struct labfile *lf;
	int quiet;
	const struct fault *current; /* whose hook runs: for notes and errors */
	int k;                       /* and its index in the scenario's faults */
	/* shape */
	int nat;
	unsigned long long nat_workers; /* bit i: worker i+1 behind the NAT router */
	char scope_name[128];           /* le_scope_name's answer for a group */
	char masquerade[48];
	int worker_cgroups;
	int n_added; /* hosts added by le_add_host */
	/* topology, then the far side's configurations by service name */
	cJSON *topo;
	struct {
		const char *service;
		cJSON *tree; /* the caller's */
	} configs[5];
	int n_configs;
	/* The NAT router's SIP ALG ("alg"), empty unless a fault configures it:
	 * {"listen", "upstream", "outside"} (registrar/alg.h). The caller's. */
	cJSON *alg_config;
	/* the running lab */
	struct lab_proc **workers;
	char worker_names[PF_MAX_WORKERS][32];
	int n_workers;
	struct platform *pf;
	struct farside *far; /* the far side's processes, for le_stop_service */
	struct lab *lab;
	struct le_timer timers[FAULT_MAX_TIMERS];
	int n_timers;
	struct le_deferred deferred[FAULT_MAX_DEFERRED];
	int n_deferred;
	/* A timed fault's edits of a far-side configuration: the tree with them
	 * (on) and without (off), given to the running service at at_s and
	 * until_s (farside_reload). */
	struct le_timed_config {
		int k;
		const char *service;
		cJSON *on, *off;
	} timed_cfg[4];
	int n_timed_cfg;
	char failed[320];  /* why a timed action failed, "" while none has */
	int token_revoked; /* le_worker_token_revoked: the workers get another token */
	int keep;          /* a kept lab: the callee pool runs for the developer's own UA */
};

void edits_init(struct lab_edit *le, const struct scenario *s, struct labfile *lf, int quiet);
void edits_free(struct lab_edit *le);
/* The topology JSON text the faults shaped and edited; malloc'd. */
int edits_topology(struct lab_edit *le, char **json, err_t *e);
/* Hand the far side's configuration of a service to the faults; the tree
 * stays the caller's. registrar may be NULL (Kamailio), callees NULL (no
 * group dials the callee pool, so it does not run). */
int edits_far_side(struct lab_edit *le, cJSON *registrar, cJSON *dns, cJSON *callees, err_t *e);
/* As the run starts: the workers' processes and the platform that runs them. */
int edits_run_start(struct lab_edit *le, struct lab_proc **workers, int n, struct platform *pf,
                    err_t *e);
/* The faults' timed actions now due (run_ms from the run's start). One
 * that fails leaves its reason in le->failed: the fault is not what the
 * scenario says any more, a lab error. */
void edits_tick(struct lab_edit *le, long run_ms);
/* No timed action fires any more (the run is being abandoned). */
void edits_cancel(struct lab_edit *le);

#endif

/* platform.h — the simulated hosted platform: a gateway that workers connect
 * to (token, heartbeats, ONLINE/OFFLINE/ERROR), and test runs that go
 * PENDING → QUEUED → RUNNING → COMPLETED | FAILED, or CANNOT_RUN_FOR_NOW when
 * pre-flight fails, or through STOPPING when the user stops them. Endpoints
 * are allocated to workers, dispatched, and their phases and final records
 * stream back as they happen. No lab knowledge here: the gateway is given a
 * listening socket, so the same code runs inside a lab host or on loopback. */
#ifndef SIPLAB_PLATFORM_H
#define SIPLAB_PLATFORM_H

#include "../../lib/codes.h"
#include "../../lib/limits.h"

#include <cJSON.h>
#include <stdio.h>

#include "../model/scenario.h"
#include "../model/vocab.h"
#include "wire.h"

struct pf_worker {
	char name[32], region[32], address[64];
	int pid;
	enum worker_status status;
	struct wire w;
	int connected;
	long long last_heartbeat;
	int capacity;
	long rss_idle_kb;  /* memory before any endpoint, from its hello */
	int busy;          /* has endpoints of a run */
	int n_assigned;    /* endpoints of the current run */
	cJSON *events;     /* [{"t_ms", "event", "kind", "cause"}] */
	cJSON *sip_events; /* what its transport layer reported (ICMP errors...) */
	cJSON *resources;  /* heartbeats: load, memory and CPU over time */

	/* SIP stack events beyond what the worker keeps (sip_events). */
	long sip_events_dropped;
	long sip_unparsed;     /* SIP messages its stack logged that did not parse */
	cJSON *probes;         /* the registrar probes it ran when registrations failed, or NULL */
	int session;           /* its connections that said hello: each is a session (1, 2...) */
	char allocated_to[32]; /* the run whose endpoints it holds, "" when none */
};

struct pf_ep {
	int worker; /* index in workers */
	int group;
	char user[64];
	enum phase phase;
	enum outcome outcome;
	int final;
	cJSON *record;  /* the worker's final record (or the platform's, if lost) */
	int no_account; /* the group's pool had no SIP account left for it */
};

/* Where the far side is, for building dispatches. */
struct pf_env {
	char callee_prefix[32];
	int callee_count;
	char callee_domain[64];
	char tls_dir[256];
};

struct pf_run {
	char id[32];
	enum run_status status;
	cJSON *timeline;             /* [{"status", "t_ms", "note"}] */
	char reason[256];            /* why CANNOT_RUN_FOR_NOW or FAILED */
	enum run_reason reason_code; /* the same, as a code */
	int worker_lost, stopped, calls_over;
	long long t0;
	long long t0_us; /* wall clock at its start: every process times SIP from it */
	long deadline_ms;
	struct pf_ep *eps;
	int n_eps, n_final, n_registered, n_in_call, n_failed;
	long long last_progress;
};

struct platform {
	int lfd;
	char token[69];
	long heartbeat_ms, heartbeat_timeout_ms;
	struct pf_worker workers[PF_MAX_WORKERS];
	int n_workers;
	long long t0;
	const struct scenario *s;
	struct pf_env env;
	struct pf_run run;
	FILE *progress; /* a line every second while running; NULL = quiet */
	int bad_messages;
	/* The workers whose tokens were issued for this account: a platform
	 * lists them on its Workers page even before (or without) their first
	 * connection. */
	struct {
		char name[32], region[32];
	} provisioned[PF_MAX_WORKERS];
	int n_provisioned;
	/* Another tenant's run on this gateway (platform_start_other_run): its
	 * endpoints are tracked here, never in run, and never reported. */
	struct pf_run other;
};

/* Take a listening TCP socket; workers must present token. */
void platform_init(struct platform *p, int listen_fd, const char *token, const struct scenario *s,
                   const struct pf_env *env);
void platform_free(struct platform *p);
/* Serve the gateway for up to timeout_ms (accept, messages, heartbeats). */
void platform_poll(struct platform *p, int timeout_ms);
/* Workers currently ONLINE. */
int platform_online(const struct platform *p);
struct pf_worker *platform_worker(struct platform *p, const char *name);
/* A worker provisioned for the account (its token issued), by name and
 * region: listed in the report as OFFLINE and never seen until it says
 * hello. */
void platform_provision(struct platform *p, const char *name, const char *region);

/* Create the run: PENDING, pre-flight, then QUEUED and RUNNING with the
 * endpoints dispatched — or CANNOT_RUN_FOR_NOW. Returns the status reached. */
enum run_status platform_start_run(struct platform *p);
/* Start another tenant's run, described by other (its own scenario, which
 * must outlive the platform), before the test's: pre-flight, then its
 * endpoints dispatched to the workers it takes, which it holds from then on.
 * Returns the status it reached (RUNNING, or why not). */
enum run_status platform_start_other_run(struct platform *p, const struct scenario *other);

/* Has the run ended (every endpoint final, or its deadline passed)? Moves it
 * to its terminal status when so. */
int platform_run_over(struct platform *p);
/* The user stops the run: STOPPING, workers hang up and report. */
void platform_stop_run(struct platform *p);
/* After the run: workers forget it (un-register, free their SIP stack). */
void platform_release(struct platform *p, int timeout_ms);
/* Ask every connected worker to exit. */
void platform_shutdown(struct platform *p);

/* Milliseconds since the platform started. */
long long platform_ms(const struct platform *p);

#endif

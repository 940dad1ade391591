/* platform.c — the gateway, the run state machine and pre-flight (see platform.h). */
#define _GNU_SOURCE
#include "platform.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/sys.h"

long long platform_ms(const struct platform *p)
{
	return (sys_now_ns() - p->t0) / 1000000;
}

/* An event of a worker: its sentence for a reader, and its kind and cause as
 * codes for the diagnosis (lib/codes.h). */
static void worker_event(struct platform *p, struct pf_worker *w, enum wk_event kind,
                         enum wk_cause cause, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static void worker_event(struct platform *p, struct pf_worker *w, enum wk_event kind,
                         enum wk_cause cause, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cJSON *e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "t_ms", (double)platform_ms(p));
	cJSON_AddStringToObject(e, "event", buf);
	cJSON_AddStringToObject(e, "kind", wk_event_name(kind));
	if (cause != WK_CAUSE_NONE)
		cJSON_AddStringToObject(e, "cause", wk_cause_name(cause));
	if (w->session > 0)
		cJSON_AddNumberToObject(e, "session", w->session);
	cJSON_AddItemToArray(w->events, e);
	if (p->progress)
		fprintf(p->progress, "  [%6.2f s] %s: %s\n", platform_ms(p) / 1000.0, w->name, buf);
}

static void set_status(struct platform *p, enum run_status st, const char *note)
{
	struct pf_run *r = &p->run;
	r->status = st;
	cJSON *e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "status", run_status_name(st));
	cJSON_AddNumberToObject(e, "t_ms", (double)platform_ms(p));
	if (note && *note)
		cJSON_AddStringToObject(e, "note", note);
	cJSON_AddItemToArray(r->timeline, e);
	if (p->progress)
		fprintf(p->progress, "  [%6.2f s] run %s%s%s\n", platform_ms(p) / 1000.0,
		        run_status_name(st), note && *note ? ": " : "", note ? note : "");
}

void platform_init(struct platform *p, int listen_fd, const char *token, const struct scenario *s,
                   const struct pf_env *env)
{
	memset(p, 0, sizeof(*p));
	p->lfd = listen_fd;
	snprintf(p->token, sizeof(p->token), "%s", token);
	p->s = s;
	p->env = *env;
	p->t0 = sys_now_ns();
	double scale = s->time_scale;
	p->heartbeat_ms = lround(s->platform.heartbeat_s * 1000 * scale);
	p->heartbeat_ms = p->heartbeat_ms < 100 ? 100 : p->heartbeat_ms;
	p->heartbeat_timeout_ms = lround(s->platform.heartbeat_timeout_s * 1000 * scale);
	if (p->heartbeat_timeout_ms < 3 * p->heartbeat_ms)
		p->heartbeat_timeout_ms = 3 * p->heartbeat_ms;
	p->run.timeline = cJSON_CreateArray();
	p->run.status = RUN_PENDING;
}

void platform_free(struct platform *p)
{
	for (int i = 0; i < p->n_workers; i++) {
		struct pf_worker *w = &p->workers[i];
		if (w->connected)
			wire_close(&w->w);
		cJSON_Delete(w->events);
		cJSON_Delete(w->sip_events);
		cJSON_Delete(w->resources);
		cJSON_Delete(w->probes);
	}
	struct pf_run *runs[] = {&p->run, &p->other};
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < runs[k]->n_eps; i++)
			cJSON_Delete(runs[k]->eps[i].record);
		free(runs[k]->eps);
		cJSON_Delete(runs[k]->timeline);
	}
	if (p->lfd >= 0)
		close(p->lfd);
	p->lfd = -1;
}

int platform_online(const struct platform *p)
{
	int n = 0;
	for (int i = 0; i < p->n_workers; i++)
		n += p->workers[i].status == WORKER_ONLINE && p->workers[i].connected;
	return n;
}

struct pf_worker *platform_worker(struct platform *p, const char *name)
{
	for (int i = 0; i < p->n_workers; i++)
		if (!strcmp(p->workers[i].name, name))
			return &p->workers[i];
	return NULL;
}

void platform_provision(struct platform *p, const char *name, const char *region)
{
	if (p->n_provisioned == PF_MAX_WORKERS)
		return; /* no more workers than the gateway can hold */
	snprintf(p->provisioned[p->n_provisioned].name, sizeof(p->provisioned[0].name), "%s", name);
	snprintf(p->provisioned[p->n_provisioned].region, sizeof(p->provisioned[0].region), "%s",
	         region);
	p->n_provisioned++;
}

/* --- endpoints ------------------------------------------------------------------------ */

static int worker_index(const struct platform *p, const struct pf_worker *w)
{
	return (int)(w - p->workers);
}

static int failed(enum outcome o)
{
	return outcome_severity(o) >= 10;
}

static void ep_final(struct pf_run *r, struct pf_ep *ep, cJSON *record)
{
	if (ep->final) {
		cJSON_Delete(record);
		return;
	}
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(record, "outcome");
	int oc = cJSON_IsString(o) ? outcome_from_name(o->valuestring) : -1;
	ep->outcome = oc > 0 ? (enum outcome)oc : OUTCOME_NONE;
	if (ep->phase == PHASE_INCALL)
		r->n_in_call--;
	ep->phase = PHASE_CLOSED;
	ep->final = 1;
	ep->record = record;
	r->n_final++;
	r->n_failed += failed(ep->outcome);
}

/* The platform's own record for an endpoint whose worker is gone (kind
 * EP_FAIL_WORKER_LOST) or never reported (EP_FAIL_NO_RESULT). */
/* The platform's own record of an endpoint that ended without a worker's
 * word: outcome and failure kind, decided by the platform. */
static cJSON *platform_record(struct platform *p, const struct pf_ep *ep, int id,
                              enum outcome outcome, enum ep_failure kind, const char *why)
{
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddNumberToObject(rec, "id", id);
	cJSON_AddStringToObject(rec, "group", p->s->groups[ep->group].name);
	cJSON_AddStringToObject(rec, "user", ep->user);
	cJSON_AddStringToObject(rec, "worker", p->workers[ep->worker].name);
	cJSON_AddStringToObject(rec, "phase", phase_name(PHASE_CLOSED));
	cJSON_AddStringToObject(rec, "phase_reached", phase_name(ep->phase));
	cJSON_AddStringToObject(rec, "outcome", outcome_name(outcome));
	cJSON_AddNullToObject(rec, "sip_code");
	cJSON_AddStringToObject(rec, "reason", why);
	cJSON *f = cJSON_AddObjectToObject(rec, "failure");
	cJSON_AddStringToObject(f, "kind", ep_failure_name(kind));
	cJSON_AddNumberToObject(f, "sip_code", 0);
	cJSON_AddStringToObject(f, "source", fail_source_name(FAIL_SOURCE_PLATFORM));
	cJSON_AddNullToObject(rec, "media");
	cJSON_AddItemToObject(rec, "warnings", cJSON_CreateArray());
	cJSON_AddItemToObject(rec, "trace", cJSON_CreateArray());
	return rec;
}

static void ep_lost(struct platform *p, struct pf_ep *ep, int id, enum ep_failure kind,
                    const char *why)
{
	ep_final(&p->run, ep, platform_record(p, ep, id, OUTCOME_OSERROR, kind, why));
}

static void on_phase(struct pf_run *r, const cJSON *m)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(m, "id");
	const cJSON *ph = cJSON_GetObjectItemCaseSensitive(m, "phase");
	if (!cJSON_IsNumber(id) || id->valueint < 0 || id->valueint >= r->n_eps ||
	    !cJSON_IsString(ph))
		return;
	struct pf_ep *ep = &r->eps[id->valueint];
	int next = phase_from_name(ph->valuestring);
	if (ep->final || next < 0)
		return;
	enum phase before = ep->phase;
	ep->phase = phase_advance(ep->phase, (enum phase)next);
	if (before < PHASE_REGISTERED && ep->phase >= PHASE_REGISTERED && ep->phase != PHASE_CLOSED)
		r->n_registered++;
	if (before != PHASE_INCALL && ep->phase == PHASE_INCALL)
		r->n_in_call++;
	if (before == PHASE_INCALL && ep->phase != PHASE_INCALL)
		r->n_in_call--;
}

static void on_result(struct platform *p, struct pf_run *r, cJSON *m)
{
	cJSON *rec = cJSON_DetachItemFromObjectCaseSensitive(m, "endpoint");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
	if (!cJSON_IsNumber(id) || id->valueint < 0 || id->valueint >= r->n_eps) {
		cJSON_Delete(rec);
		p->bad_messages++;
		return;
	}
	struct pf_ep *ep = &r->eps[id->valueint];
	/* An endpoint closed from REGISTERED or later had registered. */
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "times_ms");
	if (ep->phase < PHASE_REGISTERED && cJSON_GetObjectItemCaseSensitive(t, "registered"))
		r->n_registered++;
	ep_final(r, ep, rec);
}

/* --- workers -------------------------------------------------------------------------- */

static void worker_gone(struct platform *p, struct pf_worker *w, enum worker_status st,
                        enum wk_cause cause, const char *why)
{
	if (w->connected)
		wire_close(&w->w);
	w->connected = 0;
	w->status = st;
	worker_event(p, w, st == WORKER_OFFLINE ? WK_EVENT_OFFLINE : WK_EVENT_ERROR, cause,
	             "%s: %s", worker_status_name(st), why);
	struct pf_run *r = &p->run;
	if (r->status != RUN_RUNNING && r->status != RUN_STOPPING)
		return;
	int lost = 0;
	char reason[192];
	snprintf(reason, sizeof(reason), "worker %s lost (%s)", w->name, why);
	for (int i = 0; i < r->n_eps; i++)
		if (r->eps[i].worker == worker_index(p, w) && !r->eps[i].final) {
			ep_lost(p, &r->eps[i], i, EP_FAIL_WORKER_LOST, reason);
			lost++;
		}
	if (lost && !r->worker_lost) {
		r->worker_lost = 1;
		r->reason_code = RUN_REASON_WORKER_LOST;
		snprintf(r->reason, sizeof(r->reason),
		         "worker %s was lost during the run (%s); its %d unfinished endpoints "
		         "were closed with OSERROR",
		         w->name, why, lost);
	}
}

static void on_hello(struct platform *p, struct pf_worker *w, const cJSON *m)
{
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(m, "token");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(m, "worker");
	const char *why = NULL;
	enum wk_cause cause = WK_CAUSE_NONE;
	if (!cJSON_IsString(tok) || !wire_token_valid(tok->valuestring))
		why = "a worker token is cmw_ followed by 64 hex characters",
		cause = WK_CAUSE_BAD_TOKEN;
	else if (strcmp(tok->valuestring, p->token))
		why = "unknown worker token", cause = WK_CAUSE_UNKNOWN_TOKEN;
	else if (!cJSON_IsString(name) || !*name->valuestring)
		why = "hello without a worker name", cause = WK_CAUSE_NO_NAME;
	if (why) {
		/* The name it claimed is not to be trusted, but it is what the
		 * gateway's log can show of who tried. */
		char said[192];
		snprintf(said, sizeof(said), "%s (a hello from %s, calling itself %.31s)", why,
		         w->address[0] ? w->address : "?",
		         cJSON_IsString(name) ? name->valuestring : "?");
		wire_send_type(&w->w, "refused", "reason", why);
		snprintf(w->name, sizeof(w->name), "(refused)");
		worker_gone(p, w, WORKER_ERROR, cause, said);
		return;
	}
	const cJSON *v;
	snprintf(w->name, sizeof(w->name), "%s", name->valuestring);
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(m, "region")))
		snprintf(w->region, sizeof(w->region), "%s", v->valuestring);
	if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(m, "address")))
		snprintf(w->address, sizeof(w->address), "%s", v->valuestring);
	w->capacity = cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(m, "capacity"))
	                      ? v->valueint
	                      : 0;
	w->pid = cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(m, "pid")) ? v->valueint : 0;
	w->status = WORKER_ONLINE;
	w->session++;
	w->last_heartbeat = sys_now_ns();
	w->rss_idle_kb = cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(m, "rss_kb"))
	                         ? (long)v->valuedouble
	                         : 0;
	cJSON *welcome = cJSON_CreateObject();
	cJSON_AddStringToObject(welcome, "type", "welcome");
	cJSON_AddNumberToObject(welcome, "heartbeat_ms", (double)p->heartbeat_ms);
	wire_send(&w->w, welcome);
	cJSON_Delete(welcome);
	worker_event(p, w, WK_EVENT_ONLINE, WK_CAUSE_NONE, "ONLINE (region %s, %s, capacity %d)",
	             w->region, w->address, w->capacity);
}

/* Keep the worker's load and memory over time (bounded). */
static void on_heartbeat(struct platform *p, struct pf_worker *w, const cJSON *m)
{
	if (!w->resources)
		w->resources = cJSON_CreateArray();
	if (cJSON_GetArraySize(w->resources) >= 20000)
		return;
	cJSON *s = cJSON_CreateObject();
	cJSON_AddNumberToObject(s, "t_ms", (double)platform_ms(p));
	/* The memory cgroup's usage and limit as the worker read them; a limit
	 * of null (none) is kept as null. */
	static const char *const keys[] = {"endpoints",       "registered",       "in_call",
	                                   "final",           "rss_kb",           "cgroup_usage_kb",
	                                   "cgroup_limit_kb", "cpu_ms",           "cpu_pct",
	                                   "cpu_limit_pct",   "cpu_throttled_pct"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, keys[i]);
		if (cJSON_IsNumber(v))
			cJSON_AddNumberToObject(s, keys[i], v->valuedouble);
		else if (cJSON_IsNull(v) &&
		         (!strcmp(keys[i], "cgroup_limit_kb") || !strcmp(keys[i], "cpu_limit_pct")))
			cJSON_AddNullToObject(s, keys[i]);
	}
	cJSON_AddItemToArray(w->resources, s);
}

/* Which run a worker's messages are about: the other tenant's while the
 * worker holds its endpoints, else this one. */
static struct pf_run *run_of(struct platform *p, const struct pf_worker *w)
{
	return w->allocated_to[0] && p->other.id[0] && !strcmp(w->allocated_to, p->other.id)
	               ? &p->other
	               : &p->run;
}

static void on_message(struct platform *p, struct pf_worker *w, cJSON *m)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "type");
	const char *type = cJSON_IsString(t) ? t->valuestring : "";
	if (w->status != WORKER_ONLINE && strcmp(type, "hello")) {
		p->bad_messages++;
		return;
	}
	w->last_heartbeat = sys_now_ns(); /* any message shows it is alive */
	if (!strcmp(type, "hello")) {
		on_hello(p, w, m);
	} else if (!strcmp(type, "phase")) {
		on_phase(run_of(p, w), m);
	} else if (!strcmp(type, "result")) {
		on_result(p, run_of(p, w), m);
	} else if (!strcmp(type, "released") && run_of(p, w) == &p->other) {
		w->busy = 0; /* the other tenant's stack events are not this report's */
	} else if (!strcmp(type, "released")) {
		w->busy = 0;
		cJSON *ev = cJSON_DetachItemFromObjectCaseSensitive(m, "events");
		cJSON_Delete(w->sip_events);
		w->sip_events = ev;
		const cJSON *dropped = cJSON_GetObjectItemCaseSensitive(m, "events_dropped");
		w->sip_events_dropped = cJSON_IsNumber(dropped) ? (long)dropped->valuedouble : 0;
		const cJSON *unparsed = cJSON_GetObjectItemCaseSensitive(m, "sip_unparsed");
		w->sip_unparsed = cJSON_IsNumber(unparsed) ? (long)unparsed->valuedouble : 0;
	} else if (!strcmp(type, "probes")) {
		cJSON_Delete(w->probes);
		w->probes = cJSON_DetachItemFromObjectCaseSensitive(m, "probes");
		if (w->probes)
			cJSON_AddNumberToObject(w->probes, "t_ms", (double)platform_ms(p));
	} else if (!strcmp(type, "dispatch_refused")) {
		const cJSON *why = cJSON_GetObjectItemCaseSensitive(m, "reason");
		worker_gone(p, w, WORKER_ERROR, WK_CAUSE_DISPATCH_REFUSED,
		            cJSON_IsString(why) ? why->valuestring : "refused the dispatch");
	} else if (!strcmp(type, "heartbeat")) {
		on_heartbeat(p, w, m);
	} else {
		p->bad_messages++;
	}
}

static void accept_worker(struct platform *p)
{
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int fd = accept4(p->lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	/* A slot of a worker that is gone is reused once the new one says
	 * hello with the same name; until then every connection has its own. */
	if (p->n_workers == PF_MAX_WORKERS) {
		close(fd);
		return;
	}
	struct pf_worker *w = &p->workers[p->n_workers++];
	memset(w, 0, sizeof(*w));
	wire_init(&w->w, fd);
	w->connected = 1;
	w->status = WORKER_OFFLINE; /* until its hello is accepted */
	snprintf(w->name, sizeof(w->name), "(connecting)");
	/* Where it connects from, until its hello says its address. */
	if (peer.sin_family == AF_INET)
		inet_ntop(AF_INET, &peer.sin_addr, w->address, sizeof(w->address));
	w->events = cJSON_CreateArray();
}

/* A worker that says hello again under a known name takes its old slot. */
static void merge_reconnect(struct platform *p, struct pf_worker *w)
{
	for (int i = 0; i < p->n_workers; i++) {
		struct pf_worker *old = &p->workers[i];
		if (old == w || strcmp(old->name, w->name) || old->connected)
			continue;
		old->w = w->w;
		old->connected = 1;
		old->status = w->status;
		old->last_heartbeat = w->last_heartbeat;
		/* A new session; another pid than the last session's is another
		 * process: the worker was restarted, not only reconnected. */
		int before = old->pid;
		old->pid = w->pid;
		old->session++;
		worker_event(p, old, WK_EVENT_RECONNECTED, WK_CAUSE_NONE,
		             "connected again: session %d, pid %d (session %d had pid %d)",
		             old->session, old->pid, old->session - 1, before);
		cJSON *ev = cJSON_GetArrayItem(old->events, cJSON_GetArraySize(old->events) - 1);
		cJSON_AddNumberToObject(ev, "pid", old->pid);
		cJSON_AddNumberToObject(ev, "previous_pid", before);
		cJSON_Delete(w->events);
		cJSON_Delete(w->sip_events);
		cJSON_Delete(w->resources);
		cJSON_Delete(w->probes);
		*w = p->workers[--p->n_workers];
		return;
	}
}

static void read_worker(struct platform *p, struct pf_worker *w)
{
	int rc = wire_fill(&w->w);
	cJSON *m;
	while (w->connected && (m = wire_next(&w->w, &p->bad_messages))) {
		int was_online = w->status == WORKER_ONLINE;
		on_message(p, w, m);
		cJSON_Delete(m);
		if (!was_online && w->status == WORKER_ONLINE) {
			merge_reconnect(p, w);
			return; /* w may have moved */
		}
	}
	if (rc < 0 && w->connected)
		worker_gone(p, w, WORKER_OFFLINE, WK_CAUSE_CONNECTION_CLOSED, "connection closed");
}

static void check_heartbeats(struct platform *p)
{
	long long now = sys_now_ns();
	for (int i = 0; i < p->n_workers; i++) {
		struct pf_worker *w = &p->workers[i];
		long long quiet = (now - w->last_heartbeat) / 1000000;
		if (w->connected && w->status == WORKER_ONLINE && quiet > p->heartbeat_timeout_ms) {
			char why[96];
			/* In the scenario's time, as the report's clock reads. */
			double k = scenario_stretch(p->s);
			snprintf(why, sizeof(why), "no heartbeat for %.1f s (timeout %.1f s)",
			         quiet * k / 1000, p->heartbeat_timeout_ms * k / 1000);
			worker_gone(p, w, WORKER_OFFLINE, WK_CAUSE_HEARTBEAT_TIMEOUT, why);
		}
	}
}

static void progress(struct platform *p)
{
	struct pf_run *r = &p->run;
	long long now = sys_now_ns();
	if (!p->progress || (r->status != RUN_RUNNING && r->status != RUN_STOPPING) ||
	    now - r->last_progress < 1000000000LL)
		return;
	r->last_progress = now;
	fprintf(p->progress, "  [%6.2f s] %s: %d/%d registered, %d in call, %d closed, %d failed\n",
	        platform_ms(p) / 1000.0, run_status_name(r->status), r->n_registered, r->n_eps,
	        r->n_in_call, r->n_final, r->n_failed);
}

void platform_poll(struct platform *p, int timeout_ms)
{
	struct pollfd fds[PF_MAX_WORKERS + 1];
	int map[PF_MAX_WORKERS + 1], n = 0;
	fds[n] = (struct pollfd){.fd = p->lfd, .events = POLLIN};
	map[n++] = -1;
	for (int i = 0; i < p->n_workers; i++)
		if (p->workers[i].connected) {
			fds[n] = (struct pollfd){.fd = p->workers[i].w.fd, .events = POLLIN};
			map[n++] = i;
		}
	int k = poll(fds, (nfds_t)n, timeout_ms);
	for (int i = n - 1; k > 0 && i >= 0; i--) {
		if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (map[i] < 0)
			accept_worker(p);
		else if (map[i] < p->n_workers && p->workers[map[i]].w.fd == fds[i].fd)
			read_worker(p, &p->workers[map[i]]);
	}
	check_heartbeats(p);
	progress(p);
}

/* --- pre-flight ----------------------------------------------------------------------- */

static int available(const struct pf_worker *w, const char *region)
{
	return w->connected && w->status == WORKER_ONLINE && !w->busy && !strcmp(w->region, region);
}

/* The sentence of a pre-flight refusal, and its code. */
static enum run_reason refuse(enum run_reason code, char *why, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static enum run_reason refuse(enum run_reason code, char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return code;
}

/* Workers ONLINE in any region: none at all, or none in the test's region,
 * are two reasons a platform can tell apart. */
static int online_anywhere(const struct platform *p)
{
	int n = 0;
	for (int k = 0; k < p->n_workers; k++)
		n += p->workers[k].connected && p->workers[k].status == WORKER_ONLINE;
	return n;
}

/* The checks the platform makes in PENDING; a reason (and its sentence in
 * why) when the run cannot go, RUN_REASON_NONE when it can. */
static enum run_reason preflight(struct platform *p, char *why, size_t cap)
{
	const struct scenario *s = p->s;
	int total = scenario_endpoints(s);
	if (total > s->plan.max_endpoints)
		return refuse(RUN_REASON_ENDPOINT_LIMIT, why, cap,
		              "the test asks for %d concurrent endpoints; the plan allows %d",
		              total, s->plan.max_endpoints);
	double minutes = ceil(s->call_duration_s / 60.0);
	double needed = total * (minutes < 1 ? 1 : minutes);
	if (needed > s->plan.credits)
		return refuse(RUN_REASON_CREDITS, why, cap,
		              "credits exhausted: the test needs %.0f endpoint-minutes, %.0f are "
		              "left",
		              needed, s->plan.credits);
	for (int i = 0; i < s->n_groups; i++) {
		const char *region = s->groups[i].region;
		int avail = 0, busy = 0, capacity = 0, need = 0;
		for (int k = 0; k < p->n_workers; k++) {
			const struct pf_worker *w = &p->workers[k];
			avail += available(w, region);
			capacity += available(w, region) ? w->capacity : 0;
			busy += w->connected && w->status == WORKER_ONLINE && w->busy &&
			        !strcmp(w->region, region);
		}
		for (int k = 0; k < s->n_groups; k++)
			need += !strcmp(s->groups[k].region, region) ? s->groups[k].endpoints : 0;
		if (!avail && busy)
			return refuse(RUN_REASON_WORKERS_BUSY, why, cap,
			              "the %d ONLINE workers in region \"%s\" are busy with "
			              "another run",
			              busy, region);
		if (!avail)
			return refuse(online_anywhere(p) ? RUN_REASON_REGION_MISMATCH
			                                 : RUN_REASON_NO_ONLINE_WORKERS,
			              why, cap, "no ONLINE worker in region \"%s\"", region);
		if (capacity < need)
			return refuse(
			        RUN_REASON_CAPACITY, why, cap,
			        "workers in region \"%s\" take %d endpoints; the test needs %d",
			        region, capacity, need);
	}
	return RUN_REASON_NONE;
}

/* --- dispatch ------------------------------------------------------------------------- */

static long scaled_ms(const struct platform *p, double seconds, long min)
{
	long v = scenario_ms(p->s, seconds);
	return v < min ? min : v;
}

static void registrar_uri(const struct scn_group *g, char *uri, size_t cap, int route)
{
	static const char *const tp[] = {";transport=udp", ";transport=tcp", "", ""};
	const char *scheme = g->transport == SCN_TLS ? "sips" : "sip";
	snprintf(uri, cap, "%s%s:%s%s%s%s", route ? "<" : "", scheme, g->registrar,
	         tp[g->transport], route ? ";lr" : "", route ? ">" : "");
}

static void target_uri(const struct platform *p, const struct scn_group *g, int k, char *uri,
                       size_t cap)
{
	if (!strcmp(g->target, "callee-pool")) {
		snprintf(uri, cap, "sip:%s%04d@%s", p->env.callee_prefix,
		         1 + k % (p->env.callee_count > 0 ? p->env.callee_count : 1),
		         p->env.callee_domain);
		return;
	}
	if (scenario_target_is_uri(g->target)) {
		snprintf(uri, cap, "%s", g->target); /* dialled as the test has it */
		return;
	}
	for (int i = 0; i < p->s->n_groups; i++) {
		const struct scn_group *t = &p->s->groups[i];
		if (!strcmp(t->name, g->target)) {
			/* Only the callees that got an account can be dialled. */
			int reachable =
			        t->accounts.count < t->endpoints ? t->accounts.count : t->endpoints;
			snprintf(uri, cap, "%s:%s%04d@%s", t->transport == SCN_TLS ? "sips" : "sip",
			         t->accounts.prefix,
			         t->accounts.first + k % (reachable > 0 ? reachable : 1),
			         t->accounts.domain);
			return;
		}
	}
	uri[0] = '\0';
}

static cJSON *ep_json(struct platform *p, int id, int gi, int k, long reg_at, long call_at)
{
	const struct scn_group *g = &p->s->groups[gi];
	char buf[200];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", id);
	cJSON_AddStringToObject(o, "group", g->name);
	snprintf(buf, sizeof(buf), "%s%04d", g->accounts.prefix, g->accounts.first + k);
	snprintf(p->run.eps[id].user, sizeof(p->run.eps[id].user), "%s", buf);
	cJSON_AddStringToObject(o, "user", buf);
	cJSON_AddStringToObject(o, "password", g->accounts.password);
	cJSON_AddStringToObject(o, "domain", g->accounts.domain);
	snprintf(buf, sizeof(buf), "%s:%s@%s", g->transport == SCN_TLS ? "sips" : "sip",
	         p->run.eps[id].user, g->accounts.domain);
	cJSON_AddStringToObject(o, "aor", buf);
	registrar_uri(g, buf, sizeof(buf), 0);
	cJSON_AddStringToObject(o, "registrar", buf);
	registrar_uri(g, buf, sizeof(buf), 1);
	cJSON_AddStringToObject(o, "route", buf);
	cJSON *codecs = cJSON_AddArrayToObject(o, "codecs");
	for (int i = 0; i < g->n_codecs; i++)
		cJSON_AddItemToArray(codecs, cJSON_CreateString(codec_name(g->codecs[i])));
	cJSON_AddStringToObject(o, "srtp", g->srtp == KEYING_SDES ? "sdes" : "none");
	cJSON_AddStringToObject(o, "role", g->role == SCN_CALLER ? "caller" : "callee");
	if (g->role == SCN_CALLER) {
		target_uri(p, g, k, buf, sizeof(buf));
		cJSON_AddStringToObject(o, "target", buf);
	}
	cJSON_AddNumberToObject(o, "register_at_ms", (double)reg_at);
	cJSON_AddNumberToObject(o, "call_at_ms", (double)call_at);
	cJSON_AddNumberToObject(o, "call_ms", (double)scaled_ms(p, p->s->call_duration_s, 100));
	/* Silence: the group's own, or the test's. */
	const struct scn_silence *quiet = g->has_pause ? &g->pause : &p->s->pause;
	cJSON_AddNumberToObject(o, "pause_at_ms", (double)scaled_ms(p, quiet->at_s, 0));
	cJSON_AddNumberToObject(o, "pause_ms", (double)scaled_ms(p, quiet->duration_s, 0));
	return o;
}

/* Workers in the order of their names, not of their connecting: the same
 * scenario and seed then put each endpoint on the same worker in every run,
 * so what it derives from its worker's seed is the same (a replay). */
static void sort_by_name(const struct platform *p, int *list, int n)
{
	for (int i = 1; i < n; i++)
		for (int k = i;
		     k > 0 && strcmp(p->workers[list[k - 1]].name, p->workers[list[k]].name) > 0;
		     k--) {
			int t = list[k];
			list[k] = list[k - 1];
			list[k - 1] = t;
		}
}

/* The buildup spreads registrations and calls: receivers register in its
 * first 30 % (all of them before anyone dials), callers register over the
 * rest and each dials once registered. With calls shorter than the buildup,
 * about callers x duration / (0.7 x buildup) calls are up at once. A test
 * of callers alone (to the callee pool) spreads them over all of it. */
static int allocate(struct platform *p, cJSON **per_worker)
{
	const struct scenario *s = p->s;
	struct pf_run *r = &p->run;
	long buildup = scaled_ms(p, s->buildup_s, 0);
	int n_recv = 0, n_call = 0, id = 0;
	for (int gi = 0; gi < s->n_groups; gi++)
		*(s->groups[gi].role == SCN_CALLER ? &n_call : &n_recv) += s->groups[gi].endpoints;
	long recv_window = n_recv ? buildup * 3 / 10 : 0, call_window = buildup - recv_window;
	for (int pass = 0; pass < 2; pass++) {
		int nth = 0;
		for (int gi = 0; gi < s->n_groups; gi++) {
			const struct scn_group *g = &s->groups[gi];
			if ((g->role == SCN_CALLER) != (pass == 1))
				continue;
			int list[PF_MAX_WORKERS], n = 0;
			for (int k = 0; k < p->n_workers; k++)
				if (available(&p->workers[k], g->region))
					list[n++] = k;
			if (!n)
				return -1;
			sort_by_name(p, list, n);
			for (int k = 0; k < g->endpoints; k++, id++, nth++) {
				int wi = list[k % n];
				long reg_at = pass == 0 ? recv_window * nth / n_recv
				                        : recv_window + call_window * nth / n_call;
				r->eps[id].worker = wi;
				r->eps[id].group = gi;
				r->eps[id].phase = PHASE_INITIALIZING;
				/* The pool assigns accounts in turn; past its last one an
				 * endpoint has no credentials and is not dispatched. */
				if (k >= g->accounts.count) {
					r->eps[id].no_account = 1;
					continue;
				}
				cJSON *list_json = cJSON_GetObjectItemCaseSensitive(per_worker[wi],
				                                                    "endpoints");
				cJSON_AddItemToArray(list_json,
				                     ep_json(p, id, gi, k, reg_at, reg_at + 100));
				p->workers[wi].n_assigned++;
			}
		}
	}
	return 0;
}

/* Endpoints the account pool had no SIP account for fail at once, as the
 * guide says: REGISTRATION_FAILED without a REGISTER, decided by the
 * platform. */
static void fail_unassigned(struct platform *p)
{
	struct pf_run *r = &p->run;
	for (int i = 0; i < r->n_eps; i++) {
		struct pf_ep *ep = &r->eps[i];
		const struct scn_group *g = &p->s->groups[ep->group];
		if (!ep->no_account || ep->final)
			continue;
		char why[160];
		snprintf(why, sizeof(why),
		         "no SIP account for this endpoint: group \"%s\" has %d accounts for %d "
		         "endpoints",
		         g->name, g->accounts.count, g->endpoints);
		snprintf(ep->user, sizeof(ep->user), "(no account)");
		cJSON *rec = platform_record(p, ep, i, OUTCOME_REGISTRATION_FAILED,
		                             EP_FAIL_NO_ACCOUNT, why);
		ep_final(r, ep, rec);
	}
}

static cJSON *dispatch_message(struct platform *p)
{
	const struct scenario *s = p->s;
	long t1 = scaled_ms(p, 0.5, 5), t1x64 = 64 * t1;
	long buildup = scaled_ms(p, s->buildup_s, 0), call = scaled_ms(p, s->call_duration_s, 100);
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "type", "dispatch");
	cJSON_AddStringToObject(m, "run", p->run.id);
	cJSON_AddNumberToObject(m, "t0_us", (double)p->run.t0_us);
	cJSON_AddNumberToObject(m, "t1_ms", (double)t1);
	cJSON_AddNumberToObject(m, "t1x64_ms", (double)t1x64);
	cJSON_AddNumberToObject(m, "rtcp_ms", (double)scaled_ms(p, 5, 200));
	/* Room for the last call to be set up (INVITE timeout), to last, and to
	 * be hung up. */
	long deadline = buildup + 100 + call + 2 * t1x64 + 1000;
	cJSON_AddNumberToObject(m, "deadline_ms", (double)deadline);
	p->run.deadline_ms = deadline + t1x64 + 5000;
	cJSON_AddStringToObject(m, "tls_dir", p->env.tls_dir);
	cJSON_AddArrayToObject(m, "endpoints");
	return m;
}

/* other: the run is another tenant's (platform_start_other_run), whose
 * allocation the workers' events show without its endpoints. */
static enum run_status start_run(struct platform *p, int other)
{
	struct pf_run *r = &p->run;
	if (!r->id[0])
		snprintf(r->id, sizeof(r->id), "run-%d", (int)getpid());
	r->t0 = sys_now_ns();
	r->t0_us = sys_wall_us();
	set_status(p, RUN_PENDING, "pre-flight checks");
	char why[256];
	if ((r->reason_code = preflight(p, why, sizeof(why)))) {
		snprintf(r->reason, sizeof(r->reason), "%s", why);
		set_status(p, RUN_CANNOT_RUN_FOR_NOW, why);
		return r->status;
	}
	set_status(p, RUN_QUEUED, NULL);
	r->n_eps = scenario_endpoints(p->s);
	r->eps = calloc((size_t)r->n_eps, sizeof(*r->eps));
	cJSON *per_worker[PF_MAX_WORKERS] = {0};
	for (int i = 0; i < p->n_workers; i++) {
		p->workers[i].n_assigned = 0;
		per_worker[i] = dispatch_message(p);
	}
	if (!r->eps || allocate(p, per_worker)) {
		snprintf(r->reason, sizeof(r->reason), "could not allocate the endpoints");
		r->reason_code = RUN_REASON_ALLOCATION_FAILED;
		set_status(p, RUN_FAILED, r->reason);
	} else {
		for (int i = 0; i < p->n_workers; i++) {
			struct pf_worker *w = &p->workers[i];
			if (!w->n_assigned)
				continue;
			w->busy = 1;
			snprintf(w->allocated_to, sizeof(w->allocated_to), "%s", r->id);
			if (wire_send(&w->w, per_worker[i]))
				worker_gone(p, w, WORKER_ERROR, WK_CAUSE_DISPATCH_UNSENT,
				            "the dispatch could not be sent");
			else if (other)
				worker_event(p, w, WK_EVENT_DISPATCHED, WK_CAUSE_NONE,
				             "allocated to run %s (another test run)", r->id);
			else
				worker_event(p, w, WK_EVENT_DISPATCHED, WK_CAUSE_NONE,
				             "dispatched %d endpoints", w->n_assigned);
		}
		set_status(p, RUN_RUNNING, NULL);
		fail_unassigned(p);
	}
	for (int i = 0; i < p->n_workers; i++)
		cJSON_Delete(per_worker[i]);
	return r->status;
}

enum run_status platform_start_run(struct platform *p)
{
	return start_run(p, 0);
}

/* The other run goes through the same pre-flight and allocation as any, on
 * the run slot, which is then handed to p->other; the test's run (still
 * PENDING, untouched) comes back. Its statuses go to its own timeline, not
 * the terminal. */
enum run_status platform_start_other_run(struct platform *p, const struct scenario *other)
{
	const struct scenario *mine = p->s;
	struct pf_run keep = p->run;
	FILE *progress = p->progress;
	memset(&p->run, 0, sizeof(p->run));
	p->run.timeline = cJSON_CreateArray();
	p->run.status = RUN_PENDING;
	snprintf(p->run.id, sizeof(p->run.id), "run-%d-other", (int)getpid());
	p->s = other;
	p->progress = NULL;
	enum run_status st = start_run(p, 1);
	p->other = p->run;
	p->run = keep;
	p->s = mine;
	p->progress = progress;
	/* What the workers were given is the other run's, not the test's. */
	for (int i = 0; i < p->n_workers; i++)
		p->workers[i].n_assigned = 0;
	return st;
}

/* Once every caller is done no INVITE can come any more: receivers still
 * waiting are told, and close with TIMEOUT instead of waiting for the
 * deadline. */
static void calls_over(struct platform *p)
{
	struct pf_run *r = &p->run;
	if (r->calls_over)
		return;
	int callers = 0;
	for (int i = 0; i < r->n_eps; i++) {
		if (p->s->groups[r->eps[i].group].role != SCN_CALLER)
			continue;
		callers++;
		if (!r->eps[i].final)
			return;
	}
	r->calls_over = 1;
	for (int i = 0; callers && i < p->n_workers; i++)
		if (p->workers[i].connected && p->workers[i].busy)
			wire_send_type(&p->workers[i].w, "calls_over", NULL, NULL);
}

int platform_run_over(struct platform *p)
{
	struct pf_run *r = &p->run;
	if (run_status_terminal(r->status))
		return 1;
	if (r->status != RUN_RUNNING && r->status != RUN_STOPPING)
		return 0;
	calls_over(p);
	if (r->n_final < r->n_eps && platform_ms(p) - (r->t0 - p->t0) / 1000000 < r->deadline_ms)
		return 0;
	int missing = r->n_eps - r->n_final;
	for (int i = 0; i < r->n_eps && missing; i++)
		if (!r->eps[i].final)
			ep_lost(p, &r->eps[i], i, EP_FAIL_NO_RESULT,
			        "no result from its worker before the run's deadline");
	if (missing && !r->worker_lost) {
		r->worker_lost = 1;
		r->reason_code = RUN_REASON_TIMEOUT;
		snprintf(r->reason, sizeof(r->reason),
		         "%d endpoints had no result from their worker before the deadline",
		         missing);
	}
	progress(p);
	char note[128] = "";
	if (r->stopped)
		snprintf(note, sizeof(note), "stopped by the user");
	set_status(p, r->worker_lost ? RUN_FAILED : RUN_COMPLETED,
	           r->worker_lost ? r->reason : note);
	return 1;
}

void platform_stop_run(struct platform *p)
{
	struct pf_run *r = &p->run;
	if (r->status != RUN_RUNNING)
		return;
	r->stopped = 1;
	set_status(p, RUN_STOPPING, "stopped by the user: hanging up");
	for (int i = 0; i < p->n_workers; i++)
		if (p->workers[i].connected && p->workers[i].busy)
			wire_send_type(&p->workers[i].w, "stop", NULL, NULL);
}

void platform_release(struct platform *p, int timeout_ms)
{
	for (int i = 0; i < p->n_workers; i++)
		if (p->workers[i].connected && p->workers[i].busy)
			wire_send_type(&p->workers[i].w, "release", NULL, NULL);
	long long end = sys_now_ns() + (long long)timeout_ms * 1000000;
	for (;;) {
		int waiting = 0;
		for (int i = 0; i < p->n_workers; i++)
			waiting += p->workers[i].connected && p->workers[i].busy;
		if (!waiting || sys_now_ns() > end)
			break;
		platform_poll(p, 50);
	}
}

void platform_shutdown(struct platform *p)
{
	for (int i = 0; i < p->n_workers; i++)
		if (p->workers[i].connected)
			wire_send_type(&p->workers[i].w, "shutdown", NULL, NULL);
}

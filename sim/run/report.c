/* report.c — report.json and the terminal summary (see report.h). */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/codes.h"
#include "../../lib/jsonv.h"
#include "../../lib/siplab.h"

static void count(cJSON *counts, const char *outcome)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(counts, outcome);
	if (c)
		cJSON_SetNumberValue(c, c->valuedouble + 1);
	else
		cJSON_AddNumberToObject(counts, outcome, 1);
}

static const char *record_outcome(const cJSON *rec)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(rec, "outcome");
	return cJSON_IsString(o) ? o->valuestring : "null";
}

static cJSON *by_key(cJSON *parent, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);
	return o ? o : cJSON_AddObjectToObject(parent, key);
}

/* MOS and counters over every stream that ran. */
static cJSON *media_totals(const cJSON *endpoints)
{
	double mos_min = 5, mos_sum = 0, loss_max = 0, jitter_max = 0;
	int streams = 0, scored = 0, silent = 0;
	const cJSON *rec;
	cJSON_ArrayForEach (rec, endpoints) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(rec, "media");
		const cJSON *rx = cJSON_GetObjectItemCaseSensitive(m, "received");
		if (!cJSON_IsObject(rx))
			continue;
		streams++;
		const cJSON *mos = cJSON_GetObjectItemCaseSensitive(rx, "mos");
		const cJSON *pk = cJSON_GetObjectItemCaseSensitive(rx, "packets");
		const cJSON *loss = cJSON_GetObjectItemCaseSensitive(rx, "loss_pct");
		const cJSON *jit = cJSON_GetObjectItemCaseSensitive(rx, "jitter_ms");
		silent += cJSON_IsNumber(pk) && pk->valuedouble == 0;
		if (cJSON_IsNumber(mos)) {
			scored++;
			mos_sum += mos->valuedouble;
			mos_min = mos->valuedouble < mos_min ? mos->valuedouble : mos_min;
		}
		if (cJSON_IsNumber(loss) && loss->valuedouble > loss_max)
			loss_max = loss->valuedouble;
		if (cJSON_IsNumber(jit) && jit->valuedouble > jitter_max)
			jitter_max = jit->valuedouble;
	}
	cJSON *t = cJSON_CreateObject();
	cJSON_AddNumberToObject(t, "streams", streams);
	cJSON_AddNumberToObject(t, "streams_receiving_nothing", silent);
	if (scored) {
		cJSON_AddNumberToObject(t, "received_mos_min", mos_min);
		cJSON_AddNumberToObject(t, "received_mos_avg", mos_sum / scored);
	}
	cJSON_AddNumberToObject(t, "received_loss_pct_max", loss_max);
	cJSON_AddNumberToObject(t, "received_jitter_ms_max", jitter_max);
	return t;
}

/* The workers provisioned for the account (their tokens issued) that never
 * said hello: the Workers page lists them OFFLINE, never seen. */
static void add_never_seen(const struct platform *p, cJSON *a)
{
	for (int i = 0; i < p->n_provisioned; i++) {
		int seen = 0;
		for (int k = 0; k < p->n_workers && !seen; k++)
			seen = !strcmp(p->workers[k].name, p->provisioned[i].name);
		if (seen)
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", p->provisioned[i].name);
		cJSON_AddStringToObject(o, "region", p->provisioned[i].region);
		cJSON_AddStringToObject(o, "address", "");
		cJSON_AddStringToObject(o, "status", worker_status_name(WORKER_OFFLINE));
		cJSON_AddBoolToObject(o, "never_seen", 1);
		cJSON_AddNumberToObject(o, "endpoints", 0);
		cJSON_AddNumberToObject(o, "rss_idle_kb", 0);
		cJSON_AddItemToObject(o, "events", cJSON_CreateArray());
		cJSON_AddItemToObject(o, "sip_stack_events", cJSON_CreateArray());
		cJSON_AddNumberToObject(o, "sip_stack_events_dropped", 0);
		cJSON_AddNumberToObject(o, "sip_unparsed_messages", 0);
		cJSON_AddItemToObject(o, "resources", cJSON_CreateArray());
		cJSON_AddItemToObject(o, "probes", cJSON_CreateNull());
		cJSON_AddItemToArray(a, o);
	}
}

static cJSON *workers_json(const struct platform *p)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < p->n_workers; i++) {
		const struct pf_worker *w = &p->workers[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", w->name);
		cJSON_AddStringToObject(o, "region", w->region);
		cJSON_AddStringToObject(o, "address", w->address);
		cJSON_AddStringToObject(o, "status", worker_status_name(w->status));
		/* Held by another run of the account when this one came, as the
		 * Workers page shows it: the run, not its endpoints. */
		if (w->allocated_to[0] && strcmp(w->allocated_to, p->run.id))
			cJSON_AddStringToObject(o, "allocated_to", w->allocated_to);
		cJSON_AddNumberToObject(o, "endpoints", w->n_assigned);
		cJSON_AddNumberToObject(o, "rss_idle_kb", (double)w->rss_idle_kb);
		cJSON_AddItemToObject(o, "events", cJSON_Duplicate(w->events, 1));
		cJSON_AddItemToObject(o, "sip_stack_events",
		                      w->sip_events ? cJSON_Duplicate(w->sip_events, 1)
		                                    : cJSON_CreateArray());
		cJSON_AddNumberToObject(o, "sip_stack_events_dropped",
		                        (double)w->sip_events_dropped);
		cJSON_AddNumberToObject(o, "sip_unparsed_messages", (double)w->sip_unparsed);
		cJSON_AddItemToObject(o, "resources",
		                      w->resources ? cJSON_Duplicate(w->resources, 1)
		                                   : cJSON_CreateArray());
		/* What the worker's registrar probes found (regprobe.c), null when
		 * everything registered. */
		cJSON_AddItemToObject(o, "probes",
		                      w->probes ? cJSON_Duplicate(w->probes, 1)
		                                : cJSON_CreateNull());
		cJSON_AddItemToArray(a, o);
	}
	add_never_seen(p, a);
	return a;
}

/* From the first status to the last (terminal) one. */
static long long run_duration_ms(const struct pf_run *r)
{
	int n = cJSON_GetArraySize(r->timeline);
	if (n < 1)
		return 0;
	const cJSON *first = cJSON_GetArrayItem(r->timeline, 0);
	const cJSON *last = cJSON_GetArrayItem(r->timeline, n - 1);
	return (long long)(cJSON_GetObjectItemCaseSensitive(last, "t_ms")->valuedouble -
	                   cJSON_GetObjectItemCaseSensitive(first, "t_ms")->valuedouble);
}

/* What a customer sets on a hosted platform when they configure a test. The
 * rest of a scenario (its name and description, the fault, what is expected,
 * the remedy, the time scale, the lab's far side, workers and actions) is the
 * lab's answer key: it goes to lab.json, never here, so the diagnosis cannot
 * read it even by accident. */
static const char *const customer_fields[] = {
        "region", "buildup_s", "call_duration_s", "groups", "plan", "silence", NULL};

static cJSON *test_config(const char *scenario_json)
{
	cJSON *all = scenario_json ? cJSON_Parse(scenario_json) : NULL;
	cJSON *test = cJSON_CreateObject();
	for (int i = 0; all && customer_fields[i]; i++) {
		cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(all, customer_fields[i]);
		if (v)
			cJSON_AddItemToObject(test, customer_fields[i], v);
	}
	cJSON_Delete(all);
	return test;
}

/* --- the lab's clock to the scenario's ---------------------------------------------------- */

/* A run under time_scale 0.1 lasts a tenth of the scenario's time: every
 * clock reading it records (t_ms, times_ms, pdd_ms, duration_ms) is
 * stretched back by 1/time_scale, so a report reads in the scenario's time
 * and the diagnosis needs no time scale. What the media measured (jitter,
 * RTT) and CPU time ran at real speed and stay, and so does t_us: the lab's
 * own clock since the report's t0, to line up with the far side's logs. */
static void stretch(cJSON *o, const char *key, double k)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsNumber(v))
		cJSON_SetNumberValue(v, (double)(long long)(v->valuedouble * k + 0.5));
}

static void stretch_each(cJSON *array, const char *key, double k)
{
	cJSON *it;
	cJSON_ArrayForEach (it, array)
		stretch(it, key, k);
}

static void stretch_endpoint(cJSON *rec, double k)
{
	cJSON *t, *times = cJSON_GetObjectItemCaseSensitive(rec, "times_ms");
	cJSON_ArrayForEach (t, times)
		stretch(times, t->string, k);
	stretch(rec, "pdd_ms", k);
	stretch_each(cJSON_GetObjectItemCaseSensitive(rec, "trace"), "t_ms", k);
}

static void stretch_worker(cJSON *w, double k)
{
	stretch_each(cJSON_GetObjectItemCaseSensitive(w, "events"), "t_ms", k);
	stretch_each(cJSON_GetObjectItemCaseSensitive(w, "resources"), "t_ms", k);
	stretch_each(cJSON_GetObjectItemCaseSensitive(w, "sip_stack_events"), "t_ms", k);
	stretch(cJSON_GetObjectItemCaseSensitive(w, "probes"), "t_ms", k);
}

cJSON *report_build(const struct platform *p, const char *scenario_json)
{
	const struct pf_run *r = &p->run;
	double k = scenario_stretch(p->s);
	cJSON *rep = cJSON_CreateObject();
	cJSON_AddStringToObject(rep, "siplab", SIPLAB_VERSION);
	cJSON_AddStringToObject(rep, "report_schema", "docs/report.md");
	cJSON_AddNumberToObject(rep, "schema_version", REPORT_SCHEMA_VERSION);
	/* The run's seed: `siplab run --seed` with it replays the run's numbers. */
	cJSON_AddNumberToObject(rep, "seed", (double)p->s->seed.value);
	/* The run's start, wall clock in microseconds: every t_us counts from it. */
	cJSON_AddNumberToObject(rep, "t0", (double)r->t0_us);
	cJSON_AddItemToObject(rep, "test", test_config(scenario_json));
	cJSON *run = cJSON_AddObjectToObject(rep, "run");
	cJSON_AddStringToObject(run, "id", r->id);
	cJSON_AddStringToObject(run, "status", run_status_name(r->status));
	if (r->reason[0])
		cJSON_AddStringToObject(run, "reason", r->reason);
	if (r->reason_code != RUN_REASON_NONE)
		cJSON_AddStringToObject(run, "reason_code", run_reason_name(r->reason_code));
	cJSON_AddBoolToObject(run, "stopped_by_user", r->stopped);
	cJSON_AddNumberToObject(run, "duration_ms", (double)run_duration_ms(r));
	stretch(run, "duration_ms", k);
	cJSON_AddItemToObject(run, "timeline", cJSON_Duplicate(r->timeline, 1));
	stretch_each(cJSON_GetObjectItemCaseSensitive(run, "timeline"), "t_ms", k);
	cJSON *ws = workers_json(p), *w;
	cJSON_ArrayForEach (w, ws)
		stretch_worker(w, k);
	cJSON_AddItemToObject(rep, "workers", ws);
	cJSON *eps = cJSON_AddArrayToObject(rep, "endpoints");
	cJSON *totals = cJSON_AddObjectToObject(rep, "totals");
	cJSON_AddNumberToObject(totals, "endpoints", r->n_eps);
	cJSON *outcomes = cJSON_AddObjectToObject(totals, "outcomes");
	cJSON *groups = cJSON_AddObjectToObject(totals, "by_group");
	cJSON *workers = cJSON_AddObjectToObject(totals, "by_worker");
	for (int i = 0; i < r->n_eps; i++) {
		const struct pf_ep *ep = &r->eps[i];
		cJSON *rec = ep->record ? cJSON_Duplicate(ep->record, 1) : NULL;
		if (!rec) {
			/* Never reported (the run did not get that far). */
			rec = cJSON_CreateObject();
			cJSON_AddNumberToObject(rec, "id", i);
			cJSON_AddStringToObject(rec, "group", p->s->groups[ep->group].name);
			cJSON_AddStringToObject(rec, "user", ep->user);
			cJSON_AddStringToObject(rec, "phase", phase_name(ep->phase));
			cJSON_AddNullToObject(rec, "outcome");
		}
		stretch_endpoint(rec, k);
		const char *o = record_outcome(rec);
		count(outcomes, o);
		count(by_key(groups, p->s->groups[ep->group].name), o);
		count(by_key(workers, p->workers[ep->worker].name), o);
		cJSON_AddItemToArray(eps, rec);
	}
	cJSON_AddItemToObject(totals, "media", media_totals(eps));
	return rep;
}

/* What the customer's host shows of each worker's container once it ended,
 * the way `docker inspect` shows State.ExitCode and State.OOMKilled: the
 * exit code (128 + the signal when killed), the signal, and whether the
 * kernel's OOM killer did it. A hosted platform does not see this; a customer
 * who runs the worker can look it up, so it is kept apart from the platform's
 * evidence, and the diagnosis takes it as corroboration only. */
void report_add_host(cJSON *rep, const struct platform *p, const struct report_host_end *ends,
                     int n)
{
	cJSON *host = cJSON_AddObjectToObject(rep, "host");
	cJSON *ws = cJSON_AddArrayToObject(host, "workers");
	double k = scenario_stretch(p->s);
	for (int i = 0; i < n; i++) {
		const struct report_host_end *x = &ends[i];
		if (!x->name[0])
			continue;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", x->name);
		cJSON_AddNumberToObject(o, "t_ms", (double)x->lab_ms);
		stretch(o, "t_ms", k);
		if (x->st.exited || x->st.signaled)
			cJSON_AddNumberToObject(o, "exit_code",
			                        x->st.exited ? x->st.code : 128 + x->st.sig);
		else
			cJSON_AddNullToObject(o, "exit_code");
		if (x->st.signaled)
			cJSON_AddNumberToObject(o, "signal", x->st.sig);
		else
			cJSON_AddNullToObject(o, "signal");
		cJSON_AddBoolToObject(o, "oom_killed", x->st.oom_killed);
		cJSON_AddItemToArray(ws, o);
	}
}

int report_write(const cJSON *report, const char *path, err_t *e)
{
	return jv_write_tree(report, path, e);
}

int report_unstarted(const char *path, const char *scenario_json, const char *why, err_t *e)
{
	cJSON *rep = cJSON_CreateObject();
	cJSON_AddStringToObject(rep, "siplab", SIPLAB_VERSION);
	cJSON_AddStringToObject(rep, "report_schema", "docs/report.md");
	cJSON_AddNumberToObject(rep, "schema_version", REPORT_SCHEMA_VERSION);
	cJSON_AddItemToObject(rep, "test", test_config(scenario_json));
	cJSON *run = cJSON_AddObjectToObject(rep, "run");
	cJSON_AddStringToObject(run, "status", run_status_name(RUN_FAILED));
	cJSON_AddStringToObject(run, "reason", why);
	/* A run that never started: only the infrastructure can have failed. */
	cJSON_AddStringToObject(run, "reason_code",
	                        run_reason_name(RUN_REASON_INFRASTRUCTURE_FAILED));
	cJSON_AddItemToObject(run, "timeline", cJSON_CreateArray());
	cJSON_AddItemToObject(rep, "workers", cJSON_CreateArray());
	cJSON_AddItemToObject(rep, "endpoints", cJSON_CreateArray());
	cJSON *totals = cJSON_AddObjectToObject(rep, "totals");
	cJSON_AddNumberToObject(totals, "endpoints", 0);
	cJSON_AddItemToObject(totals, "outcomes", cJSON_CreateObject());
	int rc = report_write(rep, path, e);
	cJSON_Delete(rep);
	return rc;
}

static void print_counts(FILE *f, const cJSON *counts)
{
	const cJSON *c;
	const char *sep = "";
	cJSON_ArrayForEach (c, counts) {
		fprintf(f, "%s%s %d", sep, c->string, (int)c->valuedouble);
		sep = ", ";
	}
	fprintf(f, "\n");
}

static void print_failures(FILE *f, const cJSON *eps)
{
	const cJSON *rec;
	int shown = 0, failed = 0;
	cJSON_ArrayForEach (rec, eps) {
		const char *o = record_outcome(rec);
		if (!strcmp(o, "SUCCESS") || !strcmp(o, "COMPLETED_WITH_WARNINGS"))
			continue;
		failed++;
		if (shown++ >= 5)
			continue;
		const cJSON *u = cJSON_GetObjectItemCaseSensitive(rec, "user");
		const cJSON *ph = cJSON_GetObjectItemCaseSensitive(rec, "phase_reached");
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(rec, "sip_code");
		const cJSON *src = cJSON_GetObjectItemCaseSensitive(rec, "sip_code_source");
		const cJSON *why = cJSON_GetObjectItemCaseSensitive(rec, "reason");
		if (!ph)
			ph = cJSON_GetObjectItemCaseSensitive(rec, "phase");
		fprintf(f, "    %-10s %s", cJSON_IsString(u) ? u->valuestring : "?", o);
		if (cJSON_IsNumber(code))
			fprintf(f, " %d (%s)", code->valueint,
			        cJSON_IsString(src) ? src->valuestring : "?");
		fprintf(f, " in %s: %s\n", cJSON_IsString(ph) ? ph->valuestring : "?",
		        cJSON_IsString(why) ? why->valuestring : "no reason recorded");
	}
	if (failed > 5)
		fprintf(f, "    ... and %d more (see the report)\n", failed - 5);
}

void report_summary(const cJSON *rep, const char *name, FILE *f)
{
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(rep, "run");
	const cJSON *totals = cJSON_GetObjectItemCaseSensitive(rep, "totals");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(run, "status");
	const cJSON *why = cJSON_GetObjectItemCaseSensitive(run, "reason");
	const cJSON *dur = cJSON_GetObjectItemCaseSensitive(run, "duration_ms");
	fprintf(f, "\nrun of \"%s\": %s after %.1f s (scenario time)%s%s\n", name ? name : "?",
	        cJSON_IsString(st) ? st->valuestring : "?",
	        cJSON_IsNumber(dur) ? dur->valuedouble / 1000 : 0, cJSON_IsString(why) ? " — " : "",
	        cJSON_IsString(why) ? why->valuestring : "");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(totals, "endpoints");
	fprintf(f, "  endpoints %d: ", cJSON_IsNumber(n) ? n->valueint : 0);
	print_counts(f, cJSON_GetObjectItemCaseSensitive(totals, "outcomes"));
	const cJSON *g;
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(totals, "by_group")) {
		fprintf(f, "    group %-12s ", g->string);
		print_counts(f, g);
	}
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(totals, "media");
	const cJSON *streams = cJSON_GetObjectItemCaseSensitive(m, "streams");
	const cJSON *mmin = cJSON_GetObjectItemCaseSensitive(m, "received_mos_min");
	const cJSON *mavg = cJSON_GetObjectItemCaseSensitive(m, "received_mos_avg");
	const cJSON *silent = cJSON_GetObjectItemCaseSensitive(m, "streams_receiving_nothing");
	if (cJSON_IsNumber(streams) && streams->valueint > 0)
		fprintf(f,
		        "  media: %d streams, %d received nothing; received MOS min %.2f, avg "
		        "%.2f; "
		        "loss max %.1f %%, jitter max %.1f ms\n",
		        streams->valueint, cJSON_IsNumber(silent) ? silent->valueint : 0,
		        cJSON_IsNumber(mmin) ? mmin->valuedouble : 0,
		        cJSON_IsNumber(mavg) ? mavg->valuedouble : 0,
		        cJSON_GetObjectItemCaseSensitive(m, "received_loss_pct_max")->valuedouble,
		        cJSON_GetObjectItemCaseSensitive(m, "received_jitter_ms_max")->valuedouble);
	print_failures(f, cJSON_GetObjectItemCaseSensitive(rep, "endpoints"));
}

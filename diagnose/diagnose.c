/* diagnose.c — read the evidence out of a report, let every rule judge it, and
 * rank what fits (see diagnose.h). */
#define _GNU_SOURCE
#include "diagnose.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static double num(const cJSON *o, const char *k, double dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

void dx_say(struct dx_finding *f, const char *fmt, ...)
{
	if (f->n_evidence == DX_MAX_EVIDENCE)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->evidence[f->n_evidence++], sizeof(f->evidence[0]), fmt, ap);
	va_end(ap);
}

int dx_count(const struct dx_evidence *ev, const char *outcome)
{
	int n = 0;
	for (int i = 0; i < ev->n; i++)
		n += !strcmp(ev->eps[i].outcome, outcome);
	return n;
}

double dx_share(int a, int b)
{
	return b ? (double)a / b : 0;
}

int dx_failed(const struct dx_ep *e)
{
	return *e->outcome && strcmp(e->outcome, "SUCCESS") &&
	       strcmp(e->outcome, "COMPLETED_WITH_WARNINGS");
}

/* The user part of a SIP URI: "sip:ep0001@lab" -> "ep0001" (n characters). */
static const char *uri_user(const char *uri, size_t *n)
{
	const char *u = strchr(uri, ':');
	if (!u)
		return NULL;
	*n = strcspn(++u, "@");
	return u;
}

const struct dx_ep *dx_far_end(const struct dx_evidence *ev, const struct dx_ep *e)
{
	size_t n;
	if (e->caller) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e->rec, "target");
		const char *user = cJSON_IsString(t) ? uri_user(t->valuestring, &n) : NULL;
		for (int i = 0; user && i < ev->n; i++)
			if (!ev->eps[i].caller && strlen(ev->eps[i].user) == n &&
			    !strncmp(ev->eps[i].user, user, n))
				return &ev->eps[i];
		return NULL;
	}
	for (int i = 0; i < ev->n; i++) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev->eps[i].rec, "target");
		const char *user = cJSON_IsString(t) ? uri_user(t->valuestring, &n) : NULL;
		if (ev->eps[i].caller && user && strlen(e->user) == n && !strncmp(e->user, user, n))
			return &ev->eps[i];
	}
	return NULL;
}

int dx_lost_after_pause(const struct dx_evidence *ev, const struct dx_ep *e)
{
	if (e->before_pause <= 0 || e->since_pause != 0)
		return 0;
	const struct dx_ep *far = dx_far_end(ev, e);
	return far && far->sent_after_pause > 0;
}

/* --- what a trace shows ------------------------------------------------------------- */

/* The value of header `name` in a message's text, up to the end of line. */
static int header(const char *msg, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	for (const char *l = msg; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncasecmp(l, name, n) && l[n] == ':') {
			const char *v = l + n + 1;
			while (*v == ' ')
				v++;
			snprintf(out, cap, "%.*s", (int)strcspn(v, "\r\n"), v);
			return 1;
		}
	return 0;
}

/* The codec names an SDP offers, in its order: "opus PCMU". */
static void sdp_codecs(const char *msg, char *out, size_t cap)
{
	const char *m = strstr(msg, "m=audio ");
	out[0] = '\0';
	if (!m)
		return;
	char line[160];
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(m, "\r\n"), m);
	size_t n = 0;
	char *save = NULL, *t = strtok_r(line, " ", &save);
	for (int k = 0; t; t = strtok_r(NULL, " ", &save), k++) {
		if (k < 3)
			continue; /* m=audio, port, profile */
		char key[32], name[32] = "";
		snprintf(key, sizeof(key), "a=rtpmap:%s ", t);
		const char *r = strstr(msg, key);
		if (r)
			sscanf(r + strlen(key), "%31[^/]", name);
		else
			snprintf(name, sizeof(name), "%s",
			         !strcmp(t, "0")   ? "PCMU"
			         : !strcmp(t, "8") ? "PCMA"
			         : !strcmp(t, "9") ? "G722"
			                           : t);
		n += (size_t)snprintf(out + n, cap > n ? cap - n : 0, "%s%s", n ? " " : "", name);
	}
}

/* Via of a REGISTER's answer: the sent-by host and port, and what the
 * registrar saw (received=, rport=). */
static void via_facts(const char *msg, struct dx_ep *e)
{
	char via[256];
	if (!header(msg, "Via", via, sizeof(via)) && !header(msg, "v", via, sizeof(via)))
		return;
	const char *sp = strchr(via, ' ');
	if (sp)
		sscanf(sp + 1, "%63[^:;]:%d", e->via_host, &e->via_port);
	const char *r = strstr(via, "received=");
	if (r)
		sscanf(r + 9, "%63[^;, ]", e->received);
	const char *p = strstr(via, "rport=");
	if (p)
		e->rport = atoi(p + 6);
}

static void trace_facts(const cJSON *trace, struct dx_ep *e)
{
	const cJSON *t;
	cJSON_ArrayForEach (t, trace) {
		const char *dir = str(t, "dir"), *first = str(t, "first_line"),
		           *text = str(t, "text");
		int sent = !strcmp(dir, "send");
		char cseq[64] = "";
		header(text, "CSeq", cseq, sizeof(cseq));
		e->sent_any |= sent;
		e->recv_any |= !sent;
		if (sent && !strncmp(first, "REGISTER ", 9))
			e->reg_sent++;
		if (!sent && !strncmp(first, "SIP/2.0 ", 8) && strstr(cseq, "REGISTER")) {
			e->reg_answered++;
			char ra[32];
			if (header(text, "Retry-After", ra, sizeof(ra)))
				e->retry_after = atoi(ra);
			if (atoi(first + 8) == 200 && !e->via_host[0])
				via_facts(text, e);
		}
		if (!strncmp(first, "INVITE ", 7) && strstr(text, "m=audio")) {
			if (sent && !e->offer_sent[0]) {
				sdp_codecs(text, e->offer_sent, sizeof(e->offer_sent));
				char c[96];
				const char *cl = strstr(text, "c=IN IP4 ");
				if (cl && sscanf(cl + 9, "%63s", c) == 1)
					snprintf(e->sdp_addr, sizeof(e->sdp_addr), "%s", c);
			} else if (!sent && !e->offer_seen) {
				e->offer_seen = 1;
				sdp_codecs(text, e->offer_received, sizeof(e->offer_received));
			}
		}
	}
}

static void endpoint_facts(const cJSON *rec, struct dx_ep *e)
{
	memset(e, 0, sizeof(*e));
	e->rec = rec;
	e->user = str(rec, "user");
	e->group = str(rec, "group");
	e->worker = str(rec, "worker");
	e->outcome = str(rec, "outcome");
	e->phase_reached = str(rec, "phase_reached");
	if (!*e->phase_reached)
		e->phase_reached = str(rec, "phase");
	e->reason = str(rec, "reason");
	e->code = (int)num(rec, "sip_code", 0);
	e->code_local = !strcmp(str(rec, "sip_code_source"), "local");
	e->caller = cJSON_GetObjectItemCaseSensitive(rec, "target") != NULL;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "times_ms");
	e->registered = cJSON_GetObjectItemCaseSensitive(t, "registered") != NULL;
	e->t_register = num(t, "register", -1);
	trace_facts(cJSON_GetObjectItemCaseSensitive(rec, "trace"), e);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(rec, "media");
	e->media = cJSON_IsObject(m);
	e->rx = num(cJSON_GetObjectItemCaseSensitive(m, "received"), "packets", 0);
	e->tx = num(cJSON_GetObjectItemCaseSensitive(m, "sent"), "packets", 0);
	e->before_pause = num(m, "received_before_pause", -1);
	e->since_pause = num(m, "received_since_pause", -1);
	e->sent_after_pause = num(m, "sent_after_pause", -1);
}

static void worker_facts(const cJSON *w, struct dx_evidence *ev)
{
	struct dx_worker *x = &ev->workers[ev->n_workers++];
	memset(x, 0, sizeof(*x));
	x->name = str(w, "name");
	x->status = str(w, "status");
	x->endpoints = num(w, "endpoints", 0);
	ev->online_workers += !strcmp(x->status, "ONLINE");
	const cJSON *e, *s;
	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(w, "events")) {
		const char *what = str(e, "event");
		if (strstr(what, "OFFLINE") && !x->lost) {
			x->lost = 1;
			x->lost_t = num(e, "t_ms", 0);
		}
	}
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(w, "resources")) {
		double rss = num(s, "rss_kb", -1);
		if (rss <= 0)
			continue;
		if (!x->samples++)
			x->first_rss_kb = rss;
		x->last_rss_kb = rss;
	}
	/* The SIP stack's events, by kind and cause: the network refused a
	 * message (an ICMP error, a refused connection), or the resolver failed. */
	cJSON_ArrayForEach (s, cJSON_GetObjectItemCaseSensitive(w, "sip_stack_events")) {
		const char *kind = str(s, "kind"), *cause = str(s, "cause");
		char said[160];
		snprintf(said, sizeof(said), "%s from %s at %.0f ms", cause,
		         *str(s, "peer") ? str(s, "peer") : "?", num(s, "t_ms", 0));
		if (!strcmp(kind, "transport_error") &&
		    (!strncmp(cause, "icmp_", 5) || !strcmp(cause, "connection_refused"))) {
			if (!ev->icmp_events++)
				snprintf(ev->first_icmp, sizeof(ev->first_icmp), "%s", said);
		}
		if (!strcmp(kind, "dns_error")) {
			if (!ev->dns_events++)
				snprintf(ev->first_dns, sizeof(ev->first_dns), "%s", said);
		}
	}
}

static int evidence_read(const cJSON *rep, struct dx_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->report = rep;
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(rep, "run");
	ev->status = str(run, "status");
	ev->reason = str(run, "reason");
	const cJSON *eps = cJSON_GetObjectItemCaseSensitive(rep, "endpoints"), *e;
	ev->eps = calloc((size_t)cJSON_GetArraySize(eps) + 1, sizeof(*ev->eps));
	if (!ev->eps)
		return -1;
	cJSON_ArrayForEach (e, eps)
		endpoint_facts(e, &ev->eps[ev->n++]);
	const cJSON *w;
	cJSON_ArrayForEach (w, cJSON_GetObjectItemCaseSensitive(rep, "workers"))
		if (ev->n_workers < 64)
			worker_facts(w, ev);
	return 0;
}

/* --- ranking and output ------------------------------------------------------------ */

/* Best fit first; equal fits in the guide's order, so a ranking never
 * depends on how qsort happens to order equals. */
static int by_score(const void *a, const void *b)
{
	const struct dx_finding *x = a, *y = b;
	if (x->score != y->score)
		return y->score - x->score;
	return x->order - y->order;
}

const struct dx_rule *const dx_sections[] = {
        dx_rules_allocation,
        dx_rules_workers,
        dx_rules_registration,
        dx_rules_negotiation,
        dx_rules_call,
        dx_rules_media,
        NULL,
};

/* Every rule that fits, in found[] (room for every rule); returns how many. */
static int judge(const struct dx_evidence *ev, struct dx_finding *found)
{
	int n = 0, order = 0;
	for (int s = 0; dx_sections[s]; s++)
		for (const struct dx_rule *r = dx_sections[s]; r->code; r++) {
			struct dx_finding *f = &found[n];
			memset(f, 0, sizeof(*f));
			f->rule = r;
			f->order = order++;
			f->score = r->match(ev, f);
			n += f->score > 0;
		}
	return n;
}

void dx_rank(struct dx_finding *found, int n)
{
	if (n > 1)
		qsort(found, (size_t)n, sizeof(*found), by_score);
}

static int count_rules(void)
{
	int n = 0;
	for (int s = 0; dx_sections[s]; s++)
		for (const struct dx_rule *r = dx_sections[s]; r->code; r++)
			n++;
	return n;
}

/* What the report shows, for a reader when no rule fits. */
static cJSON *what_was_seen(const struct dx_evidence *ev)
{
	cJSON *saw = cJSON_CreateArray();
	char line[256];
	snprintf(line, sizeof(line), "run %s with %d endpoints%s%s", ev->status, ev->n,
	         *ev->reason ? ": " : "", ev->reason);
	cJSON_AddItemToArray(saw, cJSON_CreateString(line));
	const cJSON *outs = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(ev->report, "totals"), "outcomes");
	char *o = outs ? cJSON_PrintUnformatted(outs) : NULL;
	snprintf(line, sizeof(line), "outcomes %s", o ? o : "{}");
	free(o);
	cJSON_AddItemToArray(saw, cJSON_CreateString(line));
	for (int i = 0, shown = 0; i < ev->n && shown < 3; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!dx_failed(e) && strcmp(e->outcome, "COMPLETED_WITH_WARNINGS"))
			continue;
		snprintf(line, sizeof(line), "%s (%s): %s in %s, SIP %d (%s): %s", e->user,
		         e->group, e->outcome, e->phase_reached, e->code,
		         e->code_local ? "local" : "wire", e->reason);
		cJSON_AddItemToArray(saw, cJSON_CreateString(line));
		shown++;
	}
	return saw;
}

/* A run needs a diagnosis when it did not complete, an endpoint did not
 * succeed, or the media shows audio lost that the endpoints themselves
 * could not see (only the two ends together show it). */
/* The guide's first question: all endpoints or some — and which: by group,
 * by worker, by time. */
static cJSON *scope(const struct dx_evidence *ev)
{
	cJSON *s = cJSON_CreateObject();
	cJSON *groups = cJSON_AddObjectToObject(s, "failed_by_group");
	cJSON *workers = cJSON_AddObjectToObject(s, "failed_by_worker");
	int failed = 0;
	double first = -1, last = -1;
	for (int i = 0; i < ev->n; i++) {
		const struct dx_ep *e = &ev->eps[i];
		if (!dx_failed(e))
			continue;
		failed++;
		cJSON *g = cJSON_GetObjectItemCaseSensitive(groups, e->group);
		cJSON *w = cJSON_GetObjectItemCaseSensitive(workers, e->worker);
		if (g)
			cJSON_SetNumberValue(g, g->valuedouble + 1);
		else
			cJSON_AddNumberToObject(groups, e->group, 1);
		if (w)
			cJSON_SetNumberValue(w, w->valuedouble + 1);
		else
			cJSON_AddNumberToObject(workers, e->worker, 1);
		if (e->t_register >= 0 && (first < 0 || e->t_register < first))
			first = e->t_register;
		if (e->t_register > last)
			last = e->t_register;
	}
	cJSON_AddNumberToObject(s, "failed", failed);
	cJSON_AddStringToObject(s, "which", !failed ? "none" : failed == ev->n ? "all" : "some");
	if (first >= 0) {
		cJSON_AddNumberToObject(s, "failed_started_from_ms", first);
		cJSON_AddNumberToObject(s, "failed_started_until_ms", last);
	}
	return s;
}

static int anything_wrong(const struct dx_evidence *ev)
{
	if (strcmp(ev->status, "COMPLETED"))
		return 1;
	for (int i = 0; i < ev->n; i++)
		if (strcmp(ev->eps[i].outcome, "SUCCESS") || dx_lost_after_pause(ev, &ev->eps[i]))
			return 1;
	return 0;
}

cJSON *diagnose(const cJSON *report)
{
	struct dx_evidence ev;
	cJSON *d = cJSON_CreateObject();
	if (evidence_read(report, &ev)) {
		cJSON_AddStringToObject(d, "error", "out of memory");
		return d;
	}
	cJSON_AddStringToObject(d, "status", ev.status);
	cJSON_AddNumberToObject(d, "endpoints", ev.n);
	cJSON_AddItemToObject(d, "scope", scope(&ev));
	cJSON *list = cJSON_AddArrayToObject(d, "findings");
	struct dx_finding *found = calloc((size_t)count_rules(), sizeof(*found));
	int n = found && anything_wrong(&ev) ? judge(&ev, found) : 0;
	if (found)
		dx_rank(found, n);
	for (int i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "code", found[i].rule->code);
		cJSON_AddNumberToObject(o, "score", found[i].score);
		cJSON_AddStringToObject(o, "branch", found[i].rule->branch);
		cJSON *evs = cJSON_AddArrayToObject(o, "evidence");
		for (int k = 0; k < found[i].n_evidence; k++)
			cJSON_AddItemToArray(evs, cJSON_CreateString(found[i].evidence[k]));
		cJSON_AddStringToObject(o, "resolution", found[i].rule->resolution);
		cJSON_AddItemToArray(list, o);
	}
	cJSON_AddBoolToObject(d, "unexplained", anything_wrong(&ev) && n == 0);
	cJSON_AddItemToObject(d, "saw", what_was_seen(&ev));
	free(found);
	free(ev.eps);
	return d;
}

const char *diagnose_top(const cJSON *d)
{
	const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "findings"), 0);
	if (first)
		return str(first, "code");
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "unexplained")) ? "unexplained"
	                                                                        : "healthy";
}

void diagnose_print(const cJSON *d, FILE *f)
{
	const cJSON *findings = cJSON_GetObjectItemCaseSensitive(d, "findings"), *x, *e;
	fprintf(f, "diagnosis: run %s, %d endpoints\n", str(d, "status"),
	        (int)num(d, "endpoints", 0));
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(d, "scope");
	if (num(sc, "failed", 0) > 0) {
		fprintf(f, "  scope: %s endpoints failed (%d of %d); by group:", str(sc, "which"),
		        (int)num(sc, "failed", 0), (int)num(d, "endpoints", 0));
		cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(sc, "failed_by_group"))
			fprintf(f, " %s %d", e->string, (int)e->valuedouble);
		fprintf(f, "; by worker:");
		cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(sc, "failed_by_worker"))
			fprintf(f, " %s %d", e->string, (int)e->valuedouble);
		fprintf(f, "\n");
	}
	if (!strcmp(diagnose_top(d), "healthy")) {
		fprintf(f, "  no failure: the run COMPLETED and every endpoint is SUCCESS\n");
		return;
	}
	if (!strcmp(diagnose_top(d), "unexplained")) {
		fprintf(f, "  no known failure fits this evidence. What the report shows:\n");
		cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(d, "saw"))
			fprintf(f, "    - %s\n", e->valuestring);
		return;
	}
	int i = 0;
	cJSON_ArrayForEach (x, findings) {
		fprintf(f, "  %d. %s (fit %d/100)\n     guide: %s\n", ++i, str(x, "code"),
		        (int)num(x, "score", 0), str(x, "branch"));
		cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(x, "evidence"))
			fprintf(f, "     - %s\n", e->valuestring);
		fprintf(f, "     resolution: %s\n", str(x, "resolution"));
	}
}

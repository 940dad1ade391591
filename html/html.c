/* html.c — one run as a self-contained HTML page (html.h): the run's
 * status, its steps, the diagnosis (the same library `siplab diagnose`
 * uses), the timeline, outcome counts, the charts and a filterable table of
 * endpoints, each with its ladder and media. Every value from the report is
 * escaped; every list is bounded (lib/limits.h, HTML_*) with a note when cut. */
#include "html.h"

#include "assets.h"
#include "page.h"

#include "../diagnose/diagnose.h"
#include "../lib/jsonv.h"
#include "../lib/limits.h"
#include "../media/quality.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- head and run ---------------------------------------------------------------- */

static void head(FILE *f, const cJSON *report)
{
	const cJSON *run = cJSON_GetObjectItem(report, "run");
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	      "<link rel=\"icon\" href=\"data:,\"><title>siplab ",
	      f);
	h_esc(f, j_str(run, "id"));
	fputs(" &#8212; ", f);
	h_esc(f, j_str(run, "status"));
	fprintf(f, "</title><style>%s</style></head>\n<body>\n", h_css);
}

static void run_header(FILE *f, const cJSON *report, const cJSON *d)
{
	const cJSON *run = cJSON_GetObjectItem(report, "run");
	const char *status = j_str(run, "status"), *reason = j_str(run, "reason");
	double v;
	fputs("<header><h1>siplab run ", f);
	h_esc(f, j_str(run, "id"));
	fputs(" <span class=\"badge st-", f);
	h_esc(f, status);
	fputs("\" id=\"run-status\">", f);
	h_esc(f, status ? status : "unknown");
	fputs("</span></h1><div class=\"meta\">", f);
	if (reason) {
		h_esc(f, reason);
		fputs(" &#183; ", f);
	}
	fprintf(f, "%d endpoints", cJSON_GetArraySize(cJSON_GetObjectItem(report, "endpoints")));
	if (j_num(run, "duration_ms", &v))
		fprintf(f, " &#183; %.1f s", v / 1000);
	if (j_num(report, "seed", &v))
		fprintf(f, " &#183; seed %.0f", v);
	fputs(" &#183; diagnosis <b>", f);
	h_esc(f, diagnose_top(d));
	fputs("</b> &#183; siplab ", f);
	h_esc(f, j_str(report, "siplab"));
	fputs("</div></header>\n<nav><a href=\"#diagnosis\">Diagnosis</a><a href=\"#timeline\">"
	      "Timeline</a><a href=\"#counts\">Counts</a><a href=\"#charts\">Charts</a>"
	      "<a href=\"#endpoints\">Endpoints</a></nav>\n",
	      f);
}

/* The steps of a results.json: {name, status, line, duration_s}, other
 * fields ignored. */
static void steps(FILE *f, const cJSON *results)
{
	const cJSON *list = cJSON_GetObjectItem(results, "steps"), *s;
	int n = 0, all = cJSON_GetArraySize(list);
	double dur;
	fputs("<section id=\"steps\"><h2>Steps</h2><table><tr><th>step</th><th>status</th>"
	      "<th>result</th><th>duration</th></tr>",
	      f);
	cJSON_ArrayForEach (s, list) {
		if (n++ >= HTML_MAX_STEPS)
			break;
		const char *status = j_str(s, "status");
		fputs("<tr><td>", f);
		h_esc(f, j_str(s, "name"));
		fputs("</td><td class=\"step-", f);
		h_esc(f, status);
		fputs("\">", f);
		h_esc(f, status);
		fputs("</td><td>", f);
		h_esc(f, j_str(s, "line"));
		fputs("</td><td class=\"n\">", f);
		if (j_num(s, "duration_s", &dur))
			fprintf(f, "%.1f s", dur);
		fputs("</td></tr>", f);
	}
	fputs("</table>", f);
	if (all > HTML_MAX_STEPS)
		fprintf(f, "<p class=\"note\">%d more steps not shown (HTML_MAX_STEPS).</p>",
		        all - HTML_MAX_STEPS);
	fputs("</section>\n", f);
}

/* --- the diagnosis ------------------------------------------------------------------ */

/* An evidence line's source, a JSON pointer into the report: a link to its
 * endpoint's detail when the page holds it. */
static void evidence_source(FILE *f, const char *src)
{
	int idx = -1;
	if (!src)
		return;
	int link = sscanf(src, "/endpoints/%d", &idx) == 1 && idx >= 0 && idx < HTML_MAX_ENDPOINTS;
	fputs(" <span class=\"hint\">", f);
	if (link)
		fprintf(f, "<a href=\"#ep-%d\">", idx);
	h_esc(f, src);
	fputs(link ? "</a></span>" : "</span>", f);
}

static void finding(FILE *f, const cJSON *fd, int rank)
{
	const cJSON *ev = cJSON_GetObjectItem(fd, "evidence"),
	            *src = cJSON_GetObjectItem(fd, "sources"), *it;
	double score = 0;
	(void)j_num(fd, "score", &score);
	fprintf(f, "<div class=\"finding %s\"><p><code class=\"dx\"%s>", rank ? "rankn" : "rank1",
	        rank ? "" : " id=\"dx-code\"");
	h_esc(f, j_str(fd, "code"));
	fprintf(f, "</code> &#183; fits %.0f/100 &#183; <span class=\"branch\">", score);
	h_esc(f, j_str(fd, "branch"));
	fputs("</span></p><ul class=\"evidence\">", f);
	int k = 0;
	cJSON_ArrayForEach (it, ev) {
		fputs("<li>", f);
		h_esc(f, cJSON_IsString(it) ? it->valuestring : "");
		const cJSON *s = cJSON_GetArrayItem(src, k++);
		evidence_source(f, cJSON_IsString(s) ? s->valuestring : NULL);
		fputs("</li>", f);
	}
	fputs("</ul>", f);
	if (j_num(fd, "evidence_dropped", &score) && score > 0)
		fprintf(f, "<p class=\"note\">%.0f more lines of evidence (DX_MAX_EVIDENCE).</p>",
		        score);
	fputs("<p class=\"resolution\"><b>Resolution:</b> ", f);
	h_esc(f, j_str(fd, "resolution"));
	fputs("</p></div>", f);
}

static void diagnosis(FILE *f, const cJSON *d)
{
	const cJSON *findings = cJSON_GetObjectItem(d, "findings"), *it;
	const char *top = diagnose_top(d);
	fputs("<section id=\"diagnosis\"><h2>Diagnosis</h2>", f);
	if (cJSON_GetArraySize(findings) == 0) {
		fprintf(f, "<div class=\"healthy\"><p><code class=\"dx\" id=\"dx-code\">");
		h_esc(f, top);
		fputs("</code> &#8212; ", f);
		fputs(!strcmp(top, "healthy")
		              ? "nothing failed."
		              : "something failed and no rule of the guide fits; what the report "
		                "shows:",
		      f);
		fputs("</p><ul>", f);
		cJSON_ArrayForEach (it, cJSON_GetObjectItem(d, "saw")) {
			fputs("<li>", f);
			h_esc(f, cJSON_IsString(it) ? it->valuestring : "");
			fputs("</li>", f);
		}
		fputs("</ul></div></section>\n", f);
		return;
	}
	int rank = 0;
	cJSON_ArrayForEach (it, findings)
		finding(f, it, rank++);
	fputs("<p class=\"hint\">The same diagnosis as <code>siplab diagnose REPORT</code>: it "
	      "reads the report alone.</p></section>\n",
	      f);
}

/* --- timeline ------------------------------------------------------------------------ */

struct event {
	double t;
	const char *who, *what, *detail; /* detail: from the report; NULL: buf */
	char buf[64];
};

static int event_cmp(const void *a, const void *b)
{
	double x = ((const struct event *)a)->t, y = ((const struct event *)b)->t;
	return x < y ? -1 : x > y;
}

/* The run's statuses, then its workers' events and how their processes
 * ended (the host section), at most HTML_MAX_EVENTS of the latter. */
static int gather_events(const cJSON *report, struct event *ev, int cap, int *dropped)
{
	const cJSON *run = cJSON_GetObjectItem(report, "run"), *it, *w, *e;
	int n = 0;
	*dropped = 0;
	cJSON_ArrayForEach (it, cJSON_GetObjectItem(run, "timeline")) {
		if (n >= cap)
			break;
		ev[n] = (struct event){.who = "run", .what = j_str(it, "status")};
		(void)j_num(it, "t_ms", &ev[n].t);
		ev[n].detail = j_str(it, "note");
		n++;
	}
	int base = n;
	cJSON_ArrayForEach (w, cJSON_GetObjectItem(report, "workers"))
		cJSON_ArrayForEach (e, cJSON_GetObjectItem(w, "events")) {
			if (n - base >= HTML_MAX_EVENTS || n >= cap) {
				(*dropped)++;
				continue;
			}
			ev[n] = (struct event){.who = j_str(w, "name"), .what = j_str(e, "event")};
			(void)j_num(e, "t_ms", &ev[n].t);
			n++;
		}
	cJSON_ArrayForEach (w,
	                    cJSON_GetObjectItem(cJSON_GetObjectItem(report, "host"), "workers")) {
		double code = 0;
		if (n - base >= HTML_MAX_EVENTS || n >= cap) {
			(*dropped)++;
			continue;
		}
		ev[n] = (struct event){.who = j_str(w, "name"), .what = "process ended (host)"};
		(void)j_num(w, "t_ms", &ev[n].t);
		if (j_num(w, "exit_code", &code))
			snprintf(ev[n].buf, sizeof(ev[n].buf), "exit code %.0f%s", code,
			         cJSON_IsTrue(cJSON_GetObjectItem(w, "oom_killed")) ? ", OOM killed"
			                                                            : "");
		n++;
	}
	qsort(ev, (size_t)n, sizeof(*ev), event_cmp);
	return n;
}

static void timeline(FILE *f, const cJSON *report)
{
	enum { CAP = HTML_MAX_EVENTS + 32 };
	struct event *ev = calloc(CAP, sizeof(*ev));
	int dropped = 0, n = ev ? gather_events(report, ev, CAP, &dropped) : 0;
	fputs("<section id=\"timeline\"><h2>Timeline</h2>", f);
	h_chart_timeline(f, report);
	fputs("<table class=\"events\"><tr><th>time</th><th>who</th><th>event</th><th></th></tr>",
	      f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "<tr><td class=\"n\">%.2f s</td><td>", ev[i].t / 1000);
		h_esc(f, ev[i].who);
		fputs("</td><td>", f);
		h_esc(f, ev[i].what);
		fputs("</td><td>", f);
		h_esc(f, ev[i].detail ? ev[i].detail : ev[i].buf);
		fputs("</td></tr>", f);
	}
	fputs("</table>", f);
	if (dropped)
		fprintf(f,
		        "<p class=\"note\">%d more worker events not listed (HTML_MAX_EVENTS); "
		        "they are in the report.</p>",
		        dropped);
	fputs("</section>\n", f);
	free(ev);
}

/* --- counts ----------------------------------------------------------------------------- */

static void outcome_head(FILE *f, const int *used)
{
	for (int o = 0; o < H_OUTCOMES; o++)
		if (used[o])
			fprintf(f, "<th><span class=\"oc\" style=\"background:%s\"></span>%s</th>",
			        h_outcome_colour[o], h_outcome[o]);
	fputs("<th>total</th></tr>", f);
}

/* One table: a row per key of by (a group or a worker), a column per outcome. */
static void count_table(FILE *f, const cJSON *by, const char *what, const int *used)
{
	const cJSON *row, *c;
	fprintf(f, "<table class=\"counts\" id=\"counts-%s\"><tr><th>%s</th>", what, what);
	outcome_head(f, used);
	cJSON_ArrayForEach (row, by) {
		double cnt[H_OUTCOMES] = {0}, total = 0;
		cJSON_ArrayForEach (c, row)
			if (cJSON_IsNumber(c)) {
				cnt[h_outcome_idx(c->string)] += c->valuedouble;
				total += c->valuedouble;
			}
		fputs("<tr><td>", f);
		h_esc(f, row->string);
		fputs("</td>", f);
		for (int o = 0; o < H_OUTCOMES; o++)
			if (used[o])
				fprintf(f, "<td class=\"n\">%.0f</td>", cnt[o]);
		fprintf(f, "<td class=\"n\">%.0f</td></tr>", total);
	}
	fputs("</table>", f);
}

static void counts(FILE *f, const cJSON *report)
{
	const cJSON *totals = cJSON_GetObjectItem(report, "totals"), *c;
	int used[H_OUTCOMES] = {0};
	cJSON_ArrayForEach (c, cJSON_GetObjectItem(totals, "outcomes"))
		used[h_outcome_idx(c->string)] = 1;
	fputs("<section id=\"counts\"><h2>Outcomes per group and per worker</h2>", f);
	count_table(f, cJSON_GetObjectItem(totals, "by_group"), "group", used);
	count_table(f, cJSON_GetObjectItem(totals, "by_worker"), "worker", used);
	fputs("</section>\n", f);
}

static void charts(FILE *f, const cJSON *report)
{
	fputs("<section id=\"charts\"><h2>Charts</h2><h3>Outcomes over the run's time</h3>", f);
	h_chart_outcomes(f, report);
	fputs("<h3>MOS and jitter per call</h3>", f);
	h_chart_quality(f, report, HTML_MAX_ENDPOINTS);
	fputs("</section>\n", f);
}

/* --- endpoints -------------------------------------------------------------------------- */

/* A select over the keys of an object (the totals' outcomes, groups,
 * workers). An outcome's value is its name in the rows' data-outcome, so
 * the totals' "null" (undecided) selects the undecided rows. */
static void select_of(FILE *f, const char *id, const char *label, const cJSON *keys, int outcome)
{
	const cJSON *k;
	fprintf(f, "<label>%s <select id=\"%s\"><option value=\"\">all</option>", label, id);
	cJSON_ArrayForEach (k, keys) {
		fputs("<option value=\"", f);
		h_esc(f, outcome ? h_outcome[h_outcome_idx(k->string)] : k->string);
		fputs("\">", f);
		h_esc(f, outcome ? h_outcome[h_outcome_idx(k->string)] : k->string);
		fputs("</option>", f);
	}
	fputs("</select></label>", f);
}

static void filters(FILE *f, const cJSON *report)
{
	const cJSON *totals = cJSON_GetObjectItem(report, "totals");
	fputs("<p class=\"filters\">", f);
	select_of(f, "f-outcome", "outcome", cJSON_GetObjectItem(totals, "outcomes"), 1);
	select_of(f, "f-group", "group", cJSON_GetObjectItem(totals, "by_group"), 0);
	select_of(f, "f-worker", "worker", cJSON_GetObjectItem(totals, "by_worker"), 0);
	fputs("<label>text <input id=\"f-text\" type=\"search\" placeholder=\"user, reason, "
	      "code...\"></label><span id=\"f-count\" class=\"hint\"></span></p>",
	      f);
}

static void metric(FILE *f, const cJSON *dir, const char *key, enum q_tier (*tier)(double),
                   const char *fmt)
{
	double v;
	if (!j_num(dir, key, &v)) {
		fputs("<td class=\"n t-unknown\">&#8212;</td>", f);
		return;
	}
	fprintf(f, "<td class=\"n t-%s\">", tier ? q_tier_name(tier(v)) : "none");
	fprintf(f, fmt, v);
	fputs("</td>", f);
}

/* The media per direction, each metric in its tier's colour. */
static void media(FILE *f, const cJSON *m)
{
	static const char *const dir_key[2] = {"sent", "received"};
	static const char *const dir_name[2] = {"sent (as the far end's RTCP reports it)",
	                                        "received"};
	double v;
	if (!cJSON_IsObject(m)) {
		fputs("<p>No media stream ran.</p>", f);
		return;
	}
	fputs("<p>Media: ", f);
	h_esc(f, j_str(m, "codec"));
	fputs(cJSON_IsTrue(cJSON_GetObjectItem(m, "srtp")) ? ", SRTP (SDES)" : ", plain RTP", f);
	fputs(", ", f);
	h_esc(f, j_str(m, "local"));
	fputs(" &#8644; ", f);
	h_esc(f, j_str(m, "remote"));
	if (j_num(m, "srtp_errors", &v) && v > 0)
		fprintf(f, ", <span class=\"t-critical\">%.0f SRTP errors</span>", v);
	if (j_num(m, "unexpected_pt_packets", &v) && v > 0)
		fprintf(f,
		        ", <span class=\"t-warning\">%.0f packets of an unexpected payload "
		        "type</span>",
		        v);
	fputs("</p><table class=\"media\"><tr><th>direction</th><th>packets</th><th>bytes</th>"
	      "<th>loss %</th><th>jitter ms</th><th>RTT ms</th><th>MOS</th></tr>",
	      f);
	for (int d = 0; d < 2; d++) {
		const cJSON *dir = cJSON_GetObjectItem(m, dir_key[d]);
		double pk = 0;
		int none = d == 1 && j_num(dir, "packets", &pk) && pk == 0;
		fprintf(f, "<tr class=\"dir-%s\"><td>%s</td>", dir_key[d], dir_name[d]);
		fprintf(f, "<td class=\"n%s\">%.0f</td>", none ? " t-critical" : "",
		        j_num(dir, "packets", &pk) ? pk : 0);
		metric(f, dir, "bytes", NULL, "%.0f");
		metric(f, dir, "loss_pct", q_loss, "%.2f");
		metric(f, dir, "jitter_ms", q_jitter, "%.2f");
		metric(f, dir, "rtt_ms", q_rtt, "%.1f");
		metric(f, dir, "mos", q_mos, "%.2f");
		fputs("</tr>", f);
	}
	fputs("</table><p class=\"hint\">Tiers (the vocabulary's): loss good &#8804; 1 %, "
	      "critical &gt; 5 %; jitter good &lt; 20 ms, critical &gt; 40 ms; RTT good &lt; "
	      "100 ms, critical &gt; 200 ms; MOS good &#8805; 4.0, critical &lt; 3.5.</p>",
	      f);
}

static void ep_detail(FILE *f, const cJSON *ep, int idx)
{
	const cJSON *fail = cJSON_GetObjectItem(ep, "failure"), *w;
	fprintf(f, "<tr class=\"detail\" id=\"ep-%d\" hidden><td colspan=\"8\"><h3>", idx);
	h_esc(f, j_str(ep, "user"));
	fputs("</h3><p>", f);
	h_esc(f, j_str(ep, "reason") ? j_str(ep, "reason") : j_str(ep, "outcome"));
	if (cJSON_IsObject(fail)) {
		fputs(" &#183; failure <code>", f);
		h_esc(f, j_str(fail, "kind"));
		fputs("</code> decided by ", f);
		h_esc(f, j_str(fail, "source"));
	}
	fputs("</p>", f);
	cJSON_ArrayForEach (w, cJSON_GetObjectItem(ep, "warnings")) {
		fputs("<p class=\"note\">", f);
		h_esc(f, cJSON_IsString(w) ? w->valuestring : "");
		fputs("</p>", f);
	}
	media(f, cJSON_GetObjectItem(ep, "media"));
	h_ladder(f, ep, idx);
	fputs("</td></tr>\n", f);
}

static void ep_row(FILE *f, const cJSON *ep, int idx)
{
	const char *outcome = j_str(ep, "outcome");
	int o = h_outcome_idx(outcome);
	double v;
	fprintf(f, "<tr class=\"ep\" data-i=\"%d\" data-outcome=\"", idx);
	h_esc(f, outcome ? outcome : "undecided");
	fputs("\" data-group=\"", f);
	h_esc(f, j_str(ep, "group"));
	fputs("\" data-worker=\"", f);
	h_esc(f, j_str(ep, "worker"));
	fprintf(f, "\"><td class=\"n\">%.0f</td><td>", j_num(ep, "id", &v) ? v : idx);
	h_esc(f, j_str(ep, "user"));
	fputs("</td><td>", f);
	h_esc(f, j_str(ep, "group"));
	fputs("</td><td>", f);
	h_esc(f, j_str(ep, "worker"));
	fprintf(f, "</td><td><span class=\"oc\" style=\"background:%s\"></span>",
	        h_outcome_colour[o]);
	h_esc(f, h_outcome[o]);
	fputs("</td><td class=\"n\">", f);
	if (j_num(ep, "sip_code", &v))
		fprintf(f, "%.0f", v);
	fputs("</td><td>", f);
	h_esc(f, j_str(ep, "phase_reached"));
	fputs("</td><td>", f);
	h_esc(f, j_str(ep, "reason"));
	fputs("</td></tr>\n", f);
}

static void endpoints(FILE *f, const cJSON *report)
{
	const cJSON *eps = cJSON_GetObjectItem(report, "endpoints"), *ep;
	int all = cJSON_GetArraySize(eps), idx = 0;
	fputs("<section id=\"endpoints\"><h2>Endpoints</h2>", f);
	if (all > HTML_MAX_ENDPOINTS)
		fprintf(f,
		        "<p class=\"note\">The first %d of %d endpoints are listed; %d are left "
		        "out of this page (HTML_MAX_ENDPOINTS, lib/limits.h). The counts, the "
		        "timeline and the diagnosis cover them all.</p>",
		        HTML_MAX_ENDPOINTS, all, all - HTML_MAX_ENDPOINTS);
	filters(f, report);
	fputs("<p class=\"hint\">Click an endpoint for its SIP ladder and media.</p>"
	      "<table id=\"ep-table\"><tr><th>id</th><th>user</th><th>group</th><th>worker</th>"
	      "<th>outcome</th><th>SIP</th><th>phase reached</th><th>reason</th></tr>\n",
	      f);
	cJSON_ArrayForEach (ep, eps) {
		if (idx >= HTML_MAX_ENDPOINTS)
			break;
		ep_row(f, ep, idx);
		ep_detail(f, ep, idx);
		idx++;
	}
	fputs("</table></section>\n", f);
}

/* --- the page ------------------------------------------------------------------------- */

static void page(FILE *f, const cJSON *report, const cJSON *results, const cJSON *d)
{
	head(f, report);
	run_header(f, report, d);
	if (results)
		steps(f, results);
	diagnosis(f, d);
	timeline(f, report);
	counts(f, report);
	charts(f, report);
	endpoints(f, report);
	fprintf(f, "<script>%s</script>\n</body></html>\n", h_js);
}

static cJSON *read_json(const char *path, const char *what, err_t *e)
{
	if (access(path, R_OK)) {
		err_set(e, errno, "%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	cJSON *j = jv_read_tree(path);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		err_set(e, EINVAL, "%s %s: not a JSON object", what, path);
		return NULL;
	}
	return j;
}

/* Written beside out_html and renamed over it: a reader never sees half a page. */
static int write_page(const char *out_html, const cJSON *report, const cJSON *results,
                      const cJSON *d, err_t *e)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", out_html) >= (int)sizeof(tmp))
		return err_set(e, ENAMETOOLONG, "HTML report %s: path too long", out_html);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return err_set(e, errno, "HTML report %s: %s", tmp, strerror(errno));
	page(f, report, results, d);
	int bad = ferror(f);
	if (fclose(f) || bad) {
		int rc = err_set(e, EIO, "HTML report %s: write failed", tmp);
		(void)unlink(tmp);
		return rc;
	}
	if (rename(tmp, out_html)) {
		int rc = err_set(e, errno, "HTML report %s: %s", out_html, strerror(errno));
		(void)unlink(tmp);
		return rc;
	}
	return 0;
}

int html_write(const char *report_json, const char *results_json, const char *out_html, err_t *e)
{
	cJSON *results = NULL, *d = NULL, *report = read_json(report_json, "report", e);
	int rc = -1;
	if (!report)
		goto out;
	if (results_json && !(results = read_json(results_json, "results", e)))
		goto out;
	d = diagnose(report);
	if (!d) {
		err_set(e, EINVAL, "report %s: could not be diagnosed", report_json);
		goto out;
	}
	rc = write_page(out_html, report, results, d, e) ? -1 : 0;
out:
	cJSON_Delete(d);
	cJSON_Delete(results);
	cJSON_Delete(report);
	return rc;
}

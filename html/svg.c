/* svg.c — the report's pictures, written here as small SVG rather than
 * drawn by a script or a chart library: the page holds them statically (a
 * test, a search, a printout see them as they are), and nothing has to be
 * vendored. The SIP ladder of one endpoint, the run's timeline, outcomes
 * over time, and MOS/jitter per call against the vocabulary's tiers. */
#include "page.h"

#include "../lib/limits.h"
#include "../media/quality.h"

#include <stdlib.h>
#include <string.h>

/* --- the SIP ladder ------------------------------------------------------------ */

#define LAD_W     720
#define LAD_TOP   64 /* below the column heads */
#define LAD_ROW   28
#define LAD_LABEL 64 /* characters of a first line drawn on its arrow (the rest in its title) */

static const int lad_x[3] = {150, 400, 650};

/* The host of a trace address, "udp/[10.10.2.2]:5060" -> "10.10.2.2". */
static void peer_host(const char *peer, char *out, size_t cap)
{
	const char *a = peer ? strchr(peer, '[') : NULL, *b = a ? strchr(a, ']') : NULL;
	if (!a || !b) {
		snprintf(out, cap, "%s", peer ? peer : "");
		return;
	}
	snprintf(out, cap, "%.*s", (int)(b - a - 1), a + 1);
}

/* The registrar/proxy is whom the endpoint sent its first REGISTER to;
 * every message with that host goes to the middle column, any other
 * (a far end reached directly) to the right one. */
static void registrar_host(const cJSON *trace, char *out, size_t cap)
{
	const cJSON *m;
	out[0] = '\0';
	cJSON_ArrayForEach (m, trace) {
		const char *dir = j_str(m, "dir"), *line = j_str(m, "first_line");
		if (dir && !strcmp(dir, "send") && line && !strncmp(line, "REGISTER ", 9)) {
			peer_host(j_str(m, "peer"), out, cap);
			return;
		}
	}
	/* None: the first message's peer stands in (a callee reached by the proxy). */
	peer_host(j_str(cJSON_GetArrayItem(trace, 0), "peer"), out, cap);
}

static void lad_heads(FILE *f, const cJSON *ep, const char *reg, int h)
{
	const cJSON *media = cJSON_GetObjectItem(ep, "media");
	const char *far = j_str(ep, "target");
	const char *sub[3] = {j_str(ep, "worker"), reg, far ? far : j_str(media, "remote")};
	const char *head[3] = {j_str(ep, "user"), "registrar / proxy", "far end"};
	for (int c = 0; c < 3; c++) {
		fprintf(f, "<line class=\"life\" x1=\"%d\" y1=\"44\" x2=\"%d\" y2=\"%d\"/>",
		        lad_x[c], lad_x[c], h - 8);
		fprintf(f,
		        "<rect class=\"head\" x=\"%d\" y=\"4\" width=\"200\" height=\"40\" "
		        "rx=\"4\"/>",
		        lad_x[c] - 100);
		fprintf(f, "<text class=\"h1\" x=\"%d\" y=\"20\">", lad_x[c]);
		h_esc(f, head[c] ? head[c] : "endpoint");
		fprintf(f, "</text><text class=\"h2\" x=\"%d\" y=\"36\">", lad_x[c]);
		h_escn(f, sub[c] ? sub[c] : "", 36);
		fputs("</text>", f);
	}
}

/* The call's audio as a band between the endpoint and the far end, from
 * its answer to its BYE (or its last message): what the trace does not
 * show, so that the ladder reads as a whole call. */
static void lad_media(FILE *f, const cJSON *ep, const cJSON *trace, int n)
{
	const cJSON *media = cJSON_GetObjectItem(ep, "media"),
	            *tm = cJSON_GetObjectItem(ep, "times_ms");
	double ans, bye = -1, t;
	if (!cJSON_IsObject(media) || !j_num(tm, "answered", &ans))
		return;
	(void)j_num(tm, "bye", &bye);
	int from = -1, to = n - 1;
	for (int k = 0; k < n; k++) {
		if (!j_num(cJSON_GetArrayItem(trace, k), "t_ms", &t))
			continue;
		if (from < 0 && t >= ans)
			from = k;
		if (bye >= 0 && t >= bye) {
			to = k;
			break;
		}
	}
	if (from < 0 || to <= from)
		return;
	int y0 = LAD_TOP + from * LAD_ROW + 8, y1 = LAD_TOP + to * LAD_ROW - 4;
	fprintf(f, "<rect class=\"rtp\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>", lad_x[0],
	        y0, lad_x[2] - lad_x[0], y1 - y0);
	/* The label between the proxy's and the far end's lifelines, where no
	 * arrow to the proxy reaches. */
	int x = (lad_x[1] + lad_x[2]) / 2, y = (y0 + y1) / 2;
	fprintf(f, "<text class=\"rtpl\" x=\"%d\" y=\"%d\">RTP ", x, y);
	h_esc(f, j_str(media, "codec"));
	fprintf(f, "</text><text class=\"rtpl\" x=\"%d\" y=\"%d\">", x, y + 13);
	h_esc(f, j_str(media, "local"));
	fputs(" &#8644; ", f);
	h_esc(f, j_str(media, "remote"));
	fputs("</text>", f);
}

static void lad_arrow(FILE *f, const cJSON *m, int idx, int k, const char *reg)
{
	char host[80];
	double t = 0;
	const char *dir = j_str(m, "dir"), *line = j_str(m, "first_line");
	peer_host(j_str(m, "peer"), host, sizeof(host));
	int col = strcmp(host, reg) ? 2 : 1, send = dir && !strcmp(dir, "send");
	int x1 = send ? lad_x[0] : lad_x[col], x2 = send ? lad_x[col] : lad_x[0];
	int y = LAD_TOP + k * LAD_ROW + 14, tip = x2 > x1 ? -8 : 8;
	int resp = line && !strncmp(line, "SIP/2.0 ", 8);
	(void)j_num(m, "t_ms", &t);
	fprintf(f, "<g class=\"msg%s\" data-ep=\"%d\" data-i=\"%d\" data-line=\"",
	        resp ? " resp" : "", idx, k);
	h_esc(f, line);
	fputs("\" tabindex=\"0\"><title>", f);
	h_esc(f, line);
	fprintf(f, "</title><rect class=\"hit\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>",
	        lad_x[0], y - 14, lad_x[col] - lad_x[0], LAD_ROW - 2);
	fprintf(f, "<text class=\"t\" x=\"4\" y=\"%d\">%.0f ms</text>", y + 4, t);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", x1, y, x2, y);
	fprintf(f, "<polygon points=\"%d,%d %d,%d %d,%d\"/>", x2, y, x2 + tip, y - 4, x2 + tip,
	        y + 4);
	fprintf(f, "<text class=\"l\" x=\"%d\" y=\"%d\">", (x1 + x2) / 2, y - 4);
	size_t len = line ? strlen(line) : 0;
	h_escn(f, line, LAD_LABEL);
	fputs(len > LAD_LABEL ? "&#8230;</text></g>" : "</text></g>", f);
}

/* Every message's full text, hidden until its arrow is clicked. */
static void lad_texts(FILE *f, const cJSON *trace, int idx, int n)
{
	for (int k = 0; k < n; k++) {
		const char *text = j_str(cJSON_GetArrayItem(trace, k), "text");
		size_t len = text ? strlen(text) : 0;
		fprintf(f, "<pre class=\"sip\" id=\"m-%d-%d\" hidden>", idx, k);
		h_escn(f, text, HTML_MAX_MSG_TEXT);
		if (len > HTML_MAX_MSG_TEXT)
			fprintf(f,
			        "\n[%zu more bytes of this message not shown: HTML_MAX_MSG_TEXT]",
			        len - HTML_MAX_MSG_TEXT);
		fputs("</pre>", f);
	}
}

void h_ladder(FILE *f, const cJSON *ep, int idx)
{
	const cJSON *trace = cJSON_GetObjectItem(ep, "trace");
	int all = cJSON_GetArraySize(trace), n = all < HTML_MAX_LADDER ? all : HTML_MAX_LADDER;
	double dropped = 0;
	char reg[80];
	if (n == 0) {
		fputs("<p class=\"note\">No SIP message in this endpoint's trace.</p>", f);
		return;
	}
	registrar_host(trace, reg, sizeof(reg));
	int h = LAD_TOP + n * LAD_ROW + 16;
	fprintf(f,
	        "<svg class=\"ladder\" id=\"ladder-%d\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	        "height=\"%d\" role=\"img\" aria-label=\"SIP ladder\">",
	        idx, LAD_W + 80, h, LAD_W + 80, h);
	lad_heads(f, ep, reg, h);
	lad_media(f, ep, trace, n);
	for (int k = 0; k < n; k++)
		lad_arrow(f, cJSON_GetArrayItem(trace, k), idx, k, reg);
	fputs("</svg>", f);
	if (j_num(ep, "trace_dropped", &dropped) && dropped > 0)
		fprintf(f,
		        "<p class=\"note\">The worker left %.0f messages out of this trace (it "
		        "keeps the first %d and the last %d).</p>",
		        dropped, TRACE_KEEP_FIRST, TRACE_KEEP_LAST);
	if (all > n)
		fprintf(f,
		        "<p class=\"note\">%d more messages not drawn (HTML_MAX_LADDER, "
		        "lib/limits.h).</p>",
		        all - n);
	fputs("<p class=\"hint\">Click a message to show its full text.</p>", f);
	lad_texts(f, trace, idx, n);
}

/* --- charts ------------------------------------------------------------------- */

#define CH_W   760
#define CH_H   180
#define CH_L   48 /* left margin, for the axis' numbers */
#define CH_B   24 /* bottom margin, for the time axis */
#define CH_TOP 14

static double ch_x(double t, double span)
{
	return CH_L + (CH_W - CH_L - 10) * t / span;
}

static double ch_y(double v, double max)
{
	return CH_TOP + (CH_H - CH_B - CH_TOP) * (1 - (max > 0 ? v / max : 0));
}

/* The frame, the y axis from 0 to max and the time axis to span (in s). */
static void ch_axes(FILE *f, double max, double span, const char *ylabel)
{
	fprintf(f, "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", CH_L, CH_TOP,
	        CH_L, CH_H - CH_B);
	fprintf(f, "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", CH_L,
	        CH_H - CH_B, CH_W - 10, CH_H - CH_B);
	fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>",
	        CH_L - 4, ch_y(max, max) + 4, max);
	fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>", CH_L - 4,
	        CH_H - CH_B);
	fprintf(f, "<text class=\"tick\" x=\"4\" y=\"10\">%s</text>", ylabel);
	for (int i = 0; i <= 4; i++) {
		double t = span * i / 4;
		fprintf(f,
		        "<text class=\"tick\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%.1f s</text>",
		        ch_x(t, span), CH_H - 6,
		        i == 4 ? "end"
		        : i    ? "middle"
		               : "start",
		        t / 1000);
	}
}

/* Cumulative count of endpoints past a moment, as a step line drawn from
 * counts at a fixed number of instants: enough for a chart 700 pixels wide,
 * and no sorting. */
static void step_line(FILE *f, const struct h_times *t, int n, int which, double span,
                      const char *cls)
{
	enum { STEPS = 140 };
	fprintf(f, "<polyline class=\"%s\" points=\"", cls);
	for (int s = 0; s <= STEPS; s++) {
		double at = span * s / STEPS, c = 0;
		for (int i = 0; i < n; i++) {
			double v = which == 0   ? t[i].registered
			           : which == 1 ? t[i].invite
			           : which == 2 ? t[i].answered
			                        : t[i].end;
			if (v >= 0 && v <= at)
				c++;
		}
		fprintf(f, "%.1f,%.1f ", ch_x(at, span), ch_y(c, n));
	}
	fputs("\"/>", f);
}

void h_chart_timeline(FILE *f, const cJSON *report)
{
	static const char *const cls[4] = {"l-reg", "l-inv", "l-ans", "l-end"};
	static const char *const name[4] = {"registered", "called (INVITE)", "answered", "ended"};
	double span = h_run_span(report), t;
	int n = cJSON_GetArraySize(cJSON_GetObjectItem(report, "endpoints"));
	const cJSON *ev, *run = cJSON_GetObjectItem(report, "run");
	fprintf(f,
	        "<svg class=\"chart\" id=\"chart-timeline\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	        "height=\"%d\" role=\"img\" aria-label=\"timeline\">",
	        CH_W, CH_H, CH_W, CH_H);
	ch_axes(f, n, span, "endpoints");
	int k = 0;
	cJSON_ArrayForEach (ev, cJSON_GetObjectItem(run, "timeline")) {
		if (!j_num(ev, "t_ms", &t))
			continue;
		fprintf(f, "<line class=\"st\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>",
		        ch_x(t, span), CH_TOP, ch_x(t, span), CH_H - CH_B);
		/* Past the middle a label ends at its line, so the last is not cut. */
		int right = t > span / 2;
		fprintf(f, "<text class=\"stl\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">",
		        ch_x(t, span) + (right ? -2 : 2), CH_TOP + 10 + 10 * (k++ % 4),
		        right ? "end" : "start");
		h_esc(f, j_str(ev, "status"));
		fputs("</text>", f);
	}
	struct h_times *times = n > 0 ? calloc((size_t)n, sizeof(*times)) : NULL;
	for (int i = 0; times && i < n; i++)
		h_ep_times(report, cJSON_GetArrayItem(cJSON_GetObjectItem(report, "endpoints"), i),
		           &times[i]);
	for (int w = 0; times && w < 4; w++)
		step_line(f, times, n, w, span, cls[w]);
	free(times);
	fputs("</svg><p class=\"legend\">", f);
	for (int w = 0; w < 4; w++)
		fprintf(f, "<span class=\"key %s\"></span>%s ", cls[w], name[w]);
	fputs("(cumulative; dashed lines: the run's statuses)</p>", f);
}

void h_chart_outcomes(FILE *f, const cJSON *report)
{
	enum { SLICES = 24 };
	double count[SLICES][H_OUTCOMES] = {{0}}, span = h_run_span(report), max = 0;
	int used[H_OUTCOMES] = {0};
	const cJSON *ep;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItem(report, "endpoints")) {
		struct h_times t;
		h_ep_times(report, ep, &t);
		int s = (int)(t.end / span * SLICES), o = h_outcome_idx(j_str(ep, "outcome"));
		s = s < 0 ? 0 : s >= SLICES ? SLICES - 1 : s;
		count[s][o]++;
		used[o] = 1;
	}
	for (int s = 0; s < SLICES; s++) {
		double sum = 0;
		for (int o = 0; o < H_OUTCOMES; o++)
			sum += count[s][o];
		max = sum > max ? sum : max;
	}
	fprintf(f,
	        "<svg class=\"chart\" id=\"chart-outcomes\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	        "height=\"%d\" role=\"img\" aria-label=\"outcomes over time\">",
	        CH_W, CH_H, CH_W, CH_H);
	ch_axes(f, max, span, "endpoints ended");
	double bw = (CH_W - CH_L - 10) / (double)SLICES;
	for (int s = 0; s < SLICES; s++) {
		double below = 0;
		for (int o = 0; o < H_OUTCOMES; o++) {
			if (!count[s][o])
				continue;
			double y0 = ch_y(below, max), y1 = ch_y(below + count[s][o], max);
			fprintf(f,
			        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			        "fill=\"%s\"><title>%s: %.0f</title></rect>",
			        CH_L + s * bw + 1, y1, bw - 2, y0 - y1, h_outcome_colour[o],
			        h_outcome[o], count[s][o]);
			below += count[s][o];
		}
	}
	fputs("</svg><p class=\"legend\">", f);
	for (int o = 0; o < H_OUTCOMES; o++)
		if (used[o])
			fprintf(f, "<span class=\"key\" style=\"background:%s\"></span>%s ",
			        h_outcome_colour[o], h_outcome[o]);
	fputs("(endpoints by the time they ended)</p>", f);
}

static const char *tier_colour(enum q_tier t)
{
	return t == Q_GOOD       ? "#2e9d4f"
	       : t == Q_WARNING  ? "#e0a800"
	       : t == Q_CRITICAL ? "#d62f2f"
	                         : "#b0b0b0";
}

/* One panel of bars: each call's received value, a threshold line per tier. */
static void quality_panel(FILE *f, const cJSON *report, int max, int mos)
{
	const cJSON *ep;
	int calls = 0, i = 0;
	double top = mos ? 5 : 60, v;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItem(report, "endpoints")) {
		const cJSON *rx = cJSON_GetObjectItem(cJSON_GetObjectItem(ep, "media"), "received");
		if (i++ < max && cJSON_IsObject(rx))
			calls++;
		if (!mos && j_num(rx, "jitter_ms", &v) && v > top)
			top = v;
	}
	fprintf(f,
	        "<svg class=\"chart\" id=\"chart-%s\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	        "height=\"%d\" role=\"img\" aria-label=\"%s per call\">",
	        mos ? "mos" : "jitter", CH_W, CH_H, CH_W, CH_H, mos ? "MOS" : "jitter");
	fprintf(f, "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", CH_L, CH_TOP,
	        CH_L, CH_H - CH_B);
	fprintf(f, "<line class=\"ax\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", CH_L,
	        CH_H - CH_B, CH_W - 10, CH_H - CH_B);
	fprintf(f, "<text class=\"tick\" x=\"4\" y=\"10\">%s</text>",
	        mos ? "MOS (received)" : "jitter ms (received)");
	fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>",
	        CH_L - 4, ch_y(top, top) + 4, top);
	/* The vocabulary's tiers: MOS 4.0 and 3.5, jitter 20 and 40 ms. */
	const double lines[2] = {mos ? 4.0 : 20, mos ? 3.5 : 40};
	for (int l = 0; l < 2; l++)
		fprintf(f,
		        "<line class=\"thr\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
		        "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>",
		        CH_L, ch_y(lines[l], top), CH_W - 10, ch_y(lines[l], top), CH_L - 4,
		        ch_y(lines[l], top) + 4, lines[l]);
	if (calls == 0) {
		fprintf(f, "<text class=\"tick\" x=\"%d\" y=\"%d\">no call had media</text>",
		        CH_L + 10, CH_H / 2);
		fputs("</svg>", f);
		return;
	}
	double bw = (CH_W - CH_L - 10) / (double)calls;
	int b = 0;
	i = 0;
	cJSON_ArrayForEach (ep, cJSON_GetObjectItem(report, "endpoints")) {
		const cJSON *rx = cJSON_GetObjectItem(cJSON_GetObjectItem(ep, "media"), "received");
		if (i++ >= max)
			break;
		if (!cJSON_IsObject(rx))
			continue;
		int has = j_num(rx, mos ? "mos" : "jitter_ms", &v);
		enum q_tier tier = !has ? Q_UNKNOWN : mos ? q_mos(v) : q_jitter(v);
		double y = has ? ch_y(v, top) : CH_H - CH_B - 2;
		fprintf(f,
		        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
		        "<title>",
		        CH_L + b * bw + (bw > 4 ? 1 : 0), y, bw > 4 ? bw - 2 : bw, CH_H - CH_B - y,
		        tier_colour(tier));
		h_esc(f, j_str(ep, "user"));
		if (has)
			fprintf(f, ": %.2f (%s)</title></rect>", v, q_tier_name(tier));
		else
			fputs(": not measured</title></rect>", f);
		b++;
	}
	fputs("</svg>", f);
}

void h_chart_quality(FILE *f, const cJSON *report, int max)
{
	quality_panel(f, report, max, 1);
	quality_panel(f, report, max, 0);
	fputs("<p class=\"legend\"><span class=\"key\" style=\"background:#2e9d4f\"></span>good "
	      "<span class=\"key\" style=\"background:#e0a800\"></span>warning "
	      "<span class=\"key\" style=\"background:#d62f2f\"></span>critical "
	      "<span class=\"key\" style=\"background:#b0b0b0\"></span>not measured "
	      "(one bar per endpoint with media, in the table's order; lines: the "
	      "vocabulary's thresholds)</p>",
	      f);
}

/* page.h — what the parts of the HTML report share: escaped output, reading
 * the report's JSON, the outcomes and their colours, and one endpoint's
 * times on the run's clock. Internal to html/. */
#ifndef SIPLAB_HTML_PAGE_H
#define SIPLAB_HTML_PAGE_H

#include <cJSON.h>
#include <stdio.h>

/* Text from the report, escaped for an element's content or a quoted
 * attribute alike (& < > " '). NULL writes nothing. */
void h_esc(FILE *f, const char *s);
/* At most n bytes of s, escaped. */
void h_escn(FILE *f, const char *s, size_t n);

/* obj[key] as a string, or NULL. */
const char *j_str(const cJSON *obj, const char *key);
/* obj[key] as a number: 1 and *out set, or 0 (absent, null, not a number). */
int j_num(const cJSON *obj, const char *key, double *out);

/* The report's outcomes in a fixed order, the last one standing for an
 * undecided endpoint (outcome null). */
#define H_OUTCOMES 9
extern const char *const h_outcome[H_OUTCOMES];
extern const char *const h_outcome_colour[H_OUTCOMES];
/* The index of an outcome name in h_outcome (NULL or unknown: undecided). */
int h_outcome_idx(const char *name);

/* An endpoint's moments on the run's clock (ms since the platform
 * started): its times_ms are since its worker's dispatch. -1: not reached. */
struct h_times {
	double registered, invite, answered, end;
};
void h_ep_times(const cJSON *report, const cJSON *ep, struct h_times *t);
/* The run's span on its clock: from 0 to the last status or endpoint end. */
double h_run_span(const cJSON *report);

/* SVG parts (svg.c). */
/* One endpoint's SIP ladder: columns endpoint, registrar/proxy, far end;
 * one arrow per message of its trace, each a <g class="msg"> the page's
 * script opens; then every message's full text, hidden until clicked. */
void h_ladder(FILE *f, const cJSON *ep, int idx);
/* The run's timeline: its statuses, and how many endpoints had
 * registered, called, been answered and ended at each moment. */
void h_chart_timeline(FILE *f, const cJSON *report);
/* Outcomes over the run's time: endpoints ended per slice, by outcome. */
void h_chart_outcomes(FILE *f, const cJSON *report);
/* MOS and jitter of each call's received audio, coloured by tier, with
 * the vocabulary's thresholds drawn. At most `max` endpoints. */
void h_chart_quality(FILE *f, const cJSON *report, int max);

#endif

/* html.h — the self-contained HTML report of a run (one file that opens
 * offline): status and timeline, diagnosis, endpoints, SIP ladders, media. */
#ifndef SIPLAB_HTML_H
#define SIPLAB_HTML_H

#include "../lib/err.h"

/* Write the HTML report of the run whose report.json is report_json to
 * out_html. results_json (the scenario's results.json, or NULL) adds the
 * flow's steps. Returns 0, or -1 with e set. */
int html_write(const char *report_json, const char *results_json, const char *out_html, err_t *e);

#endif

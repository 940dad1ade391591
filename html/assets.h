/* assets.h — the HTML report's inline style sheet and script (assets.c). */
#ifndef SIPLAB_HTML_ASSETS_H
#define SIPLAB_HTML_ASSETS_H

extern const char h_css[];
extern const char h_js[];

#endif

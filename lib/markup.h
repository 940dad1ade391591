/* markup.h — text written into HTML or XML (the HTML report, the JUnit
 * file): one escaping for both, since the report's SIP text is full of
 * < > & and quotes. */
#ifndef SIPLAB_MARKUP_H
#define SIPLAB_MARKUP_H

#include <stddef.h>
#include <stdio.h>

/* At most n bytes of s (up to its NUL) as character data or an attribute
 * value: & < > " ' as references; controls other than tab, newline and
 * carriage return, which XML 1.0 cannot carry, as '?'. */
void markup_escape(FILE *f, const char *s, size_t n);

#endif

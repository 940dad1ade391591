/* location.c — address-of-record to contact bindings (see location.h). */
#define _GNU_SOURCE
#include "location.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

long long loc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

/* FNV-1a over the AOR, case-insensitive: domains compare without case. */
static size_t hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint32_t)tolower((unsigned char)*s)) * 16777619u;
	return h % n;
}

int loc_init(struct loc *l, size_t buckets)
{
	l->n_buckets = buckets ? buckets : 1024;
	l->n_bindings = 0;
	l->buckets = calloc(l->n_buckets, sizeof(*l->buckets));
	return l->buckets ? 0 : -ENOMEM;
}

static void free_aor(struct loc *l, struct loc_aor *a)
{
	while (a->bindings) {
		struct loc_binding *b = a->bindings;
		a->bindings = b->next;
		free(b);
		l->n_bindings--;
	}
	free(a);
}

void loc_free(struct loc *l)
{
	for (size_t i = 0; l->buckets && i < l->n_buckets; i++)
		while (l->buckets[i]) {
			struct loc_aor *a = l->buckets[i];
			l->buckets[i] = a->next;
			free_aor(l, a);
		}
	free(l->buckets);
	l->buckets = NULL;
}

static struct loc_aor **find(struct loc *l, const char *aor)
{
	struct loc_aor **pp = &l->buckets[hash(aor, l->n_buckets)];
	while (*pp && strcasecmp((*pp)->aor, aor))
		pp = &(*pp)->next;
	return pp;
}

static void drop_expired(struct loc *l, struct loc_aor *a, long long now)
{
	for (struct loc_binding **bp = &a->bindings; *bp;) {
		if ((*bp)->expires > now) {
			bp = &(*bp)->next;
			continue;
		}
		struct loc_binding *dead = *bp;
		*bp = dead->next;
		free(dead);
		l->n_bindings--;
	}
}

/* Remove an AOR that has no bindings left. */
static void tidy(struct loc *l, struct loc_aor **pp)
{
	if (*pp && !(*pp)->bindings) {
		struct loc_aor *a = *pp;
		*pp = a->next;
		free_aor(l, a);
	}
}

int loc_update(struct loc *l, const char *aor, const char *contact, const char *call_id,
               uint32_t cseq, long long expires, long long now)
{
	struct loc_aor **pp = find(l, aor);
	if (!*pp) {
		if (expires <= now)
			return 0;
		struct loc_aor *a = calloc(1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		snprintf(a->aor, sizeof(a->aor), "%s", aor);
		*pp = a;
	}
	struct loc_aor *a = *pp;
	drop_expired(l, a, now);
	struct loc_binding **bp = &a->bindings;
	int n = 0;
	while (*bp && strcmp((*bp)->contact, contact)) {
		bp = &(*bp)->next;
		n++;
	}
	if (!*bp && expires > now) {
		if (n >= LOC_MAX_BINDINGS)
			return -ENOSPC;
		*bp = calloc(1, sizeof(**bp));
		if (!*bp)
			return -ENOMEM;
		l->n_bindings++;
		snprintf((*bp)->contact, sizeof((*bp)->contact), "%s", contact);
	}
	if (*bp && expires > now) {
		snprintf((*bp)->call_id, sizeof((*bp)->call_id), "%s", call_id ? call_id : "");
		(*bp)->cseq = cseq;
		(*bp)->expires = expires;
	} else if (*bp) {
		(*bp)->expires = 0; /* removed by drop_expired below */
		drop_expired(l, a, now);
	}
	tidy(l, pp);
	return 0;
}

void loc_remove_all(struct loc *l, const char *aor)
{
	struct loc_aor **pp = find(l, aor);
	if (*pp) {
		drop_expired(l, *pp, (long long)1 << 62);
		tidy(l, pp);
	}
}

const struct loc_binding *loc_lookup(struct loc *l, const char *aor, long long now)
{
	struct loc_aor **pp = find(l, aor);
	if (!*pp)
		return NULL;
	drop_expired(l, *pp, now);
	const struct loc_binding *b = (*pp)->bindings;
	tidy(l, pp);
	return b;
}

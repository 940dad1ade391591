/* catalogue.c — which scenarios are training cases, at which level, and the
 * session's draw: the eligible scenarios shuffled by the session seed, each
 * case varied (vary.c) and given its own run seed, so the same seed gives
 * the same session. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "../lib/jsonv.h"
#include "../lib/rng.h"
#include "train.h"

static void add_accepted(struct train_case *c, const char *code)
{
	for (int k = 0; k < c->n_accepted; k++)
		if (!strcmp(c->accepted[k], code))
			return;
	if (c->n_accepted == TRAIN_MAX_ACCEPT) {
		c->accepted_dropped++;
		return;
	}
	snprintf(c->accepted[c->n_accepted++], TRAIN_CODE, "%s", code);
}

/* The expected top diagnosis and the accepted codes; 0 when there is none
 * worth asking for (healthy, or not a code). */
static int expected_codes(const cJSON *dx, struct train_case *c)
{
	const cJSON *ranked = cJSON_GetObjectItemCaseSensitive(dx, "ranked"), *it;
	if (cJSON_IsString(dx)) {
		add_accepted(c, dx->valuestring);
	} else if (cJSON_IsArray(dx)) {
		/* Findings in any order: each of them is the top one. */
		cJSON_ArrayForEach (it, dx)
			if (cJSON_IsString(it))
				add_accepted(c, it->valuestring);
	} else if (cJSON_IsArray(ranked)) {
		/* In this order: only the first is the top diagnosis. */
		it = cJSON_GetArrayItem(ranked, 0);
		if (cJSON_IsString(it))
			add_accepted(c, it->valuestring);
	}
	if (!c->n_accepted || !strcmp(c->accepted[0], "healthy"))
		return 0;
	snprintf(c->expected, sizeof(c->expected), "%s", c->accepted[0]);
	return 1;
}

static int endpoints_total(const cJSON *root)
{
	const cJSON *g;
	int n = 0;
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(root, "groups"))
		n += cJSON_GetObjectItemCaseSensitive(g, "endpoints")
		             ? cJSON_GetObjectItemCaseSensitive(g, "endpoints")->valueint
		             : 0;
	return n;
}

/* Whether the expectation says most of the run failed: a status other than
 * COMPLETED (nothing ran, or the run failed), or failing outcomes that
 * together cover at least half the endpoints (callers and their callees
 * often fail as two outcomes). */
static int whole_run(const cJSON *expect, int total)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(expect, "status");
	if (cJSON_IsString(st) && strcmp(st->valuestring, "COMPLETED"))
		return 1;
	const cJSON *o;
	double failing = 0;
	cJSON_ArrayForEach (o, cJSON_GetObjectItemCaseSensitive(expect, "outcomes")) {
		const cJSON *min = cJSON_GetObjectItemCaseSensitive(o, "min"),
		            *share = cJSON_GetObjectItemCaseSensitive(o, "min_share");
		if (!strcmp(o->string, "SUCCESS"))
			continue;
		if (cJSON_IsNumber(min))
			failing += min->valuedouble;
		if (cJSON_IsNumber(share))
			failing += share->valuedouble * total;
	}
	return total > 0 && 2 * failing >= total;
}

/* Actions on the workers during the run (not "before_run"). */
static int mid_run_actions(const cJSON *root)
{
	const cJSON *a;
	cJSON_ArrayForEach (a, cJSON_GetObjectItemCaseSensitive(root, "actions")) {
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(a, "at_s");
		if (!cJSON_IsString(at) || strcmp(at->valuestring, "before_run"))
			return 1;
	}
	return 0;
}

/* What makes a case hard, in words ("" when it is easy). */
static void hardness(const cJSON *root, const cJSON *expect, char *why, size_t cap)
{
	const cJSON *faults = cJSON_GetObjectItemCaseSensitive(root, "faults"),
	            *one = cJSON_GetObjectItemCaseSensitive(root, "fault"), *f;
	const cJSON *dx = cJSON_GetObjectItemCaseSensitive(expect, "diagnosis");
	int n = cJSON_IsArray(faults) ? cJSON_GetArraySize(faults) : one ? 1 : 0;
	int scoped = 0, timed = 0;
	if (cJSON_IsArray(faults)) {
		cJSON_ArrayForEach (f, faults) {
			scoped |= cJSON_HasObjectItem(f, "scope");
			timed |=
			        cJSON_HasObjectItem(f, "at_s") || cJSON_HasObjectItem(f, "until_s");
		}
	} else if (one) {
		scoped = cJSON_HasObjectItem(one, "scope");
		timed = cJSON_HasObjectItem(one, "at_s") || cJSON_HasObjectItem(one, "until_s");
	}
	const cJSON *outs = cJSON_GetObjectItemCaseSensitive(expect, "outcomes");
	why[0] = '\0';
	if (n > 1)
		snprintf(why, cap, "several faults");
	else if (!cJSON_IsString(dx))
		snprintf(why, cap, "confounders: more than one cause fits");
	else if (timed || mid_run_actions(root))
		snprintf(why, cap, "mid-run: it strikes while the run goes on");
	else if (scoped || cJSON_HasObjectItem(outs, "SUCCESS") ||
	         !whole_run(expect, endpoints_total(root)))
		snprintf(why, cap, "partial: some endpoints fail, others do not");
}

int train_classify(const char *json, struct train_case *c)
{
	cJSON *root = cJSON_Parse(json);
	const cJSON *expect = cJSON_GetObjectItemCaseSensitive(root, "expect");
	const cJSON *gap = cJSON_GetObjectItemCaseSensitive(expect, "known_gap");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
	int ok = cJSON_IsObject(expect) && !cJSON_IsTrue(gap) && !cJSON_IsString(gap) &&
	         expected_codes(cJSON_GetObjectItemCaseSensitive(expect, "diagnosis"), c);
	if (ok) {
		hardness(root, expect, c->why_hard, sizeof(c->why_hard));
		c->level = c->why_hard[0] ? TRAIN_HARD : TRAIN_EASY;
		snprintf(c->name, sizeof(c->name), "%s",
		         cJSON_IsString(name) ? name->valuestring : "");
	}
	cJSON_Delete(root);
	return ok;
}

void train_case_free(struct train_case *c)
{
	free(c->text);
	c->text = NULL;
}

static int json_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 5 && !strcmp(d->d_name + n - 5, ".json");
}

/* The eligible scenarios of dir at a level, as cases without a variant. */
static int eligible(const char *dir, enum train_level level, struct train_case **out, err_t *e)
{
	struct dirent **names;
	int found = scandir(dir, &names, json_file, alphasort), n = found, k = 0, rc = 0;
	if (found < 0)
		return err_set(e, errno, "--from %s: %s", dir, strerror(errno));
	if (found > TRAIN_MAX_CATALOGUE) {
		rc = err_set(e, E2BIG,
		             "--from %s: %d scenarios, more than a session draws from "
		             "(TRAIN_MAX_CATALOGUE %d)",
		             dir, found, TRAIN_MAX_CATALOGUE);
		n = 0;
	}
	*out = calloc((size_t)n + 1, sizeof(**out));
	for (int i = 0; i < n && *out; i++) {
		struct train_case *c = &(*out)[k];
		char *text = NULL;
		err_t ignored;
		snprintf(c->file, sizeof(c->file), "%s/%s", dir, names[i]->d_name);
		if (!jv_read_file(c->file, &text, &ignored) && train_classify(text, c) &&
		    (c->level & level))
			k++;
		else
			memset(c, 0, sizeof(*c));
		free(text);
	}
	for (int i = 0; i < found; i++)
		free(names[i]);
	free(names);
	if (!rc && !k)
		rc = err_set(e, ENOENT,
		             "--from %s: no scenario there expects a diagnosis at this level", dir);
	return rc ? (free(*out), *out = NULL, rc) : k;
}

static void shuffle(int *order, int n, struct rng *r)
{
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(rng_next(r) % (uint64_t)(i + 1));
		int t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

/* Set the variant's seed to the run seed, so the run replays too. */
static char *with_seed(char *text, uint64_t seed)
{
	cJSON *root = cJSON_Parse(text);
	if (!root)
		return text;
	cJSON_DeleteItemFromObjectCaseSensitive(root, "seed");
	cJSON_AddNumberToObject(root, "seed", (double)seed);
	char *out = cJSON_Print(root);
	cJSON_Delete(root);
	if (!out)
		return text;
	free(text);
	return out;
}

int train_draw(const char *dir, enum train_level level, int n, uint64_t seed,
               struct train_case *out, err_t *e)
{
	struct train_case *pool;
	int m = eligible(dir, level, &pool, e);
	if (m < 0)
		return m;
	int *order = calloc((size_t)m, sizeof(int));
	struct rng r;
	rng_init(&r, rng_derive(seed, "draw"));
	int rc = order ? 0 : -ENOMEM;
	for (int k = 0; k < n && !rc; k++) {
		if (k % m == 0)
			shuffle(order, m, &r);
		out[k] = pool[order[k % m]];
		char *text = NULL;
		rc = jv_read_file(out[k].file, &text, e);
		if (!rc)
			rc = train_vary(text, out[k].file, rng_derive_n(seed, "vary", (uint64_t)k),
			                &out[k].text, out[k].varied, sizeof(out[k].varied), e);
		free(text);
		out[k].run_seed = rng_derive_n(seed, "run", (uint64_t)k) % (RNG_SEED_MAX + 1);
		if (!rc)
			out[k].text = with_seed(out[k].text, out[k].run_seed);
	}
	free(order);
	free(pool);
	return rc;
}

/* score.c — the guide's tree as the trainee's menu, and the score of an
 * answer: right (a code the scenario accepts), right branch (the expected
 * cause's section of the guide, another leaf), or wrong. The sections and
 * their leaves are the diagnosis rules' own tables, so the menu grows with
 * them. */
#include <string.h>

#include "../diagnose/diagnose.h"
#include "train.h"

/* The menu's order, as the guide walks it, by index into dx_sections
 * (allocation, workers, registration, negotiation, call, media, quality). */
static const struct {
	const char *name;
	int section;
} menu[TRAIN_SECTIONS] = {
        {"allocation", 0},  {"workers", 1}, {"registration", 2}, {"call", 4},
        {"negotiation", 3}, {"media", 5},   {"quality", 6},
};

const char *train_section_name(int m)
{
	return m >= 0 && m < TRAIN_SECTIONS ? menu[m].name : "";
}

const struct dx_rule *train_section_rules(int m)
{
	return m >= 0 && m < TRAIN_SECTIONS ? dx_sections[menu[m].section] : NULL;
}

int train_section_of(const char *code)
{
	for (int m = 0; code && m < TRAIN_SECTIONS; m++)
		for (const struct dx_rule *r = train_section_rules(m); r->code; r++)
			if (!strcmp(r->code, code))
				return m;
	return -1;
}

const struct dx_rule *train_rule(const char *code)
{
	int m = train_section_of(code);
	if (m < 0)
		return NULL;
	for (const struct dx_rule *r = train_section_rules(m); r->code; r++)
		if (!strcmp(r->code, code))
			return r;
	return NULL;
}

enum train_result train_score(const struct train_case *c, const char *answer)
{
	if (!answer || !answer[0])
		return TRAIN_WRONG;
	for (int k = 0; k < c->n_accepted; k++)
		if (!strcmp(c->accepted[k], answer))
			return TRAIN_RIGHT;
	int m = train_section_of(answer);
	return m >= 0 && m == train_section_of(c->expected) ? TRAIN_BRANCH : TRAIN_WRONG;
}

const char *train_result_name(enum train_result r)
{
	return r == TRAIN_RIGHT ? "right" : r == TRAIN_BRANCH ? "branch" : "wrong";
}

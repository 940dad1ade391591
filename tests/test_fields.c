/* test_fields.c — the field-table engine on a table made for the test: every
 * type read and defaulted, limits, choices, unknown keys, required fields,
 * full paths in errors, list sizes, hooks, the help it prints; and the
 * program's own tables checked for sound rows. */
#include "harness.h"

#include <errno.h>

#include "../lib/fields.h"
#include "../netns/topo.h"
#include "../registrar/callees.h"
#include "../registrar/config.h"
#include "../registrar/dns.h"
#include "../sim/model/scenario.h"

enum colour { RED, GREEN, BLUE };

struct point {
	int x;
	double y;
};

struct thing {
	char name[8];
	int count;
	double ratio;
	int on;
	enum colour colour;
	int mode;
	char word[8];
	struct point origin;
	int has_origin;
	struct point points[3];
	int n_points;
	char tags[2][6];
	int n_tags;
	enum colour colours[3];
	int n_colours;
	int udp, tcp, tls;
	char code[16];
	int weight; /* in the "extra" section, a section of this struct */
	char ip[16];
};

static const char *const colours[] = {"red", "green", "blue", NULL};
static const char *const modes[] = {"a", "b", "c", NULL};
static const int mode_values[] = {10, 20, 30};
static const char *const words[] = {"one", "two", NULL};
static const char *const transports[] = {"udp", "tcp", "tls", NULL};

static int valid_ip(const char *s)
{
	return strspn(s, "0123456789.") == strlen(s) && strchr(s, '.');
}

/* A point's index goes into x before the defaults (which leave x alone). */
static void point_init(struct jv *c, void *elem, int idx)
{
	((struct point *)elem)->x = 100 + idx;
}

static int point_check(struct jv *c, const cJSON *o, const char *path, void *elem)
{
	const struct point *p = elem;
	if (p->x == 13)
		return err_set(c->e, EINVAL, "%s: %s.x: 13 is unlucky", c->origin, path);
	return 0;
}

/* "code": upper-cased into dst, to show the hook ran on the right member. */
static int read_code(struct jv *c, const cJSON *v, const char *path, void *dst)
{
	char *out = dst;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= 16)
		return jv_bad(c, path, "a short code", v);
	size_t i = 0;
	for (; v->valuestring[i]; i++)
		out[i] = (char)(v->valuestring[i] & ~0x20);
	out[i] = '\0';
	return 0;
}

static const struct field point_fields[] = {
        F_INT(struct point, x, "x", 0, 1000, 0, NULL, "the x coordinate"),
        F_NUMBER(struct point, y, "y", 0, 1, 0, "0.25", "the y coordinate"),
        F_END,
};

static const struct field extra_fields[] = {
        F_INT(struct thing, weight, "weight", 1, 9, 0, "4", "how heavy it is"),
        F_END,
};

static const struct field thing_fields[] = {
        F_STRING(struct thing, name, "name", FF_NONEMPTY, "none", "a short name"),
        F_INT(struct thing, count, "count", 1, 10, FF_REQUIRED, NULL, "how many there are"),
        F_NUMBER(struct thing, ratio, "ratio", 0.5, 2, 0, "1.5", "a ratio"),
        F_BOOL(struct thing, on, "on", 0, "true", "whether it is on"),
        F_CHOICE(struct thing, colour, "colour", colours, FF_ANYCASE, "green", "its colour"),
        F_CHOICE(struct thing, mode, "mode", modes, 0, "b", "its mode", .values = mode_values),
        F_WORD(struct thing, word, "word", words, 0, "one", "a word of two"),
        F_OBJECT(struct thing, origin, "origin", point_fields, FF_GIVEN, "where it starts",
                 .n_off = offsetof(struct thing, has_origin)),
        F_LIST(struct thing, points, n_points, "points", point_fields, 1, 0, "points it visits",
               .init = point_init, .check = point_check),
        F_STRINGS(struct thing, tags, n_tags, "tags", 0, FF_NONEMPTY, "x,y", "tags on it"),
        F_CHOICES(struct thing, colours, n_colours, "colours", colours, 1, 0, "red,blue",
                  "colours it takes"),
        F_FLAGS(struct thing, udp, "transports", transports, 1, 0, "udp,tls",
                "transports it speaks"),
        F_CUSTOM("code", read_code, "string", FF_NULLABLE, "a code, kept in capitals",
                 .off = offsetof(struct thing, code)),
        F_SECTION("extra", extra_fields, 0, "more about it"),
        F_STRING(struct thing, ip, "ip", 0, NULL, "an IPv4 address", .valid = valid_ip),
        F_NOTE("comment", "for the reader"),
        F_END,
};

static int parse(const char *json, struct thing *t, err_t *e)
{
	struct jv c = {"thing.json", e, t};
	memset(t, 0, sizeof(*t));
	return fields_parse(&c, thing_fields, json, t);
}

static void good(const char *json, struct thing *t)
{
	err_t e = {{0}};
	if (parse(json, t, &e))
		fail_msg("refused %s: %s", json, e.msg);
}

/* The message must be exactly "thing.json: " followed by want. */
static void bad(const char *json, const char *want)
{
	struct thing t;
	err_t e = {{0}};
	if (parse(json, &t, &e) != -EINVAL)
		fail_msg("accepted: %s", json);
	char full[800];
	snprintf(full, sizeof(full), "thing.json: %s", want);
	if (strcmp(e.msg, full))
		fail_msg("for %s\n  got:  %s\n  want: %s", json, e.msg, full);
}

static void test_defaults(void **state)
{
	(void)state;
	struct thing t;
	good("{\"count\": 2}", &t);
	assert_string_equal(t.name, "none");
	assert_int_equal(t.count, 2);
	assert_true(t.ratio == 1.5);
	assert_int_equal(t.on, 1);
	assert_int_equal(t.colour, GREEN);
	assert_int_equal(t.mode, 20);
	assert_string_equal(t.word, "one");
	/* A nested object's defaults hold when it is absent; its flag does not. */
	assert_true(t.origin.y == 0.25);
	assert_int_equal(t.has_origin, 0);
	assert_int_equal(t.n_points, 0);
	assert_int_equal(t.n_tags, 2);
	assert_string_equal(t.tags[0], "x");
	assert_string_equal(t.tags[1], "y");
	assert_int_equal(t.n_colours, 2);
	assert_int_equal(t.colours[0], RED);
	assert_int_equal(t.colours[1], BLUE);
	assert_true(t.udp && !t.tcp && t.tls);
	assert_string_equal(t.code, "");
	assert_int_equal(t.weight, 4);
}

static void test_every_type(void **state)
{
	(void)state;
	struct thing t;
	good("{\"name\": \"abcdefg\", \"count\": 10, \"ratio\": 0.5, \"on\": false,"
	     " \"colour\": \"BLUE\", \"mode\": \"c\", \"word\": \"two\","
	     " \"origin\": {\"x\": 7}, \"points\": [{\"y\": 1}, {\"x\": 0, \"y\": 0}],"
	     " \"tags\": [\"q\"], \"colours\": [\"green\", \"green\", \"red\"],"
	     " \"transports\": [\"tcp\"], \"code\": \"ab\", \"extra\": {\"weight\": 9},"
	     " \"ip\": \"10.0.0.1\", \"comment\": [1, {\"any\": true}]}",
	     &t);
	assert_string_equal(t.name, "abcdefg");
	assert_int_equal(t.count, 10);
	assert_true(t.ratio == 0.5);
	assert_int_equal(t.on, 0);
	assert_int_equal(t.colour, BLUE); /* any case, as the row says */
	assert_int_equal(t.mode, 30);     /* the value for "c", not its index */
	assert_string_equal(t.word, "two");
	assert_int_equal(t.origin.x, 7);
	assert_true(t.origin.y == 0.25);
	assert_int_equal(t.has_origin, 1);
	assert_int_equal(t.n_points, 2);
	assert_int_equal(t.points[0].x, 100); /* from init: not given, no default */
	assert_true(t.points[0].y == 1);
	assert_int_equal(t.points[1].x, 0);
	assert_true(t.points[1].y == 0);
	assert_int_equal(t.n_tags, 1); /* given: the default list is replaced */
	assert_string_equal(t.tags[0], "q");
	assert_int_equal(t.n_colours, 3);
	assert_int_equal(t.colours[2], RED);
	assert_true(!t.udp && t.tcp && !t.tls);
	assert_string_equal(t.code, "AB");
	assert_int_equal(t.weight, 9);
	assert_string_equal(t.ip, "10.0.0.1");
	/* null is absent for a nullable field. */
	good("{\"count\": 1, \"code\": null}", &t);
	assert_string_equal(t.code, "");
}

static void test_limits_and_choices(void **state)
{
	(void)state;
	bad("{\"count\": 11}", "count: expected an integer from 1 to 10, got 11");
	bad("{\"count\": 0}", "count: expected an integer from 1 to 10, got 0");
	bad("{\"count\": 2.5}", "count: expected an integer from 1 to 10, got 2.5");
	bad("{\"count\": \"3\"}", "count: expected an integer from 1 to 10, got \"3\"");
	bad("{\"count\": 1, \"ratio\": 2.01}", "ratio: expected a number from 0.5 to 2, got 2.01");
	bad("{\"count\": 1, \"on\": 1}", "on: expected true or false, got 1");
	bad("{\"count\": 1, \"name\": \"abcdefgh\"}",
	    "name: expected a short name (at most 7 characters), got \"abcdefgh\"");
	bad("{\"count\": 1, \"name\": \"\"}", "name: expected a short name, got \"\"");
	bad("{\"count\": 1, \"colour\": \"pink\"}",
	    "colour: expected \"red\", \"green\" or \"blue\", got \"pink\"");
	/* Case counts unless the row says otherwise. */
	bad("{\"count\": 1, \"mode\": \"B\"}", "mode: expected \"a\", \"b\" or \"c\", got \"B\"");
	bad("{\"count\": 1, \"word\": \"three\"}",
	    "word: expected \"one\" or \"two\", got \"three\"");
	bad("{\"count\": 1, \"ip\": \"host\"}", "ip: expected an IPv4 address, got \"host\"");
	bad("{\"count\": 1, \"transports\": []}",
	    "transports: expected a non-empty array of \"udp\", \"tcp\" or \"tls\", got []");
	bad("{\"count\": 1, \"transports\": [\"udp\", \"sctp\"]}",
	    "transports[1]: expected \"udp\", \"tcp\" or \"tls\", got \"sctp\"");
	bad("{\"count\": 1, \"code\": 5}", "code: expected a short code, got 5");
}

static void test_unknown_and_required(void **state)
{
	(void)state;
	bad("{\"count\": 1, \"colour\": \"red\", \"color\": \"red\"}",
	    "color: unknown field (expected one of: name, count, ratio, on, colour, mode, word, "
	    "origin, points, tags, colours, transports, code, extra, ip, comment)");
	bad("{\"count\": 1, \"origin\": {\"x\": 1, \"z\": 2}}",
	    "origin.z: unknown field (expected one of: x, y)");
	bad("{}", "count: expected an integer from 1 to 10, got nothing");
	bad("[1]", "(top level): expected an object {\"name\", \"count\", \"ratio\", \"on\", "
	           "\"colour\", \"mode\", \"word\", \"origin\", \"points\", \"tags\", \"colours\", "
	           "\"transports\", \"code\", \"extra\", \"ip\", \"comment\"}, got [1]");
	bad("{\"count\": 1, \"origin\": 3}", "origin: expected an object {\"x\", \"y\"}, got 3");
	bad("{\"count\": 1,\n \"on\": tru}", "line 2: not valid JSON (near \"tru}\")");
}

static void test_paths_and_lists(void **state)
{
	(void)state;
	bad("{\"count\": 1, \"points\": [{\"y\": 0}, {\"y\": 5}]}",
	    "points[1].y: expected a number from 0 to 1, got 5");
	bad("{\"count\": 1, \"points\": [{}, {}, {}, {}]}",
	    "points: expected an array of 1 to 3 points, got [{},{},{},{}]");
	bad("{\"count\": 1, \"points\": []}", "points: expected an array of 1 to 3 points, got []");
	bad("{\"count\": 1, \"points\": [{}, 4]}",
	    "points[1]: expected an object {\"x\", \"y\"}, got 4");
	bad("{\"count\": 1, \"points\": [{\"x\": 13}]}", "points[0].x: 13 is unlucky");
	bad("{\"count\": 1, \"tags\": [\"a\", \"b\", \"c\"]}",
	    "tags: expected an array of at most 2 tags on it, got [\"a\",\"b\",\"c\"]");
	bad("{\"count\": 1, \"tags\": [\"a\", \"\"]}", "tags[1]: expected tags on it, got \"\"");
	bad("{\"count\": 1, \"tags\": [\"abcdef\"]}",
	    "tags[0]: expected tags on it (at most 5 characters), got \"abcdef\"");
	bad("{\"count\": 1, \"colours\": [\"red\", \"red\", \"red\", \"red\"]}",
	    "colours: expected an array of 1 to 3 of \"red\", \"green\" or \"blue\", got "
	    "[\"red\",\"red\",\"red\",\"red\"]");
	bad("{\"count\": 1, \"extra\": {\"weight\": 0}}",
	    "extra.weight: expected an integer from 1 to 9, got 0");
}

static char *help_text(const struct field *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	fields_help(f, t, 100);
	fclose(f);
	return text;
}

/* The line of text that starts (after spaces) with the given words. */
static const char *line_of(const char *text, const char *start)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *p = l + strspn(l, " ");
		if (!strncmp(p, start, strlen(start)))
			return l;
	}
	return NULL;
}

static void test_help(void **state)
{
	(void)state;
	char *text = help_text(thing_fields);
	const char *l;
	/* A row: the field, its type with limits, its default, its help. */
	assert_non_null(l = line_of(text, "count "));
	assert_non_null(strstr(l, "integer 1-10"));
	assert_non_null(strstr(l, "required"));
	assert_non_null(strstr(l, "how many there are"));
	assert_non_null(l = line_of(text, "colour "));
	assert_non_null(strstr(l, "red|green|blue"));
	assert_non_null(strstr(l, "green"));
	assert_non_null(l = line_of(text, "name "));
	assert_non_null(strstr(l, "\"none\""));
	assert_non_null(strstr(l, "a short name"));
	/* Nested rows are indented under their object; lists are marked []. */
	assert_non_null(l = line_of(text, "points[]"));
	assert_non_null(strstr(l, "array of 1-3 objects"));
	assert_non_null(strstr(text, "\n    y "));
	assert_non_null(strstr(text, "\n    weight "));
	/* A table met again points to the first. */
	assert_non_null(strstr(text, "as origin above"));
	/* Columns line up: the help of count and of ratio start at one column. */
	const char *a = line_of(text, "count "), *b = line_of(text, "ratio ");
	assert_int_equal(strstr(a, "how many") - a, strstr(b, "a ratio") - b);
	free(text);

	/* A real table, wrapped to 100 columns. */
	text = help_text(scenario_fields);
	assert_non_null(l = line_of(text, "time_scale "));
	assert_non_null(strstr(l, "number 0.001-1"));
	assert_non_null(strstr(text, "\n    transport "));
	for (const char *p = text; *p; p = strchr(p, '\n') + 1)
		if (strchr(p, '\n') - p > 100)
			fail_msg("line over 100 columns: %.*s", (int)(strchr(p, '\n') - p), p);
	free(text);
}

/* The program's tables are sound, and the check finds unsound ones. */
static void test_tables(void **state)
{
	(void)state;
	const struct field *tables[] = {thing_fields,      scenario_fields,
	                                topo_fields,       reg_config_fields,
	                                dns_config_fields, callees_config_fields};
	err_t e;
	for (size_t i = 0; i < sizeof(tables) / sizeof(*tables); i++)
		if (fields_check_table(tables[i], &e))
			fail_msg("table %zu: %s", i, e.msg);
	const struct field long_default[] = {
	        F_STRING(struct thing, name, "name", 0, "12345678", "a name"), F_END};
	assert_int_not_equal(fields_check_table(long_default, &e), 0);
	assert_non_null(strstr(e.msg, "name: its default"));
	const struct field range_default[] = {
	        F_INT(struct thing, count, "count", 1, 10, 0, "11", "a count"), F_END};
	assert_int_not_equal(fields_check_table(range_default, &e), 0);
	const struct field bad_choice[] = {
	        F_CHOICE(struct thing, colour, "colour", colours, 0, "pink", "a colour"), F_END};
	assert_int_not_equal(fields_check_table(bad_choice, &e), 0);
	const struct field twice[] = {F_INT(struct thing, count, "count", 1, 10, 0, NULL, "a"),
	                              F_INT(struct thing, count, "count", 1, 10, 0, NULL, "b"),
	                              F_END};
	assert_int_not_equal(fields_check_table(twice, &e), 0);
	assert_non_null(strstr(e.msg, "named twice"));
	const struct field no_help[] = {F_BOOL(struct thing, on, "on", 0, NULL, ""), F_END};
	assert_int_not_equal(fields_check_table(no_help, &e), 0);
	const struct field not_int[] = {F_INT(struct thing, ratio, "ratio", 0, 1, 0, NULL, "r"),
	                                F_END};
	assert_int_not_equal(fields_check_table(not_int, &e), 0);
	const struct field nested[] = {
	        F_LIST(struct thing, points, n_points, "points", range_default, 0, 0, "p"), F_END};
	assert_int_not_equal(fields_check_table(nested, &e), 0);
	assert_non_null(strstr(e.msg, "in points"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_every_type),
	        cmocka_unit_test(test_limits_and_choices),
	        cmocka_unit_test(test_unknown_and_required),
	        cmocka_unit_test(test_paths_and_lists),
	        cmocka_unit_test(test_help),
	        cmocka_unit_test(test_tables),
	};
	return cmocka_run_group_tests_name("field tables", tests, NULL, NULL);
}

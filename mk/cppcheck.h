/* Read by cppcheck only (--include): macros of system headers it does not
 * open, spelled out so the code using them parses. */
#define cJSON_ArrayForEach(e, a) for ((e) = (a) ? (a)->child : 0; (e); (e) = (e)->next)

/* neg.sbc_codec_stripping — an SBC on the call path removes codecs from the
 * offer, so no codec both ends have is left. Mechanism: the registrar's SBC
 * mode rewrites the SDP of INVITEs it forwards. The remedy is offering a codec
 * the SBC keeps. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../media/codec.h"
#include "fault.h"

static int apply(struct fault_plan *p, const char *const *v, double time_scale, err_t *e)
{
	(void)time_scale;
	char list[128];
	snprintf(list, sizeof(list), "%s", v[0]);
	p->n_strip = 0;
	for (char *save = NULL, *c = strtok_r(list, ",", &save); c;
	     c = strtok_r(NULL, ",", &save)) {
		if (p->n_strip == 8)
			return err_set(e, EINVAL, "neg.sbc_codec_stripping: at most 8 codecs");
		if (codec_by_name(c) < 0) {
			char names[128] = "";
			for (size_t i = 0, n = 0; codec_names[i]; i++)
				n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
				                      i ? ", " : "", codec_names[i]);
			return err_set(e, EINVAL,
			               "neg.sbc_codec_stripping: parameter strip: expected codec "
			               "names among %s, got \"%s\"",
			               names, c);
		}
		snprintf(p->strip[p->n_strip++], sizeof(p->strip[0]), "%s", c);
	}
	return 0;
}

const struct fault fault_neg_sbc_codec_stripping = {
        .code = "neg.sbc_codec_stripping",
        .summary = "an SBC on the call path strips codecs from the offer",
        .applied = "before the run: the registrar's SBC SDP rewriting",
        .reverted = "the next lab's registrar strips nothing",
        .params = {{"strip", "opus,PCMU", "codecs removed, separated by commas", fault_text}},
        .apply = apply,
};

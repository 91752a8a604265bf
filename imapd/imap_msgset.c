/*
 * imap_msgset.c: sequence sets resolved against the session's view (see
 * imap_msgset.h). A UID set is matched by walking the view once (UIDs are
 * ascending), an MSN set by walking its ranges, so either costs no more
 * than the messages it names plus the view.
 */
#include <stdlib.h>

#include "imap.h"
#include "imap_msgset.h"
#include "util.h"

int
imap_msgset_get(struct imap_cmd *cmd, const struct imap_arg *a,
    uint32_t **msns_r, size_t *n_r, struct imap_seqset *set_r)
{
	struct imap_selected *sel = cmd->s->sel;
	struct imap_seqset set;
	uint32_t *msns, msn, i;
	size_t n = 0, j;
	int r;

	*msns_r = NULL;
	*n_r = 0;
	imap_seqset_init(&set);
	if (a == NULL || a->type != IMAP_ARG_ATOM) {
		imap_send_tagged(cmd, "BAD", NULL, "Sequence set expected.");
		return -1;
	}
	if ((r = imap_seqset_parse(&set, a->str, a->len)) != IMAP_SEQSET_OK) {
		imap_send_tagged(cmd, "BAD", NULL, "%s.", imap_seqset_strerror(r));
		return -1;
	}
	if (set.last_result) {
		/*
		 * RFC 5182 2.2: "$" names the saved messages that still exist,
		 * by UID whether or not the command is a UID command.
		 */
		for (j = 0; j < cmd->s->n_searchres; j++)
			imap_seqset_add(&set, cmd->s->searchres[j], cmd->s->searchres[j]);
		imap_seqset_resolve(&set, sel->count > 0 ? sel->msgs[sel->count - 1].uid : 0);
		msns = xreallocarray(NULL, sel->count > 0 ? sel->count : 1, sizeof(*msns));
		for (i = 0; i < sel->count; i++)
			if (imap_seqset_contains(&set, sel->msgs[i].uid))
				msns[n++] = i + 1;
		*msns_r = msns;
		*n_r = n;
		if (set_r != NULL)
			*set_r = set;
		else
			imap_seqset_free(&set);
		return 0;
	}
	if (cmd->uid) {
		imap_seqset_resolve(&set, sel->count > 0 ?
		    sel->msgs[sel->count - 1].uid : 0);
	} else {
		/*
		 * "n:*" is "*:n" (RFC 3501 9): it names the last message
		 * whatever n is, so only numbers outside star ranges can be
		 * past the end.
		 */
		if (set.max_plain > sel->count) {
			imap_seqset_free(&set);
			imap_send_tagged(cmd, "BAD", NULL,
			    "Invalid message sequence number.");
			return -1;
		}
		imap_seqset_resolve(&set, sel->count);
	}
	msns = xreallocarray(NULL, sel->count > 0 ? sel->count : 1, sizeof(*msns));
	if (cmd->uid) {
		for (i = 0; i < sel->count; i++)
			if (imap_seqset_contains(&set, sel->msgs[i].uid))
				msns[n++] = i + 1;
	} else {
		for (j = 0; j < set.n; j++)
			for (msn = set.r[j].lo; msn <= set.r[j].hi && msn <= sel->count; msn++)
				msns[n++] = msn;
	}
	*msns_r = msns;
	*n_r = n;
	if (set_r != NULL)
		*set_r = set;
	else
		imap_seqset_free(&set);
	return 0;
}

/*
 * imap_status.c: STATUS (RFC 3501 6.3.10, RFC 9051 6.3.11, RFC 8438 SIZE,
 * RFC 7162 HIGHESTMODSEQ) and the STATUS responses of LIST-STATUS
 * (RFC 5819), which share the item parser and the response writer.
 *
 * All numbers come from the store's per-mailbox counters, so a STATUS
 * poll (Thunderbird sends one per folder per check) reads one record;
 * only DELETED needs the message list.
 */
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "imap_core.h"
#include "util.h"

#define ST_MESSAGES		0x001
#define ST_RECENT		0x002
#define ST_UIDNEXT		0x004
#define ST_UIDVALIDITY		0x008
#define ST_UNSEEN		0x010
#define ST_SIZE			0x020
#define ST_HIGHESTMODSEQ	0x040
#define ST_DELETED		0x080

static const struct {
	const char	*name;
	unsigned	 bit;
} status_items[] = {
	{ "MESSAGES", ST_MESSAGES },
	{ "RECENT", ST_RECENT },
	{ "UIDNEXT", ST_UIDNEXT },
	{ "UIDVALIDITY", ST_UIDVALIDITY },
	{ "UNSEEN", ST_UNSEEN },
	{ "SIZE", ST_SIZE },
	{ "HIGHESTMODSEQ", ST_HIGHESTMODSEQ },
	{ "DELETED", ST_DELETED },
};

int
imap_status_parse_items(const struct imap_arg *list, unsigned *items_r)
{
	size_t i, k;
	unsigned items = 0;

	if (list->type != IMAP_ARG_LIST || list->list_n == 0)
		return -1;
	for (i = 0; i < list->list_n; i++) {
		for (k = 0; k < sizeof(status_items) / sizeof(status_items[0]); k++)
			if (imap_arg_atom_is(&list->list[i], status_items[k].name))
				break;
		if (k == sizeof(status_items) / sizeof(status_items[0]))
			return -1;
		items |= status_items[k].bit;
	}
	*items_r = items;
	return 0;
}

/* \Deleted messages: the one item without a counter. */
static uint32_t
status_deleted(struct imap_session *s, uint64_t mailbox_id)
{
	struct store_message *msgs = NULL;
	uint32_t n = 0;
	int count, i;

	count = store_message_list(s->store, mailbox_id, &msgs);
	for (i = 0; i < count; i++)
		if (msgs[i].flags & STORE_FLAG_DELETED)
			n++;
	free(msgs);
	return n;
}

void
imap_status_send(struct imap_session *s, const struct store_mailbox *mb,
    unsigned items)
{
	char buf[512], num[64];

	buf[0] = '\0';
#define ADD(bit, fmt, val) do {						\
	if (items & (bit)) {						\
		(void)str_format(num, sizeof(num), fmt, val);		\
		if (buf[0] != '\0')					\
			str_append(buf, " ", sizeof(buf));		\
		str_append(buf, num, sizeof(buf));			\
	}								\
} while (0)
	ADD(ST_MESSAGES, "MESSAGES %u", mb->messages);
	ADD(ST_RECENT, "RECENT %u", mb->recent);
	ADD(ST_UIDNEXT, "UIDNEXT %u", mb->uidnext);
	ADD(ST_UIDVALIDITY, "UIDVALIDITY %u", mb->uidvalidity);
	ADD(ST_UNSEEN, "UNSEEN %u", mb->unseen);
	ADD(ST_SIZE, "SIZE %llu", (unsigned long long)mb->size);
	ADD(ST_HIGHESTMODSEQ, "HIGHESTMODSEQ %llu", (unsigned long long)mb->highestmodseq);
	ADD(ST_DELETED, "DELETED %u", status_deleted(s, mb->id));
#undef ADD
	imap_out_write(s, "* STATUS ", 9);
	imap_out_mailbox(s, mb->name);
	imap_out_printf(s, " (%s)\r\n", buf);
}

int
cmd_status(struct imap_cmd *cmd)
{
	struct imap_session *s = cmd->s;
	char name[STORE_MAILBOX_NAME_MAX];
	struct store_mailbox mb;
	const char *why;
	unsigned items;
	int r;

	if (cmd->n_args != 2 || imap_status_parse_items(&cmd->args[1], &items) < 0) {
		imap_send_tagged(cmd, "BAD", NULL, "STATUS wants a mailbox and a list of items.");
		return 1;
	}
	if (imap_mailbox_arg(s, &cmd->args[0], name, sizeof(name), &why) < 0) {
		imap_send_tagged(cmd, "NO", "CANNOT", "%s", why);
		return 1;
	}
	r = store_mailbox_get(s->store, s->user.id, name, &mb);
	if (r < 0) {
		imap_send_store_error(cmd, r, "STATUS");
		return 1;
	}
	/* RFC 7162 3.1: asking for HIGHESTMODSEQ turns CONDSTORE on. */
	if (items & ST_HIGHESTMODSEQ)
		imap_condstore_enable(s);
	imap_status_send(s, &mb, items);
	imap_send_tagged(cmd, "OK", NULL, "Status completed.");
	return 1;
}

/*
 * lib/plan/render.c - a plan as text:
 *
 *   zone      RFC 1035 section 5 master-file lines, grouped by zone, each
 *             preceded by "; " comments saying why; records to keep and
 *             to delete appear as comments only;
 *   nsupdate  a script for BIND's nsupdate(1): per zone, the RFC 2136
 *             section 2.5 operations (delete an RR, add to an RRset) and
 *             "send".  Deletions come first in each batch, so that a
 *             CNAME is added after the data it replaces is gone (RFC 2136
 *             section 3.4.2 applies updates in order).
 */
#include <stdio.h>
#include <string.h>

#include "plan_internal.h"

static const char *
type_str(uint16_t t)
{
	return sk_dns_type_str(t);
}

/* A comment line: "; " then the text with control characters made
 * blanks (a comment never spills onto a record line). */
static sk_status
comment(struct sk_buf *o, const char *prefix, const char *text)
{
	sk_status st;
	size_t i;

	st = sk__buf_adds(o, "; ");
	if (st == SK_OK && prefix != NULL)
		st = sk__buf_adds(o, prefix);
	for (i = 0; text != NULL && text[i] != '\0' && st == SK_OK; i++)
		st = sk__buf_addc(o, (unsigned char)text[i] < 0x20 ? ' ' :
				  text[i]);
	if (st == SK_OK)
		st = sk__buf_addc(o, '\n');
	return st;
}

static sk_status
render_zone(const struct sk_plan *pl, bool keep, struct sk_buf *o)
{
	const struct sk_plan_record *r;
	const char *zone = NULL;
	size_t i, nkeep = 0, nadd = 0, nchange = 0, nremove = 0;
	sk_status st = SK_OK;
	char head[128];

	for (i = 0; i < pl->n; i++) {
		switch (pl->v[i].pub.action) {
		case SK_PLAN_KEEP:
			nkeep++;
			break;
		case SK_PLAN_ADD:
			nadd++;
			break;
		case SK_PLAN_CHANGE:
			nchange++;
			break;
		case SK_PLAN_REMOVE:
			nremove++;
			break;
		}
	}
	if (nadd + nchange + nremove == 0 && (!keep || nkeep == 0))
		return SK_OK;
	st = sk__buf_printf(o, "; senderkit plan for %s (profile %s)\n",
			    pl->organization[0] ? pl->organization :
			    "the organization", pl->profile[0] ?
			    pl->profile : "none");
	if (st == SK_OK)
		st = sk__buf_printf(o, "; %zu to add, %zu to change, %zu to "
				    "remove, %zu already published\n", nadd,
				    nchange, nremove, nkeep);
	for (i = 0; i < pl->n && st == SK_OK; i++) {
		r = &pl->v[i].pub;
		if (r->action == SK_PLAN_KEEP && !keep)
			continue;
		if (zone == NULL || strcmp(zone, r->zone) != 0) {
			zone = r->zone;
			st = sk__buf_printf(o, "\n; ---- zone %s.\n", zone);
			if (st != SK_OK)
				break;
		}
		snprintf(head, sizeof(head), "%s %s: ",
			 sk_plan_action_str(r->action), r->purpose);
		st = sk__buf_addc(o, '\n');
		if (st == SK_OK)
			st = comment(o, head, r->why);
		if (st == SK_OK && r->source[0] != '\0')
			st = comment(o, "source: ", r->source);
		if (st != SK_OK)
			break;
		switch (r->action) {
		case SK_PLAN_KEEP:
			st = sk__buf_printf(o, "; %s. %u IN %s %s\n", r->name,
					    r->ttl, type_str(r->type),
					    r->rdata);
			break;
		case SK_PLAN_REMOVE:
			st = sk__buf_printf(o, "; delete: %s. IN %s %s\n",
					    r->name, type_str(r->type),
					    r->old_rdata);
			break;
		case SK_PLAN_CHANGE:
			st = sk__buf_printf(o, "; replaces: %s. IN %s %s\n",
					    r->name, type_str(r->type),
					    r->old_rdata);
			break;
		case SK_PLAN_ADD:
			break;
		}
		if (st == SK_OK && (r->action == SK_PLAN_CHANGE ||
				    r->action == SK_PLAN_ADD))
			st = sk__buf_printf(o, "%s. %u IN %s %s\n", r->name,
					    r->ttl, type_str(r->type),
					    r->rdata);
	}
	return st;
}

/* "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address -> nsupdate's
 * "server ADDRESS [PORT]". */
static sk_status
server_line(struct sk_buf *o, const char *s, struct sk_err *err)
{
	const char *c, *e;

	if (s[0] == '[') {
		e = strchr(s, ']');
		if (e == NULL || (e[1] != '\0' && e[1] != ':') ||
		    (e[1] == ':' && e[2] == '\0'))
			return sk__err(err, SK_EINVAL, "server '%s' is not "
				       "[ADDRESS]:PORT", s);
		if (e[1] == '\0')
			return sk__buf_printf(o, "server %.*s\n",
					      (int)(e - s - 1), s + 1);
		return sk__buf_printf(o, "server %.*s %s\n",
				      (int)(e - s - 1), s + 1, e + 2);
	}
	c = strchr(s, ':');
	if (c == NULL || strchr(c + 1, ':') != NULL)
		return sk__buf_printf(o, "server %s\n", s);
	if (c == s || c[1] == '\0')
		return sk__err(err, SK_EINVAL, "server '%s' is not "
			       "ADDRESS:PORT", s);
	return sk__buf_printf(o, "server %.*s %s\n", (int)(c - s), s, c + 1);
}

static bool
plain_line(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20)
			return false;
	return true;
}

static sk_status
render_nsupdate(const struct sk_plan *pl,
		const struct sk_plan_render_opts *ro, struct sk_buf *o,
		struct sk_err *err)
{
	const struct sk_plan_record *r;
	size_t i, j, end, pass, n;
	sk_status st = SK_OK;

	if (ro != NULL && ro->tsig != NULL && !plain_line(ro->tsig))
		return sk__err(err, SK_EINVAL, "TSIG key spec holds a "
			       "control character");
	for (i = 0; i < pl->n && st == SK_OK; i = end) {
		/* Records are sorted by zone: [i, end) is one zone. */
		n = 0;
		for (end = i; end < pl->n &&
		     strcmp(pl->v[end].pub.zone, pl->v[i].pub.zone) == 0;
		     end++)
			if (pl->v[end].pub.action != SK_PLAN_KEEP)
				n++;
		if (n == 0)
			continue;
		if (ro != NULL && ro->server != NULL)
			st = server_line(o, ro->server, err);
		if (st == SK_OK && ro != NULL && ro->tsig != NULL)
			st = sk__buf_printf(o, "key %s\n", ro->tsig);
		if (st == SK_OK)
			st = sk__buf_printf(o, "zone %s.\n", pl->v[i].pub.zone);
		/* Pass 0: removals; 1: changes; 2: additions. */
		for (pass = 0; pass < 3 && st == SK_OK; pass++) {
			for (j = i; j < end && st == SK_OK; j++) {
				r = &pl->v[j].pub;
				if (pass == 0 && r->action == SK_PLAN_REMOVE)
					st = sk__buf_printf(o, "update delete "
							    "%s. %s %s\n",
							    r->name,
							    type_str(r->type),
							    r->old_rdata);
				if (pass == 1 && r->action == SK_PLAN_CHANGE) {
					st = sk__buf_printf(o, "update delete "
							    "%s. %s %s\n",
							    r->name,
							    type_str(r->type),
							    r->old_rdata);
					if (st == SK_OK)
						st = sk__buf_printf(o,
							"update add %s. %u "
							"%s %s\n", r->name,
							r->ttl,
							type_str(r->type),
							r->rdata);
				}
				if (pass == 2 && r->action == SK_PLAN_ADD)
					st = sk__buf_printf(o, "update add %s. "
							    "%u %s %s\n",
							    r->name, r->ttl,
							    type_str(r->type),
							    r->rdata);
			}
		}
		if (st == SK_OK)
			st = sk__buf_adds(o, "send\n");
	}
	return st;
}

SK_API sk_status
sk_plan_render(const struct sk_plan *pl, enum sk_plan_format fmt,
	       const struct sk_plan_render_opts *opts, char **out,
	       struct sk_err *err)
{
	struct sk_buf o;
	sk_status st;

	if (pl == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "plan and output needed");
	*out = NULL;
	sk__buf_init(&o, SK_MAX_PLAN_TEXT);
	switch (fmt) {
	case SK_PLAN_ZONE:
		st = render_zone(pl, opts == NULL || opts->include_keep, &o);
		break;
	case SK_PLAN_NSUPDATE:
		st = render_nsupdate(pl, opts, &o, err);
		break;
	default:
		return sk__err(err, SK_EINVAL, "unknown plan format %d",
			       (int)fmt);
	}
	if (st != SK_OK) {
		sk__buf_free(&o);
		if (st == SK_ETOOBIG)
			return sk__err(err, st, "plan text over %u bytes",
				       SK_MAX_PLAN_TEXT);
		if (st == SK_ENOMEM)
			return sk__err(err, st, "out of memory");
		return st;
	}
	*out = sk__buf_take(&o);
	if (*out == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	return SK_OK;
}

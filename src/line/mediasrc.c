/* The source check of a call's media (see mediasrc.h). */
#include "mediasrc.h"

#include <string.h>

#include "sipaddr.h"

void media_src_reset(media_src_t *s, const struct sockaddr_storage *sdp)
{
	int same = s->sdp.ss_family && sipaddr_eq(&s->sdp, sdp);
	memset(s->cand, 0, sizeof s->cand);
	if (same)
		return;
	unsigned foreign = s->foreign;
	memset(s, 0, sizeof *s);
	s->sdp = *sdp;
	s->foreign = foreign;
}

static int lock_to(media_src_t *s, const struct sockaddr_storage *src)
{
	int moved = !s->locked || !sipaddr_eq(&s->lock, src);
	s->lock = *src;
	s->locked = 1;
	memset(s->cand, 0, sizeof s->cand);
	return moved ? MEDIASRC_LOCKED : MEDIASRC_TAKE;
}

int media_src_check(media_src_t *s, const struct sockaddr_storage *src, int quiet)
{
	if (s->sdp.ss_family && sipaddr_eq(src, &s->sdp)) {
		s->sdp_sent = 1;
		return lock_to(s, src);
	}
	if (s->locked && sipaddr_eq(src, &s->lock))
		return MEDIASRC_TAKE;
	if (s->sdp_sent || (s->locked && !quiet)) {
		s->foreign++;
		return MEDIASRC_DROP;
	}
	return MEDIASRC_PROBE;
}

void media_src_reject(media_src_t *s)
{
	s->foreign++;
}

int media_src_probe(media_src_t *s, const struct sockaddr_storage *src, uint16_t seq, uint16_t *first)
{
	s->clock++;
	media_cand_t *c = NULL, *oldest = &s->cand[0];
	for (int i = 0; i < MEDIASRC_CANDS; i++) {
		media_cand_t *k = &s->cand[i];
		if (k->n && sipaddr_eq(&k->addr, src)) {
			c = k;
			break;
		}
		/* a free slot first, else the one seen longest ago */
		if (oldest->n && (!k->n || k->age < oldest->age))
			oldest = k;
	}
	if (c && c->n && seq == (uint16_t)(c->last + 1)) {
		c->n++;
		c->last = seq;
	} else {
		if (!c)
			c = oldest;
		*c = (media_cand_t){.addr = *src, .n = 1, .first = seq, .last = seq};
	}
	c->age = s->clock;
	if (c->n < MEDIASRC_PROBATION) {
		s->foreign++;
		return 0;
	}
	*first = c->first;
	lock_to(s, src);
	return 1;
}

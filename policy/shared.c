/*
 * One generation's shared region (policy.h pc_shared_size): the four
 * arrays one after the other, each on a 64-byte boundary (cache lines:
 * the atomics of two arrays never share one).
 */
#include <stdint.h>

#include "policy/policy.h"

#define ALIGN(n) (((n) + 63) & ~(size_t)63)

struct parts {
	size_t pipes, connstates, ctoff, svc_active, total;
};

static struct parts
layout(const struct pc_config *cfg)
{
	struct parts p;

	p.pipes = 0;
	p.connstates = ALIGN(p.pipes + cfg->nbandlims *
	    sizeof(struct pc_pipe));
	p.ctoff = ALIGN(p.connstates + cfg->nconnlims *
	    sizeof(struct pc_connstate));
	p.svc_active = ALIGN(p.ctoff + cfg->ncounters);
	p.total = ALIGN(p.svc_active + cfg->nsvcs * sizeof(uint32_t));
	return p;
}

size_t
pc_shared_size(const struct pc_config *cfg)
{
	size_t n = layout(cfg).total;

	return n > 0 ? n : 64;    /* mmap refuses 0 */
}

void
pc_shared_attach(struct pc_config *cfg, void *base)
{
	struct parts p = layout(cfg);
	char        *b = base;

	cfg->pipes = cfg->nbandlims > 0 ? (void *)(b + p.pipes) : NULL;
	cfg->connstates = cfg->nconnlims > 0 ? (void *)(b + p.connstates) :
	    NULL;
	cfg->ctoff = cfg->ncounters > 0 ? (uint8_t *)(b + p.ctoff) : NULL;
	cfg->svc_active = cfg->nsvcs > 0 ? (void *)(b + p.svc_active) : NULL;
}

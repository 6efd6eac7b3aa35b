/*
 * The master's listening sockets, shared between generations by identity
 * (address and port): a reload keeps the sockets whose address stays, so
 * no connection is refused while the configuration changes.
 */
#ifndef PC_MASTER_LISTEN_H
#define PC_MASTER_LISTEN_H

#include <stddef.h>

struct gen;

/* Claims a socket for every service of g (existing ones are reused, new
 * ones bound).  On failure everything g claimed is released (sockets bound
 * for it are closed) and err holds "FILE:LINE: svc: cannot listen on
 * ADDR: reason". */
int  listen_claim_gen(struct gen *g, char *err, size_t errlen);
/* Drops g's references; a socket no generation uses any more is closed. */
void listen_release_gen(struct gen *g);
int  listen_fd(size_t idx);

#endif

/*
 * One FTP data connection of the proxy: the client's end (a socket the
 * proxy listens on for a passive client, or a connection the proxy makes
 * to an active client's PORT), the server's end (always passive: the
 * proxy connects to the port of the server's PASV/EPSV reply), and the
 * one-way copy between them once the transfer command is allowed.
 * Used by ftppr (proto/ftp/ftp.c) and FTP over HTTP (http_ftp.c, which has
 * no client data end: it reads the server's end itself).
 */
#ifndef PC_WORKER_FTP_DATA_H
#define PC_WORKER_FTP_DATA_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/ecode.h"

struct ftp_data;

/* Called once when the copy ends: 0 when the sending side closed and
 * everything was delivered, else FTP_E_DATA (a connection could not be
 * made or accepted in time) or FTP_E_DATAIO (a side failed mid-way). */
typedef void ftp_data_cb(void *arg, enum pc_ecode code);

struct ftp_data *ftp_data_new(void);
/* Closes every socket, stops every timer; freed at the end of the turn,
 * so a callback may call it.  NULL is fine. */
void ftp_data_free(struct ftp_data *d);

/* The client's end, passive: a socket listening on local's address with a
 * port the kernel picks (*bound gets it); the first connection from
 * client's address is accepted as soon as it arrives.  0 or -1. */
int  ftp_data_listen(struct ftp_data *d, const struct pc_addr *local,
	    const struct pc_addr *client);
const struct pc_addr *ftp_data_bound(const struct ftp_data *d);
/* The client's end, active: the proxy connects to a, from local's
 * address, when the copy runs. */
void ftp_data_active(struct ftp_data *d, const struct pc_addr *a,
	    const struct pc_addr *local);
/* The server's end: connects to a (from external/-e).  0 or -1. */
int  ftp_data_server(struct ftp_data *d, const struct pc_addr *a);

/* Runs the copy: client to server when upload, else server to client;
 * bytes moved are added to *count.  idle_s bounds the wait for each end
 * and every pause of the copy. */
void ftp_data_run(struct ftp_data *d, bool upload, uint32_t idle_s,
	    uint64_t *count, ftp_data_cb *cb, void *arg);

/* FTP over HTTP: the server's end, read by the caller (the socket stays
 * owned by d), or the HTTP client's socket as the client's end: borrowed,
 * taken out of the loop but never closed by d (the caller must have taken
 * it out of the loop first). */
int  ftp_data_server_fd(const struct ftp_data *d);
void ftp_data_client_fd(struct ftp_data *d, int fd);

#endif

/*
 * FTP over HTTP in the `proxy` service: `GET ftp://[user[:pass]@]server
 * [:port]/path` is fetched by the proxy's own FTP client.  The request
 * pipeline runs with FTP_GET (as 3proxy authorises ftp:// URLs) towards
 * the server; the proxy logs in (anonymous when the URL names no user),
 * switches to TYPE I, and then
 *
 *  - a path ending in '/' is a directory: CWD there, LIST, and answer a
 *    small HTML page linking every name;
 *  - any other path is a file: SIZE for the Content-Length, RETR, and the
 *    data is copied to the client as it comes (ftp_data.c); when RETR is
 *    refused the path is tried as a directory before answering 404.
 *
 * Always passive towards the server, on the address of the control
 * connection.  The answer is HTTP/1.0 with Connection: close, and the
 * connection closes after it.  %T is the request line with the password
 * taken out of the URL.  Codes: 700 login refused (401), 780 no such file
 * or directory (404), 811/821/823/824 server or data trouble (502); the
 * pipeline's own codes as for any HTTP request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "worker/proto/ftp/ftp_data.h"
#include "worker/wire/ftp_parse.h"
#include "worker/wire/text.h"
#include "worker/proto/http/http_conn.h"
#include "worker/net/request.h"

#define LIST_MAX (4u << 20)   /* listing bytes kept for the page */

enum step {
	S_WAIT, S_GREET, S_USER, S_PASS, S_TYPE, S_SIZE, S_CWD, S_PASV,
	S_RETR, S_LIST, S_XFER
};

struct http_ftp {
	uint8_t  step;
	bool     dir, tried_dir, list_eof, sent_head;
	char     host[256];
	uint16_t port;
	char     user[FTP_NAME_MAX + 1], pass[FTP_NAME_MAX + 1];
	char     puser[256], ppass[256];    /* Proxy-Authorization */
	char     path[1024];                /* decoded, no leading '/' */
	char     title[1400];               /* the URL without password */
	int64_t  size;
	struct ftp_data *data;
	struct ev_io dio;                   /* reads a listing */
	char    *list;
	size_t   llen;
	char    *out;                       /* the page going out */
	size_t   olen, ooff;
	uint16_t slen;
	struct ftp_reply_scan scan;
	uint8_t  sbuf[FTP_LINE_MAX];
	uint8_t  last[FTP_LINE_MAX];        /* the last line of a reply */
	size_t   lastlen;
};

static struct http_ftp *
hf(struct conn *c)
{
	return ((struct http_state *)c->proto_state)->ftp;
}

/* Before anything went to the client: the HTTP error page, then close
 * (proto/http/http.c's way); afterwards only the close tells. */
static void
fail(struct conn *c, int code)
{
	struct http_state *st = c->proto_state;
	bool               sent = st->ftp->sent_head;

	http_ftp_release(c);
	if (sent) {
		conn_close(c, code);
		return;
	}
	st->phase = HP_CLOSING;
	ev_io_set_cb(&c->cio, http_client_io, c);
	http_fail(c, code, false);
}

static void
ftp_timer(struct ev_timer *t)
{
	fail(t->arg, PC_E_TIMEOUT);
}

static void
arm(struct conn *c)
{
	ev_timer_start(&c->timer, (uint64_t)wctx.cfg->timeouts[
	    PC_TIMEOUT_STRING_LONG] * 1000, ftp_timer, c);
}

static int
cmd(struct conn *c, const char *verb, const char *arg)
{
	char line[FTP_LINE_MAX + 16];
	int  n = snprintf(line, sizeof(line), arg != NULL ? "%s %s\r\n" :
	    "%s\r\n", verb, arg);

	if (n < 0 || (size_t)n >= sizeof(line) ||
	    conn_send(c->sfd, line, (size_t)n) != n) {
		explicit_bzero(line, sizeof(line));
		fail(c, FTP_E_SEND);
		return -1;
	}
	explicit_bzero(line, sizeof(line));
	c->bytes_out += (uint64_t)n;
	return 0;
}

/* The page (or the head of a file) out to the client; then close. */
static void
out_io(struct ev_io *io, uint32_t revents)
{
	struct conn     *c = io->arg;
	struct http_ftp *f = hf(c);
	ssize_t          n;

	(void)revents;
	if (c->closing)
		return;
	n = conn_send(c->cfd, f->out + f->ooff, f->olen - f->ooff);
	if (n < 0) {
		conn_close(c, PC_E_CLIENT_CLOSED);
		return;
	}
	f->ooff += (size_t)n;
	if (f->ooff == f->olen)
		conn_close(c, PC_E_OK);
	else if (ev_io_take(&c->cio, c->cfd, EPOLLOUT, out_io, c) != 0)
		conn_close(c, PC_E_SYSTEM);
}

static int
append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t ncap = (*len + n + 1) * 2;
		char  *p = realloc(*buf, ncap);

		if (p == NULL)
			return -1;
		*buf = p;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* One <li> per listing line. */
static int
page_items(struct http_ftp *f, char **b, size_t *len, size_t *cap)
{
	char   esc[3 * 1024 + 8];
	size_t i = 0;

	while (i < f->llen) {
		const uint8_t *l = (const uint8_t *)f->list + i;
		const uint8_t *nl = memchr(l, '\n', f->llen - i);
		size_t         n = nl != NULL ? (size_t)(nl - l) + 1 : f->llen - i;
		size_t         off, nlen, k;
		bool           dir;

		i += n;
		ftp_list_name(l, n, &off, &nlen, &dir);
		if (nlen == 0 || nlen > 1024)
			continue;
		k = ftp_html_append(esc, 0, sizeof(esc), l + off, nlen, true);
		if (append(b, len, cap, "<li><a href=\"", 13) != 0 ||
		    k >= sizeof(esc) || append(b, len, cap, esc, k) != 0 ||
		    append(b, len, cap, dir ? "/\">" : "\">", dir ? 3 : 2) != 0)
			return -1;
		k = ftp_html_append(esc, 0, sizeof(esc), l + off, nlen, false);
		if (k >= sizeof(esc) || append(b, len, cap, esc, k) != 0 ||
		    append(b, len, cap, dir ? "/</a></li>\r\n" : "</a></li>\r\n",
		    dir ? 12 : 11) != 0)
			return -1;
	}
	return 0;
}

/* The listing is in: the page, with a head that gives its length. */
static void
send_page(struct conn *c)
{
	struct http_ftp *f = hf(c);
	char            *body = NULL, head[256], title[4 * sizeof(f->title)];
	size_t           blen = 0, bcap = 0, tl;
	int              hn;

	tl = ftp_html_append(title, 0, sizeof(title),
	    (const uint8_t *)f->title, strlen(f->title), false);
	if (tl >= sizeof(title) || append(&body, &blen, &bcap,
	    "<html><head><title>Index of ", 28) != 0 ||
	    append(&body, &blen, &bcap, title, tl) != 0 ||
	    append(&body, &blen, &bcap, "</title></head>\r\n<body><h2>Index of ",
	    36) != 0 || append(&body, &blen, &bcap, title, tl) != 0 ||
	    append(&body, &blen, &bcap, "</h2>\r\n<ul>\r\n", 13) != 0 ||
	    page_items(f, &body, &blen, &bcap) != 0 ||
	    append(&body, &blen, &bcap, "</ul></body></html>\r\n", 21) != 0) {
		free(body);
		fail(c, PC_E_NOMEM);
		return;
	}
	hn = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", blen);
	f->olen = f->ooff = 0;
	bcap = 0;
	if (append(&f->out, &f->olen, &bcap, head, (size_t)hn) != 0 ||
	    append(&f->out, &f->olen, &bcap, body, blen) != 0) {
		free(body);
		fail(c, PC_E_NOMEM);
		return;
	}
	free(body);
	f->sent_head = true;
	ftp_data_free(f->data);
	f->data = NULL;
	ev_io_forget(&f->dio);
	ev_timer_stop(&c->timer);
	if (c->sfd >= 0)
		conn_close_server(c);   /* the control connection is done */
	out_io(&c->cio, 0);
}

static void
list_io(struct ev_io *io, uint32_t revents)
{
	struct conn     *c = io->arg;
	struct http_ftp *f = hf(c);
	char             buf[16384];
	size_t           cap = f->llen + 1;
	ssize_t          n;

	(void)revents;
	if (c->closing || f == NULL)
		return;
	n = read(io->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		fail(c, FTP_E_DATAIO);
		return;
	}
	arm(c);
	c->bytes_in += (uint64_t)n;
	if (n == 0) {
		ev_io_del(&f->dio);
		f->list_eof = true;
		if (f->step == S_XFER)
			send_page(c);
		return;
	}
	if (f->llen + (size_t)n > LIST_MAX ||
	    append(&f->list, &f->llen, &cap, buf, (size_t)n) != 0)
		fail(c, FTP_E_DATAIO);
}

static void
file_done(void *arg, enum pc_ecode code)
{
	struct conn     *c = arg;
	struct http_ftp *f = hf(c);

	ftp_data_free(f->data);
	f->data = NULL;
	conn_close(c, code);
}

/* RETR was accepted: the head, then the data straight to the client. */
static void
start_file(struct conn *c)
{
	struct http_ftp *f = hf(c);
	char             head[256];
	int              n;

	if (f->size < 0)
		f->size = ftp_reply_size(f->last, f->lastlen);
	n = snprintf(head, sizeof(head), "HTTP/1.0 200 OK\r\n"
	    "Content-Type: application/octet-stream\r\n");
	if (f->size >= 0)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		    "Content-Length: %lld\r\n", (long long)f->size);
	n += snprintf(head + n, sizeof(head) - (size_t)n,
	    "Connection: close\r\n\r\n");
	if (conn_send(c->cfd, head, (size_t)n) != n) {
		fail(c, PC_E_CLIENT_CLOSED);
		return;
	}
	f->sent_head = true;
	f->step = S_XFER;
	ev_timer_stop(&c->timer);
	ev_io_del(&c->cio);
	if (c->sio.active)
		ev_io_del(&c->sio);     /* the 226 is not waited for */
	ftp_data_client_fd(f->data, c->cfd);
	ftp_data_run(f->data, false, wctx.cfg->timeouts[PC_TIMEOUT_CONN_SHORT],
	    &c->bytes_in, file_done, c);
}

/* The server's passive port: the data connection, then RETR or LIST. */
static void
passive(struct conn *c, int code)
{
	struct http_ftp *f = hf(c);
	struct pc_addr   a = c->remote, p;
	int              ok;

	ok = a.family == AF_INET ? ftp_parse_pasv(f->last, f->lastlen, &p) :
	    ftp_parse_epsv(f->last, f->lastlen, &p.port);
	if (code >= 300 || ok != 0) {
		fail(c, FTP_E_PASV);
		return;
	}
	a.port = p.port;
	ftp_data_free(f->data);
	if ((f->data = ftp_data_new()) == NULL ||
	    ftp_data_server(f->data, &a) != 0) {
		fail(c, FTP_E_DATA);
		return;
	}
	if (f->dir) {
		f->step = S_LIST;
		if (ev_io_add(&f->dio, ftp_data_server_fd(f->data), EPOLLIN,
		    list_io, c) != 0) {
			fail(c, PC_E_SYSTEM);
			return;
		}
		(void)cmd(c, "LIST", NULL);
		return;
	}
	f->step = S_RETR;
	(void)cmd(c, "RETR", f->path);
}

static void
after_login(struct conn *c)
{
	struct http_ftp *f = hf(c);

	f->step = S_TYPE;
	(void)cmd(c, "TYPE", "I");
}

static void
to_dir(struct conn *c)
{
	struct http_ftp *f = hf(c);

	f->dir = true;
	if (f->path[0] == '\0') {
		f->step = S_PASV;
		(void)cmd(c, c->remote.family == AF_INET ? "PASV" : "EPSV", NULL);
		return;
	}
	f->step = S_CWD;
	(void)cmd(c, "CWD", f->path);
}

static void
reply(struct conn *c, int code)
{
	struct http_ftp *f = hf(c);

	if (code < 200) {
		if (f->step == S_RETR)
			start_file(c);
		else if (f->step == S_LIST)
			f->step = S_XFER;
		return;
	}
	switch (f->step) {
	case S_GREET:
		if (code >= 300) {
			fail(c, FTP_E_REFUSED);
			return;
		}
		f->step = S_USER;
		(void)cmd(c, "USER", f->user);
		return;
	case S_USER:
		if (code == 331) {
			f->step = S_PASS;
			(void)cmd(c, "PASS", f->pass);
		} else if (code < 300) {
			after_login(c);
		} else {
			fail(c, FTP_E_HTTP_LOGIN);
		}
		return;
	case S_PASS:
		if (code >= 300)
			fail(c, FTP_E_HTTP_LOGIN);
		else
			after_login(c);
		return;
	case S_TYPE:
		if (f->dir) {
			to_dir(c);
			return;
		}
		f->step = S_SIZE;
		(void)cmd(c, "SIZE", f->path);
		return;
	case S_SIZE:
		if (code == 213)
			f->size = ftp_reply_size(f->last, f->lastlen);
		f->step = S_PASV;
		(void)cmd(c, c->remote.family == AF_INET ? "PASV" : "EPSV", NULL);
		return;
	case S_CWD:
		if (code >= 300) {
			fail(c, FTP_E_HTTP_DATA);
			return;
		}
		f->step = S_PASV;
		(void)cmd(c, c->remote.family == AF_INET ? "PASV" : "EPSV", NULL);
		return;
	case S_PASV:
		passive(c, code);
		return;
	case S_RETR:
		if (code < 300) {       /* done without a preliminary reply */
			start_file(c);
		} else if (!f->tried_dir) {
			/* not a file: perhaps a directory without its '/' */
			f->tried_dir = true;
			ftp_data_free(f->data);
			f->data = NULL;
			to_dir(c);
		} else {
			fail(c, FTP_E_HTTP_DATA);
		}
		return;
	case S_LIST:
		if (code >= 300) {
			fail(c, FTP_E_HTTP_DATA);
			return;
		}
		f->step = S_XFER;
		/* FALLTHROUGH */
	case S_XFER:
		if (f->dir && f->list_eof)
			send_page(c);
		return;
	default:
		return;
	}
}

static void
server_io(struct ev_io *io, uint32_t revents)
{
	struct conn     *c = io->arg;
	struct http_ftp *f = hf(c);
	ssize_t          n;
	long             k;
	int              code;

	(void)revents;
	if (c->closing || f == NULL)
		return;
	n = read(c->sfd, f->sbuf + f->slen, sizeof(f->sbuf) - f->slen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		fail(c, FTP_E_SERVER);
		return;
	}
	arm(c);
	c->bytes_in += (uint64_t)n;
	f->slen = (uint16_t)(f->slen + n);
	while (!c->closing && hf(c) == f && f->slen > 0 &&
	    (k = text_line(f->sbuf, f->slen, sizeof(f->sbuf))) != 0) {
		if (k < 0 || (code = ftp_reply_feed(&f->scan, f->sbuf,
		    (size_t)k)) < 0) {
			fail(c, FTP_E_SERVER);
			return;
		}
		memcpy(f->last, f->sbuf, (size_t)k);
		f->lastlen = (size_t)k;
		memmove(f->sbuf, f->sbuf + k, f->slen - (size_t)k);
		f->slen = (uint16_t)(f->slen - k);
		if (code == 0)
			continue;
		memset(&f->scan, 0, sizeof(f->scan));
		reply(c, code);
	}
}

/* The client is only watched for going away until the answer starts. */
static void
client_io(struct ev_io *io, uint32_t revents)
{
	struct conn *c = io->arg;

	if (!c->closing && (revents & (EPOLLERR | EPOLLHUP)))
		conn_close(c, PC_E_CLIENT_CLOSED);
}

static void
connected(struct conn *c, enum pc_ecode code)
{
	struct http_ftp *f = hf(c);

	if (code != 0) {
		fail(c, code);
		return;
	}
	f->step = S_GREET;
	if (ev_io_take(&c->sio, c->sfd, EPOLLIN, server_io, c) != 0) {
		fail(c, PC_E_SYSTEM);
		return;
	}
	arm(c);
}

/* Percent-decoding into out (NUL-terminated); -1 when malformed, too long
 * or when it would put a control character into an FTP command. */
static int
decode(const char *p, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned ch = (unsigned char)p[i];

		if (ch == '%') {
			unsigned v = 0;

			if (i + 2 >= n)
				return -1;
			for (int j = 1; j <= 2; j++) {
				unsigned h = (unsigned char)p[i + j];

				v = v * 16 + (h >= '0' && h <= '9' ? h - '0' :
				    h >= 'a' && h <= 'f' ? h - 'a' + 10 :
				    h >= 'A' && h <= 'F' ? h - 'A' + 10 : 99);
				if (v > 255)
					return -1;
			}
			ch = v;
			i += 2;
		}
		if (ch < 0x20 || ch == 0x7f || k + 1 >= cap)
			return -1;
		out[k++] = (char)ch;
	}
	out[k] = '\0';
	return 0;
}

/* user, password and path of the URL; the logged line without password. */
static int
take_url(struct http_ftp *f, struct conn *c, const char *buf,
    const struct http_req *r)
{
	const char *ui = buf + r->userinfo.off, *colon;
	size_t      pl = r->path.len, ulen;
	char        text[1600];
	int         n;

	colon = memchr(ui, ':', r->userinfo.len);
	ulen = colon != NULL ? (size_t)(colon - ui) : r->userinfo.len;
	if (r->userinfo.len == 0) {
		strcpy(f->user, "anonymous");
		strcpy(f->pass, "anonymous@");
	} else if (decode(ui, ulen, f->user, sizeof(f->user)) != 0 ||
	    f->user[0] == '\0' || (colon != NULL && decode(colon + 1,
	    r->userinfo.len - ulen - 1, f->pass, sizeof(f->pass)) != 0)) {
		return HTTP_E_URL;
	}
	for (size_t i = 0; i < pl; i++)
		if (buf[r->path.off + i] == '?' || buf[r->path.off + i] == '#' ||
		    buf[r->path.off + i] == ';')
			pl = i;
	if (pl > 0 && decode(buf + r->path.off + 1, pl - 1, f->path,
	    sizeof(f->path)) != 0)
		return HTTP_E_URL;
	f->dir = pl <= 1 || buf[r->path.off + pl - 1] == '/';
	if (f->dir && f->path[0] != '\0')
		f->path[strlen(f->path) - 1] = '\0';   /* CWD without the '/' */
	n = snprintf(f->title, sizeof(f->title), "ftp://%s%s%.*s%.*s",
	    r->userinfo.len > 0 ? f->user : "", r->userinfo.len > 0 ? "@" : "",
	    (int)r->authority.len, buf + r->authority.off, (int)pl,
	    buf + r->path.off);
	if (n < 0 || (size_t)n >= sizeof(f->title))
		return HTTP_E_URL;
	/* %T: the request line with the password taken out */
	snprintf(text, sizeof(text), "%.*s %s%s %.8s", (int)r->mtext.len,
	    buf + r->mtext.off, f->title, pl == 0 ? "/" : "",
	    buf + r->m.line.off + r->m.line.len - 8);
	conn_set_text(c, text);
	return 0;
}

/* Proxy-Authorization, else a redirected SOCKS client's own login. */
static void
take_proxy_cred(struct http_ftp *f, const struct http_state *st,
    const char *buf, const struct http_req *r)
{
	if (r->proxy_auth >= 0 && http_basic_credentials(
	    buf + r->m.hdrs[r->proxy_auth].value.off,
	    r->m.hdrs[r->proxy_auth].value.len, f->puser, sizeof(f->puser),
	    f->ppass, sizeof(f->ppass)) == 0)
		return;
	f->puser[0] = f->ppass[0] = '\0';
	if (st->redir_cred != NULL) {
		size_t ul = strlen(st->redir_cred) + 1;

		snprintf(f->puser, sizeof(f->puser), "%s", st->redir_cred);
		snprintf(f->ppass, sizeof(f->ppass), "%s", st->redir_cred + ul);
	}
}

int
http_ftp_start(struct conn *c, const char *buf, const struct http_req *r)
{
	struct http_state *st = c->proto_state;
	struct http_ftp   *f;
	struct target_req  t;
	int                code;

	if (r->method != HTTP_M_GET)
		return HTTP_E_UNSUPP;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return PC_E_NOMEM;
	f->size = -1;
	if ((code = take_url(f, c, buf, r)) != 0) {
		free(f);
		return code;
	}
	memcpy(f->host, buf + r->host.off, r->host.len);
	f->host[r->host.len] = '\0';
	f->port = r->port;
	take_proxy_cred(f, st, buf, r);
	if (f->puser[0] == '\0' && request_needs_password()) {
		explicit_bzero(f, sizeof(*f));
		free(f);
		return 4;
	}
	st->ftp = f;
	st->phase = HP_FTP;
	ev_timer_stop(&c->timer);
	if (ev_io_take(&c->cio, c->cfd, 0, client_io, c) != 0) {
		conn_close(c, PC_E_SYSTEM);
		return 0;
	}
	memset(&t, 0, sizeof(t));
	t.op = PC_OP_FTP_GET;
	t.port = f->port;
	if (pc_addr_parse(f->host, &t.addr) != 0)
		t.host = f->host;
	else if (!r->host_v6)
		conn_set_host(c, f->host);   /* %n: bare IPv4, as 3proxy */
	if (f->puser[0] != '\0') {
		t.user = f->puser;
		t.pass = f->ppass;
	}
	t.redirected = st->redirected;
	request_start(c, &t, connected);
	return 0;
}

void
http_ftp_release(struct conn *c)
{
	struct http_state *st = c->proto_state;
	struct http_ftp   *f = st->ftp;

	if (f == NULL)
		return;
	st->ftp = NULL;
	ftp_data_free(f->data);      /* closes the socket dio watches */
	ev_io_forget(&f->dio);
	if (c->sio.active && c->sio.cb == server_io)
		ev_io_del(&c->sio);
	if (c->timer.cb == ftp_timer)
		ev_timer_stop(&c->timer);
	free(f->list);
	free(f->out);
	explicit_bzero(f, sizeof(*f));
	ev_defer_free(free, f);
}

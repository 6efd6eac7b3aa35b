/*
 * The admin pages in 3proxy 1.0's own shapes (admin.h): /S the running
 * services as XML (text/xml: <services>, a <description>, one <item> per
 * service of <parameter>s with <name>, <type>, <description> and a CDATA
 * <value>), /SX the stylesheet that XML names, /F the configuration file
 * as written (the master reads it; the worker cannot).
 *
 * 3proxy lists each service's connected clients inside its item; here
 * the clients live in several worker processes, so an item carries the
 * number of connections open (childcount) from the master's figures and
 * no client list.
 */
#include <stdio.h>
#include <string.h>

#include "worker/proto/admin/admin.h"
#include "worker/core/conn.h"

/* A CDATA section cannot hold "]]>": it is split across two sections. */
static void
cdata(struct abuf *b, const char *s)
{
	const char *e;

	abuf_printf(b, "<![CDATA[");
	while ((e = strstr(s, "]]>")) != NULL) {
		abuf_printf(b, "%.*s]]]]><![CDATA[>", (int)(e - s), s);
		s = e + 3;
	}
	abuf_printf(b, "%s]]>", s);
}

static void
param(struct abuf *b, const char *name, const char *type, const char *what,
    const char *value)
{
	abuf_printf(b, "<parameter><name>%s</name><type>%s</type>"
	    "<description>%s</description><value>", name, type, what);
	cdata(b, value);
	abuf_printf(b, "</value>\n</parameter>");
}

/* 3proxy's socket-address form: [address]:port, both families. */
static void
sa(const struct pc_addr *a, char *out, size_t n)
{
	char ip[PC_ADDRSTRLEN];

	if (a->family == 0)
		snprintf(out, n, "[0.0.0.0]:0");
	else
		snprintf(out, n, "[%s]:%u", pc_addr_ntop(a, ip, sizeof(ip)),
		    a->port);
}

static const char *
auth_word(const struct pc_service *s)
{
	static const char *const names[] = {
		[PC_AUTH_NONE] = "none", [PC_AUTH_IPONLY] = "iponly",
		[PC_AUTH_STRONG] = "strong", [PC_AUTH_USERONLY] = "useronly",
		[PC_AUTH_CACHE] = "cache", [PC_AUTH_NBNAME] = "nbname",
	};

	if (s->nauth == 0)
		return "iponly";
	return (size_t)s->auth[0] < sizeof(names) / sizeof(names[0]) &&
	    names[s->auth[0]] != NULL ? names[s->auth[0]] : "unknown";
}

static const char *
log_word(const struct pc_config *cfg, const struct pc_service *s)
{
	static const char *const kinds[] = { "none", "stdout", "file",
		"syslog", "odbc" };

	if (s->log < 0 || (size_t)s->log >= cfg->nlogs)
		return "none";
	return (size_t)cfg->logs[s->log].kind < 5 ?
	    kinds[cfg->logs[s->log].kind] : "none";
}

static void
item(struct abuf *b, const struct pc_config *cfg, size_t i,
    unsigned long long active)
{
	const struct pc_service *s = &cfg->svcs[i];
	char                     v[PC_ADDRSTRLEN + 16];

	abuf_printf(b, "<item>");
	param(b, "servicetype", "string", "service type",
	    pc_svc_type_name(s->type));
	if (s->target_host != NULL) {
		param(b, "target", "string", "mapped to host",
		    s->target_host);
		snprintf(v, sizeof(v), "%u", s->target_port);
		param(b, "targetport", "port", "mapped to port", v);
	}
	param(b, "auth", "string", "authentication", auth_word(s));
	snprintf(v, sizeof(v), "%d", s->single ? 1 : 0);
	param(b, "singlepacket", "integer", "-s given", v);
	param(b, "log", "string", "log target kind", log_word(cfg, s));
	if (s->logformat != NULL)
		param(b, "logformat", "string", "log format", s->logformat);
	snprintf(v, sizeof(v), "%llu", active);
	param(b, "childcount", "integer", "connections open now", v);
	sa(&s->listen, v, sizeof(v));
	param(b, "intsa", "sa", "listening address", v);
	sa(s->ext4.family != 0 ? &s->ext4 : &s->ext6, v, sizeof(v));
	param(b, "extsa", "sa", "external address", v);
	abuf_printf(b, "</item>\n");
}

void
admin_page_xml(struct abuf *b, const struct pc_msg_admin_rep *rep)
{
	const struct pc_config *cfg = wctx.cfg;

	abuf_printf(b, "<?xml version=\"1.0\"?>\r\n"
	    "<?xml-stylesheet href=\"/SX\" type=\"text/css\"?>\r\n"
	    "<services>\r\n<description>Services of the running "
	    "configuration and their open connections</description>\r\n");
	for (size_t s = 0; s < cfg->nsvcs; s++) {
		unsigned long long active = 0;

		for (uint16_t i = 0; rep != NULL && i < rep->nrows; i++)
			if (rep->rows[i].svc == s)
				active += rep->rows[i].active;
		item(b, cfg, s, active);
	}
	abuf_printf(b, "</services>\r\n");
}

void
admin_page_css(struct abuf *b)
{
	abuf_printf(b,
	    "services { display: block; margin: 1em auto; width: 80%%; "
	    "font-family: sans-serif; font-size: small; }\r\n"
	    "services > description { display: block; font-size: large; "
	    "margin-bottom: 1em; }\r\n"
	    "item { display: block; margin-bottom: 1em; padding: 0.5em; "
	    "border: 2px solid #ccc; }\r\n"
	    "parameter { display: block; margin-top: 0.3em; padding: 2px; "
	    "border: 1px solid #999; background: #eee; }\r\n"
	    "name { display: inline; font-weight: bold; margin-right: "
	    "0.5em; }\r\n"
	    "type { display: inline; font-style: italic; color: #666; "
	    "margin-right: 0.5em; }\r\n"
	    "parameter > description { display: inline; margin-right: "
	    "0.5em; }\r\n"
	    "value { display: block; }\r\n");
}

void
admin_page_file(struct abuf *b, const struct abuf *text, bool ok)
{
	admin_page_begin(b, "configuration file");
	if (!ok) {
		abuf_printf(b, "<p>The master did not answer.</p>\n");
		admin_page_end(b);
		return;
	}
	abuf_printf(b, "<p>The file as written, as a reload reads it "
	    "(<a href=\"/E\">the running configuration</a> shows what was "
	    "compiled, passwords hidden).</p>\n<pre>\n");
	if (text->len > 0)
		abuf_html_lines(b, text->p);
	abuf_printf(b, "</pre>\n");
	admin_page_end(b);
}

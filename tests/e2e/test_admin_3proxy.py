"""The admin service as 3proxy 1.0 behaves, with curl.

Run one: /usr/bin/python3 -m pytest -q tests/e2e/test_admin_3proxy.py -k xml

Spec: issue 10 item 9 ("admin:"), 3proxy's src/webadmin.c: /S the running
services as XML (text/xml, <services> with <item>s of <parameter>s) naming
the stylesheet /SX (text/css); %T of an admin request is the path without
its '/' ("S", "C", "CD0", "" for the index); an explicit deny is 401 with
WWW-Authenticate; `admin -s` is read-only (the counters that count the
client, the index for every other page); /F the configuration file as
written; /CD<n> and /CS<n> switch counter rule n (every counter rule,
nocount ones too, from 0) off and on until the next reload.
"""
import xml.etree.ElementTree as ET

from clients import connect, curl
from pc_server import cfg_head, free_port, parse_default, wait_for


def page(port, path, *extra):
    return curl([*extra, f"http://127.0.0.1:{port}{path}"])


def start(portcullis, body, *ports):
    ap = free_port()
    cfg = cfg_head() + body.replace("ADMINPORT", str(ap))
    srv = portcullis(cfg, ports=[ap, *ports])
    srv.ap = ap
    return srv


def texts(srv):
    return [r["text"] for r in map(parse_default, srv.log_lines())
            if r is not None and r["port"] == str(srv.ap)]


def params(item):
    return {p.find("name").text: p.find("value").text
            for p in item.findall("parameter")}


def test_services_xml_and_stylesheet(portcullis):
    pp, tp = free_port(), free_port()
    srv = start(portcullis, f"proxy -i127.0.0.1 -p{pp}\n"
                f"tcppm -i127.0.0.1 {tp} 127.0.0.1 9\n"
                "admin -i127.0.0.1 -pADMINPORT\n", pp, tp)
    s = connect(pp)

    def open_one():
        x = page(srv.ap, "/S")
        return x if b"<value><![CDATA[1]]></value>" in x.body else None
    r = wait_for(open_one, 10)
    assert r, page(srv.ap, "/S")
    assert r.header("Content-Type") == "text/xml; charset=utf-8"
    assert r.body.startswith(b'<?xml version="1.0"?>\r\n'
                             b'<?xml-stylesheet href="/SX" type="text/css"'
                             b'?>\r\n<services>\r\n<description>')
    root = ET.fromstring(r.body)
    assert root.tag == "services"
    assert root.find("description").text
    items = [params(i) for i in root.findall("item")]
    assert [i["servicetype"] for i in items] == ["proxy", "tcppm", "admin"]
    proxy, tcppm = items[0], items[1]
    assert proxy["intsa"] == f"[127.0.0.1]:{pp}"
    assert proxy["childcount"] == "1" and proxy["auth"] == "iponly"
    assert tcppm["target"] == "127.0.0.1" and tcppm["targetport"] == "9"
    for p in root.iter("parameter"):
        assert p.find("type").text and p.find("description").text
    s.close()
    r = page(srv.ap, "/SX")
    assert r.status == 200 and r.header("Content-Type") == "text/css", r
    assert b"services {" in r.body and b"item {" in r.body
    # the HTML table that /S was is /W
    r = page(srv.ap, "/W")
    assert r.status == 200 and b"<table" in r.body, r


def test_text_is_the_path_as_3proxy_logs_it(portcullis):
    srv = start(portcullis, "counter {dir}/ct.bin\ncountin 5/x D 100 *\n"
                "admin -i127.0.0.1 -pADMINPORT\n")
    for path in ("/", "/S", "/SX", "/C", "/CD0", "/CS0", "/F",
                 "/C?x=1"):
        assert page(srv.ap, path).status == 200, path
    want = ["", "S", "SX", "C", "CD0", "CS0", "F", "C?x=1"]
    assert wait_for(lambda: texts(srv)[-8:] == want, 10), texts(srv)


def test_explicit_deny_is_401(portcullis):
    srv = start(portcullis, "deny * 127.0.0.1 * * ADMIN\nallow *\n"
                "admin -i127.0.0.1 -pADMINPORT\n")
    for path in ("/", "/S", "/C", "/F", "/metrics"):
        r = page(srv.ap, path)
        assert r.status == 401, (path, r)
        assert r.header("WWW-Authenticate").startswith("Basic realm="), r
    recs = srv.wait_log(lambda ln: (parse_default(ln) or {}).get(
        "err") == "00001", count=5)
    assert len(recs) == 5
    assert {parse_default(x)["text"] for x in recs} == \
        {"", "S", "C", "F", "metrics"}


def test_read_only_admin(portcullis):
    srv = start(portcullis, "users alice:CL:apw\n"
                "counter {dir}/ct.bin\n"
                "countin 1/mine D 100 * 127.0.0.1\n"
                "countin 2/theirs D 100 * 10.0.0.1\n"
                "countout 3/all D 100 *\n"
                "admin -s -i127.0.0.1 -pADMINPORT\n")
    r = page(srv.ap, "/C")
    assert r.status == 200, r
    body = r.body.decode()
    # the rules that count this client, without switches
    assert "<td>mine</td>" in body and "<td>all</td>" in body
    assert "<td>theirs</td>" not in body
    assert "/CD" not in body and "/CS" not in body
    # every other page is the index, the file is never shown
    for path in ("/F", "/S", "/R", "/E", "/W", "/metrics"):
        r = page(srv.ap, path)
        assert r.status == 200, (path, r)
        assert b"<h1>administration</h1>" in r.body, (path, r.body)
        assert b"apw" not in r.body and b"<?xml" not in r.body
    assert "reload asked" not in srv.stderr()
    # /CD0 changes nothing here
    assert page(srv.ap, "/CD0").status == 200
    assert '<td class="active">YES</td>' in page(srv.ap, "/C").body.decode()


def test_file_as_written(portcullis, tmp_path):
    inc = tmp_path / "more.cfg"
    inc.write_text("# included\n")
    body = ("# the admin's file\nusers alice:CL:apw\n"
            f"include {inc}\n"
            "admin -i127.0.0.1 -pADMINPORT\n")
    srv = start(portcullis, body)
    r = page(srv.ap, "/F")
    assert r.status == 200, r
    text = r.body.decode()
    # as written: comments, the include line (not its text), the password
    assert "# the admin&#39;s file" in text
    assert f"include {inc}" in text and "# included" not in text
    assert "users alice:CL:apw" in text
    # what a reload would read: the file now, not at start
    srv.write_config(srv.cfg_text + "# added later\n")
    assert "# added later" in page(srv.ap, "/F").body.decode()
    # a file longer than one IPC reply arrives whole
    big = "".join(f"# comment line {i:05d} {'x' * 60}\n"
                  for i in range(600))
    srv.write_config(cfg_head() + body.replace("ADMINPORT", str(srv.ap)) +
                     big + "# the end\n")
    text = page(srv.ap, "/F").body.decode()
    assert "# comment line 00000" in text and "# comment line 00599" in text
    assert text.count("# comment line") == 600 and "# the end" in text


def test_counter_switch_off_and_on(portcullis, origin):
    pp = free_port()
    srv = start(portcullis, "counter {dir}/ct.bin\n"
                "nocountin * 10.9.9.9\n"
                "countin 4/quota D 1 *\n"
                f"proxy -i127.0.0.1 -p{pp}\n"
                "admin -i127.0.0.1 -pADMINPORT\n", pp)

    def get():
        return curl(["-x", f"http://127.0.0.1:{pp}",
                     origin.url("/hello")]).status
    # 1 MB, used up by one download (chunked: a Content-Length past the
    # quota is refused at once): then refused (the admin pages are
    # served all the same, as 3proxy serves them past a limit)
    curl(["-x", f"http://127.0.0.1:{pp}", origin.url("/chunked/1100000")])
    assert wait_for(lambda: get() == 503, 10)
    # rule 1 (the nocountin is rule 0, as 3proxy numbers them) off
    r = page(srv.ap, "/CD1")
    assert r.status == 200, r
    assert '<a href="/CS1">NO</a>' in r.body.decode()
    assert get() == 200
    # the page was served past the used-up counter, and logged 10
    recs = srv.wait_log(lambda ln: (parse_default(ln) or {}).get(
        "text") == "CD1")
    assert recs and parse_default(recs[0])["err"] == "00010", recs
    r = page(srv.ap, "/CS1")
    assert '<a href="/CD1">YES</a>' in r.body.decode()
    assert get() == 503
    # a rule number past the list, or no number, switches nothing
    assert page(srv.ap, "/CD7").status == 200
    assert page(srv.ap, "/CDx").status == 404
    assert get() == 503
    # off again; a reload starts the new generation with every rule on
    page(srv.ap, "/CD1")
    assert get() == 200
    srv.reload()
    assert wait_for(lambda: '<a href="/CD1">YES</a>' in
                    page(srv.ap, "/C").body.decode(), 10)
    assert wait_for(lambda: get() == 503, 10)

#!/usr/bin/env python3
"""Generate realistic test corpora for logrelay's parsers.

Formats:
  cdn_access  the CDN provider's access log, in its three layouts (main, VOD
              with country, VOD without country); ~290 bytes per line
  waf_json    ModSecurity v3 JSON audit records as the provider sends them
              (transaction.messages is one object); ~1.6 KB per line.
              --waf-array writes plain ModSecurity records instead
              (transaction.messages is an array of 1-4 messages)
  json        generic application JSON objects, one per line

The output is deterministic for a given --seed (and Python 3 version family).
Addresses come from the documentation ranges (RFC 5737, RFC 3849).

Examples:
  gen_corpus.py --format cdn_access --count 1000000 --seed 1 > access.log
  gen_corpus.py --format cdn_access --layouts vod,vod_nocountry --tricky 0.2
  gen_corpus.py --format waf_json --count 10000 --waf-array -o waf.jsonl
"""
import argparse
import bisect
import json
import random
import string
import sys
from datetime import datetime, timedelta, timezone

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 13_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/13.1.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/85.0.4183.102 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0 "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:80.0) Gecko/20100101 Firefox/80.0",
    "Mozilla/5.0 (Linux; Android 10; SM-G973F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/85.0.4183.101 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 13_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/85.0.4183.109 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "AppleCoreMedia/1.0.0.17G80 (iPhone; U; CPU OS 13_6 like Mac OS X; es_es)",
    "VLC/3.0.11 LibVLC/3.0.11",
    "okhttp/4.8.1",
    "curl/7.68.0",
]
# Tricky user agents: escaped quotes and backslashes (as varnish writes them),
# raw UTF-8, nginx-style \xHH escapes, empty.
TRICKY_USER_AGENTS = [
    'Mozilla/5.0 (compatible; \\"Quoted\\" Bot/1.0)',
    "Tool\\\\v2 (Windows path C:\\\\agent)",
    "Mozilla/5.0 (Linux; Android 9; \u0420\u0435\u0434\u043c\u0438 Note 7) Mobile",
    "Agent\\x22with\\x22nginx\\x20escapes",
    "",
    'He said \\"hi\\" then left \\\\',
]
COUNTRIES = ["ES", "FR", "DE", "US", "GB", "IT", "PT", "MX", "AR", "BR", "NL", "CO", "CL", "JP", "CN"]
SITES = ["www.example.com", "shop.example.com", "media.example.org", "news.example.net"]
VOD_HOSTS = ["vod.example.com", "vod-eu.example.net", "live.example.org"]
STATUS = [(200, 78), (304, 8), (206, 5), (404, 4), (301, 2), (302, 1), (403, 1), (500, 0.5), (503, 0.5)]
HITMISS = [("hit", 70), ("miss", 22), ("pass", 5), ("expired", 3)]
PROTOS = [("https", 92), ("http", 8)]
VERBS = [("GET", 92), ("HEAD", 3), ("POST", 3), ("OPTIONS", 1), ("PUT", 1)]
HTTPVERS = [("HTTP/1.1", 68), ("HTTP/2.0", 28), ("HTTP/1.0", 4)]
CTYPES = {
    "js": "application/javascript", "css": "text/css", "jpg": "image/jpeg", "png": "image/png",
    "webp": "image/webp", "html": "text/html; charset=utf-8", "json": "application/json",
    "ts": "video/mp2t", "m3u8": "application/vnd.apple.mpegurl", "mp4": "video/mp4",
    "woff2": "font/woff2", "svg": "image/svg+xml",
}
WEB_PATHS = [
    "/static/js/app.{h}.js", "/static/css/main.{h}.css", "/images/products/{n}/{n2}.jpg?w={w}&q=80",
    "/img/banners/summer-{n}.webp", "/api/v1/items?page={p}&size=20&sort=price", "/fonts/roboto-{n}.woff2",
    "/", "/index.html", "/category/shoes/running?color=blue&size={p}", "/icons/sprite.svg",
    "/news/2020/09/14/{slug}.html", "/api/v2/session/{h}.json",
]
VOD_PATHS = [
    "/vod/{n}/hls/1080p/segment-{p}.ts", "/vod/{n}/hls/720p/index.m3u8", "/vod/{n}/master.m3u8",
    "/live/channel{p}/chunk-{n}.ts", "/vod/{n}/mp4/video-{w}.mp4",
]
SLUGS = ["city-council-approves-budget", "weather-warning-coast", "new-stadium-opens", "markets-rally"]


_CUMULATIVE = {}


def weighted(rng, pairs):
    """One value of [(value, weight), ...], by weight (tables are cached by identity)."""
    tab = _CUMULATIVE.get(id(pairs))
    if tab is None:
        cum, total = [], 0.0
        for _, w in pairs:
            total += w
            cum.append(total)
        tab = _CUMULATIVE[id(pairs)] = ([v for v, _ in pairs], cum, total)
    vals, cum, total = tab
    return vals[min(bisect.bisect_right(cum, rng.random() * total), len(vals) - 1)]


def rint(rng, lo, hi):
    """Integer in [lo, hi): random.randrange is slow, and we draw millions."""
    return lo + int(rng.random() * (hi - lo))


NETS = ["192.0.2", "198.51.100", "203.0.113"]


def client_ip(rng):
    if rng.random() < 0.12:
        return "2001:db8:%x:%x::%x" % (rint(rng, 0, 65536), rint(rng, 0, 65536), rint(rng, 1, 65536))
    return "%s.%d" % (NETS[rint(rng, 0, 3)], rint(rng, 1, 255))


_FIELDS = {}
_FILLERS = {
    "h": lambda rng: "%08x" % rng.getrandbits(32),
    "n": lambda rng: rint(rng, 1, 99999),
    "n2": lambda rng: rint(rng, 1, 9999),
    "w": lambda rng: (320, 640, 1280, 1920)[rint(rng, 0, 4)],
    "p": lambda rng: rint(rng, 1, 400),
    "slug": lambda rng: SLUGS[rint(rng, 0, len(SLUGS))],
}


def fill(rng, template):
    keys = _FIELDS.get(template)
    if keys is None:
        keys = _FIELDS[template] = sorted({f for _, f, _, _ in string.Formatter().parse(template) if f})
    return template.format(**{k: _FILLERS[k](rng) for k in keys})


def ctype_for(path):
    base = path.split("?", 1)[0]
    ext = base.rsplit(".", 1)[-1] if "." in base.rsplit("/", 1)[-1] else "html"
    return CTYPES.get(ext, "application/octet-stream")


class Clock:
    """Log times moving forward, a few milliseconds apart, in a few time zones."""

    def __init__(self, rng):
        self.rng = rng
        self.t = datetime(2020, 9, 14, 12, 0, 0, tzinfo=timezone.utc)

    def next(self):
        self.t += timedelta(milliseconds=rint(self.rng, 0, 40))
        return self.t

    OFFSETS = [(0, 85), (120, 8), (-300, 4), (330, 3)]

    def clf(self):
        t = self.next()
        off = weighted(self.rng, self.OFFSETS)
        key = (t.replace(microsecond=0), off)
        if key != getattr(self, "_clf_key", None):  # formatting is slow; the second rarely changes
            lt = t + timedelta(minutes=off)
            sign = "+" if off >= 0 else "-"
            self._clf_key = key
            self._clf = "%02d/%s/%04d:%02d:%02d:%02d %s%02d%02d" % (
                lt.day, MONTHS[lt.month - 1], lt.year, lt.hour, lt.minute, lt.second, sign, abs(off) // 60,
                abs(off) % 60)
        return self._clf


def cdn_line(rng, clock, layout, tricky):
    vod = layout != "main"
    paths = VOD_PATHS if vod else WEB_PATHS
    path = fill(rng, paths[rint(rng, 0, len(paths))])
    verb = weighted(rng, VERBS)
    status = weighted(rng, STATUS)
    nbytes = str(int(rng.lognormvariate(8.5, 1.6))) if status not in (304,) else "0"
    if verb == "HEAD" or (status == 304 and rng.random() < 0.5):
        nbytes = "-"
    ua = USER_AGENTS[rint(rng, 0, len(USER_AGENTS))]
    user = "-"
    client = client_ip(rng)
    referer = "-" if rng.random() < 0.3 else "https://%s/%s?ref=%d" % (SITES[rint(rng, 0, len(SITES))],
                                                                        SLUGS[rint(rng, 0, len(SLUGS))],
                                                                        rint(rng, 1, 400))
    if tricky and rng.random() < tricky:
        kind = rng.randrange(6)
        if kind == 0:
            ua = rng.choice(TRICKY_USER_AGENTS)
        elif kind == 1:
            path += "?q=" + "".join(rng.choice("abcdefghij%20") for _ in range(rint(rng, 500, 4000)))
        elif kind == 2:
            referer = ""
        elif kind == 3:
            user = rng.choice(["alice", "bob", "svc-monitor"])
        elif kind == 4:
            client = "2001:db8::%x" % rng.randrange(1, 65536)
        else:
            path = "/search?q=%E6%97%A5%E6%9C%AC&x=[1]"
    hitmiss = weighted(rng, HITMISS)
    ctype = ctype_for(path)
    layer = "L2" if rng.random() < 0.25 else "L1"
    reqtime = "%.6f" % (rng.expovariate(1 / 0.004) if hitmiss == "hit" else rng.expovariate(1 / 0.08))
    clientid = "83"
    proto = weighted(rng, PROTOS)
    country = COUNTRIES[rint(rng, 0, len(COUNTRIES))]
    req = '%s %s %s' % (verb, path, weighted(rng, HTTPVERS))
    ts = clock.clf()
    if layout == "main":
        return '%s - %s [%s] "%s" %d %s "%s" %s "%s" "%s" %s "%s" "%s" %s %s' % (
            client, user, ts, req, status, nbytes, ua, hitmiss, ctype, layer, reqtime, clientid, referer, proto,
            country)
    line = '%s - %s [%s] %s "%s" %d %s "%s" "%s" "%s" "%s" "%s" "%s" %s %s' % (
        client, user, ts, VOD_HOSTS[rint(rng, 0, len(VOD_HOSTS))], req, status, nbytes, referer, ua, ctype, hitmiss, layer,
        clientid, reqtime, proto)
    if layout == "vod":
        line += " " + country
    return line


WAF_RULES = [
    ("920350", "Host header is a numeric IP address", "REQUEST-920-PROTOCOL-ENFORCEMENT", "4",
     ["attack-protocol", "OWASP_CRS/PROTOCOL_VIOLATION/IP_HOST"]),
    ("931120", "Possible Remote File Inclusion (RFI) Attack: URL Payload Used w/Trailing Question Mark "
     "Character (?)", "REQUEST-931-APPLICATION-ATTACK-RFI", "2", ["attack-rfi", "OWASP_CRS/WEB_ATTACK/RFI"]),
    ("941100", "XSS Attack Detected via libinjection", "REQUEST-941-APPLICATION-ATTACK-XSS", "2",
     ["attack-xss", "OWASP_CRS/WEB_ATTACK/XSS"]),
    ("942100", "SQL Injection Attack Detected via libinjection", "REQUEST-942-APPLICATION-ATTACK-SQLI", "2",
     ["attack-sqli", "OWASP_CRS/WEB_ATTACK/SQL_INJECTION"]),
    ("949110", "Inbound Anomaly Score Exceeded (Total Score: 10)", "REQUEST-949-BLOCKING-EVALUATION", "2",
     ["anomaly-evaluation"]),
]
WAF_URIS = ["/wp-admin/admin-ajax.php", "/index.php?page=http://198.51.100.7/shell.txt?",
            "/search?q=<script>alert(1)</script>", "/products?id=1' OR '1'='1", "/login"]


def waf_message(rng, rule):
    rid, msg, conf, sev, tags = rule
    return {
        "message": msg,
        "details": {
            "match": "Matched \"Operator `Rx' with parameter `^[\\d.:]+$' against variable `REQUEST_HEADERS:Host' "
                     "(Value: `%s' )" % rng.choice(["203.0.113.5", "198.51.100.77"]),
            "reference": "o0,%dv%d,%d" % (rng.randrange(20), rng.randrange(60), rng.randrange(20)),
            "ruleId": rid,
            "file": "/etc/nginx/modsec/coreruleset/rules/%s.conf" % conf,
            "lineNumber": str(rng.randrange(40, 1400)),
            "data": "Matched Data: %s found within ARGS:q" % rng.choice(["<script", "' OR", "http:"]),
            "severity": sev,
            "ver": "OWASP_CRS/3.3.2",
            "rev": "",
            "tags": ["application-multi", "language-multi"] + tags,
            "maturity": "0",
            "accuracy": "0",
        },
    }


def waf_record(rng, clock, array):
    t = clock.next()
    # ModSecurity pads the day with a space: "Mon May  9 12:03:16 2022"
    stamp = "%s %s %2d %02d:%02d:%02d %d" % (DAYS[t.weekday()], MONTHS[t.month - 1], t.day, t.hour, t.minute,
                                             t.second, t.year)
    rules = rng.sample(WAF_RULES, rng.randrange(1, 4 if array else 2))
    if array and rng.random() < 0.5:
        rules.append(WAF_RULES[-1])
    msgs = [waf_message(rng, r) for r in rules]
    uri = rng.choice(WAF_URIS)
    id_key = "unique_id" if rng.random() < 0.8 else "id"
    # Built as text so that duplicate keys (two Set-Cookie) survive, as in real records.
    req_headers = json.dumps({
        "Host": rng.choice(SITES), "User-Agent": rng.choice(USER_AGENTS),
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Encoding": "gzip, deflate, br",
        "Cookie": "session=%016x; consent=1" % rng.getrandbits(64), "Connection": "keep-alive",
    }, separators=(",", ":"))
    resp_headers = ('{"Server":"nginx","Date":"%s","Content-Type":"text/html","Content-Length":"153",'
                    '"Set-Cookie":"a=%d; path=/","Set-Cookie":"b=%d; path=/; HttpOnly","Connection":"close"}'
                    % (t.strftime("%a, %d %b %Y %H:%M:%S GMT"), rng.randrange(1000), rng.randrange(1000)))
    body = "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n</body>\r\n</html>\r\n"
    messages = json.dumps(msgs if array else msgs[0], separators=(",", ":"))
    return ('{"transaction":{"client_ip":"%s","time_stamp":"%s","server_id":"%040x","client_port":%d,'
            '"host_ip":"10.0.1.%d","host_port":443,"%s":"%d.%06d","request":{"method":"%s","http_version":%s,'
            '"uri":%s,"headers":%s},"response":{"body":%s,"http_code":403,"headers":%s},'
            '"producer":{"modsecurity":"ModSecurity v3.0.8 (Linux)","connector":"ModSecurity-nginx v1.0.3",'
            '"secrules_engine":"Enabled","components":["OWASP_CRS/3.3.2\\""]},"messages":%s}}' % (
                client_ip(rng), stamp, rng.getrandbits(160), rng.randrange(1024, 65535), rng.randrange(2, 250),
                id_key, rng.randrange(10 ** 11, 10 ** 12), rng.randrange(10 ** 6),
                rng.choice(["GET", "POST"]), rng.choice(["1.1", "2.0", "1.0"]), json.dumps(uri), req_headers,
                json.dumps(body), resp_headers, messages))


def json_record(rng, clock):
    t = clock.next()
    return json.dumps({
        "@timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000),
        "level": rng.choice(["info", "info", "info", "warn", "error"]),
        "service": rng.choice(["checkout", "search", "auth"]),
        "msg": rng.choice(["request done", "cache refresh", "slow query", "login failed"]),
        "duration_ms": round(rng.expovariate(1 / 30), 3),
        "status": rng.choice([200, 200, 200, 404, 500]),
        "user": {"id": rng.randrange(1, 10 ** 6), "country": rng.choice(COUNTRIES)},
    }, separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--format", choices=["cdn_access", "waf_json", "json"], default="cdn_access")
    ap.add_argument("--count", type=int, default=1000, help="records to write (default 1000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--layouts", default="main,vod,vod_nocountry",
                    help="cdn_access layouts to mix: main, vod (with country), vod_nocountry")
    ap.add_argument("--weights", default="70,20,10", help="relative weights of --layouts (default 70,20,10)")
    ap.add_argument("--tricky", type=float, default=0.0,
                    help="cdn_access: fraction of lines with a hard case (escaped quotes, long URL, "
                         "empty referer, user, IPv6, brackets); default 0")
    ap.add_argument("--waf-array", action="store_true",
                    help="waf_json: plain ModSecurity records (messages is an array)")
    ap.add_argument("-o", "--output", help="write here instead of stdout")
    args = ap.parse_args()

    layouts = [x for x in args.layouts.split(",") if x]
    for x in layouts:
        if x not in ("main", "vod", "vod_nocountry"):
            ap.error("unknown layout %r" % x)
    weights = [float(w) for w in args.weights.split(",")][:len(layouts)]
    weights += [1.0] * (len(layouts) - len(weights))

    rng = random.Random(args.seed)
    clock = Clock(rng)
    out = open(args.output, "w", encoding="utf-8", newline="\n") if args.output else sys.stdout
    with out:
        batch = []
        for _ in range(args.count):
            if args.format == "cdn_access":
                layout = rng.choices(layouts, weights)[0]
                batch.append(cdn_line(rng, clock, layout, args.tricky))
            elif args.format == "waf_json":
                batch.append(waf_record(rng, clock, args.waf_array))
            else:
                batch.append(json_record(rng, clock))
            if len(batch) >= 4096:
                out.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            out.write("\n".join(batch) + "\n")


if __name__ == "__main__":
    main()

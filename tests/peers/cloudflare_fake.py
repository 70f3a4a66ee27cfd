#!/usr/bin/env python3
"""A local fake of the Cloudflare API v4 DNS endpoints, for mailctl's integration tests.

Run:
    python3 tests/peers/cloudflare_fake.py --port 0 --token SECRET --zone example.com [--zone other.org ...]
It binds 127.0.0.1, prints exactly one line `READY <port>` to stdout, flushes, and serves until
SIGTERM/SIGINT (then it shuts down cleanly and exits 0). Python 3 standard library only.

What it fakes (base path /client/v4, bearer-token auth, the usual envelope
{"success", "errors": [{"code", "message"}], "messages", "result"[, "result_info"]}):
    GET    /client/v4/user/tokens/verify
    GET    /client/v4/zones                     ?name= &status= &page= &per_page= &order= &direction= &match=
    GET    /client/v4/zones/{zone_id}
    GET    /client/v4/zones/{zone_id}/dns_records
           ?type= &name= (= name.exact) &name.contains/.startswith/.endswith= &content[.exact|.contains|
            .startswith|.endswith]= &proxied= &match=all|any &order=type|name|content|ttl|proxied
            &direction=asc|desc &page= &per_page=
    POST   /client/v4/zones/{zone_id}/dns_records                 (Create DNS Record)
    GET    /client/v4/zones/{zone_id}/dns_records/{id}            (DNS Record Details)
    PUT    /client/v4/zones/{zone_id}/dns_records/{id}            (Overwrite DNS Record)
    PATCH  /client/v4/zones/{zone_id}/dns_records/{id}            (Update DNS Record)
    DELETE /client/v4/zones/{zone_id}/dns_records/{id}            (Delete DNS Record -> result {"id"})

Sources followed (stored copies read while writing this; Cloudflare does not publish a per-endpoint
list of error codes, so most codes below come from real responses quoted in public bug reports):
  * DNS records API reference, https://developers.cloudflare.com/api/resources/dns/subresources/records/
    and its OpenAPI schema, https://github.com/cloudflare/api-schemas (openapi.json):
    dns-records_per_page {default 100, minimum 1, maximum 5000000}; dns-records_ttl ("Setting to 1
    means 'automatic'. Value must be between 60 and 86400, with the minimum reduced to 30 for
    Enterprise zones"); priority "Required for MX, SRV and URI records; unused by other record
    types"; order enum type|name|content|ttl|proxied; direction asc|desc; match all|any; the 4XX
    responses are the common-failure envelope (success false, errors non-empty, result null);
    Delete returns result {"id": ...}.
  * List Zones, https://developers.cloudflare.com/api/resources/zones/methods/list/ (name filter
    with the operators starts_with, ends_with, contains and their *_case_sensitive forms).
  * Rate limits, https://developers.cloudflare.com/fundamentals/api/reference/limits/ : 1200
    requests / 5 minutes, HTTP 429, `Ratelimit` and `Ratelimit-Policy` headers on every REST
    response, `retry-after` (seconds, rounded up) only once the limit is exceeded.
  * Token verify, https://developers.cloudflare.com/fundamentals/api/get-started/create-token/ .

Error codes (HTTP status, code, message) and where they come from:
  AUTH_MISSING   400  9106 "Missing X-Auth-Key, X-Auth-Email or Authorization headers"
                 -> observed (cloudflare/cloudflare-python#2678, a 400 on dns_records list).
  AUTH_MALFORMED 400  6003 "Invalid request headers", error_chain 6111 "Invalid format for
                 Authorization header" -> 6003 + error_chain observed (for X-Auth-Key it is 6103,
                 e.g. acmesh-official/acme.sh#6435); 6111 for Authorization is from memory: GUESS.
  AUTH_BAD_TOKEN 403  9109 "Invalid access token" -> observed on /zones and /accounts (e.g.
                 jeessy2/ddns-go#1341 shows 9109 with 403). Some reports show 10000
                 "Authentication error" (401/403) for a valid token without the permission; that
                 one is not produced here (inject it with /_fake/fail if needed).
  VERIFY_BAD     401  1000 "Invalid API Token" on /user/tokens/verify -> observed in a report.
  BAD_ROUTE      400  7003 "Could not route to <path>, perhaps your object identifier is invalid?"
                 plus 7000 "No route for that URI" -> observed (cloudflare/cloudflare-go#118 etc.).
                 Used for a malformed zone/record id, an unknown zone id (GUESS for the unknown-but-
                 well-formed case) and any unknown path.
  METHOD         405 10405 "Method not allowed" -> GUESS.
  BODY_INVALID   400  9207 "Request body is invalid." (and "Content-type must be application/json."
                 for a wrong content type) -> 9207 with the content-type message is observed
                 (timothymiller/cloudflare-ddns#61); the "body is invalid" message: GUESS.
  NAME_INVALID   400  9000 "DNS name is invalid." -> observed (timothymiller/cloudflare-ddns#91).
  TYPE_INVALID   400  9020 "Invalid DNS record type" -> GUESS.
  CONTENT        400  1004 "DNS Validation Error", error_chain 9005 "Content for <T> record is
                 invalid." -> 1004/error_chain shape observed (many reports); 9005 observed for A
                 ("Content for A record must be a valid IPv4 address."); for other types: GUESS.
  AAAA_CONTENT   400  9006 "Content for AAAA record must be a valid IPv6 address." -> GUESS.
  TTL            400  1004 + error_chain 9021 "Invalid TTL. Must be between 60 and 86400 seconds,
                 or 1 for Automatic." -> 9021 under 1004 observed (ZE3kr/Cloudflare-CNAME-Setup#16),
                 message text: GUESS; the range is documented.
  PRIORITY       400  1004 + error_chain 9100 "<T> records require a priority." -> GUESS (that a
                 priority is required is documented).
  PROXIED        400  1004 + error_chain 9041 "Invalid proxied mode. Record cannot be proxied"
                 -> observed (jordantrizz/cloudflare-cli#8).
  IDENTICAL      400 81058 "An identical record already exists." -> observed (jeessy2/ddns-go#1378,
                 HTTP 400).
  NOT_FOUND      404 81044 "Record does not exist." -> code/message observed; HTTP 404: GUESS.
  PAGINATION     400  9400 "Invalid pagination: ..." -> GUESS (per_page/page outside the range; the
                 same code for an `order` or `direction` outside its documented enum).
  X_AUTH_KEY     403  9103 "Unknown X-Auth-Key or X-Auth-Email" when only the legacy key headers are
                 sent (this fake accepts bearer tokens only) -> code from memory: GUESS.
  RATE_LIMIT     429   971 "Please wait and consider throttling your request speed" -> observed
                 (cloudflare/workers-sdk#10025); Retry-After header documented.

Other guesses, stated once:
  * Names: lower-cased, trailing dot dropped, "@" means the apex, a name not ending in the zone is
    taken as relative and the zone is appended (what the dashboard and API do for "www").
  * Host-name contents (CNAME, MX, NS, PTR and the SRV target) are stored without a trailing dot.
    TXT content is stored exactly as given (quoted or not).
  * SRV: `data` {priority, weight, port, target} wins over `content`; otherwise `content` must be
    "weight port target" with a separate `priority`. GET returns both `content` ("weight port
    target"), `priority` and `data`. CAA: `data` {flags, tag, value} or content `0 issue "ca.org"`;
    GET returns content in that form and `data`. `priority` appears only on MX/SRV/URI records and
    `data` only on SRV/CAA records.
  * "Identical" means the same type, name and content, and for MX/SRV also the same priority.
  * Default order of a listing (not documented): type, name, content, id, all ascending.
  * Each zone starts with two apex NS records (ns1/ns2.fake-cloudflare.test) like a real zone;
    they are ordinary records here (--no-apex-ns leaves them out). No SOA is listed.
  * A proxied record always has ttl 1 ("automatic"), as in the dashboard.
  * result_info.total_pages is at least 1 (one real response showed 0 for an empty list, another 1).
  * The zones listing accepts per_page 1..1000 (default 20); records per_page 1..5000000 by default
    (the current schema's minimum is 1, the retired api.cloudflare.com page said 5: use
    --records-min-per-page 5 to get the old behaviour).

Control API for tests, no auth, never counted or logged, never subject to injected failures:
  GET    /_fake/records?zone=example.com        -> JSON list of the zone's records (full objects)
  POST   /_fake/records?zone=example.com        body {type, name, content, ttl?, priority?, data?,
                                                proxied?, comment?, tags?, id?}: seeds a record with
                                                only the required fields checked; returns the record.
                                                A JSON list of such objects seeds each, in one
                                                request, and returns the list.
  DELETE /_fake/records?zone=example.com[&id=X] -> removes one record, or all of them
  POST   /_fake/fail   body {"status": 429, "count": 1, "retry_after": 1, "method": "POST",
                       "path": "/dns_records", "skip": 0, "code": 971, "message": "...",
                       "body": "<raw non-JSON body>"}; all but "status" optional ("count" 1, "skip" 0).
                       The next `count` API requests matching method (if given) and whose path
                       contains `path` (if given) fail with that status, after `skip` matching
                       requests were let through. A 429 carries Retry-After (default 1).
                       Default code/message by status: 429 -> 971, 400 -> 1004 "DNS Validation
                       Error", 401/403 -> 10000 "Authentication error", 404 -> 81044, else 10002
                       "An unknown error has occurred" (GUESS). Returns {"pending": [...rules]}.
  GET    /_fake/fail   -> {"pending": [...]};  DELETE /_fake/fail -> clears all rules
  GET    /_fake/requests -> {"total": n, "by_method": {"GET": n, ...}, "log": [[method, path], ...],
                            "entries": [{"method", "path", "query", "status"}, ...]}
                            (path without the query string; the query is in "entries")
  POST   /_fake/requests/reset -> resets that log
"""

import argparse
import hashlib
import ipaddress
import json
import math
import re
import signal
import sys
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API = "/client/v4"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HOSTNAME_CONTENT = {"CNAME", "MX", "NS", "PTR"}
PROXIABLE = {"A", "AAAA", "CNAME"}
PRIORITY_TYPES = {"MX", "SRV", "URI"}
DATA_TYPES = {"SRV", "CAA"}
KNOWN_TYPES = {
    "A", "AAAA", "CAA", "CERT", "CNAME", "DNSKEY", "DS", "HTTPS", "LOC", "MX", "NAPTR", "NS",
    "OPENPGPKEY", "PTR", "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "URI",
}
ORDER_FIELDS = {"type", "name", "content", "ttl", "proxied"}


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def err(code, message, chain=None):
    e = {"code": code, "message": message}
    if chain:
        e["error_chain"] = [{"code": c, "message": m} for c, m in chain]
    return e


class ApiError(Exception):
    """An API failure: HTTP status plus the Cloudflare error objects."""

    def __init__(self, status, *errors, headers=None):
        super().__init__(errors[0]["message"] if errors else str(status))
        self.status = status
        self.errors = list(errors)
        self.headers = headers or {}


def validation(code, message):
    return ApiError(400, err(1004, "DNS Validation Error", [(code, message)]))


def bad_route(path):
    return ApiError(
        400,
        err(7003, "Could not route to %s, perhaps your object identifier is invalid?" % path),
        err(7000, "No route for that URI"),
    )


class Store:
    """All zones, records, failure rules and the request log, behind one lock."""

    def __init__(self, zones, apex_ns=True, records_min_per_page=1):
        self.lock = threading.Lock()
        self.zones = {}  # zone id -> zone dict
        self.records = {}  # zone id -> {record id -> record}
        self.rules = []
        self.records_min_per_page = records_min_per_page
        self.reset_requests()
        created = now()
        account = hashlib.md5(b"fake-cloudflare-account").hexdigest()
        for name in zones:
            name = name.strip().rstrip(".").lower()
            zid = hashlib.md5(name.encode()).hexdigest()
            self.zones[zid] = {
                "id": zid,
                "name": name,
                "status": "active",
                "paused": False,
                "type": "full",
                "development_mode": 0,
                "name_servers": ["ns1.fake-cloudflare.test", "ns2.fake-cloudflare.test"],
                "original_name_servers": None,
                "original_registrar": None,
                "original_dnshost": None,
                "created_on": created,
                "modified_on": created,
                "activated_on": created,
                "account": {"id": account, "name": "Fake account"},
                "owner": {"id": None, "type": "user", "email": None},
                "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:read"],
                "plan": {"id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "name": "Free Website",
                         "price": 0, "currency": "USD", "frequency": "",
                         "is_subscribed": False, "can_subscribe": False,
                         "legacy_id": "free", "legacy_discount": False,
                         "externally_managed": False},
                "meta": {"step": 2, "custom_certificate_quota": 0, "page_rule_quota": 3,
                         "phishing_detected": False},
            }
            self.records[zid] = {}
            if apex_ns:
                for ns in self.zones[zid]["name_servers"]:
                    self._insert(zid, {"type": "NS", "name": name, "content": ns, "ttl": 86400})

    # --- requests log -------------------------------------------------------------------------
    def reset_requests(self):
        self.entries = []

    def requests_json(self):
        by_method = {}
        for e in self.entries:
            by_method[e["method"]] = by_method.get(e["method"], 0) + 1
        return {
            "total": len(self.entries),
            "by_method": by_method,
            "log": [[e["method"], e["path"]] for e in self.entries],
            "entries": list(self.entries),
        }

    # --- injected failures --------------------------------------------------------------------
    def take_failure(self, method, path):
        for rule in self.rules:
            if rule["method"] and rule["method"] != method:
                continue
            if rule["path"] and rule["path"] not in path:
                continue
            if rule["skip"] > 0:
                rule["skip"] -= 1
                continue
            rule["count"] -= 1
            if rule["count"] <= 0:
                self.rules.remove(rule)
            return dict(rule)
        return None

    # --- zones --------------------------------------------------------------------------------
    def zone(self, zid, path):
        if not HEX32.match(zid) or zid not in self.zones:
            raise bad_route(path)
        return self.zones[zid]

    def zone_by_name(self, name):
        name = (name or "").strip().rstrip(".").lower()
        for z in self.zones.values():
            if z["name"] == name:
                return z
        return None

    # --- records ------------------------------------------------------------------------------
    def fqdn(self, zone_name, name):
        n = str(name).strip().rstrip(".").lower()
        if n in ("", "@"):
            return zone_name if n == "@" else ""
        if n == zone_name or n.endswith("." + zone_name):
            return n
        return n + "." + zone_name

    def _insert(self, zid, fields, rid=None):
        zone = self.zones[zid]
        ts = now()
        rec = {
            "id": rid or uuid.uuid4().hex,
            "zone_id": zid,
            "zone_name": zone["name"],
            "name": self.fqdn(zone["name"], fields["name"]),
            "type": fields["type"],
            "content": fields["content"],
            "proxiable": fields["type"] in PROXIABLE,
            "proxied": bool(fields.get("proxied", False)),
            "ttl": fields.get("ttl", 1),
            "locked": False,
            "settings": {},
            "meta": {"auto_added": False, "managed_by_apps": False,
                     "managed_by_argo_tunnel": False},
            "comment": fields.get("comment"),
            "tags": list(fields.get("tags") or []),
            "created_on": ts,
            "modified_on": ts,
        }
        if fields.get("priority") is not None:
            rec["priority"] = fields["priority"]
        if fields.get("data") is not None:
            rec["data"] = fields["data"]
        self.records[zid][rec["id"]] = rec
        return rec

    def identical(self, zid, cand, exclude=None):
        for r in self.records[zid].values():
            if r["id"] == exclude:
                continue
            if r["type"] != cand["type"] or r["name"] != cand["name"]:
                continue
            if r["content"] != cand["content"]:
                continue
            if cand["type"] in ("MX", "SRV") and r.get("priority") != cand.get("priority"):
                continue
            return True
        return False


# --- record field normalisation and validation ----------------------------------------------

def as_int(value, what):
    if isinstance(value, bool):
        raise validation(9005, "Invalid %s." % what)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\d+", value.strip()):
        return int(value.strip())
    raise validation(9005, "Invalid %s." % what)


def strip_dot(s):
    return s[:-1] if s.endswith(".") and len(s) > 1 else s


def caa_content(flags, tag, value):
    v = str(value)
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        v = v[1:-1]
    return "%d %s \"%s\"" % (flags, tag, v), v


def normalise(zone_name, body, store, strict=True):
    """Turn a request body (already merged for PATCH) into stored record fields.

    strict=False is the control API's seeding: only type/name/content are required."""
    if not isinstance(body, dict):
        raise ApiError(400, err(9207, "Request body is invalid."))
    rtype = body.get("type")
    if not isinstance(rtype, str) or not rtype.strip():
        raise ApiError(400, err(9020, "Invalid DNS record type"))
    rtype = rtype.strip().upper()
    if strict and rtype not in KNOWN_TYPES:
        raise ApiError(400, err(9020, "Invalid DNS record type"))
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or store.fqdn(zone_name, name) == "":
        raise ApiError(400, err(9000, "DNS name is invalid."))

    out = {"type": rtype, "name": name}
    data = body.get("data") if isinstance(body.get("data"), dict) and body.get("data") else None
    content = body.get("content")
    if content is not None and not isinstance(content, str):
        raise validation(9005, "Content for %s record is invalid." % rtype)
    priority = body.get("priority")
    if priority is not None:
        priority = as_int(priority, "priority")
        if not 0 <= priority <= 65535:
            raise validation(9005, "Invalid priority.")

    if rtype == "SRV":
        if data is not None:
            pr = data.get("priority", priority)
            pr = None if pr is None else as_int(pr, "priority")
            weight = as_int(data.get("weight"), "weight")
            port = as_int(data.get("port"), "port")
            target = strip_dot(str(data.get("target") or "").strip().lower())
            if not target:
                raise validation(9005, "Content for SRV record is invalid.")
            priority = pr
        elif content:
            parts = content.split()
            if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
                raise validation(9005, "Content for SRV record is invalid.")
            weight, port = int(parts[0]), int(parts[1])
            target = strip_dot(parts[2].lower())
        else:
            raise validation(9005, "Content for SRV record is invalid.")
        if priority is None:
            if strict:
                raise validation(9100, "SRV records require a priority.")
            priority = 0
        out["content"] = "%s %s %s" % (weight, port, target)
        out["priority"] = priority
        out["data"] = {"priority": priority, "weight": weight, "port": port, "target": target}
    elif rtype == "CAA":
        if data is not None:
            tag = str(data.get("tag") or "").strip()
            try:
                flags = as_int(data.get("flags", 0), "flags")
            except ApiError:
                raise validation(9005, "Content for CAA record is invalid.")
            if not tag or data.get("value") is None:
                raise validation(9005, "Content for CAA record is invalid.")
            out["content"], value = caa_content(flags, tag, data.get("value"))
        elif content:
            m = re.fullmatch(r"\s*(\d+)\s+([A-Za-z0-9]+)\s+(.+?)\s*", content)
            if not m:
                raise validation(9005, "Content for CAA record is invalid.")
            flags, tag = int(m.group(1)), m.group(2)
            out["content"], value = caa_content(flags, tag, m.group(3))
        else:
            raise validation(9005, "Content for CAA record is invalid.")
        out["data"] = {"flags": flags, "tag": tag, "value": value}
    else:
        if content is None or content == "":
            raise validation(9005, "Content for %s record is invalid." % rtype)
        if rtype in HOSTNAME_CONTENT:
            content = strip_dot(content.strip().lower())
        if strict and rtype == "A":
            try:
                ipaddress.IPv4Address(content)
            except ValueError:
                raise ApiError(400, err(9005, "Content for A record must be a valid IPv4 address."))
        if strict and rtype == "AAAA":
            try:
                content = str(ipaddress.IPv6Address(content))
            except ValueError:
                raise ApiError(400, err(9006, "Content for AAAA record must be a valid IPv6 address."))
        out["content"] = content
        if rtype in PRIORITY_TYPES:
            if priority is None:
                if strict:
                    raise validation(9100, "%s records require a priority." % rtype)
                priority = 0
            out["priority"] = priority

    ttl = body.get("ttl", 1)
    if ttl is None:
        ttl = 1
    ttl = as_int(ttl, "TTL") if not strict else _ttl(ttl)
    proxied = body.get("proxied", False)
    if proxied is None:
        proxied = False
    if not isinstance(proxied, bool):
        raise validation(9041, "Invalid proxied mode. Record cannot be proxied")
    if proxied and rtype not in PROXIABLE:
        raise validation(9041, "Invalid proxied mode. Record cannot be proxied")
    if proxied:
        ttl = 1
    out["ttl"] = ttl
    out["proxied"] = proxied
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise ApiError(400, err(9207, "Request body is invalid."))
    out["comment"] = comment if comment else None
    tags = body.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ApiError(400, err(9207, "Request body is invalid."))
    out["tags"] = tags
    return out


def _ttl(value):
    msg = "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic."
    try:
        ttl = as_int(value, "TTL")
    except ApiError:
        raise validation(9021, msg)
    if ttl != 1 and not 60 <= ttl <= 86400:
        raise validation(9021, msg)
    return ttl


def apply_fields(rec, fields, zone_name, store):
    rec["type"] = fields["type"]
    rec["name"] = store.fqdn(zone_name, fields["name"])
    rec["content"] = fields["content"]
    rec["proxiable"] = fields["type"] in PROXIABLE
    rec["proxied"] = fields["proxied"]
    rec["ttl"] = fields["ttl"]
    rec["comment"] = fields["comment"]
    rec["tags"] = fields["tags"]
    rec.pop("priority", None)
    rec.pop("data", None)
    if fields.get("priority") is not None:
        rec["priority"] = fields["priority"]
    if fields.get("data") is not None:
        rec["data"] = fields["data"]
    rec["modified_on"] = now()


def record_as_body(rec):
    """The stored record as a request body, the base a PATCH is merged onto."""
    body = {k: rec.get(k) for k in ("type", "name", "content", "ttl", "proxied", "comment", "tags")}
    if "priority" in rec:
        body["priority"] = rec["priority"]
    if "data" in rec:
        body["data"] = dict(rec["data"])
    return body


# --- listing helpers -------------------------------------------------------------------------

def page_params(query, default, lo, hi):
    def one(key, dflt):
        vals = query.get(key)
        if not vals or vals[-1] == "":
            return dflt
        v = vals[-1]
        if not re.fullmatch(r"\d+", v):
            raise ApiError(400, err(9400, "Invalid pagination: %s must be a whole number" % key))
        return int(v)

    page = one("page", 1)
    per_page = one("per_page", default)
    if page < 1:
        raise ApiError(400, err(9400, "Invalid pagination: page must be at least 1"))
    if not lo <= per_page <= hi:
        raise ApiError(
            400, err(9400, "Invalid pagination: per_page must be between %d and %d" % (lo, hi)))
    return page, per_page


def paginate(items, page, per_page):
    total = len(items)
    chunk = items[(page - 1) * per_page: page * per_page]
    info = {
        "page": page,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": total,
        "total_pages": max(1, math.ceil(total / per_page)),
    }
    return chunk, info


RECORD_KEYS = ("id", "zone_id", "zone_name", "name", "type", "content", "priority", "data",
               "proxiable", "proxied", "ttl", "locked", "settings", "meta", "comment", "tags",
               "created_on", "modified_on")


def public(rec):
    """A deep copy of a stored record, keys in Cloudflare's usual order."""
    return json.loads(json.dumps({k: rec[k] for k in RECORD_KEYS if k in rec}))


def text_filter(op, field, want):
    field, want = field.lower(), want.lower()
    return {
        "exact": field == want,
        "contains": want in field,
        "startswith": field.startswith(want),
        "endswith": field.endswith(want),
    }[op]


# --- HTTP ----------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 120  # seconds an idle keep-alive connection is kept
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle holds the body until
    # the client's delayed ACK (40 ms a response).
    disable_nagle_algorithm = True
    def version_string(self):
        return "fake-cloudflare"

    def log_message(self, fmt, *args):  # quiet unless --verbose
        if self.server.verbose:
            sys.stderr.write("fake-cloudflare: " + (fmt % args) + "\n")

    @property
    def store(self):
        return self.server.store

    # body ----------------------------------------------------------------------------------
    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                line = self.rfile.readline().strip()
                size = int(line.split(b";")[0] or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send(self, status, payload=None, headers=None, raw=None, content_type="application/json"):
        body = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return status

    def send_api(self, status, result=None, result_info=None, errors=None, headers=None,
                 messages=None):
        env = {"success": not errors, "errors": errors or [], "messages": messages or [],
               "result": result}
        if result_info is not None:
            env["result_info"] = result_info
        h = {"Ratelimit": '"default";r=1199;t=300', "Ratelimit-Policy": '"default";q=1200;w=300'}
        h.update(headers or {})
        return self.send(status, env, headers=h)

    # dispatch ------------------------------------------------------------------------------
    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def dispatch(self):
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query, keep_blank_values=True)
        try:
            raw = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        if path.startswith("/_fake/") or path == "/_fake":
            try:
                self.control(path, query, raw)
            except ApiError as e:
                self.send(e.status, {"error": e.errors[0]["message"] if e.errors else "error"})
            return
        with self.store.lock:
            entry = {"method": self.command, "path": path, "query": url.query, "status": None}
            self.store.entries.append(entry)
            rule = self.store.take_failure(self.command, path)
        if rule is not None:
            entry["status"] = self.injected(rule)
            return
        try:
            entry["status"] = self.api(path, query, raw)
        except ApiError as e:
            entry["status"] = self.send_api(e.status, errors=e.errors, headers=e.headers)
        except Exception as e:  # a bug in the fake: answer like an unexpected server error
            sys.stderr.write("fake-cloudflare: internal error: %r\n" % (e,))
            entry["status"] = self.send_api(500, errors=[err(10002, "An unknown error has occurred")])

    def injected(self, rule):
        status = rule["status"]
        headers = {}
        if status == 429:
            headers["Retry-After"] = str(rule.get("retry_after") or 1)
        elif rule.get("retry_after") is not None:
            headers["Retry-After"] = str(rule["retry_after"])
        if rule.get("body") is not None:
            return self.send(status, raw=str(rule["body"]).encode(), headers=headers,
                             content_type="text/html")
        defaults = {
            429: (971, "Please wait and consider throttling your request speed"),
            400: (1004, "DNS Validation Error"),
            401: (10000, "Authentication error"),
            403: (10000, "Authentication error"),
            404: (81044, "Record does not exist."),
        }
        code, message = defaults.get(status, (10002, "An unknown error has occurred"))
        code = rule.get("code") if rule.get("code") is not None else code
        message = rule.get("message") if rule.get("message") is not None else message
        return self.send_api(status, errors=[err(code, message)], headers=headers)

    # auth ------------------------------------------------------------------------------------
    def authenticate(self, verify=False):
        auth = self.headers.get("Authorization")
        if auth is None:
            if self.headers.get("X-Auth-Key") or self.headers.get("X-Auth-Email"):
                raise ApiError(403, err(9103, "Unknown X-Auth-Key or X-Auth-Email"))
            raise ApiError(400, err(9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers"))
        m = re.fullmatch(r"\s*[Bb][Ee][Aa][Rr][Ee][Rr] +(\S+)\s*", auth)
        if not m:
            raise ApiError(400, err(6003, "Invalid request headers",
                                    [(6111, "Invalid format for Authorization header")]))
        if m.group(1) != self.server.token:
            if verify:
                raise ApiError(401, err(1000, "Invalid API Token"))
            raise ApiError(403, err(9109, "Invalid access token"))

    def json_body(self, raw):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise ApiError(400, err(9207, "Content-type must be application/json."))
        try:
            body = json.loads(raw.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, err(9207, "Request body is invalid."))
        if not isinstance(body, dict):
            raise ApiError(400, err(9207, "Request body is invalid."))
        return body

    # the API ---------------------------------------------------------------------------------
    def api(self, path, query, raw):
        if not path.startswith(API + "/"):
            raise ApiError(400, err(7000, "No route for that URI"))
        parts = [p for p in path[len(API):].split("/") if p]
        method = self.command
        store = self.store

        if parts == ["user", "tokens", "verify"]:
            self.only(method, "GET")
            self.authenticate(verify=True)
            tid = hashlib.md5(self.server.token.encode()).hexdigest()
            return self.send_api(200, {"id": tid, "status": "active"}, messages=[
                {"code": 10000, "message": "This API Token is valid and active", "type": None}])

        if not parts or parts[0] != "zones":
            raise ApiError(400, err(7000, "No route for that URI"))
        self.authenticate()

        if len(parts) == 1:
            self.only(method, "GET")
            with store.lock:
                return self.list_zones(query)
        with store.lock:
            zone = store.zone(parts[1], path)
        if len(parts) == 2:
            self.only(method, "GET")
            return self.send_api(200, zone)
        if parts[2] != "dns_records" or len(parts) > 4:
            raise bad_route(path)
        zid = zone["id"]
        if len(parts) == 3:
            if method == "GET":
                with store.lock:
                    return self.list_records(zid, query)
            if method == "POST":
                body = self.json_body(raw)
                with store.lock:
                    fields = normalise(zone["name"], body, store)
                    cand = dict(fields, name=store.fqdn(zone["name"], fields["name"]))
                    if store.identical(zid, cand):
                        raise ApiError(400, err(81058, "An identical record already exists."))
                    rec = store._insert(zid, fields)
                    return self.send_api(200, public(rec))
            raise ApiError(405, err(10405, "Method not allowed"))

        rid = parts[3]
        with store.lock:
            if not HEX32.match(rid):
                raise bad_route(path)
            rec = store.records[zid].get(rid)
            if rec is None:
                raise ApiError(404, err(81044, "Record does not exist."))
            if method == "GET":
                return self.send_api(200, public(rec))
            if method == "DELETE":
                del store.records[zid][rid]
                return self.send_api(200, {"id": rid})
        if method in ("PUT", "PATCH"):
            body = self.json_body(raw)
            with store.lock:
                rec = store.records[zid].get(rid)
                if rec is None:
                    raise ApiError(404, err(81044, "Record does not exist."))
                if method == "PATCH":
                    merged = record_as_body(rec)
                    new_type = str(body.get("type", merged["type"])).upper()
                    if new_type != merged["type"]:
                        merged.pop("data", None)
                        merged.pop("priority", None)
                    if "content" in body and "data" not in body:
                        merged.pop("data", None)
                    if "data" in body and "content" not in body:
                        merged.pop("content", None)
                    merged.update(body)
                    body = merged
                fields = normalise(zone["name"], body, store)
                cand = dict(fields, name=store.fqdn(zone["name"], fields["name"]))
                if store.identical(zid, cand, exclude=rid):
                    raise ApiError(400, err(81058, "An identical record already exists."))
                apply_fields(rec, fields, zone["name"], store)
                return self.send_api(200, public(rec))
        raise ApiError(405, err(10405, "Method not allowed"))

    def only(self, method, allowed):
        if method != allowed:
            raise ApiError(405, err(10405, "Method not allowed"))

    def list_zones(self, query):
        page, per_page = page_params(query, 20, 1, 1000)
        zones = sorted(self.store.zones.values(), key=lambda z: z["name"])
        conds = []
        if query.get("name") and query["name"][-1] != "":
            want = query["name"][-1]
            op, _, val = want.partition(":")
            ops = {
                "equal": lambda n, v: n == v.lower(),
                "not_equal": lambda n, v: n != v.lower(),
                "starts_with": lambda n, v: n.startswith(v.lower()),
                "ends_with": lambda n, v: n.endswith(v.lower()),
                "contains": lambda n, v: v.lower() in n,
                "starts_with_case_sensitive": lambda n, v: n.startswith(v),
                "ends_with_case_sensitive": lambda n, v: n.endswith(v),
                "contains_case_sensitive": lambda n, v: v in n,
            }
            if op in ops and val:
                conds.append(lambda z, f=ops[op], v=val: f(z["name"], v))
            else:
                conds.append(lambda z, v=want.rstrip(".").lower(): z["name"] == v)
        if query.get("status") and query["status"][-1] != "":
            conds.append(lambda z, s=query["status"][-1]: z["status"] == s)
        match_any = (query.get("match") or ["all"])[-1] == "any"
        if conds:
            pick = any if match_any else all
            zones = [z for z in zones if pick(c(z) for c in conds)]
        if (query.get("direction") or ["asc"])[-1] == "desc":
            zones.reverse()
        chunk, info = paginate(zones, page, per_page)
        return self.send_api(200, json.loads(json.dumps(chunk)), result_info=info)

    def list_records(self, zid, query):
        page, per_page = page_params(query, 100, self.store.records_min_per_page, 5000000)
        recs = list(self.store.records[zid].values())

        def last(key):
            v = query.get(key)
            return v[-1] if v and v[-1] != "" else None

        conds = []
        if last("type"):
            conds.append(lambda r, t=last("type").upper(): r["type"] == t)
        for field in ("name", "content"):
            for op in ("exact", "contains", "startswith", "endswith"):
                val = last("%s.%s" % (field, op))
                if val is None and op == "exact":
                    val = last(field)
                if val is None:
                    continue
                if field == "name" and op == "exact":
                    val = val.rstrip(".")
                conds.append(lambda r, f=field, o=op, v=val: text_filter(o, r[f], v))
        if last("proxied") is not None:
            conds.append(lambda r, p=last("proxied").lower() == "true": r["proxied"] == p)
        if last("comment") is not None:
            conds.append(lambda r, c=last("comment"): (r.get("comment") or "") == c)
        if last("tag") is not None:
            conds.append(lambda r, t=last("tag"): t in r.get("tags", []) or any(
                x.split(":", 1)[0] == t for x in r.get("tags", [])))
        if conds:
            pick = any if last("match") == "any" else all
            recs = [r for r in recs if pick(c(r) for c in conds)]

        order = last("order")
        if order is not None and order not in ORDER_FIELDS:
            raise ApiError(400, err(9400, "Invalid order: must be one of type, name, content, ttl, proxied"))
        direction = last("direction") or "asc"
        if direction not in ("asc", "desc"):
            raise ApiError(400, err(9400, "Invalid direction: must be asc or desc"))
        recs.sort(key=lambda r: (r["type"], r["name"], r["content"], r["id"]))
        if order:
            recs.sort(key=lambda r: r[order])
        if direction == "desc":
            recs.reverse()
        chunk, info = paginate(recs, page, per_page)
        return self.send_api(200, [public(r) for r in chunk], result_info=info)

    # the control API -------------------------------------------------------------------------
    def control(self, path, query, raw):
        store = self.store
        method = self.command

        def body_json(lists=False):
            try:
                b = json.loads(raw.decode("utf-8") or "{}")
            except (UnicodeDecodeError, ValueError):
                raise ApiError(400, err(0, "body is not JSON"))
            if lists and isinstance(b, list) and all(isinstance(x, dict) for x in b):
                return b
            if not isinstance(b, dict):
                raise ApiError(400, err(0, "body must be a JSON object"))
            return b

        def zone_arg():
            z = store.zone_by_name((query.get("zone") or [""])[-1])
            if z is None:
                raise ApiError(404, err(0, "unknown zone (use ?zone=<name>)"))
            return z

        if path == "/_fake/records":
            with store.lock:
                zone = zone_arg()
                zid = zone["id"]
                if method == "GET":
                    recs = sorted(store.records[zid].values(),
                                  key=lambda r: (r["type"], r["name"], r["content"], r["id"]))
                    return self.send(200, [public(r) for r in recs])
                if method == "POST":
                    b = body_json(lists=True)

                    def seed(b):
                        for k in ("type", "name", "content"):
                            if k not in b and not (k == "content" and isinstance(b.get("data"), dict)):
                                raise ApiError(400, err(0, "missing field %r" % k))
                        fields = normalise(zone["name"], b, store, strict=False)
                        rid = b.get("id")
                        if rid is not None and (not HEX32.match(str(rid)) or rid in store.records[zid]):
                            raise ApiError(400, err(0, "id must be 32 lower-case hex and unused"))
                        return public(store._insert(zid, fields, rid=rid))

                    if isinstance(b, list):
                        return self.send(200, [seed(x) for x in b])
                    return self.send(200, seed(b))
                if method == "DELETE":
                    rid = (query.get("id") or [None])[-1]
                    if rid is None:
                        n = len(store.records[zid])
                        store.records[zid].clear()
                        return self.send(200, {"deleted": n})
                    if store.records[zid].pop(rid, None) is None:
                        raise ApiError(404, err(0, "no such record"))
                    return self.send(200, {"deleted": 1})
        elif path == "/_fake/fail":
            with store.lock:
                if method == "POST":
                    b = body_json()
                    try:
                        status = int(b["status"])
                        rule = {
                            "status": status,
                            "count": int(b.get("count", 1)),
                            "skip": int(b.get("skip", 0)),
                            "retry_after": b.get("retry_after"),
                            "method": str(b["method"]).upper() if b.get("method") else None,
                            "path": b.get("path"),
                            "code": b.get("code"),
                            "message": b.get("message"),
                            "body": b.get("body"),
                        }
                    except (KeyError, TypeError, ValueError):
                        raise ApiError(400, err(0, "need at least an integer \"status\""))
                    if not 100 <= status <= 599 or rule["count"] < 1 or rule["skip"] < 0:
                        raise ApiError(400, err(0, "bad status, count or skip"))
                    store.rules.append(rule)
                    return self.send(200, {"pending": store.rules})
                if method == "GET":
                    return self.send(200, {"pending": store.rules})
                if method == "DELETE":
                    store.rules.clear()
                    return self.send(200, {"pending": []})
        elif path == "/_fake/requests":
            if method == "GET":
                with store.lock:
                    return self.send(200, store.requests_json())
        elif path == "/_fake/requests/reset":
            if method == "POST":
                with store.lock:
                    store.reset_requests()
                    return self.send(200, {"total": 0})
        else:
            raise ApiError(404, err(0, "unknown control path"))
        raise ApiError(405, err(0, "method not allowed here"))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # an idle keep-alive client must not delay exit on SIGTERM
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description="Fake Cloudflare API v4 (DNS) for tests.")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    ap.add_argument("--token", required=True, help="the one API token accepted as Bearer")
    ap.add_argument("--zone", action="append", default=[], help="a zone name (repeatable)")
    ap.add_argument("--no-apex-ns", action="store_true", help="do not seed the two apex NS records")
    ap.add_argument("--records-min-per-page", type=int, default=1,
                    help="smallest per_page accepted on dns_records (documented 1; old docs 5)")
    ap.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = ap.parse_args()
    if not args.zone:
        ap.error("at least one --zone is needed")

    server = Server(("127.0.0.1", args.port), Handler)
    server.store = Store(args.zone, apex_ns=not args.no_apex_ns,
                         records_min_per_page=args.records_min_per_page)
    server.token = args.token
    server.verbose = args.verbose

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    sys.stdout.write("READY %d\n" % server.server_address[1])
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

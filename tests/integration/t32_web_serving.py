"""
t32_web_serving -- posternd serves the web client built into it (GET / and GET /assets/...): the page names
every script and style with its Subresource Integrity hash, the answers carry a strict Content-Security-Policy
(no inline script, no eval beyond WebAssembly, the API on this origin only, no framing), hashed files are
cached for good and the page never, and nothing outside the built table is served.
"""
import base64
import hashlib
import re

import harness as H

# scripts and stylesheets: what runs or styles the page must carry its integrity hash (an icon need not)
REF_RE = re.compile(r'<(script|link rel="stylesheet")\b[^>]*?(?:src|href)="([^"]+)"[^>]*>')


def _page():
    s = H.server()
    r = s.req("GET", "/")
    H.expect_status(r, 200)
    return s, r, r.raw.decode("utf-8")


def test_page_is_served_with_a_strict_policy():
    _, r, _ = _page()
    H.check((r.header("content-type") or "").startswith("text/html"), f"content-type {r.header('content-type')}")
    csp = r.header("content-security-policy") or ""
    directives = {d.strip().split(" ")[0]: d.strip().split(" ")[1:] for d in csp.split(";") if d.strip()}
    H.eq(directives.get("default-src"), ["'none'"], "default-src")
    H.eq(directives.get("script-src"), ["'self'", "'wasm-unsafe-eval'"], "script-src (no inline, no eval)")
    H.eq(directives.get("connect-src"), ["'self'"], "connect-src")
    H.eq(directives.get("frame-ancestors"), ["'none'"], "frame-ancestors")
    H.check("'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, f"policy allows inline or eval: {csp}")
    H.eq(r.header("cache-control"), "no-cache", "the page is revalidated")
    H.eq(r.header("x-frame-options"), "DENY", "x-frame-options")


def test_every_script_and_style_has_integrity_that_matches():
    s, _, page = _page()
    refs = REF_RE.findall(page)
    H.check(any(k == "script" for k, _ in refs), f"no script on the page: {page[:300]}")
    H.check("<script>" not in page and not re.search(r"<script\b(?![^>]*\bsrc=)", page), "an inline script")
    for kind, url in refs:
        H.check(url.startswith("/assets/"), f"{kind} from {url}: only this origin's /assets/")
        tag = re.search(r'<%s\b[^>]*%s[^>]*>' % (re.escape(kind), re.escape(url)), page).group(0)
        m = re.search(r'integrity="sha384-([^"]+)"', tag)
        H.check(m, f"{url} has no integrity attribute")
        a = s.req("GET", url)
        H.expect_status(a, 200, f"GET {url}")
        H.eq(m.group(1), base64.b64encode(hashlib.sha384(a.raw).digest()).decode(), f"SRI of {url}")
        H.check("immutable" in (a.header("cache-control") or ""), f"{url} cache-control {a.header('cache-control')}")
        H.check(a.header("content-security-policy"), f"{url} without a policy")


def test_no_third_party_origin_anywhere():
    s, _, page = _page()
    H.check(not re.search(r'(?:src|href)="(?:https?:)?//', page), "the page names another origin")
    for _, url in REF_RE.findall(page):
        body = s.req("GET", url).raw.decode("utf-8", "replace")
        for m in re.finditer(r'(?:import\s*\(|fetch\s*\(|src\s*=\s*)["\'](https?://[^"\']+)', body):
            raise H.TestFailure(f"{url} loads {m.group(1)}")


def test_unknown_assets_and_paths_are_not_found():
    s = H.server()
    for path in ("/assets/nosuch.0000000000000000.js", "/assets/..%2f..%2fetc%2fpasswd", "/assets/app.js",
                 "/index.html", "/assets/"):
        r = s.req("GET", path)
        H.check(r.status in (400, 404), f"GET {path}: {r.status}")
        H.check(r.json is not None and "error" in r.json, f"GET {path}: JSON error body, got {r.short_body(80)}")
    H.expect_status(s.req("POST", "/", body={}), 405, "POST /")

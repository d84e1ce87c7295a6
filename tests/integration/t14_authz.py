"""Authorization matrix: every route of `posternd routes` against every kind of credential.

Credential kinds:
  none         no Authorization header
  malformed    `Authorization: Bearer !!not a token!!`
  garbage      a well-formed token that the server never issued (a real token with its last characters
               changed, same length and alphabet)
  logged_out   a real token after DELETE /v1/sessions/current
  owner        the user who owns the resource in the path (or, for routes without one, any user)
  friend       a friend of the owner who is not a member of the owner's thread
  stranger     a user with no relation to the owner

Expired tokens: the matrix does not use one. When this suite was written the shortest --session-ttl was
60 s, too long to wait for inside the suite's time budget, so in the matrix expiry is covered by `garbage` (a
well-formed token that matches no live session) and `logged_out` (a session the server ended); both must
answer exactly like an expired token, 401 unauthorized. The server now accepts --session-ttl=1, so
test_expired_token_every_route also checks a really expired token against every protected route, on a
private server.

Public routes (creds ["none"]) ignore credentials: every kind gets the normal answer.

EXPECT is keyed by "METHOD path" as in docs/api.md. Placeholder names are compared loosely ({id} matches
{thread_id}), so the server may name them as it likes. A route in the server's table without an entry here
fails test_every_route_has_an_expectation; an entry here that the server lacks fails
test_every_documented_route_is_served. Each entry also gets its own test, test_authz_<METHOD>_<path>.
"""
import json
import os
import re
import subprocess

import harness as H
from harness import check, eq, expect_error

UNAUTH = ("none", "malformed", "garbage", "logged_out")
ROLES = ("owner", "friend", "stranger")

# expectation per role: status, or (status, error code), or a tuple of acceptable statuses
EXPECT = {
    "GET /": {"public": True, "all": 200},  # the web client's page
    "GET /assets/{name}": {"public": True, "all": 404},  # (a name the build does not have)
    "GET /v1/health": {"public": True, "all": 200},
    # the transparency log: public (hashes and commitments only); proofs and cosignatures need their arguments
    "GET /v1/log/checkpoint": {"public": True, "all": 200},
    "GET /v1/log/proof/inclusion": {"public": True, "all": (400,)},
    "GET /v1/log/proof/consistency": {"public": True, "all": (400,)},
    "GET /v1/log/leaves": {"public": True, "all": 200},
    "POST /v1/log/cosignatures": {"public": True, "all": (400,)},
    "GET /v1/me/log-key": {"owner": 200, "friend": 200, "stranger": 200},
    "POST /v1/accounts": {"public": True, "all": 201},
    "POST /v1/sessions": {"public": True, "all": 201},
    "DELETE /v1/sessions/current": {"owner": 204, "friend": 204, "stranger": 204},
    "GET /v1/me": {"owner": 200, "friend": 200, "stranger": 200},
    "POST /v1/me/password": {"owner": 204, "friend": 204, "stranger": 204},
    "DELETE /v1/me": {"owner": 204, "friend": 204, "stranger": 204},
    "DELETE /v1/sessions": {"owner": 204, "friend": 204, "stranger": 204},
    "GET /v1/sessions": {"owner": 200, "friend": 200, "stranger": 200},
    "DELETE /v1/sessions/{session_id}": {"owner": 204, "friend": (404, "not_found"), "stranger": (404, "not_found")},
    "POST /v1/friends/requests": {"owner": 400, "friend": (409, "conflict"), "stranger": 201},
    "GET /v1/friends/requests": {"owner": 200, "friend": 200, "stranger": 200},
    "POST /v1/friends/requests/{request_id}/accept": {"owner": 200, "friend": (404, "not_found"),
                                                      "stranger": (404, "not_found")},
    "POST /v1/friends/requests/{request_id}/decline": {"owner": 200, "friend": (404, "not_found"),
                                                       "stranger": (404, "not_found")},
    "DELETE /v1/friends/requests/{request_id}": {"owner": 204, "friend": (404, "not_found"),
                                                 "stranger": (404, "not_found")},
    "GET /v1/friends": {"owner": 200, "friend": 200, "stranger": 200},
    "DELETE /v1/friends/{user_id}": {"owner": (404, "not_found"), "friend": 204, "stranger": (404, "not_found")},
    "POST /v1/devices": {"owner": 201, "friend": 201, "stranger": 201},
    "GET /v1/devices": {"owner": 200, "friend": 200, "stranger": 200},
    "DELETE /v1/devices/{device_id}": {"owner": 204, "friend": (404, "not_found"), "stranger": (404, "not_found")},
    "GET /v1/users/{user_id}/devices": {"owner": 200, "friend": 200, "stranger": (404, "not_found")},
    "POST /v1/threads": {"owner": (200, 201), "friend": (200, 201), "stranger": (403, "not_friends")},
    "GET /v1/threads": {"owner": 200, "friend": 200, "stranger": 200},
    "GET /v1/threads/{id}": {"owner": 200, "friend": (404, "not_found"), "stranger": (404, "not_found")},
    "POST /v1/threads/{id}/members": {"owner": 200, "friend": (404, "not_found"), "stranger": (404, "not_found")},
    "DELETE /v1/threads/{id}/members/{user_id}": {"owner": 204, "friend": (404, "not_found"),
                                                  "stranger": (404, "not_found")},
    "POST /v1/threads/{id}/messages": {"owner": 201, "friend": (404, "not_found"), "stranger": (404, "not_found")},
    "GET /v1/threads/{id}/messages": {"owner": 200, "friend": (404, "not_found"), "stranger": (404, "not_found")},
    "DELETE /v1/threads/{id}/messages/{message_id}": {"owner": 204, "friend": (404, "not_found"),
                                                      "stranger": (404, "not_found")},
    "POST /v1/threads/{id}/read": {"owner": 200, "friend": (404, "not_found"), "stranger": (404, "not_found")},
    "POST /v1/to-device": {"owner": 202, "friend": 202, "stranger": (404, "not_found")},
    "GET /v1/sync": {"owner": 200, "friend": 200, "stranger": 200},

    # Identity keys, signed devices and prekeys (protocol version 2). Each person publishes, fetches and
    # signs only for themself: someone else's device in a path or a statement is 404.
    "PUT /v1/me/identity": {"owner": 201, "friend": 201, "stranger": 201},
    "GET /v1/me/identity/backup": {"owner": 200, "friend": 200, "stranger": 200},
    "GET /v1/devices/pending": {"owner": 200, "friend": (404, "not_found"), "stranger": (404, "not_found")},
    "PUT /v1/devices/{device_id}/cert": {"owner": 200, "friend": (404, "not_found"), "stranger": (404, "not_found")},
    "POST /v1/device-revocations": {"owner": 204, "friend": (404, "not_found"), "stranger": (404, "not_found")},
    "POST /v1/me/contacts": {"owner": 201, "friend": 201, "stranger": 201},
    "GET /v1/me/contacts": {"owner": 200, "friend": 200, "stranger": 200},
    "POST /v1/keys": {"owner": 200, "friend": 200, "stranger": 200},
    "GET /v1/keys": {"owner": 200, "friend": 200, "stranger": 200},
    "POST /v1/keys/claim": {"owner": 200, "friend": 200, "stranger": (404, "not_found")},
    "GET /v1/threads/{id}/chain": {"owner": 200, "friend": (404, "not_found"), "stranger": (404, "not_found")},
    "GET /v1/events": {"owner": 200, "friend": 200, "stranger": 200},

    # The authorization server and the pages for people: public (a bearer credential means nothing there).
    # A 1-tuple is a bare status: these answers are HTML pages or RFC 6749 errors, not the API's error body.
    "GET /.well-known/oauth-authorization-server": {"public": True, "all": 200},
    "GET /oauth/authorize": {"public": True, "all": (400,)},      # no client_id: an error page, no redirect
    "POST /oauth/authorize": {"public": True, "all": (401,)},     # no session cookie: the login page
    "POST /oauth/login": {"public": True, "all": (403,)},         # no login-form cookie: the form again (login CSRF)
    "POST /oauth/token": {"public": True, "all": (401,)},         # no client: invalid_client
    "POST /oauth/revoke": {"public": True, "all": (401,)},
    "POST /oauth/introspect": {"public": True, "all": (401,)},
    "GET /oauth/share": {"public": True, "all": (400,)},          # no app named
    "POST /oauth/share": {"public": True, "all": (400,)},         # no app named
    "GET /account/apps": {"public": True, "all": (200,)},         # the login page
    "POST /account/apps/{id}/revoke": {"public": True, "all": (401,)},
    "GET /account/apps/{id}/disconnect": {"public": True, "all": (200,)},   # the login page
    "POST /account/apps/{id}/disconnect": {"public": True, "all": (401,)},  # the login page, saying why
    "GET /account/access-log": {"public": True, "all": (200,)},

    # The partner Inbox API takes only app (or client) tokens: a person's own session is refused.
    # t16_partner.py checks these routes against app tokens, scopes and other apps' tokens.
    "GET /v1/partner/friends": {"partner": True},
    "POST /v1/partner/shares": {"partner": True},
    "GET /v1/partner/threads": {"partner": True},
    "GET /v1/partner/threads/{id}/messages": {"partner": True},
    "DELETE /v1/partner/threads/{id}/messages/{message_id}": {"partner": True},
    "GET /v1/partner/sync": {"partner": True},
    "GET /v1/partner/events": {"partner": True},
    "GET /v1/partner/reports": {"partner": True},
    "POST /v1/partner/devices": {"partner": True},
    "POST /v1/partner/threads": {"partner": True},
    "POST /v1/partner/to-device": {"partner": True},
    "POST /v1/partner/keys": {"partner": True},
    "GET /v1/partner/keys": {"partner": True},
    "POST /v1/partner/keys/claim": {"partner": True},

    # The person's side of the partner platform.
    "POST /v1/threads/{id}/app-consent": {"owner": (400, "invalid_field"), "friend": (404, "not_found"),
                                          "stranger": (404, "not_found")},
    "POST /v1/shares/{id}/click": {"owner": (404, "not_found"), "friend": (404, "not_found"),
                                   "stranger": (404, "not_found")},
    "GET /v1/me/grants": {"owner": 200, "friend": 200, "stranger": 200},
    "DELETE /v1/me/grants/{id}": {"owner": (404, "not_found"), "friend": (404, "not_found"),
                                  "stranger": (404, "not_found")},
    "PUT /v1/me/grants/{id}/alias": {"owner": (404, "not_found"), "friend": (404, "not_found"),
                                     "stranger": (404, "not_found")},
    "GET /v1/me/access-log": {"owner": 200, "friend": 200, "stranger": 200},
    # App devices signed by the person (t24_identity_api.py runs them against a real app device).
    "GET /v1/me/app-devices": {"owner": 200, "friend": 200, "stranger": 200},
    "PUT /v1/me/app-devices/{device_id}/authorisation": {"owner": (404, "not_found"), "friend": (404, "not_found"),
                                                         "stranger": (404, "not_found")},
    "POST /v1/me/app-devices/{device_id}/revocation": {"owner": (404, "not_found"), "friend": (404, "not_found"),
                                                       "stranger": (404, "not_found")},
}

FORM = "form"  # a builder's body ("form", text) is sent as application/x-www-form-urlencoded


def norm(key):
    return re.sub(r"\{[^}]*\}", "{}", key)


# ----------------------------------------------------------------------------------------------------------
# the world

class World:
    pass


_world = {}


def world():
    s = H.server()
    if _world.get("port") == s.port and _world.get("w"):
        return s, _world["w"]
    w = World()
    w.owner, w.friend, w.stranger, w.b, w.d = (s.new_user(p) for p in ("own", "frd", "str", "mb", "md"))
    for u in (w.friend, w.b, w.d):
        s.befriend(w.owner, u)
    for u in (w.owner, w.friend, w.stranger, w.b, w.d):
        s.new_device(u)
    w.tid = s.thread(w.owner, [w.b, w.d], expect=201)["thread_id"]
    for u in (w.owner, w.friend, w.stranger):
        s.publish_identity(u)
    r = s.req("POST", "/v1/threads", {"members": [w.b.user_id, w.d.user_id],
                                      "link": s.link(w.owner, 1, [w.owner.user_id, w.b.user_id, w.d.user_id])},
              token=w.owner.token)
    H.expect_status(r, 201, "setup: a thread with a membership chain")
    w.ctid = r.json["thread_id"]
    w.mid = s.send(w.owner, w.tid, cmid="authz-m1")["message_id"]
    t = s.login(w.owner)
    H.expect_status(s.req("DELETE", "/v1/sessions/current", token=t), 204, "logout for the logged_out kind")
    w.tokens = {"malformed": "!!not a token!!", "garbage": H.fake_id(w.owner.token), "logged_out": t}
    check(w.tokens["garbage"] != w.owner.token, "could not make a garbage token")
    _world.update(port=s.port, w=w)
    return s, w


def user_of(w, role):
    return {"owner": w.owner, "friend": w.friend, "stranger": w.stranger}[role]


def fresh_friend(s, u):
    x = s.new_user("fx")
    s.befriend(u, x)
    return x


def build(s, w, key, role):
    """(path, body, token override or None) for `key` done by `role`. For the unauthenticated kinds the
    request is built as for the owner, so a 401 must come before any 4xx about the resource."""
    o = w.owner
    u = user_of(w, role)
    if key == "GET /v1/health":
        return "/v1/health", None, None
    if key == "GET /":
        return "/", None, None
    if key == "GET /assets/{name}":
        return "/assets/nosuch.0000000000000000.js", None, None
    if key in ("GET /v1/log/checkpoint", "GET /v1/log/leaves", "GET /v1/log/proof/inclusion", "GET /v1/log/proof/consistency"):
        return key.split(" ")[1], None, None  # (the proofs without their arguments: 400 for everyone)
    if key == "POST /v1/log/cosignatures":
        return "/v1/log/cosignatures", {}, None
    if key == "GET /v1/me/log-key":
        return "/v1/me/log-key", None, None
    if key == "POST /v1/accounts":
        return "/v1/accounts", {"username": H.rand_name("az"), "password": "password1"}, None
    if key == "POST /v1/sessions":
        return "/v1/sessions", {"username": o.username, "password": o.password}, None
    if key == "DELETE /v1/sessions/current":
        return "/v1/sessions/current", None, s.login(u)
    if key == "GET /v1/me":
        return "/v1/me", None, None
    if key == "GET /v1/sessions":
        return "/v1/sessions", None, None
    if key == "DELETE /v1/sessions/{session_id}":  # another session of the owner's, ended by the owner
        t = s.login(o)
        mine = [x for x in s.req("GET", "/v1/sessions", token=t).json["sessions"] if x["current"]]
        return f"/v1/sessions/{mine[0]['session_id']}", None, None
    if key == "DELETE /v1/sessions":  # a user of its own: it ends every session of the account
        return "/v1/sessions", None, s.new_user("everywhere").token
    if key == "POST /v1/me/password":
        # a person changes only their own password, whoever they are to the owner; a user of its own, since
        # the change ends every other session and the world's users are shared between routes
        x = s.new_user("pw")
        return "/v1/me/password", {"current_password": x.password, "new_password": "changed-pw-1"}, \
            x.token
    if key == "DELETE /v1/me":  # a person deletes only their own account: a user of its own, with its password
        x = s.new_user("del")
        return "/v1/me", {"password": x.password}, x.token
    if key == "POST /v1/friends/requests":
        return "/v1/friends/requests", {"username": o.username}, None
    if key in ("GET /v1/friends/requests", "GET /v1/friends", "GET /v1/devices", "GET /v1/threads"):
        return key.split(" ")[1], None, None
    if key.startswith("POST /v1/friends/requests/{request_id}/"):
        x = s.new_user("rq")
        r = s.req("POST", "/v1/friends/requests", {"username": o.username}, token=x.token)
        H.expect_status(r, 201, "setup: friend request to the owner")
        return f"/v1/friends/requests/{r.json['request_id']}/{key.rsplit('/', 1)[1]}", None, None
    if key == "DELETE /v1/friends/requests/{request_id}":  # the owner's own request, to someone new
        x = s.new_user("wd")
        r = s.req("POST", "/v1/friends/requests", {"username": x.username}, token=o.token)
        H.expect_status(r, 201, "setup: the owner's friend request")
        return f"/v1/friends/requests/{r.json['request_id']}", None, None
    if key == "DELETE /v1/friends/{user_id}":
        tok = fresh_friend(s, o).token if role == "friend" else None
        return f"/v1/friends/{o.user_id}", None, tok
    if key == "POST /v1/devices":
        k = s.keygen(u.user_id)
        return "/v1/devices", {"name": "authz", "sign_pk": k["sign_pk"], "box_pk": k["box_pk"], "sig": k["sig"]}, \
            s.login(u)
    if key == "DELETE /v1/devices/{device_id}":
        if role == "owner":
            t = s.login(o)
            dev = s.new_device(o, name="doomed", token=t)
            return f"/v1/devices/{dev['device_id']}", None, None
        return f"/v1/devices/{o.device['device_id']}", None, None
    if key == "GET /v1/users/{user_id}/devices":
        return f"/v1/users/{o.user_id}/devices", None, None
    if key == "POST /v1/threads":
        members = [w.b.user_id] if role == "owner" else [o.user_id]
        return "/v1/threads", {"members": members}, None
    if key == "GET /v1/threads/{id}":
        return f"/v1/threads/{w.tid}", None, None
    if key == "POST /v1/threads/{id}/members":
        return f"/v1/threads/{w.tid}/members", {"user_id": fresh_friend(s, u).user_id}, None
    if key == "DELETE /v1/threads/{id}/members/{user_id}":
        if role == "owner":
            y = fresh_friend(s, o)
            H.expect_status(s.req("POST", f"/v1/threads/{w.tid}/members", {"user_id": y.user_id}, token=o.token),
                            200, "setup: add a member")
            return f"/v1/threads/{w.tid}/members/{y.user_id}", None, None
        return f"/v1/threads/{w.tid}/members/{w.b.user_id}", None, None
    if key == "POST /v1/threads/{id}/messages":
        return f"/v1/threads/{w.tid}/messages", {"client_msg_id": "az" + os.urandom(6).hex(), "body": "aGk"}, None
    if key == "GET /v1/threads/{id}/messages":
        return f"/v1/threads/{w.tid}/messages", None, None
    if key == "DELETE /v1/threads/{id}/messages/{message_id}":
        if role == "owner":
            mid = s.send(o, w.tid)["message_id"]
            return f"/v1/threads/{w.tid}/messages/{mid}", None, None
        return f"/v1/threads/{w.tid}/messages/{w.mid}", None, None
    if key == "POST /v1/threads/{id}/read":
        return f"/v1/threads/{w.tid}/read", {"seq": 1}, None
    if key == "POST /v1/to-device":
        return "/v1/to-device", {"messages": [{"device_id": o.device["device_id"], "body": "aGk"}]}, None
    if key == "GET /v1/sync":
        return "/v1/sync?timeout=0", None, None
    if key == "GET /v1/events":
        return "/v1/events", None, None
    if key == "PUT /v1/me/identity":  # a user of its own: each publishes only their own, once (201)
        x = s.new_user("ident")
        keys = json.loads(H.stmt("keygen"))
        return "/v1/me/identity", {
            "statement": H.stmt("sign", keys["sk"], "identity", f"user_id={x.user_id}", f"username={x.username}",
                                f"key={keys['pk']}"),
            "backup": H.stmt("backup", keys["seed"], x.user_id)}, x.token
    if key in ("GET /v1/me/identity/backup", "GET /v1/me/contacts", "GET /v1/keys", "GET /v1/me/app-devices"):
        return key.split(" ")[1], None, None
    if key == "GET /v1/devices/pending":  # the code of the owner's device, which nobody approved
        d = o.device
        return "/v1/devices/pending?code=" + H.stmt("code", o.user_id, d["device_id"], d["sign_pk"], d["box_pk"]), None, None
    if key == "PUT /v1/devices/{device_id}/cert":  # the owner's own statement about a new device of theirs
        dev = s.new_device(o, name="to-approve", token=s.login(o))
        return f"/v1/devices/{dev['device_id']}/cert", {"cert": s.cert(o, dev)}, None
    if key == "POST /v1/device-revocations":  # each signs with their own key, about a device of the owner's
        dev = s.new_device(o, name="to-revoke", token=s.login(o))
        return "/v1/device-revocations", {"statement": H.stmt("sign", u.identity["sk"], "revoke",
                                                               f"device_id={dev['device_id']}",
                                                               f"key={dev['sign_pk']}")}, None
    if key == "POST /v1/me/contacts":
        other = w.friend if role == "owner" else o
        return "/v1/me/contacts", {"statement": H.stmt("sign", u.identity["sk"], "contact", f"user_id={other.user_id}",
                                                        f"key={other.identity['pk']}", "op=1")}, None
    if key == "POST /v1/keys":
        d = u.device
        return "/v1/keys", {"one_time": [H.stmt("sign", d["sign_sk"], "prekey", f"device_id={d['device_id']}", "op=1",
                                                f"key_id={int.from_bytes(os.urandom(3), 'big') + 1}",
                                                f"key={d['box_pk']}")]}, None
    if key == "POST /v1/keys/claim":
        return "/v1/keys/claim", {"devices": [o.device["device_id"]]}, None
    if key == "GET /v1/threads/{id}/chain":
        return f"/v1/threads/{w.ctid}/chain", None, None
    if key.startswith("PUT /v1/me/app-devices/") or key.startswith("POST /v1/me/app-devices/"):
        return re.sub(r"\{[^}]*\}", "d_nosuchdevice", key.split(" ", 1)[1]), {"statement": "UAI"}, None
    if key in ("POST /v1/partner/devices", "POST /v1/partner/to-device", "POST /v1/partner/threads",
               "POST /v1/partner/keys", "POST /v1/partner/keys/claim"):
        return key.split(" ", 1)[1], {}, None
    if key.startswith("GET /v1/partner/") or key.startswith("DELETE /v1/partner/"):
        return re.sub(r"\{[^}]*\}", "x0", key.split(" ", 1)[1]), None, None
    if key == "POST /v1/partner/shares":
        return "/v1/partner/shares", {"to": "p_x", "item": "i", "body": "aGk", "client_msg_id": "c1"}, None
    if key == "POST /v1/threads/{id}/app-consent":
        return f"/v1/threads/{w.tid}/app-consent", {"accept": True}, None
    if key == "POST /v1/shares/{id}/click":
        return "/v1/shares/s_nosuchshare/click", None, None
    if key in ("GET /v1/me/grants", "GET /v1/me/access-log", "GET /.well-known/oauth-authorization-server",
               "GET /oauth/authorize", "GET /oauth/share", "GET /account/apps", "GET /account/access-log"):
        return key.split(" ")[1], None, None
    if key == "DELETE /v1/me/grants/{id}":
        return "/v1/me/grants/g_nosuchgrant", None, None
    if key == "PUT /v1/me/grants/{id}/alias":
        return "/v1/me/grants/g_nosuchgrant/alias", {"alias": "Someone"}, None
    if key == "POST /oauth/login":
        return "/oauth/login", (FORM, f"username={o.username}&password=wrong-password"), None
    if key == "POST /account/apps/{id}/revoke":
        return "/account/apps/g_nosuchgrant/revoke", (FORM, "csrf=x"), None
    if key == "GET /account/apps/{id}/disconnect":
        return "/account/apps/app_nosuchapp/disconnect", None, None
    if key == "POST /account/apps/{id}/disconnect":
        return "/account/apps/app_nosuchapp/disconnect", (FORM, "csrf=x"), None
    if key in ("POST /oauth/authorize", "POST /oauth/token", "POST /oauth/revoke", "POST /oauth/introspect",
               "POST /oauth/share"):
        return key.split(" ")[1], (FORM, "token=x&grant_type=authorization_code"), None
    raise H.TestFailure(f"no request builder for {key}")


class StreamResp:
    """The head (and error body) of a GET /v1/events, shaped like harness.Resp for expect_error."""

    def __init__(self, st):
        self.method, self.path, self.status = "GET", st.path, st.status
        self.headers = st.headers
        self.raw = st.body
        self.json = st.json

    def header(self, n):
        return self.headers.get(n.lower())

    def describe(self):
        return f"GET {self.path}"

    def short_body(self, n=300):
        return self.raw[:n].decode("utf-8", "replace")


def do(s, method, path, body, token):
    if isinstance(body, tuple) and body[0] == FORM:
        return s.req(method, path, body[1], token=token,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    if method == "GET" and path.startswith(("/v1/events", "/v1/partner/events")):
        st = H.SSE(s.port, path=path, token=token)
        try:
            return StreamResp(st)
        finally:
            st.close()
    return s.req(method, path, body, token=token)


def check_one(s, resp, want, label):
    if isinstance(want, tuple) and len(want) == 2 and isinstance(want[1], str):
        expect_error(resp, want[0], want[1], label)
    elif isinstance(want, tuple):
        H.expect_status(resp, want, label)
    elif want >= 400:
        expect_error(resp, want, None, label)
    else:
        H.expect_status(resp, want, label)


def run_route(key):
    s, w = world()
    method = key.split(" ", 1)[0]
    exp = EXPECT[key]
    problems = []
    for kind in UNAUTH + ROLES:
        role = kind if kind in ROLES else "owner"
        try:
            path, body, tok_override = build(s, w, key, role)
            if kind in ROLES:
                token = tok_override or user_of(w, kind).token
            else:
                token = None if kind == "none" else w.tokens[kind]
            resp = do(s, method, path, body, token)
            if exp.get("public"):
                want = exp["all"]
            elif exp.get("partner"):
                want = (401, "unauthorized")  # no first-party credential opens a partner route
            elif kind in UNAUTH:
                want = (401, "unauthorized")
            else:
                want = exp[kind]
            check_one(s, resp, want, f"[{kind}]")
        except H.TestFailure as e:
            problems.append(str(e))
    if problems:
        raise H.TestFailure(f"{key}: {len(problems)} problem(s): " + " || ".join(problems))


# ----------------------------------------------------------------------------------------------------------
# the route table

_routes = {}


def routes():
    if "r" in _routes:
        return _routes["r"]
    if not os.path.exists(H.BIN):
        raise H.TestFailure(f"{H.BIN} does not exist")
    p = subprocess.run([H.BIN, "routes"], capture_output=True, timeout=15)
    check(p.returncode == 0, f"posternd routes exited {p.returncode}: {p.stderr[-300:]!r}")
    try:
        table = json.loads(p.stdout)
    except ValueError:
        raise H.TestFailure(f"posternd routes printed non-JSON: {p.stdout[:300]!r}")
    check(isinstance(table, list) and table, "posternd routes: want a non-empty JSON array")
    _routes["r"] = table
    return table


def test_route_table_shape():
    seen = set()
    for r in routes():
        check(isinstance(r, dict), f"route entry {r!r} is not an object")
        check({"method", "path", "creds", "scope", "kind"} <= set(r), f"route entry {r!r} lacks keys")
        check(r["method"] in ("GET", "POST", "PUT", "PATCH", "DELETE"), f"route method {r['method']!r}")
        check(isinstance(r["path"], str) and r["path"].startswith(("/v1/", "/oauth/", "/account/", "/.well-known/", "/assets/")) or r["path"] == "/",
              f"route path {r['path']!r}")
        check(isinstance(r["creds"], list) and r["creds"] and all(isinstance(c, str) for c in r["creds"]),
              f"route creds {r['creds']!r}")
        k = norm(f"{r['method']} {r['path']}")
        check(k not in seen, f"route {k} listed twice")
        seen.add(k)


def test_every_route_has_an_expectation():
    known = {norm(k) for k in EXPECT}
    missing = [f"{r['method']} {r['path']}" for r in routes() if norm(f"{r['method']} {r['path']}") not in known]
    check(not missing, f"routes without an expectation in t14_authz.EXPECT: {missing}")


def test_every_documented_route_is_served():
    served = {norm(f"{r['method']} {r['path']}") for r in routes()}
    missing = [k for k in EXPECT if norm(k) not in served]
    check(not missing, f"documented routes missing from `posternd routes`: {missing}")


def test_route_creds_match_contract():
    bad = []
    by_key = {norm(k): v for k, v in EXPECT.items()}
    for r in routes():
        exp = by_key.get(norm(f"{r['method']} {r['path']}"))
        if exp is None:
            continue
        if exp.get("public"):
            if "none" not in r["creds"]:
                bad.append(f"{r['method']} {r['path']} is public but creds={r['creds']}")
        elif exp.get("partner"):
            if r["creds"] not in (["app"], ["client"]):
                bad.append(f"{r['method']} {r['path']} is a partner route but creds={r['creds']}")
        elif "none" in r["creds"] or "session" not in r["creds"]:
            bad.append(f"{r['method']} {r['path']} needs a session but creds={r['creds']}")
    check(not bad, "; ".join(bad))


def json_body_of(route):
    """An empty JSON body for the routes that take one (a DELETE with a body answers 415 without it)."""
    return {} if route["method"] in ("POST", "PUT") or (route["method"], route["path"]) == ("DELETE", "/v1/me") else None


def test_table_routes_answer_unauthenticated():
    # Every route in the table (including any the contract does not list) with no credentials: protected ones
    # say 401 unauthorized before anything else; none may answer 5xx or 405 for its own method.
    s = H.server()
    problems = []
    for r in routes():
        path = re.sub(r"\{[^}]*\}", "x0", r["path"])
        try:
            resp = do(s, r["method"], path, json_body_of(r), None)
            if "cookie" in r["creds"] and "none" in r["creds"]:
                check(resp.status < 500 and resp.status != 405, f"{r['method']} {path}: {resp.status}")
                continue
            if "none" not in r["creds"]:
                expect_error(resp, 401, "unauthorized", f"{r['method']} {path}")
            else:
                check(resp.status < 500 and resp.status != 405, f"{r['method']} {path}: {resp.status}")
        except H.TestFailure as e:
            problems.append(str(e))
    check(not problems, " || ".join(problems))


def test_expired_token_every_route():
    import time
    with H.Server(["--session-ttl=1"]) as s:
        u = s.new_user()
        r = s.req("POST", "/v1/sessions", {"username": u.username, "password": u.password})
        H.expect_status(r, 201)
        tok = r.json["token"]
        exp = H.ts_epoch(r.json["expires_at"])
        check(abs(exp - (time.time() + 1)) < 5, f"expires_at {r.json['expires_at']} is not ~1 s from now")
        H.expect_status(s.req("GET", "/v1/me", token=tok), 200, "token before it expires")
        time.sleep(max(0.0, exp - time.time()) + 1.2)
        problems = []
        for rt in routes():
            if "none" in rt["creds"]:
                continue
            path = re.sub(r"\{[^}]*\}", "x0", rt["path"])
            try:
                expect_error(do(s, rt["method"], path, json_body_of(rt), tok), 401,
                             "unauthorized", f"[expired] {rt['method']} {rt['path']}")
            except H.TestFailure as e:
                problems.append(str(e))
        check(not problems, " || ".join(problems))


def _make(key):
    def t():
        run_route(key)
    return t


for _key in EXPECT:
    _name = "test_authz_" + re.sub(r"[^A-Za-z0-9]+", "_", _key).strip("_")
    globals()[_name] = _make(_key)
del _key, _name

"""Partner reports keep their privacy promise (docs/privacy.md; issue 11, item 1).

Settings are stored per app and shared by the API, `posternd report` and `posternd app show`; an open period
has no counts; a closed period is computed once, with one noise draw for every format and fetch; noise is on
by default and rows are suppressed on noisy counts; the k-1 Sybil case shows nothing; a frozen period never
changes, and a closed one uses the settings in force when it closed.

Two weeks cannot pass in a test, and an item only shows once hundreds of people shared it, so some tests write
the history straight into the server's database (as t23 does for its attacks): synthetic shares and opens in
past periods — senders and recipients are numbers no account has — or every report timestamp moved into the
past (harness.report_time_passes). What is read back is only ever what the API and the CLI answer.

Noise cannot be seeded through the API, so the statistical checks are about properties that hold with
overwhelming probability (each check's chance of failing by bad luck is below 1e-9 unless noted): over 40
independently computed periods, the noisy values spread as the documented scale says, an item exactly at the
threshold is shown in some periods and not in others, and nine Sybils around one person never get a row.
"""
import datetime
import json
import math
import re
import statistics
import subprocess

import harness as H
import t16_partner as P
from harness import check, eq, expect_status

DAY_MS = 86400000
PERIOD_MS = 14 * DAY_MS
SYN = 50_000_000  # synthetic people: ids no account has
ROW_KEYS = ["clicks", "ctr", "item", "recipients", "senders", "shares"]
DEFAULT_PRIVACY = {"mechanism": "geometric", "epsilon": 1.0, "delta": 1e-6, "k": 10, "cap_per_person_per_period": 5,
                   "sensitivity": 30, "noise_scale": 30.0, "threshold": 444}


def now_ms():
    return int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)


def period_ms(iso):
    d = datetime.date.fromisoformat(iso)
    return int(datetime.datetime(d.year, d.month, d.day, tzinfo=datetime.timezone.utc).timestamp() * 1000)


def current_period():
    return H.report_period_start(now_ms())


def past_periods(n, skip=2):
    """n closed periods, newest first, starting `skip` periods before the current one."""
    start = period_ms(current_period())
    return [H.report_period_start(start - (skip + j) * PERIOD_MS) for j in range(n)]


def db(s):
    """The server's own database, SQLite or PostgreSQL (harness.ServerDB): leaving `with con:` commits and closes."""
    return H.server_db(s)


def app_row_id(con, app):
    return con.execute("SELECT id FROM apps WHERE client_id = ?", (app.client_id,)).fetchone()[0]


def settings_long_ago(s, app):
    """The app's stored settings were set three years ago: they apply to the synthetic past periods too."""
    with db(s) as con:
        con.execute("UPDATE report_settings SET since = since - ? WHERE app_id = ?", (3 * 365 * DAY_MS, app_row_id(con, app)))


class Seeder:
    """Synthetic shares and opens of one app, written into the database in one transaction."""

    def __init__(self, s, app):
        self.con = db(s)
        self.app = app_row_id(self.con, app)
        (top,) = self.con.execute("SELECT COALESCE(MAX(id), 0) FROM shares").fetchone()
        self.next_share = max(top, 10_000_000) + 1
        self.next_person = SYN
        self.shares, self.clicks = [], []

    def person(self):
        self.next_person += 1
        return self.next_person

    def share(self, period, item, sender, recipient, opened_by_recipient=False, offset_ms=DAY_MS):
        sid = self.next_share
        self.next_share += 1
        at = period_ms(period) + offset_ms + len(self.shares) % 1000
        self.shares.append((sid, f"syn_{sid}", self.app, sender, recipient, item, at))
        if opened_by_recipient:
            self.clicks.append((sid, recipient, at + 3600_000))

    def item(self, period, item, n, opened=0):
        """n different people each share item with a different person; the first `opened` recipients open it."""
        for i in range(n):
            self.share(period, item, self.person(), self.person(), opened_by_recipient=i < opened)

    def commit(self):
        with self.con:  # commits and closes
            self.con.executemany("INSERT INTO shares(id, public_id, app_id, grant_id, sender, recipient, thread_id,"
                                 " message_id, item, created_at) VALUES(?, ?, ?, 0, ?, ?, 0, 0, ?, ?)", self.shares)
            self.con.executemany("INSERT INTO share_clicks(share_id, user_id, at) VALUES(?, ?, ?)", self.clicks)


def cli(s, *args, ok=True):
    p = subprocess.run([H.BIN, *args, *H.db_args(s)], capture_output=True, timeout=30)
    if ok:
        check(p.returncode == 0, f"posternd {' '.join(args)} exited {p.returncode}: {p.stderr[-300:]!r}")
    return p


def api(s, ct, period, fmt=None):
    r = s.req("GET", f"/v1/partner/reports?period_start={period}" + (f"&format={fmt}" if fmt else ""), token=ct)
    expect_status(r, 200, f"report {period} {fmt or 'json'}")
    return r


def cli_report(s, app, period, fmt="json"):
    """What `posternd report` prints, less the newline it adds after a JSON document."""
    out = cli(s, "report", "--app", app.client_id, "--period", period, "--format", fmt).stdout
    return out[:-1] if fmt == "json" and out.endswith(b"\n") else out


def csv_rows(text):
    """The data lines of a CSV report as tuples, and its header and trailer lines."""
    lines = text.split("\r\n")
    check(lines[-1] == "" and lines[-2].startswith("# "), f"CSV ends with its # line and CRLF: {text[-200:]!r}")
    rows = []
    for line in lines[1:-2]:
        m = re.fullmatch(r'"([^"]*)",(\d+),(\d+),(\d+),(\d+),(\d+\.\d{4})', line)
        check(m, f"CSV row {line!r}")
        rows.append((m.group(1),) + tuple(int(x) for x in m.group(2, 3, 4, 5)) + (m.group(6),))
    return lines[0], rows, lines[-2]


def json_rows_as_csv(j):
    return [(r["item"], r["shares"], r["senders"], r["recipients"], r["clicks"], f"{r['ctr']:.4f}") for r in j["rows"]]


def check_rows_undated(j, text):
    for r in j.get("rows", []):
        eq(sorted(r), ROW_KEYS, f"a row's fields: {r}")
    stripped = text
    for k in ("period_start", "period_end", "computed_at", "ready_at"):
        if j.get(k):
            stripped = stripped.replace(j[k], "")
    if j.get("privacy", {}).get("settings_since"):
        stripped = stripped.replace(j["privacy"]["settings_since"], "")
    check(not re.search(r"\d{4}-\d{2}-\d{2}", stripped), f"a date inside the report's rows: {stripped[:300]}")


# ----------------------------------------------------------------------------------------------------------


def test_settings_are_stored_shared_and_shown():
    s = H.server()
    app = H.create_app(s, "Settings")
    out = cli(s, "app", "show", app.client_id).stdout.decode()
    check("geometric noise, epsilon 1 and delta 1e-6 per period; cap 5 shares per person per period; k 10" in out
          and "from 444 noisy senders" in out, f"app show: the default settings: {out}")
    # the operator changes them: app show, the API and the CLI all say the same
    out = H.report_settings(s, app, epsilon="0.5", cap=3, k=20)
    check("epsilon 0.5" in out and "cap 3" in out and "k 20" in out, f"report-settings output: {out}")
    out = cli(s, "app", "show", app.client_id).stdout.decode()
    check("epsilon 0.5 and delta 1e-6" in out and "cap 3 shares" in out and "noise scale 36" in out, f"app show: {out}")
    ct = H.client_token(s, app)
    r = api(s, ct, current_period())
    p = r.json["privacy"]
    eq((p["mechanism"], p["epsilon"], p["cap_per_person_per_period"], p["k"], p["sensitivity"], p["noise_scale"]),
       ("geometric", 0.5, 3, 20, 18, 36.0), "the settings the open period's answer shows")
    check(H.TS_RE.match(p["settings_since"] or ""), f"settings_since {p['settings_since']!r}")
    eq(cli_report(s, app, current_period()), r.raw, "posternd report answers the same bytes as the API")
    eq(cli_report(s, app, current_period(), "csv"), api(s, ct, current_period(), "csv").raw, "and the same CSV")
    # a closed period: whoever asks first, the CLI or the API, the other gets the same bytes
    first, second = past_periods(2)
    eq(api(s, ct, first).raw, cli_report(s, app, first), "a closed period, the API first")
    c = cli_report(s, app, second)
    eq(api(s, ct, second).raw, c, "a closed period, the CLI first")
    eq(cli_report(s, app, second, "csv"), api(s, ct, second, "csv").raw, "its CSV from both")
    # settings the command refuses, and the old per-process flags
    for bad in (["--epsilon", "0"], ["--epsilon", "6"], ["--epsilon", "abc"], ["--cap", "0"], ["--cap", "101"],
                ["--k", "0"], ["--delta", "1e-2"], ["--delta", "0.01"], ["--mechanism", "laplace"], ["--nope", "1"]):
        pr = cli(s, "app", "report-settings", app.client_id, *bad, ok=False)
        eq(pr.returncode, 2, f"report-settings {bad} refused ({pr.stderr[-200:]!r})")
    check("cap 3 shares" in cli(s, "app", "show", app.client_id).stdout.decode(), "refused settings changed nothing")
    pr = cli(s, "report", "--app", app.client_id, "--period", first, "--report-epsilon", "0", ok=False)
    check(pr.returncode == 2 and b"report-settings" in pr.stderr, f"posternd report --report-epsilon: {pr.stderr!r}")
    pr = subprocess.run([H.BIN, "--report-epsilon=0", "--port=0", *H.db_args(s)], capture_output=True, timeout=15)
    eq(pr.returncode, 2, "posternd refuses the old --report-epsilon flag")


def test_open_period_has_no_counts():
    s = H.server()
    app = H.create_app(s, "Live")
    H.report_settings(s, app, mechanism="none", k=1)  # even exact settings show nothing while it is open
    w = P.World(s, app=app)
    pb = P.pick(s, app, w.browser, [w.bob])[0]
    ct = H.client_token(s, app)
    period = current_period()
    before = api(s, ct, period)
    j = before.json
    eq(j.get("status"), "open", "status of the open period")
    nxt = datetime.date.fromisoformat(period) + datetime.timedelta(days=14)
    eq(j.get("ready_at"), f"{nxt.isoformat()}T00:00:00.000Z", "ready_at: when the period closes")
    eq(j.get("period_end"), (nxt - datetime.timedelta(days=1)).isoformat(), "period_end: its last day")
    check("rows" not in j and "suppressed_rows" not in j, f"counts in an open period's answer: {before.short_body()}")
    r = P.send_share(s, w.at, pb, item="live:1")
    expect_status(r, 201, "share")
    expect_status(s.req("POST", f"/v1/shares/{r.json['share_id']}/click", token=w.bob.token), 200, "click")
    # a share and an open later: the answer has not moved by a byte (nothing live, no fresh noise to average)
    after = [api(s, ct, period) for _ in range(3)]
    for a in after:
        eq(a.raw, before.raw, "the open period's answer after a share and an open")
    csv = api(s, ct, period, "csv").raw.decode()
    check("live:1" not in csv and "status=open" in csv and csv.startswith("item,shares,"), f"open period CSV: {csv!r}")
    eq(cli_report(s, app, period), before.raw, "posternd report of the open period")
    # a period that has not started is refused, not answered
    later = (nxt + datetime.timedelta(days=14)).isoformat()
    eq(s.req("GET", f"/v1/partner/reports?period_start={nxt.isoformat()}", token=ct).status, 400, "the next period")
    eq(s.req("GET", f"/v1/partner/reports?period_start={later}", token=ct).status, 400, "a later period")


def sybil_ring(seed, period, target, sybils, target_opens):
    """T and the Sybils each share sybil:1 with the next around a ring: k senders, k recipients."""
    ring = [target] + sybils
    for i, a in enumerate(ring):
        to = ring[(i + 1) % len(ring)]
        seed.share(period, "sybil:1", a, to, opened_by_recipient=(to != target or target_opens), offset_ms=2 * DAY_MS)


def test_sybil_ring_shows_without_noise():
    """The control for the Sybil check below: with exact counts (mechanism none, k 10) the same ring is a row,
    and T's open is in its clicks; so its absence under the defaults is the noise's doing."""
    with H.Server() as s:
        app = H.create_app(s, "Exact")
        H.report_settings(s, app, mechanism="none", k=10)
        settings_long_ago(s, app)
        opened, not_opened = past_periods(2)
        seed = Seeder(s, app)
        target = seed.person()
        sybils = [seed.person() for _ in range(9)]
        sybil_ring(seed, opened, target, sybils, True)
        sybil_ring(seed, not_opened, target, sybils, False)
        seed.commit()
        ct = H.client_token(s, app)
        rows = {p: {x["item"]: x for x in api(s, ct, p).json["rows"]} for p in (opened, not_opened)}
        check("sybil:1" in rows[opened] and "sybil:1" in rows[not_opened], f"the ring under exact counts: {rows}")
        eq((rows[opened]["sybil:1"]["senders"], rows[opened]["sybil:1"]["recipients"]), (10, 10), "k senders and recipients")
        eq(rows[opened]["sybil:1"]["clicks"] - rows[not_opened]["sybil:1"]["clicks"], 1, "T's open, exactly")


def test_noise_by_default_one_draw_noisy_suppression_and_sybils():
    """One app with the default settings, 40 closed periods each holding the same three items:
    - hit:1    1200 people share it with 1200 others, 400 of whom open it: far above the threshold;
    - edge:1   464 people with 464 others: 20 above the threshold of 444, so shown about half the time;
    - sybil:1  the k-1 Sybil case: 9 accounts of the partner and the person they watch, T, share it around a
               ring of 10 (k senders and k recipients: exact counts would show it, see
               test_sybil_ring_shows_without_noise), T opening it in every other period."""
    s = H.server()
    app = H.create_app(s, "Popular")
    settings_long_ago(s, app)
    periods = past_periods(40)
    seed = Seeder(s, app)
    target = seed.person()
    sybils = [seed.person() for _ in range(9)]
    for n, period in enumerate(periods):
        seed.item(period, "hit:1", 1200, opened=400)
        seed.item(period, "edge:1", 464)
        sybil_ring(seed, period, target, sybils, n % 2 == 0)
    seed.commit()
    ct = H.client_token(s, app)
    exact = {"hit:1": (1200, 1200, 1200, 400), "edge:1": (464, 464, 464, 0)}
    deviations, edge_shown, reports = [], 0, {}
    for period in periods:
        r = api(s, ct, period)
        j = r.json
        reports[period] = r
        eq(j["status"], "closed", "status")
        got = {k: j["privacy"][k] for k in DEFAULT_PRIVACY}
        eq(got, DEFAULT_PRIVACY, "noise is on by default, with the documented numbers")
        check(H.TS_RE.match(j["privacy"]["settings_since"] or ""), "the app's stored settings applied")
        check("suppressed_rows" not in j, "no exact count of suppressed rows next to noisy ones")
        check_rows_undated(j, r.raw.decode())
        rows = {x["item"]: x for x in j["rows"]}
        check("sybil:1" not in rows, f"nine Sybils and one person got a row in {period}: {rows.get('sybil:1')}")  # (shown with exact counts)
        check("hit:1" in rows, f"1200 people and no row in {period}")
        for x in rows.values():
            check(x["senders"] >= 444 and x["recipients"] >= 444, f"a row shown below the threshold: {x}")
            check(0 <= x["clicks"] <= x["recipients"] <= x["shares"] and x["senders"] <= x["shares"], f"inconsistent row {x}")
        h = rows["hit:1"]
        deviations += [h["senders"] - 1200, h["recipients"] - 1200, h["clicks"] - 400]
        edge_shown += "edge:1" in rows
    # the noise: present, centred, of the documented scale (sd of the discrete Laplace of scale 30: 42.4)
    zeros = sum(1 for d in deviations if d == 0)
    sd = statistics.pstdev(deviations)
    check(zeros <= len(deviations) // 2, f"{zeros} of {len(deviations)} counts exact: is the noise on? {deviations}")
    # 120 draws: the sample sd has a relative spread of about 10 % (the kurtosis of a Laplace is 6), so
    # 20..75 is more than 5 of those either way, and a scale a third or twice the documented one fails
    check(20 <= sd <= 75, f"noise sd {sd:.1f} is not of scale 30 (sd 42.4): {deviations}")
    check(abs(statistics.mean(deviations)) <= 6 * 42.4 / math.sqrt(len(deviations)), f"noise not centred: {deviations}")
    # suppression is decided on noisy counts: the same exact counts, sometimes shown, sometimes not
    check(0 < edge_shown < len(periods), f"edge:1 (exact counts 464, threshold 444) shown in {edge_shown} of "
                                         f"{len(periods)} periods: suppression follows the exact count alone")
    # one draw per period: every later fetch, in either format, by either the API or the CLI, is the same
    for period in periods[:6]:
        first = reports[period]
        eq(api(s, H.client_token(s, app), period).raw, first.raw, f"{period} fetched again")
        eq(cli_report(s, app, period), first.raw, f"{period} from posternd report")
        header, rows, trailer = csv_rows(api(s, ct, period, "csv").raw.decode())
        eq(header, "item,shares,senders,recipients,clicks,ctr", "CSV header (no date)")
        eq(rows, json_rows_as_csv(first.json), f"{period}: CSV rows are the JSON's numbers")
        check("mechanism=geometric" in trailer and "epsilon=1.0" in trailer and "threshold=444" in trailer,
              f"CSV trailer {trailer!r}")
        eq(cli_report(s, app, period, "csv"), api(s, ct, period, "csv").raw, "CSV from the CLI")


def test_frozen_periods_never_change_and_closed_ones_keep_their_settings():
    with H.Server() as s:
        app = H.create_app(s, "Frozen")
        H.report_settings(s, app, mechanism="none", k=1)
        settings_long_ago(s, app)
        frozen, unasked = past_periods(2)
        seed = Seeder(s, app)
        for period in (frozen, unasked):
            seed.item(period, "f:1", 5, opened=2)
        seed.commit()
        ct = H.client_token(s, app)
        a = api(s, ct, frozen)
        eq(a.json["privacy"]["mechanism"], "none", "settings in force")
        eq(json_rows_as_csv(a.json), [("f:1", 5, 5, 5, 2, "0.4000")], "exact counts")
        acsv = api(s, ct, frozen, "csv").raw
        # the operator turns the noise on: a frozen period does not move, nor does a closed one nobody asked for
        H.report_settings(s, app, mechanism="geometric", epsilon="2")
        eq(api(s, ct, frozen).raw, a.raw, "a frozen period after a settings change")
        eq(api(s, ct, frozen, "csv").raw, acsv, "its CSV after a settings change")
        eq(cli_report(s, app, frozen), a.raw, "the CLI after a settings change")
        b = api(s, ct, unasked)
        eq((b.json["privacy"]["mechanism"], json_rows_as_csv(b.json)), ("none", [("f:1", 5, 5, 5, 2, "0.4000")]),
           "a closed period first asked for after the change: the settings of its close")
        # the change applies to the period open at the time: it closes under the new settings
        w = P.World(s, app=app)
        pb = P.pick(s, app, w.browser, [w.bob])[0]
        expect_status(P.send_share(s, w.at, pb, item="now:1"), 201, "share")
        eq(api(s, ct, current_period()).json["privacy"]["epsilon"], 2.0, "the open period shows the new settings")
        closed = H.report_time_passes(s, 14)
        c = api(s, ct, closed)
        eq((c.json["privacy"]["mechanism"], c.json["privacy"]["epsilon"]), ("geometric", 2.0),
           "the period open during the change closed with the new settings")
        check("now:1" not in c.raw.decode(), "one person's share shows nothing under noise")
        eq(api(s, ct, frozen).raw, a.raw, "the frozen period, after time passed too")


def test_reports_frozen_by_an_older_version_are_served_as_they_were():
    # before settings were stored, CSV was frozen apart from JSON, with dated rows; what was published stays
    s = H.server()
    app = H.create_app(s, "Legacy")
    csv_period, json_period = past_periods(2, skip=5)
    legacy_csv = b'date,item,shares,senders,recipients,clicks,ctr\r\n2024-01-01,"x",3,3,3,1,0.3333\r\n# k=10\r\n'
    legacy_json = json.dumps({"client_id": app.client_id, "period_start": json_period, "closed": True,
                              "privacy": {"k": 10, "cap_per_person_per_day": 10, "epsilon": 0.0},
                              "rows": [{"date": json_period, "item": "x", "shares": 3, "senders": 3, "recipients": 3,
                                        "clicks": 1, "ctr": 0.3333}], "suppressed_buckets": 0}).encode()
    with db(s) as con:
        con.execute("INSERT INTO reports(app_id, period, format, body) VALUES(?, ?, 'csv', ?)",
                    (app_row_id(con, app), csv_period, legacy_csv))
        con.execute("INSERT INTO reports(app_id, period, format, body) VALUES(?, ?, 'json', ?)",
                    (app_row_id(con, app), json_period, legacy_json))
    ct = H.client_token(s, app)
    eq(api(s, ct, csv_period, "csv").raw, legacy_csv, "a CSV frozen by an older version, as it was")
    eq(api(s, ct, json_period).raw, legacy_json, "a JSON frozen by an older version, as it was")
    header, rows, _ = csv_rows(api(s, ct, json_period, "csv").raw.decode().replace(f"\r\n{json_period},", "\r\n"))
    eq(header, "date,item,shares,senders,recipients,clicks,ctr", "its CSV keeps the date column it had")
    eq(rows, [("x", 3, 3, 3, 1, "0.3333")], "and its numbers")

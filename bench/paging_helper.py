#!/usr/bin/env python3
"""Helper of bench/paging.sh: free port, health wait, latency measurement, SQLite baseline, report.

Standard library only. Every loop has a count limit and all traffic goes to 127.0.0.1.
"""
import argparse
import hashlib
import http.client
import json
import math
import os
import socket
import sqlite3
import statistics
import sys
import time

HOST = "127.0.0.1"


def free_port(_args):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        print(s.getsockname()[1])


def wait_healthy(args):
    """Polls /healthz at most args.tries times, args.interval s apart; exit 1 if never healthy."""
    for _ in range(args.tries):
        try:
            c = http.client.HTTPConnection(HOST, args.port, timeout=2)
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status == 200:
                return 0
        except OSError:
            pass
        time.sleep(args.interval)
    print(f"server on port {args.port} not healthy after {args.tries} tries", file=sys.stderr)
    return 1


class Client:
    """One keep-alive connection to a server; reconnects if the server closes it."""

    def __init__(self, port, token):
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.conn = None

    def get(self, path):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            try:
                start = time.perf_counter()
                self.conn.request("GET", path, headers=self.headers)
                r = self.conn.getresponse()
                body = r.read()
                elapsed = time.perf_counter() - start
                if r.status != 200:
                    raise RuntimeError(f"GET {path} on port {self.port}: HTTP {r.status}: {body[:300]!r}")
                return elapsed, json.loads(body)
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


def last_page_path(client, endpoint, page_size):
    """Finds the model to page (first by name) and the last page from `total`; returns (path, total, items expected)."""
    if endpoint == "models":
        base = "/api/v1/models"
    else:
        _, first = client.get("/api/v1/models?sort=name&page=1&pageSize=1")
        if not first["items"]:
            raise RuntimeError("no model to list versions of")
        base = f"/api/v1/models/{first['items'][0]['name']}/versions"
    _, page1 = client.get(f"{base}?page=1&pageSize={page_size}")
    total = page1["total"]
    last = max(1, math.ceil(total / page_size))
    expected = total - (last - 1) * page_size
    return f"{base}?page={last}&pageSize={page_size}", total, last, expected


def compare(args):
    """Times several GETs on one server, interleaved in rounds (so load drift hits all alike); prints a markdown table of
    p50/p95 per path and each path's p50 as a multiple of the first path's. Every answer must be HTTP 200."""
    client = Client(args.port, open(args.token).read().strip())
    paths = args.paths.split(" ")
    samples = {path: [] for path in paths}
    for path in paths:
        for _ in range(args.warmup):
            client.get(path)
    rounds = max(1, min(args.rounds, args.requests))
    per_round = math.ceil(args.requests / rounds)
    for _ in range(rounds):
        for path in paths:
            for _ in range(per_round):
                if len(samples[path]) < args.requests:
                    samples[path].append(client.get(path)[0] * 1000)
    base = statistics.median(samples[paths[0]])
    print("| request | n | p50 ms | p95 ms | p50 ÷ first row |")
    print("|---|---|---|---|---|")
    for path in paths:
        ms = samples[path]
        print(f"| `GET {path}` | {len(ms)} | {statistics.median(ms):.2f} | {percentile(ms, 0.95):.2f} | "
              f"{statistics.median(ms) / base:.2f} |")


def percentile(samples, p):
    s = sorted(samples)
    k = (len(s) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def measure(args):
    """Measures the last page of each endpoint on the 1k and the 100k server, interleaved in rounds so
    that drift in a shared machine's load hits both sides alike. Appends one JSON line per endpoint."""
    small = Client(args.small_port, open(args.small_token).read().strip())
    large = Client(args.large_port, open(args.large_token).read().strip())
    rounds = max(1, min(args.rounds, args.requests))
    per_round = math.ceil(args.requests / rounds)
    with open(args.out, "a") as out:
        for endpoint in args.endpoints.split(","):
            sides = []
            for client in (small, large):
                path, total, last, expected = last_page_path(client, endpoint, args.page_size)
                sides.append({"client": client, "path": path, "total": total, "page": last, "expected": expected, "samples": []})
            for side in sides:  # warm-up: JIT, connection pool, SQLite page cache
                for _ in range(args.warmup):
                    side["client"].get(side["path"])
            for _ in range(rounds):
                for side in sides:
                    for _ in range(per_round):
                        if len(side["samples"]) >= args.requests:
                            break
                        elapsed, body = side["client"].get(side["path"])
                        if len(body["items"]) != side["expected"] or body["total"] != side["total"]:
                            raise RuntimeError(f"{side['path']}: {len(body['items'])} items / total {body['total']}, "
                                               f"expected {side['expected']} / {side['total']}")
                        side["samples"].append(elapsed)
            row = {"shape": args.shape, "endpoint": endpoint}
            if args.max_ratio is not None:
                row["max_ratio"] = args.max_ratio
            for name, side in zip(("small", "large"), sides):
                ms = [x * 1000 for x in side["samples"]]
                row[name] = {
                    "label": getattr(args, f"{name}_label"), "path": side["path"], "total": side["total"],
                    "page": side["page"], "items": side["expected"], "n": len(ms),
                    "p50": statistics.median(ms), "p95": percentile(ms, 0.95), "mean": statistics.fmean(ms),
                }
            row["ratio_p50"] = row["large"]["p50"] / row["small"]["p50"]
            row["ratio_p95"] = row["large"]["p95"] / row["small"]["p95"]
            out.write(json.dumps(row) + "\n")
            print(f"  {args.shape:5} {endpoint:8} p50 {row['small']['p50']:7.2f} ms -> {row['large']['p50']:7.2f} ms "
                  f"(x{row['ratio_p50']:.2f}), p95 {row['small']['p95']:7.2f} -> {row['large']['p95']:7.2f} ms",
                  file=sys.stderr)


def baseline(args):
    """The same-machine floor for the seed: the same rows (models, versions, one chained SHA-256 audit
    event each) inserted with Python's sqlite3 in one transaction into an empty copy of the schema."""
    src = sqlite3.connect(f"file:{args.schema_from}?mode=ro", uri=True)
    ddl = [r[0] for r in src.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN ('Models','Versions','AuditEvents','AuditEventSearch') "
        "ORDER BY type = 'index'")]
    src.close()
    path = args.db
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    for statement in ddl:
        db.execute(statement)
    start = time.perf_counter()
    db.execute("BEGIN")
    prev = "0" * 64
    seq = 0
    now = 638_000_000_000_000_000

    def audit(action, entity_type, entity_id, model, data):
        nonlocal prev, seq
        seq += 1
        canonical = json.dumps({"sequence": seq, "time": "2026-11-27T00:00:00.0000000Z", "actorId": "system:cli",
                                "actorName": "command line", "action": action, "entityType": entity_type,
                                "entityId": entity_id, "modelName": model, "data": data, "previousHash": prev},
                               separators=(",", ":"))
        h = hashlib.sha256(canonical.encode()).hexdigest()
        row = (seq, now, "system:cli", "command line", action, entity_type, entity_id, model, json.dumps(data), prev, h)
        prev = h
        return row

    for i in range(args.models):
        name = f"baseline-{i:06d}"
        cur = db.execute(
            "INSERT INTO Models (Name, DisplayName, Description, Task, Owner, Tags, CreatedByUserId, CreatedAt, UpdatedAt, "
            "LastVersionNumber) VALUES (?, ?, 'Generated for the baseline.', 'text-generation', 'seed-demo', "
            "'[\"bulk\"]', 'system:cli', ?, ?, ?)", (name, name, now + i, now + i, args.versions_per_model))
        model_id = cur.lastrowid
        audit_rows = [audit("model.created", "model", name, name, {"name": name, "bulk": True})]
        version_rows = []
        for v in range(1, args.versions_per_model + 1):
            version_rows.append((model_id, v, now + i, now + i, v - 1 if v > 1 else None))
            audit_rows.append(audit("version.created", "version", f"{name}/{v}", name, {"number": v, "bulk": True}))
        db.executemany(
            "INSERT INTO Versions (ModelId, Number, Stage, CreatedByUserId, CreatedBy, CreatedAt, UpdatedAt, Source, "
            "Architecture, BaseModel, ParameterCount, ContextLength, Quantization, Format, License, MetadataTags, "
            "ParentVersionNumber, Datasets) VALUES (?, ?, 'None', 'system:cli', 'command line', ?, ?, 'baseline', "
            "'LlamaForCausalLM', 'meta-llama/Llama-3.1-8B', 8030261248, 131072, 'bf16', 'Safetensors', 'llama3.1', "
            "'[]', ?, '[]')", version_rows)
        db.executemany(
            "INSERT INTO AuditEvents (Sequence, Time, ActorId, ActorName, Action, EntityType, EntityId, ModelName, Data, "
            "PreviousHash, Hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", audit_rows)
    db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    print(f"{elapsed:.3f}")


def restrict_teams(args):
    """The teams shape's data: TEAMS teams, every other model Restricted and owned by one of them (round robin),
    the bench user a member of the first MEMBER_TEAMS teams. Written straight into the SQLite file after seed-demo."""
    import sqlite3
    con = sqlite3.connect(args.db)
    with con:
        user = con.execute("SELECT Id FROM AspNetUsers WHERE NormalizedEmail = ?", (args.email.upper(),)).fetchone()
        if user is None:
            raise RuntimeError(f"no user {args.email}")
        # DateTimeOffset is stored as ticks by the app's converter; any fixed value will do here.
        con.executemany('INSERT INTO Teams (Name, "Group", CreatedAt) VALUES (?, NULL, 0)',
                        [(f"team-{i:04d}",) for i in range(1, args.teams + 1)])
        ids = [r[0] for r in con.execute("SELECT Id FROM Teams ORDER BY Id")]
        con.executemany("INSERT INTO TeamMembers (TeamId, UserId, AddedAt) VALUES (?, ?, 0)",
                        [(t, user[0]) for t in ids[:args.member_teams]])
        models = [r[0] for r in con.execute("SELECT Id FROM Models ORDER BY Id")]
        restricted = models[::2]
        con.executemany("UPDATE Models SET Visibility = 'Restricted', OwnerTeamId = ? WHERE Id = ?",
                        [(ids[i % len(ids)], m) for i, m in enumerate(restricted)])
    visible = con.execute(
        "SELECT COUNT(*) FROM Models m WHERE m.Visibility = 'Internal' OR EXISTS "
        "(SELECT 1 FROM TeamMembers t WHERE t.UserId = ? AND t.TeamId = m.OwnerTeamId)", (user[0],)).fetchone()[0]
    print(f"  teams: {len(ids)} teams, {len(restricted)} of {len(models)} models Restricted, bench user in "
          f"{args.member_teams} teams, sees {visible} models", file=sys.stderr)


def report(args):
    rows = [json.loads(line) for line in open(args.results) if line.strip()]
    seeds = [json.loads(line) for line in open(args.seeds) if line.strip()]
    limit = args.max_ratio
    failed = False
    print("## Latency of the last page (pageSize=50), interleaved requests, keep-alive connection\n")
    print("| shape | endpoint | 1k: page (items) | 1k p50 / p95 ms | 100k: page (items) | 100k p50 / p95 ms | ratio p50 | ratio p95 | ≤ "
          f"{limit:g}× |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        ok = r["ratio_p50"] <= r.get("max_ratio", limit)
        own_limit = f" (≤ {r['max_ratio']:g}×)" if "max_ratio" in r else ""
        failed |= not ok
        s, l = r["small"], r["large"]
        print(f"| {r['shape']} ({s['label']} → {l['label']}) | {r['endpoint']} | {s['page']} ({s['items']}) | "
              f"{s['p50']:.2f} / {s['p95']:.2f} | {l['page']} ({l['items']}) | {l['p50']:.2f} / {l['p95']:.2f} | "
              f"{r['ratio_p50']:.2f} | {r['ratio_p95']:.2f} | {'yes' if ok else 'NO'}{own_limit} |")
    print("\n## Seeding (`seed-demo`, one fresh data directory each)\n")
    print("| data set | versions | wall s (whole process) | seeder s (its own report) | versions/s (wall) | versions/s (seeder) |")
    print("|---|---|---|---|---|---|")
    for s in seeds:
        try:
            own = f"{s['versions'] / float(s['seeder']):,.0f}"
        except (ValueError, ZeroDivisionError):
            own = "?"
        print(f"| {s['label']} | {s['versions']:,} | {s['wall']:.2f} | {s['seeder']} | {s['versions'] / s['wall']:,.0f} | {own} |")
    big = [s for s in seeds if s["versions"] >= 100_000]
    if args.baseline and big:
        b = float(args.baseline)
        print(f"\nBaseline on this machine: Python's sqlite3 inserting the same 100,000 versions of 1,000 models plus "
              f"one chained SHA-256 audit event per row, in one transaction: **{b:.2f} s** "
              f"({100_000 / b:,.0f} versions/s).")
        for s in big:
            print(f"- {s['label']}: seed-demo wall time = {s['wall'] / b:.2f}× the baseline")
    for s in big:
        if s["wall"] > args.max_seed_seconds:
            failed = True
            print(f"\n**{s['label']}: seeding took {s['wall']:.1f} s, over the {args.max_seed_seconds:g} s target.**")
    print(f"\nVerdict: {'FAIL' if failed else 'PASS'} (p50 ratio ≤ {limit:g}× on every row, 100k seeding ≤ "
          f"{args.max_seed_seconds:g} s)")
    return 1 if failed else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("free-port").set_defaults(fn=free_port)
    w = sub.add_parser("wait")
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--tries", type=int, default=240)
    w.add_argument("--interval", type=float, default=0.25)
    w.set_defaults(fn=wait_healthy)
    m = sub.add_parser("measure")
    for side in ("small", "large"):
        m.add_argument(f"--{side}-port", type=int, required=True)
        m.add_argument(f"--{side}-token", required=True)
        m.add_argument(f"--{side}-label", required=True)
    m.add_argument("--shape", required=True)
    m.add_argument("--endpoints", default="models,versions")
    m.add_argument("--requests", type=int, default=200)
    m.add_argument("--warmup", type=int, default=20)
    m.add_argument("--rounds", type=int, default=10)
    m.add_argument("--page-size", type=int, default=50)
    m.add_argument("--out", required=True)
    m.add_argument("--max-ratio", type=float, help="this shape's own target, instead of the report's")
    m.set_defaults(fn=measure)
    c = sub.add_parser("compare")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--token", required=True)
    c.add_argument("--paths", required=True, help="space-separated; the first is the baseline")
    c.add_argument("--requests", type=int, default=200)
    c.add_argument("--warmup", type=int, default=20)
    c.add_argument("--rounds", type=int, default=10)
    c.set_defaults(fn=compare)
    b = sub.add_parser("baseline")
    b.add_argument("--schema-from", required=True)
    b.add_argument("--db", required=True)
    b.add_argument("--models", type=int, default=1000)
    b.add_argument("--versions-per-model", type=int, default=100)
    b.set_defaults(fn=baseline)
    t = sub.add_parser("restrict-teams")
    t.add_argument("--db", required=True)
    t.add_argument("--email", required=True)
    t.add_argument("--teams", type=int, default=1000)
    t.add_argument("--member-teams", type=int, default=20)
    t.set_defaults(fn=restrict_teams)
    r = sub.add_parser("report")
    r.add_argument("--results", required=True)
    r.add_argument("--seeds", required=True)
    r.add_argument("--baseline")
    r.add_argument("--max-ratio", type=float, default=2.0)
    r.add_argument("--max-seed-seconds", type=float, default=20.0)
    r.set_defaults(fn=report)
    args = p.parse_args()
    sys.exit(args.fn(args) or 0)


if __name__ == "__main__":
    main()

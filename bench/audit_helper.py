#!/usr/bin/env python3
"""Helper of bench/audit.sh: bulk audit events, an outside verifier (the baseline), latency, export memory, report.

Standard library only. All traffic goes to 127.0.0.1; every loop has a count limit.

The generator and the verifier build each event's canonical form exactly as docs/audit.md describes it
({"sequence":…,"time":…,"actorId":…,…,"data":<stored JSON>,"previousHash":…}, no whitespace, time in UTC with
seven fractional digits), so a chain the generator writes verifies in the registry only if the documentation is
right — the benchmark doubles as a check of the documented form. Generated strings stay within characters that
System.Text.Json's default encoder and Python's json.dumps spell alike (ASCII letters, digits, - . / : _ and space).
"""
import argparse
import datetime
import hashlib
import http.client
import json
import os
import sqlite3
import statistics
import sys
import threading
import time

from paging_helper import free_port, wait_healthy  # the same loopback server helpers as the paging benchmark

HOST = "127.0.0.1"
GENESIS = "0" * 64
EPOCH_TICKS = 621355968000000000  # .NET ticks at 1970-01-01T00:00:00Z

ACTIONS = [  # (action, entity type, weight): roughly what a busy registry records
    ("model.created", "model", 1), ("version.created", "version", 6), ("artifact.uploaded", "artifact", 10),
    ("card.revised", "version", 4), ("evaluation.recorded", "version", 5), ("transition.requested", "transition", 2),
    ("transition.commented", "transition", 2), ("transition.approved", "transition", 2), ("version.stage_changed", "version", 2),
    ("deployment.recorded", "deployment", 3), ("evidence.exported", "version", 1),
]


def canonical(seq, time_text, actor_id, actor_name, action, entity_type, entity_id, model, data, previous):
    s = lambda v: json.dumps(v, ensure_ascii=True)  # noqa: E731 (ASCII-only values: same bytes as Utf8JsonWriter)
    return (f'{{"sequence":{seq},"time":{s(time_text)},"actorId":{s(actor_id)},"actorName":{s(actor_name)},'
            f'"action":{s(action)},"entityType":{s(entity_type)},"entityId":{s(entity_id)},'
            f'"modelName":{"null" if model is None else s(model)},"data":{data},"previousHash":{s(previous)}}}').encode()


def time_text_from_binary(value):
    """EF Core's DateTimeOffsetToBinaryConverter: ((ticks / 1000) << 11) | offset minutes; the registry stores UTC."""
    ticks = (value >> 11) * 1000
    micros, rest = divmod(ticks - EPOCH_TICKS, 10)
    dt = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=micros)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}{rest}Z"


def binary_from_millis(ms):
    return (((EPOCH_TICKS + ms * 10_000) // 1000) << 11) | 0


def generate(args):
    """Appends args.events valid events after the newest one, in batches of one transaction each."""
    db = sqlite3.connect(args.db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    row = db.execute("SELECT Sequence, Hash, Time FROM AuditEvents ORDER BY Sequence DESC LIMIT 1").fetchone()
    seq, previous = (row[0], row[1]) if row else (0, GENESIS)
    # Times run forward from an hour before now, one millisecond per event at most (whole milliseconds, as stored).
    start_ms = int(time.time() * 1000) - 3_600_000
    step = max(1, 3_600_000 // max(1, args.events))
    weights = []
    for action, entity, w in ACTIONS:
        weights += [(action, entity)] * w
    actors = [(f"bench-user-{i:03d}", f"bench-user-{i:03d}@example.com") for i in range(args.actors)]
    rows = []
    started = time.perf_counter()
    for i in range(args.events):
        seq += 1
        action, entity_type = weights[i % len(weights)]
        actor_id, actor_name = actors[(i * 7) % len(actors)]
        model = f"bench-model-{(i * 13) % args.models:04d}"
        number = 1 + (i // args.models) % 50
        version = f"{model}/{number}"
        if entity_type == "model":
            entity_id, data = model, f'{{"name":"{model}","displayName":"Bench model {i}"}}'
        elif entity_type == "artifact":
            entity_id = f"{version}/shard-{i % 8:05d}.safetensors"
            data = f'{{"path":"shard-{i % 8:05d}.safetensors","size":{1000 + i},"sha256":"{hashlib.sha256(str(i).encode()).hexdigest()}"}}'
        elif entity_type in ("transition", "deployment"):
            entity_id = str(1 + i // 3)
            data = f'{{"version":"{version}","from":"Staging","to":"Production","comment":"bench event {i}"}}'
        else:
            entity_id, data = version, f'{{"number":{number},"note":"bench event {i}"}}'
        ms = start_ms + i * step
        time_binary = binary_from_millis(ms)
        text = time_text_from_binary(time_binary)
        digest = hashlib.sha256(canonical(seq, text, actor_id, actor_name, action, entity_type, entity_id, model, data, previous)).hexdigest()
        rows.append((seq, time_binary, actor_id, actor_name, action, entity_type, entity_id, model, data, previous, digest))
        previous = digest
        if len(rows) >= 50_000:
            flush(db, rows)
    flush(db, rows)
    db.close()
    print(f"{args.events} events in {time.perf_counter() - started:.1f} s, head {seq} {previous}", file=sys.stderr)


def flush(db, rows):
    with db:
        db.executemany("INSERT INTO AuditEvents (Sequence, Time, ActorId, ActorName, Action, EntityType, EntityId, ModelName, "
                       "Data, PreviousHash, Hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    rows.clear()


def verify(args):
    """The outside verifier (and the baseline): recompute the chain from the database file, print JSON with the rate."""
    db = sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)
    started = time.perf_counter()
    previous, expected, count, broken, size = GENESIS, 1, 0, None, 0
    for seq, tb, aid, aname, action, etype, eid, model, data, prev, digest in db.execute(
            "SELECT Sequence, Time, ActorId, ActorName, Action, EntityType, EntityId, ModelName, Data, PreviousHash, Hash "
            "FROM AuditEvents ORDER BY Sequence"):
        count += 1
        form = canonical(seq, time_text_from_binary(tb), aid, aname, action, etype, eid, model, data, prev)
        size += len(form)
        if broken is None and (seq != expected or prev != previous or hashlib.sha256(form).hexdigest() != digest):
            broken = expected
        previous, expected = digest, seq + 1
    elapsed = time.perf_counter() - started
    print(json.dumps({"valid": broken is None, "events": count, "firstBrokenSequence": broken, "headHash": previous,
                      "seconds": round(elapsed, 3), "rate": round(count / elapsed), "bytes": size}))


def get(conn, path, token):
    start = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    r = conn.getresponse()
    body = r.read()
    elapsed = time.perf_counter() - start
    if r.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {r.status}: {body[:300]!r}")
    return elapsed, body


def server_verify(args):
    """GET /api/v1/audit/verify args.repeat times; prints the runs as JSON lines."""
    token = open(args.token).read().strip()
    for _ in range(args.repeat):
        conn = http.client.HTTPConnection(HOST, args.port, timeout=600)
        elapsed, body = get(conn, "/api/v1/audit/verify", token)
        conn.close()
        result = json.loads(body)
        print(json.dumps({"seconds": round(elapsed, 3), "events": result["events"], "valid": result["valid"],
                          "rate": round(result["events"] / elapsed)}))


FILTERS = {  # label → query; the model is one of 100, the actor one of 50
    "model": "model=bench-model-0007",
    "model + action": "model=bench-model-0007&action=artifact.uploaded",
    "entity (type:id)": "entity=version:bench-model-0007/1",
    "actor": "actor=bench-user-011%40example.com",
    "action": "action=evaluation.recorded",
    "time range (1 min)": None,  # filled in from the data's own time span
    "free text": "q=shard-00003",  # 3% of the log: the total grows with the log
    "free text, one event": "q=7902699be42c8a8e",  # the start of one artifact's sha256 (event 7 on both sides)
    # Not a target (reported, not checked): a common text narrowed by a model walks the text's matches (decision 13).
    "free text + model (reported only)": "q=shard-00003&model=bench-model-0042",
}


def latency(args):
    """Interleaves the same filtered page on the small and the large server, round by round."""
    small_token, large_token = open(args.small_token).read().strip(), open(args.large_token).read().strip()
    small, large = http.client.HTTPConnection(HOST, args.small_port, timeout=60), http.client.HTTPConnection(HOST, args.large_port, timeout=60)
    results = {}
    for label, query in FILTERS.items():
        if query is None:
            query = f"from={args.window_from}&to={args.window_to}"
        path = f"/api/v1/audit?{query}&page=1&pageSize=50"
        for _ in range(args.warmup):
            get(small, path, small_token)
            get(large, path, large_token)
        s, l = [], []
        for _ in range(args.requests):
            s.append(get(small, path, small_token)[0])
            l.append(get(large, path, large_token)[0])
        def total(conn, token):
            page = json.loads(get(conn, path, token)[1])
            return f"{page['total']:,}" + ("" if page.get("totalIsExact", True) else "+")
        totals = (total(small, small_token), total(large, large_token))
        results[label] = {"query": query, "small_p50": statistics.median(s) * 1000, "large_p50": statistics.median(l) * 1000,
                          "small_p95": sorted(s)[int(0.95 * len(s)) - 1] * 1000, "large_p95": sorted(l)[int(0.95 * len(l)) - 1] * 1000,
                          "small_total": totals[0], "large_total": totals[1]}
    print(json.dumps(results))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def export_rss(args):
    """Streams the full export while sampling the server's VmRSS every 25 ms; prints bytes, seconds, RSS before/peak."""
    token = open(args.token).read().strip()
    before = rss_kib(args.pid)
    peak = [before]
    done = threading.Event()

    def sample():
        for _ in range(100_000):
            if done.is_set():
                return
            peak[0] = max(peak[0], rss_kib(args.pid))
            time.sleep(0.025)

    sampler = threading.Thread(target=sample)
    sampler.start()
    conn = http.client.HTTPConnection(HOST, args.port, timeout=600)
    start = time.perf_counter()
    conn.request("GET", f"/api/v1/audit/export?format={args.format}", headers={"Authorization": f"Bearer {token}"})
    r = conn.getresponse()
    total, digest = 0, hashlib.sha256()
    while chunk := r.read(1 << 20):
        total += len(chunk)
        digest.update(chunk)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if r.status != 200:
        raise RuntimeError(f"export {args.format}: HTTP {r.status}")
    print(json.dumps({"format": args.format, "bytes": total, "seconds": round(elapsed, 2),
                      "rss_before_mib": round(before / 1024, 1), "rss_peak_mib": round(peak[0] / 1024, 1),
                      "growth_mib": round((peak[0] - before) / 1024, 1)}))


def sha_baseline(args):
    """sha256 over as many bytes as the canonical forms of the chain, in one pass (the ceiling of any verifier)."""
    size = args.bytes
    block = os.urandom(1 << 20)
    h = hashlib.sha256()
    start = time.perf_counter()
    for _ in range(size >> 20):
        h.update(block)
    print(json.dumps({"bytes": size, "seconds": round(time.perf_counter() - start, 3)}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate"); g.add_argument("--db", required=True); g.add_argument("--events", type=int, required=True)
    g.add_argument("--models", type=int, default=100); g.add_argument("--actors", type=int, default=50); g.set_defaults(fn=generate)
    v = sub.add_parser("verify"); v.add_argument("--db", required=True); v.set_defaults(fn=verify)
    f = sub.add_parser("free-port"); f.set_defaults(fn=free_port)
    w = sub.add_parser("wait"); w.add_argument("--port", type=int, required=True); w.add_argument("--tries", type=int, default=240); w.add_argument("--interval", type=float, default=0.5)
    w.set_defaults(fn=wait_healthy)
    sv = sub.add_parser("server-verify"); sv.add_argument("--port", type=int, required=True); sv.add_argument("--token", required=True)
    sv.add_argument("--repeat", type=int, default=3); sv.set_defaults(fn=server_verify)
    lt = sub.add_parser("latency")
    for side in ("small", "large"):
        lt.add_argument(f"--{side}-port", type=int, required=True); lt.add_argument(f"--{side}-token", required=True)
    lt.add_argument("--requests", type=int, default=100); lt.add_argument("--warmup", type=int, default=10)
    lt.add_argument("--window-from", required=True); lt.add_argument("--window-to", required=True); lt.set_defaults(fn=latency)
    ex = sub.add_parser("export-rss"); ex.add_argument("--port", type=int, required=True); ex.add_argument("--token", required=True)
    ex.add_argument("--pid", type=int, required=True); ex.add_argument("--format", required=True); ex.set_defaults(fn=export_rss)
    sb = sub.add_parser("sha-baseline"); sb.add_argument("--bytes", type=int, required=True); sb.set_defaults(fn=sha_baseline)
    args = p.parse_args()
    sys.exit(args.fn(args) or 0)


if __name__ == "__main__":
    main()

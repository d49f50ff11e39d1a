#!/usr/bin/env python3
"""Concurrent writers against a running registry: the load of bench/writers.sh.

Each of N workers owns one model and, until the time is up, cycles through the writes people and pipelines make:
a metadata edit (PATCH of its model's description, or — every other time — an increment of a counter kept in a
model all workers share: GET, then PATCH with If-Match; a 409 means another worker went first), a small file upload (PUT, 64 KiB), an
evaluation-result post, and a stage transition (create a version, request Staging, approve it as a reviewer). Every
request's latency and status are recorded. Afterwards everything acknowledged (2xx) is checked for: each model's
description is the last edit acknowledged, the shared counter equals the number of acknowledged increments (no lost
update), every acknowledged file and result is listed, every approved version is in Staging; and the audit chain
must verify. A 409 of a contended If-Match PATCH is expected and counted, not an error. Prints one JSON summary on stdout (details on stderr); exit status 1 when a request answered 5xx
or "database is locked", a request failed outright, an acknowledged write is missing, or the chain is broken.
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[k]


class Api:
    def __init__(self, url, token):
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.token = token
        self.conn = None

    def call(self, method, path, body=None, content_type="application/json", extra=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        headers = {"Authorization": "Bearer " + self.token, **(extra or {})}
        if body is not None:
            headers["Content-Type"] = content_type
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, data, {k: v for k, v in response.getheaders()}
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server had closed: one retry on a fresh one, never a second.
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise RuntimeError("unreachable")


class Worker(threading.Thread):
    def __init__(self, index, args, model, shared, deadline, stats):
        super().__init__(daemon=True)
        self.index, self.args, self.model, self.shared, self.deadline, self.stats = index, args, model, shared, deadline, stats
        self.ds = Api(args.url, args.ds_token)
        self.reviewer = Api(args.url, args.reviewer_token)
        self.last_edit = None
        self.increments = 0
        self.files = []
        self.metrics = []
        self.staged = []
        self.payload = os.urandom(args.upload_bytes)

    def write(self, api, kind, method, path, body=None, content_type="application/json", headers=None):
        started = time.perf_counter()
        try:
            status, data, _ = api.call(method, path, body, content_type, headers)
        except Exception as e:  # noqa: BLE001 - every failure is counted, none is fatal to the run
            self.stats.record(kind, time.perf_counter() - started, None, repr(e))
            return None, None
        self.stats.record(kind, time.perf_counter() - started, status, data)
        return status, data

    def run(self):
        n = 0
        base = f"/api/v1/models/{self.model}"
        while time.monotonic() < self.deadline:
            op = n % 4
            if op == 0 and n % 8 == 4:
                self.increment_shared()
            elif op == 0:
                text = f"worker {self.index} edit {n}"
                status, _ = self.write(self.ds, "edit", "PATCH", base, {"description": text})
                if status == 200:
                    self.last_edit = text
            elif op == 1:
                path = f"files/part-{n}.bin"
                body = n.to_bytes(8, "big") + self.payload[8:]
                status, _ = self.write(self.ds, "upload", "PUT", f"{base}/versions/1/{path}", body, "application/octet-stream")
                if status in (200, 201):
                    self.files.append(path[len("files/"):])
            elif op == 2:
                name = f"metric-{n}"
                status, _ = self.write(self.ds, "metrics", "POST", f"{base}/versions/1/metrics", [{"name": name, "value": n / 7.0}])
                if status in (200, 201):
                    self.metrics.append(name)
            else:
                status, data = self.write(self.ds, "version", "POST", f"{base}/versions", {"source": f"run {n}"})
                if status == 201:
                    number = json.loads(data)["number"]
                    status, data = self.write(self.ds, "request", "POST", f"{base}/versions/{number}/transitions",
                                              {"toStage": "Staging", "comment": "bench"})
                    if status == 201:
                        request_id = json.loads(data)["id"]
                        status, _ = self.write(self.reviewer, "approve", "POST", f"/api/v1/transitions/{request_id}/approve",
                                               {"comment": "ok"})
                        if status == 200:
                            self.staged.append(number)
            n += 1


    def increment_shared(self):
        """Read-modify-write of the shared counter with If-Match: one try; a 409 (someone else went first) is counted."""
        path = f"/api/v1/models/{self.shared}"
        status, data, headers = self.ds.call("GET", path)
        if status != 200:
            self.stats.record("counter", 0, status, data)
            return
        count = int(json.loads(data)["description"])
        status, _ = self.write(self.ds, "counter", "PATCH", path, {"description": str(count + 1)},
                               headers={"If-Match": headers.get("ETag", "")})
        if status == 200:
            self.increments += 1


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {}
        self.statuses = {}
        self.errors = []
        self.locked = 0

    def record(self, kind, seconds, status, data):
        if kind == "counter" and status == 409:
            kind = "counter-conflict"  # an expected refusal of a stale If-Match, reported apart from the writes
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            key = str(status) if status is not None else "exception"
            self.statuses[key] = self.statuses.get(key, 0) + 1
            text = data if isinstance(data, str) else (data or b"").decode("utf-8", "replace")
            if "database is locked" in text:
                self.locked += 1
            if status is None or (status >= 400 and kind != "counter-conflict"):
                if len(self.errors) < 20:
                    self.errors.append(f"{kind} {key}: {text[:300]}")


def get_json(api, path):
    status, data, _ = api.call("GET", path)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {data[:300]!r}")
    return json.loads(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--ds-token", required=True)
    parser.add_argument("--reviewer-token", required=True)
    parser.add_argument("--auditor-token", required=True)
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--upload-bytes", type=int, default=64 * 1024)
    args = parser.parse_args()

    run = f"{int(time.time())}-{os.getpid()}"
    setup = Api(args.url, args.ds_token)
    models = []
    shared = f"writer-{run}-shared"
    status, data, _ = setup.call("POST", "/api/v1/models", {"name": shared, "description": "0"})
    if status != 201:
        print(f"setup of the shared model answered {status}: {data[:300]!r}", file=sys.stderr)
        return 2
    for i in range(args.writers):
        name = f"writer-{run}-{i}"
        for method, path, body in (("POST", "/api/v1/models", {"name": name}), ("POST", f"/api/v1/models/{name}/versions", {})):
            status, data, _ = setup.call(method, path, body)
            if status != 201:
                print(f"setup {method} {path} answered {status}: {data[:300]!r}", file=sys.stderr)
                return 2
        models.append(name)

    stats = Stats()
    started = time.monotonic()
    workers = [Worker(i, args, models[i], shared, started + args.seconds, stats) for i in range(args.writers)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - started

    # Everything acknowledged must be there.
    lost = []
    for w in workers:
        base = f"/api/v1/models/{w.model}"
        model = get_json(setup, base)
        if w.last_edit is not None and model.get("description") != w.last_edit:
            lost.append(f"{w.model}: description {model.get('description')!r}, last acknowledged {w.last_edit!r}")
        listed = {f["path"] for f in get_json(setup, f"{base}/versions/1/files")}
        lost += [f"{w.model}: file {p}" for p in w.files if p not in listed]
        recorded = {m["name"] for m in get_json(setup, f"{base}/versions/1/metrics")}
        lost += [f"{w.model}: metric {m}" for m in w.metrics if m not in recorded]
        stages = {}
        page = 1
        while True:
            versions = get_json(setup, f"{base}/versions?page={page}&pageSize=200")
            stages.update({v["number"]: v["stage"] for v in versions["items"]})
            if page * 200 >= versions["total"]:
                break
            page += 1
        lost += [f"{w.model}: version {n} is {stages.get(n)}, approved into Staging" for n in w.staged if stages.get(n) != "Staging"]
    counted = int(get_json(setup, f"/api/v1/models/{shared}")["description"])
    increments = sum(w.increments for w in workers)
    if counted != increments:
        lost.append(f"shared counter is {counted}, {increments} increments were acknowledged")
    chain = get_json(Api(args.url, args.auditor_token), "/api/v1/audit/verify")

    all_writes = [s for kind, values in stats.latencies.items() if kind != "counter-conflict" for s in values]
    server_errors = sum(c for k, c in stats.statuses.items() if k.isdigit() and int(k) >= 500)
    ms = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731
    summary = {
        "writers": args.writers,
        "seconds": round(elapsed, 1),
        "writes": len(all_writes),
        "counterConflicts": len(stats.latencies.get("counter-conflict", [])),
        "writesPerSecond": round(len(all_writes) / elapsed, 1),
        "latencyMs": {"p50": ms(percentile(all_writes, 50)), "p95": ms(percentile(all_writes, 95)),
                      "p99": ms(percentile(all_writes, 99)), "max": ms(max(all_writes) if all_writes else None)},
        "byKind": {k: {"count": len(v), "p50": ms(percentile(v, 50)), "p99": ms(percentile(v, 99)), "max": ms(max(v))}
                   for k, v in sorted(stats.latencies.items())},
        "statuses": dict(sorted(stats.statuses.items())),
        "serverErrors": server_errors,
        "databaseLocked": stats.locked,
        "acknowledged": {"edits": sum(1 for w in workers if w.last_edit), "counterIncrements": increments,
                         "counterValue": counted, "files": sum(len(w.files) for w in workers),
                         "metrics": sum(len(w.metrics) for w in workers), "approvals": sum(len(w.staged) for w in workers)},
        "lost": len(lost),
        "auditChainValid": chain.get("valid"),
        "auditEvents": chain.get("events"),
    }
    print(json.dumps(summary, indent=2))
    for line in stats.errors:
        print("error: " + line, file=sys.stderr)
    for line in lost[:20]:
        print("lost: " + line, file=sys.stderr)
    failed = server_errors or stats.locked or stats.statuses.get("exception") or lost or not chain.get("valid")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

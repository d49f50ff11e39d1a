#!/usr/bin/env python3
"""Driver of bench/digest.sh: the cost of version digests and approval signing on a write.

Two registries run side by side: BASE (a build from before digests and signing) and HEAD (this tree). One client
writes to each in turn, one request at a time, so both sides meet the same machine load:
  patch    PATCH of a version's description, on a version with FILES files stored (the digest covers them all)
  upload   PUT of a 64 KiB file to that version
  approve  the final approval of a request to Staging (HEAD: freezes the version, signs an attestation)
Each operation is timed ROUNDS x PER_ROUND times per side, interleaved round by round. Prints one JSON summary
(p50/p99 per operation and side, and HEAD minus BASE) on stdout. Standard library only; all traffic to 127.0.0.1.
"""
import argparse
import http.client
import json
import os
import sys
import time


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[k]


class Api:
    def __init__(self, port, token):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method, path, body=None, content_type="application/json"):
        headers = {"Authorization": "Bearer " + self.token}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        if body is not None:
            headers["Content-Type"] = content_type
        started = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        elapsed = (time.perf_counter() - started) * 1000.0
        if response.status >= 300:
            raise SystemExit(f"{method} {path} on port {self.port} answered {response.status}: {data[:300]!r}")
        return elapsed, data


class Side:
    def __init__(self, name, port, ds, reviewer, files):
        self.name = name
        self.ds = Api(port, ds)
        self.reviewer = Api(port, reviewer)
        self.model = "digest-bench"
        self.ds.call("POST", "/api/v1/models", {"name": self.model})
        _, data = self.ds.call("POST", f"/api/v1/models/{self.model}/versions", {"description": "bench"})
        self.work = json.loads(data)["number"]
        for i in range(files):
            self.ds.call("PUT", f"/api/v1/models/{self.model}/versions/{self.work}/files/shard-{i:05d}.bin",
                         os.urandom(1024), "application/octet-stream")
        self.counter = 0
        self.samples = {"patch": [], "upload": [], "approve": []}

    def once(self):
        self.counter += 1
        base = f"/api/v1/models/{self.model}/versions"
        t, _ = self.ds.call("PATCH", f"{base}/{self.work}", {"description": f"edit {self.counter}"})
        self.samples["patch"].append(t)
        t, _ = self.ds.call("PUT", f"{base}/{self.work}/files/extra-{self.counter % 50}.bin", os.urandom(64 * 1024),
                            "application/octet-stream")
        self.samples["upload"].append(t)
        _, data = self.ds.call("POST", base, {"description": "to approve"})
        number = json.loads(data)["number"]
        self.ds.call("PUT", f"{base}/{number}/files/weights.bin", os.urandom(4096), "application/octet-stream")
        _, data = self.ds.call("POST", f"{base}/{number}/transitions", {"toStage": "Staging", "comment": "bench"})
        request = json.loads(data)["id"]
        t, _ = self.reviewer.call("POST", f"/api/v1/transitions/{request}/approve", {"comment": "ok"})
        self.samples["approve"].append(t)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for side in ("base", "head"):
        p.add_argument(f"--{side}-port", type=int, required=True)
        p.add_argument(f"--{side}-ds", required=True)
        p.add_argument(f"--{side}-reviewer", required=True)
    p.add_argument("--files", type=int, default=200)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--per-round", type=int, default=20)
    p.add_argument("--warmup", type=int, default=10)
    a = p.parse_args()

    sides = [Side("base", a.base_port, a.base_ds, a.base_reviewer, a.files),
             Side("head", a.head_port, a.head_ds, a.head_reviewer, a.files)]
    for side in sides:
        for _ in range(a.warmup):
            side.once()
        side.samples = {k: [] for k in side.samples}
    for _ in range(a.rounds):
        for side in sides:
            for _ in range(a.per_round):
                side.once()

    summary = {"files": a.files, "samples": a.rounds * a.per_round, "operations": {}}
    for op in ("patch", "upload", "approve"):
        row = {}
        for side in sides:
            row[side.name] = {"p50": round(percentile(side.samples[op], 50), 2), "p99": round(percentile(side.samples[op], 99), 2)}
        row["added_p50_ms"] = round(row["head"]["p50"] - row["base"]["p50"], 2)
        row["added_p99_ms"] = round(row["head"]["p99"] - row["base"]["p99"], 2)
        summary["operations"][op] = row
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Verify a Model Registry webhook delivery.

The registry sends each event as a JSON POST with the header
    X-Registry-Signature: sha256=<lowercase hex HMAC-SHA256 of the raw request body, keyed with the secret>

Usage:
    verify_webhook_signature.py SECRET BODY_FILE SIGNATURE_HEADER
    cat body.json | verify_webhook_signature.py SECRET - "sha256=..."

Exit status 0 when the signature matches, 1 when it does not, 2 on bad usage.
In a receiver, compute the HMAC over the exact bytes received (before any JSON parsing)
and compare in constant time, as `is_valid` does.
"""
import hashlib
import hmac
import sys


def is_valid(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip())


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    secret, body_file, header = argv[1], argv[2], argv[3]
    body = sys.stdin.buffer.read() if body_file == "-" else open(body_file, "rb").read()
    if is_valid(secret, body, header):
        print("valid")
        return 0
    print("INVALID signature", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

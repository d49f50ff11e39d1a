#!/usr/bin/env bash
# The test command of the README: builds, runs every test (domain, API, bUnit, Playwright in headless
# Chromium) and ends with the plain count "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

results="$(pwd)/TestResults"
rm -rf "$results"
mkdir -p "$results"

dotnet tool restore >/dev/null
dotnet build ModelRegistry.sln -c Release -warnaserror --nologo -v quiet || { echo "0 passed, 1 failed"; exit 1; }

# mreg as it ships, compiled ahead of time (docs/decisions/0031): NativeMregTests and CiPipelineTests run this binary.
rid="$(dotnet --info | awk '/^ *RID:/ { print $2; exit }')"
dotnet publish ModelRegistry.Client -c Release -r "$rid" -warnaserror --nologo -v quiet || { echo "0 passed, 1 failed"; exit 1; }
export MREG_NATIVE="$(pwd)/ModelRegistry.Client/bin/Release/net10.0/$rid/publish/mreg"

# MTP exits 8 when no test ran: that is a failure here too.
dotnet test --project ModelRegistry.Tests -c Release --no-build \
  --report-xunit-junit --report-xunit-junit-filename junit.xml --results-directory "$results" "$@"
status=$?

report="$results/junit.xml"
if [ ! -f "$report" ]; then
  echo "0 passed, 1 failed"
  exit 1
fi

total=$(grep -o '<testsuites [^>]*' "$report" | grep -o ' tests="[0-9]*"' | grep -o '[0-9]*')
failures=$(grep -o '<testsuites [^>]*' "$report" | grep -o ' failures="[0-9]*"' | grep -o '[0-9]*')
errors=$(grep -o '<testsuites [^>]*' "$report" | grep -o ' errors="[0-9]*"' | grep -o '[0-9]*')
skipped=$(grep -c '<skipped' "$report" || true)
failed=$((failures + errors))
passed=$((total - failed - skipped))

# A report cut short (e.g. by a character the JUnit writer cannot encode) has fewer cases than its header says.
cases=$(grep -o '<testcase ' "$report" | wc -l)
if [ "$cases" -ne "$total" ] || ! tail -c 64 "$report" | grep -q '</testsuites>'; then
  echo "The JUnit report is incomplete ($cases of $total test cases)." >&2
  failed=$((failed + 1))
fi

# Name the failed tests just above the count, where a reader of a long log looks first.
if [ "$failed" -gt 0 ]; then
  echo "Failed tests:"
  python3 - "$report" <<'PY' || true
import sys, xml.etree.ElementTree as ET
for case in ET.parse(sys.argv[1]).iter("testcase"):
    problem = case.find("failure")
    if problem is None:
        problem = case.find("error")
    if problem is not None:
        message = (problem.get("message") or problem.text or "").strip().splitlines()
        print(f"  {case.get('classname')}.{case.get('name')}: {message[0][:300] if message else ''}")
PY
fi

if [ "$total" -eq 0 ]; then
  echo "0 passed, 1 failed"
  exit 1
fi
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Packs mreg as .NET tool packages into nupkg/ (docs/decisions/0031):
#   ModelRegistry.Client.1.0.0.nupkg            the pointer package `dotnet tool install` resolves first
#   ModelRegistry.Client.any.1.0.0.nupkg        framework-dependent (needs the .NET 10 runtime), for any platform
#   ModelRegistry.Client.<rid>.1.0.0.nupkg      compiled ahead of time for this machine's platform (no runtime needed)
# Native AOT cannot cross-compile between operating systems, so each platform's package is packed on that platform:
#   scripts/pack-mreg.sh                  pointer + any + this machine's RID (linux-x64 here)
#   RIDS="linux-arm64" scripts/pack-mreg.sh   other RIDs of the same OS, when its cross linker is installed
# Then: dotnet tool install --global --add-source ./nupkg ModelRegistry.Client
set -euo pipefail
cd "$(dirname "$0")/.."

project=ModelRegistry.Client
rids="${RIDS:-$(dotnet --info | awk '/^ *RID:/ { print $2; exit }')}"

dotnet pack "$project" -c Release --nologo -v quiet
dotnet pack "$project" -c Release -r any --nologo -v quiet
for rid in $rids; do
  echo "Compiling mreg ahead of time for $rid (about a minute) …" >&2
  dotnet pack "$project" -c Release -r "$rid" --nologo -v quiet
done
ls -1 nupkg/ModelRegistry.Client*.nupkg

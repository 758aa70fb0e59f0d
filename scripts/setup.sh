#!/usr/bin/env bash
# Installs the Debian 12 packages mfdd needs, skipping those already present.
set -euo pipefail
packages=(g++ cmake make libdeal.ii-dev libboost-dev libboost-math-dev libboost-random-dev
          librandom123-dev libgtest-dev openmpi-bin numdiff python3 python3-vtk9
          python3-matplotlib python3-numpy)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

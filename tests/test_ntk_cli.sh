#!/usr/bin/env bash
# `mfdd kernel` bad input (one line, exit status 2, nothing written) and a
# small run of the kernel limit with the tangent model.
set -u
mfdd="$MFDD_BINARY"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cp "$MFDD_SOURCE_DIR/params/kernel_limit.prm" base.prm
sed -i 's|output/kernel_limit|out|' base.prm
source "$MFDD_SOURCE_DIR/tests/cli_expect_error.sh"

expect_error "Kernel limit/Alphas" kernel base.prm --set "Kernel limit/Alphas=4, 0"
expect_error "Kernel limit/Alphas" kernel base.prm --set "Kernel limit/Alphas=-2"
expect_error "does not exist at this scaling" kernel base.prm --set "Problem/Initial a lower=-0.5"
expect_error "Second layer" kernel base.prm --set "Problem/Second layer=fixed"
expect_error "Data model" kernel base.prm --set "Problem/Data model=anisotropic" --set "Problem/Second layer=fixed"
expect_error "Problem/Kernel" kernel base.prm --set "Problem/Kernel=large d"
expect_error "Tangent model neurons" kernel base.prm --set "Kernel limit/Tangent model neurons=7"
expect_error "Kernel limit/Tangent model epsilon" kernel base.prm --set "Kernel limit/Tangent model epsilon=0.3"
# In section-6 units the tangent model runs to t_6 = 2 xi T = 0.75: T / 0.5 = 1 but t_6 / 0.5 = 1.5.
expect_error "Kernel limit/Tangent model epsilon" kernel base.prm --set "Kernel limit/Time units=section 6" \
  --set "Problem/Step size schedule xi=0.75" --set "Kernel limit/Tangent model epsilon=0.5"
expect_error "Time units" kernel base.prm --set "Kernel limit/Time units=section 6" --set "Problem/Step size schedule xi=1/(1+t)"

# A small kernel-limit run (no PDE, no SGD): files, header convention, risk(0) = 1.
"$mfdd" kernel base.prm --set "Kernel limit/Run PDE=false" --set "Kernel limit/Run SGD=false" \
  --set "Problem/Dimension d=10" --set "Kernel limit/Radial intervals=2" --set "Kernel limit/Angular points=16" \
  --set "Kernel limit/Tangent model neurons=200" --set "Kernel limit/Tangent model epsilon=1e-3" \
  --set "Kernel limit/Tangent model seeds=2" --set "Kernel limit/Test sample size=200" >run.txt 2>&1
status=$?
if [ $status -ne 0 ] || [ ! -s out/kernel.csv ] || ! grep -q "u\*_t = exp(-2 H_{rho_0} int_0^t xi) u_0" out/kernel_report.md; then
  echo "FAIL: small kernel run (status $status)"; cat run.txt; failures=$((failures + 1))
else
  first=$(sed -n 2p out/kernel.csv | cut -d, -f3)
  if /usr/bin/python3 -c "import sys; sys.exit(0 if abs(float('$first') - 1) < 1e-12 else 1)"; then
    echo "ok: kernel run, risk_kernel(0) = $first"; passed=$((passed + 1))
  else
    echo "FAIL: risk_kernel(0) = $first, expected 1"; failures=$((failures + 1))
  fi
fi
echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]

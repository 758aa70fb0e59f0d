# Sourced by the command-line tests. expect_error <message part> <mfdd arguments...>
# runs $MFDD_BINARY and checks the bad-input contract: exit status 2, exactly one
# line on stderr containing the message part, and no folder `out` written.
# Results are counted in $passed and $failures.
passed=0
failures=0

expect_error() {
  local needle="$1"; shift
  "$MFDD_BINARY" "$@" >stdout.txt 2>stderr.txt
  local status=$?
  local lines
  lines=$(wc -l <stderr.txt)
  if [ "$status" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$needle" stderr.txt || [ -e out ]; then
    echo "FAIL: mfdd $* -> status $status, $lines stderr lines, out exists: $([ -e out ] && echo yes || echo no)"
    cat stderr.txt
    failures=$((failures + 1))
  else
    echo "ok: $(cat stderr.txt)"
    passed=$((passed + 1))
  fi
  rm -rf out
}

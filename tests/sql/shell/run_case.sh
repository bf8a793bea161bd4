#!/usr/bin/env bash
# Runs one end-to-end case of the forkdb shell and compares what it printed
# with what is expected; prints a unified diff for each mismatch and exits 1.
#
#   run_case.sh FORKDB CASES_DIR NAME WORK_DIR
#
# A case NAME is a set of files in CASES_DIR:
#   NAME.args          forkdb's arguments, one per line (may be empty)
#   NAME.stdin         optional: its stdin (else /dev/null)
#   NAME.stdout        expected stdout
#   NAME.stderr        expected stderr
#   NAME.rc            expected exit status
#   NAME.sed           optional: a sed script applied to the actual stdout
#                      before the comparison, for output that changes from
#                      run to run (.timer's times, SHOW FORKS' creation times)
#   NAME.stepN.args    optional, N = 1, 2, ...: earlier runs of forkdb in the
#   NAME.stepN.stdin   same temporary directory (to build a durable database
#                      that the case then reopens or checks); each must exit
#                      0, and its output is shown only if it does not.
# In args and stdin, @TMP@ stands for the case's own temporary directory and
# @CASES@ for CASES_DIR; in the actual output, those paths are turned back
# into @TMP@ and @CASES@. forkdb runs in the temporary directory, which holds
# a copy of CASES_DIR/data, so scripts can name data/FILE.
set -euo pipefail

forkdb="$1"
cases="$2"
name="$3"
work="$4"

tmp="$work/$name"
rm -rf "$tmp"
mkdir -p "$tmp"
cp -R "$cases/data" "$tmp/data"
cd "$tmp"
export LC_ALL=C

substitute() {  # FILE: placeholders to paths
  sed -e "s|@TMP@|$tmp|g" -e "s|@CASES@|$cases|g" "$1"
}
unsubstitute() {  # FILE: paths back to placeholders
  sed -e "s|$tmp|@TMP@|g" -e "s|$cases|@CASES@|g" "$1"
}

# Runs forkdb with the args and stdin of PREFIX (a path without extension);
# leaves actual.stdout, actual.stderr and actual.rc in $tmp.
run_forkdb() {
  local prefix="$1"
  local -a args=()
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    args+=("$line")
  done < <(substitute "$prefix.args")
  local stdin=/dev/null
  if [[ -f "$prefix.stdin" ]]; then
    substitute "$prefix.stdin" > "$tmp/actual.stdin"
    stdin="$tmp/actual.stdin"
  fi
  local rc=0
  "$forkdb" "${args[@]}" < "$stdin" > "$tmp/actual.stdout.raw" \
    2> "$tmp/actual.stderr.raw" || rc=$?
  unsubstitute "$tmp/actual.stdout.raw" > "$tmp/actual.stdout"
  unsubstitute "$tmp/actual.stderr.raw" > "$tmp/actual.stderr"
  echo "$rc" > "$tmp/actual.rc"
}

step=1
while [[ -f "$cases/$name.step$step.args" ]]; do
  run_forkdb "$cases/$name.step$step"
  if [[ "$(cat "$tmp/actual.rc")" != 0 ]]; then
    echo "step $step of case $name failed with exit status $(cat "$tmp/actual.rc")"
    cat "$tmp/actual.stdout" "$tmp/actual.stderr"
    exit 1
  fi
  step=$((step + 1))
done

run_forkdb "$cases/$name"
if [[ -f "$cases/$name.sed" ]]; then
  sed -f "$cases/$name.sed" "$tmp/actual.stdout" > "$tmp/actual.stdout.sed"
  mv "$tmp/actual.stdout.sed" "$tmp/actual.stdout"
fi

status=0
for part in stdout stderr rc; do
  if ! diff -u --label "expected $name.$part" --label "actual $name.$part" \
      "$cases/$name.$part" "$tmp/actual.$part"; then
    status=1
  fi
done
if [[ $status == 0 ]]; then
  echo "shell case $name: ok"
fi
exit $status

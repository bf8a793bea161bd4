#!/usr/bin/env bash
# Fails unless every code block of README.md marked `<!-- example: PATH -->`
# (the line right before its opening fence) is byte for byte the file PATH, and
# every PATH given as an argument has such a block. So the README's examples
# are the files ctest compiles and runs.
# Usage: check_readme.sh REPO_ROOT [PATH...]
set -euo pipefail
root="${1:?usage: check_readme.sh REPO_ROOT [PATH...]}"
shift
readme="$root/README.md"

# The lines of the block after the marker for $1, without the fences.
block() {
  awk -v marker="<!-- example: $1 -->" '
    state == 0 && $0 == marker { state = 1; next }
    state == 1 { if ($0 !~ /^```/) { exit 2 } state = 2; next }
    state == 2 && $0 == "```" { state = 3; exit }
    state == 2 { print }
    END { if (state != 3) exit 2 }' "$readme"
}

mapfile -t marked < <(sed -n 's/^<!-- example: \([^ ]*\) -->$/\1/p' "$readme")
status=0
for path in "$@"; do
  count=0
  for m in "${marked[@]}"; do
    if [[ "$m" == "$path" ]]; then count=$((count + 1)); fi
  done
  if [[ "$count" != 1 ]]; then
    echo "README.md: $count blocks marked '<!-- example: $path -->' (want 1)"
    status=1
  fi
done
for path in "${marked[@]}"; do
  if [[ ! -f "$root/$path" ]]; then
    echo "README.md: the block marked $path names no file"
    status=1
  elif ! block "$path" >/dev/null; then
    echo "README.md: no fenced code block right after the marker for $path"
    status=1
  elif ! cmp -s <(block "$path") "$root/$path"; then
    echo "README.md: the block for $path differs from the file:"
    diff -u --label "$path" --label "README.md ($path)" "$root/$path" \
      <(block "$path") || true
    status=1
  fi
done
if [[ "$status" == 0 ]]; then
  echo "README.md: ${#marked[@]} example blocks match their files"
fi
exit "$status"

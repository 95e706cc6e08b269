#!/usr/bin/env bash
# The layer rule of ARCHITECTURE.md, checked: a module of src/ names (through `crate::X`, `$crate::X`
# or `super::super::X`) only modules of its own layer or of layers below it.
#
#   base      ← forward ← reverse, graph (which do not import each other) ← sparse, numeric ← optim
#
# A path through a crate-root re-export (`crate::Dual`, `crate::rules`, `crate::Real`, …) is refused
# inside the layers too: it hides which layer is imported. Comments and doc comments are not code
# and are not checked (docs may link anywhere). Prints each violation; exits 1 if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."

allowed() { # the top-level modules a file in folder $1 may name
  case $1 in
    base) echo "base" ;;
    forward) echo "base forward" ;;
    reverse) echo "base forward reverse" ;;
    graph) echo "base forward graph" ;;
    sparse) echo "base forward graph sparse" ;;
    numeric) echo "base forward numeric" ;;
    optim) echo "*" ;; # the adapters sit on everything; their exported macros need public paths
    *) echo "?" ;;
  esac
}

status=0
for dir in src/*/; do
  layer=$(basename "$dir")
  ok=$(allowed "$layer")
  [ "$ok" = "*" ] && continue
  if [ "$ok" = "?" ]; then
    echo "layers: src/$layer/ is not a layer of ARCHITECTURE.md (add it to scripts/layers.sh)"
    status=1
    continue
  fi
  while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    code=${rest#*:}
    for name in $(grep -oE '(\$?crate)::[A-Za-z_][A-Za-z0-9_]*' <<<"$code" | sed -E 's/.*:://' | sort -u); do
      if ! grep -qw -- "$name" <<<"$ok"; then
        echo "layers: $file:$line: src/$layer/ names crate::$name (may name: $ok)"
        status=1
      fi
    done
  done < <(grep -rnE '(\$?crate)::' "$dir" --include='*.rs' | grep -vE '^[^:]*:[0-9]+:[[:space:]]*//')
done
if [ $status = 0 ]; then
  echo "layers: every module of src/ names only its own layer and the layers below"
fi
exit $status

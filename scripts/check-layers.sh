#!/usr/bin/env bash
# The layering check: every `#include "room/..."` in src/ must name the
# including file's own room or a room on a lower layer. Rooms on one layer are
# peers and include none of each other unless the pair is declared in PEERS.
# The edges left form no cycle (checked with tsort). Prints each refused
# include as file:line and exits 1; exits 0 when every include is in order.
#
# A room is the longest name below that prefixes a file's path under src/
# (src/data/rows/cursor.h is in data/rows, src/data/data_plane.h in data,
# src/meta/sqlite/x.cc in meta).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

# The layers, lowest first; the one place the order is declared.
LAYERS='
common
crypto text
meta objstore http proxy btql
store
functions control webapp
data/control_plane
data/rows data/secrets data/functions
data/query
data/aiproxy
data
cli
'

# Includes allowed between peers of one layer, as "from>to" (none today).
PEERS=''

# Edges that break the order today, as "from>to", each with the change that
# removes it (none today). An entry that no include needs any more is an error
# too, so the list only shrinks.
EXCEPTIONS=''

edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

# file:line:text of every quoted include that names a folder.
grep -rnE --include='*.h' --include='*.cc' '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[^"]+/[^"]+"' src |
  awk -v layers="$LAYERS" -v peers="$PEERS" -v exceptions="$EXCEPTIONS" -v edges="$edges" '
    BEGIN {
      n = split(layers, lines, "\n"); level = 0
      for (i = 1; i <= n; ++i) {
        if (lines[i] ~ /^[[:space:]]*$/) continue
        ++level
        m = split(lines[i], rooms, /[[:space:]]+/)
        for (j = 1; j <= m; ++j) if (rooms[j] != "") layer[rooms[j]] = level
      }
      m = split(peers, list, /[[:space:]]+/); for (j = 1; j <= m; ++j) if (list[j] != "") peer[list[j]] = 1
      m = split(exceptions, list, /[[:space:]]+/); for (j = 1; j <= m; ++j) if (list[j] != "") { known[list[j]] = 1; used[list[j]] = 0 }
      bad = 0
    }
    # The room of a path relative to src/: its longest declared prefix.
    function room_of(path,   parts, k, name, best, c) {
      c = split(path, parts, "/"); name = ""; best = ""
      for (k = 1; k < c; ++k) {
        name = name (k > 1 ? "/" : "") parts[k]
        if (name in layer) best = name
      }
      return best
    }
    {
      file = $0; sub(/:.*/, "", file)
      rest = substr($0, length(file) + 2); lineno = rest; sub(/:.*/, "", lineno)
      inc = rest; sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
      from = room_of(substr(file, 5)); to = room_of(inc)
      where = file ":" lineno
      if (from == "") { print where ": " file " is in no declared room (scripts/check-layers.sh LAYERS)"; bad = 1; next }
      if (to == "") { print where ": includes \"" inc "\", which is in no declared room"; bad = 1; next }
      if (from == to) next
      edge = from ">" to
      if (edge in known) { used[edge] = 1; next }
      if (layer[to] < layer[from]) { print from " " to > edges; next }
      if (layer[to] == layer[from] && (edge in peer)) { print from " " to > edges; next }
      how = layer[to] == layer[from] ? "a peer on its own layer" : "a higher layer"
      print where ": " from " includes \"" inc "\" of " to ", " how; bad = 1
    }
    END {
      for (e in used) if (!used[e]) { print "scripts/check-layers.sh: the exception " e " is no longer needed: remove it"; bad = 1 }
      exit bad
    }' && status=0 || status=$?

# A cycle can only come through declared peers, but check the graph anyway.
if ! sort -u "$edges" | tsort >/dev/null 2>"$edges.err"; then
  echo "include cycle between rooms:"
  cat "$edges.err"
  status=1
fi
rm -f "$edges.err"

if [ "$status" -eq 0 ]; then echo "layers: every include is in order"; fi
exit "$status"

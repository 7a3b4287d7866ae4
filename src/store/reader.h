// The read side of the span store: runs a ScanSpec over the objects' tails at
// one snapshot and pages the result newest first, or visits every matching row.
#pragma once

#include "store/scan.h"
#include "store/tail_cache.h"

namespace tv::store {

Result<ScanResult> RunScan(TailCache& tails, const ScanSpec& spec, XactId snapshot);

// Calls `visit` with every current row matching `spec` (ids, traces, created
// range, MATCH terms, filter), newest first from spec.after on, at the
// snapshot; limit and projection do not apply and rows carry no comments. A
// non-OK status from `visit` stops the walk and is returned.
Status RunVisit(TailCache& tails, const ScanSpec& spec, XactId snapshot, const RowVisitor& visit);

}  // namespace tv::store

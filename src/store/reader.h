// The read side of the span store: runs a ScanSpec over the objects' tails at
// one snapshot and pages the result newest first.
#pragma once

#include "store/scan.h"
#include "store/tail_cache.h"

namespace tv::store {

Result<ScanResult> RunScan(TailCache& tails, const ScanSpec& spec, XactId snapshot);

}  // namespace tv::store

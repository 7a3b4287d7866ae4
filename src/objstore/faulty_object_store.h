// FaultyObjectStore: wraps a real store and injects failures at chosen rates,
// for the crash and fault tests. Each fault reports failure to the caller:
//   error  — nothing happens, Unavailable;
//   torn   — a prefix of the bytes is stored, then Unavailable;
//   lost   — the whole object is stored, but the reply is lost (Unavailable);
//   latency— every call sleeps this long first.
// A caller that treats every failed Put as "unknown state" stays correct.
//
// Thread-safety: safe for concurrent use.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "objstore/object_store.h"

namespace tv::objstore {

struct FaultOptions {
  double error_rate = 0;  // per call, Put/Get/List/Delete
  double torn_rate = 0;   // per Put
  double lost_rate = 0;   // per Put
  std::chrono::milliseconds latency{0};
  uint64_t seed = 1;
};

// Parses "error=0.1,torn=0.05,lost=0.05,latency_ms=3,seed=7" (any subset).
Result<FaultOptions> ParseFaultOptions(std::string_view spec);

std::unique_ptr<ObjectStore> WrapWithFaults(std::unique_ptr<ObjectStore> inner, FaultOptions options);

}  // namespace tv::objstore

// RequestClass: what kind of work a route does, so that one kind cannot hold
// the threads of another. Every route declares its class when it is added to
// a Router (default kLight); the server runs each class on its own bounded
// worker pool (server.h), and heavy requests are also bounded per API key and
// per organization (tenant_slots.h). docs/configuration.md lists the flags.
//
// This header is the one place the classes are defined; node roles that serve
// only some classes reuse it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tv::http {

enum class RequestClass : uint8_t {
  kLight = 0,   // auth, metadata, id and trace lookups, paginated lists, health
  kIngest = 1,  // /logs3, /v1/*/insert and feedback, uploads
  kHeavy = 2,   // free-form BTQL, summaries and comparisons, compaction, purge
  kModel = 3,   // AI proxy and invoke: threads that mostly wait on a model provider
};

inline constexpr size_t kRequestClassCount = 4;

struct RequestClassInfo {
  RequestClass id;
  std::string_view name;  // as in flags, /ready and error messages
  int default_threads;
  int default_queue;  // requests that may wait for a thread before 429
};

inline constexpr std::array<RequestClassInfo, kRequestClassCount> kRequestClasses = {{
    {RequestClass::kLight, "light", 8, 256},
    {RequestClass::kIngest, "ingest", 4, 128},
    {RequestClass::kHeavy, "heavy", 4, 16},
    {RequestClass::kModel, "model", 16, 256},
}};

constexpr size_t RequestClassIndex(RequestClass c) { return static_cast<size_t>(c); }
constexpr std::string_view RequestClassName(RequestClass c) { return kRequestClasses[RequestClassIndex(c)].name; }

}  // namespace tv::http

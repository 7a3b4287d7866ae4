// ObjectStore: the blob storage under the span store — WAL chunks, uploaded
// payloads, attachments. Two implementations: a local folder (embedded
// default) and S3 (distributed mode). Both give read-after-write consistency
// for a completed Put; visibility of store data comes from the catalog, never
// from conditional puts, so none are used.
//
// Errors: Get/Delete of a missing key is NotFound (Delete of a missing key is
// OK: deletes are idempotent); transport and server failures are Unavailable
// and may be retried by the caller; a bad key is InvalidArgument.
//
// Thread-safety: implementations are safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tv::objstore {

// [offset, offset + length) of an object. A range past the end is clipped.
struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct ObjectEntry {
  std::string key;
  uint64_t size = 0;
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores `data` under `key`, replacing any object there. Durable when it
  // returns OK.
  virtual Status Put(std::string_view key, std::string_view data) = 0;
  // The whole object, or `range` of it.
  virtual Result<std::string> Get(std::string_view key, std::optional<ByteRange> range = std::nullopt) = 0;
  // Every object whose key starts with `prefix`, in key order.
  virtual Result<std::vector<ObjectEntry>> List(std::string_view prefix) = 0;
  virtual Status Delete(std::string_view key) = 0;

  // The object's file when this store keeps objects as local files (readers
  // then read it in place instead of caching a copy); nullopt otherwise.
  virtual std::optional<std::string> LocalPath(std::string_view key) const { return std::nullopt; }

  // A short description for logs ("local:/var/lib/tv/objects", "s3://bucket/prefix").
  virtual std::string Describe() const = 0;
};

// Keys are relative paths: non-empty segments of [A-Za-z0-9._-] joined by
// '/', no "." or ".." segments, at most 1024 bytes.
Status ValidateKey(std::string_view key);

}  // namespace tv::objstore

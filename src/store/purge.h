// Purge: removing rows for good (GDPR). Every segment and WAL chunk holding a
// version of a purged id is rewritten without it, the old objects are deleted
// before the call returns, and every cache forgets them. Comments on a purged
// row go with it. docs/storage-format.md, "Purge".
#pragma once

#include <string>
#include <vector>

#include "common/json.h"

namespace tv::store {

struct PurgeRequest {
  std::string object_id;
  bool all = false;              // every row of the object
  std::vector<std::string> ids;  // else these rows (and comments on them)
};

struct PurgeReceipt {
  std::string object_id;
  std::vector<std::string> ids;   // the rows purged, comments included
  uint64_t versions_removed = 0;  // row versions and states removed
  uint64_t segments_rewritten = 0;
  uint64_t chunks_rewritten = 0;
  uint64_t objects_deleted = 0;  // old segments and chunks deleted
  uint64_t bytes_deleted = 0;
  std::vector<std::string> attachment_keys;  // attachments the purged rows referenced
  json::object ToJson() const;
};

}  // namespace tv::store

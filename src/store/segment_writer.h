// SegmentWriter: builds one segment file from row states given newest first,
// streaming — rows are turned into column lines and JSON blocks as they come,
// so merging large segments never holds every row in memory.
// docs/storage-format.md, "Segments".
//
// Thread-safety: none; one writer per segment being built.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "store/merge.h"
#include "store/segment_format.h"
#include "text/term_index.h"

namespace tv::store {

// One state of one row: the folded row at `xact`, or a tombstone (null row).
struct SegmentRow {
  XactId xact = 0;
  std::string id;
  RowPtr row;
};

struct BuiltSegment {
  std::string bytes;
  uint64_t rows = 0;
  uint64_t raw_bytes = 0;  // the rows' JSON, uncompressed
  XactId min_xact = 0;     // the range covered: (min_xact, max_xact]
  XactId max_xact = 0;
};

class SegmentWriter {
 public:
  // The segment covers (min_xact, max_xact] of `object_id`.
  // `compress` false stores every part raw (tests that grep the bytes).
  SegmentWriter(std::string object_id, XactId min_xact, XactId max_xact, size_t block_bytes = 512u << 10,
                bool compress = true);

  // Rows must come newest first, by (xact, id) descending, inside the range.
  Status Add(const SegmentRow& row);
  BuiltSegment Finish();
  uint64_t rows() const { return xacts_.size(); }

 private:
  void FlushBlock();

  std::string object_id_;
  XactId min_xact_, max_xact_;
  size_t block_bytes_;
  bool compress_;
  std::string file_;
  // Per-row typed columns.
  std::string ids_blob_, roots_blob_, targets_blob_;
  std::vector<uint32_t> id_ends_, root_ends_, target_ends_;
  std::vector<std::string_view> ids_;  // filled at Finish
  std::vector<uint64_t> xacts_;
  std::vector<int64_t> created_;
  std::string flags_;
  std::vector<segfmt::HashEntry> id_index_, root_index_;
  std::map<std::string, segfmt::NumericColumn, std::less<>> scores_, metrics_;
  text::TermIndexBuilder terms_;
  // The current block.
  uint32_t block_first_ = 0;
  std::string block_lines_[segfmt::kJsonColumnCount];
  XactId block_min_xact_ = 0, block_max_xact_ = 0;
  int64_t block_min_created_ = 0, block_max_created_ = 0;
  json::array blocks_;
  uint64_t raw_bytes_ = 0;
  std::string last_id_;
  XactId last_xact_ = 0;
};

}  // namespace tv::store

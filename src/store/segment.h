// Segment: an open segment file — its typed columns and id / trace maps in
// memory, its JSON blocks and posting lists read on demand through the block
// cache. Rows are numbered newest first. docs/storage-format.md, "Segments".
//
// Thread-safety: immutable after Open except for the lazily loaded term
// dictionary, which is guarded; safe to share.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "store/block_cache.h"
#include "store/merge.h"
#include "store/quarantine.h"
#include "store/segment_format.h"
#include "text/term_index.h"

namespace tv::store {

// Random access to a segment's bytes (a local file, or memory in tests).
class SegmentFile {
 public:
  virtual ~SegmentFile() = default;
  virtual Result<std::string> Read(uint64_t offset, uint64_t length) const = 0;
};

// A segment held in memory (a remote segment without a disk cache; tests).
std::shared_ptr<const SegmentFile> MemorySegmentFile(std::string bytes);

class Segment {
 public:
  // Opens the segment `key` of `size` bytes; `blocks` may be shared by
  // many segments and must outlive this one, as must `quarantine`.
  static Result<std::shared_ptr<const Segment>> Open(std::string key, uint64_t size,
                                                     std::shared_ptr<const SegmentFile> file, BlockCache& blocks,
                                                     QuarantineSink* quarantine = nullptr);

  const std::string& key() const { return key_; }
  const std::string& object_id() const { return object_id_; }
  size_t rows() const { return xacts_.size(); }
  XactId min_xact() const { return min_xact_; }  // covers (min_xact, max_xact]
  XactId max_xact() const { return max_xact_; }

  XactId xact(size_t r) const { return xacts_[r]; }
  std::string_view id(size_t r) const { return ids_.at(r); }
  std::string_view root(size_t r) const { return roots_.at(r); }
  std::string_view comment_target(size_t r) const { return targets_.at(r); }
  int64_t created_micros(size_t r) const { return created_[r]; }
  bool tombstone(size_t r) const { return flags_[r] & segfmt::kTombstone; }
  bool comment(size_t r) const { return flags_[r] & segfmt::kComment; }

  // Every state of `id`, newest first (ascending row numbers).
  std::vector<uint32_t> RowsWithId(std::string_view id) const;
  // Every row of the trace `root`, ascending.
  std::vector<uint32_t> RowsWithRoot(std::string_view root) const;
  // Comment rows whose target is `id`, ascending.
  std::vector<uint32_t> CommentsOn(std::string_view id) const;

  // The row at `r` exactly as folding produced it; null for a tombstone.
  // A row whose JSON cannot be decoded (docs/storage-format.md,
  // "Quarantine") is recorded with the quarantine sink and reads as null;
  // without a sink it is an Internal error.
  Result<RowPtr> Row(size_t r) const;

  // Rows containing `term` in the top-level field `field`, or in any text
  // field when `field` is empty. `term` must be one token.
  Result<Roaring> Postings(std::string_view field, std::string_view term) const;

  const std::vector<segfmt::NumericColumn>& scores() const { return scores_; }
  const std::vector<segfmt::NumericColumn>& metrics() const { return metrics_; }
  size_t memory_bytes() const { return memory_bytes_; }

 private:
  struct Block {
    uint32_t first_row = 0, rows = 0;
    segfmt::PartRef parts[segfmt::kJsonColumnCount];
  };

  Segment() = default;
  Result<std::string> ReadPart(const segfmt::PartRef& ref) const;
  Result<RowPtr> Undecodable(size_t r, std::string reason,
                             const std::shared_ptr<const DecodedBlock> (&cols)[segfmt::kJsonColumnCount],
                             size_t line) const;
  Result<std::shared_ptr<const DecodedBlock>> BlockColumn(size_t block, size_t column) const;
  Status LoadTerms() const REQUIRES(terms_mu_);
  std::vector<uint32_t> Lookup(const std::vector<segfmt::HashEntry>& index, const segfmt::StringColumn& column,
                               std::string_view value) const;

  std::string key_, object_id_;
  std::shared_ptr<const SegmentFile> file_;
  BlockCache* blocks_cache_ = nullptr;
  QuarantineSink* quarantine_ = nullptr;
  XactId min_xact_ = 0, max_xact_ = 0;
  segfmt::StringColumn ids_, roots_, targets_;
  std::vector<uint64_t> xacts_;
  std::vector<int64_t> created_;
  std::string flags_;
  std::vector<segfmt::HashEntry> id_index_, root_index_;
  std::vector<std::pair<std::string, uint32_t>> comments_;  // (target, row), sorted
  std::vector<segfmt::NumericColumn> scores_, metrics_;
  std::vector<Block> blocks_;
  std::vector<std::string> text_fields_;
  segfmt::PartRef terms_ref_, postings_ref_;
  size_t memory_bytes_ = 0;

  // Loaded on first use; the load reads the segment's local file (never
  // object storage) and only readers wait for it.
  mutable Mutex terms_mu_;
  mutable std::optional<text::TermIndex> terms_ GUARDED_BY(terms_mu_);
};

}  // namespace tv::store

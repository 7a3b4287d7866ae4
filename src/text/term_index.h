// The term dictionary and posting lists of one segment:
// (field, term) → Roaring bitmap of row numbers. docs/storage-format.md,
// "Full-text index" gives the byte layout of the `terms` and `postings` parts.
//
// Thread-safety: a built TermIndex is immutable and safe to share.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <roaring/roaring.hh>

#include "common/json.h"
#include "common/status.h"
#include "text/internal/term_table.h"

namespace tv::text {

class TermIndexBuilder {
 public:
  // Indexes the tokens of `value`, the row's top-level field `field`, under
  // row number `row`. Rows may come in any order, and a (row, field) pair may
  // come more than once. The caller picks the fields (see IsTextField).
  void Add(std::string_view field, uint32_t row, const json::value& value);

  struct Output {
    std::vector<std::string> fields;  // `text_fields`, in field-number order
    std::string terms;                // the `terms` part, uncompressed
    std::string postings;             // the `postings` part
  };
  // Fields come out sorted by name and terms by (field, term bytes), so the
  // same rows give the same bytes whatever order they were added in. Only the
  // first kMaxFields fields (in order of first appearance) that yield a token
  // are indexed; later ones are skipped. Leaves the builder empty.
  // REQUIRES: the `terms` part stays under 4 GiB (u32 entry offsets), which
  // is some 50 million distinct (field, term) pairs.
  Output Finish();

  static constexpr size_t kMaxFields = 255;

 private:
  std::vector<std::string> field_names_;  // by field number: order of first appearance
  std::map<std::string, uint8_t, std::less<>> field_numbers_;
  internal::TermTable terms_;
};

struct PostingRef {
  uint64_t offset = 0;  // within the `postings` part
  uint32_t length = 0;
};

class TermIndex {
 public:
  // `terms` is the uncompressed `terms` part; fails (Internal, "corrupt term
  // index") on a malformed one: truncated, entries not packed in order, a
  // field number past `fields`, an empty or over-long term, unsorted terms.
  static Result<TermIndex> Open(std::vector<std::string> fields, std::string terms);

  // Where the posting list of (field, term) is, if the term occurs.
  std::optional<PostingRef> Find(std::string_view field, std::string_view term) const;
  const std::vector<std::string>& fields() const { return fields_; }
  size_t term_count() const;

 private:
  std::vector<std::string> fields_;
  std::string terms_;
};

// Decodes one posting list (portable Roaring) with bounds checks.
Result<Roaring> DecodePostings(std::string_view bytes);

}  // namespace tv::text

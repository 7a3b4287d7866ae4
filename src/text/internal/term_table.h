// The (field, term) → rows table that TermIndexBuilder fills. Internal to
// src/text.
//
// Open addressing over 8-byte slots (a hash tag and a term number), with the
// term bytes in a chunked arena and the terms in a deque, so adding a token
// costs a probe of one cache line and a key comparison, and a rare term costs
// about 70 bytes. Nothing is moved as the table grows except the slots.
//
// Thread-safety: none; one builder, one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string_view>
#include <vector>

#include <roaring/roaring.hh>

namespace tv::text::internal {

// The rows of one (field, term): the first row and a short list while the
// term is rare, a bitmap once it is not (most terms stay rare).
class PostingBuilder {
 public:
  explicit PostingBuilder(uint32_t row) : first_row_(row) {}
  void Add(uint32_t row);
  // The rows as a bitmap; leaves this builder empty.
  Roaring Take();

 private:
  uint32_t first_row_;
  std::vector<uint32_t> more_rows_;  // may repeat rows; empty once bitmap_ is set
  std::unique_ptr<Roaring> bitmap_;
};

class TermTable {
 public:
  struct Term {
    std::string_view text() const { return {bytes, length}; }

    const char* bytes;  // in the table's arena
    uint8_t length;
    uint8_t field;
    PostingBuilder rows;
  };

  // Adds `row` to the rows of (field, term). REQUIRES: term.size() <= 255.
  void Add(uint8_t field, std::string_view term, uint32_t row);

  size_t size() const { return terms_.size(); }
  Term& term(size_t i) { return terms_[i]; }
  void Clear();

 private:
  static uint64_t Hash(uint8_t field, std::string_view term);
  const char* Store(std::string_view term);
  void Grow();

  std::deque<Term> terms_;
  // 0 when empty, else (hash's high 32 bits) << 32 | (term number + 1).
  std::vector<uint64_t> slots_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t chunk_used_ = 0;
};

}  // namespace tv::text::internal

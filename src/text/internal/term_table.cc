#include "text/internal/term_table.h"

#include <xxhash.h>

#include <cstring>
#include <utility>

namespace tv::text::internal {
namespace {

// A rare term's rows are a plain list; past this many, a bitmap.
constexpr size_t kBitmapAfterRows = 32;
constexpr size_t kChunkBytes = size_t{1} << 20;
constexpr size_t kInitialSlots = 1024;

}  // namespace

void PostingBuilder::Add(uint32_t row) {
  if (bitmap_) {
    bitmap_->add(row);
    return;
  }
  // A row repeats a token often; skip the repeat while it is cheap to see.
  if (row == first_row_ || (!more_rows_.empty() && more_rows_.back() == row)) return;
  more_rows_.push_back(row);
  if (more_rows_.size() > kBitmapAfterRows) bitmap_ = std::make_unique<Roaring>(Take());
}

Roaring PostingBuilder::Take() {
  if (bitmap_) {
    Roaring out = std::move(*bitmap_);
    bitmap_.reset();
    return out;
  }
  Roaring out;
  out.add(first_row_);
  out.addMany(more_rows_.size(), more_rows_.data());
  std::vector<uint32_t>().swap(more_rows_);
  return out;
}

uint64_t TermTable::Hash(uint8_t field, std::string_view term) {
  return XXH3_64bits_withSeed(term.data(), term.size(), field);
}

void TermTable::Add(uint8_t field, std::string_view term, uint32_t row) {
  if ((terms_.size() + 1) * 4 > slots_.size() * 3) Grow();
  const uint64_t hash = Hash(field, term);
  const uint64_t tag = hash >> 32 << 32;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const uint64_t slot = slots_[i];
    if (slot == 0) {
      terms_.push_back(Term{Store(term), static_cast<uint8_t>(term.size()), field, PostingBuilder(row)});
      slots_[i] = tag | terms_.size();
      return;
    }
    if ((slot & ~uint64_t{0xffffffff}) != tag) continue;
    Term& t = terms_[(slot & 0xffffffff) - 1];
    if (t.field == field && t.text() == term) {
      t.rows.Add(row);
      return;
    }
  }
}

const char* TermTable::Store(std::string_view term) {
  if (chunks_.empty() || kChunkBytes - chunk_used_ < term.size()) {
    chunks_.push_back(std::make_unique<char[]>(kChunkBytes));
    chunk_used_ = 0;
  }
  char* at = chunks_.back().get() + chunk_used_;
  std::memcpy(at, term.data(), term.size());
  chunk_used_ += term.size();
  return at;
}

void TermTable::Grow() {
  std::vector<uint64_t> slots(slots_.empty() ? kInitialSlots : slots_.size() * 2, 0);
  const size_t mask = slots.size() - 1;
  for (size_t n = 0; n < terms_.size(); ++n) {
    const uint64_t hash = Hash(terms_[n].field, terms_[n].text());
    size_t i = hash & mask;
    while (slots[i] != 0) i = (i + 1) & mask;
    slots[i] = (hash >> 32 << 32) | (n + 1);
  }
  slots_ = std::move(slots);
}

void TermTable::Clear() {
  terms_.clear();
  slots_.clear();
  chunks_.clear();
  chunk_used_ = 0;
}

}  // namespace tv::text::internal

// Building and reading the `terms` and `postings` parts of a segment.
//
// `terms` layout (little-endian), docs/storage-format.md "Full-text index":
//   count u32, entry_offsets u32[count], entries
//   entry := field u8, term_length u16, term bytes, postings_offset u64,
//            postings_length u32
// Each entry offset counts from the start of the part. Entries are packed
// back to back in offset order and sorted by (field, term bytes), terms
// compared as unsigned bytes.
#include "text/term_index.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "text/tokenizer.h"

namespace tv::text {
namespace {

constexpr size_t kCountBytes = 4;
constexpr size_t kOffsetBytes = 4;
constexpr size_t kEntryFixedBytes = 1 + 2 + 8 + 4;  // everything but the term
// The first 4 bytes of a portable Roaring bitmap (RoaringFormatSpec).
constexpr uint32_t kCookieNoRuns = 12346;
constexpr uint32_t kCookieWithRuns = 12347;

template <typename T>
void PutLE(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
  }
}

template <typename T>
void PutLEAt(std::string& out, size_t pos, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out[pos + i] = static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff);
  }
}

template <typename T>
T GetLE(const char* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return static_cast<T>(v);
}

struct Entry {
  uint8_t field = 0;
  std::string_view term;
  PostingRef postings;
};

// REQUIRES: the entry at `offset` lies within `terms` (checked by Open).
Entry ReadEntry(std::string_view terms, size_t offset) {
  const char* p = terms.data() + offset;
  Entry e;
  e.field = static_cast<uint8_t>(p[0]);
  const auto len = GetLE<uint16_t>(p + 1);
  e.term = std::string_view(p + 3, len);
  e.postings.offset = GetLE<uint64_t>(p + 3 + len);
  e.postings.length = GetLE<uint32_t>(p + 11 + len);
  return e;
}

bool EntryLess(uint8_t field_a, std::string_view term_a, uint8_t field_b, std::string_view term_b) {
  if (field_a != field_b) return field_a < field_b;
  return term_a < term_b;
}

// The byte length of the portable Roaring bitmap at the front of `bytes`
// according to its headers, or nullopt when the headers are cut short or
// invalid. Follows RoaringFormatSpec.
std::optional<size_t> PortableRoaringSize(std::string_view bytes) {
  constexpr size_t kMaxContainers = 1 << 16;
  constexpr size_t kMaxArrayCardinality = 4096;
  constexpr size_t kBitsetBytes = 8192;
  constexpr size_t kOffsetsFromContainers = 4;  // run-format bitmaps with fewer omit offsets
  if (bytes.size() < 4) return std::nullopt;
  const auto cookie = GetLE<uint32_t>(bytes.data());
  size_t pos = 4;
  size_t containers = 0;
  std::string_view run_flags;
  bool has_offsets = true;
  if (cookie == kCookieNoRuns) {
    if (bytes.size() < 8) return std::nullopt;
    containers = GetLE<uint32_t>(bytes.data() + 4);
    pos = 8;
  } else if ((cookie & 0xffff) == kCookieWithRuns) {
    containers = (cookie >> 16) + 1;
    const size_t flag_bytes = (containers + 7) / 8;
    if (bytes.size() - pos < flag_bytes) return std::nullopt;
    run_flags = bytes.substr(pos, flag_bytes);
    pos += flag_bytes;
    has_offsets = containers >= kOffsetsFromContainers;
  } else {
    return std::nullopt;
  }
  if (containers > kMaxContainers) return std::nullopt;
  const size_t header = containers * 4 + (has_offsets ? containers * 4 : 0);
  if (bytes.size() - pos < header) return std::nullopt;
  const char* key_cards = bytes.data() + pos;
  pos += header;
  for (size_t i = 0; i < containers; ++i) {
    const bool run = !run_flags.empty() && (static_cast<unsigned char>(run_flags[i / 8]) >> (i % 8)) & 1;
    size_t size;
    if (run) {
      if (bytes.size() - pos < 2) return std::nullopt;
      size = 2 + 4 * size_t{GetLE<uint16_t>(bytes.data() + pos)};
    } else {
      const size_t cardinality = size_t{GetLE<uint16_t>(key_cards + 4 * i + 2)} + 1;
      size = cardinality <= kMaxArrayCardinality ? 2 * cardinality : kBitsetBytes;
    }
    if (bytes.size() - pos < size) return std::nullopt;
    pos += size;
  }
  return pos;
}

template <typename... Args>
Status Corrupt(fmt::format_string<Args...> f, Args&&... args) {
  return Internal("corrupt term index: {}", fmt::format(f, std::forward<Args>(args)...));
}

// Checks entry `i`, which must start at `offset`, against the bounds of
// `terms` and the entry before it; returns where the next entry starts.
Result<size_t> CheckEntry(std::string_view terms, size_t fields, uint32_t i, size_t offset, const Entry* prev) {
  if (terms.size() - offset < kEntryFixedBytes) return Corrupt("entry {} is truncated", i);
  const auto len = GetLE<uint16_t>(terms.data() + offset + 1);
  if (len == 0 || len > kMaxTokenBytes) return Corrupt("entry {} has a term of {} bytes", i, len);
  if (terms.size() - offset - kEntryFixedBytes < len) return Corrupt("entry {} is truncated", i);
  const Entry e = ReadEntry(terms, offset);
  if (e.field >= fields) return Corrupt("entry {} names field {} of {}", i, e.field, fields);
  if (e.postings.offset > std::numeric_limits<uint64_t>::max() - e.postings.length) {
    return Corrupt("entry {} has a posting list past the end of addressable bytes", i);
  }
  if (prev && !EntryLess(prev->field, prev->term, e.field, e.term)) {
    return Corrupt("entry {} is not after entry {}", i, i - 1);
  }
  return offset + kEntryFixedBytes + len;
}

Status CheckFields(const std::vector<std::string>& fields) {
  if (fields.size() > 256) return Corrupt("{} fields, at most 256 can be numbered", fields.size());
  std::vector<std::string_view> sorted(fields.begin(), fields.end());
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return Corrupt("a field is listed twice");
  }
  return Status::Ok();
}

}  // namespace

// ---- TermIndexBuilder ----

void TermIndexBuilder::Add(std::string_view field, uint32_t row, const json::value& value) {
  uint8_t number;
  bool added = false;
  if (auto it = field_numbers_.find(field); it != field_numbers_.end()) {
    number = it->second;
  } else if (field_names_.size() < kMaxFields) {
    number = static_cast<uint8_t>(field_names_.size());
    field_names_.emplace_back(field);
    field_numbers_.emplace(field, number);
    added = true;
  } else {
    return;
  }
  bool any = false;
  TokenizeJson(value, [&](std::string_view token) {
    terms_.Add(number, token, row);
    any = true;
  });
  // A field is numbered only once it has a term, so fields without text do
  // not use up the numbers.
  if (added && !any) {
    field_numbers_.erase(field_names_.back());
    field_names_.pop_back();
  }
}

TermIndexBuilder::Output TermIndexBuilder::Finish() {
  Output out;
  out.fields = field_names_;
  std::sort(out.fields.begin(), out.fields.end());
  std::vector<uint8_t> sorted_number(field_names_.size());
  for (size_t i = 0; i < out.fields.size(); ++i)
    sorted_number[field_numbers_.at(out.fields[i])] = static_cast<uint8_t>(i);

  std::vector<uint32_t> order(terms_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const auto& ta = terms_.term(a);
    const auto& tb = terms_.term(b);
    return EntryLess(sorted_number[ta.field], ta.text(), sorted_number[tb.field], tb.text());
  });

  PutLE<uint32_t>(out.terms, static_cast<uint32_t>(order.size()));
  out.terms.resize(kCountBytes + kOffsetBytes * order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    auto& term = terms_.term(order[i]);
    PutLEAt<uint32_t>(out.terms, kCountBytes + kOffsetBytes * i, static_cast<uint32_t>(out.terms.size()));
    Roaring rows = term.rows.Take();
    rows.runOptimize();
    const size_t at = out.postings.size();
    out.postings.resize(at + rows.getSizeInBytes(true));
    const size_t length = rows.write(out.postings.data() + at, true);
    out.terms.push_back(static_cast<char>(sorted_number[term.field]));
    PutLE<uint16_t>(out.terms, term.length);
    out.terms.append(term.text());
    PutLE<uint64_t>(out.terms, at);
    PutLE<uint32_t>(out.terms, static_cast<uint32_t>(length));
  }
  field_names_.clear();
  field_numbers_.clear();
  terms_.Clear();
  return out;
}

// ---- TermIndex ----

Result<TermIndex> TermIndex::Open(std::vector<std::string> fields, std::string terms) {
  TV_RETURN_IF_ERROR(CheckFields(fields));
  if (terms.size() < kCountBytes) return Corrupt("{} bytes, too short for a count", terms.size());
  const uint32_t count = GetLE<uint32_t>(terms.data());
  const uint64_t entries_start = kCountBytes + uint64_t{kOffsetBytes} * count;
  if (entries_start > terms.size()) return Corrupt("{} entry offsets do not fit in {} bytes", count, terms.size());
  size_t next = entries_start;
  Entry prev;
  for (uint32_t i = 0; i < count; ++i) {
    const auto offset = GetLE<uint32_t>(terms.data() + kCountBytes + kOffsetBytes * i);
    if (offset != next) return Corrupt("entry {} at offset {}, expected {}", i, offset, next);
    TV_ASSIGN_OR_RETURN(next, CheckEntry(terms, fields.size(), i, offset, i > 0 ? &prev : nullptr));
    prev = ReadEntry(terms, offset);
  }
  if (next != terms.size()) return Corrupt("{} bytes after the last entry", terms.size() - next);
  TermIndex index;
  index.fields_ = std::move(fields);
  index.terms_ = std::move(terms);
  return index;
}

size_t TermIndex::term_count() const { return terms_.size() < kCountBytes ? 0 : GetLE<uint32_t>(terms_.data()); }

std::optional<PostingRef> TermIndex::Find(std::string_view field, std::string_view term) const {
  const auto f = std::find(fields_.begin(), fields_.end(), field);
  if (f == fields_.end()) return std::nullopt;
  const auto field_no = static_cast<uint8_t>(f - fields_.begin());
  // Lower bound over the entries, by (field, term).
  size_t lo = 0;
  size_t hi = term_count();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const Entry e = ReadEntry(terms_, GetLE<uint32_t>(terms_.data() + kCountBytes + kOffsetBytes * mid));
    if (EntryLess(e.field, e.term, field_no, term)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == term_count()) return std::nullopt;
  const Entry e = ReadEntry(terms_, GetLE<uint32_t>(terms_.data() + kCountBytes + kOffsetBytes * lo));
  if (e.field != field_no || e.term != term) return std::nullopt;
  return e.postings;
}

Result<Roaring> DecodePostings(std::string_view bytes) {
  // CRoaring prints to stderr on input it cannot read; check the sizes first.
  if (PortableRoaringSize(bytes) != bytes.size()) {
    return Internal("corrupt posting list: {} bytes are not one portable Roaring bitmap", bytes.size());
  }
  // The C call rather than Roaring::readSafe, which throws on bad input.
  roaring_bitmap_t* r = roaring_bitmap_portable_deserialize_safe(bytes.data(), bytes.size());
  if (!r) return Internal("corrupt posting list: {} bytes do not decode", bytes.size());
  Roaring rows(r);
  if (rows.getSizeInBytes(true) != bytes.size()) {
    return Internal("corrupt posting list: decodes from {} of its {} bytes", rows.getSizeInBytes(true), bytes.size());
  }
  return rows;
}

}  // namespace tv::text

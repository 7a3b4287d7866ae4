// The building blocks of the segment file format (docs/storage-format.md,
// "Segments"): part references, the header and trailer, and the typed column
// encodings. SegmentWriter and Segment are the only users.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/status.h"

namespace tv::store::segfmt {

inline constexpr std::string_view kHeaderMagic = "TVSEGMNT";
inline constexpr std::string_view kTrailerMagic = "TVSEGEND";
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kTrailerSize = 40;

// Row flags (the `flags` column).
inline constexpr uint8_t kTombstone = 1;
inline constexpr uint8_t kComment = 2;
inline constexpr uint8_t kIsRoot = 4;

// The JSON columns, in directory order; the last one holds the other fields.
inline constexpr std::string_view kJsonColumns[] = {"input", "output", "expected", "metadata", "error", "rest"};
inline constexpr size_t kJsonColumnCount = 6;
inline constexpr size_t kRestColumn = 5;

// Where a part is in the file and how to check and decode it.
struct PartRef {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t raw_length = 0;
  uint64_t checksum = 0;
  bool zstd = true;
};

json::array PartToJson(const PartRef& p);
Result<PartRef> PartFromJson(const json::value& v, std::string_view where);

// Appends `raw` to `file` as one part (zstd unless `compress` is false).
PartRef AppendPart(std::string& file, std::string_view raw, bool compress = true);
// Checks and decodes a part read from the file.
Result<std::string> DecodePart(std::string_view stored, const PartRef& ref, std::string_view where);

std::string Header();
struct Trailer {
  uint64_t dir_offset = 0, dir_length = 0, dir_raw_length = 0, dir_checksum = 0;
};
std::string EncodeTrailer(const Trailer& t);
Result<Trailer> DecodeTrailer(std::string_view bytes, std::string_view where);

// Strings: count u32, offsets u32[count + 1], bytes.
std::string EncodeStrings(const std::vector<std::string_view>& values);
class StringColumn {
 public:
  static Result<StringColumn> Decode(std::string bytes, std::string_view where);
  size_t size() const { return count_; }
  std::string_view at(size_t i) const;
  size_t memory_bytes() const { return bytes_.size(); }

 private:
  std::string bytes_;
  size_t count_ = 0;
};

// Newest-first xact ids: the first value, then varint differences.
std::string EncodeDescending(const std::vector<uint64_t>& values);
Result<std::vector<uint64_t>> DecodeDescending(std::string_view bytes, size_t count, std::string_view where);

// Fixed-width little-endian arrays.
std::string EncodeI64(const std::vector<int64_t>& values);
Result<std::vector<int64_t>> DecodeI64(std::string_view bytes, size_t count, std::string_view where);

// Hash maps: count u32, then (hash u64, row u32) sorted by (hash, row).
struct HashEntry {
  uint64_t hash;
  uint32_t row;
};
std::string EncodeHashIndex(std::vector<HashEntry> entries);
Result<std::vector<HashEntry>> DecodeHashIndex(std::string_view bytes, std::string_view where);

// Numeric maps (scores, metrics): names, then per name a portable Roaring
// bitmap of the rows that have it and their f64 values in row order.
struct NumericColumn {
  std::string name;
  std::vector<uint32_t> rows;  // ascending
  std::vector<double> values;
};
std::string EncodeNumericMap(const std::vector<NumericColumn>& columns);
Result<std::vector<NumericColumn>> DecodeNumericMap(std::string_view bytes, std::string_view where);

}  // namespace tv::store::segfmt

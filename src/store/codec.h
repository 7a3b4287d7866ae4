// Byte-level helpers shared by the store's formats (WAL chunks, segments):
// little-endian integers, LEB128 varints, zstd frames and XXH3 checksums.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tv::store::codec {

template <typename T>
void PutLE(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * i)) & 0xff));
}

template <typename T>
T GetLE(const char* p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return static_cast<T>(v);
}

void PutVarint(std::string& out, uint64_t v);
// Reads one varint from the front of `in`; false when truncated or too long.
bool GetVarint(std::string_view& in, uint64_t& out);

std::string ZstdCompress(std::string_view raw, int level);
// Fails (Internal, naming `where`) unless `stored` decompresses to exactly
// `raw_length` bytes.
Result<std::string> ZstdDecompress(std::string_view stored, uint64_t raw_length, std::string_view where);

uint64_t Hash64(std::string_view bytes);

}  // namespace tv::store::codec

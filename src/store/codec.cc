#include "store/codec.h"

#include <xxhash.h>
#include <zstd.h>

namespace tv::store::codec {

void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view& in, uint64_t& out) {
  out = 0;
  for (int shift = 0, i = 0; i < 10 && i < static_cast<int>(in.size()); ++i, shift += 7) {
    auto b = static_cast<unsigned char>(in[i]);
    out |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      in.remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

std::string ZstdCompress(std::string_view raw, int level) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), level);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

Result<std::string> ZstdDecompress(std::string_view stored, uint64_t raw_length, std::string_view where) {
  std::string out(raw_length, '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), stored.data(), stored.size());
  if (ZSTD_isError(n) || n != raw_length)
    return Internal("corrupt data in {}: a zstd frame does not decompress to its recorded size", where);
  return out;
}

uint64_t Hash64(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

}  // namespace tv::store::codec

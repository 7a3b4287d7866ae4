#include "http/gzip.h"

#include <zlib.h>

namespace tv::http {

std::string GzipCompress(std::string_view data, int level) {
  z_stream zs{};
  // windowBits 15 + 16 selects the gzip wrapper.
  deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Result<std::string> GzipDecompress(std::string_view data, size_t max_output) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Internal("inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc = Z_OK;
  while (true) {
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Concatenated gzip members decode as one stream (RFC 1952 2.2);
      // anything else after the end is an error.
      if (zs.avail_in < 2 || zs.next_in[0] != 0x1f || zs.next_in[1] != 0x8b) {
        inflateEnd(&zs);
        return InvalidArgument("Trailing data after gzip stream");
      }
      inflateReset(&zs);
    }
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return InvalidArgument("Invalid gzip data");
    }
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (out.size() > max_output) {
      inflateEnd(&zs);
      return PayloadTooLarge("Decompressed body exceeds {} bytes", max_output);
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return InvalidArgument("Truncated gzip data");
    }
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace tv::http

#include "store/segment_format.h"

#include <algorithm>
#include <cstring>

#include <roaring/roaring.hh>

#include "store/codec.h"

namespace tv::store::segfmt {
namespace {

using codec::GetLE;
using codec::PutLE;

constexpr int kZstdLevel = 3;

Status Corrupt(std::string_view where, std::string_view what) {
  return Internal("corrupt segment {}: {}", where, what);
}

uint64_t U64(const json::value& v, bool& ok) {
  if (v.is_uint64()) return v.as_uint64();
  if (v.is_int64() && v.as_int64() >= 0) return static_cast<uint64_t>(v.as_int64());
  ok = false;
  return 0;
}

}  // namespace

json::array PartToJson(const PartRef& p) {
  return json::array{p.offset, p.length, p.raw_length, p.checksum, p.zstd ? "zstd" : "raw"};
}

Result<PartRef> PartFromJson(const json::value& v, std::string_view where) {
  const json::array* a = v.if_array();
  if (!a || a->size() != 5 || !(*a)[4].is_string()) return Corrupt(where, "a part reference is malformed");
  PartRef p;
  bool ok = true;
  p.offset = U64((*a)[0], ok);
  p.length = U64((*a)[1], ok);
  p.raw_length = U64((*a)[2], ok);
  p.checksum = U64((*a)[3], ok);
  std::string_view codec = (*a)[4].as_string();
  if (!ok || (codec != "zstd" && codec != "raw")) return Corrupt(where, "a part reference is malformed");
  p.zstd = codec == "zstd";
  return p;
}

PartRef AppendPart(std::string& file, std::string_view raw, bool compress) {
  PartRef p;
  p.offset = file.size();
  p.raw_length = raw.size();
  p.zstd = compress;
  if (compress) {
    std::string stored = codec::ZstdCompress(raw, kZstdLevel);
    file += stored;
  } else {
    file.append(raw);
  }
  p.length = file.size() - p.offset;
  p.checksum = codec::Hash64(std::string_view(file).substr(p.offset, p.length));
  return p;
}

Result<std::string> DecodePart(std::string_view stored, const PartRef& ref, std::string_view where) {
  if (stored.size() != ref.length) return Corrupt(where, "a part is truncated");
  if (codec::Hash64(stored) != ref.checksum) return Corrupt(where, "a part's checksum does not match");
  if (!ref.zstd) {
    if (ref.raw_length != ref.length) return Corrupt(where, "a raw part's lengths disagree");
    return std::string(stored);
  }
  return codec::ZstdDecompress(stored, ref.raw_length, where);
}

std::string Header() {
  std::string h(kHeaderMagic);
  PutLE<uint32_t>(h, kVersion);
  PutLE<uint32_t>(h, 0);
  return h;
}

std::string EncodeTrailer(const Trailer& t) {
  std::string out;
  PutLE<uint64_t>(out, t.dir_offset);
  PutLE<uint64_t>(out, t.dir_length);
  PutLE<uint64_t>(out, t.dir_raw_length);
  PutLE<uint64_t>(out, t.dir_checksum);
  out += kTrailerMagic;
  return out;
}

Result<Trailer> DecodeTrailer(std::string_view b, std::string_view where) {
  if (b.size() != kTrailerSize || b.substr(32) != kTrailerMagic) return Corrupt(where, "bad trailer");
  Trailer t{GetLE<uint64_t>(b.data()), GetLE<uint64_t>(b.data() + 8), GetLE<uint64_t>(b.data() + 16),
            GetLE<uint64_t>(b.data() + 24)};
  return t;
}

std::string EncodeStrings(const std::vector<std::string_view>& values) {
  std::string out;
  PutLE<uint32_t>(out, static_cast<uint32_t>(values.size()));
  uint32_t off = 0;
  PutLE<uint32_t>(out, off);
  for (auto v : values) PutLE<uint32_t>(out, off += static_cast<uint32_t>(v.size()));
  for (auto v : values) out.append(v);
  return out;
}

Result<StringColumn> StringColumn::Decode(std::string bytes, std::string_view where) {
  if (bytes.size() < 8) return Corrupt(where, "a string column is truncated");
  StringColumn c;
  c.count_ = GetLE<uint32_t>(bytes.data());
  size_t header = 4 + 4 * (c.count_ + 1);
  if (bytes.size() < header) return Corrupt(where, "a string column is truncated");
  uint32_t prev = 0;
  for (size_t i = 0; i <= c.count_; ++i) {
    uint32_t off = GetLE<uint32_t>(bytes.data() + 4 + 4 * i);
    if (off < prev) return Corrupt(where, "a string column's offsets go backwards");
    prev = off;
  }
  if (header + prev != bytes.size()) return Corrupt(where, "a string column's length does not match");
  c.bytes_ = std::move(bytes);
  return c;
}

std::string_view StringColumn::at(size_t i) const {
  const char* base = bytes_.data() + 4;
  uint32_t a = GetLE<uint32_t>(base + 4 * i), b = GetLE<uint32_t>(base + 4 * (i + 1));
  return std::string_view(bytes_).substr(4 + 4 * (count_ + 1) + a, b - a);
}

std::string EncodeDescending(const std::vector<uint64_t>& values) {
  std::string out;
  if (values.empty()) return out;
  PutLE<uint64_t>(out, values[0]);
  for (size_t i = 1; i < values.size(); ++i) codec::PutVarint(out, values[i - 1] - values[i]);
  return out;
}

Result<std::vector<uint64_t>> DecodeDescending(std::string_view bytes, size_t count, std::string_view where) {
  std::vector<uint64_t> out;
  if (count == 0) return out;
  if (bytes.size() < 8) return Corrupt(where, "the xact column is truncated");
  out.reserve(count);
  out.push_back(GetLE<uint64_t>(bytes.data()));
  bytes.remove_prefix(8);
  for (size_t i = 1; i < count; ++i) {
    uint64_t d;
    if (!codec::GetVarint(bytes, d) || d > out.back()) return Corrupt(where, "the xact column is malformed");
    out.push_back(out.back() - d);
  }
  if (!bytes.empty()) return Corrupt(where, "the xact column has trailing bytes");
  return out;
}

std::string EncodeI64(const std::vector<int64_t>& values) {
  std::string out;
  out.reserve(values.size() * 8);
  for (int64_t v : values) PutLE<uint64_t>(out, static_cast<uint64_t>(v));
  return out;
}

Result<std::vector<int64_t>> DecodeI64(std::string_view bytes, size_t count, std::string_view where) {
  if (bytes.size() != count * 8) return Corrupt(where, "an integer column has the wrong length");
  std::vector<int64_t> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<int64_t>(GetLE<uint64_t>(bytes.data() + 8 * i));
  return out;
}

std::string EncodeHashIndex(std::vector<HashEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const HashEntry& a, const HashEntry& b) { return a.hash != b.hash ? a.hash < b.hash : a.row < b.row; });
  std::string out;
  out.reserve(4 + entries.size() * 12);
  PutLE<uint32_t>(out, static_cast<uint32_t>(entries.size()));
  for (const auto& e : entries) {
    PutLE<uint64_t>(out, e.hash);
    PutLE<uint32_t>(out, e.row);
  }
  return out;
}

Result<std::vector<HashEntry>> DecodeHashIndex(std::string_view bytes, std::string_view where) {
  if (bytes.size() < 4) return Corrupt(where, "a hash index is truncated");
  size_t n = GetLE<uint32_t>(bytes.data());
  if (bytes.size() != 4 + n * 12) return Corrupt(where, "a hash index has the wrong length");
  std::vector<HashEntry> out(n);
  for (size_t i = 0; i < n; ++i) {
    const char* p = bytes.data() + 4 + 12 * i;
    out[i] = {GetLE<uint64_t>(p), GetLE<uint32_t>(p + 8)};
    if (i && (out[i].hash < out[i - 1].hash || (out[i].hash == out[i - 1].hash && out[i].row <= out[i - 1].row)))
      return Corrupt(where, "a hash index is not sorted");
  }
  return out;
}

std::string EncodeNumericMap(const std::vector<NumericColumn>& columns) {
  std::vector<std::string_view> names;
  for (const auto& c : columns) names.push_back(c.name);
  std::string out = EncodeStrings(names);
  for (const auto& c : columns) {
    Roaring present(c.rows.size(), c.rows.data());
    present.runOptimize();
    std::string bits(present.getSizeInBytes(true), '\0');
    present.write(bits.data(), true);
    PutLE<uint32_t>(out, static_cast<uint32_t>(bits.size()));
    out += bits;
    for (double v : c.values) {
      uint64_t u;
      std::memcpy(&u, &v, 8);
      PutLE<uint64_t>(out, u);
    }
  }
  return out;
}

Result<std::vector<NumericColumn>> DecodeNumericMap(std::string_view bytes, std::string_view where) {
  if (bytes.size() < 8) return Corrupt(where, "a numeric map is truncated");
  size_t names_count = GetLE<uint32_t>(bytes.data());
  if (bytes.size() < 4 + 4 * (names_count + 1)) return Corrupt(where, "a numeric map is truncated");
  size_t names_len = 4 + 4 * (names_count + 1) + GetLE<uint32_t>(bytes.data() + 4 + 4 * names_count);
  if (bytes.size() < names_len) return Corrupt(where, "a numeric map is truncated");
  TV_ASSIGN_OR_RETURN(StringColumn names, StringColumn::Decode(std::string(bytes.substr(0, names_len)), where));
  std::string_view rest = bytes.substr(names_len);
  std::vector<NumericColumn> out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (rest.size() < 4) return Corrupt(where, "a numeric map is truncated");
    size_t len = GetLE<uint32_t>(rest.data());
    if (rest.size() < 4 + len) return Corrupt(where, "a numeric map is truncated");
    Roaring present;
    try {
      present = Roaring::readSafe(rest.data() + 4, len);
    } catch (...) {
      return Corrupt(where, "a numeric map's bitmap is malformed");
    }
    if (present.getSizeInBytes(true) != len) return Corrupt(where, "a numeric map's bitmap is malformed");
    rest.remove_prefix(4 + len);
    NumericColumn c;
    c.name = std::string(names.at(i));
    c.rows.resize(present.cardinality());
    present.toUint32Array(c.rows.data());
    if (rest.size() < c.rows.size() * 8) return Corrupt(where, "a numeric map is truncated");
    c.values.resize(c.rows.size());
    for (size_t j = 0; j < c.rows.size(); ++j) {
      uint64_t u = GetLE<uint64_t>(rest.data() + 8 * j);
      std::memcpy(&c.values[j], &u, 8);
    }
    rest.remove_prefix(c.rows.size() * 8);
    out.push_back(std::move(c));
  }
  if (!rest.empty()) return Corrupt(where, "a numeric map has trailing bytes");
  return out;
}

}  // namespace tv::store::segfmt

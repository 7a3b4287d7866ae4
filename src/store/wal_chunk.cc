#include "store/wal_chunk.h"

#include "store/codec.h"

#include <cstring>

#include <fmt/format.h>

#include "crypto/crypto.h"

#include <xxhash.h>
#include <zstd.h>

namespace tv::store {
namespace {

using codec::GetLE;
using codec::PutLE;

constexpr std::string_view kChunkMagic = "TVWALCHK";
constexpr std::string_view kSectionMagic = "TVWS";
constexpr uint32_t kChunkVersion = 1;
constexpr uint16_t kSectionVersion = 1;
constexpr uint16_t kFlagZstd = 1;
constexpr size_t kChunkHeaderSize = 16;
constexpr size_t kSectionHeaderSize = 56;
constexpr int kZstdLevel = 3;
// Payloads smaller than this are stored raw: compression would not pay.
constexpr size_t kMinCompressBytes = 256;

uint64_t Checksum(std::string_view object_id, std::string_view payload) {
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  XXH3_64bits_update(st, object_id.data(), object_id.size());
  XXH3_64bits_update(st, payload.data(), payload.size());
  uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

}  // namespace

std::string WalChunkKey(XactId first, std::string_view tag) {
  return fmt::format("{}{}-{}.tvwal", kWalPrefix, FormatXact(first),
                     tag.empty() ? crypto::HexEncode(crypto::RandomBytes(4)) : std::string(tag));
}

Result<XactId> WalChunkFirstXact(std::string_view key) {
  if (!key.starts_with(kWalPrefix)) return InvalidArgument("'{}' is not a WAL chunk key", key);
  return ParseXact(key.substr(kWalPrefix.size(), 19), "chunk key");
}

ChunkBuilder::ChunkBuilder(bool compress) : compress_(compress) {
  buf_.append(kChunkMagic);
  PutLE<uint32_t>(buf_, kChunkVersion);
  PutLE<uint32_t>(buf_, 0);  // section count, patched in Finish()
}

void ChunkBuilder::AddSection(std::string_view object_id, std::string_view jsonl, uint32_t row_count, XactId min_xact,
                              XactId max_xact) {
  std::string stored;
  uint16_t flags = 0;
  if (compress_ && jsonl.size() >= kMinCompressBytes) {
    stored = codec::ZstdCompress(jsonl, kZstdLevel);
    if (!stored.empty() && stored.size() < jsonl.size()) flags |= kFlagZstd;
  }
  std::string_view payload = (flags & kFlagZstd) ? std::string_view(stored) : jsonl;

  SectionInfo info{std::string(object_id), buf_.size(), 0, min_xact, max_xact, row_count};
  buf_.append(kSectionMagic);
  PutLE<uint16_t>(buf_, kSectionVersion);
  PutLE<uint16_t>(buf_, flags);
  PutLE<uint32_t>(buf_, static_cast<uint32_t>(object_id.size()));
  PutLE<uint32_t>(buf_, row_count);
  PutLE<uint64_t>(buf_, min_xact);
  PutLE<uint64_t>(buf_, max_xact);
  PutLE<uint64_t>(buf_, payload.size());
  PutLE<uint64_t>(buf_, jsonl.size());
  PutLE<uint64_t>(buf_, Checksum(object_id, payload));
  buf_.append(object_id);
  buf_.append(payload);
  info.length = buf_.size() - info.offset;
  sections_.push_back(std::move(info));
}

std::string ChunkBuilder::Finish() {
  uint32_t n = static_cast<uint32_t>(sections_.size());
  for (size_t i = 0; i < 4; ++i) buf_[12 + i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return std::move(buf_);
}

Result<DecodedSection> DecodeSection(std::string_view bytes, std::string_view where) {
  auto corrupt = [&](std::string_view why) { return Internal("corrupt WAL section in {}: {}", where, why); };
  if (bytes.size() < kSectionHeaderSize) return corrupt("truncated header");
  const char* p = bytes.data();
  if (std::string_view(p, 4) != kSectionMagic) return corrupt("bad magic");
  if (GetLE<uint16_t>(p + 4) != kSectionVersion) return corrupt("unsupported version");
  uint16_t flags = GetLE<uint16_t>(p + 6);
  uint32_t id_len = GetLE<uint32_t>(p + 8);
  DecodedSection out;
  out.row_count = GetLE<uint32_t>(p + 12);
  out.min_xact = GetLE<uint64_t>(p + 16);
  out.max_xact = GetLE<uint64_t>(p + 24);
  uint64_t stored_len = GetLE<uint64_t>(p + 32);
  uint64_t raw_len = GetLE<uint64_t>(p + 40);
  uint64_t checksum = GetLE<uint64_t>(p + 48);
  if (bytes.size() != kSectionHeaderSize + id_len + stored_len) return corrupt("length mismatch");
  std::string_view object_id = bytes.substr(kSectionHeaderSize, id_len);
  std::string_view payload = bytes.substr(kSectionHeaderSize + id_len);
  if (Checksum(object_id, payload) != checksum) return corrupt("checksum mismatch");
  out.object_id = std::string(object_id);
  if (flags & kFlagZstd) {
    TV_ASSIGN_OR_RETURN(out.jsonl, codec::ZstdDecompress(payload, raw_len, where));
  } else {
    if (raw_len != stored_len) return corrupt("raw length mismatch");
    out.jsonl = std::string(payload);
  }
  return out;
}

std::vector<std::string_view> JsonLines(std::string_view jsonl) {
  std::vector<std::string_view> out;
  while (!jsonl.empty()) {
    size_t nl = jsonl.find('\n');
    std::string_view line = jsonl.substr(0, nl);
    jsonl = nl == std::string_view::npos ? std::string_view() : jsonl.substr(nl + 1);
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::vector<std::string> ChunkObjectIds(std::string_view bytes) {
  std::vector<std::string> out;
  if (bytes.size() < kChunkHeaderSize || bytes.substr(0, 8) != kChunkMagic) return out;
  uint32_t count = GetLE<uint32_t>(bytes.data() + 12);
  size_t pos = kChunkHeaderSize;
  for (uint32_t i = 0; i < count && bytes.size() - pos >= kSectionHeaderSize; ++i) {
    uint64_t id_len = GetLE<uint32_t>(bytes.data() + pos + 8);
    uint64_t len = kSectionHeaderSize + id_len + GetLE<uint64_t>(bytes.data() + pos + 32);
    if (len > bytes.size() - pos) break;
    out.emplace_back(bytes.substr(pos + kSectionHeaderSize, id_len));
    pos += len;
  }
  return out;
}

Result<std::vector<DecodedSection>> DecodeChunk(std::string_view bytes, std::string_view where) {
  if (bytes.size() < kChunkHeaderSize || bytes.substr(0, 8) != kChunkMagic)
    return Internal("corrupt WAL chunk {}: bad header", where);
  if (GetLE<uint32_t>(bytes.data() + 8) != kChunkVersion) return Internal("WAL chunk {}: unsupported version", where);
  uint32_t count = GetLE<uint32_t>(bytes.data() + 12);
  std::vector<DecodedSection> out;
  size_t pos = kChunkHeaderSize;
  for (uint32_t i = 0; i < count; ++i) {
    if (bytes.size() - pos < kSectionHeaderSize) return Internal("corrupt WAL chunk {}: truncated", where);
    uint64_t len =
        kSectionHeaderSize + GetLE<uint32_t>(bytes.data() + pos + 8) + GetLE<uint64_t>(bytes.data() + pos + 32);
    if (len > bytes.size() - pos) return Internal("corrupt WAL chunk {}: truncated section", where);
    TV_ASSIGN_OR_RETURN(DecodedSection s, DecodeSection(bytes.substr(pos, len), where));
    out.push_back(std::move(s));
    pos += len;
  }
  if (pos != bytes.size()) return Internal("corrupt WAL chunk {}: trailing bytes", where);
  return out;
}

}  // namespace tv::store

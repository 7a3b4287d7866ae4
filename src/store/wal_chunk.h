// WAL chunks: the bytes of one group commit, one section per object. The
// format is specified in docs/storage-format.md ("WAL chunk").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/xact.h"

namespace tv::store {

// Chunk keys in object storage: "wal/<first xact>-<8 hex>.tvwal"
// (docs/storage-format.md, "Objects and keys"); the xact prefix makes
// listings time-ordered. Every chunk key is built by WalChunkKey.
inline constexpr std::string_view kWalPrefix = "wal/";
// The key of a new chunk whose first xact is `first`; `tag` is its 8 hex
// digits (random when empty).
std::string WalChunkKey(XactId first, std::string_view tag = {});
// The first xact a chunk key names.
Result<XactId> WalChunkFirstXact(std::string_view key);

// Where one object's section sits in a chunk (what the catalog records).
struct SectionInfo {
  std::string object_id;
  uint64_t offset = 0;
  uint64_t length = 0;
  XactId min_xact = 0;
  XactId max_xact = 0;
  uint32_t row_count = 0;
};

// Builds a chunk section by section.
class ChunkBuilder {
 public:
  // `compress`: zstd section payloads that shrink (false: store them raw).
  explicit ChunkBuilder(bool compress = true);
  // `jsonl` is the section's rows, one JSON object per line, in xact order.
  void AddSection(std::string_view object_id, std::string_view jsonl, uint32_t row_count, XactId min_xact,
                  XactId max_xact);
  // The finished chunk; the builder is spent.
  std::string Finish();
  const std::vector<SectionInfo>& sections() const { return sections_; }

 private:
  bool compress_;
  std::string buf_;
  std::vector<SectionInfo> sections_;
};

struct DecodedSection {
  std::string object_id;
  std::string jsonl;  // decompressed payload
  uint32_t row_count = 0;
  XactId min_xact = 0;
  XactId max_xact = 0;
};

// Decodes one section (exactly the bytes the catalog points at), verifying
// magic, version, lengths and checksum. Corrupt bytes are Internal, naming
// `where` (the chunk key).
Result<DecodedSection> DecodeSection(std::string_view bytes, std::string_view where);

// The non-empty lines of a section's JSON Lines payload.
std::vector<std::string_view> JsonLines(std::string_view jsonl);

// The object ids of a chunk's sections, read from the section headers alone
// (no checksum check, no decompression); stops at the first malformed one.
std::vector<std::string> ChunkObjectIds(std::string_view bytes);

// Decodes a whole chunk (recovery tools and tests).
Result<std::vector<DecodedSection>> DecodeChunk(std::string_view bytes, std::string_view where);

}  // namespace tv::store

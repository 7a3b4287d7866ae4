#include "store/repair.h"

#include "store/block_cache.h"
#include "store/segment.h"
#include "store/wal_chunk.h"

namespace tv::store {
namespace {

// Collects what a segment reports instead of recording it.
class Collector final : public QuarantineSink {
 public:
  explicit Collector(std::vector<QuarantineRecord>& out) : out_(out) {}
  Status Record(QuarantineRecord record) override {
    out_.push_back(std::move(record));
    return Status::Ok();
  }

 private:
  std::vector<QuarantineRecord>& out_;
};

}  // namespace

Result<std::vector<QuarantineRecord>> FindUndecodable(Catalog& catalog, objstore::ObjectStore& objects,
                                                      const std::string& object_id) {
  std::vector<QuarantineRecord> out;
  TV_ASSIGN_OR_RETURN(std::vector<SectionRef> sections, catalog.Sections(object_id));
  for (const auto& ref : sections) {
    TV_ASSIGN_OR_RETURN(std::string bytes, objects.Get(ref.chunk_key, objstore::ByteRange{ref.offset, ref.length}));
    TV_ASSIGN_OR_RETURN(DecodedSection section, DecodeSection(bytes, ref.chunk_key));
    std::vector<std::string_view> lines = JsonLines(section.jsonl);
    for (size_t i = 0; i < lines.size(); ++i) {
      json::object row;
      std::optional<std::string> bad = UndecodableReason(lines[i], &row);
      if (!bad && !ParseXact(StringField(row, "_xact_id"), "_xact_id").ok()) bad = "the row has no valid _xact_id";
      if (bad)
        out.push_back({object_id,
                       ref.chunk_key,
                       static_cast<int64_t>(i),
                       StringField(row, "id"),
                       0,
                       *bad,
                       std::string(lines[i]),
                       {}});
    }
  }
  TV_ASSIGN_OR_RETURN(SegmentSet set, catalog.LoadSegmentSet(object_id));
  BlockCache blocks(size_t{64} << 20);
  Collector collector(out);
  for (const auto& meta : set.segments) {
    TV_ASSIGN_OR_RETURN(std::string bytes, objects.Get(meta.key, std::nullopt));
    uint64_t size = bytes.size();
    TV_ASSIGN_OR_RETURN(auto seg,
                        Segment::Open(meta.key, size, MemorySegmentFile(std::move(bytes)), blocks, &collector));
    for (uint32_t r = 0; r < seg->rows(); ++r) TV_RETURN_IF_ERROR(seg->Row(r).status());
  }
  return out;
}

}  // namespace tv::store

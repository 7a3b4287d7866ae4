#include "store/purge.h"

#include <set>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>

#include "store/retry.h"
#include "store/span_store.h"

namespace tv::store {
namespace {

constexpr std::chrono::milliseconds kStorageDeadline{20000};

// Attachment references anywhere in a row: {"type": "braintrust_attachment", "key": ...}.
void CollectAttachments(const json::value& v, std::set<std::string>& keys) {
  if (const json::object* o = v.if_object()) {
    const auto* type = o->if_contains("type");
    const auto* key = o->if_contains("key");
    if (type && type->is_string() && type->get_string() == "braintrust_attachment" && key && key->is_string())
      keys.insert(std::string(key->get_string()));
    for (const auto& kv : *o) CollectAttachments(kv.value(), keys);
  } else if (const json::array* a = v.if_array()) {
    for (const auto& e : *a) CollectAttachments(e, keys);
  }
}

struct Line {
  std::string_view text;
  json::object row;
  bool undecodable = false;  // quarantined: kept or dropped by its text alone
};

// The section's rows; one that cannot be decoded is recorded in the
// quarantine (once) and kept as text.
Result<std::vector<Line>> ParseLines(std::string_view jsonl, const std::string& object_id, const std::string& chunk_key,
                                     QuarantineSink& quarantine) {
  std::vector<Line> out;
  std::vector<std::string_view> lines = JsonLines(jsonl);
  for (size_t i = 0; i < lines.size(); ++i) {
    Line l{lines[i], {}, false};
    if (std::optional<std::string> bad = UndecodableReason(lines[i], &l.row)) {
      TV_RETURN_IF_ERROR(quarantine.Record({object_id,
                                            chunk_key,
                                            static_cast<int64_t>(i),
                                            StringField(l.row, "id"),
                                            0,
                                            *bad,
                                            std::string(lines[i]),
                                            {}}));
      l.undecodable = true;
    }
    out.push_back(std::move(l));
  }
  return out;
}

// Whether a quarantined line is a version of one of `ids`: by the id its text
// parsed to when it parsed at all, else by an exact `"id":<id>` in the text
// (as the writer serializes it) — never by a mere mention of the id.
template <class Ids>
bool QuarantinedLineOf(const Line& l, const Ids& ids) {
  std::string own = StringField(l.row, "id");
  for (const auto& id : ids) {
    if (!own.empty() ? own == id : l.text.find(QuarantinedIdText(id)) != std::string_view::npos) return true;
  }
  return false;
}

// A quarantined line's _xact_id, read from its text (the writer puts it
// first), or 0.
XactId LeadingXact(std::string_view text) {
  constexpr std::string_view kLead = "{\"_xact_id\":\"";
  if (!text.starts_with(kLead) || text.size() < kLead.size() + 19) return 0;
  Result<XactId> x = ParseXact(text.substr(kLead.size(), 19), "_xact_id");
  return x.ok() ? *x : 0;
}

// Whether the chunk `bytes` has a section of `object_id` (headers only).
bool ChunkHolds(std::string_view bytes, std::string_view object_id) {
  for (const auto& id : ChunkObjectIds(bytes))
    if (id == object_id) return true;
  return false;
}

}  // namespace

json::object PurgeReceipt::ToJson() const {
  return json::object{{"object_id", object_id},
                      {"ids", json::value_from(ids)},
                      {"versions_removed", versions_removed},
                      {"segments_rewritten", segments_rewritten},
                      {"chunks_rewritten", chunks_rewritten},
                      {"objects_deleted", objects_deleted},
                      {"bytes_deleted", bytes_deleted},
                      {"attachment_keys", json::value_from(attachment_keys)}};
}

namespace {

// One purge of one object, phase by phase. Each phase reads what the ones
// before it found; SpanStore::Purge runs them in order, exclusive of
// compaction.
class ObjectPurge {
 public:
  ObjectPurge(const PurgeRequest& req, Catalog& catalog, objstore::ObjectStore& objects, SegmentCache& segments,
              Compactor& compactor, QuarantineLog& quarantine, TailCache& tails, const Clock& clock, bool compress)
      : req_(req),
        catalog_(catalog),
        objects_(objects),
        segments_(segments),
        compactor_(compactor),
        quarantine_(quarantine),
        tails_(tails),
        compress_(compress),
        now_(FormatTimestamp(clock.NowMicros())),
        purged_(req.ids.begin(), req.ids.end()) {
    receipt_.object_id = req.object_id;
  }

  Result<PurgeReceipt> Run() {
    TV_RETURN_IF_ERROR(Survey());
    TV_RETURN_IF_ERROR(RewriteSegments());
    TV_RETURN_IF_ERROR(RewriteChunks());
    TV_RETURN_IF_ERROR(DeleteOldBytes());
    TV_RETURN_IF_ERROR(Forget());
    receipt_.ids.assign(purged_.begin(), purged_.end());
    receipt_.attachment_keys.assign(attachments_.begin(), attachments_.end());
    return std::move(receipt_);
  }

 private:
  // A quarantined WAL line that names a purged row carries this id in its
  // parsed stand-in (never a real row id: it has a NUL).
  static const std::string& QuarantinedDoomed() {
    static const std::string kId = std::string("\0quarantined", 12);
    return kId;
  }
  bool Doomed(std::string_view id) const {
    return req_.all || id == QuarantinedDoomed() || purged_.count(std::string(id));
  }
  const std::string& object_id() const { return req_.object_id; }

  // What there is: the set's segments and the object's WAL sections, parsed;
  // and the ids to purge, grown by the comments on them.
  Status Survey() {
    TV_ASSIGN_OR_RETURN(set_, catalog_.LoadSegmentSet(object_id()));
    for (const auto& meta : set_.segments) {
      TV_ASSIGN_OR_RETURN(auto seg, segments_.Open(meta.key, meta.bytes));
      segments_open_.push_back(std::move(seg));
    }
    TV_ASSIGN_OR_RETURN(sections_, catalog_.Sections(object_id()));
    for (const auto& ref : sections_) {
      std::string bytes;
      TV_RETURN_IF_ERROR(RetryUnavailable("read " + ref.chunk_key, kStorageDeadline, [&]() -> Status {
        TV_ASSIGN_OR_RETURN(bytes, objects_.Get(ref.chunk_key, objstore::ByteRange{ref.offset, ref.length}));
        return Status::Ok();
      }));
      TV_ASSIGN_OR_RETURN(DecodedSection section, DecodeSection(bytes, ref.chunk_key));
      TV_ASSIGN_OR_RETURN(auto lines, ParseLines(section.jsonl, object_id(), ref.chunk_key, quarantine_));
      // A quarantined line goes with the purged row it is a version of.
      for (auto& l : lines) {
        if (l.undecodable && (req_.all || QuarantinedLineOf(l, purged_))) l.row["id"] = QuarantinedDoomed();
        l.text = {};  // keep the parsed rows but not views into the section dropped here
      }
      section_lines_.push_back(std::move(lines));
    }
    if (!req_.all) AddComments();
    return Status::Ok();
  }

  // Comments on a purged row are purged with it.
  void AddComments() {
    for (const auto& seg : segments_open_)
      for (uint32_t r = 0; r < seg->rows(); ++r)
        if (seg->comment(r) && purged_.count(std::string(seg->comment_target(r))))
          purged_.insert(std::string(seg->id(r)));
    for (const auto& lines : section_lines_)
      for (const auto& l : lines)
        if (std::string_view t = CommentTarget(l.row); !t.empty() && purged_.count(std::string(t)))
          purged_.insert(StringField(l.row, "id"));
  }

  // Phase 1: every segment holding a purged id is rewritten without it, and
  // the set swapped (CAS) to the rewritten ones.
  Status RewriteSegments() {
    SetChange change;
    change.through = set_.through;
    change.history_from = set_.history_from;
    change.now = now_;
    change.delete_after = now_;
    std::vector<std::string> written;
    for (size_t s = 0; s < segments_open_.size(); ++s) {
      TV_ASSIGN_OR_RETURN(std::optional<SegmentMeta> meta,
                          RewriteSegment(*segments_open_[s], set_.segments[s], change));
      if (!meta) continue;
      written.push_back(meta->key);
      change.add.push_back(std::move(*meta));
    }
    if (change.remove.empty()) return Status::Ok();
    Status cas = catalog_.CommitSetChange(set_, change);
    if (cas.ok()) return cas;
    for (const auto& key : written) (void)objects_.Delete(key);
    return cas.code() == StatusCode::kAlreadyExists ? Unavailable("the object changed during the purge; retry it")
                                                    : cas;
  }

  // One segment without its purged states: nullopt when it holds none, or
  // when nothing is left of it (it just goes); the old key joins
  // `change.remove` either way it changes.
  Result<std::optional<SegmentMeta>> RewriteSegment(const Segment& seg, const SegmentMeta& old, SetChange& change) {
    uint64_t drop = 0;
    for (uint32_t r = 0; r < seg.rows(); ++r) drop += Doomed(seg.id(r)) ? 1 : 0;
    if (drop == 0) return std::optional<SegmentMeta>();
    receipt_.versions_removed += drop;
    change.remove.push_back(old.key);
    const CompactorOptions& copts = compactor_.options();
    SegmentWriter writer(object_id(), seg.min_xact(), seg.max_xact(), copts.block_bytes, copts.compress);
    for (uint32_t r = 0; r < seg.rows(); ++r) {
      TV_ASSIGN_OR_RETURN(RowPtr row, seg.Row(r));
      if (Doomed(seg.id(r))) {
        if (row) CollectAttachments(*row, attachments_);
        continue;
      }
      TV_RETURN_IF_ERROR(writer.Add({seg.xact(r), std::string(seg.id(r)), row}));
    }
    if (writer.rows() == 0) return std::optional<SegmentMeta>();
    TV_ASSIGN_OR_RETURN(SegmentMeta meta, compactor_.WriteSegment(object_id(), writer.Finish(), "purge into"));
    ++receipt_.segments_rewritten;
    return std::optional<SegmentMeta>(std::move(meta));
  }

  // Phase 2: every WAL chunk holding a version of a purged id is rewritten
  // without it (other objects' sections copied unchanged) and the catalog
  // repointed to the new chunk.
  Status RewriteChunks() {
    std::set<std::string> chunks;
    for (size_t i = 0; i < sections_.size(); ++i)
      for (const auto& l : section_lines_[i])
        if (Doomed(StringField(l.row, "id"))) chunks.insert(sections_[i].chunk_key);
    for (const auto& chunk_key : chunks) TV_RETURN_IF_ERROR(RewriteChunk(chunk_key));
    return Status::Ok();
  }

  Status RewriteChunk(const std::string& chunk_key) {
    std::string bytes;
    TV_RETURN_IF_ERROR(RetryUnavailable("read " + chunk_key, kStorageDeadline, [&]() -> Status {
      TV_ASSIGN_OR_RETURN(bytes, objects_.Get(chunk_key));
      return Status::Ok();
    }));
    TV_ASSIGN_OR_RETURN(std::vector<DecodedSection> decoded, DecodeChunk(bytes, chunk_key));
    ChunkBuilder builder(compress_);
    XactId first = 0;
    for (const auto& section : decoded) {
      if (section.object_id != object_id()) {
        builder.AddSection(section.object_id, section.jsonl, section.row_count, section.min_xact, section.max_xact);
        first = first ? std::min(first, section.min_xact) : section.min_xact;
        continue;
      }
      TV_ASSIGN_OR_RETURN(std::optional<XactId> lo, AddKeptLines(section, chunk_key, builder));
      if (lo) first = first ? std::min(first, *lo) : *lo;
    }
    ChunkRewrite with;
    with.sections = builder.sections();
    std::string rewritten = builder.Finish();
    if (!with.sections.empty()) {
      with.key = WalChunkKey(first);
      with.bytes = rewritten.size();
      TV_RETURN_IF_ERROR(
          RetryUnavailable("put " + with.key, kStorageDeadline, [&] { return objects_.Put(with.key, rewritten); }));
    }
    TV_RETURN_IF_ERROR(catalog_.ReplaceChunk(chunk_key, with, now_));
    ++receipt_.chunks_rewritten;
    return Status::Ok();
  }

  // Adds this object's section of a chunk without its purged versions, and
  // returns the section's lowest xact (nullopt when nothing is left).
  Result<std::optional<XactId>> AddKeptLines(const DecodedSection& section, const std::string& chunk_key,
                                             ChunkBuilder& builder) {
    TV_ASSIGN_OR_RETURN(auto lines, ParseLines(section.jsonl, object_id(), chunk_key, quarantine_));
    std::string kept;
    uint32_t rows = 0;
    XactId lo = 0, hi = 0;
    for (const auto& l : lines) {
      bool names_purged = l.undecodable && QuarantinedLineOf(l, purged_);
      if (names_purged || Doomed(l.undecodable ? std::string_view() : std::string_view(StringField(l.row, "id")))) {
        CollectAttachments(l.row, attachments_);
        ++receipt_.versions_removed;
        continue;
      }
      XactId x = 0;
      if (l.undecodable) {
        x = LeadingXact(l.text);
        if (!x) x = section.max_xact;  // keeps the section's range
      } else {
        TV_ASSIGN_OR_RETURN(x, ParseXact(StringField(l.row, "_xact_id"), "_xact_id"));
      }
      lo = lo ? std::min(lo, x) : x;
      hi = std::max(hi, x);
      kept.append(l.text);
      kept += '\n';
      ++rows;
    }
    if (rows == 0) return std::optional<XactId>();
    builder.AddSection(object_id(), kept, rows, lo, hi);
    return std::optional<XactId>(lo);
  }

  // Phase 3: the old bytes go now — the objects this purge replaced, and any
  // superseded object that may still hold the rows: every unreferenced WAL
  // chunk with a section of this object and every old segment of it — even
  // before their grace period ends. Other objects' garbage keeps its grace
  // period and stays out of the receipt.
  Status DeleteOldBytes() {
    std::string segment_prefix = SegmentPrefix(object_id());
    TV_ASSIGN_OR_RETURN(std::vector<Garbage> garbage, catalog_.DueGarbage("9999", 1000000));
    for (const auto& g : garbage) {
      bool holds_rows = g.key.starts_with(segment_prefix);
      if (g.key.starts_with(kWalPrefix)) {
        Result<std::string> bytes = objects_.Get(g.key);
        if (!bytes.ok() && bytes.status().code() == StatusCode::kNotFound) {
          (void)catalog_.ForgetGarbage(g.key);  // already gone
          continue;
        }
        TV_RETURN_IF_ERROR(bytes.status());
        holds_rows = ChunkHolds(*bytes, object_id());
      }
      if (!holds_rows) continue;
      TV_ASSIGN_OR_RETURN(std::vector<objstore::ObjectEntry> listed, objects_.List(g.key));
      for (const auto& e : listed)
        if (e.key == g.key) receipt_.bytes_deleted += e.size;
      TV_RETURN_IF_ERROR(compactor_.DeleteGarbage(g.key));
      ++receipt_.objects_deleted;
    }
    return Status::Ok();
  }

  // Phase 4: the quarantine's copies of purged rows go too, and the
  // object's tail is dropped (the block and segment caches forgot the old
  // segments as they were deleted).
  Status Forget() {
    std::vector<std::string> forgotten(purged_.begin(), purged_.end());
    TV_RETURN_IF_ERROR(quarantine_.Forget(object_id(), req_.all ? nullptr : &forgotten));
    segments_open_.clear();
    tails_.Invalidate(object_id());
    return Status::Ok();
  }

  const PurgeRequest& req_;
  Catalog& catalog_;
  objstore::ObjectStore& objects_;
  SegmentCache& segments_;
  Compactor& compactor_;
  QuarantineLog& quarantine_;
  TailCache& tails_;
  const bool compress_;
  const std::string now_;
  std::set<std::string> purged_;  // the requested ids, then the comments on them
  std::set<std::string> attachments_;
  SegmentSet set_;
  std::vector<std::shared_ptr<const Segment>> segments_open_;  // set_'s, in its order
  std::vector<SectionRef> sections_;
  std::vector<std::vector<Line>> section_lines_;  // per section
  PurgeReceipt receipt_;
};

}  // namespace

Result<PurgeReceipt> SpanStore::Purge(const PurgeRequest& req) {
  Compactor::ExclusiveScope exclusive(*compactor_);
  return ObjectPurge(req, catalog_, objects_, segments_, *compactor_, quarantine_, tails_, clock_,
                     options_.writer.compress)
      .Run();
}

}  // namespace tv::store

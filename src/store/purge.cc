#include "store/purge.h"

#include <set>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/value_from.hpp>

#include "crypto/crypto.h"
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

Result<PurgeReceipt> SpanStore::Purge(const PurgeRequest& req) {
  auto exclusive = compactor_->Exclusive();
  const std::string& object_id = req.object_id;
  meta::MetaStore& db = catalog_.db();
  PurgeReceipt receipt;
  receipt.object_id = object_id;
  std::set<std::string> purged(req.ids.begin(), req.ids.end());
  std::set<std::string> attachments;
  // A quarantined WAL line that names a purged row carries this id in its
  // parsed stand-in (never a real row id: it has a NUL).
  static const std::string kQuarantinedDoomed = std::string("\0quarantined", 12);
  auto doomed = [&](std::string_view id) {
    return req.all || id == kQuarantinedDoomed || purged.count(std::string(id));
  };

  // What there is: the set's segments and the WAL sections of the object.
  TV_ASSIGN_OR_RETURN(SegmentSet set, LoadSegmentSet(db, object_id));
  std::vector<std::shared_ptr<const Segment>> segments;
  for (const auto& meta : set.segments) {
    TV_ASSIGN_OR_RETURN(auto seg, segments_.Open(meta.key, meta.bytes));
    segments.push_back(std::move(seg));
  }
  TV_ASSIGN_OR_RETURN(std::vector<SectionRef> sections, catalog_.Sections(object_id));
  std::vector<std::vector<Line>> section_lines;
  for (const auto& ref : sections) {
    std::string bytes;
    TV_RETURN_IF_ERROR(RetryUnavailable("read " + ref.chunk_key, kStorageDeadline, [&]() -> Status {
      TV_ASSIGN_OR_RETURN(bytes, objects_.Get(ref.chunk_key, objstore::ByteRange{ref.offset, ref.length}));
      return Status::Ok();
    }));
    TV_ASSIGN_OR_RETURN(DecodedSection section, DecodeSection(bytes, ref.chunk_key));
    TV_ASSIGN_OR_RETURN(auto lines, ParseLines(section.jsonl, object_id, ref.chunk_key, quarantine_));
    // A quarantined line goes with the purged row it is a version of.
    for (auto& l : lines) {
      if (l.undecodable && (req.all || QuarantinedLineOf(l, purged))) l.row["id"] = kQuarantinedDoomed;
      l.text = {};  // keep the parsed rows but not views into the section dropped here
    }
    section_lines.push_back(std::move(lines));
  }
  // Comments on a purged row are purged with it.
  if (!req.all) {
    for (const auto& seg : segments)
      for (uint32_t r = 0; r < seg->rows(); ++r)
        if (seg->comment(r) && purged.count(std::string(seg->comment_target(r))))
          purged.insert(std::string(seg->id(r)));
    for (const auto& lines : section_lines)
      for (const auto& l : lines)
        if (std::string_view t = CommentTarget(l.row); !t.empty() && purged.count(std::string(t)))
          purged.insert(StringField(l.row, "id"));
  }

  // 1. Segments: rewrite each one that holds a purged id.
  std::string now = FormatTimestamp(clock_.NowMicros());
  SetChange change;
  change.through = set.through;
  change.history_from = set.history_from;
  change.now = now;
  change.delete_after = now;
  const CompactorOptions& copts = compactor_->options();
  std::vector<std::string> written;
  for (size_t s = 0; s < segments.size(); ++s) {
    const Segment& seg = *segments[s];
    uint64_t drop = 0;
    for (uint32_t r = 0; r < seg.rows(); ++r) drop += doomed(seg.id(r)) ? 1 : 0;
    if (drop == 0) continue;
    receipt.versions_removed += drop;
    change.remove.push_back(set.segments[s].key);
    SegmentWriter writer(object_id, seg.min_xact(), seg.max_xact(), copts.block_bytes, copts.compress);
    for (uint32_t r = 0; r < seg.rows(); ++r) {
      TV_ASSIGN_OR_RETURN(RowPtr row, seg.Row(r));
      if (doomed(seg.id(r))) {
        if (row) CollectAttachments(*row, attachments);
        continue;
      }
      TV_RETURN_IF_ERROR(writer.Add({seg.xact(r), std::string(seg.id(r)), row}));
    }
    if (writer.rows() == 0) continue;  // nothing left: the segment just goes
    BuiltSegment built = writer.Finish();
    TV_ASSIGN_OR_RETURN(SegmentMeta meta, compactor_->WriteSegment(object_id, std::move(built), "purge into"));
    written.push_back(meta.key);
    change.add.push_back(std::move(meta));
    ++receipt.segments_rewritten;
  }
  if (!change.remove.empty()) {
    Status cas = CommitSetChange(db, set, change);
    if (!cas.ok()) {
      for (const auto& key : written) (void)objects_.Delete(key);
      return cas.code() == StatusCode::kAlreadyExists ? Unavailable("the object changed during the purge; retry it")
                                                      : cas;
    }
  }

  // 2. WAL chunks: rewrite each one with a version of a purged id.
  std::set<std::string> chunks;
  for (size_t i = 0; i < sections.size(); ++i)
    for (const auto& l : section_lines[i])
      if (doomed(StringField(l.row, "id"))) chunks.insert(sections[i].chunk_key);
  for (const auto& chunk_key : chunks) {
    std::string bytes;
    TV_RETURN_IF_ERROR(RetryUnavailable("read " + chunk_key, kStorageDeadline, [&]() -> Status {
      TV_ASSIGN_OR_RETURN(bytes, objects_.Get(chunk_key));
      return Status::Ok();
    }));
    TV_ASSIGN_OR_RETURN(std::vector<DecodedSection> decoded, DecodeChunk(bytes, chunk_key));
    ChunkBuilder builder(options_.writer.compress);
    XactId first = 0;
    for (const auto& section : decoded) {
      if (section.object_id != object_id) {
        builder.AddSection(section.object_id, section.jsonl, section.row_count, section.min_xact, section.max_xact);
        first = first ? std::min(first, section.min_xact) : section.min_xact;
        continue;
      }
      TV_ASSIGN_OR_RETURN(auto lines, ParseLines(section.jsonl, object_id, chunk_key, quarantine_));
      std::string kept;
      uint32_t rows = 0;
      XactId lo = 0, hi = 0;
      for (const auto& l : lines) {
        bool names_purged = l.undecodable && QuarantinedLineOf(l, purged);
        if (names_purged || doomed(l.undecodable ? std::string_view() : std::string_view(StringField(l.row, "id")))) {
          CollectAttachments(l.row, attachments);
          ++receipt.versions_removed;
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
      if (rows == 0) continue;
      builder.AddSection(object_id, kept, rows, lo, hi);
      first = first ? std::min(first, lo) : lo;
    }
    std::vector<SectionInfo> infos = builder.sections();
    std::string rewritten = builder.Finish();
    std::string new_key;
    if (!infos.empty()) {
      new_key = fmt::format("wal/{}-{}.tvwal", FormatXact(first), crypto::HexEncode(crypto::RandomBytes(4)));
      TV_RETURN_IF_ERROR(
          RetryUnavailable("put " + new_key, kStorageDeadline, [&] { return objects_.Put(new_key, rewritten); }));
    }
    TV_RETURN_IF_ERROR(db.Transaction([&](meta::MetaStore& tx) -> Status {
      TV_ASSIGN_OR_RETURN(meta::Rows old, tx.Query("SELECT bytes, min_xact, max_xact, created FROM wal_chunk "
                                                   "WHERE chunk_key = $1",
                                                   {chunk_key}));
      if (old.empty()) return Unavailable("WAL chunk {} changed during the purge; retry it", chunk_key);
      TV_RETURN_IF_ERROR(tx.Execute("DELETE FROM wal_section WHERE chunk_key = $1", {chunk_key}).status());
      TV_RETURN_IF_ERROR(tx.Execute("DELETE FROM wal_chunk WHERE chunk_key = $1", {chunk_key}).status());
      if (!new_key.empty()) {
        TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO wal_chunk (chunk_key, bytes, min_xact, max_xact, created) "
                                      "VALUES ($1, $2, $3, $4, $5)",
                                      {new_key, static_cast<int64_t>(rewritten.size()), old.Int(0, "min_xact"),
                                       old.Int(0, "max_xact"), old.Text(0, "created")})
                               .status());
        for (const auto& s : infos) {
          TV_RETURN_IF_ERROR(tx.Execute("INSERT INTO wal_section (object_id, min_xact, chunk_key, byte_offset, "
                                        "byte_length, max_xact, row_count) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                        {s.object_id, static_cast<int64_t>(s.min_xact), new_key,
                                         static_cast<int64_t>(s.offset), static_cast<int64_t>(s.length),
                                         static_cast<int64_t>(s.max_xact), static_cast<int64_t>(s.row_count)})
                                 .status());
        }
      }
      return AddGarbage(tx, chunk_key, now, "purged WAL chunk");
    }));
    ++receipt.chunks_rewritten;
  }

  // 3. The old bytes go now, and every cache forgets them: the objects this
  // purge replaced, and any superseded object that may still hold the rows —
  // every unreferenced WAL chunk and every old segment of this object — even
  // before its grace period ends.
  // Only this object's: other objects' garbage keeps its grace period and
  // stays out of the receipt.
  std::string segment_prefix = SegmentPrefix(object_id);
  TV_ASSIGN_OR_RETURN(std::vector<Garbage> garbage, DueGarbage(db, "9999", 1000000));
  for (const auto& g : garbage) {
    bool holds_rows = g.key.starts_with(segment_prefix);
    if (g.key.starts_with("wal/")) {
      Result<std::string> bytes = objects_.Get(g.key);
      if (!bytes.ok() && bytes.status().code() == StatusCode::kNotFound) {
        (void)ForgetGarbage(db, g.key);  // already gone
        continue;
      }
      TV_RETURN_IF_ERROR(bytes.status());
      holds_rows = ChunkHolds(*bytes, object_id);
    }
    if (!holds_rows) continue;
    TV_ASSIGN_OR_RETURN(std::vector<objstore::ObjectEntry> listed, objects_.List(g.key));
    for (const auto& e : listed)
      if (e.key == g.key) receipt.bytes_deleted += e.size;
    TV_RETURN_IF_ERROR(compactor_->DeleteGarbage(g.key));
    ++receipt.objects_deleted;
  }
  // The quarantine's copies of purged rows go too.
  std::vector<std::string> forgotten(purged.begin(), purged.end());
  TV_RETURN_IF_ERROR(quarantine_.Forget(db, object_id, req.all ? nullptr : &forgotten));
  segments.clear();
  tails_.Invalidate(object_id);
  receipt.ids.assign(purged.begin(), purged.end());
  receipt.attachment_keys.assign(attachments.begin(), attachments.end());
  return receipt;
}

}  // namespace tv::store

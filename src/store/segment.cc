#include "store/segment.h"

#include <algorithm>

#include <fmt/format.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "store/codec.h"
#include "text/tokenizer.h"

namespace tv::store {
namespace {

using segfmt::kJsonColumnCount;
using segfmt::kJsonColumns;
using segfmt::kRestColumn;

Status Corrupt(std::string_view where, std::string_view what) {
  return Internal("corrupt segment {}: {}", where, what);
}

Result<XactId> XactField(const json::object& o, std::string_view key, std::string_view where) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return Corrupt(where, "the directory lacks " + std::string(key));
  return ParseXact(v->as_string(), key);
}

class MemoryFile : public SegmentFile {
 public:
  explicit MemoryFile(std::string bytes) : bytes_(std::move(bytes)) {}
  Result<std::string> Read(uint64_t offset, uint64_t length) const override {
    if (offset > bytes_.size() || length > bytes_.size() - offset) return Internal("segment read past its end");
    return bytes_.substr(offset, length);
  }

 private:
  std::string bytes_;
};

}  // namespace

std::shared_ptr<const SegmentFile> MemorySegmentFile(std::string bytes) {
  return std::make_shared<MemoryFile>(std::move(bytes));
}

Result<std::string> Segment::ReadPart(const segfmt::PartRef& ref) const {
  TV_ASSIGN_OR_RETURN(std::string stored, file_->Read(ref.offset, ref.length));
  return segfmt::DecodePart(stored, ref, key_);
}

Result<std::shared_ptr<const Segment>> Segment::Open(std::string key, uint64_t size,
                                                     std::shared_ptr<const SegmentFile> file, BlockCache& blocks,
                                                     QuarantineSink* quarantine) {
  std::shared_ptr<Segment> s(new Segment());
  s->quarantine_ = quarantine;
  s->key_ = std::move(key);
  s->file_ = std::move(file);
  s->blocks_cache_ = &blocks;
  const std::string& where = s->key_;
  if (size < segfmt::kHeaderSize + segfmt::kTrailerSize) return Corrupt(where, "too short");
  TV_ASSIGN_OR_RETURN(std::string header, s->file_->Read(0, segfmt::kHeaderSize));
  if (header != segfmt::Header()) return Corrupt(where, "bad header or unsupported version");
  TV_ASSIGN_OR_RETURN(std::string tail, s->file_->Read(size - segfmt::kTrailerSize, segfmt::kTrailerSize));
  TV_ASSIGN_OR_RETURN(segfmt::Trailer t, segfmt::DecodeTrailer(tail, where));
  if (t.dir_offset + t.dir_length > size - segfmt::kTrailerSize) return Corrupt(where, "the directory is out of range");
  TV_ASSIGN_OR_RETURN(std::string dir_text,
                      s->ReadPart({t.dir_offset, t.dir_length, t.dir_raw_length, t.dir_checksum, true}));
  boost::system::error_code ec;
  json::value dir_value = json::parse(dir_text, ec);
  if (ec || !dir_value.is_object()) return Corrupt(where, "the directory is not a JSON object");
  const json::object& dir = dir_value.as_object();
  s->object_id_ = StringField(dir, "object_id");
  TV_ASSIGN_OR_RETURN(s->min_xact_, XactField(dir, "min_xact", where));
  TV_ASSIGN_OR_RETURN(s->max_xact_, XactField(dir, "max_xact", where));
  const auto* rows_v = dir.if_contains("rows");
  const auto* columns_v = dir.if_contains("columns");
  const auto* blocks_v = dir.if_contains("blocks");
  if (!rows_v || !rows_v->is_number() || !columns_v || !columns_v->is_object() || !blocks_v || !blocks_v->is_array())
    return Corrupt(where, "the directory is incomplete");
  size_t rows = rows_v->to_number<uint64_t>();
  const json::object& columns = columns_v->as_object();
  auto column = [&](std::string_view name) -> Result<std::string> {
    const auto* ref = columns.if_contains(name);
    if (!ref) return Corrupt(where, "the directory lacks column " + std::string(name));
    TV_ASSIGN_OR_RETURN(segfmt::PartRef p, segfmt::PartFromJson(*ref, where));
    return s->ReadPart(p);
  };
  auto strings = [&](std::string_view name, segfmt::StringColumn& out) -> Status {
    TV_ASSIGN_OR_RETURN(std::string raw, column(name));
    TV_ASSIGN_OR_RETURN(out, segfmt::StringColumn::Decode(std::move(raw), where));
    if (out.size() != rows) return Corrupt(where, "column " + std::string(name) + " has the wrong row count");
    return Status::Ok();
  };
  TV_RETURN_IF_ERROR(strings("id", s->ids_));
  TV_RETURN_IF_ERROR(strings("root_span_id", s->roots_));
  TV_RETURN_IF_ERROR(strings("comment_target", s->targets_));
  TV_ASSIGN_OR_RETURN(std::string raw, column("xact"));
  TV_ASSIGN_OR_RETURN(s->xacts_, segfmt::DecodeDescending(raw, rows, where));
  TV_ASSIGN_OR_RETURN(raw, column("created"));
  TV_ASSIGN_OR_RETURN(s->created_, segfmt::DecodeI64(raw, rows, where));
  TV_ASSIGN_OR_RETURN(s->flags_, column("flags"));
  if (s->flags_.size() != rows) return Corrupt(where, "the flags column has the wrong row count");
  TV_ASSIGN_OR_RETURN(raw, column("scores"));
  TV_ASSIGN_OR_RETURN(s->scores_, segfmt::DecodeNumericMap(raw, where));
  TV_ASSIGN_OR_RETURN(raw, column("metrics"));
  TV_ASSIGN_OR_RETURN(s->metrics_, segfmt::DecodeNumericMap(raw, where));
  TV_ASSIGN_OR_RETURN(raw, column("id_index"));
  TV_ASSIGN_OR_RETURN(s->id_index_, segfmt::DecodeHashIndex(raw, where));
  TV_ASSIGN_OR_RETURN(raw, column("root_index"));
  TV_ASSIGN_OR_RETURN(s->root_index_, segfmt::DecodeHashIndex(raw, where));
  for (const auto& e : s->id_index_)
    if (e.row >= rows) return Corrupt(where, "the id index points past the rows");
  for (const auto& e : s->root_index_)
    if (e.row >= rows) return Corrupt(where, "the trace index points past the rows");

  uint32_t next_row = 0;
  for (const auto& bv : blocks_v->as_array()) {
    const json::object* bo = bv.if_object();
    const json::object* parts = bo ? bo->if_contains("parts") ? bo->at("parts").if_object() : nullptr : nullptr;
    if (!parts || !bo->at("first_row").is_number() || !bo->at("rows").is_number())
      return Corrupt(where, "a block entry is malformed");
    Block b;
    b.first_row = bo->at("first_row").to_number<uint32_t>();
    b.rows = bo->at("rows").to_number<uint32_t>();
    if (b.first_row != next_row || b.rows == 0) return Corrupt(where, "blocks do not tile the rows");
    next_row += b.rows;
    for (size_t c = 0; c < kJsonColumnCount; ++c) {
      const auto* ref = parts->if_contains(kJsonColumns[c]);
      if (!ref) return Corrupt(where, "a block lacks a column");
      TV_ASSIGN_OR_RETURN(b.parts[c], segfmt::PartFromJson(*ref, where));
    }
    s->blocks_.push_back(b);
  }
  if (next_row != rows) return Corrupt(where, "blocks do not cover the rows");
  if (const auto* f = dir.if_contains("text_fields"); f && f->is_array())
    for (const auto& v : f->as_array())
      if (v.is_string()) s->text_fields_.emplace_back(v.as_string());
  TV_ASSIGN_OR_RETURN(s->terms_ref_,
                      segfmt::PartFromJson(dir.contains("terms") ? dir.at("terms") : json::value(), where));
  TV_ASSIGN_OR_RETURN(s->postings_ref_,
                      segfmt::PartFromJson(dir.contains("postings") ? dir.at("postings") : json::value(), where));

  for (size_t r = 0; r < rows; ++r)
    if (s->flags_[r] & segfmt::kComment) s->comments_.emplace_back(std::string(s->targets_.at(r)), r);
  std::sort(s->comments_.begin(), s->comments_.end());
  s->memory_bytes_ = s->ids_.memory_bytes() + s->roots_.memory_bytes() + s->targets_.memory_bytes() + rows * 17 +
                     (s->id_index_.size() + s->root_index_.size()) * 16 + 4096;
  return std::shared_ptr<const Segment>(std::move(s));
}

std::vector<uint32_t> Segment::Lookup(const std::vector<segfmt::HashEntry>& index, const segfmt::StringColumn& column,
                                      std::string_view value) const {
  std::vector<uint32_t> out;
  uint64_t h = codec::Hash64(value);
  auto it = std::lower_bound(index.begin(), index.end(), h,
                             [](const segfmt::HashEntry& e, uint64_t hash) { return e.hash < hash; });
  for (; it != index.end() && it->hash == h; ++it)
    if (column.at(it->row) == value) out.push_back(it->row);
  return out;
}

std::vector<uint32_t> Segment::RowsWithId(std::string_view id) const { return Lookup(id_index_, ids_, id); }

std::vector<uint32_t> Segment::RowsWithRoot(std::string_view root) const { return Lookup(root_index_, roots_, root); }

std::vector<uint32_t> Segment::CommentsOn(std::string_view id) const {
  std::vector<uint32_t> out;
  auto it = std::lower_bound(comments_.begin(), comments_.end(), id,
                             [](const auto& e, std::string_view v) { return e.first < v; });
  for (; it != comments_.end() && it->first == id; ++it) out.push_back(it->second);
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::shared_ptr<const DecodedBlock>> Segment::BlockColumn(size_t block, size_t column) const {
  std::string cache_key = key_ + "#" + std::to_string(block) + "." + std::to_string(column);
  if (auto hit = blocks_cache_->Get(cache_key)) return hit;
  TV_ASSIGN_OR_RETURN(std::string text, ReadPart(blocks_[block].parts[column]));
  auto decoded = DecodedBlock::FromText(std::move(text));
  if (decoded->lines() != blocks_[block].rows) return Corrupt(key_, "a block has the wrong number of lines");
  blocks_cache_->Put(cache_key, decoded);
  return decoded;
}

Result<RowPtr> Segment::Row(size_t r) const {
  if (r >= rows()) return Internal("segment {}: row {} out of range", key_, r);
  if (tombstone(r)) return RowPtr();
  auto it =
      std::upper_bound(blocks_.begin(), blocks_.end(), r, [](size_t row, const Block& b) { return row < b.first_row; });
  size_t b = static_cast<size_t>(std::prev(it) - blocks_.begin());
  size_t line = r - blocks_[b].first_row;
  std::shared_ptr<const DecodedBlock> cols[kJsonColumnCount];
  TV_ASSIGN_OR_RETURN(cols[kRestColumn], BlockColumn(b, kRestColumn));
  boost::system::error_code ec;
  json::value v = json::parse(cols[kRestColumn]->line(line), ec);
  if (ec || !v.is_object()) return Undecodable(r, "the row is not a JSON object", cols, line);
  json::object& row = v.as_object();
  for (size_t c = 0; c < kRestColumn; ++c) {
    auto field = row.find(kJsonColumns[c]);
    if (field == row.end()) continue;
    TV_ASSIGN_OR_RETURN(cols[c], BlockColumn(b, c));
    field->value() = json::parse(cols[c]->line(line), ec);
    if (ec) return Undecodable(r, fmt::format("its {} is not JSON: {}", kJsonColumns[c], ec.message()), cols, line);
  }
  if (auto path = NonFinitePath(v, "")) return Undecodable(r, "a number JSON cannot carry at " + *path, cols, line);
  return std::make_shared<const json::object>(std::move(row));
}

Result<RowPtr> Segment::Undecodable(size_t r, std::string reason,
                                    const std::shared_ptr<const DecodedBlock> (&cols)[kJsonColumnCount],
                                    size_t line) const {
  if (!quarantine_) return Corrupt(key_, fmt::format("row {} cannot be read: {}", r, reason));
  // The row's text as folding wrote it: the rest with each split field's
  // own text in its placeholder's place.
  std::string raw(cols[kRestColumn]->line(line));
  boost::system::error_code ec;
  json::value rest = json::parse(raw, ec);
  if (!ec && rest.is_object()) {
    json::object& o = rest.as_object();
    std::vector<size_t> present;
    for (size_t c = 0; c < kRestColumn; ++c) {
      auto field = o.find(kJsonColumns[c]);
      if (field == o.end() || !cols[c]) continue;
      field->value() = fmt::format("\x01tv-column-{}\x01", c);
      present.push_back(c);
    }
    raw = json::serialize(o);
    for (size_t c : present) {
      std::string marker = fmt::format("\"\\u0001tv-column-{}\\u0001\"", c);
      if (size_t at = raw.find(marker); at != std::string::npos) raw.replace(at, marker.size(), cols[c]->line(line));
    }
  } else {
    for (size_t c = 0; c < kRestColumn; ++c)
      if (cols[c]) raw += fmt::format("\n{}: {}", kJsonColumns[c], cols[c]->line(line));
  }
  TV_RETURN_IF_ERROR(quarantine_->Record(
      {object_id_, key_, static_cast<int64_t>(r), std::string(id(r)), xact(r), std::move(reason), std::move(raw), {}}));
  return RowPtr();  // set aside: it reads as absent from this state on
}

Status Segment::LoadTerms() const {
  if (terms_) return Status::Ok();
  TV_ASSIGN_OR_RETURN(std::string raw, ReadPart(terms_ref_));
  TV_ASSIGN_OR_RETURN(text::TermIndex index, text::TermIndex::Open(text_fields_, std::move(raw)));
  terms_.emplace(std::move(index));
  return Status::Ok();
}

Result<Roaring> Segment::Postings(std::string_view field, std::string_view term) const {
  std::vector<text::PostingRef> refs;
  {
    MutexLock lock(terms_mu_);
    TV_RETURN_IF_ERROR(LoadTerms());
    if (field.empty()) {
      for (const auto& f : text_fields_)
        if (auto ref = terms_->Find(f, term)) refs.push_back(*ref);
    } else if (auto ref = terms_->Find(field, term)) {
      refs.push_back(*ref);
    }
  }
  Roaring out;
  for (const auto& ref : refs) {
    if (ref.offset + ref.length > postings_ref_.length) return Corrupt(key_, "a posting list is out of range");
    TV_ASSIGN_OR_RETURN(std::string bytes, file_->Read(postings_ref_.offset + ref.offset, ref.length));
    TV_ASSIGN_OR_RETURN(Roaring r, text::DecodePostings(bytes));
    out |= r;
  }
  return out;
}

}  // namespace tv::store

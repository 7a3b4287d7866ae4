#include "store/segment_writer.h"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "common/clock.h"
#include "store/codec.h"
#include "text/tokenizer.h"

namespace tv::store {
namespace {

using segfmt::kJsonColumnCount;
using segfmt::kJsonColumns;
using segfmt::kRestColumn;

std::string_view StringOf(const json::object& row, std::string_view key) {
  const auto* v = row.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

int SplitColumn(std::string_view key) {
  for (size_t c = 0; c < kRestColumn; ++c)
    if (kJsonColumns[c] == key) return static_cast<int>(c);
  return -1;
}

void AppendString(std::string& blob, std::vector<uint32_t>& ends, std::string_view s) {
  blob.append(s);
  ends.push_back(static_cast<uint32_t>(blob.size()));
}

std::vector<std::string_view> Views(const std::string& blob, const std::vector<uint32_t>& ends) {
  std::vector<std::string_view> out;
  out.reserve(ends.size());
  uint32_t start = 0;
  for (uint32_t end : ends) {
    out.push_back(std::string_view(blob).substr(start, end - start));
    start = end;
  }
  return out;
}

void AddNumbers(std::map<std::string, segfmt::NumericColumn, std::less<>>& columns, const json::object& row,
                std::string_view field, uint32_t r) {
  const auto* v = row.if_contains(field);
  if (!v || !v->is_object()) return;
  for (const auto& kv : v->as_object()) {
    if (!kv.value().is_number()) continue;
    auto it = columns.find(std::string_view(kv.key()));
    if (it == columns.end())
      it = columns.emplace(std::string(kv.key()), segfmt::NumericColumn{std::string(kv.key())}).first;
    it->second.rows.push_back(r);
    it->second.values.push_back(kv.value().to_number<double>());
  }
}

std::string NumericPart(const std::map<std::string, segfmt::NumericColumn, std::less<>>& columns) {
  std::vector<segfmt::NumericColumn> list;
  for (const auto& [name, c] : columns) list.push_back(c);
  return segfmt::EncodeNumericMap(list);
}

}  // namespace

SegmentWriter::SegmentWriter(std::string object_id, XactId min_xact, XactId max_xact, size_t block_bytes, bool compress)
    : object_id_(std::move(object_id)),
      min_xact_(min_xact),
      max_xact_(max_xact),
      block_bytes_(block_bytes),
      compress_(compress) {
  file_ = segfmt::Header();
}

Status SegmentWriter::Add(const SegmentRow& in) {
  if (in.xact <= min_xact_ || in.xact > max_xact_)
    return Internal("segment of {}: xact {} is outside ({}, {}]", object_id_, in.xact, min_xact_, max_xact_);
  if (!xacts_.empty() && (in.xact > last_xact_ || (in.xact == last_xact_ && in.id >= last_id_)))
    return Internal("segment of {}: rows must come newest first", object_id_);
  last_xact_ = in.xact;
  last_id_ = in.id;
  auto r = static_cast<uint32_t>(xacts_.size());
  if (r == block_first_) {
    block_min_xact_ = block_max_xact_ = in.xact;
    block_min_created_ = INT64_MAX;
    block_max_created_ = INT64_MIN;
  }
  uint8_t flags = 0;
  std::string_view root, target;
  int64_t created = 0;
  if (!in.row) {
    flags |= segfmt::kTombstone;
    for (auto& lines : block_lines_) lines += '\n';
  } else {
    const json::object& row = *in.row;
    target = CommentTarget(row);
    if (!target.empty()) flags |= segfmt::kComment;
    if (const auto* v = row.if_contains("is_root"); v && v->is_bool() && v->as_bool()) flags |= segfmt::kIsRoot;
    root = StringOf(row, "root_span_id");
    created = ParseTimestamp(StringOf(row, "created")).value_or(0);
    AddNumbers(scores_, row, "scores", r);
    AddNumbers(metrics_, row, "metrics", r);
    std::string& rest = block_lines_[kRestColumn];
    rest += '{';
    bool first = true;
    for (const auto& kv : row) {
      if (!first) rest += ',';
      first = false;
      rest += json::serialize(json::string_view(kv.key()));
      rest += ':';
      int c = SplitColumn(kv.key());
      if (c >= 0) {
        rest += '0';
        block_lines_[c] += json::serialize(kv.value());
      } else {
        rest += json::serialize(kv.value());
      }
      if (text::IsTextField(kv.key())) terms_.Add(kv.key(), r, kv.value());
    }
    rest += '}';
    for (auto& lines : block_lines_) lines += '\n';
  }
  AppendString(ids_blob_, id_ends_, in.id);
  AppendString(roots_blob_, root_ends_, root);
  AppendString(targets_blob_, target_ends_, target);
  id_index_.push_back({codec::Hash64(in.id), r});
  if (!root.empty()) root_index_.push_back({codec::Hash64(root), r});
  xacts_.push_back(in.xact);
  created_.push_back(created);
  flags_.push_back(static_cast<char>(flags));
  block_min_xact_ = std::min(block_min_xact_, in.xact);
  block_max_xact_ = std::max(block_max_xact_, in.xact);
  if (created) {
    block_min_created_ = std::min(block_min_created_, created);
    block_max_created_ = std::max(block_max_created_, created);
  }
  size_t block_raw = 0;
  for (const auto& lines : block_lines_) block_raw += lines.size();
  if (block_raw >= block_bytes_) FlushBlock();
  return Status::Ok();
}

void SegmentWriter::FlushBlock() {
  auto rows = static_cast<uint32_t>(xacts_.size()) - block_first_;
  if (rows == 0) return;
  json::object block;
  block["first_row"] = block_first_;
  block["rows"] = rows;
  size_t raw = 0;
  json::object parts;
  for (size_t c = 0; c < kJsonColumnCount; ++c) {
    raw += block_lines_[c].size();
    parts[kJsonColumns[c]] = segfmt::PartToJson(segfmt::AppendPart(file_, block_lines_[c], compress_));
    block_lines_[c].clear();
  }
  block["raw_bytes"] = raw;
  raw_bytes_ += raw;
  block["min_xact"] = FormatXact(block_min_xact_);
  block["max_xact"] = FormatXact(block_max_xact_);
  bool any_created = block_min_created_ <= block_max_created_;
  block["min_created"] = any_created ? block_min_created_ : 0;
  block["max_created"] = any_created ? block_max_created_ : 0;
  block["parts"] = std::move(parts);
  blocks_.push_back(std::move(block));
  block_first_ = static_cast<uint32_t>(xacts_.size());
}

BuiltSegment SegmentWriter::Finish() {
  FlushBlock();
  json::object dir;
  dir["format"] = segfmt::kVersion;
  dir["object_id"] = object_id_;
  dir["rows"] = xacts_.size();
  dir["min_xact"] = FormatXact(min_xact_);
  dir["max_xact"] = FormatXact(max_xact_);
  json::object columns;
  auto part = [&](std::string_view name, std::string_view raw, bool compress = true) {
    columns[name] = segfmt::PartToJson(segfmt::AppendPart(file_, raw, compress && compress_));
  };
  part("id", segfmt::EncodeStrings(Views(ids_blob_, id_ends_)));
  part("root_span_id", segfmt::EncodeStrings(Views(roots_blob_, root_ends_)));
  part("comment_target", segfmt::EncodeStrings(Views(targets_blob_, target_ends_)));
  part("xact", segfmt::EncodeDescending(xacts_));
  part("created", segfmt::EncodeI64(created_));
  part("flags", flags_);
  part("scores", NumericPart(scores_));
  part("metrics", NumericPart(metrics_));
  part("id_index", segfmt::EncodeHashIndex(std::move(id_index_)));
  part("root_index", segfmt::EncodeHashIndex(std::move(root_index_)));
  dir["columns"] = std::move(columns);
  json::array json_columns;
  for (auto c : kJsonColumns) json_columns.emplace_back(c);
  dir["json_columns"] = std::move(json_columns);
  dir["blocks"] = std::move(blocks_);
  text::TermIndexBuilder::Output index = terms_.Finish();
  json::array fields;
  for (const auto& f : index.fields) fields.emplace_back(f);
  dir["text_fields"] = std::move(fields);
  dir["terms"] = segfmt::PartToJson(segfmt::AppendPart(file_, index.terms, compress_));
  dir["postings"] = segfmt::PartToJson(segfmt::AppendPart(file_, index.postings, /*compress=*/false));
  std::string dir_text = json::serialize(dir);
  segfmt::PartRef d = segfmt::AppendPart(file_, dir_text);
  file_ += segfmt::EncodeTrailer({d.offset, d.length, d.raw_length, d.checksum});
  BuiltSegment out;
  out.rows = xacts_.size();
  out.raw_bytes = raw_bytes_;
  out.min_xact = min_xact_;
  out.max_xact = max_xact_;
  out.bytes = std::move(file_);
  return out;
}

}  // namespace tv::store

#include "store/object_tail.h"

#include "text/tokenizer.h"

#include <algorithm>

namespace tv::store {
namespace {

void AddUnique(std::vector<std::string>& v, std::string_view s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.emplace_back(s);
}

}  // namespace

Status ObjectTail::Apply(const json::object& version, XactId xact, size_t approx_bytes) {
  if (xact <= loaded_through_) return Status::Ok();
  const auto* id_value = version.if_contains("id");
  if (!id_value || !id_value->is_string()) return Status::Ok();  // the writer never stores such a row
  std::string_view id = id_value->as_string();
  RowPtr base;
  auto found = rows_.find(std::string(id));
  if (found == rows_.end() && segments_ && !segments_->empty()) {
    TV_ASSIGN_OR_RETURN(base, segments_->StateOf(id, segments_->through()));
  }
  if (found == rows_.end()) {
    found = rows_.emplace(std::string(id), History{}).first;
    found->second.number = next_number_++;
  }
  History& h = found->second;
  const json::object* prev = h.states.empty() ? base.get() : h.states.back().row.get();
  RowPtr next = ApplyVersion(prev, version, xact);
  if (next) {
    std::string_view target = CommentTarget(*next);
    if (!target.empty()) {
      h.is_comment = true;
      AddUnique(comments_by_target_[std::string(target)], id);
    } else if (const auto* root = next->if_contains("root_span_id"); root && root->is_string()) {
      AddUnique(ids_by_root_[std::string(root->as_string())], id);
    }
  }
  if (next) IndexTerms(h.number, *next);
  h.states.push_back({xact, std::move(next)});
  max_xact_ = std::max(max_xact_, xact);
  // The version and the state it produced both stay in memory.
  bytes_ += 2 * approx_bytes + 64;
  return Status::Ok();
}

void ObjectTail::IndexTerms(uint32_t number, const json::object& row) {
  for (const auto& kv : row) {
    if (!text::IsTextField(kv.key())) continue;
    auto& field = terms_[std::string(kv.key())];
    text::TokenizeJson(kv.value(), [&](std::string_view token) {
      auto it = field.find(std::string(token));
      if (it == field.end()) it = field.emplace(std::string(token), Roaring()).first;
      it->second.add(number);
    });
  }
}

Roaring ObjectTail::TermIds(std::string_view field, std::string_view token) const {
  Roaring out;
  for (const auto& [name, tokens] : terms_) {
    if (!field.empty() && name != field) continue;
    if (auto it = tokens.find(std::string(token)); it != tokens.end()) out |= it->second;
  }
  return out;
}

void ObjectTail::Rebase(std::shared_ptr<const OpenSet> segments) {
  XactId through = segments->through();
  size_t before = 0, after = 0;
  ids_by_root_.clear();
  comments_by_target_.clear();
  terms_.clear();
  for (auto it = rows_.begin(); it != rows_.end();) {
    auto& states = it->second.states;
    before += states.size();
    std::erase_if(states, [&](const State& s) { return s.xact <= through; });
    after += states.size();
    if (states.empty()) {
      it = rows_.erase(it);
      continue;
    }
    for (const auto& s : states) {
      if (!s.row) continue;
      IndexTerms(it->second.number, *s.row);
      std::string_view target = CommentTarget(*s.row);
      if (!target.empty()) {
        AddUnique(comments_by_target_[std::string(target)], it->first);
      } else if (const auto* root = s.row->if_contains("root_span_id"); root && root->is_string()) {
        AddUnique(ids_by_root_[std::string(root->as_string())], it->first);
      }
    }
    ++it;
  }
  bytes_ = before ? bytes_ / before * after : 0;
  segments_ = std::move(segments);
}

void ObjectTail::Reset(std::shared_ptr<const OpenSet> segments) {
  segments_ = std::move(segments);
  rows_.clear();
  terms_.clear();
  next_number_ = 0;
  ids_by_root_.clear();
  comments_by_target_.clear();
  loaded_through_ = 0;
  max_xact_ = 0;
  bytes_ = 0;
}

const ObjectTail::State* ObjectTail::StateAsOf(const History& h, XactId as_of) {
  auto it =
      std::upper_bound(h.states.begin(), h.states.end(), as_of, [](XactId x, const State& s) { return x < s.xact; });
  return it == h.states.begin() ? nullptr : &*std::prev(it);
}

const ObjectTail::History* ObjectTail::Find(std::string_view id) const {
  auto it = rows_.find(std::string(id));
  return it == rows_.end() ? nullptr : &it->second;
}

const std::vector<std::string>* ObjectTail::IdsWithRoot(std::string_view root_span_id) const {
  auto it = ids_by_root_.find(std::string(root_span_id));
  return it == ids_by_root_.end() ? nullptr : &it->second;
}

const std::vector<std::string>* ObjectTail::CommentsOn(std::string_view id) const {
  auto it = comments_by_target_.find(std::string(id));
  return it == comments_by_target_.end() ? nullptr : &it->second;
}

}  // namespace tv::store

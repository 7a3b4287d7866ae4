#include "store/reader.h"

#include <algorithm>
#include <map>
#include <unordered_set>

#include <boost/json/array.hpp>

namespace tv::store {
namespace {

struct Hit {
  XactId xact = 0;
  std::string_view id;
  std::string_view root;
  RowPtr row;
  std::vector<RowPtr> comments;
};

std::string_view StringOf(const json::object& row, std::string_view key) {
  const auto* v = row.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

bool Contains(const std::optional<std::vector<std::string>>& set, std::string_view v) {
  return !set || std::find(set->begin(), set->end(), v) != set->end();
}

bool Matches(const ScanSpec& spec, const json::object& row) {
  if (!Contains(spec.ids, StringOf(row, "id"))) return false;
  if (!Contains(spec.root_span_ids, StringOf(row, "root_span_id"))) return false;
  if (spec.created_from || spec.created_until) {
    std::string_view created = StringOf(row, "created");
    if (spec.created_from && created < *spec.created_from) return false;
    if (spec.created_until && created >= *spec.created_until) return false;
  }
  return !spec.filter || spec.filter(row);
}

// The ids worth looking at: narrowed by the id and trace sets when given.
std::vector<const std::string*> Candidates(const ObjectTail& tail, const ScanSpec& spec) {
  std::vector<const std::string*> out;
  std::unordered_set<std::string_view> seen;
  auto add = [&](const std::string& id) {
    auto it = tail.rows().find(id);
    if (it != tail.rows().end() && seen.insert(it->first).second) out.push_back(&it->first);
  };
  if (spec.ids) {
    for (const auto& id : *spec.ids) add(id);
  } else if (spec.root_span_ids) {
    for (const auto& root : *spec.root_span_ids)
      if (const auto* ids = tail.IdsWithRoot(root))
        for (const auto& id : *ids) add(id);
  } else {
    out.reserve(tail.rows().size());
    for (const auto& [id, h] : tail.rows()) out.push_back(&id);
  }
  return out;
}

Status CollectFrom(const ObjectTail& tail, const ScanSpec& spec, XactId snapshot, std::vector<Hit>& hits) {
  for (const std::string* id : Candidates(tail, spec)) {
    const ObjectTail::History* h = tail.Find(*id);
    if (!h || h->is_comment) continue;
    const ObjectTail::State* state = ObjectTail::StateAsOf(*h, snapshot);
    if (!state || !state->row || !Matches(spec, *state->row)) continue;
    Hit hit;
    hit.row = state->row;
    hit.xact = state->xact;
    hit.id = StringOf(*hit.row, "id");
    hit.root = StringOf(*hit.row, "root_span_id");
    if (hit.root.empty()) hit.root = hit.id;
    if (const auto* comment_ids = tail.CommentsOn(*id)) {
      for (const auto& cid : *comment_ids) {
        const ObjectTail::History* ch = tail.Find(cid);
        if (RowPtr c = ch ? ObjectTail::AsOf(*ch, snapshot) : nullptr) hit.comments.push_back(std::move(c));
      }
    }
    hits.push_back(std::move(hit));
  }
  return Status::Ok();
}

bool Before(XactId ax, std::string_view at, XactId bx, std::string_view bt) {
  return ax != bx ? ax > bx : at > bt;  // newest first
}

bool IsAfterCursor(const std::optional<ScanKey>& after, XactId x, std::string_view tie) {
  return !after || Before(after->xact, after->tie, x, tie);
}

RowPtr Present(const Hit& hit, const std::vector<std::string>& projection) {
  if (hit.comments.empty() && projection.empty()) return hit.row;
  auto out = std::make_shared<json::object>();
  if (projection.empty()) {
    *out = *hit.row;
  } else {
    for (const auto& f : projection)
      if (const auto* v = hit.row->if_contains(f)) (*out)[f] = *v;
  }
  if (!hit.comments.empty() && (projection.empty() || std::count(projection.begin(), projection.end(), "comments"))) {
    json::array comments;
    for (const auto& c : hit.comments) {
      json::object copy = *c;
      copy.erase("is_root");
      comments.push_back(std::move(copy));
    }
    (*out)["comments"] = std::move(comments);
  }
  return out;
}

}  // namespace

Result<ScanResult> RunScan(TailCache& tails, const ScanSpec& spec, XactId snapshot) {
  ScanResult result;
  result.snapshot = snapshot;
  std::vector<Hit> hits;
  // The Hits' string_views point into rows that the RowPtrs keep alive.
  for (const auto& object_id : spec.objects) {
    TV_RETURN_IF_ERROR(tails.With(object_id, [&](const ObjectTail& tail) { return CollectFrom(tail, spec, snapshot, hits); }));
  }
  if (spec.limit_unit == LimitUnit::kRows) {
    std::erase_if(hits, [&](const Hit& h) { return !IsAfterCursor(spec.after, h.xact, h.id); });
    std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) { return Before(a.xact, a.id, b.xact, b.id); });
    size_t n = std::min(hits.size(), spec.limit);
    for (size_t i = 0; i < n; ++i) result.rows.push_back(Present(hits[i], spec.projection));
    if (n < hits.size() && n > 0) result.next = ScanKey{hits[n - 1].xact, std::string(hits[n - 1].id)};
    return result;
  }
  // Traces: a trace's key is its newest matching row.
  std::map<std::string_view, std::vector<size_t>> by_root;
  for (size_t i = 0; i < hits.size(); ++i) by_root[hits[i].root].push_back(i);
  std::vector<std::pair<ScanKey, const std::vector<size_t>*>> traces;
  for (const auto& [root, idx] : by_root) {
    XactId newest = 0;
    for (size_t i : idx) newest = std::max(newest, hits[i].xact);
    if (IsAfterCursor(spec.after, newest, root)) traces.push_back({ScanKey{newest, std::string(root)}, &idx});
  }
  std::sort(traces.begin(), traces.end(),
            [](const auto& a, const auto& b) { return Before(a.first.xact, a.first.tie, b.first.xact, b.first.tie); });
  size_t n = std::min(traces.size(), spec.limit);
  for (size_t t = 0; t < n; ++t) {
    std::vector<size_t> idx = *traces[t].second;
    std::sort(idx.begin(), idx.end(),
              [&](size_t a, size_t b) { return Before(hits[a].xact, hits[a].id, hits[b].xact, hits[b].id); });
    for (size_t i : idx) result.rows.push_back(Present(hits[i], spec.projection));
  }
  if (n < traces.size() && n > 0) result.next = traces[n - 1].first;
  return result;
}

}  // namespace tv::store

#include "store/reader.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <boost/json/array.hpp>

#include "text/tokenizer.h"

namespace tv::store {
namespace {

std::string_view StringOf(const json::object& row, std::string_view key) {
  const auto* v = row.if_contains(key);
  return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
}

// A row's trace: its root_span_id, or its own id when it has none.
std::string_view EffectiveRoot(const json::object& row) {
  std::string_view root = StringOf(row, "root_span_id");
  return root.empty() ? StringOf(row, "id") : root;
}

bool Contains(const std::optional<std::vector<std::string>>& set, std::string_view v) {
  return !set || std::find(set->begin(), set->end(), v) != set->end();
}

bool Before(XactId ax, std::string_view at, XactId bx, std::string_view bt) {
  return ax != bx ? ax > bx : at > bt;  // newest first
}

bool IsAfterCursor(const std::optional<ScanKey>& after, XactId x, std::string_view tie) {
  return !after || Before(after->xact, after->tie, x, tie);
}

// A MATCH with its query tokenized once.
struct PreparedMatch {
  const MatchTerm* term;
  std::vector<std::string> tokens;
  bool index_exact;  // the posting lists alone decide it (no deeper path)
  bool indexed;      // the posting lists narrow it
};

std::vector<PreparedMatch> PrepareMatches(const ScanSpec& spec) {
  std::vector<PreparedMatch> out;
  for (const auto& m : spec.match) {
    // Only text fields have posting lists; other paths are checked on rows.
    bool indexed = m.path.empty() || text::IsTextField(m.path[0]);
    out.push_back({&m, text::Tokens(m.query), indexed && m.path.size() <= 1, indexed});
  }
  return out;
}

const json::value* AtPath(const json::object& row, const std::vector<std::string>& path) {
  const json::value* v = row.if_contains(path[0]);
  for (size_t i = 1; v && i < path.size(); ++i) {
    if (v->is_object()) {
      v = v->as_object().if_contains(path[i]);
    } else if (v->is_array()) {
      char* end = nullptr;
      long idx = std::strtol(path[i].c_str(), &end, 10);
      const auto& a = v->as_array();
      if (idx < 0) idx += static_cast<long>(a.size());
      v = (*end == '\0' && idx >= 0 && static_cast<size_t>(idx) < a.size()) ? &a[idx] : nullptr;
    } else {
      v = nullptr;
    }
  }
  return v;
}

bool RowMatches(const PreparedMatch& m, const json::object& row) {
  if (m.tokens.empty()) return false;
  if (!m.term->path.empty()) {
    const json::value* v = AtPath(row, m.term->path);
    return v && text::ContainsAllTokens(*v, m.tokens);
  }
  return text::RowContainsAllTokens(row, m.tokens);
}

// Everything but the full-text terms, on the current row.
bool Matches(const ScanSpec& spec, const json::object& row) {
  if (!Contains(spec.ids, StringOf(row, "id"))) return false;
  if (!Contains(spec.root_span_ids, EffectiveRoot(row))) return false;
  if (spec.created_from || spec.created_until) {
    std::string_view created = StringOf(row, "created");
    if (spec.created_from && created < *spec.created_from) return false;
    if (spec.created_until && created >= *spec.created_until) return false;
  }
  return !spec.filter || spec.filter(row);
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// What a scan needs of one object, taken under its tail's lock so the scan
// itself runs without holding it.
struct ObjectView {
  std::shared_ptr<const OpenSet> set;
  std::vector<std::pair<XactId, RowPtr>> tail_rows;  // current, not comments; scan order
  // Ids with a tail state at or below the snapshot; looked up by string_view.
  std::unordered_set<std::string, StringHash, std::equal_to<>> shadowed;
  std::unordered_map<std::string, std::vector<RowPtr>> tail_comments;  // by target
};

// Adds the tail's state of `id` at the snapshot to the view: it shadows the
// id's segment states; a live row is a candidate, a comment is listed.
// `candidate`: false when the row cannot match (the tail's term index says so).
void TakeState(const ObjectTail& tail, const std::string& id, const ObjectTail::History& h, XactId snapshot,
               ObjectView& view, bool candidate = true) {
  const ObjectTail::State* state = ObjectTail::StateAsOf(h, snapshot);
  if (!state) return;
  view.shadowed.insert(id);
  if (!state->row) return;
  if (h.is_comment) {
    view.tail_comments[std::string(CommentTarget(*state->row))].push_back(state->row);
  } else if (candidate) {
    view.tail_rows.emplace_back(state->xact, state->row);
  }
}

// The tail ids that can satisfy the indexed MATCH terms, or nullopt when
// there are none to narrow by.
std::optional<Roaring> TailMatchCandidates(const ObjectTail& tail, const std::vector<PreparedMatch>& matches) {
  std::optional<Roaring> out;
  for (const auto& m : matches) {
    if (!m.indexed) continue;
    std::string field = m.term->path.empty() ? std::string() : m.term->path[0];
    if (m.tokens.empty()) return Roaring();
    for (const auto& token : m.tokens) {
      Roaring ids = tail.TermIds(field, token);
      out = out ? (*out & ids) : std::move(ids);
    }
  }
  return out;
}

// The ids a narrowed scan can reach: the ids asked for, or every id of the
// traces asked for, in the tail and in the segments.
std::unordered_set<std::string> ReachableIds(const ObjectTail& tail, const ScanSpec& spec) {
  std::unordered_set<std::string> ids;
  if (spec.ids) {
    ids.insert(spec.ids->begin(), spec.ids->end());
    return ids;
  }
  for (const auto& root : *spec.root_span_ids) {
    ids.insert(root);  // a row without root_span_id is its own trace
    if (const auto* in_tail = tail.IdsWithRoot(root)) ids.insert(in_tail->begin(), in_tail->end());
    if (!tail.segments()) continue;
    for (const auto& seg : tail.segments()->segments())
      for (uint32_t r : seg->RowsWithRoot(root)) ids.emplace(seg->id(r));
  }
  return ids;
}

ObjectView TakeView(const ObjectTail& tail, const ScanSpec& spec, const std::vector<PreparedMatch>& matches,
                    XactId snapshot) {
  ObjectView view;
  view.set = tail.segments();
  if (spec.ids || spec.root_span_ids) {
    // Only what the scan can reach: cheap however large the tail is.
    for (const auto& id : ReachableIds(tail, spec)) {
      if (const ObjectTail::History* h = tail.Find(id); h && !h->is_comment) TakeState(tail, id, *h, snapshot, view);
      if (const auto* comments = tail.CommentsOn(id))
        for (const auto& cid : *comments)
          if (const ObjectTail::History* ch = tail.Find(cid)) TakeState(tail, cid, *ch, snapshot, view);
    }
  } else {
    std::optional<Roaring> candidates = TailMatchCandidates(tail, matches);
    for (const auto& [id, h] : tail.rows())
      TakeState(tail, id, h, snapshot, view, !candidates || candidates->contains(h.number));
  }
  std::sort(view.tail_rows.begin(), view.tail_rows.end(), [](const auto& a, const auto& b) {
    return Before(a.first, StringOf(*a.second, "id"), b.first, StringOf(*b.second, "id"));
  });
  return view;
}

struct Hit {
  XactId xact = 0;
  std::string_view id, root;
  RowPtr row;
  const ObjectView* view = nullptr;
};

Hit MakeHit(XactId xact, RowPtr row, const ObjectView* view) {
  Hit h;
  h.xact = xact;
  h.row = std::move(row);
  h.id = StringOf(*h.row, "id");
  h.root = EffectiveRoot(*h.row);
  h.view = view;
  return h;
}

// One object's current, matching rows in scan order, produced lazily: the
// tail's rows first (they are newer than every segment), then each segment
// from the newest.
class ObjectStream {
 public:
  ObjectStream(const ObjectView& view, const ScanSpec& spec, const std::vector<PreparedMatch>& matches, XactId snapshot,
               const std::optional<ScanKey>& skip_to)
      : view_(view), spec_(spec), matches_(matches), snapshot_(snapshot), skip_to_(skip_to) {
    seg_ = view.set ? view.set->segments().size() : 0;
  }

  Result<std::optional<Hit>> Next() {
    if (spec_.deadline && (++steps_ & 1023) == 0 && std::chrono::steady_clock::now() > *spec_.deadline)
      return DeadlineExceeded("the scan ran past its deadline");
    while (tail_pos_ < view_.tail_rows.size()) {
      const auto& [xact, row] = view_.tail_rows[tail_pos_++];
      if (!IsAfterCursor(skip_to_, xact, StringOf(*row, "id")) || !Matches(spec_, *row)) continue;
      bool ok = true;
      for (const auto& m : matches_) ok = ok && RowMatches(m, *row);
      if (ok) return std::optional<Hit>(MakeHit(xact, row, &view_));
    }
    for (;;) {
      if (!rows_started_) {
        if (seg_ == 0) return std::optional<Hit>();
        --seg_;
        TV_RETURN_IF_ERROR(StartSegment());
      }
      const Segment& seg = *view_.set->segments()[seg_];
      while (NextRow()) {
        if (spec_.deadline && (++steps_ & 1023) == 0 && std::chrono::steady_clock::now() > *spec_.deadline)
          return DeadlineExceeded("the scan ran past its deadline");
        uint32_t r = row_;
        if (seg.tombstone(r) || seg.comment(r)) continue;
        if (!IsAfterCursor(skip_to_, seg.xact(r), seg.id(r))) continue;
        if (!view_.set->IsCurrent(seg_, r, snapshot_, !restricted_)) continue;
        if (view_.shadowed.contains(seg.id(r))) continue;
        TV_ASSIGN_OR_RETURN(RowPtr row, seg.Row(r));
        if (!row || !Matches(spec_, *row)) continue;
        bool ok = true;
        for (const auto& m : matches_) ok = ok && (m.index_exact || RowMatches(m, *row));
        if (ok) return std::optional<Hit>(MakeHit(seg.xact(r), std::move(row), &view_));
      }
      rows_started_ = false;
    }
  }

 private:
  // Which rows of the current segment can match: narrowed by ids, traces and
  // posting lists when the spec has them, else all.
  Status StartSegment() {
    const Segment& seg = *view_.set->segments()[seg_];
    std::optional<Roaring> only;
    auto narrow = [&](Roaring r) { only = only ? (*only & r) : std::move(r); };
    if (spec_.ids) {
      Roaring r;
      for (const auto& id : *spec_.ids)
        for (uint32_t row : seg.RowsWithId(id)) r.add(row);
      narrow(std::move(r));
    }
    if (spec_.root_span_ids) {
      Roaring r;
      for (const auto& root : *spec_.root_span_ids) {
        for (uint32_t row : seg.RowsWithRoot(root)) r.add(row);
        for (uint32_t row : seg.RowsWithId(root))  // a row without root_span_id is its own trace
          if (seg.root(row).empty()) r.add(row);
      }
      narrow(std::move(r));
    }
    for (const auto& m : matches_) {
      if (!m.indexed) continue;
      std::string field = m.term->path.empty() ? std::string() : m.term->path[0];
      if (m.tokens.empty()) narrow(Roaring());
      for (const auto& token : m.tokens) {
        TV_ASSIGN_OR_RETURN(Roaring r, seg.Postings(field, token));
        narrow(std::move(r));
      }
    }
    only_.clear();
    if (only) {
      only_.resize(only->cardinality());
      only->toUint32Array(only_.data());
    }
    restricted_ = only.has_value();
    pos_ = 0;
    rows_started_ = true;
    return Status::Ok();
  }

  bool NextRow() {
    size_t n = restricted_ ? only_.size() : view_.set->segments()[seg_]->rows();
    if (pos_ >= n) return false;
    row_ = restricted_ ? only_[pos_] : static_cast<uint32_t>(pos_);
    ++pos_;
    return true;
  }

  const ObjectView& view_;
  const ScanSpec& spec_;
  const std::vector<PreparedMatch>& matches_;
  XactId snapshot_;
  std::optional<ScanKey> skip_to_;
  size_t tail_pos_ = 0;
  size_t seg_ = 0;
  bool rows_started_ = false;
  bool restricted_ = false;
  std::vector<uint32_t> only_;
  size_t pos_ = 0;
  uint32_t row_ = 0;
  uint64_t steps_ = 0;
};

// Every object's stream merged in scan order.
class MergedStream {
 public:
  MergedStream(const std::vector<ObjectView>& views, const ScanSpec& spec, const std::vector<PreparedMatch>& matches,
               XactId snapshot, const std::optional<ScanKey>& skip_to) {
    for (const auto& v : views) streams_.emplace_back(v, spec, matches, snapshot, skip_to);
    heads_.resize(streams_.size());
  }

  Result<std::optional<Hit>> Next() {
    if (!primed_) {
      for (size_t i = 0; i < streams_.size(); ++i) {
        TV_ASSIGN_OR_RETURN(heads_[i], streams_[i].Next());
      }
      primed_ = true;
    }
    size_t best = heads_.size();
    for (size_t i = 0; i < heads_.size(); ++i) {
      if (!heads_[i]) continue;
      if (best == heads_.size() || Before(heads_[i]->xact, heads_[i]->id, heads_[best]->xact, heads_[best]->id))
        best = i;
    }
    if (best == heads_.size()) return std::optional<Hit>();
    std::optional<Hit> out = std::move(heads_[best]);
    TV_ASSIGN_OR_RETURN(heads_[best], streams_[best].Next());
    return out;
  }

 private:
  std::vector<ObjectStream> streams_;
  std::vector<std::optional<Hit>> heads_;
  bool primed_ = false;
};

// The comments on `hit`'s row at the snapshot, oldest first.
Result<std::vector<RowPtr>> CommentsFor(const Hit& hit, XactId snapshot) {
  std::vector<RowPtr> out;
  const ObjectView& view = *hit.view;
  std::string id(hit.id);
  if (auto it = view.tail_comments.find(id); it != view.tail_comments.end()) out = it->second;
  if (view.set) {
    const auto& segments = view.set->segments();
    for (size_t s = 0; s < segments.size(); ++s) {
      for (uint32_t r : segments[s]->CommentsOn(id)) {
        if (segments[s]->tombstone(r) || !view.set->IsCurrent(s, r, snapshot, false)) continue;
        if (view.shadowed.contains(segments[s]->id(r))) continue;
        TV_ASSIGN_OR_RETURN(RowPtr c, segments[s]->Row(r));
        if (c) out.push_back(std::move(c));
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const RowPtr& a, const RowPtr& b) {
    std::string_view ca = StringOf(*a, "created"), cb = StringOf(*b, "created");
    return ca != cb ? ca < cb : StringOf(*a, "id") < StringOf(*b, "id");
  });
  return out;
}

Result<RowPtr> Present(const Hit& hit, const ScanSpec& spec, XactId snapshot) {
  const auto& projection = spec.projection;
  bool want_comments = projection.empty() || std::count(projection.begin(), projection.end(), "comments");
  std::vector<RowPtr> comments;
  if (want_comments) {
    TV_ASSIGN_OR_RETURN(comments, CommentsFor(hit, snapshot));
  }
  if (comments.empty() && projection.empty()) return hit.row;
  auto out = std::make_shared<json::object>();
  if (projection.empty()) {
    *out = *hit.row;
  } else {
    for (const auto& f : projection)
      if (const auto* v = hit.row->if_contains(f)) (*out)[f] = *v;
  }
  if (!comments.empty()) {
    json::array list;
    for (const auto& c : comments) {
      json::object copy = *c;
      copy.erase("is_root");
      list.push_back(std::move(copy));
    }
    (*out)["comments"] = std::move(list);
  }
  return RowPtr(std::move(out));
}

Result<std::vector<Hit>> CollectRows(const std::vector<ObjectView>& views, const ScanSpec& spec,
                                     const std::vector<PreparedMatch>& matches, XactId snapshot,
                                     const std::optional<ScanKey>& after, size_t limit) {
  std::vector<Hit> hits;
  MergedStream stream(views, spec, matches, snapshot, after);
  while (hits.size() < limit) {
    TV_ASSIGN_OR_RETURN(std::optional<Hit> h, stream.Next());
    if (!h) break;
    hits.push_back(std::move(*h));
  }
  return hits;
}

// Every object's view at the snapshot, refusing a snapshot older than the
// history a set keeps.
Result<std::vector<ObjectView>> TakeViews(TailCache& tails, const ScanSpec& spec,
                                          const std::vector<PreparedMatch>& matches, XactId snapshot) {
  std::vector<ObjectView> views;
  views.reserve(spec.objects.size());
  for (const auto& object_id : spec.objects) {
    TV_RETURN_IF_ERROR(tails.With(object_id, [&](const ObjectTail& tail) -> Status {
      views.push_back(TakeView(tail, spec, matches, snapshot));
      return Status::Ok();
    }));
    const auto& set = views.back().set;
    if (set && snapshot < set->meta().history_from)
      return InvalidArgument("version {} is older than the history kept for {} (from version {}); ask for a newer one",
                             FormatXact(snapshot), object_id, FormatXact(set->meta().history_from));
  }
  return views;
}

}  // namespace

Status RunVisit(TailCache& tails, const ScanSpec& spec, XactId snapshot, const RowVisitor& visit) {
  std::vector<PreparedMatch> matches = PrepareMatches(spec);
  TV_ASSIGN_OR_RETURN(std::vector<ObjectView> views, TakeViews(tails, spec, matches, snapshot));
  MergedStream stream(views, spec, matches, snapshot, spec.after);
  for (;;) {
    TV_ASSIGN_OR_RETURN(std::optional<Hit> h, stream.Next());
    if (!h) return Status::Ok();
    TV_RETURN_IF_ERROR(visit(*h->row, h->xact));
  }
}

Result<ScanResult> RunScan(TailCache& tails, const ScanSpec& spec, XactId snapshot) {
  ScanResult result;
  result.snapshot = snapshot;
  std::vector<PreparedMatch> matches = PrepareMatches(spec);
  TV_ASSIGN_OR_RETURN(std::vector<ObjectView> views, TakeViews(tails, spec, matches, snapshot));

  if (spec.limit_unit == LimitUnit::kRows) {
    TV_ASSIGN_OR_RETURN(std::vector<Hit> hits, CollectRows(views, spec, matches, snapshot, spec.after,
                                                           spec.limit == SIZE_MAX ? SIZE_MAX : spec.limit + 1));
    size_t n = std::min(hits.size(), spec.limit);
    for (size_t i = 0; i < n; ++i) {
      TV_ASSIGN_OR_RETURN(result.rows.emplace_back(), Present(hits[i], spec, snapshot));
    }
    if (n < hits.size() && n > 0) result.next = ScanKey{hits[n - 1].xact, std::string(hits[n - 1].id)};
    return result;
  }

  // Traces: a trace's key is its newest matching row. Walk rows newest first
  // until limit + 1 traces after the cursor are seen; traces whose key is
  // before the cursor were on earlier pages.
  // Rows come in (xact, id) order but traces are ordered and paged by
  // (xact, root): the traces of one xact are chosen only once all of its rows
  // are read, so a page ends where its cursor says.
  std::vector<ScanKey> traces;
  std::unordered_set<std::string> seen;
  MergedStream stream(views, spec, matches, snapshot, std::nullopt);
  for (;;) {
    TV_ASSIGN_OR_RETURN(std::optional<Hit> h, stream.Next());
    if (!h) break;
    if (traces.size() > spec.limit && h->xact != traces.back().xact) break;
    if (!seen.insert(std::string(h->root)).second) continue;
    if (IsAfterCursor(spec.after, h->xact, h->root)) traces.push_back(ScanKey{h->xact, std::string(h->root)});
  }
  std::sort(traces.begin(), traces.end(),
            [](const ScanKey& a, const ScanKey& b) { return Before(a.xact, a.tie, b.xact, b.tie); });
  size_t n = std::min(traces.size(), spec.limit);
  if (n == 0) return result;
  // Every span of the chosen traces, matching or not.
  ScanSpec members;
  members.objects = spec.objects;
  members.projection = spec.projection;
  members.deadline = spec.deadline;
  members.root_span_ids = std::vector<std::string>();
  for (size_t t = 0; t < n; ++t) members.root_span_ids->push_back(traces[t].tie);
  TV_ASSIGN_OR_RETURN(std::vector<ObjectView> member_views, TakeViews(tails, members, {}, snapshot));
  TV_ASSIGN_OR_RETURN(std::vector<Hit> hits, CollectRows(member_views, members, {}, snapshot, std::nullopt, SIZE_MAX));
  std::map<std::string_view, std::vector<size_t>> by_root;
  for (size_t i = 0; i < hits.size(); ++i) by_root[hits[i].root].push_back(i);
  for (size_t t = 0; t < n; ++t) {
    auto it = by_root.find(traces[t].tie);
    if (it == by_root.end()) continue;
    for (size_t i : it->second) {
      TV_ASSIGN_OR_RETURN(result.rows.emplace_back(), Present(hits[i], members, snapshot));
    }
  }
  if (n < traces.size()) result.next = traces[n - 1];
  return result;
}

}  // namespace tv::store

#include "store/tail_cache.h"

#include <algorithm>

#include "store/retry.h"

#include <spdlog/spdlog.h>

namespace tv::store {
namespace {

// How long a read waits out failing object storage before it answers 503.
constexpr std::chrono::milliseconds kReadDeadline{10000};

}  // namespace

Status TailCache::With(const std::string& object_id, const std::function<Status(const ObjectTail&)>& fn) {
  bool loaded_now = false;
  for (;;) {
    std::shared_ptr<ObjectTail> tail;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto& slot = tails_[object_id];
      if (!slot) slot = std::make_shared<ObjectTail>();
      tail = slot;
      tail->last_used = ++tick_;
    }
    std::lock_guard<std::mutex> lock(tail->mu);
    if (tail->evicted) continue;  // lost a race with eviction: take the new slot
    if (!tail->loaded) {
      Status s = Load(object_id, *tail);
      if (!s.ok()) {
        std::lock_guard<std::mutex> cache_lock(mu_);
        auto it = tails_.find(object_id);
        if (it != tails_.end() && it->second == tail) tails_.erase(it);
        return s;
      }
      tail->loaded = true;
      total_bytes_ += tail->bytes();
      loaded_now = true;
    }
    TV_RETURN_IF_ERROR(fn(*tail));
    break;
  }
  if (loaded_now) EvictIfOverBudget(object_id);
  return Status::Ok();
}

Status TailCache::Load(const std::string& object_id, ObjectTail& tail) {
  // The set and the sections must be one view: a compaction that lands in
  // between drops sections the old set does not cover, so check and retry.
  for (int attempt = 0;; ++attempt) {
    TV_ASSIGN_OR_RETURN(SegmentSet set, LoadSegmentSet(catalog_.db(), object_id));
    TV_RETURN_IF_ERROR(LoadOnce(object_id, set, tail));
    TV_ASSIGN_OR_RETURN(SegmentSet again, LoadSegmentSet(catalog_.db(), object_id));
    if (again.generation == set.generation) return Status::Ok();
    if (attempt == 20) return Unavailable("the segment set of {} keeps changing; retry", object_id);
  }
}

Status TailCache::LoadOnce(const std::string& object_id, const SegmentSet& set, ObjectTail& tail) {
  std::vector<std::shared_ptr<const Segment>> open;
  for (const auto& meta : set.segments) {
    TV_ASSIGN_OR_RETURN(auto seg, segments_.Open(meta.key, meta.bytes));
    open.push_back(std::move(seg));
  }
  tail.Reset(std::make_shared<const OpenSet>(set, std::move(open)));
  TV_ASSIGN_OR_RETURN(std::vector<SectionRef> sections, catalog_.Sections(object_id));
  XactId through = set.through;
  for (const auto& ref : sections) {
    if (ref.max_xact <= set.through) continue;
    std::string bytes;
    TV_RETURN_IF_ERROR(RetryUnavailable("read " + ref.chunk_key, kReadDeadline, [&]() -> Status {
      TV_ASSIGN_OR_RETURN(bytes, objects_.Get(ref.chunk_key, objstore::ByteRange{ref.offset, ref.length}));
      return Status::Ok();
    }));
    TV_ASSIGN_OR_RETURN(DecodedSection section, DecodeSection(bytes, ref.chunk_key));
    if (section.object_id != object_id)
      return Internal("WAL chunk {} holds '{}' where the catalog expects '{}'", ref.chunk_key, section.object_id,
                      object_id);
    std::vector<std::string_view> lines = JsonLines(section.jsonl);
    for (size_t i = 0; i < lines.size(); ++i) {
      json::object row;
      std::optional<std::string> bad = UndecodableReason(lines[i], &row);
      const auto* x = row.if_contains("_xact_id");
      Result<XactId> xact = x && x->is_string() ? ParseXact(x->as_string(), "_xact_id")
                                                : Result<XactId>(Internal("the row has no _xact_id"));
      if (!bad && !xact.ok()) bad = xact.status().message();
      if (bad) {
        if (!quarantine_)
          return Internal("WAL chunk {}: a row of '{}' cannot be read: {}", ref.chunk_key, object_id, *bad);
        // Set aside, recorded with its bytes; the rest of the object reads on.
        TV_RETURN_IF_ERROR(quarantine_->Record({object_id,
                                                ref.chunk_key,
                                                static_cast<int64_t>(i),
                                                StringField(row, "id"),
                                                xact.ok() ? *xact : 0,
                                                *bad,
                                                std::string(lines[i]),
                                                {}}));
        continue;
      }
      TV_RETURN_IF_ERROR(tail.Apply(row, *xact, lines[i].size()));
    }
    through = std::max(through, ref.max_xact);
  }
  tail.MarkLoaded(through);
  return Status::Ok();
}

void TailCache::ApplyCommitted(const std::string& object_id, const std::vector<CommittedVersion>& versions) {
  std::shared_ptr<ObjectTail> tail;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tails_.find(object_id);
    if (it == tails_.end()) return;
    tail = it->second;
  }
  Status applied = Status::Ok();
  {
    std::lock_guard<std::mutex> lock(tail->mu);
    // An unloaded tail's loader reads the catalog, which has the commit.
    if (!tail->loaded || tail->evicted) return;
    size_t before = tail->bytes();
    for (const auto& v : versions) {
      applied = tail->Apply(*v.row, v.xact, v.bytes);
      if (!applied.ok()) break;
    }
    total_bytes_ += tail->bytes() - before;
  }
  if (!applied.ok()) {
    // The commit is durable; this tail just could not follow it. Reload it.
    spdlog::warn("reloading the tail of {}: {}", object_id, applied.message());
    Invalidate(object_id);
    return;
  }
  EvictIfOverBudget(object_id);
}

void TailCache::Rebase(const std::string& object_id, int64_t from_generation, const SegmentSet& to) {
  std::vector<std::shared_ptr<const Segment>> open;
  for (const auto& meta : to.segments) {
    Result<std::shared_ptr<const Segment>> seg = segments_.Open(meta.key, meta.bytes);
    if (!seg.ok()) return Invalidate(object_id);
    open.push_back(std::move(*seg));
  }
  auto set = std::make_shared<const OpenSet>(to, std::move(open));
  std::shared_ptr<ObjectTail> tail;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tails_.find(object_id);
    if (it == tails_.end()) return;
    tail = it->second;
  }
  bool stale = false;
  {
    std::lock_guard<std::mutex> lock(tail->mu);
    if (!tail->loaded || tail->evicted) return;
    int64_t current = tail->segments() ? tail->segments()->meta().generation : 0;
    if (current != from_generation) {
      stale = true;
    } else {
      size_t before = tail->bytes();
      tail->Rebase(std::move(set));
      total_bytes_ -= before - tail->bytes();
    }
  }
  if (stale) Invalidate(object_id);
}

void TailCache::Invalidate(const std::string& object_id) {
  std::shared_ptr<ObjectTail> tail;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tails_.find(object_id);
    if (it == tails_.end()) return;
    tail = it->second;
    tails_.erase(it);
  }
  std::lock_guard<std::mutex> lock(tail->mu);
  tail->evicted = true;
  if (tail->loaded) total_bytes_ -= tail->bytes();
}

void TailCache::EvictIfOverBudget(const std::string& keep) {
  std::lock_guard<std::mutex> lock(mu_);
  while (total_bytes_.load() > budget_ && tails_.size() > 1) {
    auto victim = tails_.end();
    for (auto it = tails_.begin(); it != tails_.end(); ++it) {
      if (it->first == keep || !it->second->loaded) continue;
      if (victim == tails_.end() || it->second->last_used < victim->second->last_used) victim = it;
    }
    if (victim == tails_.end()) return;
    std::shared_ptr<ObjectTail> doomed = victim->second;  // outlives the lock below
    std::unique_lock<std::mutex> victim_lock(doomed->mu, std::try_to_lock);
    if (!victim_lock) return;  // in use; try again after the next load
    doomed->evicted = true;
    total_bytes_ -= doomed->bytes();
    tails_.erase(victim);
  }
}

}  // namespace tv::store

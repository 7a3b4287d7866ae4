#include "store/tail_cache.h"

#include <algorithm>
#include <iterator>

#include "store/retry.h"

#include <spdlog/spdlog.h>

namespace tv::store {
namespace {

// How long a read waits out failing object storage before it answers 503.
constexpr std::chrono::milliseconds kReadDeadline{10000};

}  // namespace

Status TailCache::With(const std::string& object_id, const std::function<Status(const ObjectTail&)>& fn) {
  for (;;) {
    std::shared_ptr<Entry> entry;
    std::shared_ptr<Loading> load;
    {
      MutexLock lock(mu_);
      for (;;) {
        if (auto it = tails_.find(object_id); it != tails_.end()) {
          it->second.last_used = ++tick_;
          entry = it->second.entry;
          break;
        }
        if (!loading_.count(object_id)) {
          load = std::make_shared<Loading>();
          loading_.emplace(object_id, load);
          break;
        }
        load_done_.Wait(mu_);  // another reader is loading it
      }
    }
    const bool loaded_now = load != nullptr;
    if (loaded_now) {
      TV_ASSIGN_OR_RETURN(entry, LoadAndInstall(object_id, load));
    }
    {
      MutexLock lock(entry->mu);
      // An evicted tail stopped following commits: take the new one. A tail
      // this call just loaded holds every commit up to its caller's snapshot.
      if (entry->evicted && !loaded_now) continue;
      TV_RETURN_IF_ERROR(fn(entry->tail));
    }
    if (loaded_now) EvictIfOverBudget(object_id);
    return Status::Ok();
  }
}

Result<std::shared_ptr<TailCache::Entry>> TailCache::LoadAndInstall(const std::string& object_id,
                                                                    const std::shared_ptr<Loading>& load) {
  ObjectTail fresh;
  Status loaded = Load(object_id, fresh);  // no lock held: object storage, with retries
  auto entry = std::make_shared<Entry>();
  MutexLock entry_lock(entry->mu);  // before the install: readers wait for the folds below
  entry->tail = std::move(fresh);
  std::vector<OwnedVersion> committed;
  bool install = false;
  {
    MutexLock lock(mu_);
    if (auto it = loading_.find(object_id); it != loading_.end() && it->second == load) loading_.erase(it);
    committed = std::move(load->committed);
    install = loaded.ok() && !load->stale;
    if (install) {
      tails_[object_id] = Slot{entry, ++tick_};
      total_bytes_ += entry->tail.bytes();
    }
    load_done_.SignalAll();
  }
  TV_RETURN_IF_ERROR(loaded);
  if (!install) return entry;  // invalidated meanwhile: this caller reads it once, nobody else
  // What the committer handed over while the load ran; versions the load
  // already read are skipped by their xact.
  std::vector<CommittedVersion> versions;
  versions.reserve(committed.size());
  for (const auto& v : committed) versions.push_back({v.xact, &v.row, v.bytes});
  if (!Fold(object_id, *entry, versions)) {
    entry->evicted = true;
    total_bytes_ -= entry->tail.bytes();
    MutexLock lock(mu_);
    if (auto it = tails_.find(object_id); it != tails_.end() && it->second.entry == entry) tails_.erase(it);
  }
  return entry;
}

Status TailCache::Load(const std::string& object_id, ObjectTail& tail) {
  // The set and the sections must be one view: a compaction that lands in
  // between drops sections the old set does not cover, so check and retry.
  for (int attempt = 0;; ++attempt) {
    TV_ASSIGN_OR_RETURN(SegmentSet set, catalog_.LoadSegmentSet(object_id));
    TV_RETURN_IF_ERROR(LoadOnce(object_id, set, tail));
    TV_ASSIGN_OR_RETURN(SegmentSet again, catalog_.LoadSegmentSet(object_id));
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

bool TailCache::Fold(const std::string& object_id, Entry& entry, const std::vector<CommittedVersion>& versions) {
  size_t before = entry.tail.bytes();
  Status applied = Status::Ok();
  for (const auto& v : versions) {
    applied = entry.tail.Apply(*v.row, v.xact, v.bytes);
    if (!applied.ok()) break;
  }
  total_bytes_ += entry.tail.bytes() - before;
  // The commit is durable; this tail just could not follow it.
  if (!applied.ok()) spdlog::warn("reloading the tail of {}: {}", object_id, applied.message());
  return applied.ok();
}

void TailCache::ApplyCommitted(const std::string& object_id, const std::vector<CommittedVersion>& versions) {
  std::shared_ptr<Entry> entry;
  std::vector<OwnedVersion> copies;
  bool copied = false;
  for (;;) {
    {
      MutexLock lock(mu_);
      if (auto l = loading_.find(object_id); l != loading_.end()) {
        if (copied) {
          auto& pending = l->second->committed;
          std::move(copies.begin(), copies.end(), std::back_inserter(pending));
          return;
        }
      } else {
        auto it = tails_.find(object_id);
        // Not in memory: its next load reads the catalog, which has the commit.
        if (it == tails_.end()) return;
        entry = it->second.entry;
        break;
      }
    }
    // A load is under way: the rows are the caller's, so copy them (outside
    // the lock) for the load to fold in when it installs.
    for (const auto& v : versions) copies.push_back({v.xact, *v.row, v.bytes});
    copied = true;
  }
  bool folded = false;
  {
    MutexLock lock(entry->mu);
    if (entry->evicted) return;
    folded = Fold(object_id, *entry, versions);
  }
  if (!folded) return Invalidate(object_id);
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
  std::shared_ptr<Entry> entry;
  {
    MutexLock lock(mu_);
    // A load under way may have read either set: it is not installed.
    if (loading_.count(object_id)) {
      lock.Unlock();
      return Invalidate(object_id);
    }
    auto it = tails_.find(object_id);
    if (it == tails_.end()) return;
    entry = it->second.entry;
  }
  bool stale = false;
  {
    MutexLock lock(entry->mu);
    if (entry->evicted) return;
    int64_t current = entry->tail.segments() ? entry->tail.segments()->meta().generation : 0;
    if (current != from_generation) {
      stale = true;
    } else {
      size_t before = entry->tail.bytes();
      entry->tail.Rebase(std::move(set));
      total_bytes_ -= before - entry->tail.bytes();
    }
  }
  if (stale) Invalidate(object_id);
}

void TailCache::Invalidate(const std::string& object_id) {
  std::shared_ptr<Entry> entry;
  {
    MutexLock lock(mu_);
    if (auto l = loading_.find(object_id); l != loading_.end()) {
      l->second->stale = true;  // its loader reads it once and does not install it
      loading_.erase(l);
      load_done_.SignalAll();
    }
    auto it = tails_.find(object_id);
    if (it == tails_.end()) return;
    entry = it->second.entry;
    tails_.erase(it);
  }
  MutexLock lock(entry->mu);
  entry->evicted = true;
  total_bytes_ -= entry->tail.bytes();
}

void TailCache::EvictIfOverBudget(const std::string& keep) {
  MutexLock lock(mu_);
  while (total_bytes_.load() > budget_ && tails_.size() > 1) {
    auto victim = tails_.end();
    for (auto it = tails_.begin(); it != tails_.end(); ++it) {
      if (it->first == keep) continue;
      if (victim == tails_.end() || it->second.last_used < victim->second.last_used) victim = it;
    }
    if (victim == tails_.end()) return;
    std::shared_ptr<Entry> doomed = victim->second.entry;  // outlives the erase below
    // Never wait on a tail's lock while holding mu_ (see the header).
    if (!doomed->mu.TryLock()) return;  // in use; try again after the next load
    doomed->evicted = true;
    total_bytes_ -= doomed->tail.bytes();
    doomed->mu.Unlock();
    tails_.erase(victim);
  }
}

}  // namespace tv::store

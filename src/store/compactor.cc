#include "store/compactor.h"

#include <algorithm>

#include <boost/json/array.hpp>
#include <cmath>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "crypto/crypto.h"
#include "store/codec.h"
#include "store/retry.h"

namespace tv::store {
namespace {

constexpr int kCasAttempts = 5;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

void CompactReport::Add(const CompactReport& o) {
  objects += o.objects;
  segments_written += o.segments_written;
  segments_merged += o.segments_merged;
  rows += o.rows;
  raw_bytes += o.raw_bytes;
  bytes += o.bytes;
  seconds += o.seconds;
  failed.insert(failed.end(), o.failed.begin(), o.failed.end());
}

json::object CompactReport::ToJson() const {
  json::array failures;
  for (const auto& [object_id, error] : failed)
    failures.push_back(json::object{{"object_id", object_id}, {"error", error}});
  return json::object{{"objects", objects},
                      {"segments_written", segments_written},
                      {"segments_merged", segments_merged},
                      {"rows", rows},
                      {"raw_bytes", raw_bytes},
                      {"bytes", bytes},
                      {"seconds", seconds},
                      {"failed", std::move(failures)}};
}

json::object CompactionFailure::ToJson() const {
  return json::object{{"object_id", key},
                      {"failures", failures},
                      {"last_error", last_error},
                      {"next_retry", FormatTimestamp(next_retry_micros)}};
}

Compactor::Compactor(Catalog& catalog, objstore::ObjectStore& objects, TailCache& tails, const Clock& clock,
                     std::function<XactId()> watermark, CompactorOptions options)
    : catalog_(catalog),
      objects_(objects),
      tails_(tails),
      clock_(clock),
      watermark_(std::move(watermark)),
      options_(options) {
  if (options_.background) thread_ = std::thread([this] { Loop(); });
}

Compactor::~Compactor() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

std::string Compactor::Now() const { return FormatTimestamp(clock_.NowMicros()); }

std::string Compactor::Later(std::chrono::seconds by) const {
  return FormatTimestamp(clock_.NowMicros() + std::chrono::duration_cast<std::chrono::microseconds>(by).count());
}

Result<SegmentMeta> Compactor::WriteSegment(const std::string& object_id, BuiltSegment built, std::string_view label) {
  SegmentMeta meta;
  meta.key = fmt::format("{}{}-{}.tvseg", SegmentPrefix(object_id), FormatXact(built.max_xact),
                         crypto::HexEncode(crypto::RandomBytes(4)));
  meta.min_xact = built.min_xact;
  meta.max_xact = built.max_xact;
  meta.rows = built.rows;
  meta.bytes = built.bytes.size();
  meta.raw_bytes = built.raw_bytes;
  TV_RETURN_IF_ERROR(RetryUnavailable(std::string(label) + " " + meta.key, options_.storage_deadline,
                                      [&] { return objects_.Put(meta.key, built.bytes); }));
  return meta;
}

CompactReport Compactor::Report(const BuiltSegment& built, uint64_t merged) {
  CompactReport r;
  r.objects = 1;
  r.segments_written = 1;
  r.segments_merged = merged;
  r.rows = built.rows;
  r.raw_bytes = built.raw_bytes;
  r.bytes = built.bytes.size();
  return r;
}

Status Compactor::Swap(const SegmentSet& from, SetChange change) {
  change.now = Now();
  change.delete_after = Later(options_.grace);
  Status cas = catalog_.CommitSetChange(from, change);
  if (!cas.ok()) {
    for (const auto& s : change.add) (void)objects_.Delete(s.key);  // never part of a set
    return cas;
  }
  // The set the CAS made: the loaded tail moves onto it in place.
  SegmentSet to = from;
  ++to.generation;
  to.through = change.through;
  to.history_from = change.history_from;
  std::erase_if(to.segments, [&](const SegmentMeta& m) {
    return std::find(change.remove.begin(), change.remove.end(), m.key) != change.remove.end();
  });
  to.segments.insert(to.segments.end(), change.add.begin(), change.add.end());
  std::sort(to.segments.begin(), to.segments.end(),
            [](const SegmentMeta& a, const SegmentMeta& b) { return a.min_xact < b.min_xact; });
  tails_.Rebase(from.object_id, from.generation, to);
  return Status::Ok();
}

Status Compactor::DeleteGarbage(const std::string& key) {
  tails_.segment_cache().Forget(key);
  TV_RETURN_IF_ERROR(
      RetryUnavailable("delete " + key, options_.storage_deadline, [&] { return objects_.Delete(key); }));
  return catalog_.ForgetGarbage(key);
}

Result<CompactReport> Compactor::Fold(const std::string& object_id) {
  for (int attempt = 0; attempt < kCasAttempts; ++attempt) {
    auto start = std::chrono::steady_clock::now();
    XactId upto = watermark_();
    std::vector<SegmentRow> rows;
    SegmentSet from;
    TV_RETURN_IF_ERROR(tails_.With(object_id, [&](const ObjectTail& tail) -> Status {
      if (tail.segments()) {
        from = tail.segments()->meta();
      } else {
        from.object_id = object_id;
      }
      for (const auto& [id, h] : tail.rows()) {
        for (size_t i = 0; i < h.states.size(); ++i) {
          const auto& s = h.states[i];
          // Several versions of an id in one request: the last is the state.
          if (i + 1 < h.states.size() && h.states[i + 1].xact == s.xact) continue;
          if (s.xact <= upto && s.xact > from.through) rows.push_back({s.xact, id, s.row});
        }
      }
      return Status::Ok();
    }));
    if (rows.empty()) return CompactReport{};
    std::sort(rows.begin(), rows.end(), [](const SegmentRow& a, const SegmentRow& b) {
      return a.xact != b.xact ? a.xact > b.xact : a.id > b.id;
    });
    XactId through = rows.front().xact;
    SegmentWriter writer(object_id, from.through, through, options_.block_bytes, options_.compress);
    for (const auto& r : rows) TV_RETURN_IF_ERROR(writer.Add(r));
    rows.clear();
    BuiltSegment built = writer.Finish();
    CompactReport report = Report(built, 0);
    TV_ASSIGN_OR_RETURN(SegmentMeta meta, WriteSegment(object_id, std::move(built), "fold into"));
    SetChange change;
    change.add.push_back(meta);
    change.through = through;
    change.history_from = from.history_from;
    Status swapped = Swap(from, std::move(change));
    if (swapped.code() == StatusCode::kAlreadyExists) {
      tails_.Invalidate(object_id);  // it was on a set another compactor replaced
      continue;
    }
    TV_RETURN_IF_ERROR(swapped);
    report.seconds = Seconds(start);
    return report;
  }
  return Unavailable("compaction of {} kept losing to another compactor", object_id);
}

Result<CompactReport> Compactor::MergeRun(const SegmentSet& set, size_t first, size_t count) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<const Segment>> run;  // newest first
  for (size_t i = first + count; i-- > first;) {
    const SegmentMeta& m = set.segments[i];
    TV_ASSIGN_OR_RETURN(auto seg, tails_.segment_cache().Open(m.key, m.bytes));
    run.push_back(std::move(seg));
  }
  XactId horizon = XactAtTime(
      clock_.NowMicros() - std::chrono::duration_cast<std::chrono::microseconds>(options_.history_retention).count());
  bool includes_oldest = first == 0;
  bool dropped_history = false;
  std::unordered_set<std::string> settled;  // ids whose newest state at or before the horizon was seen
  SegmentWriter writer(set.object_id, set.segments[first].min_xact, set.segments[first + count - 1].max_xact,
                       options_.block_bytes, options_.compress);
  // The segments tile the xact range, so newest-first segments of
  // newest-first rows are one newest-first stream.
  for (const auto& seg : run) {
    for (uint32_t r = 0; r < seg->rows(); ++r) {
      std::string id(seg->id(r));
      if (seg->xact(r) <= horizon) {
        if (!settled.insert(id).second) {
          dropped_history = true;  // an older state than one already kept
          continue;
        }
        if (seg->tombstone(r) && includes_oldest) {
          dropped_history = true;
          continue;
        }
      }
      TV_ASSIGN_OR_RETURN(RowPtr row, seg->Row(r));
      TV_RETURN_IF_ERROR(writer.Add({seg->xact(r), id, row}));
    }
  }
  BuiltSegment built = writer.Finish();
  CompactReport report = Report(built, count);
  TV_ASSIGN_OR_RETURN(SegmentMeta meta, WriteSegment(set.object_id, std::move(built), "merge into"));
  SetChange change;
  for (size_t i = first; i < first + count; ++i) change.remove.push_back(set.segments[i].key);
  change.add.push_back(meta);
  change.through = set.through;
  change.history_from = dropped_history ? std::max(set.history_from, horizon) : set.history_from;
  TV_RETURN_IF_ERROR(Swap(set, std::move(change)));
  report.seconds = Seconds(start);
  return report;
}

// Size tiers: a segment of `rows` rows is in tier floor(log_F(rows / fold_rows)).
// When the F newest segments share a tier they merge into one of the next
// tier, so a row is rewritten about log_F(object rows / fold rows) times.
// A set longer than max_segments merges its newest F regardless.
Result<CompactReport> Compactor::MergeTiers(const std::string& object_id) {
  CompactReport total;
  const size_t fanin = std::max<size_t>(2, options_.merge_fanin);
  auto tier = [&](uint64_t rows) {
    double base = static_cast<double>(std::max<uint64_t>(1, options_.fold_rows));
    return rows <= base ? 0 : static_cast<int>(std::log(static_cast<double>(rows) / base) / std::log(double(fanin)));
  };
  for (int conflicts = 0;;) {
    TV_ASSIGN_OR_RETURN(SegmentSet set, catalog_.LoadSegmentSet(object_id));
    size_t n = set.segments.size();
    if (n < 2) return total;
    int t = tier(set.segments[n - 1].rows);
    size_t same = 1;
    while (same < n && tier(set.segments[n - 1 - same].rows) == t) ++same;
    size_t count = 0;
    if (same >= fanin) {
      count = fanin;
    } else if (n > options_.max_segments) {
      count = std::min(n, fanin);
    } else {
      return total;
    }
    Result<CompactReport> r = MergeRun(set, n - count, count);
    if (!r.ok() && r.status().code() == StatusCode::kAlreadyExists && ++conflicts < kCasAttempts) continue;
    TV_RETURN_IF_ERROR(r.status());
    total.Add(*r);
  }
}

Result<CompactReport> Compactor::CompactObject(const std::string& object_id) {
  Result<CompactReport> r = CompactObjectOnce(object_id);
  if (r.ok()) {
    NoteSuccess(Failing::kObject, object_id, "compaction");
  } else {
    ++failures_total_;
    NoteFailure(Failing::kObject, object_id, r.status(), "compaction");
  }
  return r;
}

Result<CompactReport> Compactor::CompactObjectOnce(const std::string& object_id) {
  MutexLock run(run_mu_);
  CompactReport report;
  TV_ASSIGN_OR_RETURN(CompactReport folded, Fold(object_id));
  report.Add(folded);
  TV_ASSIGN_OR_RETURN(CompactReport merged, MergeTiers(object_id));
  report.Add(merged);
  report.objects = report.segments_written ? 1 : 0;
  MutexLock lock(totals_mu_);
  totals_.Add(report);
  return report;
}

Result<CompactReport> Compactor::CompactAll(const std::vector<std::string>* only) {
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> ids;
  if (only) {
    ids = *only;
  } else {
    TV_ASSIGN_OR_RETURN(std::vector<Backlog> backlog, catalog_.LoadBacklog());
    for (const auto& b : backlog) ids.push_back(b.object_id);
  }
  CompactReport total;
  for (const auto& id : ids) {
    Result<CompactReport> r = CompactObject(id);
    if (r.ok()) {
      total.Add(*r);
    } else {
      total.failed.emplace_back(id, r.status().message());
    }
  }
  total.seconds = Seconds(start);
  TV_RETURN_IF_ERROR(RefreshBacklog());
  return total;
}

Status Compactor::SweepGarbage() {
  TV_ASSIGN_OR_RETURN(std::vector<Garbage> due, catalog_.DueGarbage(Now(), 1000));
  for (const auto& g : due) {
    if (!RetryDue(Failing::kGarbage, g.key)) continue;
    if (Status s = DeleteGarbage(g.key); !s.ok()) {
      NoteFailure(Failing::kGarbage, g.key, s, "deletion of garbage");
    } else {
      NoteSuccess(Failing::kGarbage, g.key, "deletion of garbage");
    }
  }
  return Status::Ok();
}

Compactor::FailureMap& Compactor::FailuresOf(Failing which) {
  return which == Failing::kObject ? objects_failing_ : garbage_failing_;
}

const Compactor::FailureMap& Compactor::FailuresOf(Failing which) const {
  return which == Failing::kObject ? objects_failing_ : garbage_failing_;
}

void Compactor::NoteFailure(Failing which, const std::string& key, const Status& s, std::string_view what) {
  CompactionFailure f;
  {
    MutexLock lock(failures_mu_);
    CompactionFailure& slot = FailuresOf(which)[key];
    slot.key = key;
    ++slot.failures;
    slot.last_error = s.message();
    auto base = std::chrono::duration_cast<std::chrono::microseconds>(options_.retry_base).count();
    auto cap = std::chrono::duration_cast<std::chrono::microseconds>(options_.retry_max).count();
    int64_t delay = base;
    for (uint64_t i = 1; i < slot.failures && delay < cap; ++i) delay *= 2;
    slot.next_retry_micros = clock_.NowMicros() + std::min(delay, cap);
    f = slot;
  }
  // Once per backoff step: the loop does not try again before next_retry.
  spdlog::warn("{} of {} failed ({} in a row; next try at {}): {}", what, key, f.failures,
               FormatTimestamp(f.next_retry_micros), f.last_error);
}

void Compactor::NoteSuccess(Failing which, const std::string& key, std::string_view what) {
  MutexLock lock(failures_mu_);
  FailureMap& failures = FailuresOf(which);
  auto it = failures.find(key);
  if (it == failures.end()) return;
  spdlog::info("{} of {} succeeded after {} failures", what, key, it->second.failures);
  failures.erase(it);
}

bool Compactor::RetryDue(Failing which, const std::string& key) const {
  MutexLock lock(failures_mu_);
  const FailureMap& failures = FailuresOf(which);
  auto it = failures.find(key);
  return it == failures.end() || clock_.NowMicros() >= it->second.next_retry_micros;
}

std::vector<CompactionFailure> Compactor::Failures() const {
  MutexLock lock(failures_mu_);
  std::vector<CompactionFailure> out;
  for (const auto& [key, f] : objects_failing_) out.push_back(f);
  return out;
}

std::optional<CompactionFailure> Compactor::FailureOf(const std::string& object_id) const {
  MutexLock lock(failures_mu_);
  auto it = objects_failing_.find(object_id);
  if (it == objects_failing_.end()) return std::nullopt;
  return it->second;
}

uint64_t Compactor::failing_objects() const {
  MutexLock lock(failures_mu_);
  return objects_failing_.size();
}

Status Compactor::SweepOrphans(XactId started) {
  MutexLock run(run_mu_);
  auto keys = [](Result<std::vector<std::string>> listed) -> Result<std::unordered_set<std::string>> {
    TV_RETURN_IF_ERROR(listed.status());
    return std::unordered_set<std::string>(listed->begin(), listed->end());
  };
  TV_ASSIGN_OR_RETURN(auto live_segments, keys(catalog_.SegmentKeys()));
  TV_ASSIGN_OR_RETURN(auto live_chunks, keys(catalog_.ChunkKeys()));
  TV_ASSIGN_OR_RETURN(auto garbage, keys(catalog_.GarbageKeys()));
  size_t deleted = 0;
  TV_ASSIGN_OR_RETURN(auto segments, objects_.List("seg/"));
  for (const auto& e : segments) {
    if (live_segments.count(e.key) || garbage.count(e.key)) continue;
    TV_RETURN_IF_ERROR(objects_.Delete(e.key));
    ++deleted;
  }
  TV_ASSIGN_OR_RETURN(auto chunks, objects_.List(kWalPrefix));
  for (const auto& e : chunks) {
    if (live_chunks.count(e.key) || garbage.count(e.key)) continue;
    Result<XactId> first = WalChunkFirstXact(e.key);
    if (!first.ok() || *first > started) continue;
    TV_RETURN_IF_ERROR(objects_.Delete(e.key));
    ++deleted;
  }
  if (deleted) spdlog::info("deleted {} orphaned objects left by interrupted writes or compactions", deleted);
  return Status::Ok();
}

Status Compactor::RefreshBacklog() {
  TV_ASSIGN_OR_RETURN(std::vector<Backlog> backlog, catalog_.LoadBacklog());
  uint64_t rows = 0, bytes = 0;
  XactId oldest = 0;
  for (const auto& b : backlog) {
    rows += b.rows;
    bytes += b.bytes;
    if (!oldest || b.oldest < oldest) oldest = b.oldest;
  }
  backlog_rows_ = rows;
  backlog_bytes_ = bytes;
  oldest_waiting_ = oldest;
  return Status::Ok();
}

double Compactor::indexing_lag_seconds() const {
  XactId oldest = oldest_waiting_.load();
  if (!oldest) return 0;
  double now = static_cast<double>(clock_.NowMicros()) / 1e6;
  return std::max(0.0, now - static_cast<double>(XactSeconds(oldest)));
}

void Compactor::Request(const std::vector<std::string>& object_ids) {
  {
    MutexLock lock(mu_);
    requested_.insert(object_ids.begin(), object_ids.end());
  }
  cv_.SignalAll();
}

void Compactor::Loop() {
  if (Status s = SweepOrphans(watermark_()); !s.ok()) spdlog::warn("orphan sweep: {}", s.message());
  MutexLock lock(mu_);
  for (;;) {
    auto deadline = std::chrono::steady_clock::now() + options_.poll;
    while (!stop_ && requested_.empty())
      if (!cv_.WaitUntil(mu_, deadline)) break;
    if (stop_) break;
    std::set<std::string> requested = std::exchange(requested_, {});
    lock.Unlock();
    // Each step on its own: one object's failure (backed off, see
    // NoteFailure) never keeps the others, the backlog or the sweep waiting.
    Result<std::vector<Backlog>> backlog = catalog_.LoadBacklog();
    if (!backlog.ok()) spdlog::warn("background compaction: {}", backlog.status().message());
    int64_t now_s = clock_.NowMicros() / 1000000;
    for (const auto& b : backlog.ok() ? *backlog : std::vector<Backlog>()) {
      bool due = requested.count(b.object_id) || b.rows >= options_.fold_rows || b.bytes >= options_.fold_bytes ||
                 now_s - XactSeconds(b.oldest) >= options_.fold_age.count();
      if (!due || !RetryDue(Failing::kObject, b.object_id)) continue;
      Result<CompactReport> r = CompactObject(b.object_id);
      if (r.ok() && r->segments_written)
        spdlog::debug("compacted {}: {} rows, {} → {} bytes in {:.3f}s", b.object_id, r->rows, r->raw_bytes, r->bytes,
                      r->seconds);
    }
    if (Status s = RefreshBacklog(); !s.ok()) spdlog::warn("WAL backlog: {}", s.message());
    if (Status s = SweepGarbage(); !s.ok()) spdlog::warn("garbage sweep: {}", s.message());
    lock.Lock();
  }
}

}  // namespace tv::store

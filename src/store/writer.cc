#include "store/writer.h"

#include <algorithm>
#include <map>

#include <boost/json/serialize.hpp>

#include "store/quarantine.h"
#include "store/retry.h"

namespace tv::store {
namespace {

// `{"_xact_id":"<x>",` + the rest of the serialized row.
void AppendLine(std::string& out, const std::string& xact, const std::string& row) {
  out += "{\"_xact_id\":\"";
  out += xact;
  out += row.size() > 2 ? "\"," : "\"";
  out.append(row, 1);
  out += '\n';
}

}  // namespace

GroupCommitter::GroupCommitter(Catalog& catalog, objstore::ObjectStore& objects, TailCache& tails, const Clock& clock,
                               WriterOptions options, XactId last_committed)
    : catalog_(catalog),
      objects_(objects),
      tails_(tails),
      clock_(clock),
      options_(options),
      xacts_(last_committed),
      watermark_(last_committed),
      thread_([this] { Loop(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.SignalAll();
  thread_.join();
}

Result<XactId> GroupCommitter::Commit(WriteBatch batch) {
  // All or nothing: a row readers could not decode (a number JSON cannot
  // carry, text that is not UTF-8, nesting past the parsers' limit) is
  // refused with its whole batch before any of it is queued.
  for (const auto& ow : batch.objects) {
    for (size_t r = 0; r < ow.rows.size(); ++r) {
      if (auto why = UnstorableReason(ow.rows[r]))
        return InvalidArgument("row {} of {}: {}", r, ow.owner.object_id, *why);
    }
  }
  auto p = std::make_unique<Pending>();
  for (const auto& ow : batch.objects) {
    auto& lines = p->lines.emplace_back();
    lines.reserve(ow.rows.size());
    for (const auto& row : ow.rows) {
      lines.push_back(json::serialize(row));
      p->bytes += lines.back().size() + 32;
    }
  }
  p->batch = std::move(batch);
  std::future<Result<XactId>> done = p->done.get_future();
  {
    MutexLock lock(mu_);
    if (stop_) return Unavailable("the server is shutting down");
    queued_bytes_ += p->bytes;
    queue_.push_back(std::move(p));
  }
  cv_.SignalAll();
  return done.get();
}

void GroupCommitter::Loop() {
  MutexLock lock(mu_);
  for (;;) {
    while (!stop_ && queue_.empty()) cv_.Wait(mu_);
    if (queue_.empty()) return;  // stopping, nothing left
    auto deadline = std::chrono::steady_clock::now() + options_.window;
    while (!stop_ && queued_bytes_ < options_.max_chunk_bytes)
      if (!cv_.WaitUntil(mu_, deadline)) break;
    std::vector<std::unique_ptr<Pending>> group;
    size_t bytes = 0;
    while (!queue_.empty() && (group.empty() || bytes + queue_.front()->bytes <= options_.max_chunk_bytes)) {
      bytes += queue_.front()->bytes;
      queued_bytes_ -= queue_.front()->bytes;
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.Unlock();
    Process(group);
    lock.Lock();
  }
}

void GroupCommitter::Process(std::vector<std::unique_ptr<Pending>>& group) {
  Status s = WriteChunk(group);
  for (auto& p : group) {
    if (s.ok()) {
      p->done.set_value(p->xact);
    } else {
      p->done.set_value(Unavailable("the write was not stored, retry it: {}", s.message()));
    }
  }
}

Status GroupCommitter::WriteChunk(std::vector<std::unique_ptr<Pending>>& group) {
  int64_t now = clock_.NowMicros();
  for (auto& p : group) p->xact = xacts_.Next(now);
  XactId first = group.front()->xact, last = group.back()->xact;

  // One section per object, rows in xact order.
  struct Section {
    ObjectOwner owner;
    std::string jsonl;
    uint32_t rows = 0;
    XactId min_xact = 0, max_xact = 0;
    std::vector<CommittedVersion> versions;
  };
  std::vector<Section> sections;
  std::map<std::string, size_t, std::less<>> index;
  for (auto& p : group) {
    std::string xact = FormatXact(p->xact);
    for (size_t o = 0; o < p->batch.objects.size(); ++o) {
      const ObjectWrite& ow = p->batch.objects[o];
      auto [it, fresh] = index.try_emplace(ow.owner.object_id, sections.size());
      if (fresh) sections.push_back({ow.owner, {}, 0, p->xact, p->xact, {}});
      Section& s = sections[it->second];
      for (size_t r = 0; r < ow.rows.size(); ++r) {
        AppendLine(s.jsonl, xact, p->lines[o][r]);
        s.versions.push_back({p->xact, &ow.rows[r], p->lines[o][r].size()});
        ++s.rows;
      }
      s.max_xact = p->xact;
    }
  }
  ChunkBuilder builder(options_.compress);
  for (const auto& s : sections) builder.AddSection(s.owner.object_id, s.jsonl, s.rows, s.min_xact, s.max_xact);
  ChunkCommit commit;
  commit.chunk_key = WalChunkKey(first);
  commit.min_xact = first;
  commit.max_xact = last;
  commit.sections = builder.sections();
  commit.created = FormatTimestamp(now);
  for (const auto& s : sections) commit.objects.push_back(s.owner);
  std::string chunk = builder.Finish();
  commit.bytes = chunk.size();

  TV_RETURN_IF_ERROR(RetryUnavailable("put " + commit.chunk_key, options_.deadline,
                                      [&] { return objects_.Put(commit.chunk_key, chunk); }));
  TV_RETURN_IF_ERROR(
      RetryUnavailable("commit " + commit.chunk_key, options_.deadline, [&] { return catalog_.Commit(commit); }));
  for (const auto& s : sections) tails_.ApplyCommitted(s.owner.object_id, s.versions);
  watermark_.store(last, std::memory_order_release);
  last_lag_us_.store(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - group.front()->arrived)
          .count(),
      std::memory_order_relaxed);
  return Status::Ok();
}

}  // namespace tv::store

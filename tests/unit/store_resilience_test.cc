// The span store against rows it cannot decode and objects that fail: a
// poisoned row (written beneath validation, as older builds did) is
// quarantined with its bytes while the rest of its object stays readable,
// compactable and purgeable; one object's failure never stops the others;
// the backlog is true from the start; purge touches only its own object's
// garbage; the writer refuses what readers could not decode; a slow tail
// load never holds up the committer.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <future>
#include <limits>
#include <thread>

#include "store/quarantine.h"
#include "store/repair.h"
#include "store/segment_writer.h"
#include "store/wal_chunk.h"
#include "store_fixture.h"

namespace tv::store {
namespace {

class ResilienceTest : public StoreTestBase {
 protected:
  void SetUp() override {
    StoreTestBase::SetUp();
    Open();
  }

  // Commits a WAL chunk holding `lines` (each `{...}` without _xact_id) for
  // `ref` straight to object storage and the catalog, beneath the writer's
  // validation, then restarts so the watermark covers it. Returns its xact.
  XactId Inject(const ObjectRef& ref, const std::vector<std::string>& lines) {
    XactId x = std::max(store_->watermark() + 1, XactAtTime(clock_.NowMicros()));
    std::string jsonl;
    for (const auto& l : lines) jsonl += fmt::format("{{\"_xact_id\":\"{}\",{}\n", FormatXact(x), l.substr(1));
    ChunkBuilder builder(false);
    builder.AddSection(ref.ObjectId(), jsonl, static_cast<uint32_t>(lines.size()), x, x);
    ChunkCommit c;
    c.chunk_key = WalChunkKey(x, "0badc0de");
    c.min_xact = c.max_xact = x;
    c.sections = builder.sections();
    c.objects = {{ref.ObjectId(), org_, project_}};
    c.created = FormatTimestamp(clock_.NowMicros());
    std::string bytes = builder.Finish();
    c.bytes = bytes.size();
    EXPECT_TRUE(objects_->Put(c.chunk_key, bytes).ok());
    EXPECT_TRUE(store_->catalog().Commit(c).ok());
    Restart();
    injected_key_ = c.chunk_key;
    return x;
  }

  std::string SpanLine(const ObjectRef& ref, std::string_view id, std::string_view metadata) {
    return fmt::format(R"({{"id":"{}","span_id":"{}","root_span_id":"{}","experiment_id":"{}","project_id":"{}",)"
                       R"("created":"2026-11-23T09:20:29.024Z","output":"out {}","metadata":{}}})",
                       id, id, id, ref.id, project_, id, metadata);
  }

  std::vector<QuarantineRecord> Quarantined(const ObjectRef& ref) {
    Result<std::vector<QuarantineRecord>> r = store_->quarantine().List(ref.ObjectId());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<QuarantineRecord>();
  }

  // A, B with good rows; A also with a chunk holding a poisoned row.
  void Poison() {
    MustWrite({W(a_, {Span("a1", "a1", std::nullopt, "one"), Span("a2", "a2", std::nullopt, "two")})});
    MustWrite({W(b_, {Span("b1", "b1", std::nullopt, "bee")})});
    Inject(a_, {SpanLine(a_, "poison", R"({"n":Infinity})"), SpanLine(a_, "a3", R"({"n":3})")});
  }

  ObjectRef a_ = Experiment(), b_ = Experiment();
  std::string injected_key_;
};

TEST_F(ResilienceTest, PoisonedWalRowIsQuarantinedAndTheRestOfTheObjectReads) {
  Poison();
  EXPECT_EQ(Sorted(Ids(Rows(a_))), (std::set<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(Ids(Rows(b_)), std::vector<std::string>{"b1"});
  std::vector<QuarantineRecord> q = Quarantined(a_);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].source_key, injected_key_);
  EXPECT_EQ(q[0].position, 0);
  EXPECT_EQ(q[0].row_id, "");  // not JSON: nothing could be read from it
  EXPECT_NE(q[0].raw.find(R"("metadata":{"n":Infinity})"), std::string::npos) << q[0].raw;
  EXPECT_NE(q[0].reason.find("not JSON"), std::string::npos) << q[0].reason;
  EXPECT_EQ(*store_->quarantine().Count(), 1u);
  // Reading again records nothing new.
  Rows(a_);
  EXPECT_EQ(Quarantined(a_).size(), 1u);
}

TEST_F(ResilienceTest, PoisonedObjectCompactsAndKeepsTheQuarantinedBytes) {
  Poison();
  Result<CompactReport> r = store_->compactor().CompactAll();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->failed.empty());
  EXPECT_EQ(r->objects, 2u);
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM wal_section"), 0);
  EXPECT_EQ(store_->compactor().backlog_rows(), 0u);
  EXPECT_EQ(store_->compactor().failing_objects(), 0u);
  // The chunk left the WAL; its unreadable row is still on record.
  std::vector<QuarantineRecord> q = Quarantined(a_);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_NE(q[0].raw.find("Infinity"), std::string::npos);
  Restart();
  EXPECT_EQ(Sorted(Ids(Rows(a_))), (std::set<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(Ids(Rows(b_)), std::vector<std::string>{"b1"});
}

TEST_F(ResilienceTest, ANumberTooLargeForADoubleIsQuarantinedToo) {
  // 1e999 parses as an infinity: served, it would come back as `Infinity`.
  MustWrite({W(a_, {Span("a1", "a1", std::nullopt, "one")})});
  Inject(a_, {SpanLine(a_, "big", R"({"n":1e999})")});
  EXPECT_EQ(Ids(Rows(a_)), std::vector<std::string>{"a1"});
  std::vector<QuarantineRecord> q = Quarantined(a_);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].row_id, "big");
  EXPECT_NE(q[0].reason.find("metadata.n"), std::string::npos) << q[0].reason;
}

TEST_F(ResilienceTest, PurgeOfAPoisonedObjectWorks) {
  Poison();
  Result<PurgeReceipt> some = store_->Purge({a_.ObjectId(), false, {"a3"}});
  ASSERT_TRUE(some.ok()) << some.status().ToString();
  EXPECT_EQ(Sorted(Ids(Rows(a_))), (std::set<std::string>{"a1", "a2"}));
  EXPECT_EQ(Quarantined(a_).size(), 1u);  // the poisoned line was kept, as recorded
  Result<PurgeReceipt> all = store_->Purge({a_.ObjectId(), true, {}});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(Rows(a_).empty());
  EXPECT_TRUE(Quarantined(a_).empty());  // purge removes the quarantine's copy too
  EXPECT_EQ(Ids(Rows(b_)), std::vector<std::string>{"b1"});
}

TEST_F(ResilienceTest, PurgeByIdDropsAQuarantinedLineNamingIt) {
  MustWrite({W(a_, {Span("a1", "a1", std::nullopt, "one")})});
  Inject(a_, {SpanLine(a_, "secret", R"({"n":Infinity})")});
  EXPECT_EQ(Ids(Rows(a_)), std::vector<std::string>{"a1"});
  Result<PurgeReceipt> r = store_->Purge({a_.ObjectId(), false, {"secret"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->versions_removed, 1u);
  EXPECT_TRUE(Quarantined(a_).empty());
  for (const auto& f : WalFiles()) {
    std::ifstream in(fs::path(folder_) / "wal" / f, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find("secret"), std::string::npos) << f;
  }
}

// Purging one id drops only that row's quarantined versions: not a line that
// merely mentions the id, not ids that LIKE's wildcards or case folding would
// match, and not an unparseable line of another id.
TEST_F(ResilienceTest, PurgeByIdKeepsOtherRowsQuarantinedVersions) {
  MustWrite({W(a_, {Span("a1", "a1", std::nullopt, "one")})});
  Inject(a_, {SpanLine(a_, "q_1", R"({"n":Infinity})"), SpanLine(a_, "qx1", R"({"n":Infinity})"),
              SpanLine(a_, "Q_1", R"({"n":Infinity})"), SpanLine(a_, "other", R"({"n":Infinity,"ref":"q_1"})"),
              R"({"id":"q_1","broken":)", R"({"id":"keep","broken":)"});
  EXPECT_EQ(Ids(Rows(a_)), std::vector<std::string>{"a1"});  // reading records what does not decode
  ASSERT_EQ(Quarantined(a_).size(), 6u);
  Result<PurgeReceipt> r = store_->Purge({a_.ObjectId(), false, {"q_1"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->versions_removed, 2u);
  std::set<std::string> left;  // the id each remaining record is a version of
  for (const auto& q : Quarantined(a_)) {
    size_t at = q.raw.find(R"("id":")");
    ASSERT_NE(at, std::string::npos) << q.raw;
    at += 6;
    left.insert(q.row_id.empty() ? q.raw.substr(at, q.raw.find('"', at) - at) : q.row_id);
  }
  EXPECT_EQ(left, (std::set<std::string>{"qx1", "Q_1", "other", "keep"}));
  EXPECT_EQ(Ids(Rows(a_)), std::vector<std::string>{"a1"});
}

// A segment written by an older build with an infinity in it.
TEST_F(ResilienceTest, PoisonedSegmentRowIsQuarantinedAndMergedAway) {
  SpanStoreOptions options = Options();
  options.compactor.merge_fanin = 2;
  Restart(options);
  XactId x = MustWrite({W(a_, {Span("a1", "a1", std::nullopt, "one")})});
  SegmentWriter writer(a_.ObjectId(), 0, x, 512 << 10, true);
  json::object poisoned = Obj(R"({"id":"a2","span_id":"a2","root_span_id":"a2","output":"two"})");
  poisoned["metadata"] = json::object{{"n", std::numeric_limits<double>::infinity()}};
  poisoned["_xact_id"] = FormatXact(x);
  json::object good = Obj(R"({"id":"a1","span_id":"a1","root_span_id":"a1","output":"one"})");
  good["_xact_id"] = FormatXact(x);
  ASSERT_TRUE(writer.Add({x, "a2", std::make_shared<const json::object>(poisoned)}).ok());
  ASSERT_TRUE(writer.Add({x, "a1", std::make_shared<const json::object>(good)}).ok());
  BuiltSegment built = writer.Finish();
  Result<SegmentMeta> meta = store_->compactor().WriteSegment(a_.ObjectId(), std::move(built), "test");
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  SegmentSet from;
  from.object_id = a_.ObjectId();
  SetChange change;
  change.add = {*meta};
  change.through = x;
  change.now = change.delete_after = FormatTimestamp(clock_.NowMicros());
  ASSERT_TRUE(Catalog(*db_).CommitSetChange(from, change).ok());
  Restart(options);

  EXPECT_EQ(Ids(Rows(a_)), std::vector<std::string>{"a1"});
  std::vector<QuarantineRecord> q = Quarantined(a_);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].source_key, meta->key);
  EXPECT_EQ(q[0].row_id, "a2");
  EXPECT_EQ(q[0].xact, x);
  // The recorded bytes are the whole row as stored, ready to repair.
  EXPECT_NE(q[0].raw.find(R"("metadata":{"n":Infinity})"), std::string::npos) << q[0].raw;
  EXPECT_NE(q[0].raw.find(R"("output":"two")"), std::string::npos) << q[0].raw;

  // A second segment makes the two merge: the poisoned state goes, recorded.
  MustWrite({W(a_, {Span("a3", "a3", std::nullopt, "three")})});
  Result<CompactReport> r = store_->compactor().CompactObject(a_.ObjectId());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->segments_merged, 2u);
  Result<SegmentSet> set = Catalog(*db_).LoadSegmentSet(a_.ObjectId());
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->segments.size(), 1u);
  Restart(options);
  EXPECT_EQ(Sorted(Ids(Rows(a_))), (std::set<std::string>{"a1", "a3"}));
  EXPECT_EQ(Quarantined(a_).size(), 1u);
}

TEST_F(ResilienceTest, RepairScanFindsWithoutRecording) {
  Poison();
  ASSERT_TRUE(store_->compactor().CompactObject(b_.ObjectId()).ok());  // B in a segment
  Result<std::vector<QuarantineRecord>> found = FindUndecodable(store_->catalog(), *objects_, a_.ObjectId());
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].source_key, injected_key_);
  EXPECT_TRUE(Quarantined(a_).empty());
  Result<std::vector<QuarantineRecord>> clean = FindUndecodable(store_->catalog(), *objects_, b_.ObjectId());
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->empty());
  Result<std::vector<std::string>> all = Catalog(*db_).AllObjects();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Sorted(*all), Sorted({a_.ObjectId(), b_.ObjectId()}));
}

// An object whose bytes are corrupt (not a row: the section's checksum)
// fails; the others compact, and the failure is backed off and reported.
TEST_F(ResilienceTest, OneFailingObjectDoesNotStopTheOthers) {
  MustWrite({W(a_, {Span("a1", "a1", std::nullopt, "one"), Span("a2", "a2", std::nullopt, "two")})});
  std::vector<std::string> a_chunks = WalFiles();
  ASSERT_EQ(a_chunks.size(), 1u);
  MustWrite({W(b_, {Span("b1", "b1", std::nullopt, "bee")})});
  {
    std::fstream f(fs::path(folder_) / "wal" / a_chunks[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('#');
  }
  Restart();
  EXPECT_EQ(store_->compactor().backlog_rows(), 3u);  // true from the start

  Result<CompactReport> r = store_->compactor().CompactAll();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].first, a_.ObjectId());
  EXPECT_NE(r->failed[0].second.find("checksum"), std::string::npos) << r->failed[0].second;
  EXPECT_EQ(r->objects, 1u);  // B
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM wal_section"), 1);
  EXPECT_EQ(store_->compactor().backlog_rows(), 2u);  // A's rows still wait
  EXPECT_EQ(Ids(Rows(b_)), std::vector<std::string>{"b1"});

  std::optional<CompactionFailure> f = store_->compactor().FailureOf(a_.ObjectId());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->failures, 1u);
  EXPECT_EQ(f->next_retry_micros, clock_.NowMicros() + 1000000);
  EXPECT_EQ(store_->compactor().failing_objects(), 1u);
  // Each failure in a row doubles the wait.
  EXPECT_FALSE(store_->compactor().CompactObject(a_.ObjectId()).ok());
  f = store_->compactor().FailureOf(a_.ObjectId());
  EXPECT_EQ(f->failures, 2u);
  EXPECT_EQ(f->next_retry_micros, clock_.NowMicros() + 2000000);
  EXPECT_EQ(store_->compactor().failures_total(), 2u);
  EXPECT_EQ(f->ToJson().at("object_id").as_string(), a_.ObjectId());
}

// The background loop: B keeps being compacted while A fails, and A is
// retried only when its backoff has passed (the fake clock decides).
TEST_F(ResilienceTest, BackgroundLoopGoesOnAndBacksOff) {
  a_ = {ObjectKind::kExperiment, "00000000-0000-4000-8000-000000000001"};  // first in the backlog
  b_ = {ObjectKind::kExperiment, "ffffffff-0000-4000-8000-000000000002"};
  MustWrite({W(a_, {Span("a1", "a1", std::nullopt, "one")})});
  std::vector<std::string> a_chunks = WalFiles();
  ASSERT_EQ(a_chunks.size(), 1u);
  {
    std::fstream f(fs::path(folder_) / "wal" / a_chunks[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('#');
  }
  SpanStoreOptions options = Options();
  options.compactor.background = true;
  options.compactor.poll = std::chrono::milliseconds(5);
  options.compactor.fold_age = std::chrono::seconds(0);
  Restart(options);
  // Waits for the loop to get somewhere; the cap only turns a hang into a
  // failure (nothing here depends on how fast the loop is).
  auto wait_for = [](const std::function<bool()>& done, std::string_view what) {
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done()) {
      if (std::chrono::steady_clock::now() > give_up) {
        ADD_FAILURE() << "the background loop never got to: " << what;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  };
  auto b_generation = [&] {
    return Count("SELECT COUNT(*) AS n FROM segment_set WHERE object_id = '" + b_.ObjectId() + "'") == 0
               ? 0
               : Count("SELECT generation AS n FROM segment_set WHERE object_id = '" + b_.ObjectId() + "'");
  };
  MustWrite({W(b_, {Span("b1", "b1", std::nullopt, "bee")})});
  ASSERT_TRUE(wait_for([&] { return b_generation() >= 1; }, "B's first compaction"));
  std::optional<CompactionFailure> f = store_->compactor().FailureOf(a_.ObjectId());
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->failures, 1u);
  // More rounds for B; the clock stands still, so A is not tried again.
  for (int round = 2; round <= 4; ++round) {
    MustWrite({W(b_, {Span("b" + std::to_string(round), "b1", std::nullopt, "bee")})});
    ASSERT_TRUE(wait_for([&] { return b_generation() >= round; }, "another compaction of B"));
  }
  EXPECT_EQ(store_->compactor().FailureOf(a_.ObjectId())->failures, 1u);
  EXPECT_EQ(store_->compactor().backlog_rows(), 1u);  // A's row
  // Past the backoff it is tried again (and fails again).
  clock_.Advance(kSecond);
  ASSERT_TRUE(wait_for([&] { return store_->compactor().FailureOf(a_.ObjectId())->failures >= 2; }, "A's retry"));
  EXPECT_EQ(store_->compactor().FailureOf(a_.ObjectId())->next_retry_micros, clock_.NowMicros() + 2 * kSecond);
  EXPECT_EQ(Sorted(Ids(Rows(b_))), (std::set<std::string>{"b1", "b2", "b3", "b4"}));
}

TEST_F(ResilienceTest, BacklogIsKnownAtStartUp) {
  MustWrite({W(a_, {Span("a1", "a1", std::nullopt, "one"), Span("a2", "a2", std::nullopt, "two")})});
  Restart();
  EXPECT_EQ(store_->compactor().backlog_rows(), 2u);
  EXPECT_GT(store_->compactor().backlog_bytes(), 0u);
}

TEST_F(ResilienceTest, PurgeDeletesOnlyItsOwnObjectsGarbage) {
  MustWrite({W(a_, {Span("a1", "a1", std::nullopt, "one"), Span("a2", "a2", std::nullopt, "two")})});
  MustWrite({W(b_, {Span("b1", "b1", std::nullopt, "bee")})});
  std::vector<std::string> before = WalFiles();
  ASSERT_EQ(before.size(), 2u);
  // B's chunk becomes garbage with its grace period ahead.
  ASSERT_TRUE(store_->compactor().CompactObject(b_.ObjectId()).ok());
  ASSERT_EQ(Count("SELECT COUNT(*) AS n FROM store_garbage"), 1);
  Result<std::vector<SectionRef>> a_sections = store_->catalog().Sections(a_.ObjectId());
  ASSERT_TRUE(a_sections.ok());
  ASSERT_EQ(a_sections->size(), 1u);
  std::string a_chunk = (*a_sections)[0].chunk_key;
  uint64_t a_chunk_bytes = fs::file_size(fs::path(folder_) / a_chunk);

  Result<PurgeReceipt> r = store_->Purge({a_.ObjectId(), false, {"a1"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->objects_deleted, 1u);  // A's old chunk, not B's
  EXPECT_EQ(r->bytes_deleted, a_chunk_bytes);
  EXPECT_EQ(Count("SELECT COUNT(*) AS n FROM store_garbage"), 1);  // B's, still in its grace period
  std::vector<std::string> after = WalFiles();
  std::string b_chunk = before[0] == fs::path(a_chunk).filename().string() ? before[1] : before[0];
  EXPECT_TRUE(std::find(after.begin(), after.end(), b_chunk) != after.end());
  EXPECT_EQ(Ids(Rows(a_)), std::vector<std::string>{"a2"});
  EXPECT_EQ(Ids(Rows(b_)), std::vector<std::string>{"b1"});
}

TEST_F(ResilienceTest, WriterRefusesNumbersJsonCannotCarry) {
  int64_t chunks = CountChunks();
  for (double bad : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
    json::object row = Span("x", "x", std::nullopt, "fine");
    row["metadata"] = json::object{{"list", json::array{1, bad}}};
    ObjectWrite good = W(b_, {Span("y", "y", std::nullopt, "fine")});
    Result<XactId> r = Write({good, W(a_, {std::move(row)})});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("'metadata.list[1]'"), std::string::npos) << r.status().message();
  }
  EXPECT_EQ(CountChunks(), chunks);  // all or nothing
  EXPECT_TRUE(Rows(b_).empty());
}

TEST_F(ResilienceTest, WriterRefusesRowsNestedDeeperThanReadersParse) {
  json::value deep = "leaf";
  for (size_t i = 0; i < kMaxStoredDepth; ++i) deep = json::array{deep};
  json::object row = Span("x", "x", std::nullopt, "fine");
  row["input"] = deep;
  Result<XactId> r = Write({W(a_, {std::move(row)})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  // Exactly the limit is stored and reads back.
  json::value ok = "leaf";
  for (size_t i = 0; i + 1 < kMaxStoredDepth; ++i) ok = json::array{ok};
  json::object fine = Span("y", "y", std::nullopt, "fine");
  fine["input"] = ok;
  MustWrite({W(a_, {std::move(fine)})});
  Restart();
  std::vector<RowPtr> rows = Rows(a_);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]->at("input"), ok);
}

// An object store whose next ranged Get (a tail load reading a WAL section)
// reads, then blocks, once armed, until the test releases it.
class GatedStore final : public ObjectStore {
 public:
  explicit GatedStore(std::unique_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}

  void Arm() { armed_ = true; }
  // Ready once the armed Get is waiting.
  std::future<void> Entered() { return entered_.get_future(); }
  void Release() { release_.set_value(); }

  Status Put(std::string_view key, std::string_view data) override { return inner_->Put(key, data); }
  Result<std::string> Get(std::string_view key, std::optional<objstore::ByteRange> range) override {
    Result<std::string> bytes = inner_->Get(key, range);
    if (range && armed_.exchange(false)) {
      entered_.set_value();
      released_.wait();
    }
    return bytes;
  }
  Result<std::vector<objstore::ObjectEntry>> List(std::string_view prefix) override { return inner_->List(prefix); }
  Status Delete(std::string_view key) override { return inner_->Delete(key); }
  std::string Describe() const override { return "gated(" + inner_->Describe() + ")"; }

 private:
  std::unique_ptr<ObjectStore> inner_;
  std::atomic<bool> armed_{false};
  std::promise<void> entered_;
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
};

TEST_F(ResilienceTest, CommitDoesNotWaitForAColdTailLoad) {
  auto gated = std::make_unique<GatedStore>(Local(folder_));
  GatedStore* gate = gated.get();
  Open(Options(), std::move(gated));
  MustWrite({W(a_, {Span("a1", "a1", std::nullopt, "one")})});  // A's tail is not loaded: nothing read it

  // A cold read of A starts loading its tail and stalls in object storage.
  gate->Arm();
  std::future<void> entered = gate->Entered();
  std::future<std::vector<RowPtr>> reader = std::async(std::launch::async, [&] { return Rows(a_); });
  ASSERT_EQ(entered.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "the load never read the WAL";

  // A write to the same object commits while that load is still stalled.
  std::future<Result<XactId>> writer =
      std::async(std::launch::async, [&] { return Write({W(a_, {Span("a2", "a2", std::nullopt, "two")})}); });
  bool committed = writer.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  gate->Release();  // lets everything finish, whatever happened above
  EXPECT_TRUE(committed) << "the commit waited for the tail load";
  Result<XactId> x = writer.get();
  ASSERT_TRUE(x.ok()) << x.status().ToString();

  // The stalled reader's snapshot predates the write; the tail it installed
  // folded in the commit that landed during its load.
  EXPECT_EQ(Sorted(Ids(reader.get())), (std::set<std::string>{"a1"}));
  EXPECT_EQ(Sorted(Ids(Rows(a_))), (std::set<std::string>{"a1", "a2"}));
}

TEST_F(ResilienceTest, TailLoadedAcrossAPurgeIsNotKept) {
  auto gated = std::make_unique<GatedStore>(Local(folder_));
  GatedStore* gate = gated.get();
  Open(Options(), std::move(gated));
  MustWrite({W(a_, {Span("a1", "a1", std::nullopt, "one"), Span("a2", "a2", std::nullopt, "two")})});

  // A cold read of A has read its WAL (a1 and a2) and stalls before its tail
  // is installed.
  gate->Arm();
  std::future<void> entered = gate->Entered();
  std::future<Result<ScanResult>> reader = std::async(std::launch::async, [&] {
    ScanSpec spec;
    spec.objects = {a_.ObjectId()};
    return store_->Scan(spec);
  });
  ASSERT_EQ(entered.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "the load never read the WAL";

  // a1 is purged meanwhile; the purge does not wait for the load either.
  std::future<Result<PurgeReceipt>> purge = std::async(std::launch::async, [&] {
    return store_->Purge({a_.ObjectId(), false, {"a1"}});
  });
  bool purged = purge.wait_for(std::chrono::seconds(60)) == std::future_status::ready;
  gate->Release();
  EXPECT_TRUE(purged) << "the purge waited for the tail load";
  Result<PurgeReceipt> receipt = purge.get();
  ASSERT_TRUE(receipt.ok()) << receipt.status().ToString();
  (void)reader.get();  // it started before the purge: what it saw is its own

  // The tail that load built from the old WAL is not the one reads use now.
  EXPECT_EQ(Sorted(Ids(Rows(a_))), (std::set<std::string>{"a2"}));
}

}  // namespace
}  // namespace tv::store

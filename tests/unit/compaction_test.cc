// Compaction end to end: a store that compacts (folds, merges, sweeps,
// restarts) must answer every read exactly like a twin store that never
// compacts, at every snapshot; full-text MATCH answers the same from the
// index and from the WAL tail; set changes are compare-and-swaps; history
// past the retention is refused clearly; failed or lost compactions change
// nothing.
#include <random>
#include <thread>

#include <fstream>

#include "store/compactor.h"
#include "store/segment_format.h"
#include "store/segment_set.h"
#include "store/wal_chunk.h"
#include "store_fixture.h"

namespace tv::store {
namespace {

int64_t Count(meta::MetaStore& db, std::string_view sql) {
  Result<meta::Rows> r = db.Query(sql);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->Int(0, "n") : -1;
}

// A store in its own folder and catalog, with compaction only on demand.
class Twin {
 public:
  // `switchable`: object storage behind a SwitchableStore (no local paths, so
  // segments go through the disk cache, and failures can be injected).
  explicit Twin(std::string tag, CompactorOptions compactor = {}, bool switchable = false)
      : dir_(tag), switchable_(switchable) {
    compactor.background = false;
    options_.compactor = compactor;
    options_.writer.deadline = std::chrono::milliseconds(5000);
    options_.cache.disk_dir = dir_.File("cache");
    OpenAll();
  }

  void OpenAll() {
    auto db = meta::OpenSqliteMetaStore({.path = dir_.File("catalog.db")});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    Status s = meta::Migrate(*db_, {{1, "catalog", CatalogSchemaSql()},
                                    {2, "segments", SegmentSchemaSql()},
                                    {3, "quarantine", QuarantineSchemaSql()}});
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto objects = objstore::OpenLocalObjectStore(dir_.File("objects"));
    ASSERT_TRUE(objects.ok());
    objects_ = std::move(objects).value();
    if (switchable_) {
      auto s = std::make_unique<SwitchableStore>(std::move(objects_), nullptr);
      switch_ = s.get();
      objects_ = std::move(s);
    }
    auto store = SpanStore::Open(*db_, *objects_, clock_, options_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  void Restart() {
    store_.reset();
    objects_.reset();
    db_.reset();
    OpenAll();
  }

  XactId Write(const ObjectWrite& w) {
    WriteBatch b;
    b.objects = {w};
    Result<XactId> x = store_->Write(std::move(b));
    EXPECT_TRUE(x.ok()) << x.status().ToString();
    return x.ok() ? *x : 0;
  }

  // The scan's rows and next key, serialized: what a client would see.
  std::string Answer(const ScanSpec& spec) {
    Result<ScanResult> r = store_->Scan(spec);
    if (!r.ok()) return "error: " + r.status().ToString();
    std::string out;
    for (const auto& row : r->rows) out += json::serialize(*row) + "\n";
    if (r->next) out += "next " + FormatXact(r->next->xact) + " " + r->next->tie + "\n";
    return out;
  }

  CompactReport Compact(const std::string& object_id) {
    Result<CompactReport> r = store_->compactor().CompactObject(object_id);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : CompactReport{};
  }

  FakeClock clock_{kStart};
  TempDir dir_;
  bool switchable_ = false;
  SwitchableStore* switch_ = nullptr;
  SpanStoreOptions options_;
  std::unique_ptr<meta::MetaStore> db_;
  std::unique_ptr<ObjectStore> objects_;
  std::unique_ptr<SpanStore> store_;
};

class CompactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    org_ = NewUuid();
    project_ = NewUuid();
    ref_ = {ObjectKind::kExperiment, NewUuid()};
  }

  ObjectWrite W(std::vector<json::object> rows, int64_t now) {
    ObjectWrite w;
    w.owner = {ref_.ObjectId(), org_, project_};
    for (size_t i = 0; i < rows.size(); ++i) {
      Status s = NormalizeRow(rows[i], ref_, project_, now, "row");
      EXPECT_TRUE(s.ok()) << s.ToString();
      w.rows.push_back(std::move(rows[i]));
    }
    return w;
  }

  // The reads compared between the twins.
  std::vector<ScanSpec> Queries(const std::vector<XactId>& snapshots, const std::vector<std::string>& ids,
                                const std::vector<std::string>& roots) {
    std::vector<ScanSpec> out;
    auto base = [&] {
      ScanSpec s;
      s.objects = {ref_.ObjectId()};
      s.limit = 100000;
      return s;
    };
    out.push_back(base());
    for (XactId x : snapshots) {
      ScanSpec s = base();
      s.as_of = x;
      out.push_back(s);
    }
    {
      ScanSpec s = base();
      s.limit = 7;
      out.push_back(s);
      s.limit_unit = LimitUnit::kTraces;
      s.limit = 2;
      out.push_back(s);
    }
    for (size_t i = 0; i < ids.size(); i += 5) {
      ScanSpec s = base();
      s.ids = std::vector<std::string>{ids[i]};
      out.push_back(s);
    }
    for (size_t i = 0; i < roots.size(); i += 3) {
      ScanSpec s = base();
      s.root_span_ids = std::vector<std::string>{roots[i]};
      out.push_back(s);
      s.limit_unit = LimitUnit::kTraces;
      out.push_back(s);
    }
    for (std::string word : {"alpha", "Beta", "gamma delta", "zeta", "nothing"}) {
      ScanSpec s = base();
      s.match = {MatchTerm{{"output"}, word}};
      out.push_back(s);
      s.match = {MatchTerm{{}, word}};
      out.push_back(s);
      s.match = {MatchTerm{{"metadata", "note"}, word}};
      out.push_back(s);
    }
    {
      ScanSpec s = base();
      s.projection = {"id", "output", "comments"};
      out.push_back(s);
      s.filter = [](const json::object& row) { return row.contains("scores"); };
      out.push_back(s);
    }
    return out;
  }

  std::string org_, project_;
  ObjectRef ref_;
};

const char* kWords[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"};

std::string Sentence(std::mt19937& rng, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    std::string w = kWords[rng() % 8];
    if (rng() % 4 == 0) w[0] = static_cast<char>(std::toupper(w[0]));
    out += (i ? (rng() % 3 ? " " : ", ") : "") + w;
  }
  return out;
}

TEST_F(CompactionTest, CompactedTwinAnswersExactlyLikeTheUncompactedOne) {
  CompactorOptions merging;  // small tiers so that merges happen often
  merging.fold_rows = 4;
  merging.merge_fanin = 3;
  Twin plain("tv-plain"), compacted("tv-compacted", merging);
  std::mt19937 rng(42);
  std::vector<std::string> ids, roots;
  std::vector<XactId> snapshots;
  int64_t now = kStart;
  for (int step = 0; step < 160; ++step) {
    now += 1000;
    plain.clock_.Set(now);
    compacted.clock_.Set(now);
    std::vector<json::object> rows;
    int op = static_cast<int>(rng() % 10);
    if (ids.empty() || op < 4) {  // new spans: a root, or a child of a trace
      for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
        std::string id = fmt::format("span-{:04}", ids.size());
        json::object row{{"id", id},
                         {"span_id", id},
                         {"output", Sentence(rng, 4)},
                         {"input", json::object{{"q", Sentence(rng, 3)}}},
                         {"metadata", json::object{{"note", Sentence(rng, 2)}, {"n", static_cast<int>(rng() % 100)}}}};
        if (rng() % 6 == 0) {  // no span ids at all: the row is its own trace
          row.erase("span_id");
          roots.push_back(id);
        } else if (roots.empty() || rng() % 3 == 0) {
          row["root_span_id"] = id;
          roots.push_back(id);
        } else {
          std::string root = roots[rng() % roots.size()];
          row["root_span_id"] = root;
          row["span_parents"] = json::array{json::value(root)};
        }
        if (rng() % 2) row["scores"] = json::object{{"acc", (rng() % 100) / 100.0}};
        if (rng() % 3 == 0) row["tags"] = json::array{json::value(kWords[rng() % 8])};
        ids.push_back(id);
        rows.push_back(std::move(row));
      }
    } else if (op < 7) {  // merge into an existing row
      std::string id = ids[rng() % ids.size()];
      rows.push_back(json::object{{"id", id},
                                  {"_is_merge", true},
                                  {"metadata", json::object{{"extra", Sentence(rng, 1)}}},
                                  {"tags", json::array{json::value(kWords[rng() % 8])}},
                                  {"output", Sentence(rng, 3)}});
    } else if (op < 8) {  // replace
      std::string id = ids[rng() % ids.size()];
      rows.push_back(json::object{{"id", id}, {"span_id", id}, {"root_span_id", id}, {"output", Sentence(rng, 5)}});
    } else if (op < 9) {  // delete
      rows.push_back(json::object{{"id", ids[rng() % ids.size()]}, {"_object_delete", true}});
    } else {  // a comment on a row
      json::object item{{"id", ids[rng() % ids.size()]}, {"comment", Sentence(rng, 2)}};
      Result<std::vector<json::object>> fb = FeedbackRows(item, ObjectKind::kExperiment, "feedback");
      ASSERT_TRUE(fb.ok()) << fb.status().ToString();
      rows = std::move(fb).value();
    }
    ObjectWrite w = W(rows, now);
    XactId a = plain.Write(w), b = compacted.Write(w);
    ASSERT_EQ(a, b) << "the twins must hand out the same ids";
    if (rng() % 4 == 0) snapshots.push_back(a);
    if (rng() % 9 == 0) compacted.Compact(ref_.ObjectId());
    if (step % 40 == 39) {
      for (const auto& q : Queries(snapshots, ids, roots))
        ASSERT_EQ(plain.Answer(q), compacted.Answer(q)) << "step " << step;
    }
  }
  CompactReport last = compacted.Compact(ref_.ObjectId());
  (void)last;
  EXPECT_GT(compacted.store_->compactor().totals().segments_merged, 0u) << "the workload must exercise merges";
  Result<SegmentSet> set = Catalog(*compacted.db_).LoadSegmentSet(ref_.ObjectId());
  ASSERT_TRUE(set.ok());
  EXPECT_GE(set->segments.size(), 1u);
  EXPECT_EQ(Count(*compacted.db_, "SELECT COUNT(*) AS n FROM wal_section"), 0);
  auto queries = Queries(snapshots, ids, roots);
  for (const auto& q : queries) ASSERT_EQ(plain.Answer(q), compacted.Answer(q));
  compacted.Restart();
  for (const auto& q : queries) ASSERT_EQ(plain.Answer(q), compacted.Answer(q)) << "after restart";
  // Paging through every trace two at a time sees each row exactly once.
  ScanSpec paged = queries[0];
  paged.limit_unit = LimitUnit::kTraces;
  paged.limit = 2;
  std::string all_plain, all_compacted;
  for (Twin* t : {&plain, &compacted}) {
    ScanSpec s = paged;
    std::string& out = t == &plain ? all_plain : all_compacted;
    for (int page = 0; page < 1000; ++page) {
      Result<ScanResult> r = t->store_->Scan(s);
      ASSERT_TRUE(r.ok());
      for (const auto& row : r->rows) out += json::serialize(*row) + "\n";
      if (!r->next) break;
      s.after = r->next;
      s.as_of = r->snapshot;
    }
  }
  EXPECT_EQ(all_plain, all_compacted);
  EXPECT_FALSE(all_plain.empty());
}

// A full read of the test's experiment.
ScanSpec All(const ObjectRef& ref) {
  ScanSpec s;
  s.objects = {ref.ObjectId()};
  s.limit = 100000;
  return s;
}

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file()) out.push_back(e.path().string());
  return out;
}

TEST_F(CompactionTest, TwoCompactorsCannotBothWin) {
  Twin t("tv-cas");
  for (int i = 0; i < 20; ++i) t.Write(W({json::object{{"id", fmt::format("r{}", i)}, {"output", "x"}}}, kStart + i));
  // The same change from the same generation, twice: the second loses.
  Result<SegmentSet> from = Catalog(*t.db_).LoadSegmentSet(ref_.ObjectId());
  ASSERT_TRUE(from.ok());
  SetChange change;
  change.add.push_back({"seg/test/a.tvseg", 0, 1, 0, 0, 0});
  change.now = change.delete_after = "2026-01-01T00:00:00Z";
  ASSERT_TRUE(Catalog(*t.db_).CommitSetChange(*from, change).ok());
  change.add[0].key = "seg/test/b.tvseg";
  EXPECT_EQ(Catalog(*t.db_).CommitSetChange(*from, change).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(Count(*t.db_, "SELECT COUNT(*) AS n FROM segment WHERE segment_key = 'seg/test/b.tvseg'"), 0);
  ASSERT_TRUE(t.db_->Execute("DELETE FROM segment").ok());
  ASSERT_TRUE(t.db_->Execute("DELETE FROM segment_set").ok());

  // Two stores on one catalog and one folder, compacting at once while a
  // third party writes: every row stays readable, segments never overlap.
  Result<std::unique_ptr<SpanStore>> other = SpanStore::Open(*t.db_, *t.objects_, t.clock_, t.options_);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  std::atomic<bool> stop{false};
  std::atomic<int> wins{0}, losses{0};
  auto compactor = [&](SpanStore* store) {
    while (!stop) {
      Result<CompactReport> r = store->compactor().CompactObject(ref_.ObjectId());
      if (r.ok()) {
        wins += r->segments_written ? 1 : 0;
      } else {
        ++losses;
        EXPECT_TRUE(r.status().code() == StatusCode::kAlreadyExists || r.status().code() == StatusCode::kUnavailable)
            << r.status().ToString();
      }
    }
  };
  std::thread a(compactor, t.store_.get()), b(compactor, other->get());
  for (int i = 20; i < 220; ++i) t.Write(W({json::object{{"id", fmt::format("r{}", i)}, {"output", "y"}}}, kStart + i));
  stop = true;
  a.join();
  b.join();
  other->reset();
  EXPECT_GT(wins.load(), 0);
  t.Restart();
  Result<ScanResult> all = t.store_->Scan(All(ref_));
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->rows.size(), 220u);
  Result<SegmentSet> set = Catalog(*t.db_).LoadSegmentSet(ref_.ObjectId());
  ASSERT_TRUE(set.ok());
  for (size_t i = 1; i < set->segments.size(); ++i)
    EXPECT_EQ(set->segments[i].min_xact, set->segments[i - 1].max_xact) << "segments tile the xact range";
  for (const auto& seg : set->segments) EXPECT_TRUE(fs::exists(t.dir_.File("objects/" + seg.key))) << seg.key;
}

TEST_F(CompactionTest, HistoryOlderThanTheRetentionIsRefusedClearly) {
  CompactorOptions o;
  o.history_retention = std::chrono::hours(1);
  o.merge_fanin = 2;
  Twin t("tv-history", o);
  XactId v1 = t.Write(W({json::object{{"id", "x"}, {"output", "first"}}}, kStart));
  t.clock_.Advance(kSecond);
  t.Write(W({json::object{{"id", "x"}, {"_is_merge", true}, {"output", "first again"}}}, t.clock_.NowMicros()));
  t.Compact(ref_.ObjectId());
  t.clock_.Advance(int64_t{2} * 3600 * kSecond);
  XactId v2 = t.Write(W({json::object{{"id", "x"}, {"_is_merge", true}, {"output", "second"}}}, t.clock_.NowMicros()));
  ScanSpec old = All(ref_);
  old.as_of = v1;
  EXPECT_NE(t.Answer(old).find("first"), std::string::npos) << "still kept before the merge";
  CompactReport r = t.Compact(ref_.ObjectId());
  EXPECT_EQ(r.segments_merged, 2u);
  std::string refused = t.Answer(old);
  EXPECT_NE(refused.find("older than the history kept"), std::string::npos) << refused;
  EXPECT_NE(refused.find("InvalidArgument"), std::string::npos) << refused;
  ScanSpec now = All(ref_);
  now.as_of = v2;
  EXPECT_NE(t.Answer(now).find("second"), std::string::npos);
}

TEST_F(CompactionTest, FailedCompactionChangesNothingAndALaterOneSucceeds) {
  CompactorOptions o;
  o.storage_deadline = std::chrono::milliseconds(100);
  Twin t("tv-fail", o, /*switchable=*/true);
  for (int i = 0; i < 30; ++i) t.Write(W({json::object{{"id", fmt::format("r{}", i)}, {"output", "z"}}}, kStart + i));
  std::string before = t.Answer(All(ref_));
  t.switch_->fail_puts = 1000000;
  Result<CompactReport> r = t.store_->compactor().CompactObject(ref_.ObjectId());
  EXPECT_FALSE(r.ok());
  t.switch_->fail_puts = 0;
  EXPECT_EQ(Count(*t.db_, "SELECT COUNT(*) AS n FROM segment"), 0);
  EXPECT_EQ(Count(*t.db_, "SELECT COUNT(*) AS n FROM wal_section"), 30);
  EXPECT_EQ(t.Answer(All(ref_)), before);
  t.Compact(ref_.ObjectId());
  EXPECT_EQ(Count(*t.db_, "SELECT COUNT(*) AS n FROM wal_section"), 0);
  EXPECT_EQ(t.Answer(All(ref_)), before);
}

TEST_F(CompactionTest, AnEmptyCacheAnswersTheSame) {
  Twin t("tv-cache", {}, /*switchable=*/true);
  for (int i = 0; i < 40; ++i)
    t.Write(
        W({json::object{{"id", fmt::format("r{}", i)}, {"output", fmt::format("word{} common", i % 7)}}}, kStart + i));
  t.Compact(ref_.ObjectId());
  ScanSpec match = All(ref_);
  match.match = {MatchTerm{{"output"}, "word3"}};
  std::string all = t.Answer(All(ref_)), some = t.Answer(match);
  EXPECT_FALSE(Files(t.dir_.File("cache")).empty()) << "remote segments are copied to the disk cache";
  t.store_.reset();
  fs::remove_all(t.dir_.File("cache"));
  t.Restart();
  EXPECT_EQ(t.Answer(All(ref_)), all);
  EXPECT_EQ(t.Answer(match), some);
  EXPECT_NE(some.find("word3"), std::string::npos);
}

TEST_F(CompactionTest, ACorruptSegmentIsDetectedNotServed) {
  Twin t("tv-corrupt");
  for (int i = 0; i < 10; ++i)
    t.Write(W({json::object{{"id", fmt::format("r{}", i)}, {"output", "text"}}}, kStart + i));
  t.Compact(ref_.ObjectId());
  std::vector<std::string> segs;
  for (const auto& f : Files(t.dir_.File("objects/seg"))) segs.push_back(f);
  ASSERT_EQ(segs.size(), 1u);
  {
    std::fstream f(segs[0], std::ios::in | std::ios::out | std::ios::binary);
    // Damage the first block's parts (the JSON columns every read decodes).
    for (int i = 0; i < 64; ++i) {
      f.seekg(static_cast<std::streamoff>(segfmt::kHeaderSize) + i);
      char c = static_cast<char>(f.get());
      f.seekp(static_cast<std::streamoff>(segfmt::kHeaderSize) + i);
      f.put(static_cast<char>(c ^ 0x5a));
    }
  }
  t.Restart();
  std::string answer = t.Answer(All(ref_));
  EXPECT_EQ(answer.rfind("error: ", 0), 0u) << answer;
  EXPECT_NE(answer.find("corrupt segment"), std::string::npos) << answer;
}

TEST_F(CompactionTest, SupersededObjectsAreSweptAfterTheGracePeriod) {
  CompactorOptions o;
  o.grace = std::chrono::seconds(60);
  Twin t("tv-sweep", o);
  for (int i = 0; i < 10; ++i) t.Write(W({json::object{{"id", fmt::format("r{}", i)}, {"output", "t"}}}, kStart + i));
  std::string before = t.Answer(All(ref_));
  t.Compact(ref_.ObjectId());
  ASSERT_TRUE(t.store_->compactor().SweepGarbage().ok());
  EXPECT_FALSE(Files(t.dir_.File("objects/wal")).empty()) << "kept through the grace period";
  t.clock_.Advance(61 * kSecond);
  ASSERT_TRUE(t.store_->compactor().SweepGarbage().ok());
  EXPECT_TRUE(Files(t.dir_.File("objects/wal")).empty());
  EXPECT_EQ(Count(*t.db_, "SELECT COUNT(*) AS n FROM store_garbage"), 0);
  t.Restart();
  EXPECT_EQ(t.Answer(All(ref_)), before);
}

TEST_F(CompactionTest, OrphansOfInterruptedWritesAndCompactionsAreSwept) {
  Twin t("tv-orphans");
  for (int i = 0; i < 10; ++i) t.Write(W({json::object{{"id", fmt::format("r{}", i)}, {"output", "o"}}}, kStart + i));
  t.Compact(ref_.ObjectId());
  XactId started = t.store_->watermark();
  std::string before = t.Answer(All(ref_));
  ASSERT_TRUE(t.objects_->Put("seg/0000000000000000/1-deadbeef.tvseg", "half a segment").ok());
  std::string old_chunk = "wal/" + FormatXact(started - 5) + "-deadbeef.tvwal";
  std::string new_chunk = "wal/" + FormatXact(started + 5) + "-cafebabe.tvwal";  // a commit in flight
  ASSERT_TRUE(t.objects_->Put(old_chunk, "never committed").ok());
  ASSERT_TRUE(t.objects_->Put(new_chunk, "being committed").ok());
  size_t live = Files(t.dir_.File("objects")).size();
  ASSERT_TRUE(t.store_->compactor().SweepOrphans(started).ok());
  EXPECT_FALSE(fs::exists(t.dir_.File("objects/seg/0000000000000000/1-deadbeef.tvseg")));
  EXPECT_FALSE(fs::exists(t.dir_.File("objects/" + old_chunk)));
  EXPECT_TRUE(fs::exists(t.dir_.File("objects/" + new_chunk)));
  EXPECT_EQ(Files(t.dir_.File("objects")).size(), live - 2);
  t.Restart();
  EXPECT_EQ(t.Answer(All(ref_)), before);
}

// What a reader of the store's files could recover: every WAL section
// decompressed, every segment row rebuilt, and the segments' term
// dictionaries.
std::string EverythingStored(const std::string& folder, BlockCache& blocks) {
  std::string out;
  for (const auto& path : Files(folder)) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    out += bytes;
    if (path.ends_with(".tvwal")) {
      Result<std::vector<DecodedSection>> sections = DecodeChunk(bytes, path);
      EXPECT_TRUE(sections.ok()) << path;
      if (sections.ok())
        for (const auto& s : *sections) out += s.jsonl;
    } else if (path.ends_with(".tvseg")) {
      auto seg = Segment::Open(path, bytes.size(), MemorySegmentFile(bytes), blocks);
      EXPECT_TRUE(seg.ok()) << path;
      if (!seg.ok()) continue;
      for (size_t r = 0; r < (*seg)->rows(); ++r) {
        out += std::string((*seg)->id(r)) + "\n";
        if (Result<RowPtr> row = (*seg)->Row(r); row.ok() && *row) out += json::serialize(**row) + "\n";
      }
    }
  }
  return out;
}

TEST_F(CompactionTest, PurgeLeavesNothingEvenInCompressedFiles) {
  Twin t("tv-purge");
  std::string secret = "zsecret" + NewUuid().substr(0, 8);
  t.Write(W({json::object{{"id", "p"}, {"input", "about " + secret}, {"output", "x"}},
             json::object{{"id", "k"}, {"input", "keep me"}}},
            kStart));
  XactId old = t.Write(
      W({json::object{{"id", "p"}, {"_is_merge", true}, {"metadata", json::object{{"n", secret}}}}}, kStart + 1));
  t.Compact(ref_.ObjectId());
  t.Write(W({json::object{{"id", "p"}, {"_is_merge", true}, {"output", secret + " again"}},
             json::object{{"id", "k2"}, {"input", "keep too"}}},
            kStart + 2));
  BlockCache blocks(1 << 20);
  ASSERT_NE(EverythingStored(t.dir_.File("objects"), blocks).find(secret), std::string::npos)
      << "the check must be able to see the string before the purge";
  ScanSpec match = All(ref_);
  match.match = {MatchTerm{{}, secret}};
  EXPECT_NE(t.Answer(match).find(secret), std::string::npos);

  Result<PurgeReceipt> r = t.store_->Purge({ref_.ObjectId(), false, {"p"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ids, std::vector<std::string>{"p"});
  EXPECT_EQ(r->versions_removed, 3u);  // two states in the segment, one version in the WAL
  EXPECT_EQ(r->segments_rewritten, 1u);
  EXPECT_EQ(r->chunks_rewritten, 1u);
  BlockCache fresh(1 << 20);
  EXPECT_EQ(EverythingStored(t.dir_.File("objects"), fresh).find(secret), std::string::npos);
  EXPECT_EQ(t.Answer(match), "");
  ScanSpec before = All(ref_);
  before.as_of = old;
  EXPECT_EQ(t.Answer(before).find("\"p\""), std::string::npos) << "history is purged too";
  std::string rest = t.Answer(All(ref_));
  EXPECT_NE(rest.find("keep me"), std::string::npos);
  EXPECT_NE(rest.find("keep too"), std::string::npos);
  t.Restart();
  EXPECT_EQ(t.Answer(All(ref_)), rest);
}

}  // namespace
}  // namespace tv::store

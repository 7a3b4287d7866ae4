// Compaction end to end: a store that compacts (folds, merges, sweeps,
// restarts) must answer every read exactly like a twin store that never
// compacts, at every snapshot; full-text MATCH answers the same from the
// index and from the WAL tail; set changes are compare-and-swaps; history
// past the retention is refused clearly; failed or lost compactions change
// nothing.
#include <random>
#include <thread>

#include "store/compactor.h"
#include "store/segment_set.h"
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
  explicit Twin(std::string tag, CompactorOptions compactor = {}) : dir_(tag) {
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
    Status s = meta::Migrate(*db_, {{1, "catalog", CatalogSchemaSql()}, {2, "segments", SegmentSchemaSql()}});
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto objects = objstore::OpenLocalObjectStore(dir_.File("objects"));
    ASSERT_TRUE(objects.ok());
    objects_ = std::move(objects).value();
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
  Twin plain("tv-plain"), compacted("tv-compacted");
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
        json::object row{{"id", id}, {"span_id", id}, {"output", Sentence(rng, 4)},
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
      rows.push_back(json::object{{"id", id}, {"_is_merge", true},
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
      for (const auto& q : Queries(snapshots, ids, roots)) ASSERT_EQ(plain.Answer(q), compacted.Answer(q)) << "step " << step;
    }
  }
  CompactReport last = compacted.Compact(ref_.ObjectId());
  (void)last;
  Result<SegmentSet> set = LoadSegmentSet(*compacted.db_, ref_.ObjectId());
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

}  // namespace
}  // namespace tv::store

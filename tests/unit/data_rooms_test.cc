// Unit tests of the data plane's rows and query rooms through their narrow
// deps alone (RowsDeps, QueryDeps), with no DataPlane: a span store over a
// temp-dir SQLite catalog and object folder, a fake clock, and a tenancy rule
// answering from a fixed table. Requests go through the routes each room adds
// to a router, as the server would call them.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include <boost/json/serialize.hpp>

#include "common/ids.h"
#include "common/json.h"
#include "data/control_plane/control_plane_client.h"
#include "data/functions/functions.h"
#include "data/query/btql_runner.h"
#include "data/query/query.h"
#include "data/rows/rows.h"
#include "data/rows/uploads.h"
#include "functions/function_store.h"
#include "http/router.h"
#include "http/tenancy.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "meta_fixture.h"
#include "objstore/local/local_object_store.h"
#include "store/catalog.h"
#include "store/quarantine.h"
#include "store/segment_set.h"
#include "store/span_store.h"
#include "test_support.h"

namespace tv::data {
namespace {

using tv::testing::FakeClock;
using tv::testing::TempDir;

const std::string kOrgA = "00000000-0000-4000-8000-0000000000a1";
const std::string kOrgB = "00000000-0000-4000-8000-0000000000a2";
const std::string kProject = "00000000-0000-4000-8000-0000000000b1";
const std::string kExperiment = "00000000-0000-4000-8000-0000000000c1";

// The control plane as the rooms see it: one project and one experiment of
// organization A.
class OneExperimentControlPlane final : public ControlPlaneClient {
 public:
  Result<Principal> Authenticate(std::string_view) override { return Unauthenticated("no"); }
  Result<ObjectInfo> Resolve(ObjectType type, std::string_view id, const Principal& caller) override {
    auto it = objects_.find(std::string(id));
    if (it == objects_.end() || it->second.type != type || !caller.FindOrg(it->second.org_id))
      return NotFound("{} '{}' not found", ObjectTypeName(type), id);
    return it->second;
  }
  Result<ObjectInfo> FindProject(std::string_view, std::string_view name, const Principal&) override {
    return NotFound("project '{}' not found", name);
  }
  Status Health() override { return Status::Ok(); }

 private:
  std::map<std::string, ObjectInfo> objects_ = {
      {kProject, ObjectInfo{ObjectType::kProject, kProject, "proj", kOrgA, "", ""}},
      {kExperiment, ObjectInfo{ObjectType::kExperiment, kExperiment, "exp one", kOrgA, kProject, "proj"}}};
};

class DataRoomsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Each room's tables from their owners, as DataMigrations lists them.
    db_ = testing::OpenMigratedDb(dir_.File("data.db"), {{1, "catalog", store::CatalogSchemaSql()},
                                                         {2, "segments", store::SegmentSchemaSql()},
                                                         {3, "functions", functions::FunctionSchemaSql()},
                                                         {4, "quarantine", store::QuarantineSchemaSql()}});
    ASSERT_TRUE(db_);
    auto objects = objstore::OpenLocalObjectStore(dir_.File("objects"));
    ASSERT_TRUE(objects.ok()) << objects.status().ToString();
    objects_ = std::move(*objects);
    store::SpanStoreOptions options;
    options.compactor.background = false;
    options.cache.disk_dir = dir_.File("cache");
    auto store = store::SpanStore::Open(*db_, *objects_, clock_, options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    uploads_ = std::make_unique<Uploads>(*db_, *objects_, clock_);
    functions_ = std::make_unique<Functions>(*db_, clock_, tenancy_, control_);
    AddRowsRoutes(router_, RowsDeps{.tenancy = tenancy_,
                                    .store = *store_,
                                    .uploads = *uploads_,
                                    .clock = clock_,
                                    .logs3_payload_max_bytes = 1 << 20,
                                    .public_url = public_url_});
    AddQueryRoutes(router_, Query());
  }

  QueryDeps Query(size_t memory_bytes = size_t{64} << 20) {
    return QueryDeps{.tenancy = tenancy_,
                     .store = *store_,
                     .clock = clock_,
                     .functions = *functions_,
                     .prices = prices_,
                     .memory_bytes = memory_bytes,
                     .timeout = std::chrono::milliseconds(10'000),
                     .app_url = public_url_};
  }

  static Principal MemberOf(const std::string& org) {
    return Principal{"u-" + org, "", "", "", {{org, "org", "owner"}}, ""};
  }

  // Calls the route the router finds, as `caller`.
  Result<http::Response> Call(http::Method method, const std::string& target, const json::object& body,
                              const Principal& caller) {
    http::Request req;
    req.method = method;
    req.target = target;
    EXPECT_TRUE(req.ParseTarget()) << target;
    req.body = json::serialize(body);
    http::Router::Match m = router_.Find(method, req.path);
    if (!m.route) return NotFound("no route for {}", target);
    http::RequestContext ctx(req, "req-1");
    ctx.set_principal(caller);
    ctx.set_params(m.params);
    return m.route->handler(ctx);
  }

  json::object CallJson(http::Method method, const std::string& target, const json::object& body,
                        const Principal& caller) {
    Result<http::Response> r = Call(method, target, body, caller);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    EXPECT_EQ(r->status, 200) << r->body;
    Result<json::object> parsed = ParseJsonObject(r->body);
    EXPECT_TRUE(parsed.ok()) << r->body;
    return parsed.ok() ? *parsed : json::object();
  }

  void LogSpans(int n) {
    json::array rows;
    for (int i = 0; i < n; ++i) {
      std::string id = "span-" + std::to_string(i);
      rows.push_back(json::object{{"id", id},
                                  {"span_id", id},
                                  {"root_span_id", id},
                                  {"experiment_id", kExperiment},
                                  {"scores", json::object{{"accuracy", i % 2}}}});
    }
    json::object reply = CallJson(http::Method::kPost, "/logs3", json::object{{"rows", rows}}, MemberOf(kOrgA));
    ASSERT_EQ(reply["row_ids"].as_array().size(), static_cast<size_t>(n));
  }

  TempDir dir_{"tv-data-rooms"};
  FakeClock clock_;
  OneExperimentControlPlane control_;
  http::Tenancy tenancy_{[this](ObjectType type, std::string_view id, const Principal& caller) {
    return control_.Resolve(type, id, caller);
  }};
  btql::PriceTable prices_ = btql::PriceTable::Defaults();
  std::string public_url_ = "http://first.test";
  std::unique_ptr<meta::MetaStore> db_;
  std::unique_ptr<objstore::ObjectStore> objects_;
  std::unique_ptr<store::SpanStore> store_;
  std::unique_ptr<Uploads> uploads_;
  std::unique_ptr<Functions> functions_;
  http::Router router_;
};

TEST_F(DataRoomsTest, RowsWrittenThroughTheRowsRoomAreReadByTheQueryRoom) {
  LogSpans(3);
  json::object fetched = CallJson(http::Method::kGet, "/v1/experiment/" + kExperiment + "/fetch", {}, MemberOf(kOrgA));
  EXPECT_EQ(fetched["events"].as_array().size(), 3u);

  std::string query = "select: id | from: experiment('" + kExperiment + "') | sort: id";
  json::object answer = CallJson(http::Method::kPost, "/btql", json::object{{"query", query}}, MemberOf(kOrgA));
  const json::array& data = answer["data"].as_array();
  ASSERT_EQ(data.size(), 3u);
  EXPECT_EQ(StringField(data[0].as_object(), "id"), "span-0");
  EXPECT_EQ(StringField(data[2].as_object(), "id"), "span-2");
}

TEST_F(DataRoomsTest, AnotherOrganizationsExperimentIsNotFoundInEitherRoom) {
  LogSpans(1);
  std::string query = "select: id | from: experiment('" + kExperiment + "')";
  Result<http::Response> btql = Call(http::Method::kPost, "/btql", json::object{{"query", query}}, MemberOf(kOrgB));
  EXPECT_EQ(btql.status().code(), StatusCode::kNotFound);
  Result<http::Response> fetch =
      Call(http::Method::kGet, "/v1/experiment/" + kExperiment + "/fetch", {}, MemberOf(kOrgB));
  EXPECT_EQ(fetch.status().code(), StatusCode::kNotFound);
  json::array rows{json::object{{"id", "x"}, {"experiment_id", kExperiment}}};
  Result<http::Response> write = Call(http::Method::kPost, "/logs3", json::object{{"rows", rows}}, MemberOf(kOrgB));
  EXPECT_EQ(write.status().code(), StatusCode::kNotFound);
}

TEST_F(DataRoomsTest, ThePublicUrlIsReadWhenARequestBuildsALink) {
  // Set after the routes were added, as the server learns its URL after Open.
  public_url_ = "http://later.test";
  json::object summary =
      CallJson(http::Method::kGet, "/v1/experiment/" + kExperiment + "/summarize", {}, MemberOf(kOrgA));
  EXPECT_EQ(StringField(summary, "project_url"), "http://later.test/app/org/p/proj");
  json::object attachment =
      CallJson(http::Method::kPost, "/attachment",
               json::object{{"key", "k1"}, {"filename", "a.txt"}, {"content_type", "text/plain"}}, MemberOf(kOrgA));
  EXPECT_EQ(StringField(attachment, "signedUrl").rfind("http://later.test/upload/", 0), 0u)
      << StringField(attachment, "signedUrl");
}

TEST_F(DataRoomsTest, RunQueryKeepsToTheMemoryBudgetOfItsDeps) {
  LogSpans(50);
  btql::Query query;
  query.from.function = "experiment";
  query.from.ids = {kExperiment};
  http::Request req;
  http::RequestContext ctx(req, "req-1");
  ctx.set_principal(MemberOf(kOrgA));
  Result<QueryOutput> roomy = RunQuery(Query(), ctx, query, QueryOptions{});
  ASSERT_TRUE(roomy.ok()) << roomy.status().ToString();
  EXPECT_EQ(roomy->data.size(), 50u);
  Result<QueryOutput> tight = RunQuery(Query(/*memory_bytes=*/256), ctx, query, QueryOptions{});
  ASSERT_FALSE(tight.ok()) << "50 rows do not fit in 256 bytes";
  EXPECT_NE(tight.status().message().find("memory budget of 256 bytes"), std::string::npos)
      << tight.status().ToString();
}

}  // namespace
}  // namespace tv::data

// Unit tests for prompts and functions on the data plane: FunctionStore
// (versions, transaction ids, slugs, patch, delete, lists), EnvironmentStore
// and the request validation of function_json, over an in-memory SQLite
// migrated with the data plane's migrations and a fake clock.
// Lookups below use designated initializers; GCC 12 warns about every member
// they leave at its default, which is the point of them.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <gtest/gtest.h>

#include "data/data_plane.h"
#include "data/functions/functions.h"
#include "functions/environment_store.h"
#include "functions/function_store.h"
#include "meta/sqlite/sqlite_meta_store.h"
#include "test_support.h"

namespace tv::functions {
namespace {

using data::ControlPlaneClient;
using data::DataMigrations;
using data::Functions;
using tv::testing::FakeClock;

constexpr int64_t kSecond = 1000000;
const std::string kOrg = "00000000-0000-4000-8000-0000000000a1";
const std::string kProject = "00000000-0000-4000-8000-0000000000b1";
const std::string kProject2 = "00000000-0000-4000-8000-0000000000b2";

class FunctionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = meta::OpenSqliteMetaStore({":memory:"});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ASSERT_TRUE(meta::Migrate(*db_, DataMigrations()).ok());
    store_ = std::make_unique<FunctionStore>(*db_, clock_);
    envs_ = std::make_unique<EnvironmentStore>(*db_, clock_);
  }

  OwnedSpec Spec(const std::string& slug, const std::string& text, IfExists mode = IfExists::kError,
                 const std::string& project = kProject) {
    json::object body{{"project_id", project},
                      {"name", "N " + slug},
                      {"slug", slug},
                      {"prompt_data", json::object{{"prompt", json::object{{"type", "completion"}, {"content", text}}},
                                                   {"options", json::object{{"model", "m"}}}}}};
    auto spec = ParseFunctionSpec(body, FunctionFamily::kPrompt);
    EXPECT_TRUE(spec.ok()) << spec.status().ToString();
    spec->if_exists = mode;
    return {std::move(*spec), kOrg};
  }

  json::object Put(const std::string& slug, const std::string& text, IfExists mode = IfExists::kError) {
    auto out = store_->Put(Spec(slug, text, mode));
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? out->row : json::object();
  }

  static store::XactId Xact(const json::object& row) { return *store::ParseXact(StringField(row, "_xact_id")); }
  static std::string Content(const json::object& row) {
    return std::string(row.at("prompt_data").at("prompt").at("content").as_string());
  }

  FakeClock clock_;
  std::unique_ptr<meta::MetaStore> db_;
  std::unique_ptr<FunctionStore> store_;
  std::unique_ptr<EnvironmentStore> envs_;
};

TEST_F(FunctionStoreTest, CreateBuildsTheRowAndEachWriteIsANewVersion) {
  json::object v1 = Put("greet", "hi");
  EXPECT_EQ(StringField(v1, "log_id"), "p");
  EXPECT_EQ(StringField(v1, "org_id"), kOrg);
  EXPECT_EQ(StringField(v1, "project_id"), kProject);
  EXPECT_EQ(v1.at("function_data"), (json::object{{"type", "prompt"}}));
  EXPECT_TRUE(v1.at("description").is_null());
  EXPECT_EQ(Xact(v1), store::XactAtTime(clock_.NowMicros()));

  auto ignored = store_->Put(Spec("greet", "other", IfExists::kIgnore));
  ASSERT_TRUE(ignored.ok());
  EXPECT_TRUE(ignored->found_existing);
  EXPECT_EQ(ignored->row, v1);
  EXPECT_EQ(store_->Put(Spec("greet", "other")).status().code(), StatusCode::kAlreadyExists);

  json::object v2 = Put("greet", "hello", IfExists::kReplace);
  EXPECT_EQ(StringField(v2, "id"), StringField(v1, "id"));
  EXPECT_EQ(StringField(v2, "created"), StringField(v1, "created"));
  EXPECT_EQ(Xact(v2), Xact(v1) + 1) << "same second: last + 1";
  EXPECT_EQ(Content((*store_->Current(StringField(v1, "id")))->row), "hello");
}

TEST_F(FunctionStoreTest, TransactionIdsFollowTheClockAndNeverGoBack) {
  json::object a = Put("a", "x");
  clock_.Advance(10 * kSecond);
  json::object b = Put("b", "x");
  EXPECT_EQ(Xact(b), store::XactAtTime(clock_.NowMicros()));
  clock_.Advance(-60 * kSecond);
  json::object c = Put("c", "x");
  EXPECT_EQ(Xact(c), Xact(b) + 1) << "a clock going back does not reuse ids";
  EXPECT_LT(Xact(a), Xact(b));
  EXPECT_EQ(Xact(a) >> 48, 0x0DE1u);
}

TEST_F(FunctionStoreTest, OldVersionsStayReadable) {
  json::object v1 = Put("p", "one");
  json::object v2 = Put("p", "two", IfExists::kReplace);
  std::string id = StringField(v1, "id");
  EXPECT_EQ(Content((*store_->AsOf(id, Xact(v1)))->row), "one");
  EXPECT_EQ(Content((*store_->AsOf(id, Xact(v2)))->row), "two");
  EXPECT_EQ(Content((*store_->AsOf(id, Xact(v2) + 1000))->row), "two");
  EXPECT_FALSE(store_->AsOf(id, Xact(v1) - 1)->has_value()) << "before it existed";
  EXPECT_TRUE(*store_->HasVersion(id, Xact(v1)));
  EXPECT_FALSE(*store_->HasVersion(id, Xact(v1) - 1));
}

TEST_F(FunctionStoreTest, PatchMergesIgnoresNullsAndChecksSlugs) {
  json::object v1 = Put("p", "one");
  Put("taken", "x");
  std::string id = StringField(v1, "id");
  auto patch = ParseFunctionPatch(
      json::object{{"description", "d"},
                   {"tags", nullptr},
                   {"prompt_data", json::object{{"options", json::object{{"params", json::object{{"t", 1}}}}},
                                                {"prompt", json::object{{"content", nullptr}}}}}},
      FunctionFamily::kPrompt);
  ASSERT_TRUE(patch.ok());
  auto row = store_->Patch(id, *patch);
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(StringField(*row, "description"), "d");
  EXPECT_EQ(Content(*row), "one") << "a nested null does not unset";
  EXPECT_EQ(row->at("prompt_data").at("options").at("model"), "m");
  EXPECT_EQ(row->at("prompt_data").at("options").at("params").at("t"), 1);

  auto rename = ParseFunctionPatch(json::object{{"slug", "taken"}}, FunctionFamily::kPrompt);
  ASSERT_TRUE(rename.ok());
  EXPECT_EQ(store_->Patch(id, *rename).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ((*store_->Current(id))->row, *row) << "the refused patch wrote nothing";
  EXPECT_EQ(store_->Patch("00000000-0000-4000-8000-00000000ffff", *patch).status().code(), StatusCode::kNotFound);
}

TEST_F(FunctionStoreTest, DeleteFreesTheSlugKeepsHistoryAndDropsEnvironmentPointers) {
  json::object v1 = Put("p", "one");
  std::string id = StringField(v1, "id");
  auto env = envs_->Ensure(kOrg, "Prod", "prod", std::nullopt);
  ASSERT_TRUE(env.ok());
  ASSERT_TRUE(envs_->Assign(env->environment, id, Xact(v1)).ok());
  auto gone = store_->Delete(id);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(*gone, v1);
  EXPECT_FALSE(store_->Current(id)->has_value());
  EXPECT_EQ(store_->Delete(id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*store_->OrgOf(id), kOrg);
  EXPECT_EQ(Content((*store_->AsOf(id, Xact(v1)))->row), "one");
  EXPECT_FALSE(envs_->Assignment(env->environment, id)->has_value());

  FunctionQuery q;
  q.org_ids = {kOrg};
  q.ids = {id};
  auto history = store_->History(q);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_TRUE((*history)[0].deleted);
  EXPECT_EQ((*history)[0].row.at("_object_delete"), true);
  EXPECT_FALSE(store_->AsOf(id, (*history)[0].xact)->has_value()) << "as of the delete it is gone";

  json::object again = Put("p", "reborn");
  EXPECT_NE(StringField(again, "id"), id);
}

TEST_F(FunctionStoreTest, ListsFilterPageAndReadAsOfAVersion) {
  json::object a = Put("a", "x");
  clock_.Advance(kSecond);
  json::object b = Put("b", "x");
  clock_.Advance(kSecond);
  json::object c = Put("c", "x");
  ASSERT_TRUE(store_->Put(Spec("a", "other project", IfExists::kError, kProject2)).ok());
  FunctionQuery q;
  q.org_ids = {kOrg};
  q.project_ids = {kProject};
  auto slugs = [&](const FunctionQuery& query) {
    std::vector<std::string> out;
    auto listed = store_->List(query);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    if (listed.ok())
      for (const auto& v : *listed) out.push_back(StringField(v.row, "slug"));
    return out;
  };
  EXPECT_EQ(slugs(q), (std::vector<std::string>{"c", "b", "a"}));
  FunctionQuery page = q;
  page.limit = 1;
  page.starting_after = StringField(c, "id");
  EXPECT_EQ(slugs(page), (std::vector<std::string>{"b"}));
  page.starting_after.reset();
  page.ending_before = StringField(a, "id");
  EXPECT_EQ(slugs(page), (std::vector<std::string>{"b"}));
  page.ending_before = "00000000-0000-4000-8000-00000000ffff";
  EXPECT_EQ(store_->List(page).status().code(), StatusCode::kInvalidArgument);

  ASSERT_TRUE(store_->Delete(StringField(b, "id")).ok());
  EXPECT_EQ(slugs(q), (std::vector<std::string>{"c", "a"}));
  FunctionQuery then = q;
  then.as_of = Xact(b);
  EXPECT_EQ(slugs(then), (std::vector<std::string>{"b", "a"})) << "as of b's creation: c did not exist yet";
  FunctionQuery other_org;
  other_org.org_ids = {"00000000-0000-4000-8000-0000000000a2"};
  EXPECT_TRUE(slugs(other_org).empty());
}

// A body stored by an older build with a number JSON cannot carry (the text
// `Infinity`) must not take the organization's lists down, and the function
// must stay deletable.
TEST_F(FunctionStoreTest, AnUndecodableStoredBodyIsServedFromItsColumnsAndCanBeDeleted) {
  json::object good = Put("good", "x");
  clock_.Advance(kSecond);
  json::object bad = Put("bad", "y");
  std::string bad_id = StringField(bad, "id");
  ASSERT_TRUE(db_->Execute("UPDATE function_versions SET body = $1 WHERE function_id = $2",
                           {std::string(R"({"id":"x","prompt_data":{"options":{"params":{"t":Infinity}}}})"), bad_id})
                  .ok());
  FunctionQuery q;
  q.org_ids = {kOrg};
  auto listed = store_->List(q);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  const json::object& row = (*listed)[0].row;
  EXPECT_EQ(StringField(row, "id"), bad_id);
  EXPECT_EQ(StringField(row, "slug"), "bad");
  EXPECT_EQ(StringField(row, "project_id"), kProject);
  EXPECT_EQ(row.at("metadata").at("_tracevault_undecodable_body"), true);
  EXPECT_EQ((*listed)[1].row, good);
  ASSERT_TRUE(store_->Delete(bad_id).ok());
  listed = store_->List(q);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(StringField((*listed)[0].row, "id"), StringField(good, "id"));
}

TEST_F(FunctionStoreTest, PutAllIsAllOrNothing) {
  Put("exists", "x");
  auto out = store_->PutAll({Spec("new-one", "x", IfExists::kReplace), Spec("exists", "y", IfExists::kError)});
  EXPECT_EQ(out.status().code(), StatusCode::kAlreadyExists);
  FunctionQuery q;
  q.org_ids = {kOrg};
  q.slug = "new-one";
  EXPECT_TRUE(store_->List(q)->empty());
  auto ok = store_->PutAll({Spec("new-one", "x", IfExists::kReplace), Spec("exists", "y", IfExists::kIgnore)});
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE((*ok)[0].found_existing);
  EXPECT_TRUE((*ok)[1].found_existing);
}

TEST_F(FunctionStoreTest, EnvironmentsAreIdempotentBySlugAndPointAtVersions) {
  auto e1 = envs_->Ensure(kOrg, "Prod", "prod", std::string("live"));
  ASSERT_TRUE(e1.ok());
  EXPECT_FALSE(e1->found_existing);
  auto e2 = envs_->Ensure(kOrg, "Other name", "prod", std::nullopt);
  ASSERT_TRUE(e2.ok());
  EXPECT_TRUE(e2->found_existing);
  EXPECT_EQ(e2->environment, e1->environment);
  auto staging = envs_->Ensure(kOrg, "Staging", "staging", std::nullopt);
  EXPECT_EQ(envs_->Patch(StringField(staging->environment, "id"), json::object{{"slug", "prod"}}).status().code(),
            StatusCode::kAlreadyExists);

  json::object v1 = Put("p", "one");
  json::object v2 = Put("p", "two", IfExists::kReplace);
  std::string id = StringField(v1, "id");
  ASSERT_TRUE(envs_->Assign(e1->environment, id, Xact(v1)).ok());
  auto moved = envs_->Assign(e1->environment, id, Xact(v2));
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(StringField(*moved, "object_version"), store::FormatXact(Xact(v2)));
  EXPECT_EQ(StringField(*moved, "environment_slug"), "prod");
  EXPECT_EQ(envs_->Assignments(id)->size(), 1u);
  ASSERT_TRUE(envs_->Delete(StringField(e1->environment, "id")).ok());
  EXPECT_TRUE(envs_->Assignments(id)->empty());
}

// The C++ API the AI proxy uses: Functions::Find with the tenancy rule.
class OneProjectControlPlane final : public ControlPlaneClient {
 public:
  Result<Principal> Authenticate(std::string_view) override { return Unauthenticated("no"); }
  Result<ObjectInfo> Resolve(ObjectType type, std::string_view id, const Principal&) override {
    if (type != ObjectType::kProject || id != kProject) return NotFound("project '{}' not found", id);
    return ObjectInfo{ObjectType::kProject, kProject, "proj", kOrg, "", ""};
  }
  Result<ObjectInfo> FindProject(std::string_view org_id, std::string_view name, const Principal&) override {
    if (org_id != kOrg || name != "proj") return NotFound("project '{}' not found", name);
    return ObjectInfo{ObjectType::kProject, kProject, "proj", kOrg, "", ""};
  }
  Status Health() override { return Status::Ok(); }
};

TEST_F(FunctionStoreTest, FindAppliesTenancyAndPicksVersions) {
  OneProjectControlPlane control;
  http::Tenancy tenancy(
      [&](ObjectType t, std::string_view id, const Principal& p) { return control.Resolve(t, id, p); });
  Functions fns(*db_, clock_, tenancy, control);
  json::object v1 = Put("p", "one");
  json::object v2 = Put("p", "two", IfExists::kReplace);
  std::string id = StringField(v1, "id");
  auto env = envs_->Ensure(kOrg, "Prod", "prod", std::nullopt);
  ASSERT_TRUE(envs_->Assign(env->environment, id, Xact(v1)).ok());

  http::Request req;
  http::RequestContext member(req, "r1");
  member.set_principal(Principal{"u", "", "", "", {{kOrg, "org", "member"}}, ""});
  auto by_id = fns.Find(member, {.id = id});
  ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
  EXPECT_EQ(*by_id, v2);
  auto by_name = fns.Find(member, {.project_name = "proj", .slug = "p", .version = Xact(v1)});
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  EXPECT_EQ(*by_name, v1);
  auto by_env = fns.Find(member, {.project_id = kProject, .slug = "p", .environment = "prod"});
  ASSERT_TRUE(by_env.ok()) << by_env.status().ToString();
  EXPECT_EQ(*by_env, v1);
  EXPECT_EQ(fns.Find(member, {.id = id, .version = Xact(v1), .environment = "prod"}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(fns.Find(member, {.project_id = kProject, .slug = "nope"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fns.Find(member, {.id = id, .environment = "staging"}).status().code(), StatusCode::kNotFound);

  http::RequestContext stranger(req, "r2");
  stranger.set_principal(Principal{"v", "", "", "", {{"00000000-0000-4000-8000-0000000000a2", "other", "owner"}}, ""});
  Status denied = fns.Find(stranger, {.id = id}).status();
  EXPECT_EQ(denied.code(), StatusCode::kNotFound);
  EXPECT_EQ(denied.message(), "function '" + id + "' not found") << "worded like an unknown id";
  EXPECT_EQ(fns.Find(stranger, {.project_id = kProject, .slug = "p"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fns.Find(stranger, {.project_name = "proj", .slug = "p"}).status().code(), StatusCode::kNotFound);
}

TEST(FunctionJsonTest, ValidatesCreateBodies) {
  json::object good{{"project_id", kProject}, {"name", "n"}, {"slug", "s"}};
  EXPECT_TRUE(ParseFunctionSpec(good, FunctionFamily::kPrompt).ok());
  EXPECT_EQ(ParseFunctionSpec(good, FunctionFamily::kFunction).status().code(), StatusCode::kInvalidArgument)
      << "functions need function_data";
  auto bad = [&](const char* key, json::value v) {
    json::object body = good;
    body[key] = std::move(v);
    return ParseFunctionSpec(body, FunctionFamily::kPrompt).status();
  };
  EXPECT_NE(bad("slug", "a b").message().find("slug"), std::string::npos);
  EXPECT_FALSE(bad("slug", "").ok());
  EXPECT_FALSE(bad("name", "").ok());
  EXPECT_FALSE(bad("project_id", "x").ok());
  EXPECT_FALSE(bad("tags", json::array{1}).ok());
  EXPECT_FALSE(bad("metadata", "x").ok());
  EXPECT_FALSE(bad("function_type", "nope").ok());
  EXPECT_FALSE(bad("origin", json::object{{"object_type", "project"}}).ok());
  EXPECT_FALSE(bad("if_exists", "sometimes").ok());
  EXPECT_TRUE(bad("function_type", "scorer").ok());
  auto forced = ParseFunctionSpec(
      json::object{
          {"project_id", kProject}, {"name", "n"}, {"slug", "s"}, {"function_data", json::object{{"type", "code"}}}},
      FunctionFamily::kPrompt);
  ASSERT_TRUE(forced.ok());
  EXPECT_EQ(FunctionKind(forced->fields), "prompt") << "/v1/prompt always makes prompts";
}

}  // namespace
}  // namespace tv::functions

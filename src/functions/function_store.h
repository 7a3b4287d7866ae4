// FunctionStore: prompts and functions in the data plane's metadata database
// — a head table of live functions and an append-only table of versions
// (docs/prompts.md has the tables and the reasons).
//
// It trusts the ids and organizations it is given: callers apply the tenancy
// rule first (functions.h). Every write is one transaction that allocates a
// new `_xact_id` and appends one version per function it changes; a write
// that fails changes nothing.
//
// Thread-safety: safe for concurrent use (the MetaStore serializes writers;
// a writer that collides on a transaction id or slug is retried).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "functions/function_json.h"
#include "meta/meta_store.h"
#include "store/xact.h"

namespace tv::functions {

// The tables (data-plane migration 4).
std::string_view FunctionSchemaSql();

struct FunctionVersion {
  store::XactId xact = 0;
  std::string function_id;
  std::string org_id;
  std::string project_id;
  std::string kind;  // function_data.type
  bool deleted = false;
  json::object row;  // as the API returns it; a tombstone has _object_delete: true
};

// Which functions a list or history covers. Empty vectors other than
// `org_ids` mean "any"; an empty `org_ids` matches nothing.
struct FunctionQuery {
  std::vector<std::string> org_ids;
  std::vector<std::string> project_ids;
  std::vector<std::string> ids;
  std::optional<std::string> slug;
  std::optional<std::string> name;
  std::optional<std::string> function_type;
  bool prompts_only = false;
  std::optional<store::XactId> as_of;                        // each function as of this transaction
  std::optional<std::string> starting_after, ending_before;  // function ids (List only)
  std::optional<int64_t> limit;                              // List only; none: all
};

struct WriteOutcome {
  json::object row;
  bool found_existing = false;  // an existing function was returned unchanged
};

struct OwnedSpec {
  FunctionSpec spec;
  std::string org_id;  // the organization of spec.project_id
};

class FunctionStore {
 public:
  FunctionStore(meta::MetaStore& db, const Clock& clock) : db_(db), clock_(clock) {}

  // The current version of a live function; nullopt when unknown or deleted.
  Result<std::optional<FunctionVersion>> Current(std::string_view id);
  // The newest version at or before `as_of`; nullopt when none or a tombstone.
  Result<std::optional<FunctionVersion>> AsOf(std::string_view id, store::XactId as_of);
  // The organization of a function that ever existed (deleted ones too).
  Result<std::optional<std::string>> OrgOf(std::string_view id);
  // A live version `xact` of function `id` exists.
  Result<bool> HasVersion(std::string_view id, store::XactId xact);

  // Live functions (or, with as_of, those alive then), newest `created` first.
  // A starting_after / ending_before id outside the query is InvalidArgument.
  Result<std::vector<FunctionVersion>> List(const FunctionQuery& q);
  // Every version of the matching functions, tombstones included, newest first.
  Result<std::vector<FunctionVersion>> History(const FunctionQuery& q);

  // Creates the function, or for an existing (project_id, slug) follows
  // spec.if_exists: kIgnore returns it unchanged (found_existing), kReplace
  // writes a new version of it, kError is AlreadyExists.
  Result<WriteOutcome> Put(const OwnedSpec& spec);
  // Several puts in one transaction: all are written or none.
  Result<std::vector<WriteOutcome>> PutAll(const std::vector<OwnedSpec>& specs);
  // Merges a validated patch (ParseFunctionPatch) into the current version.
  // NotFound when not live; AlreadyExists when a new slug is taken.
  Result<json::object> Patch(std::string_view id, const json::object& patch);
  // Removes the live function and its environment pointers and appends a
  // tombstone; returns the last live row.
  Result<json::object> Delete(std::string_view id);

 private:
  Result<WriteOutcome> PutIn(meta::MetaStore& tx, const OwnedSpec& spec);
  Result<json::object> WriteVersion(meta::MetaStore& tx, const FunctionVersion& base, const json::object& fields,
                                    bool is_new);
  Result<store::XactId> NextXact(meta::MetaStore& tx);
  Status Retrying(const std::function<Status(meta::MetaStore&)>& fn);

  meta::MetaStore& db_;
  const Clock& clock_;
};

}  // namespace tv::functions

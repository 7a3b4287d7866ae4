// RowIntake: turns the rows of one write request into a store::WriteBatch.
// Every row names an object; each object is resolved once per request through
// the tenancy rule (another organization's id is NotFound) and every row is
// validated and normalized. The first error rejects the whole request, so a
// batch is all or nothing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "http/context.h"
#include "http/tenancy.h"
#include "store/catalog.h"
#include "store/row_rules.h"
#include "store/writer.h"

namespace tv::data {

class RowIntake {
 public:
  RowIntake(http::RequestContext& ctx, const http::Tenancy& tenancy, store::Catalog& catalog, const Clock& clock)
      : ctx_(ctx), tenancy_(tenancy), catalog_(catalog), now_(clock.NowMicros()) {}

  // Adds a row; its object is `ref` when given (the /v1/<object>/<id> routes),
  // else the one the row names (/logs3).
  Status Add(json::object row, const std::optional<store::ObjectRef>& ref, std::string_view where);

  const std::vector<std::string>& row_ids() const { return row_ids_; }
  int64_t now_micros() const { return now_; }  // the request's time, shared by its rows
  size_t size() const { return row_ids_.size(); }
  // The batch, once every playground session it writes to for the first time
  // is claimed for the caller's organization. NotFound when another
  // organization claimed one first (a concurrent first write): nothing of
  // the batch is written then.
  Result<store::WriteBatch> Take();

 private:
  // Resolves the object to its owner, once per request.
  Result<size_t> Slot(const store::ObjectRef& ref);

  http::RequestContext& ctx_;
  const http::Tenancy& tenancy_;
  store::Catalog& catalog_;
  int64_t now_;
  std::map<std::string, size_t> slots_;
  std::vector<std::pair<size_t, std::string>> sessions_;  // (slot, session id) of playground sessions
  store::WriteBatch batch_;
  std::vector<std::string> row_ids_;
};

}  // namespace tv::data

#include "data/rows/row_intake.h"

#include "common/ids.h"
#include "data/rows/object_access.h"

namespace tv::data {
namespace {

bool Flag(const json::object& row, std::string_view key) {
  const auto* v = row.if_contains(key);
  return v && v->is_bool() && v->as_bool();
}

// What the SDK fills in for a new span, so every stored row reads back as a
// valid span: span_id a new id, root_span_id the span's own id. Merges and
// deletes name an existing row; comments are not spans.
void FillSpanIds(json::object& row) {
  if (Flag(row, "_is_merge") || Flag(row, "_object_delete")) return;
  if (row.contains("comment") && row.contains("origin")) return;
  auto absent = [&](std::string_view key) {
    const auto* v = row.if_contains(key);
    return !v || v->is_null() || (v->is_string() && v->as_string().empty());
  };
  if (absent("span_id")) row["span_id"] = NewUuid();
  if (absent("root_span_id")) row["root_span_id"] = row["span_id"];
}

}  // namespace

Status RowIntake::Add(json::object row, const std::optional<store::ObjectRef>& ref, std::string_view where) {
  store::ObjectRef target;
  if (ref) {
    target = *ref;
  } else {
    TV_ASSIGN_OR_RETURN(target, store::RowObject(row, where));
  }
  if (target.kind == store::ObjectKind::kPromptSession && !IsUuid(target.id))
    return InvalidArgument("{}.prompt_session_id must be a UUID", where);
  TV_ASSIGN_OR_RETURN(size_t slot, Slot(target));
  store::ObjectWrite& ow = batch_.objects[slot];
  std::string project_id = target.kind == store::ObjectKind::kPromptSession ? "" : ow.owner.project_id;
  TV_RETURN_IF_ERROR(store::NormalizeRow(row, target, project_id, now_, where));
  FillSpanIds(row);
  if (target.kind == store::ObjectKind::kProjectLogs) row["org_id"] = ow.owner.org_id;
  row_ids_.emplace_back(row["id"].as_string());
  ow.rows.push_back(std::move(row));
  return Status::Ok();
}

Result<store::WriteBatch> RowIntake::Take() {
  for (const auto& [slot, session_id] : sessions_) {
    store::ObjectOwner& owner = batch_.objects[slot].owner;
    TV_ASSIGN_OR_RETURN(store::ObjectOwner claimed, catalog_.Claim(owner, FormatTimestamp(now_)));
    if (!ctx_.principal().FindOrg(claimed.org_id)) return NotFound("prompt session '{}' not found", session_id);
    owner = std::move(claimed);
  }
  sessions_.clear();
  return std::move(batch_);
}

Result<size_t> RowIntake::Slot(const store::ObjectRef& ref) {
  std::string object_id = ref.ObjectId();
  if (auto it = slots_.find(object_id); it != slots_.end()) return it->second;
  TV_ASSIGN_OR_RETURN(store::ObjectOwner owner, ResolveObject(ctx_, tenancy_, catalog_, ref, Access::kWrite));
  size_t slot = batch_.objects.size();
  batch_.objects.push_back({std::move(owner), {}});
  slots_[object_id] = slot;
  if (ref.kind == store::ObjectKind::kPromptSession) sessions_.emplace_back(slot, ref.id);
  return slot;
}

}  // namespace tv::data

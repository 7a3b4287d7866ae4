#include "data/row_intake.h"

#include "data/object_access.h"

namespace tv::data {

Status RowIntake::Add(json::object row, const std::optional<store::ObjectRef>& ref, std::string_view where) {
  store::ObjectRef target;
  if (ref) {
    target = *ref;
  } else {
    TV_ASSIGN_OR_RETURN(target, store::RowObject(row, where));
  }
  TV_ASSIGN_OR_RETURN(size_t slot, Slot(target));
  store::ObjectWrite& ow = batch_.objects[slot];
  std::string project_id = target.kind == store::ObjectKind::kPromptSession ? "" : ow.owner.project_id;
  TV_RETURN_IF_ERROR(store::NormalizeRow(row, target, project_id, now_, where));
  row_ids_.emplace_back(row["id"].as_string());
  ow.rows.push_back(std::move(row));
  return Status::Ok();
}

store::WriteBatch RowIntake::Take() { return std::move(batch_); }

Result<size_t> RowIntake::Slot(const store::ObjectRef& ref) {
  std::string object_id = ref.ObjectId();
  if (auto it = slots_.find(object_id); it != slots_.end()) return it->second;
  TV_ASSIGN_OR_RETURN(store::ObjectOwner owner, ResolveObject(ctx_, tenancy_, catalog_, ref, Access::kWrite));
  size_t slot = batch_.objects.size();
  batch_.objects.push_back({std::move(owner), {}});
  slots_[object_id] = slot;
  return slot;
}

}  // namespace tv::data

#include "data/aiproxy/llm_span.h"

#include "common/ids.h"
#include "data/functions/functions.h"
#include "data/rows/object_access.h"
#include "data/rows/row_intake.h"

namespace tv::data {
namespace {

Result<store::ObjectRef> RefOf(const proxy::SpanParent& p) {
  if (p.object_type == "experiment") return store::ObjectRef{store::ObjectKind::kExperiment, p.object_id};
  if (p.object_type == "project_logs") return store::ObjectRef{store::ObjectKind::kProjectLogs, p.object_id};
  if (p.object_type == "playground_logs") return store::ObjectRef{store::ObjectKind::kPromptSession, p.object_id};
  return InvalidArgument("parent object type '{}' cannot hold spans", p.object_type);
}

// Fills the keys of `from` that `to` lacks (objects one level deep).
void MergeMissing(json::object& to, const json::object& from) {
  for (const auto& [k, v] : from) {
    auto* mine = to.if_contains(k);
    if (!mine) {
      to[k] = v;
    } else if (mine->is_object() && v.is_object()) {
      for (const auto& [k2, v2] : v.as_object())
        if (!mine->as_object().contains(k2)) mine->as_object()[k2] = v2;
    }
  }
}

// The row of `span` with id `id` under `parent`.
Result<json::object> SpanRow(const std::string& id, const ResolvedParent& parent, const LlmSpan& span) {
  json::object row{{"id", id}, {"span_id", id}};
  const proxy::SpanParent& p = parent.parent;
  if (p.span_id) {
    row["root_span_id"] = *p.root_span_id;
    row["span_parents"] = json::array{json::value(*p.span_id)};
  } else {
    row["root_span_id"] = id;
  }
  switch (parent.ref.kind) {
    case store::ObjectKind::kExperiment:
      row["experiment_id"] = parent.ref.id;
      break;
    case store::ObjectKind::kProjectLogs:
      row["project_id"] = parent.ref.id;
      row["log_id"] = "g";
      break;
    case store::ObjectKind::kPromptSession:
      row["prompt_session_id"] = parent.ref.id;
      row["log_id"] = "x";
      break;
    case store::ObjectKind::kDataset:
      return InvalidArgument("a dataset cannot hold spans");
  }
  row["span_attributes"] = json::object{{"name", span.name}, {"type", span.type}};
  row["input"] = span.input;
  row["output"] = span.output;
  row["metadata"] = span.metadata;
  row["metrics"] = span.metrics;
  if (span.error) row["error"] = *span.error;
  MergeMissing(row, p.propagated_event);
  return row;
}

}  // namespace

Result<ResolvedParent> StoreLlmSpanLog::ResolveParent(http::RequestContext& ctx, proxy::SpanParent parent) {
  if (parent.object_id.empty() && parent.project_name) {
    std::optional<std::string> org_name;
    if (auto h = ctx.request().headers.Get("x-bt-org-name")) org_name = std::string(*h);
    TV_ASSIGN_OR_RETURN(ObjectInfo project,
                        functions_.RequireProject(ctx, std::nullopt, parent.project_name, org_name));
    parent.object_id = project.id;
  }
  TV_ASSIGN_OR_RETURN(store::ObjectRef ref, RefOf(parent));
  TV_RETURN_IF_ERROR(ResolveObject(ctx, tenancy_, store_.catalog(), ref, Access::kWrite).status());
  return ResolvedParent{std::move(ref), std::move(parent)};
}

Result<std::string> StoreLlmSpanLog::Write(const http::Request& request, const Principal& caller,
                                           const ResolvedParent& parent, const LlmSpan& span) {
  http::RequestContext ctx(request, NewUuid());
  ctx.set_principal(caller);
  std::string id = NewUuid();
  TV_ASSIGN_OR_RETURN(json::object row, SpanRow(id, parent, span));
  RowIntake intake(ctx, tenancy_, store_.catalog(), clock_);
  TV_RETURN_IF_ERROR(intake.Add(std::move(row), parent.ref, "span"));
  TV_ASSIGN_OR_RETURN(store::WriteBatch batch, intake.Take());
  TV_RETURN_IF_ERROR(store_.Write(std::move(batch)).status());
  return id;
}

}  // namespace tv::data

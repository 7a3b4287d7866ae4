// The signed-URL flows: POST /logs3/overflow, the attachment endpoints
// (POST /attachment, POST /attachment/status, GET /attachment), and the public
// PUT / GET /upload/{token} that takes and serves the bytes.
#include "common/ids.h"
#include "data/rows/object_access.h"
#include "data/rows/row_routes.h"
#include "http/json_io.h"

namespace tv::data {
namespace {

std::string UploadUrl(const RowsDeps& deps, const Upload& u) { return deps.public_url + "/upload/" + u.token; }

json::object ContentTypeHeaders(const std::string& content_type) {
  json::object h;
  if (!content_type.empty()) h["Content-Type"] = content_type;
  return h;
}

Result<std::string> OrgFor(http::RequestContext& ctx, const json::object& body) {
  TV_ASSIGN_OR_RETURN(auto org_id, OptString(body, "org_id"));
  TV_ASSIGN_OR_RETURN(auto org_name, OptString(body, "org_name"));
  if (!org_name) {
    if (auto h = ctx.request().headers.Get("x-bt-org-name")) org_name = std::string(*h);
  }
  TV_ASSIGN_OR_RETURN(OrgMembership org, http::Tenancy::ChooseOrg(ctx.principal(), org_id, org_name));
  return org.org_id;
}

// POST /logs3/overflow {content_type, size_bytes, rows: [{object_ids, ...}]}.
Result<http::Response> PostOverflow(const RowsDeps& deps, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(auto content_type, OptString(body, "content_type"));
  std::string org_id;
  const auto* rows = body.if_contains("rows");
  if (rows && !rows->is_null() && !rows->is_array()) return InvalidArgument("'rows' must be an array");
  // Every object the payload will write must be the caller's, in one organization.
  for (size_t i = 0; rows && rows->is_array() && i < rows->as_array().size(); ++i) {
    std::string where = fmt::format("rows[{}].object_ids", i);
    const json::value& r = rows->as_array()[i];
    const json::value* ids = r.is_object() ? r.as_object().if_contains("object_ids") : nullptr;
    if (!ids || !ids->is_object()) return InvalidArgument("{} is required and must be an object", where);
    TV_ASSIGN_OR_RETURN(store::ObjectRef ref, store::RowObject(ids->as_object(), where));
    TV_ASSIGN_OR_RETURN(store::ObjectOwner owner,
                        ResolveObject(ctx, deps.tenancy, deps.store.catalog(), ref, Access::kWrite));
    if (!org_id.empty() && owner.org_id != org_id)
      return InvalidArgument("one overflow payload must write to objects of one organization");
    org_id = owner.org_id;
  }
  if (org_id.empty()) {
    TV_ASSIGN_OR_RETURN(org_id, OrgFor(ctx, body));
  }
  TV_ASSIGN_OR_RETURN(Upload u, deps.uploads.Create(UploadKind::kOverflow, NewUuid(), org_id,
                                                    content_type.value_or("application/json"), ""));
  return http::JsonOk(json::object{{"method", "PUT"},
                                   {"signedUrl", UploadUrl(deps, u)},
                                   {"headers", ContentTypeHeaders(u.content_type)},
                                   {"key", u.key}});
}

// POST /attachment {key, filename, content_type, org_id}.
Result<http::Response> PostAttachment(const RowsDeps& deps, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string key, ReqString(body, "key"));
  TV_ASSIGN_OR_RETURN(auto filename, OptString(body, "filename"));
  TV_ASSIGN_OR_RETURN(auto content_type, OptString(body, "content_type"));
  TV_ASSIGN_OR_RETURN(std::string org_id, OrgFor(ctx, body));
  TV_ASSIGN_OR_RETURN(Upload u,
                      deps.uploads.Create(UploadKind::kAttachment, key, org_id,
                                          content_type.value_or("application/octet-stream"), filename.value_or("")));
  return http::JsonOk(json::object{{"signedUrl", UploadUrl(deps, u)}, {"headers", ContentTypeHeaders(u.content_type)}});
}

// POST /attachment/status {key, org_id, status: {upload_status, error_message?}}.
Result<http::Response> PostAttachmentStatus(const RowsDeps& deps, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, http::ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string key, ReqString(body, "key"));
  TV_ASSIGN_OR_RETURN(auto status, OptObject(body, "status"));
  if (!status) return InvalidArgument("'status' is required: {{\"upload_status\": \"done\" | \"error\"}}");
  TV_ASSIGN_OR_RETURN(std::string upload_status, ReqString(*status, "upload_status"));
  if (upload_status != "done" && upload_status != "error" && upload_status != "uploading")
    return InvalidArgument("'status.upload_status' must be \"uploading\", \"done\" or \"error\"");
  TV_ASSIGN_OR_RETURN(auto error_message, OptString(*status, "error_message"));
  TV_ASSIGN_OR_RETURN(std::string org_id, OrgFor(ctx, body));
  TV_ASSIGN_OR_RETURN(Upload u, deps.uploads.Attachment(org_id, key));
  TV_RETURN_IF_ERROR(deps.uploads.SetStatus(u, upload_status, error_message.value_or("")));
  return http::JsonOk(json::object{{"status", "success"}});
}

// GET /attachment?key=&org_id=[&filename=&content_type=] or ?url=.
Result<http::Response> GetAttachment(const RowsDeps& deps, http::RequestContext& ctx) {
  const http::Request& req = ctx.request();
  if (auto url = http::QueryString(req, "url"))
    return http::JsonOk(json::object{{"downloadUrl", *url}, {"status", json::object{{"upload_status", "done"}}}});
  auto key = http::QueryString(req, "key");
  if (!key) return InvalidArgument("'key' (or 'url') is required");
  json::object org_args;
  if (auto v = http::QueryString(req, "org_id")) org_args["org_id"] = *v;
  if (auto v = http::QueryString(req, "org_name")) org_args["org_name"] = *v;
  TV_ASSIGN_OR_RETURN(std::string org_id, OrgFor(ctx, org_args));
  TV_ASSIGN_OR_RETURN(Upload u, deps.uploads.Attachment(org_id, *key));
  std::string status = u.status == "done" || u.status == "error" ? u.status : "uploading";
  json::object status_obj{{"upload_status", status}};
  if (!u.error_message.empty()) status_obj["error_message"] = u.error_message;
  // A type stored before media types were checked may not be one: it is
  // served as application/octet-stream rather than refusing the download.
  std::string content_type = http::QueryString(req, "content_type")
                                 .value_or(http::IsMediaType(u.content_type) ? u.content_type : std::string());
  TV_ASSIGN_OR_RETURN(Upload dl, deps.uploads.Create(UploadKind::kDownload, u.key, org_id, content_type, u.filename));
  return http::JsonOk(json::object{{"downloadUrl", UploadUrl(deps, dl)}, {"status", std::move(status_obj)}});
}

Result<http::Response> PutUpload(const RowsDeps& deps, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(Upload u, deps.uploads.ByToken(ctx.Param("token")));
  if (u.kind == UploadKind::kDownload) return MethodNotAllowed("this URL is for downloads; use GET");
  TV_RETURN_IF_ERROR(deps.uploads.Receive(u, ctx.request().body));
  return http::JsonOk(
      json::object{{"status", "success"}, {"size_bytes", static_cast<int64_t>(ctx.request().body.size())}});
}

Result<http::Response> GetUpload(const RowsDeps& deps, http::RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(Upload u, deps.uploads.ByToken(ctx.Param("token")));
  if (u.kind != UploadKind::kDownload) return MethodNotAllowed("this URL takes an upload; use PUT");
  Upload source = u;
  source.kind = UploadKind::kAttachment;
  TV_ASSIGN_OR_RETURN(std::string bytes, deps.uploads.Read(source));
  http::Response res;
  res.headers = DownloadHeaders(u);
  res.body = std::move(bytes);
  return res;
}

}  // namespace

void AddUploadRoutes(http::Router& router, const RowsDeps& deps) {
  router.Add(
      http::Method::kPost, "/logs3/overflow", [deps](http::RequestContext& ctx) { return PostOverflow(deps, ctx); },
      http::RequestClass::kIngest);
  router.Add(
      http::Method::kPost, "/attachment", [deps](http::RequestContext& ctx) { return PostAttachment(deps, ctx); },
      http::RequestClass::kIngest);
  router.Add(http::Method::kPost, "/attachment/status",
             [deps](http::RequestContext& ctx) { return PostAttachmentStatus(deps, ctx); });
  router.Add(http::Method::kGet, "/attachment", [deps](http::RequestContext& ctx) { return GetAttachment(deps, ctx); });
  router.Add(
      http::Method::kPut, "/upload/:token", [deps](http::RequestContext& ctx) { return PutUpload(deps, ctx); },
      http::RequestClass::kIngest);
  router.Add(http::Method::kGet, "/upload/:token", [deps](http::RequestContext& ctx) { return GetUpload(deps, ctx); });
}

}  // namespace tv::data

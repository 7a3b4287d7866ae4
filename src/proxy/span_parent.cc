#include "proxy/span_parent.h"

#include <boost/json/parse.hpp>

#include "crypto/crypto.h"

namespace tv::proxy {
namespace {

namespace json = boost::json;

std::string_view ObjectTypeName(unsigned char code) {
  switch (code) {
    case 1:
      return "experiment";
    case 2:
      return "project_logs";
    case 3:
      return "playground_logs";
  }
  return "";
}

std::string Uuid(std::string_view b) {
  std::string hex = crypto::HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

std::optional<std::string> StringField(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

Status CheckRowIds(const SpanParent& p, std::string_view where) {
  int set = p.row_id.has_value() + p.span_id.has_value() + p.root_span_id.has_value();
  if (set != 0 && set != 3) return InvalidArgument("{}: row_id, span_id and root_span_id go together", where);
  if (p.object_id.empty() && !p.project_name) return InvalidArgument("{} names no object id", where);
  return Status::Ok();
}

// The SDK's exported span (encodings 3 and 4).
Result<SpanParent> ParseExported(std::string_view text, std::string_view where) {
  auto bad = [&] { return InvalidArgument("{} is not a valid exported span", where); };
  Result<std::string> raw = crypto::Base64Decode(text);
  if (!raw.ok() || raw->size() < 3) return bad();
  const std::string& b = *raw;
  unsigned char version = static_cast<unsigned char>(b[0]);
  if (version != 3 && version != 4)
    return InvalidArgument("{} uses span encoding {}; encodings 3 and 4 are understood", where, int(version));
  SpanParent p;
  p.object_type = std::string(ObjectTypeName(static_cast<unsigned char>(b[1])));
  if (p.object_type.empty()) return bad();
  size_t n = static_cast<unsigned char>(b[2]);
  size_t at = 3;
  for (size_t i = 0; i < n; ++i) {
    if (at >= b.size()) return bad();
    unsigned char field = static_cast<unsigned char>(b[at]);
    size_t len = version == 4 && field == 3 ? 8 : 16;
    if (at + 1 + len > b.size()) return bad();
    std::string_view bytes(b.data() + at + 1, len);
    at += 1 + len;
    std::string value = version == 3 ? Uuid(bytes) : crypto::HexEncode(bytes);
    switch (field) {
      case 1:
        p.object_id = value;
        break;
      case 2:
        p.row_id = value;
        break;
      case 3:
        p.span_id = value;
        break;
      case 4:
        p.root_span_id = value;
        break;
      default:
        return bad();
    }
  }
  if (at < b.size()) {
    boost::system::error_code ec;
    json::value rest = json::parse(std::string_view(b.data() + at, b.size() - at), ec);
    if (ec || !rest.is_object()) return bad();
    const json::object& o = rest.as_object();
    if (auto v = StringField(o, "object_id")) p.object_id = *v;
    if (auto v = StringField(o, "row_id")) p.row_id = *v;
    if (auto v = StringField(o, "span_id")) p.span_id = *v;
    if (auto v = StringField(o, "root_span_id")) p.root_span_id = *v;
    if (const auto* pe = o.if_contains("propagated_event"); pe && pe->is_object()) p.propagated_event = pe->as_object();
    const auto* args = o.if_contains("compute_object_metadata_args");
    if (p.object_id.empty() && args && args->is_object()) {
      if (p.object_type != "project_logs")
        return InvalidArgument("{} names its {} by name only; pass an id", where, p.object_type);
      if (auto id = StringField(args->as_object(), "project_id"))
        p.object_id = *id;
      else
        p.project_name = StringField(args->as_object(), "project_name");
    }
  }
  TV_RETURN_IF_ERROR(CheckRowIds(p, where));
  return p;
}

}  // namespace

Result<SpanParent> ParseSpanParent(std::string_view text, std::string_view where) {
  static constexpr std::pair<std::string_view, std::string_view> kPrefixes[] = {
      {"project_id:", "project_logs"},
      {"experiment_id:", "experiment"},
      {"prompt_session_id:", "playground_logs"},
      {"playground_id:", "playground_logs"}};
  for (const auto& [prefix, type] : kPrefixes) {
    if (text.starts_with(prefix)) {
      SpanParent p;
      p.object_type = std::string(type);
      p.object_id = std::string(text.substr(prefix.size()));
      TV_RETURN_IF_ERROR(CheckRowIds(p, where));
      return p;
    }
  }
  if (text.find(':') != std::string_view::npos)
    return InvalidArgument(
        "{} '{}': expected project_id:<id>, experiment_id:<id>, prompt_session_id:<id> or an "
        "exported span",
        where, text.substr(0, 64));
  return ParseExported(text, where);
}

Result<SpanParent> ParseSpanParent(const json::value& value, std::string_view where) {
  if (value.is_string()) return ParseSpanParent(std::string_view(value.as_string()), where);
  if (!value.is_object()) return InvalidArgument("{} must be a string or an object", where);
  const json::object& o = value.as_object();
  SpanParent p;
  p.object_type = StringField(o, "object_type").value_or("");
  if (p.object_type != "experiment" && p.object_type != "project_logs" && p.object_type != "playground_logs")
    return InvalidArgument("{}.object_type must be experiment, project_logs or playground_logs", where);
  p.object_id = StringField(o, "object_id").value_or("");
  if (const auto* ids = o.if_contains("row_ids"); ids && ids->is_object()) {
    p.row_id = StringField(ids->as_object(), "id");
    p.span_id = StringField(ids->as_object(), "span_id");
    p.root_span_id = StringField(ids->as_object(), "root_span_id");
  }
  if (const auto* pe = o.if_contains("propagated_event"); pe && pe->is_object()) p.propagated_event = pe->as_object();
  TV_RETURN_IF_ERROR(CheckRowIds(p, where));
  return p;
}

}  // namespace tv::proxy

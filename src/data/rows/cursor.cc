#include "data/rows/cursor.h"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "common/json.h"
#include "crypto/crypto.h"

namespace tv::data {
namespace {

std::string ToUrlSafe(std::string b64) {
  for (char& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return b64;
}

std::string FromUrlSafe(std::string_view text) {
  std::string b64(text);
  for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b64.size() % 4) b64.push_back('=');
  return b64;
}

}  // namespace

std::string EncodeCursor(const Cursor& c) {
  json::object o{{"v", 1},
                 {"s", store::FormatXact(c.snapshot)},
                 {"k", json::array{json::value(store::FormatXact(c.after.xact)), json::value(c.after.tie)}}};
  return ToUrlSafe(crypto::Base64Encode(json::serialize(o)));
}

Result<Cursor> DecodeCursor(std::string_view text) {
  Status bad = InvalidArgument("'cursor' is not a cursor from this server; pass the cursor of the previous page");
  auto raw = crypto::Base64Decode(FromUrlSafe(text));
  if (!raw.ok()) return bad;
  auto parsed = ParseJsonObject(*raw);
  if (!parsed.ok()) return bad;
  const json::object& o = *parsed;
  const auto* v = o.if_contains("v");
  const auto* s = o.if_contains("s");
  const auto* k = o.if_contains("k");
  if (!v || !v->is_int64() || v->as_int64() != 1 || !s || !s->is_string() || !k || !k->is_array() ||
      k->as_array().size() != 2 || !k->as_array()[0].is_string() || !k->as_array()[1].is_string())
    return bad;
  Cursor c;
  auto snap = store::ParseXact(s->as_string(), "cursor");
  auto key = store::ParseXact(k->as_array()[0].as_string(), "cursor");
  if (!snap.ok() || !key.ok()) return bad;
  c.snapshot = *snap;
  c.after = {*key, std::string(k->as_array()[1].as_string())};
  return c;
}

Status ApplyCursor(std::string_view text, store::ScanSpec& spec) {
  TV_ASSIGN_OR_RETURN(Cursor c, DecodeCursor(text));
  spec.as_of = spec.as_of ? std::min(*spec.as_of, c.snapshot) : c.snapshot;
  spec.after = std::move(c.after);
  return Status::Ok();
}

Result<std::optional<store::XactId>> VersionField(const json::object& body) {
  const auto* v = body.if_contains("version");
  if (!v || v->is_null()) return std::optional<store::XactId>();
  std::string text;
  if (v->is_string()) {
    text = v->as_string();
  } else if (v->is_int64() || v->is_uint64()) {
    text = json::serialize(*v);
  } else {
    return InvalidArgument("'version' must be a transaction id");
  }
  TV_ASSIGN_OR_RETURN(store::XactId x, store::ParseXact(text, "version"));
  return std::optional<store::XactId>(x);
}

}  // namespace tv::data

// libFuzzer harness: the row-intake path of /logs3 and /v1/<object>/insert, up
// to the bytes the WAL stores, and back. Properties checked on every input:
//   * the body parser either refuses the text or yields a value whose JSON
//     text parses again to the same value (no Infinity, no lost keys);
//   * every row the intake rules accept serializes, as the writer stores it,
//     to a line that the readers' parser decodes to the same row — so no
//     accepted write can make an object unreadable or uncompactable.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/json.h"
#include "store/row_rules.h"

namespace {

void Require(bool ok) {
  if (!ok) std::abort();
}

// Equal values, except that doubles may differ in their last bits: Boost.JSON
// 1.81 does not round every long decimal exactly, so a double can come back
// one ulp away from the one that was written. Readable is what matters here.
bool Same(const tv::json::value& a, const tv::json::value& b) {
  if (a.is_number() && b.is_number()) {
    double x = a.to_number<double>(), y = b.to_number<double>();
    return x == y || std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &p = a.get_array(), &q = b.get_array();
    if (p.size() != q.size()) return false;
    for (size_t i = 0; i < p.size(); ++i)
      if (!Same(p[i], q[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &p = a.get_object(), &q = b.get_object();
    if (p.size() != q.size()) return false;
    for (const auto& kv : p) {
      const tv::json::value* other = q.if_contains(kv.key());
      if (!other || !Same(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

// What a reader sees of a stored row: `{"_xact_id":"<x>",` + the row's text.
void CheckStoredForm(const tv::json::object& row) {
  std::string text = tv::ToJson(row);
  std::string line = "{\"_xact_id\":\"1000000000000000000\"";
  if (text.size() > 2) line += ",";
  line.append(text, 1);
  boost::system::error_code ec;
  boost::json::value lenient = boost::json::parse(line, ec);
  Require(!ec && lenient.is_object());
  tv::Result<tv::json::value> strict = tv::ParseJson(line);
  Require(strict.ok());
  tv::json::object back = std::move(strict->as_object());
  back.erase("_xact_id");
  Require(Same(back, row));
}

void CheckRow(tv::json::object row, size_t i) {
  std::string where = "rows[" + std::to_string(i) + "]";
  tv::Result<tv::store::ObjectRef> ref = tv::store::RowObject(row, where);
  if (!ref.ok()) {
    // The /v1/<object>/<id>/insert routes name the object themselves.
    ref = tv::store::ObjectRef{tv::store::ObjectKind::kExperiment, "e1"};
  }
  tv::Result<std::vector<tv::json::object>> feedback = tv::store::FeedbackRows(row, ref->kind, where);
  if (feedback.ok())
    for (auto& f : *feedback)
      if (tv::store::NormalizeRow(f, *ref, "p1", 1700000000000000, where).ok()) CheckStoredForm(f);
  if (!tv::store::NormalizeRow(row, *ref, "p1", 1700000000000000, where).ok()) return;
  CheckStoredForm(row);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  tv::Result<tv::json::value> body = tv::ParseJson(text);
  if (!body.ok()) return 0;
  tv::Result<tv::json::value> again = tv::ParseJson(tv::ToJson(*body));
  Require(again.ok() && Same(*again, *body));
  if (!body->is_object()) return 0;
  const tv::json::object& o = body->as_object();
  for (const char* key : {"events", "rows", "feedback"}) {
    const tv::json::value* rows = o.if_contains(key);
    if (!rows || !rows->is_array()) continue;
    size_t i = 0;
    for (const auto& r : rows->as_array())
      if (r.is_object()) CheckRow(r.as_object(), i++);
  }
  return 0;
}

// libFuzzer harness: the structured JSON AST through tv::btql::ParseJsonQuery.
// The input is parsed with Boost.JSON first; anything that is not a JSON
// object is skipped, since the endpoint rejects it before the BTQL front end.
// Every `filter` value also goes through ParseJsonExpr on its own.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json/parse.hpp>

#include "btql/json_query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !v.is_object()) return 0;
  const boost::json::object& query = v.get_object();
  (void)tv::btql::ParseJsonQuery(query);
  if (const boost::json::value* filter = query.if_contains("filter")) {
    (void)tv::btql::ParseJsonExpr(*filter);
  }
  return 0;
}

#include "data/rows/rows_json.h"

#include <boost/json/serialize.hpp>

namespace tv::data {

std::string RowsBody(std::string_view array_key, const std::vector<store::RowPtr>& rows, const json::object& extra) {
  std::string out;
  out += "{";
  out += json::serialize(json::string(array_key));
  out += ":[";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) out += ',';
    out += json::serialize(*rows[i]);
  }
  out += ']';
  for (const auto& kv : extra) {
    out += ',';
    out += json::serialize(json::string(kv.key()));
    out += ':';
    out += json::serialize(kv.value());
  }
  out += '}';
  return out;
}

}  // namespace tv::data

// libFuzzer harness: BTQL clause text (and the SQL form, which the same entry
// point recognizes by its leading SELECT / WITH) through tv::btql::ParseTextQuery.
// Any input must give a Query or an error Status: never a crash, a hang, a leak
// or undefined behaviour. Expressions alone go through ParseTextExpr as well,
// since embedded `{"btql": ...}` filters reach it directly.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "btql/text_query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)tv::btql::ParseTextQuery(text);
  (void)tv::btql::ParseTextExpr(text);
  return 0;
}

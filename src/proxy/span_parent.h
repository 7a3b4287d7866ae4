// Where a proxied call or an invoked function is logged: the parent the
// caller names in `x-bt-parent` or a body's `parent` (docs/ai-proxy.md,
// "Logging"). Accepted forms:
//   * the string the SDK's span.export() produces (its binary encodings 3
//     and 4: a version byte, the object type, 16-byte UUID or hex id fields,
//     then optional JSON), base64;
//   * "<kind>:<id>" with kind project_id, experiment_id, or prompt_session_id
//     (alias playground_id);
//   * an object {object_type, object_id, row_ids?: {id, span_id, root_span_id},
//     propagated_event?}.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "common/status.h"

namespace tv::proxy {

struct SpanParent {
  std::string object_type;  // "experiment" | "project_logs" | "playground_logs"
  std::string object_id;
  // Project logs named by project name only (an SDK logger that has not
  // registered its project yet): object_id is empty then.
  std::optional<std::string> project_name;
  // The span the new one hangs under; all three or none.
  std::optional<std::string> row_id, span_id, root_span_id;
  boost::json::object propagated_event;  // merged into the new span
};

// InvalidArgument naming `where` when the value is none of the forms.
Result<SpanParent> ParseSpanParent(std::string_view text, std::string_view where);
Result<SpanParent> ParseSpanParent(const boost::json::value& value, std::string_view where);

}  // namespace tv::proxy

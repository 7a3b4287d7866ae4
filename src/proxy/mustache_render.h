// Mustache rendering with the semantics of mustache.js 4.2 as the Braintrust SDK
// configures it (its custom escape, no HTML escaping).
//
// Templates are parsed by kainjow::mustache (libkainjow-mustache-dev) and rendered here
// over its component tree. kainjow's own renderer cannot be used: its data model has no
// numbers, renders nothing for an object in `{{x}}`, and resolves a name to one value
// whatever tag asks, while mustache.js needs `{{n}}` of 0 to print "0" where
// `{{#n}}` of 0 is false, and `{{obj}}` to print JSON where `{{#obj}}` pushes it.
//
// What the renderer does, as mustache.js:
// * `{{x}}`: strings as-is, other values as JSON.stringify; null and missing print "".
// * `{{{x}}}` and `{{&x}}`: String(x) ("[object Object]", arrays joined with ",").
// * Lookups walk the context stack; dotted names resolve the whole path in one context
//   before trying its parent; arrays take indices and `length`, strings `length`.
// * Sections: JS truthiness; arrays iterate, objects/strings/numbers are pushed, `true`
//   renders in place. Inverted sections render for falsy values and empty arrays.
// * Lines holding only whitespace and section/comment/partial/delimiter tags are
//   removed with their newline. Partials render nothing (the SDK passes none).
// * `strict`: every top-level `{{x}}`/`{{{x}}}` must resolve (array indices checked as
//   index 0), else InvalidArgument "Variable 'x' does not exist." as the SDK's lint.
// Not reproduced: properties inherited from JS prototypes (`{{toString}}`), and
// non-ASCII whitespace counting toward standalone lines.
// Thread-safe; no shared state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "common/status.h"

namespace tv::proxy {

// The default bound on what the templates of one request render.
inline constexpr size_t kDefaultTemplateOutputBytes = size_t{10} << 20;

// Bytes the renderings of one request may produce, shared by all of them:
// rendered text, values lookups make (`length`, characters) and one byte per
// pass through a section (so sections that render nothing still stop).
// Sections nest multiplicatively, so the renderer spends before it appends:
// the output never grows past the limit.
// Not thread-safe: one per request.
class TemplateBudget {
 public:
  explicit TemplateBudget(size_t limit_bytes = kDefaultTemplateOutputBytes) : limit_(limit_bytes) {}

  // Spends `bytes`; false (spending nothing) when they do not fit.
  bool Spend(size_t bytes) {
    if (bytes > limit_ - used_) return false;
    used_ += bytes;
    return true;
  }
  // InvalidArgument (400) naming the budget and what to change.
  Status Exceeded() const;

  size_t limit() const { return limit_; }
  size_t used() const { return used_; }

 private:
  size_t limit_;
  size_t used_ = 0;
};

// Renders `tmpl` with `view` as the root context. Parse errors (unclosed tags or
// sections) are InvalidArgument naming the position; so is output past `budget`
// (a fresh default budget when null).
Result<std::string> RenderMustache(std::string_view tmpl, const boost::json::value& view, bool strict,
                                   TemplateBudget* budget = nullptr);

}  // namespace tv::proxy

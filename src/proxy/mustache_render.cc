#include "proxy/mustache_render.h"

#include <deque>
#include <exception>
#include <unordered_set>
#include <vector>

#include <kainjow/mustache.hpp>

#include "proxy/js_text.h"

namespace tv::proxy {

namespace json = boost::json;
namespace km = kainjow::mustache;
using Component = km::component<std::string>;
using km::tag_type;

namespace {

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (!IsAsciiSpace(c)) return false;
  }
  return true;
}

std::vector<std::string> SplitDots(std::string_view name) {  // as JS "a..b".split(".")
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = name.find('.', start);
    parts.emplace_back(name.substr(start, dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

// A canonical array index ("0", "12"; not "01" or "-1").
bool ParseIndex(std::string_view s, size_t& index) {
  if (s.empty() || s.size() > 15 || (s.size() > 1 && s[0] == '0')) return false;
  index = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    index = index * 10 + static_cast<size_t>(c - '0');
  }
  return true;
}

bool Truthy(const json::value* v) {
  if (!v) return false;
  switch (v->kind()) {
    case json::kind::null:
      return false;
    case json::kind::bool_:
      return v->get_bool();
    case json::kind::int64:
      return v->get_int64() != 0;
    case json::kind::uint64:
      return v->get_uint64() != 0;
    case json::kind::double_:
      return v->get_double() != 0 && v->get_double() == v->get_double();
    case json::kind::string:
      return !v->get_string().empty();
    default:
      return true;
  }
}

bool IsNullish(const json::value* v) { return !v || v->is_null(); }

// Lines that mustache.js strips at parse time: only whitespace plus at least one
// non-variable tag. kainjow drops closing-tag components from its tree, so a section
// contributes a synthetic close marker after its children.
class StandaloneLines {
 public:
  explicit StandaloneLines(const Component& root) {
    Scan(root);
    EndLine();
  }
  bool Dropped(const Component& c) const { return dropped_.count(&c) > 0; }

 private:
  void Scan(const Component& node) {
    for (const Component& c : node.children) {
      if (c.is_text()) {
        ScanText(c);
        continue;
      }
      has_tag_ = true;
      if (c.tag.type == tag_type::variable || c.tag.type == tag_type::unescaped_variable) {
        non_space_ = true;
      }
      if (c.tag.is_section_begin()) {
        Scan(c);
        has_tag_ = true;  // the closing tag
      }
    }
  }
  void ScanText(const Component& c) {
    if (!IsBlank(c.text)) {
      non_space_ = true;
      return;
    }
    spaces_.push_back(&c);
    if (c.text.back() == '\n') EndLine();
  }
  void EndLine() {
    if (has_tag_ && !non_space_) dropped_.insert(spaces_.begin(), spaces_.end());
    spaces_.clear();
    has_tag_ = non_space_ = false;
  }

  std::unordered_set<const Component*> dropped_;
  std::vector<const Component*> spaces_;
  bool has_tag_ = false;
  bool non_space_ = false;
};

// The context stack and mustache.js's Context.lookup over it. Values that
// lookups compute are spent from `budget` (when set); past it they are
// undefined and budget_exceeded() is set.
class Scope {
 public:
  explicit Scope(const json::value& root, TemplateBudget* budget = nullptr) : budget_(budget) {
    stack_.push_back(&root);
  }
  bool budget_exceeded() const { return budget_exceeded_; }
  void Push(const json::value* v) { stack_.push_back(v); }
  void Pop() { stack_.pop_back(); }

  // nullptr is JavaScript's undefined.
  const json::value* Lookup(std::string_view name) {
    if (name == ".") return stack_.back();
    bool dotted = name.find('.') != std::string_view::npos && name.find('.') > 0;
    std::vector<std::string> names = dotted ? SplitDots(name) : std::vector<std::string>{};
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      const json::value* found = nullptr;
      bool hit = dotted ? WalkPath(*it, names, found) : HasProperty(*it, name);
      if (!dotted && hit) found = Get(*it, name);
      if (hit) return found;
    }
    return nullptr;
  }

  // getObjValueByPath(view, path) !== undefined, on the root view (the SDK's lint).
  bool PathDefined(const std::vector<std::string>& path) {
    const json::value* cur = stack_.front();
    for (const std::string& p : path) {
      // Past a non-object (undefined included) the SDK's walk yields null: "defined".
      if (!cur || (!cur->is_object() && !cur->is_array())) return true;
      cur = Get(cur, p);
    }
    return cur != nullptr;
  }

 private:
  bool WalkPath(const json::value* cur, const std::vector<std::string>& names, const json::value*& found) {
    bool hit = false;
    for (size_t i = 0; !IsNullish(cur) && i < names.size(); ++i) {
      if (i + 1 == names.size()) hit = HasProperty(cur, names[i]) || PrimitiveHas(cur, names[i]);
      cur = Get(cur, names[i]);
    }
    found = cur;
    return hit;
  }

  static bool HasProperty(const json::value* v, std::string_view prop) {
    if (IsNullish(v)) return false;
    if (v->is_object()) return v->get_object().contains(prop);
    if (v->is_array()) {
      size_t i;
      return prop == "length" || (ParseIndex(prop, i) && i < v->get_array().size());
    }
    return false;
  }

  static bool PrimitiveHas(const json::value* v, std::string_view prop) {
    if (IsNullish(v) || !v->is_string()) return false;
    size_t i;
    return prop == "length" || (ParseIndex(prop, i) && i < Utf16Length(v->get_string()));
  }

  const json::value* Get(const json::value* v, std::string_view prop) {
    if (IsNullish(v)) return nullptr;
    if (v->is_object()) return v->get_object().if_contains(prop);
    size_t i;
    if (v->is_array()) {
      const json::array& a = v->get_array();
      if (prop == "length") return Keep(json::value(static_cast<int64_t>(a.size())));
      return ParseIndex(prop, i) && i < a.size() ? &a[i] : nullptr;
    }
    if (v->is_string()) {
      if (prop == "length") {
        return Keep(json::value(static_cast<int64_t>(Utf16Length(v->get_string()))));
      }
      if (ParseIndex(prop, i)) return CodeUnitAt(v->get_string(), i);
    }
    return nullptr;
  }

  // str[i] for characters outside the BMP yields half a surrogate pair, which UTF-8
  // cannot carry; the whole character is returned instead.
  const json::value* CodeUnitAt(std::string_view s, size_t index) {
    size_t unit = 0;
    for (size_t pos = 0; pos < s.size();) {
      auto c = static_cast<unsigned char>(s[pos]);
      size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      size_t units = len == 4 ? 2 : 1;
      if (index < unit + units) return Keep(json::value(s.substr(pos, len)));
      unit += units;
      pos += len;
    }
    return nullptr;
  }

  const json::value* Keep(json::value v) {
    size_t bytes = sizeof(json::value) + (v.is_string() ? v.get_string().size() : 0);
    if (budget_ && !budget_->Spend(bytes)) {
      budget_exceeded_ = true;
      return nullptr;
    }
    made_.push_back(std::move(v));
    return &made_.back();
  }

  TemplateBudget* budget_;
  bool budget_exceeded_ = false;
  std::vector<const json::value*> stack_;
  std::deque<json::value> made_;  // values computed by lookups (lengths, characters)
};

// Renders into `out`, spending from `budget` before each append; once it is
// spent, rendering stops and exceeded() is set.
class Renderer {
 public:
  Renderer(const Component& root, const json::value& view, TemplateBudget& budget)
      : lines_(root), scope_(view, &budget), budget_(budget) {}

  bool exceeded() const { return exceeded_ || scope_.budget_exceeded(); }

  void Render(const Component& node, std::string& out) {
    for (const Component& c : node.children) {
      if (exceeded()) return;
      if (lines_.Dropped(c)) continue;
      if (c.is_text()) {
        Append(c.text, out);
        continue;
      }
      switch (c.tag.type) {
        case tag_type::variable:
          RenderEscaped(scope_.Lookup(c.tag.name), out);
          break;
        case tag_type::unescaped_variable:
          RenderRaw(scope_.Lookup(c.tag.name), out);
          break;
        case tag_type::section_begin:
          RenderSection(c, out);
          break;
        case tag_type::section_begin_inverted:
          RenderInverted(c, out);
          break;
        default:
          break;  // comments, partials, delimiter changes
      }
    }
  }

 private:
  void Append(std::string_view text, std::string& out) {
    if (!budget_.Spend(text.size())) {
      exceeded_ = true;
      return;
    }
    out += text;
  }

  void RenderEscaped(const json::value* v, std::string& out) {
    if (IsNullish(v)) return;
    if (v->is_string()) return Append(v->get_string(), out);
    Append(JsJsonStringify(*v), out);
  }

  void RenderRaw(const json::value* v, std::string& out) {
    if (!IsNullish(v)) Append(JsStringConversion(*v), out);
  }

  void RenderSection(const Component& c, std::string& out) {
    const json::value* v = scope_.Lookup(c.tag.name);
    if (!Truthy(v)) return;
    if (v->is_array()) {
      for (const json::value& item : v->get_array()) {
        if (exceeded()) return;
        RenderPushed(c, &item, out);
      }
    } else if (v->is_bool()) {
      RenderPass(c, out);
    } else {
      RenderPushed(c, v, out);
    }
  }

  void RenderPushed(const Component& c, const json::value* v, std::string& out) {
    scope_.Push(v);
    RenderPass(c, out);
    scope_.Pop();
  }

  // One pass through a section's body costs a byte even when it renders nothing.
  void RenderPass(const Component& c, std::string& out) {
    if (!budget_.Spend(1)) {
      exceeded_ = true;
      return;
    }
    Render(c, out);
  }

  void RenderInverted(const Component& c, std::string& out) {
    const json::value* v = scope_.Lookup(c.tag.name);
    if (!Truthy(v) || (v->is_array() && v->get_array().empty())) RenderPass(c, out);
  }

  StandaloneLines lines_;
  Scope scope_;
  TemplateBudget& budget_;
  bool exceeded_ = false;
};

// "items.3.name" → "items.0.name": the SDK's lint checks the first element only.
std::vector<std::string> LintPath(std::string_view name) {
  std::string replaced;
  for (size_t i = 0; i < name.size(); ++i) {
    replaced += name[i];
    if (name[i] == '.' && i + 1 < name.size() && name[i + 1] >= '0' && name[i + 1] <= '9') {
      replaced += '0';
      while (i + 1 < name.size() && name[i + 1] >= '0' && name[i + 1] <= '9') ++i;
    }
  }
  return SplitDots(replaced);
}

Status Lint(const Component& root, const json::value& view) {
  Scope scope(view);
  for (const Component& c : root.children) {
    if (c.tag.type != tag_type::variable && c.tag.type != tag_type::unescaped_variable) continue;
    if (!scope.PathDefined(LintPath(c.tag.name))) {
      return InvalidArgument("Variable '{}' does not exist.", c.tag.name);
    }
  }
  return Status::Ok();
}

Status Parse(std::string_view tmpl, Component& root) {
  km::context<std::string> ctx;
  km::context_internal<std::string> internal{ctx};
  std::string error;
  try {
    km::parser<std::string> parser{std::string(tmpl), internal, root, error};
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (!error.empty()) return InvalidArgument("Invalid mustache template: {}", error);
  return Status::Ok();
}

}  // namespace

Status TemplateBudget::Exceeded() const {
  std::string size =
      limit_ % (size_t{1} << 20) == 0 ? fmt::format("{} MiB", limit_ >> 20) : fmt::format("{} bytes", limit_);
  return InvalidArgument(
      "Template output exceeds its budget of {}; render fewer or smaller values (nested sections multiply "
      "the output)",
      size);
}

Result<std::string> RenderMustache(std::string_view tmpl, const json::value& view, bool strict,
                                   TemplateBudget* budget) {
  Component root;
  TV_RETURN_IF_ERROR(Parse(tmpl, root));
  if (strict) TV_RETURN_IF_ERROR(Lint(root, view));
  TemplateBudget fresh;
  TemplateBudget& spend = budget ? *budget : fresh;
  std::string out;
  Renderer renderer(root, view, spend);
  renderer.Render(root, out);
  if (renderer.exceeded()) return spend.Exceeded();
  return out;
}

}  // namespace tv::proxy

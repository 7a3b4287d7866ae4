#include "http/router.h"

#include <algorithm>

namespace tv::http {
namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// Returns -1 for no match, otherwise a score: more literal segments = higher.
int MatchRoute(const Router::Route& route, const std::vector<std::string>& parts, std::string_view path,
               PathParams* params) {
  const auto& segs = route.segments;
  int score = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    if (seg[0] == '*') {
      if (params) {
        // The rest of the raw path after the i-th segment.
        size_t offset = 0;
        for (size_t k = 0; k < i; ++k) offset = path.find(parts[k], offset) + parts[k].size();
        std::string_view rest = path.substr(std::min(offset, path.size()));
        if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
        params->emplace_back(seg.substr(1), std::string(rest));
      }
      return score;
    }
    if (i >= parts.size()) return -1;
    if (seg[0] == ':') {
      if (params) params->emplace_back(seg.substr(1), parts[i]);
    } else if (seg == parts[i]) {
      score += 2;
    } else {
      return -1;
    }
  }
  return parts.size() == segs.size() ? score + 1 : -1;
}

}  // namespace

void Router::Add(Method method, std::string_view pattern, Handler handler, RequestClass request_class) {
  auto route = std::make_unique<Route>();
  route->method = method;
  route->pattern = std::string(pattern);
  route->segments = SplitPath(pattern);
  route->handler = std::move(handler);
  route->request_class = request_class;
  routes_.push_back(std::move(route));
}

Router::Match Router::Find(Method method, std::string_view path) const {
  std::vector<std::string> parts = SplitPath(path);
  Match m;
  int best = -1;
  for (const auto& r : routes_) {
    int score = MatchRoute(*r, parts, path, nullptr);
    if (score < 0) continue;
    m.path_matched = true;
    if (std::find(m.allowed.begin(), m.allowed.end(), r->method) == m.allowed.end()) m.allowed.push_back(r->method);
    bool method_ok = r->method == method || (method == Method::kHead && r->method == Method::kGet);
    if (method_ok && score > best) {
      best = score;
      m.route = r.get();
    }
  }
  if (m.route) MatchRoute(*m.route, parts, path, &m.params);
  return m;
}

std::string Router::NormalizePattern(std::string_view pattern) {
  std::string out;
  for (const auto& seg : SplitPath(pattern)) {
    out.push_back('/');
    if (seg[0] == ':')
      out += "[" + seg.substr(1) + "]";
    else if (seg[0] == '*')
      out += "[...]";
    else
      out += seg;
  }
  return out.empty() ? "/" : out;
}

}  // namespace tv::http

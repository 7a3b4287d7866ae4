#include "btql/values.h"

#include <xxhash.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/format.h>
#include <boost/json/serializer.hpp>

namespace tv::btql {

namespace {

// Compares exactly where both are integers; a double equals an integer only
// when it holds that integer's value.
bool NumbersEqual(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (a.is_double() && b.is_double()) return a.get_double() == b.get_double();
    const json::value& d = a.is_double() ? a : b;
    const json::value& i = a.is_double() ? b : a;
    double x = d.get_double();
    if (std::trunc(x) != x) return false;
    if (i.is_int64())
      return x >= -9223372036854775808.0 && x < 9223372036854775808.0 && static_cast<int64_t>(x) == i.get_int64();
    return x >= 0 && x < 18446744073709551616.0 && static_cast<uint64_t>(x) == i.get_uint64();
  }
  if (a.is_int64() && b.is_int64()) return a.get_int64() == b.get_int64();
  if (a.is_uint64() && b.is_uint64()) return a.get_uint64() == b.get_uint64();
  const json::value& s = a.is_int64() ? a : b;
  const json::value& u = a.is_int64() ? b : a;
  return s.get_int64() >= 0 && static_cast<uint64_t>(s.get_int64()) == u.get_uint64();
}

int Sign(auto x, auto y) { return x < y ? -1 : x > y ? 1 : 0; }

int CompareNumbers(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) return Sign(a.to_number<double>(), b.to_number<double>());
  if (a.is_int64() && b.is_int64()) return Sign(a.get_int64(), b.get_int64());
  if (a.is_uint64() && b.is_uint64()) return Sign(a.get_uint64(), b.get_uint64());
  if (a.is_int64()) return a.get_int64() < 0 ? -1 : Sign(static_cast<uint64_t>(a.get_int64()), b.get_uint64());
  return -CompareNumbers(b, a);
}

int KindRank(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return 0;
    case json::kind::bool_:
      return 1;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return 2;
    case json::kind::string:
      return 3;
    case json::kind::array:
      return 4;
    case json::kind::object:
      return 5;
  }
  return 6;
}

void AppendCanonical(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::object: {
      const json::object& o = v.get_object();
      std::vector<const json::key_value_pair*> items;
      items.reserve(o.size());
      for (const auto& kv : o) items.push_back(&kv);
      std::sort(items.begin(), items.end(), [](auto* x, auto* y) { return x->key() < y->key(); });
      out += '{';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        out += ToJson(json::value(items[i]->key()));
        out += ':';
        AppendCanonical(items[i]->value(), out);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      const json::array& a = v.get_array();
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) out += ',';
        AppendCanonical(a[i], out);
      }
      out += ']';
      return;
    }
    case json::kind::double_: {
      double d = v.get_double();
      if (std::trunc(d) == d && std::fabs(d) < 9.0e15) {
        out += fmt::format("{}", static_cast<int64_t>(d));
      } else {
        out += ToJson(v);
      }
      return;
    }
    default:
      out += ToJson(v);
  }
}

}  // namespace

bool IsNumber(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

std::optional<double> AsDouble(const json::value& v) {
  if (!IsNumber(v)) return std::nullopt;
  return v.to_number<double>();
}

bool ValuesEqual(const json::value& a, const json::value& b) {
  if (IsNumber(a) && IsNumber(b)) return NumbersEqual(a, b);
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    case json::kind::array: {
      const auto &x = a.get_array(), &y = b.get_array();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!ValuesEqual(x[i], y[i])) return false;
      return true;
    }
    case json::kind::object: {
      const auto &x = a.get_object(), &y = b.get_object();
      if (x.size() != y.size()) return false;
      for (const auto& kv : x) {
        const json::value* other = y.if_contains(kv.key());
        if (!other || !ValuesEqual(kv.value(), *other)) return false;
      }
      return true;
    }
    default:
      return true;  // both null
  }
}

std::optional<int> CompareScalars(const json::value& x, const json::value& y) {
  if (IsNumber(x) && IsNumber(y)) {
    if ((x.is_double() && std::isnan(x.get_double())) || (y.is_double() && std::isnan(y.get_double())))
      return std::nullopt;
    return CompareNumbers(x, y);
  }
  if (x.is_string() && y.is_string()) {
    int r = std::string_view(x.get_string()).compare(std::string_view(y.get_string()));
    return Sign(r, 0);
  }
  if (x.is_bool() && y.is_bool()) return static_cast<int>(x.get_bool()) - static_cast<int>(y.get_bool());
  return std::nullopt;
}

int CompareForSort(const json::value& a, const json::value& b) {
  int ra = KindRank(a), rb = KindRank(b);
  if (ra != rb) return Sign(ra, rb);
  if (ra == 0) return 0;
  if (ra <= 3) {
    if (ra == 2 && (std::isnan(a.to_number<double>()) || std::isnan(b.to_number<double>())))
      return Sign(!std::isnan(a.to_number<double>()), !std::isnan(b.to_number<double>()));
    return CompareScalars(a, b).value_or(0);
  }
  if (ra == 4) {
    const auto &x = a.get_array(), &y = b.get_array();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
      if (int c = CompareForSort(x[i], y[i])) return c;
    return Sign(x.size(), y.size());
  }
  return Sign(CanonicalJson(a).compare(CanonicalJson(b)), 0);
}

size_t SerializedSize(const json::value& v) {
  json::serializer sr;
  sr.reset(&v);
  char buffer[4096];
  size_t n = 0;
  while (!sr.done()) n += sr.read(buffer, sizeof buffer).size();
  return n;
}

std::string CanonicalJson(const json::value& v) {
  std::string out;
  AppendCanonical(v, out);
  return out;
}

std::string CanonicalHash(const json::value& v) {
  std::string text = CanonicalJson(v);
  return fmt::format("{:016x}", XXH3_64bits(text.data(), text.size()));
}

std::string_view StringAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

json::value NumberValue(double d) {
  if (!std::isfinite(d)) return nullptr;  // no JSON text can carry it
  if (std::trunc(d) == d && std::fabs(d) < 9.0e15) return json::value(static_cast<int64_t>(d));
  return json::value(d);
}

}  // namespace tv::btql

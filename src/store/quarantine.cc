#include "store/quarantine.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/crypto.h"
#include "store/catalog.h"
#include "store/codec.h"

namespace tv::store {
namespace {

// Whether `s` is UTF-8 a JSON parser takes (NUL allowed: JSON escapes it).
bool ValidUtf8(std::string_view s, bool allow_nul) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0 && !allow_nul) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n;
  }
  return true;
}

// Walks `v` depth-first, `path` naming each value ("a.b[2]"), and returns the
// first reason `check(value, path, depth)` gives.
template <class Check>
std::optional<std::string> FirstProblem(const json::value& v, std::string& path, size_t depth, const Check& check) {
  if (std::optional<std::string> r = check(v, path, depth)) return r;
  auto child = [&](const json::value& c, size_t keep) {
    std::optional<std::string> r = FirstProblem(c, path, depth + 1, check);
    path.resize(keep);
    return r;
  };
  if (const json::object* o = v.if_object()) {
    for (const auto& kv : *o) {
      size_t keep = path.size();
      if (!path.empty()) path += '.';
      path.append(kv.key());
      if (std::optional<std::string> r = child(kv.value(), keep)) return r;
    }
  } else if (const json::array* a = v.if_array()) {
    for (size_t i = 0; i < a->size(); ++i) {
      size_t keep = path.size();
      path += fmt::format("[{}]", i);
      if (std::optional<std::string> r = child((*a)[i], keep)) return r;
    }
  }
  return std::nullopt;
}

bool NonFinite(const json::value& v) { return v.is_double() && !std::isfinite(v.get_double()); }

std::optional<std::string> Unstorable(const json::value& v, const std::string& path, size_t depth) {
  if (depth > kMaxStoredDepth && (v.is_object() || v.is_array()))
    return fmt::format("'{}' is nested deeper than {} levels", path, kMaxStoredDepth);
  if (NonFinite(v)) return fmt::format("'{}' is not a finite number (JSON has no NaN or infinity)", path);
  if (v.is_string() && !ValidUtf8(v.get_string(), true)) return fmt::format("'{}' is not valid UTF-8", path);
  if (const json::object* o = v.if_object())
    for (const auto& kv : *o)
      if (!ValidUtf8(kv.key(), true))
        return fmt::format("the key '{}{}{}' is not valid UTF-8", path, path.empty() ? "" : ".", kv.key());
  return std::nullopt;
}

}  // namespace

bool StorableText(std::string_view s) { return ValidUtf8(s, false); }

json::object QuarantineRecord::ToJson() const {
  json::object o{{"object_id", object_id},
                 {"source_key", source_key},
                 {"position", position},
                 {"row_id", row_id.empty() ? json::value(nullptr) : json::value(row_id)},
                 {"xact", xact ? json::value(FormatXact(xact)) : json::value(nullptr)},
                 {"reason", reason},
                 {"raw_bytes", raw.size()},
                 {"created", created}};
  if (StorableText(raw)) {
    o["raw"] = raw;
  } else {
    o["raw_hex"] = crypto::HexEncode(raw);
  }
  return o;
}

Status QuarantineLog::Record(QuarantineRecord r) {
  // One record per row, wherever it is seen again (a purge copies kept
  // lines into a new chunk).
  std::string hash = fmt::format("{:016x}", codec::Hash64(r.raw));
  auto key = std::make_pair(r.object_id, hash);
  {
    MutexLock lock(mu_);
    if (seen_.count(key)) return Status::Ok();
  }
  r.created = FormatTimestamp(clock_.NowMicros());
  TV_ASSIGN_OR_RETURN(bool added, catalog_.AddQuarantined(r, hash));
  if (added) {
    ++count_;
    spdlog::error("quarantined a row of {} ({} at {}): {}", r.object_id, r.source_key, r.position, r.reason);
  }
  MutexLock lock(mu_);
  seen_.insert(std::move(key));
  return Status::Ok();
}

Result<std::vector<QuarantineRecord>> QuarantineLog::List(std::string_view object_id) {
  return catalog_.Quarantined(object_id);
}

Result<uint64_t> QuarantineLog::Count() {
  TV_ASSIGN_OR_RETURN(uint64_t n, catalog_.CountQuarantined());
  count_ = n;
  return n;
}

Status QuarantineLog::Forget(std::string_view object_id, const std::vector<std::string>* row_ids) {
  TV_RETURN_IF_ERROR(catalog_.ForgetQuarantined(object_id, row_ids));
  MutexLock lock(mu_);
  std::erase_if(seen_, [&](const auto& k) { return std::get<0>(k) == object_id; });
  return Status::Ok();
}

std::string QuarantinedIdText(std::string_view id) {
  return "\"id\":" + json::serialize(json::value(json::string_view(id)));
}

std::optional<std::string> UnstorableReason(const json::object& row) {
  std::string path;
  return FirstProblem(row, path, 1, Unstorable);
}

std::optional<std::string> NonFinitePath(const json::value& v, std::string_view prefix) {
  std::string path(prefix);
  return FirstProblem(v, path, 0, [](const json::value& x, const std::string& at, size_t) {
    return NonFinite(x) ? std::optional<std::string>(at) : std::nullopt;
  });
}

std::optional<std::string> UndecodableReason(std::string_view text, json::object* out) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return "not JSON: " + ec.message();
  if (!v.is_object()) return std::string("not a JSON object");
  std::optional<std::string> path = NonFinitePath(v, "");
  if (out) *out = std::move(v.as_object());
  if (path) return "a number JSON cannot carry at " + *path;
  return std::nullopt;
}

}  // namespace tv::store

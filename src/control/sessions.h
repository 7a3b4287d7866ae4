// Sessions: human sign-in on the control plane (docs/webapp.md, "Sessions").
//
// A session is named by a cookie token, "tvs-" plus 48 random alphanumerics,
// shown once at creation. Only HMAC-SHA-256(server secret, token) is stored,
// like API keys (accounts.h). A session lives 12 hours past its last use and 7
// days past its creation at most, both read from the plane's Clock; revoked
// sessions stay as rows (revoked_at) for the record.
//
// A live session also hands out data-plane tokens, "tvd-" plus 48 random
// alphanumerics, stored the same way (session_tokens). The web app sends one
// as `Authorization: Bearer` to every route but /api/auth/*; it is good for 10
// minutes and only while its session is live, so revoking or expiring the
// session ends its tokens at once.
//
// LoginThrottle counts failed sign-ins per key (an account, a client address)
// in fixed windows, in memory.
//
// Thread-safety: Sessions is safe for concurrent use (state lives in the
// MetaStore); LoginThrottle is safe for concurrent use (one lock).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/mutex.h"
#include "common/status.h"
#include "meta/meta_store.h"

namespace tv::control {

// The sessions table: the control plane's migration 3 (schema.cc); never
// rewritten.
std::string_view SessionsSchemaSql();
// The data-plane tokens' session_tokens table: migration 4; never rewritten.
std::string_view SessionTokensSchemaSql();

inline constexpr std::string_view kSessionCookie = "tv_session";
inline constexpr int64_t kSessionIdleMicros = int64_t{12} * 3600 * 1000000;
inline constexpr int64_t kSessionAbsoluteMicros = int64_t{7} * 24 * 3600 * 1000000;
inline constexpr int64_t kDataTokenMicros = int64_t{10} * 60 * 1000000;
inline constexpr std::string_view kDataTokenPrefix = "tvd-";

struct Session {
  std::string id;
  std::string user_id;
  std::string csrf_token;
  int64_t created = 0;           // microseconds since the epoch
  int64_t idle_expires = 0;      // last use + 12 h
  int64_t absolute_expires = 0;  // created + 7 days
};

struct NewSession {
  Session session;
  std::string token;  // the cookie value, shown once
};

struct DataToken {
  std::string token;    // "tvd-…", shown once
  int64_t expires = 0;  // microseconds since the epoch
};

class Sessions {
 public:
  Sessions(meta::MetaStore& db, std::string secret, const Clock& clock)
      : db_(db), secret_(std::move(secret)), clock_(clock) {}

  // `user_agent` and `address` are kept for the record only (may be empty).
  Result<NewSession> Create(const std::string& user_id, std::string_view user_agent, std::string_view address) const;
  // The live session `token` names: Unauthenticated when unknown, revoked or
  // expired (idle or absolute). Does not extend it; see Touch.
  Result<Session> Lookup(std::string_view token) const;
  // Records a use now: last_seen = now, idle expiry = now + 12 h (never past
  // the absolute expiry). Returns the session as updated.
  Result<Session> Touch(const Session& session) const;
  Status Revoke(const std::string& session_id) const;
  // Revokes every live session of the user except `keep_session_id` (when
  // set), on `tx` so a caller can compose it in a transaction.
  Status RevokeAllOfUser(meta::MetaStore& tx, const std::string& user_id,
                         const std::optional<std::string>& keep_session_id) const;

  // A new data-plane token for the live `session`, valid 10 minutes (never
  // past the session's own expiry). Deletes the tokens that have expired.
  Result<DataToken> IssueDataToken(const Session& session) const;
  // The id of the user a data-plane token acts for: Unauthenticated when the
  // token is unknown or expired, or its session is revoked or expired.
  Result<std::string> DataTokenUser(std::string_view token) const;

  std::string HashToken(std::string_view token) const;

 private:
  meta::MetaStore& db_;
  const std::string secret_;
  const Clock& clock_;
};

std::string GenerateSessionToken();
std::string GenerateDataToken();
// Whether `token` has the form of a data-plane token (it may still be unknown).
inline bool IsDataToken(std::string_view token) { return token.starts_with(kDataTokenPrefix); }

class LoginThrottle {
 public:
  LoginThrottle(int64_t max_failures, std::chrono::milliseconds window, const Clock& clock)
      : max_failures_(max_failures), window_micros_(window.count() * 1000), clock_(clock) {}

  // When `key` has had max_failures failures in its current window: how long
  // until the window closes. nullopt: attempts are allowed.
  std::optional<std::chrono::milliseconds> Blocked(const std::string& key) const EXCLUDES(mu_);
  void RecordFailure(const std::string& key) EXCLUDES(mu_);
  void Reset(const std::string& key) EXCLUDES(mu_);

 private:
  struct Window {
    int64_t opened = 0;  // microseconds
    int64_t failures = 0;
  };
  void DropExpired(int64_t now) const REQUIRES(mu_);

  const int64_t max_failures_;
  const int64_t window_micros_;
  const Clock& clock_;
  mutable Mutex mu_;
  mutable std::map<std::string, Window> windows_ GUARDED_BY(mu_);
};

}  // namespace tv::control

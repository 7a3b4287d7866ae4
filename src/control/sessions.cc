#include "control/sessions.h"

#include <algorithm>

#include "common/ids.h"
#include "crypto/crypto.h"

namespace tv::control {

std::string_view SessionsSchemaSql() {
  return R"sql(
CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  csrf_token TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id),
  created TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  idle_expires TEXT NOT NULL,
  absolute_expires TEXT NOT NULL,
  revoked_at TEXT,
  user_agent TEXT,
  address TEXT
);
CREATE INDEX sessions_user ON sessions(user_id, created);
)sql";
}

std::string_view SessionTokensSchemaSql() {
  return R"sql(
CREATE TABLE session_tokens (
  token_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id),
  user_id TEXT NOT NULL,
  created TEXT NOT NULL,
  expires TEXT NOT NULL
);
CREATE INDEX session_tokens_session ON session_tokens(session_id);
)sql";
}

std::string GenerateSessionToken() { return "tvs-" + crypto::RandomAlphanumeric(48); }

std::string GenerateDataToken() { return std::string(kDataTokenPrefix) + crypto::RandomAlphanumeric(48); }

std::string Sessions::HashToken(std::string_view token) const {
  return crypto::HexEncode(crypto::HmacSha256(secret_, token));
}

namespace {

meta::SqlValue OptionalText(std::string_view s) { return s.empty() ? meta::Null() : meta::SqlValue(std::string(s)); }

}  // namespace

Result<NewSession> Sessions::Create(const std::string& user_id, std::string_view user_agent,
                                    std::string_view address) const {
  int64_t now = clock_.NowMicros();
  NewSession out;
  out.token = GenerateSessionToken();
  out.session = Session{NewUuid(),
                        user_id,
                        crypto::HexEncode(crypto::RandomBytes(16)),
                        now,
                        std::min(now + kSessionIdleMicros, now + kSessionAbsoluteMicros),
                        now + kSessionAbsoluteMicros};
  const Session& s = out.session;
  TV_RETURN_IF_ERROR(
      db_.Execute("INSERT INTO sessions (id, token_hash, csrf_token, user_id, created, last_seen, "
                  "idle_expires, absolute_expires, user_agent, address) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                  {s.id, HashToken(out.token), s.csrf_token, s.user_id, FormatTimestamp(now), FormatTimestamp(now),
                   FormatTimestamp(s.idle_expires), FormatTimestamp(s.absolute_expires),
                   OptionalText(user_agent.substr(0, 512)), OptionalText(address)})
          .status());
  return out;
}

Result<Session> Sessions::Lookup(std::string_view token) const {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT id, user_id, csrf_token, created, idle_expires, "
                                                 "absolute_expires FROM sessions "
                                                 "WHERE token_hash = $1 AND revoked_at IS NULL",
                                                 {HashToken(token)}));
  if (rows.empty()) return Unauthenticated("Not signed in");
  auto created = ParseTimestamp(rows.Text(0, "created"));
  auto idle = ParseTimestamp(rows.Text(0, "idle_expires"));
  auto absolute = ParseTimestamp(rows.Text(0, "absolute_expires"));
  if (!created || !idle || !absolute) return Internal("Session '{}' has a malformed time", rows.Text(0, "id"));
  int64_t now = clock_.NowMicros();
  if (now >= *idle || now >= *absolute) return Unauthenticated("Not signed in");
  return Session{rows.Text(0, "id"), rows.Text(0, "user_id"), rows.Text(0, "csrf_token"), *created, *idle, *absolute};
}

Result<Session> Sessions::Touch(const Session& session) const {
  int64_t now = clock_.NowMicros();
  Session out = session;
  out.idle_expires = std::min(now + kSessionIdleMicros, session.absolute_expires);
  TV_RETURN_IF_ERROR(db_.Execute("UPDATE sessions SET last_seen = $1, idle_expires = $2 "
                                 "WHERE id = $3 AND revoked_at IS NULL",
                                 {FormatTimestamp(now), FormatTimestamp(out.idle_expires), session.id})
                         .status());
  return out;
}

Status Sessions::Revoke(const std::string& session_id) const {
  return db_
      .Execute("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
               {FormatTimestamp(clock_.NowMicros()), session_id})
      .status();
}

Status Sessions::RevokeAllOfUser(meta::MetaStore& tx, const std::string& user_id,
                                 const std::optional<std::string>& keep_session_id) const {
  return tx
      .Execute("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3",
               {FormatTimestamp(clock_.NowMicros()), user_id, keep_session_id.value_or("")})
      .status();
}

Result<DataToken> Sessions::IssueDataToken(const Session& session) const {
  int64_t now = clock_.NowMicros();
  DataToken out{GenerateDataToken(),
                std::min({now + kDataTokenMicros, session.idle_expires, session.absolute_expires})};
  // Expired tokens are dead weight. Deleting them here keeps the table at a
  // row or two per active session (the app renews every 8 minutes), so this
  // unindexed scan stays small.
  TV_RETURN_IF_ERROR(db_.Execute("DELETE FROM session_tokens WHERE expires <= $1", {FormatTimestamp(now)}).status());
  TV_RETURN_IF_ERROR(db_.Execute("INSERT INTO session_tokens (token_hash, session_id, user_id, created, expires) "
                                 "VALUES ($1, $2, $3, $4, $5)",
                                 {HashToken(out.token), session.id, session.user_id, FormatTimestamp(now),
                                  FormatTimestamp(out.expires)})
                         .status());
  return out;
}

Result<std::string> Sessions::DataTokenUser(std::string_view token) const {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db_.Query("SELECT t.user_id, t.expires, s.idle_expires, s.absolute_expires "
                                                 "FROM session_tokens t JOIN sessions s ON s.id = t.session_id "
                                                 "WHERE t.token_hash = $1 AND s.revoked_at IS NULL",
                                                 {HashToken(token)}));
  if (rows.empty()) return Unauthenticated("Invalid API key");
  int64_t now = clock_.NowMicros();
  for (auto column : {"expires", "idle_expires", "absolute_expires"}) {
    auto t = ParseTimestamp(rows.Text(0, column));
    if (!t) return Internal("A data-plane token has a malformed time");
    if (now >= *t) return Unauthenticated("Invalid API key");
  }
  return rows.Text(0, "user_id");
}

std::optional<std::chrono::milliseconds> LoginThrottle::Blocked(const std::string& key) const {
  int64_t now = clock_.NowMicros();
  MutexLock lock(mu_);
  DropExpired(now);
  auto it = windows_.find(key);
  if (it == windows_.end() || it->second.failures < max_failures_) return std::nullopt;
  int64_t left = it->second.opened + window_micros_ - now;
  return std::chrono::milliseconds(std::max<int64_t>(1, (left + 999) / 1000));
}

void LoginThrottle::RecordFailure(const std::string& key) {
  int64_t now = clock_.NowMicros();
  MutexLock lock(mu_);
  DropExpired(now);
  auto [it, inserted] = windows_.try_emplace(key, Window{now, 0});
  ++it->second.failures;
}

void LoginThrottle::Reset(const std::string& key) {
  MutexLock lock(mu_);
  windows_.erase(key);
}

void LoginThrottle::DropExpired(int64_t now) const {
  // Bounded by the keys seen in one window; a full sweep per call is cheap at
  // sign-in rates.
  std::erase_if(windows_, [&](const auto& kv) { return now >= kv.second.opened + window_micros_; });
}

}  // namespace tv::control

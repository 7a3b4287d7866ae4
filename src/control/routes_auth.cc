// Human sign-in on the control plane (docs/webapp.md, "Passwords", "Sessions"
// and "Data-plane tokens"): /api/auth/login, session, logout, password and
// data_token. These routes take no bearer token (AuthPublicRoutes): each
// handler authenticates by the tv_session cookie itself, and the
// state-changing ones also require the session's CSRF token in X-TV-CSRF and,
// when sent, an Origin equal to the public URL's. The cookie is good for
// nothing else: every other route takes the data-plane token that
// /api/auth/data_token hands out as a bearer token.
#include <algorithm>
#include <cctype>

#include <boost/json/array.hpp>

#include "common/strings.h"
#include "control/routes_common.h"
#include "crypto/crypto.h"
#include "http/error_response.h"

namespace tv::control {
namespace {

using http::Method;
using http::RequestContext;
using http::Response;

constexpr std::string_view kWrongCredentials = "Wrong email or password";
constexpr size_t kMinPasswordLength = 8;
constexpr size_t kMaxPasswordLength = 1024;

// The client's address without its port ("1.2.3.4:5678" → "1.2.3.4").
std::string ClientAddress(const http::Request& req) {
  const std::string& a = req.remote_address;
  size_t colon = a.rfind(':');
  return colon == std::string::npos ? a : a.substr(0, colon);
}

// "scheme://host[:port]" of a URL, lower-cased.
std::string OriginOf(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return AsciiLower(url);
  size_t path = url.find('/', scheme_end + 3);
  return AsciiLower(url.substr(0, path));
}

bool IsHttps(const ControlPlane& cp) { return AsciiLower(cp.options().public_url).starts_with("https://"); }

// The value of the tv_session cookie, if the request carries one.
std::optional<std::string> SessionCookie(const http::Request& req) {
  for (const auto& [name, value] : req.headers) {
    if (!http::EqualsIgnoreCase(name, "cookie")) continue;
    for (std::string_view pair : SplitList(value, ";")) {
      size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == kSessionCookie)
        return std::string(TrimWhitespace(pair.substr(eq + 1)));
    }
  }
  return std::nullopt;
}

std::string SessionCookieHeader(const ControlPlane& cp, std::string_view token, int64_t max_age_seconds) {
  return fmt::format("{}={}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{}", kSessionCookie, token,
                     std::max<int64_t>(0, max_age_seconds), IsHttps(cp) ? "; Secure" : "");
}

// The live session the cookie names, its use recorded.
Result<Session> CurrentSession(ControlPlane& cp, const RequestContext& ctx) {
  auto token = SessionCookie(ctx.request());
  if (!token || token->empty()) return Unauthenticated("Not signed in");
  TV_ASSIGN_OR_RETURN(Session s, cp.sessions().Lookup(*token));
  return cp.sessions().Touch(s);
}

// A cookie-authenticated request that changes state must carry the session's
// CSRF token and, when it sends an Origin, come from the public URL's origin.
Status CheckCsrf(const ControlPlane& cp, const RequestContext& ctx, const Session& session) {
  const http::Request& req = ctx.request();
  auto csrf = req.headers.Get("x-tv-csrf");
  if (!csrf || !crypto::ConstantTimeEquals(TrimWhitespace(*csrf), session.csrf_token))
    return PermissionDenied("Missing or wrong X-TV-CSRF header");
  auto origin = req.headers.Get("origin");
  if (origin && AsciiLower(TrimWhitespace(*origin)) != OriginOf(cp.options().public_url))
    return PermissionDenied("Origin '{}' may not change this session", *origin);
  return Status::Ok();
}

Result<json::object> SessionBody(ControlPlane& cp, const Session& session) {
  TV_ASSIGN_OR_RETURN(json::object user, cp.accounts().GetUser(session.user_id));
  TV_ASSIGN_OR_RETURN(meta::Rows rows, cp.db().Query("SELECT o.id, o.name, m.role FROM org_members m "
                                                     "JOIN organizations o ON o.id = m.org_id "
                                                     "WHERE m.user_id = $1 ORDER BY m.created, o.name",
                                                     {session.user_id}));
  json::array orgs;
  for (size_t i = 0; i < rows.size(); ++i)
    orgs.push_back(
        json::object{{"id", rows.Text(i, "id")}, {"name", rows.Text(i, "name")}, {"role", rows.Text(i, "role")}});
  return json::object{{"user", std::move(user)},
                      {"orgs", std::move(orgs)},
                      {"csrf_token", session.csrf_token},
                      {"expires_at", FormatTimestamp(std::min(session.idle_expires, session.absolute_expires))}};
}

// 429 with Retry-After when either key is over its failed-attempt limit.
Status CheckThrottles(ControlPlane& cp, const std::string& account_key, const std::string& address_key) {
  auto account = cp.account_throttle().Blocked(account_key);
  auto address = cp.address_throttle().Blocked(address_key);
  if (!account && !address) return Status::Ok();
  auto wait = std::max(account.value_or(std::chrono::milliseconds(0)), address.value_or(std::chrono::milliseconds(0)));
  return http::WithRetryAfter(ResourceExhausted("Too many failed sign-in attempts; try again later"), wait);
}

void RecordFailure(ControlPlane& cp, const std::string& account_key, const std::string& address_key) {
  cp.account_throttle().RecordFailure(account_key);
  cp.address_throttle().RecordFailure(address_key);
}

// Checks `password` against the user's stored hash. An unknown user (or one
// without a password) still costs one hash, against a fixed dummy.
bool CheckPassword(std::string_view password, const std::optional<std::string>& stored) {
  static const std::string* dummy = new std::string(crypto::HashPassword("tracevault dummy password"));
  bool ok = crypto::VerifyPassword(password, stored ? *stored : *dummy);
  return ok && stored.has_value();
}

Result<std::string> PasswordField(const json::object& body, std::string_view key) {
  TV_ASSIGN_OR_RETURN(std::string pw, ReqString(body, key));
  if (pw.size() > kMaxPasswordLength) return InvalidArgument("'{}' is too long", key);
  return pw;
}

Result<Response> Login(ControlPlane& cp, RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string email, ReqString(body, "email"));
  TV_ASSIGN_OR_RETURN(std::string password, PasswordField(body, "password"));
  std::string account_key = AsciiLower(email);
  std::string address_key = ClientAddress(ctx.request());
  TV_RETURN_IF_ERROR(CheckThrottles(cp, account_key, address_key));

  TV_ASSIGN_OR_RETURN(meta::Rows rows, cp.db().Query("SELECT id, password_hash FROM users WHERE email = $1", {email}));
  std::optional<std::string> stored = rows.empty() ? std::nullopt : rows.OptText(0, "password_hash");
  if (!CheckPassword(password, stored)) {
    RecordFailure(cp, account_key, address_key);
    return Unauthenticated("{}", kWrongCredentials);
  }
  cp.account_throttle().Reset(account_key);
  std::string user_id = rows.Text(0, "id");
  if (crypto::NeedsRehash(*stored)) {
    TV_RETURN_IF_ERROR(
        cp.db()
            .Execute("UPDATE users SET password_hash = $1 WHERE id = $2", {crypto::HashPassword(password), user_id})
            .status());
  }
  auto user_agent = ctx.request().headers.Get("user-agent");
  TV_ASSIGN_OR_RETURN(NewSession created,
                      cp.sessions().Create(user_id, user_agent.value_or(""), ClientAddress(ctx.request())));
  TV_ASSIGN_OR_RETURN(json::object out, SessionBody(cp, created.session));
  Response res = JsonOk(out);
  int64_t max_age = (created.session.absolute_expires - created.session.created) / 1000000;
  res.headers.Add("Set-Cookie", SessionCookieHeader(cp, created.token, max_age));
  return res;
}

Result<Response> GetSession(ControlPlane& cp, RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(Session session, CurrentSession(cp, ctx));
  TV_ASSIGN_OR_RETURN(json::object out, SessionBody(cp, session));
  return JsonOk(out);
}

Result<Response> Logout(ControlPlane& cp, RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(Session session, CurrentSession(cp, ctx));
  TV_RETURN_IF_ERROR(CheckCsrf(cp, ctx, session));
  TV_RETURN_IF_ERROR(cp.sessions().Revoke(session.id));
  Response res = Response::Empty(204);
  res.headers.Add("Set-Cookie", SessionCookieHeader(cp, "", 0));
  return res;
}

Result<Response> ChangePassword(ControlPlane& cp, RequestContext& ctx) {
  TV_ASSIGN_OR_RETURN(Session session, CurrentSession(cp, ctx));
  TV_RETURN_IF_ERROR(CheckCsrf(cp, ctx, session));
  TV_ASSIGN_OR_RETURN(json::object body, ParseBody(ctx));
  TV_ASSIGN_OR_RETURN(std::string current, PasswordField(body, "current_password"));
  TV_ASSIGN_OR_RETURN(std::string next, PasswordField(body, "new_password"));
  if (next.size() < kMinPasswordLength)
    return InvalidArgument("'new_password' must be at least {} characters long", kMinPasswordLength);

  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      cp.db().Query("SELECT email, password_hash FROM users WHERE id = $1", {session.user_id}));
  if (rows.empty()) return Unauthenticated("Not signed in");
  std::string account_key = AsciiLower(rows.Text(0, "email"));
  std::string address_key = ClientAddress(ctx.request());
  TV_RETURN_IF_ERROR(CheckThrottles(cp, account_key, address_key));
  if (!CheckPassword(current, rows.OptText(0, "password_hash"))) {
    RecordFailure(cp, account_key, address_key);
    return Unauthenticated("Wrong current password");
  }
  cp.account_throttle().Reset(account_key);
  TV_RETURN_IF_ERROR(cp.db().Transaction([&](meta::MetaStore& tx) -> Status {
    TV_RETURN_IF_ERROR(
        tx.Execute("UPDATE users SET password_hash = $1 WHERE id = $2", {crypto::HashPassword(next), session.user_id})
            .status());
    return cp.sessions().RevokeAllOfUser(tx, session.user_id, session.id);
  }));
  return Response::Empty(204);
}

// A short-lived bearer token for every other route, on both planes. Renewing
// it counts as a use of the session, so an open app keeps its session alive.
Result<Response> IssueDataToken(ControlPlane& cp, RequestContext& ctx) {
  auto cookie = SessionCookie(ctx.request());
  if (!cookie || cookie->empty()) return Unauthenticated("Not signed in");
  TV_ASSIGN_OR_RETURN(Session session, cp.sessions().Lookup(*cookie));
  TV_RETURN_IF_ERROR(CheckCsrf(cp, ctx, session));
  TV_ASSIGN_OR_RETURN(session, cp.sessions().Touch(session));
  TV_ASSIGN_OR_RETURN(DataToken token, cp.sessions().IssueDataToken(session));
  Response res = JsonOk(json::object{{"token", token.token},
                                     {"expires_at", FormatTimestamp(token.expires)},
                                     {"data_plane_url", cp.options().data_plane_url}});
  res.headers.Set("Cache-Control", "no-store");
  return res;
}

}  // namespace

std::vector<http::PublicRoute> AuthPublicRoutes() {
  return {
      {Method::kPost, "/api/auth/login", false},       // no cookie yet
      {Method::kGet, "/api/auth/session", false},      // cookie
      {Method::kPost, "/api/auth/logout", false},      // cookie + CSRF
      {Method::kPost, "/api/auth/password", false},    // cookie + CSRF
      {Method::kPost, "/api/auth/data_token", false},  // cookie + CSRF
  };
}

void AddAuthRoutes(http::Router& router, ControlPlane& cp) {
  static constexpr Route kRoutes[] = {
      {Method::kPost, "/api/auth/login", Login},
      {Method::kGet, "/api/auth/session", GetSession},
      {Method::kPost, "/api/auth/logout", Logout},
      {Method::kPost, "/api/auth/password", ChangePassword},
      {Method::kPost, "/api/auth/data_token", IssueDataToken},
  };
  AddRoutes(router, cp, kRoutes);
}

}  // namespace tv::control

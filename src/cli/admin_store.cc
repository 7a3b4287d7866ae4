// `tracevault admin compact` and `tracevault admin purge`: operator commands
// on the span store of a running server, sent over HTTP with an API key (the
// store's caches and compactor live in the server, so the server does the
// work). Prints the server's JSON report.
#include <iostream>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include "cli/commands.h"
#include "common/json.h"
#include "http/client.h"

namespace tv::cli {
namespace {

struct StoreAdminArgs {
  std::string url = "http://" + DefaultListen();
  std::string api_key;
  std::vector<std::string> objects;
  std::vector<std::string> ids;
  bool wait = false;
  bool all = false;
  bool json = false;
};

Status Post(const StoreAdminArgs& a, const std::string& path, const json::object& body) {
  if (a.api_key.empty()) return InvalidArgument("pass --api-key or set TRACEVAULT_API_KEY");
  http::InitHttpClient();
  http::ClientRequest req;
  req.method = http::Method::kPost;
  req.url = a.url + path;
  req.headers.Set("Authorization", "Bearer " + a.api_key);
  req.headers.Set("Content-Type", "application/json");
  req.body = json::serialize(body);
  req.timeout = std::chrono::hours(6);
  TV_ASSIGN_OR_RETURN(http::ClientResponse res, http::Fetch(req));
  if (res.status >= 300 && res.status != 202) {
    std::string message = res.body;
    if (auto parsed = ParseJsonObject(res.body); parsed.ok()) message = StringField(*parsed, "message");
    return Internal("the server answered {}: {}", res.status, message);
  }
  std::cout << res.body << "\n";
  return Status::Ok();
}

void Common(CLI::App* cmd, StoreAdminArgs& a) {
  cmd->add_option("--url", a.url, "The server's URL")->envname("TRACEVAULT_URL")->capture_default_str();
  cmd->add_option("--api-key", a.api_key, "An API key of the objects' organization")->envname("TRACEVAULT_API_KEY");
  cmd->add_flag("--json", a.json, "Print JSON (the default output)");
}

}  // namespace

void AddStoreAdminCommands(CLI::App& admin, int* exit_code) {
  auto args = std::make_shared<StoreAdminArgs>();
  auto finish = [exit_code](Status s) {
    if (!s.ok()) std::cerr << "error: " << s.message() << "\n";
    *exit_code = s.ok() ? 0 : (s.code() == StatusCode::kInvalidArgument ? 2 : 1);
  };

  auto* compact = admin.add_subcommand("compact", "Compact the span store now (all of the key's objects, or --object)");
  Common(compact, *args);
  compact->add_option("--object", args->objects, "An object id such as experiment:<uuid> (repeatable)");
  compact->add_flag("--wait", args->wait, "Wait until compaction is done and print its report");
  compact->callback([args, finish] {
    json::object body{{"wait", args->wait}};
    if (!args->objects.empty()) body["object_ids"] = json::value_from(args->objects);
    finish(Post(*args, "/v1/admin/compact", body));
  });

  auto* purge = admin.add_subcommand("purge", "Remove rows for good from an object (GDPR): --id ... or --all");
  Common(purge, *args);
  purge->add_option("--object", args->objects, "The object id, such as experiment:<uuid>")->required()->expected(1);
  purge->add_option("--id", args->ids, "A row id to purge (repeatable)");
  purge->add_flag("--all", args->all, "Purge every row of the object");
  purge->callback([args, finish] {
    if (args->all == !args->ids.empty()) return finish(InvalidArgument("pass --id (one or more) or --all"));
    const std::string& object = args->objects.front();
    size_t colon = object.find(':');
    if (colon == std::string::npos) return finish(InvalidArgument("--object must look like experiment:<uuid>"));
    json::object body;
    if (args->all) {
      body["all"] = true;
    } else {
      body["ids"] = json::value_from(args->ids);
    }
    finish(Post(*args, "/v1/" + object.substr(0, colon) + "/" + object.substr(colon + 1) + "/purge", body));
  });
}

}  // namespace tv::cli

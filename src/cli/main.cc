// tracevault: one binary for both planes and the operator commands.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace tv::cli;
  CLI::App app{"tracevault — self-hosted AI evaluation and observability"};
  app.require_subcommand(1);

  ServerFlags serve_flags, control_flags, data_flags;
  auto* serve = app.add_subcommand("serve", "Both planes in one process (the embedded default)");
  AddServerFlags(*serve, serve_flags, Role::kAllInOne);
  auto* control = app.add_subcommand("control", "The control plane alone");
  AddServerFlags(*control, control_flags, Role::kControl);
  auto* data = app.add_subcommand("data", "The data plane alone, pointed at a control plane");
  AddServerFlags(*data, data_flags, Role::kData);
  int admin_exit = 0;
  AddAdminCommands(app, &admin_exit);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (*serve) return RunServer(serve_flags, Role::kAllInOne);
  if (*control) return RunServer(control_flags, Role::kControl);
  if (*data) return RunServer(data_flags, Role::kData);
  return admin_exit;
}

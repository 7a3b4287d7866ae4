// The subcommands of the tracevault binary. Each returns the process exit
// code: 0 success, 1 failure, 2 bad usage.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/server_config.h"

namespace tv::cli {

int RunServer(const ServerFlags& flags, Role role);
// Registers `admin ...` under `app`; the chosen command runs from its callback
// and stores its exit code in *exit_code.
void AddAdminCommands(CLI::App& app, int* exit_code);
// Registers `admin compact` and `admin purge` (HTTP to a running server).
void AddStoreAdminCommands(CLI::App& admin, int* exit_code);
// Registers `admin rotate-master-key` (admin_keys.cc; docs/security.md).
void AddKeyAdminCommands(CLI::App& admin, int* exit_code);
// Registers `admin quarantine` (admin_quarantine.cc; docs/storage-format.md).
void AddQuarantineAdminCommand(CLI::App& admin, int* exit_code);

}  // namespace tv::cli

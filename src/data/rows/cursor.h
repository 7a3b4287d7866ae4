// Read cursors: opaque to clients, base64url of
// {"v":1,"s":"<snapshot xact>","k":["<xact>","<tie>"]} (docs/storage-format.md,
// "Cursors"). A cursor pins the snapshot of the first page, so pages never
// shift under concurrent writes.
#pragma once

#include <string>
#include <string_view>

#include "common/json.h"
#include "common/status.h"
#include "store/scan.h"

namespace tv::data {

struct Cursor {
  store::XactId snapshot = 0;
  store::ScanKey after;
};

std::string EncodeCursor(const Cursor& c);
// InvalidArgument for anything that is not a cursor this server issued.
Result<Cursor> DecodeCursor(std::string_view text);

// Pins `spec` to the cursor's snapshot (or to an older `version` already set)
// and resumes after its key.
Status ApplyCursor(std::string_view text, store::ScanSpec& spec);

// A body's `version` field: a decimal or pretty transaction id, as a string or
// a number; absent or null is nullopt.
Result<std::optional<store::XactId>> VersionField(const json::object& body);

}  // namespace tv::data

// Read cursors: opaque to clients, base64url of
// {"v":1,"s":"<snapshot xact>","k":["<xact>","<tie>"]} (docs/storage-format.md,
// "Cursors"). A cursor pins the snapshot of the first page, so pages never
// shift under concurrent writes.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace tv::data

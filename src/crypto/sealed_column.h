// A table column of sealed values (envelope.h), and the whole-column
// operations key management needs: list them, find the rows that no longer
// open, re-wrap them under the current master key. Both planes' secret
// tables use it (control/ai_secrets, data/secrets).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "crypto/envelope.h"
#include "meta/meta_store.h"

namespace tv::crypto {

struct SealedColumn {
  std::string table;   // rows keyed by an `id` column
  std::string column;  // the sealed value; NULL when the row has none
  std::string owner;   // the column the AAD binds the value to
  // The AAD of a value from its row's id and owner.
  std::function<std::string(const std::string& owner, const std::string& id)> context;
};

Result<std::vector<std::string>> SealedValues(meta::MetaStore& db, const SealedColumn& c);
// The ids of the rows whose value does not open with `keys`.
Result<std::vector<std::string>> RowsFailingToOpen(meta::MetaStore& db, const Keyring& keys, const SealedColumn& c);
// Re-wraps every value's data key under keys.current() in one transaction;
// returns how many rows changed.
Result<size_t> RewrapColumn(meta::MetaStore& db, const Keyring& keys, const SealedColumn& c);

}  // namespace tv::crypto

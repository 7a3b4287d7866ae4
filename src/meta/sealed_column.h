// A table column of sealed values (crypto/envelope.h), and the whole-column
// operations key management needs: list them, find the rows that no longer
// open, re-wrap them under the current master key. Both planes' secret
// tables use it (control/ai_secrets, data/secrets), and both read provider
// secrets back from their rows with OpenProviderSecret.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/provider_secret.h"
#include "common/status.h"
#include "crypto/envelope.h"
#include "meta/meta_store.h"

namespace tv::meta {

struct SealedColumn {
  std::string table;   // rows keyed by an `id` column
  std::string column;  // the sealed value; NULL when the row has none
  std::string owner;   // the column the AAD binds the value to
  std::string kind;    // the object type errors name ("ai_secret")
  // The AAD of a value from its row's id and owner.
  std::function<std::string(const std::string& owner, const std::string& id)> context;
};

Result<std::vector<std::string>> SealedValues(MetaStore& db, const SealedColumn& c);
// The ids of the rows whose value does not open with `keys`.
Result<std::vector<std::string>> RowsFailingToOpen(MetaStore& db, const crypto::Keyring& keys, const SealedColumn& c);
// Re-wraps every value's data key under keys.current() in one transaction;
// returns how many rows changed.
Result<size_t> RewrapColumn(MetaStore& db, const crypto::Keyring& keys, const SealedColumn& c);

// Row `i` of `rows` as a plaintext provider secret. The row has the columns
// id, name, `type_column` (NULL reads as ""), metadata (JSON text; NULL or
// anything but an object leaves the metadata empty) and c.column (NULL: no
// value). The value opens under c.context(owner, id); one that does not is
// Internal, naming the row as a c.kind.
Result<ProviderSecret> OpenProviderSecret(const Rows& rows, size_t i, const crypto::Keyring& keys,
                                          const SealedColumn& c, std::string_view type_column,
                                          const std::string& owner);

}  // namespace tv::meta

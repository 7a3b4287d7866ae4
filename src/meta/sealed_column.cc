#include "meta/sealed_column.h"

#include "common/json.h"

namespace tv::meta {

Result<std::vector<std::string>> SealedValues(MetaStore& db, const SealedColumn& c) {
  TV_ASSIGN_OR_RETURN(Rows rows, db.Query(fmt::format("SELECT {0} FROM {1} WHERE {0} IS NOT NULL", c.column, c.table)));
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.Text(i, c.column));
  return out;
}

Result<std::vector<std::string>> RowsFailingToOpen(MetaStore& db, const crypto::Keyring& keys, const SealedColumn& c) {
  TV_ASSIGN_OR_RETURN(Rows rows, db.Query(fmt::format("SELECT id, {0} AS owner, {1} AS sealed FROM {2} "
                                                      "WHERE {1} IS NOT NULL",
                                                      c.owner, c.column, c.table)));
  std::vector<std::string> failing;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string id = rows.Text(i, "id");
    if (!crypto::OpenSecret(keys, rows.Text(i, "sealed"), c.context(rows.Text(i, "owner"), id)).ok())
      failing.push_back(id);
  }
  return failing;
}

Result<size_t> RewrapColumn(MetaStore& db, const crypto::Keyring& keys, const SealedColumn& c) {
  size_t changed = 0;
  TV_RETURN_IF_ERROR(db.Transaction([&](MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(
        Rows rows, tx.Query(fmt::format("SELECT id, {0} AS sealed FROM {1} WHERE {0} IS NOT NULL", c.column, c.table)));
    for (size_t i = 0; i < rows.size(); ++i) {
      std::string sealed = rows.Text(i, "sealed");
      TV_ASSIGN_OR_RETURN(std::string rewrapped, crypto::RewrapSecret(keys, sealed));
      if (rewrapped == sealed) continue;
      TV_RETURN_IF_ERROR(tx.Execute(fmt::format("UPDATE {} SET {} = $2 WHERE id = $1", c.table, c.column),
                                    {rows.Text(i, "id"), rewrapped}));
      ++changed;
    }
    return Status::Ok();
  }));
  return changed;
}

Result<ProviderSecret> OpenProviderSecret(const Rows& rows, size_t i, const crypto::Keyring& keys,
                                          const SealedColumn& c, std::string_view type_column,
                                          const std::string& owner) {
  ProviderSecret s;
  s.id = rows.Text(i, "id");
  s.name = rows.Text(i, "name");
  s.type = rows.OptText(i, type_column).value_or("");
  if (auto m = rows.OptText(i, "metadata"))
    if (auto parsed = ParseJsonObject(*m); parsed.ok()) s.metadata = std::move(*parsed);
  if (auto sealed = rows.OptText(i, c.column)) {
    Result<std::string> plain = crypto::OpenSecret(keys, *sealed, c.context(owner, s.id));
    if (!plain.ok()) return Internal("{} '{}' cannot be decrypted: {}", c.kind, s.id, plain.status().message());
    s.secret = std::move(*plain);
  }
  return s;
}

}  // namespace tv::meta

#include "crypto/sealed_column.h"

namespace tv::crypto {

Result<std::vector<std::string>> SealedValues(meta::MetaStore& db, const SealedColumn& c) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows,
                      db.Query(fmt::format("SELECT {0} FROM {1} WHERE {0} IS NOT NULL", c.column, c.table)));
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.Text(i, c.column));
  return out;
}

Result<std::vector<std::string>> RowsFailingToOpen(meta::MetaStore& db, const Keyring& keys, const SealedColumn& c) {
  TV_ASSIGN_OR_RETURN(meta::Rows rows, db.Query(fmt::format("SELECT id, {0} AS owner, {1} AS sealed FROM {2} "
                                                            "WHERE {1} IS NOT NULL",
                                                            c.owner, c.column, c.table)));
  std::vector<std::string> failing;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::string id = rows.Text(i, "id");
    if (!OpenSecret(keys, rows.Text(i, "sealed"), c.context(rows.Text(i, "owner"), id)).ok()) failing.push_back(id);
  }
  return failing;
}

Result<size_t> RewrapColumn(meta::MetaStore& db, const Keyring& keys, const SealedColumn& c) {
  size_t changed = 0;
  TV_RETURN_IF_ERROR(db.Transaction([&](meta::MetaStore& tx) -> Status {
    TV_ASSIGN_OR_RETURN(meta::Rows rows, tx.Query(fmt::format("SELECT id, {0} AS sealed FROM {1} WHERE {0} IS NOT NULL",
                                                              c.column, c.table)));
    for (size_t i = 0; i < rows.size(); ++i) {
      std::string sealed = rows.Text(i, "sealed");
      TV_ASSIGN_OR_RETURN(std::string rewrapped, RewrapSecret(keys, sealed));
      if (rewrapped == sealed) continue;
      TV_RETURN_IF_ERROR(tx.Execute(fmt::format("UPDATE {} SET {} = $2 WHERE id = $1", c.table, c.column),
                                    {rows.Text(i, "id"), rewrapped}));
      ++changed;
    }
    return Status::Ok();
  }));
  return changed;
}

}  // namespace tv::crypto

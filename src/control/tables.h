// The control plane's object tables (see object_table.h).
#pragma once

#include "control/object_table.h"

namespace tv::control {

const ObjectTable& OrganizationsTable();
const ObjectTable& ProjectsTable();
const ObjectTable& ExperimentsTable();
const ObjectTable& DatasetsTable();
const ObjectTable& ApiKeysTable();

}  // namespace tv::control

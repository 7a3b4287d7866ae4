// Pins the text of every released migration of both planes. A database
// records only the numbers it has run, so a migration edited after release
// would leave old databases on the old schema without a word: a change to a
// schema is a new migration at the end, and this test fails on any other.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "control/schema.h"
#include "crypto/crypto.h"
#include "data/data_plane.h"

namespace tv {
namespace {

struct Pinned {
  int version;
  const char* sha256;  // of the migration's SQL text
};

void ExpectPinned(const std::vector<meta::Migration>& migrations, const std::vector<Pinned>& pinned) {
  ASSERT_GE(migrations.size(), pinned.size()) << "a released migration was removed";
  for (size_t i = 0; i < pinned.size(); ++i) {
    EXPECT_EQ(migrations[i].version, pinned[i].version) << "migration " << i << " was renumbered or reordered";
    EXPECT_EQ(crypto::HexEncode(crypto::Sha256(migrations[i].sql)), pinned[i].sha256)
        << "migration " << migrations[i].version << " (" << migrations[i].name
        << ") was rewritten; add a new migration instead";
  }
  for (size_t i = 1; i < migrations.size(); ++i)
    EXPECT_EQ(migrations[i].version, migrations[i - 1].version + 1) << "versions are consecutive";
}

TEST(MigrationsTest, ControlPlaneMigrationsAreNeverRewritten) {
  ExpectPinned(control::ControlMigrations(),
               {
                   {1, "59520e853b640f53c817668f3d153228ceb6d74e14c93153bb3e78c020084e3d"},
                   {2, "c6950ff41aa65cf72d105f1b06afeb5967ba324fbc74c0efd59f96750fe8fa1c"},
                   {3, "ab8d23c20912cfd658e1a7b2e3181dcf7134f69d72c213b8d8c35d726dbe7b0d"},
                   {4, "ec715c54a92a39909d74f192a59caa5d201e83ef66c36f6bf60884efad428413"},
               });
}

TEST(MigrationsTest, DataPlaneMigrationsAreNeverRewritten) {
  ExpectPinned(data::DataMigrations(), {
                                           {1, "9f20755b87735a76fe17d193e45720dabce528bc61e8370fbca06ed450771c25"},
                                           {2, "e510f8215dec1e780d39ed51b0c14c99a9681499d7f4f1b4f6ad46db1efbb566"},
                                           {3, "39b2e90274a9ef9adf07eb0e8e9c3ab34fbf7d89d7b0410a95e358c5f28c0597"},
                                           {4, "5956eca4a6b143e12489d6fdab8d4089a692c8b4aa42d8379bf985dfb8c0c45c"},
                                           {5, "35defa3c8d4ec2132ed268b0f9540684830ea8eea3d9acc95bdaf1408e87ba06"},
                                           {6, "a8a83c97ddfbd739b2b893169c54983fc7db48da05fba67376b9211e43dd57e3"},
                                           {7, "566b554d6622bfe1dfe7d34b6a1b35bec742614e929b8a7c7dff170a1f6b69b0"},
                                       });
}

}  // namespace
}  // namespace tv

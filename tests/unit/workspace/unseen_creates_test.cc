// Children created by this process and not yet shown by its cache
// (workspace/unseen_creates.h).
#include "workspace/unseen_creates.h"

#include <gtest/gtest.h>

namespace tfws::workspace {
namespace {

using std::chrono::seconds;

const time::WallTime kT0{seconds(1000)};

TEST(UnseenCreates, ACreatedChildIsAwaitedUntilTheCacheShowsIt) {
  UnseenCreates c;
  EXPECT_FALSE(c.Awaited("ns/a", "Pod/a", kT0)) << "never created: create";
  c.Created("ns/a", "Pod/a", kT0);
  EXPECT_TRUE(c.Awaited("ns/a", "Pod/a", kT0 + seconds(1))) << "its watch event is on its way: no second create";
  c.Seen("ns/a", "Pod/a");
  EXPECT_FALSE(c.Awaited("ns/a", "Pod/a", kT0 + seconds(2))) << "shown once: a later absence is a deletion, re-create";
}

TEST(UnseenCreates, AChildNeverShownIsCreatedAgainAfterTheWait) {
  UnseenCreates c;
  c.Created("ns/a", "Pod/a", kT0);
  EXPECT_TRUE(c.Awaited("ns/a", "Pod/a", kT0 + UnseenCreates::kAwaitCreated - seconds(1)));
  EXPECT_FALSE(c.Awaited("ns/a", "Pod/a", kT0 + UnseenCreates::kAwaitCreated)) << "deleted before the cache saw it";
  EXPECT_FALSE(c.Awaited("ns/a", "Pod/a", kT0 + seconds(1))) << "and forgotten";
}

TEST(UnseenCreates, ObjectsAndWorkspacesAreSeparate) {
  UnseenCreates c;
  c.Created("ns/a", "Pod/a", kT0);
  c.Created("ns/ab", "Pod/ab", kT0);
  EXPECT_FALSE(c.Awaited("ns/a", "Service/a", kT0));
  c.ForgetWorkspace("ns/a");
  EXPECT_FALSE(c.Awaited("ns/a", "Pod/a", kT0));
  EXPECT_TRUE(c.Awaited("ns/ab", "Pod/ab", kT0)) << "another workspace is kept";
}

TEST(UnseenCreates, AWallClockThatWentBackEndsTheWait) {
  UnseenCreates c;
  c.Created("ns/a", "Pod/a", kT0);
  EXPECT_FALSE(c.Awaited("ns/a", "Pod/a", kT0 - seconds(3600)));
}

}  // namespace
}  // namespace tfws::workspace

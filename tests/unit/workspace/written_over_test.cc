// Which cached version the last write of each object was computed from
// (workspace/written_over.h).
#include "workspace/written_over.h"

#include <gtest/gtest.h>

namespace tfws::workspace {
namespace {

TEST(WrittenOver, TheCacheIsBehindUntilItShowsAnotherVersion) {
  WrittenOver w;
  EXPECT_FALSE(w.CacheBehind("ns/a", "status", "10")) << "never written: write";
  w.Record("ns/a", "status", "10");
  EXPECT_TRUE(w.CacheBehind("ns/a", "status", "10")) << "the cache still shows the version the write was computed from";
  EXPECT_FALSE(w.CacheBehind("ns/a", "status", "11")) << "the cache moved on (our write, or someone else's)";
  EXPECT_FALSE(w.CacheBehind("ns/a", "status", "")) << "no version known: nothing to compare";
}

TEST(WrittenOver, ObjectsAndWorkspacesAreSeparate) {
  WrittenOver w;
  w.Record("ns/a", "status", "10");
  w.Record("ns/a", "Service/a", "7");
  EXPECT_FALSE(w.CacheBehind("ns/a", "Service/a", "10"));
  EXPECT_TRUE(w.CacheBehind("ns/a", "Service/a", "7"));
  EXPECT_FALSE(w.CacheBehind("ns/ab", "status", "10")) << "another workspace (a name with the same prefix)";
  EXPECT_FALSE(w.CacheBehind("ns/a", "Service/ab", "7"));
}

TEST(WrittenOver, OnlyTheLastWriteCounts) {
  WrittenOver w;
  w.Record("ns/a", "status", "10");
  w.Record("ns/a", "status", "12");
  EXPECT_TRUE(w.CacheBehind("ns/a", "status", "12"));
  EXPECT_FALSE(w.CacheBehind("ns/a", "status", "10")) << "only the last write counts";
}

TEST(WrittenOver, ForgetWorkspaceDropsEveryObjectOfThatWorkspaceOnly) {
  WrittenOver w;
  w.Record("ns/a", "status", "10");
  w.Record("ns/a", "Service/a", "7");
  w.Record("ns/ab", "status", "10");
  w.ForgetWorkspace("ns/a");
  EXPECT_FALSE(w.CacheBehind("ns/a", "status", "10"));
  EXPECT_FALSE(w.CacheBehind("ns/a", "Service/a", "7"));
  EXPECT_TRUE(w.CacheBehind("ns/ab", "status", "10")) << "another workspace is kept";
}

}  // namespace
}  // namespace tfws::workspace

#include "runtime/watcher.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/fake_clock.h"
#include "unit/runtime/scripted_lister_watcher.h"

namespace tfws::runtime {
namespace {

using namespace std::chrono_literals;
using kube::Json;
using kube::WatchEvent;
using testing::ListPage;
using testing::ObjectAt;
using testing::RecordingHandler;
using testing::ScriptedListerWatcher;
using testing::WatchSession;
using End = WatchSession::End;

class WatcherTest : public ::testing::Test {
 protected:
  WatcherTest() { MakeWatcher(/*streaming_list=*/false); }
  void MakeWatcher(bool streaming_list) {
    WatcherOptions options;
    options.clock = &clock;
    options.random = [] { return 0.0; };  // no jitter: exact backoff steps
    options.page_size = 2;
    options.streaming_list = streaming_list;
    watcher = std::make_unique<Watcher>(lw, store, options);
    watcher->AddHandler(handler);
  }
  ~WatcherTest() override { Stop(); }

  void Start() {
    thread = std::jthread([this](std::stop_token stop) { watcher->Run(stop); });
  }
  void Stop() {
    if (thread.joinable()) {
      thread.request_stop();
      thread.join();
    }
  }
  // Waits for the watcher to park in backoff and returns how long it waits.
  time::Duration BackoffWait() {
    EXPECT_TRUE(clock.BlockUntilWaiters(1));
    return clock.NextDeadline() - clock.Now();
  }

  time::FakeClock clock;
  ScriptedListerWatcher lw;
  Store store;
  std::shared_ptr<RecordingHandler> handler = std::make_shared<RecordingHandler>();
  std::unique_ptr<Watcher> watcher;
  std::jthread thread;
};

TEST_F(WatcherTest, ListsAllPagesThenWatchesFromTheListResourceVersionWithBookmarks) {
  lw.ScriptList(ListPage({ObjectAt("a", "p1", "10"), ObjectAt("a", "p2", "11")}, "20", "next-page"));
  lw.ScriptList(ListPage({ObjectAt("a", "p3", "12")}, "21"));
  Start();
  ASSERT_TRUE(lw.WaitForWatchCalls(1));
  auto lists = lw.list_calls();
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[0].limit, 2);
  EXPECT_EQ(lists[0].continue_token, "");
  EXPECT_EQ(lists[1].continue_token, "next-page");
  auto watch = lw.watch_calls()[0];
  EXPECT_EQ(watch.resource_version, "20") << "the first page's resourceVersion";
  EXPECT_TRUE(watch.allow_watch_bookmarks);
  EXPECT_GE(watch.timeout_seconds, 300);
  EXPECT_LE(watch.timeout_seconds, 600);
  EXPECT_TRUE(store.Synced());
  EXPECT_EQ(store.Size(), 3u);
  EXPECT_EQ(store.Get("a/p1")->at("kind"), "Pod") << "list items get their kind back";
  EXPECT_EQ(watcher->State(), WatcherState::kWatching);
  EXPECT_EQ(handler->calls().size(), 3u);
}

Json InitialEventsEnd(const std::string& rv) {
  return {{"kind", "Pod"},
          {"metadata", {{"resourceVersion", rv}, {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}};
}

TEST_F(WatcherTest, StreamsTheInitialListThenWatchesFromTheEndBookmark) {
  MakeWatcher(/*streaming_list=*/true);
  lw.ScriptWatch({{WatchEvent{"ADDED", ObjectAt("a", "p1", "10")},
                   WatchEvent{"BOOKMARK", Json{{"kind", "Pod"}, {"metadata", {{"resourceVersion", "11"}}}}},
                   WatchEvent{"ADDED", ObjectAt("a", "p2", "12")}, WatchEvent{"BOOKMARK", InitialEventsEnd("20")},
                   WatchEvent{"ADDED", ObjectAt("a", "not-read", "21")}},
                  End::kBlockUntilStopped});
  Start();
  ASSERT_TRUE(lw.WaitForWatchCalls(2));
  auto first = lw.watch_calls()[0];
  EXPECT_TRUE(first.send_initial_events);
  EXPECT_EQ(first.resource_version_match, "NotOlderThan");
  EXPECT_EQ(first.resource_version, "") << "the initial state is a consistent read";
  EXPECT_TRUE(first.allow_watch_bookmarks);
  auto second = lw.watch_calls()[1];
  EXPECT_FALSE(second.send_initial_events);
  EXPECT_EQ(second.resource_version, "20") << "resumes from the end bookmark";
  EXPECT_TRUE(lw.list_calls().empty()) << "no list request at all";
  EXPECT_TRUE(store.Synced());
  EXPECT_EQ(store.Size(), 2u);
  EXPECT_EQ(handler->calls(), (std::vector<std::string>{"add a/p1@10", "add a/p2@12"}));
}

TEST_F(WatcherTest, PagesWhenTheServerRefusesStreamingListsAndKeepsPagingOnRelist) {
  MakeWatcher(/*streaming_list=*/true);
  lw.ScriptWatch({{}, End::kRefused});
  lw.ScriptList(ListPage({ObjectAt("a", "p1", "10")}, "20"));
  lw.ScriptWatch({{}, End::kGoneError});
  lw.ScriptList(ListPage({ObjectAt("a", "p1", "10")}, "30"));
  Start();
  ASSERT_TRUE(lw.WaitForWatchCalls(3));
  EXPECT_EQ(lw.list_calls().size(), 2u);
  EXPECT_FALSE(lw.watch_calls()[1].send_initial_events);
  EXPECT_EQ(lw.watch_calls()[2].resource_version, "30");
  EXPECT_FALSE(lw.watch_calls()[2].send_initial_events) << "refused once: pages from then on";
}

TEST_F(WatcherTest, AStreamEndingBeforeTheEndBookmarkFallsBackToPages) {
  MakeWatcher(/*streaming_list=*/true);
  // An old server that ignores sendInitialEvents replays ADDED events but never sends the bookmark.
  lw.ScriptWatch({{WatchEvent{"ADDED", ObjectAt("a", "p1", "10")}}, End::kServerClosed});
  lw.ScriptList(ListPage({ObjectAt("a", "p1", "10")}, "20"));
  Start();
  ASSERT_TRUE(lw.WaitForWatchCalls(2));
  EXPECT_EQ(lw.list_calls().size(), 1u);
  EXPECT_EQ(lw.watch_calls()[1].resource_version, "20");
  EXPECT_EQ(store.Size(), 1u);
}

TEST_F(WatcherTest, AWatchTheServerEndsAtOnceWithoutEventsBacksOff) {
  lw.ScriptList(ListPage({}, "5"));
  lw.ScriptWatch({{}, End::kServerClosed});
  Start();
  EXPECT_EQ(BackoffWait(), 800ms) << "not reopened at once";
  lw.ScriptWatch({{}, End::kServerClosed});
  clock.AdvanceToNextDeadline();
  ASSERT_TRUE(lw.WaitForWatchCalls(2));
  EXPECT_EQ(BackoffWait(), 1600ms) << "and the wait grows while it keeps happening";
  EXPECT_EQ(lw.list_calls().size(), 1u);
}

TEST_F(WatcherTest, AppliesWatchEventsInOrderAndTellsHandlers) {
  lw.ScriptList(ListPage({}, "5"));
  lw.ScriptWatch({{WatchEvent{"ADDED", ObjectAt("a", "p", "6")}, WatchEvent{"MODIFIED", ObjectAt("a", "p", "7")},
                   WatchEvent{"DELETED", ObjectAt("a", "p", "8")}},
                  End::kBlockUntilStopped});
  Start();
  ASSERT_TRUE(handler->WaitForCount(3));
  EXPECT_EQ(handler->calls(), (std::vector<std::string>{"add a/p@6", "update a/p@6->7", "delete a/p@8"}));
  EXPECT_EQ(store.Size(), 0u);
  EXPECT_EQ(watcher->LastResourceVersion(), "8");
}

TEST_F(WatcherTest, ResumesFromTheLastEventOrBookmarkAfterTheServerClosesTheStream) {
  lw.ScriptList(ListPage({}, "5"));
  lw.ScriptWatch({{WatchEvent{"ADDED", ObjectAt("a", "p", "6")},
                   WatchEvent{"BOOKMARK", Json{{"kind", "Pod"}, {"metadata", {{"resourceVersion", "9"}}}}}},
                  End::kServerClosed});
  Start();
  ASSERT_TRUE(lw.WaitForWatchCalls(2));
  EXPECT_EQ(lw.watch_calls()[1].resource_version, "9");
  EXPECT_EQ(lw.list_calls().size(), 1u) << "a closed stream is resumed, not relisted";
  EXPECT_EQ(clock.Waiters(), 0) << "no backoff after a clean close";
}

TEST_F(WatcherTest, GoneErrorEventRelistsAndReportsObjectsDeletedWhileAway) {
  lw.ScriptList(ListPage({ObjectAt("a", "stays", "1"), ObjectAt("a", "deleted-while-away", "2")}, "3"));
  lw.ScriptWatch({{WatchEvent{"ERROR", Json{{"kind", "Status"}, {"code", 410}, {"reason", "Expired"}}}},
                  End::kBlockUntilStopped});
  lw.ScriptList(ListPage({ObjectAt("a", "stays", "1"), ObjectAt("a", "created-while-away", "50")}, "60"));
  Start();
  ASSERT_TRUE(lw.WaitForWatchCalls(2));
  ASSERT_TRUE(handler->WaitForCount(4));
  EXPECT_EQ(handler->calls(), (std::vector<std::string>{"add a/stays@1", "add a/deleted-while-away@2",
                                                        "delete a/deleted-while-away@2",
                                                        "add a/created-while-away@50"}));
  EXPECT_EQ(lw.watch_calls()[1].resource_version, "60");
  EXPECT_EQ(lw.list_calls()[1].resource_version, "") << "relist reads the latest state";
  EXPECT_EQ(watcher->Lists(), 2);
  EXPECT_EQ(clock.Waiters(), 0) << "410 relists at once, without backoff";
}

TEST_F(WatcherTest, GoneResponseToTheWatchRequestAlsoRelists) {
  lw.ScriptList(ListPage({ObjectAt("a", "p", "1")}, "3"));
  lw.ScriptWatch({{}, End::kGoneError});
  lw.ScriptList(ListPage({}, "9"));
  Start();
  ASSERT_TRUE(handler->WaitForCount(2));
  EXPECT_EQ(handler->calls()[1], "delete a/p@1");
}

TEST_F(WatcherTest, RewatchesFromTheLastResourceVersionWithBackoffDoublingTo30Seconds) {
  lw.ScriptList(ListPage({}, "5"));
  lw.ScriptWatch({{WatchEvent{"ADDED", ObjectAt("a", "p", "6")}}, End::kTransportError});
  Start();
  std::vector<time::Duration> waits;
  for (int i = 0; i < 8; ++i) {
    waits.push_back(BackoffWait());
    lw.ScriptWatch({{}, End::kTransportError});
    clock.AdvanceToNextDeadline();
    ASSERT_TRUE(lw.WaitForWatchCalls(static_cast<size_t>(i) + 2));
  }
  EXPECT_EQ(waits, (std::vector<time::Duration>{800ms, 1600ms, 3200ms, 6400ms, 12800ms, 25600ms, 30s, 30s}));
  EXPECT_EQ(lw.watch_calls().back().resource_version, "6");
  EXPECT_EQ(lw.list_calls().size(), 1u) << "a broken connection does not relist";
}

TEST_F(WatcherTest, BackoffStartsOverAfterAHealthyWatch) {
  lw.ScriptList(ListPage({}, "5"));
  lw.ScriptWatch({{}, End::kTransportError});
  Start();
  EXPECT_EQ(BackoffWait(), 800ms);
  lw.ScriptWatch({{}, End::kTransportError});
  clock.AdvanceToNextDeadline();
  ASSERT_TRUE(lw.WaitForWatchCalls(2));
  EXPECT_EQ(BackoffWait(), 1600ms);
  // A clean end (after at least one event) resets the backoff.
  lw.ScriptWatch({{WatchEvent{"BOOKMARK", Json{{"kind", "Pod"}, {"metadata", {{"resourceVersion", "7"}}}}}},
                  End::kServerClosed});
  lw.ScriptWatch({{}, End::kTransportError});
  clock.AdvanceToNextDeadline();
  ASSERT_TRUE(lw.WaitForWatchCalls(4));
  EXPECT_EQ(BackoffWait(), 800ms);
}

TEST_F(WatcherTest, ListFailureBacksOffAndRetriesTheList) {
  lw.ScriptListError(std::make_exception_ptr(kube::TransportError("connection refused")));
  Start();
  EXPECT_EQ(BackoffWait(), 800ms);
  EXPECT_EQ(watcher->State(), WatcherState::kBackoff);
  EXPECT_FALSE(store.Synced());
  lw.ScriptList(ListPage({ObjectAt("a", "p", "1")}, "2"));
  clock.AdvanceToNextDeadline();
  ASSERT_TRUE(lw.WaitForWatchCalls(1));
  EXPECT_TRUE(store.Synced());
}

TEST_F(WatcherTest, WatchErrorEventOtherThanGoneBacksOffAndRewatches) {
  lw.ScriptList(ListPage({}, "5"));
  lw.ScriptWatch({{WatchEvent{"ERROR", Json{{"kind", "Status"}, {"code", 500}, {"reason", "InternalError"}}}},
                  End::kBlockUntilStopped});
  Start();
  EXPECT_EQ(BackoffWait(), 800ms);
  EXPECT_EQ(lw.list_calls().size(), 1u);
}

TEST_F(WatcherTest, StopsPromptlyWhileWatchingAndWhileBackingOff) {
  lw.ScriptList(ListPage({}, "5"));
  Start();
  ASSERT_TRUE(lw.WaitForWatchCalls(1));
  Stop();
  EXPECT_EQ(watcher->State(), WatcherState::kStopped);

  ScriptedListerWatcher failing;
  failing.ScriptListError(std::make_exception_ptr(kube::TransportError("refused")));
  Store other;
  WatcherOptions options;
  options.clock = &clock;
  options.streaming_list = false;
  Watcher backing_off(failing, other, options);
  std::jthread t([&](std::stop_token stop) { backing_off.Run(stop); });
  ASSERT_TRUE(clock.BlockUntilWaiters(1));
  t.request_stop();
  t.join();
  EXPECT_EQ(backing_off.State(), WatcherState::kStopped);
}

TEST_F(WatcherTest, AHandlerThatThrowsDoesNotStopTheWatcher) {
  auto throwing = std::make_shared<FuncEventHandler>();
  throwing->on_add = [](const ObjectPtr&) { throw std::runtime_error("boom"); };
  watcher->AddHandler(throwing);
  lw.ScriptList(ListPage({}, "5"));
  lw.ScriptWatch({{WatchEvent{"ADDED", ObjectAt("a", "p", "6")}, WatchEvent{"ADDED", ObjectAt("a", "q", "7")}},
                  End::kBlockUntilStopped});
  Start();
  ASSERT_TRUE(handler->WaitForCount(2));
  EXPECT_EQ(store.Size(), 2u);
}

}  // namespace
}  // namespace tfws::runtime

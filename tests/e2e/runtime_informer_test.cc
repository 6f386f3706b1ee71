// The informer (runtime/watcher + store) against the real API server: the
// initial list streamed (sendInitialEvents) without a single list request,
// events in order, relist after 410 with deletions that happened while away,
// and recovery from an apiserver restart mid-watch.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>

#include "runtime/cache_trim.h"
#include "runtime/informer.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

using kube::Json;
using runtime::ObjectPtr;
using namespace std::chrono_literals;
namespace resources = kube::resources;

Json ConfigMap(const std::string& name, const std::string& value = "v") {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", {{"k", value}}}};
}

// Records "add x", "update x", "delete x" (names only).
class Recorder final : public runtime::EventHandler {
 public:
  void OnAdd(const ObjectPtr& o) override { Record("add " + runtime::NameOf(*o)); }
  void OnUpdate(const ObjectPtr&, const ObjectPtr& o) override { Record("update " + runtime::NameOf(*o)); }
  void OnDelete(const ObjectPtr& o) override { Record("delete " + runtime::NameOf(*o)); }
  std::vector<std::string> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  bool Saw(const std::string& call) {
    auto c = calls();
    return std::find(c.begin(), c.end(), call) != c.end();
  }

 private:
  void Record(std::string s) {
    std::lock_guard lock(mu_);
    calls_.push_back(std::move(s));
  }
  std::mutex mu_;
  std::vector<std::string> calls_;
};

// Lets a test hold the watcher "away" from the server (as in a network
// partition): Close() ends the current watch and makes new ones wait until
// Open(). Lists pass through.
class GatedListerWatcher final : public runtime::ListerWatcher {
 public:
  explicit GatedListerWatcher(std::unique_ptr<runtime::ListerWatcher> inner) : inner_(std::move(inner)) {}
  Json List(const kube::ListOptions& o) override { return inner_->List(o); }
  void Watch(const kube::ListOptions& o, const std::function<bool(kube::WatchEvent&&)>& on_event,
             std::stop_token stop) override {
    std::stop_source inner_stop;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, stop, [&] { return open_; });
      if (stop.stop_requested()) return;
      current_ = &inner_stop;
      watches_++;
      last_rv_ = o.resource_version;
    }
    std::stop_callback forward(stop, [&] { inner_stop.request_stop(); });
    try {
      inner_->Watch(o, on_event, inner_stop.get_token());
    } catch (...) {
      std::lock_guard lock(mu_);
      current_ = nullptr;
      throw;
    }
    std::lock_guard lock(mu_);
    current_ = nullptr;
  }
  std::string Describe() const override { return inner_->Describe(); }
  void Close() {
    std::lock_guard lock(mu_);
    open_ = false;
    if (current_) current_->request_stop();
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  int watches() {
    std::lock_guard lock(mu_);
    return watches_;
  }

 private:
  std::unique_ptr<runtime::ListerWatcher> inner_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool open_ = true;
  std::stop_source* current_ = nullptr;
  int watches_ = 0;
  std::string last_rv_;
};

// Counts the calls a watcher makes through the real ListerWatcher.
class CountingListerWatcher final : public runtime::ListerWatcher {
 public:
  explicit CountingListerWatcher(std::unique_ptr<runtime::ListerWatcher> inner) : inner_(std::move(inner)) {}
  Json List(const kube::ListOptions& o) override {
    ++lists;
    return inner_->List(o);
  }
  void Watch(const kube::ListOptions& o, const std::function<bool(kube::WatchEvent&&)>& on_event,
             std::stop_token stop) override {
    if (o.send_initial_events) ++streaming_lists;
    inner_->Watch(o, on_event, stop);
  }
  std::string Describe() const override { return inner_->Describe(); }
  std::atomic<int> lists{0};
  std::atomic<int> streaming_lists{0};

 private:
  std::unique_ptr<runtime::ListerWatcher> inner_;
};

std::set<std::string> ServerNames(kube::Client& client, const std::string& ns) {
  std::set<std::string> names;
  Json list = client.ListAll(resources::kConfigMaps, ns);
  for (auto& item : list["items"]) names.insert(item["metadata"]["name"]);
  names.erase("kube-root-ca.crt");
  return names;
}

std::set<std::string> StoreNames(const runtime::Store& store) {
  std::set<std::string> names;
  for (auto& o : store.List()) names.insert(runtime::NameOf(*o));
  names.erase("kube-root-ca.crt");
  return names;
}

class RuntimeInformerTest : public TestenvTest {
 protected:
  // Measured waits (TFWS_E2E_WAIT_LOG=1, 2 runs): an event after the sync 0.0-1.0 s, after an apiserver
  // restart 0.0-0.5 s (backoff at most 2 s); 5 s, 10 s after a restart. A whole sync test takes
  // 0.6-2.5 s, so 10 s for each WaitForSync (30 ConfigMaps listed).
  runtime::WatcherOptions FastOptions() {
    runtime::WatcherOptions options;
    options.initial_backoff = 200ms;
    options.max_backoff = 2s;
    options.name = "configmaps";
    return options;
  }
};

TEST_F(RuntimeInformerTest, StreamsTheInitialListWithoutAListRequest) {
  for (int i = 0; i < 30; ++i) client().Create(resources::kConfigMaps, ns(), ConfigMap("cm-" + std::to_string(i)));
  auto counting = new CountingListerWatcher(
      std::make_unique<runtime::ClientListerWatcher>(client(), resources::kConfigMaps, ns()));
  runtime::Informer informer(std::unique_ptr<runtime::ListerWatcher>(counting), runtime::TrimForCache("ConfigMap"),
                             FastOptions());
  auto recorder = std::make_shared<Recorder>();
  informer.AddHandler(recorder);
  informer.Start();
  ASSERT_TRUE(informer.store().WaitForSync({}, 10s));
  EXPECT_EQ(counting->streaming_lists.load(), 1);
  EXPECT_EQ(counting->lists.load(), 0) << "the testenv apiserver streams lists (WatchList): no list request";
  EXPECT_EQ(StoreNames(informer.store()), ServerNames(client(), ns()));
  EXPECT_EQ(StoreNames(informer.store()).size(), 30u);

  // The watch that follows starts at the end bookmark: a change after the sync arrives as one update.
  client().Patch(resources::kConfigMaps, ns(), "cm-7", kube::PatchType::kMerge, {{"data", {{"k", "2"}}}});
  ASSERT_TRUE(WaitFor([&] { return recorder->Saw("update cm-7"); }, 5s)) << ::testing::PrintToString(recorder->calls());
  EXPECT_EQ(informer.watcher().Lists(), 1);
}

TEST_F(RuntimeInformerTest, WatchSeesAddUpdateDeleteInOrder) {
  runtime::Informer informer(
      std::make_unique<runtime::ClientListerWatcher>(client(), resources::kConfigMaps, ns()),
      runtime::TrimForCache("ConfigMap"), FastOptions());
  auto recorder = std::make_shared<Recorder>();
  informer.AddHandler(recorder);
  informer.Start();
  ASSERT_TRUE(informer.store().WaitForSync({}, 10s));

  client().Create(resources::kConfigMaps, ns(), ConfigMap("ordered"));
  client().Patch(resources::kConfigMaps, ns(), "ordered", kube::PatchType::kMerge, {{"data", {{"k", "2"}}}});
  client().Delete(resources::kConfigMaps, ns(), "ordered");

  ASSERT_TRUE(WaitFor([&] { return recorder->Saw("delete ordered"); }, 5s)) << ::testing::PrintToString(recorder->calls());
  std::vector<std::string> mine;
  for (auto& c : recorder->calls()) {
    if (c.ends_with(" ordered")) mine.push_back(c);
  }
  EXPECT_EQ(mine, (std::vector<std::string>{"add ordered", "update ordered", "delete ordered"}));
  EXPECT_EQ(informer.store().Get(ns(), "ordered"), nullptr);
}

TEST_F(RuntimeInformerTest, RelistAfterGoneReportsObjectsDeletedWhileAway) {
  auto gated = new GatedListerWatcher(
      std::make_unique<runtime::ClientListerWatcher>(client(), resources::kConfigMaps, ns()));
  runtime::Informer informer(std::unique_ptr<runtime::ListerWatcher>(gated), runtime::TrimForCache("ConfigMap"),
                             FastOptions());
  auto recorder = std::make_shared<Recorder>();
  informer.AddHandler(recorder);
  client().Create(resources::kConfigMaps, ns(), ConfigMap("stays"));
  client().Create(resources::kConfigMaps, ns(), ConfigMap("deleted-while-away"));
  informer.Start();
  ASSERT_TRUE(informer.store().WaitForSync({}, 10s));
  ASSERT_TRUE(WaitFor([&] { return recorder->Saw("add deleted-while-away"); }, 5s));
  ASSERT_EQ(informer.watcher().Lists(), 1);

  // Away: the watch ends and cannot resume; meanwhile the world changes, etcd
  // is compacted and the apiserver restarts (its watch cache starts over), so
  // the informer's resourceVersion is gone for good.
  gated->Close();
  client().Delete(resources::kConfigMaps, ns(), "deleted-while-away");
  client().Create(resources::kConfigMaps, ns(), ConfigMap("created-while-away"));
  ASSERT_EQ(RunCommand(TestenvScript() + " compact >/dev/null"), 0);
  ASSERT_EQ(RunCommand(TestenvScript() + " stop apiserver >/dev/null"), 0);
  ASSERT_EQ(RunCommand(TestenvScript() + " start apiserver >/dev/null"), 0);
  gated->Open();

  ASSERT_TRUE(WaitFor([&] { return recorder->Saw("delete deleted-while-away"); }, 10s))
      << ::testing::PrintToString(recorder->calls());
  EXPECT_TRUE(WaitFor([&] { return recorder->Saw("add created-while-away"); }, 5s));
  EXPECT_GE(informer.watcher().Lists(), 2) << "a 410 must lead to a relist";
  EXPECT_EQ(StoreNames(informer.store()), ServerNames(client(), ns()));
}

TEST_F(RuntimeInformerTest, RecoversFromAnApiserverRestartMidWatchAndMatchesTheServer) {
  runtime::Informer informer(
      std::make_unique<runtime::ClientListerWatcher>(client(), resources::kConfigMaps, ns()),
      runtime::TrimForCache("ConfigMap"), FastOptions());
  informer.Start();
  ASSERT_TRUE(informer.store().WaitForSync({}, 10s));
  for (int i = 0; i < 5; ++i) client().Create(resources::kConfigMaps, ns(), ConfigMap("before-" + std::to_string(i)));
  ASSERT_TRUE(WaitFor([&] { return StoreNames(informer.store()).size() == 5; }, 5s));

  ASSERT_EQ(RunCommand(TestenvScript() + " stop apiserver >/dev/null"), 0);
  std::this_thread::sleep_for(3s);  // the watch breaks; the watcher backs off and retries
  EXPECT_NE(informer.watcher().State(), runtime::WatcherState::kStopped);
  ASSERT_EQ(RunCommand(TestenvScript() + " start apiserver >/dev/null"), 0);

  client().Delete(resources::kConfigMaps, ns(), "before-0");
  for (int i = 0; i < 3; ++i) client().Create(resources::kConfigMaps, ns(), ConfigMap("after-" + std::to_string(i)));
  client().Patch(resources::kConfigMaps, ns(), "before-1", kube::PatchType::kMerge, {{"data", {{"k", "new"}}}});

  auto expected = ServerNames(client(), ns());
  ASSERT_TRUE(WaitFor([&] { return StoreNames(informer.store()) == expected; }, 10s))
      << "store: " << ::testing::PrintToString(StoreNames(informer.store()))
      << " server: " << ::testing::PrintToString(expected);
  EXPECT_TRUE(WaitFor([&] { return informer.store().Get(ns(), "before-1")->at("data").at("k") == "new"; }, 5s));
}

}  // namespace
}  // namespace tfws::e2e

#include "runtime/informer.h"

namespace tfws::runtime {

Informer::Informer(std::unique_ptr<ListerWatcher> lister_watcher, Transform transform,
                   WatcherOptions options)
    : lister_watcher_(std::move(lister_watcher)),
      store_(std::move(transform)),
      watcher_(*lister_watcher_, store_, std::move(options)) {}

Informer::~Informer() { Stop(); }

void Informer::Start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { watcher_.Run(stop); });
}

void Informer::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

}  // namespace tfws::runtime

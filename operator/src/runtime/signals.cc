#include "runtime/signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "observe/log.h"

namespace tfws::runtime {

std::stop_source InstallShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::stop_source source;
  std::thread([set, source]() mutable {
    observe::Logger log("runtime.signals");
    int signal_number = 0;
    bool first = true;
    while (sigwait(&set, &signal_number) == 0) {
      if (first) {
        log.Info("shutdown signal received: stopping gracefully (send again to exit at once)",
                 {{"signal", signal_number}});
        source.request_stop();
        first = false;
      } else {
        log.Warn("second shutdown signal: exiting now", {{"signal", signal_number}});
        _exit(130);
      }
    }
  }).detach();
  return source;
}

}  // namespace tfws::runtime

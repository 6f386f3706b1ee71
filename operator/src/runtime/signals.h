// Turns SIGTERM/SIGINT into a std::stop_token request.
//
// Call InstallShutdownSignals() once, early in main() BEFORE any other thread
// starts: it blocks the signals in the calling thread (threads created later
// inherit the mask) and waits for them on a dedicated thread. The first
// signal requests stop on the returned source; a second one exits the process
// at once with status 130 (the operator is stuck; kubelet would SIGKILL anyway).
#pragma once

#include <stop_token>

namespace tfws::runtime {

std::stop_source InstallShutdownSignals();

}  // namespace tfws::runtime

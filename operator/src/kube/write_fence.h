// Fencing: the permission of one replica to write, and the transport that
// enforces it.
//
// WriteFence is a sequence of terms (one per period of leadership). The leader
// elector opens a term when it acquires the Lease and extends it at every
// renewal to "last renewal + renew deadline"; the term ends when the elector
// closes it (leadership lost or given up) or, on the clock alone, at that
// instant (a frozen or cut-off replica is fenced without the elector having to
// run). When a term ends its stop_token is requested, and that one token is
// what cancels everything the term started: the workers' passes (between
// steps) and every write request still in flight (the transport closes the
// connection, see HttpRequest::cancel). A closed fence never reopens the same
// term; a later Open starts a new one.
//
// FencedTransport refuses a write (any method but GET) that starts while the
// fence is closed (FencedError, no request sent; never retried) and hands the
// term's token to the rest of the exchange: retries, waits and the wire. Reads
// and watches pass untouched.
//
// Limit: a request whose bytes already left this process (the kernel's socket
// buffer included) may still reach the API server; fencing stops everything
// after that point at once, it cannot recall it.
//
// Thread-safe. The fence runs one thread (its expiry timer, on the Clock).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

#include "kube/api_error.h"
#include "kube/transport.h"
#include "time/clock.h"

namespace tfws::kube {

// A write refused by the fence: retrying cannot help.
class FencedError : public TransportError {
 public:
  using TransportError::TransportError;
};

class WriteFence {
 public:
  explicit WriteFence(time::Clock& clock = time::SystemClock::Instance());
  ~WriteFence();
  WriteFence(const WriteFence&) = delete;
  WriteFence& operator=(const WriteFence&) = delete;

  // Starts a new term open until `until` (ending the current one first, if
  // any); returns its token.
  std::stop_token Open(time::TimePoint until);
  // Moves the current term's end to `until`. False (nothing changes) when no
  // term is open: a term that ended stays ended.
  bool Extend(time::TimePoint until);
  // Ends the current term now (no-op when none is open).
  void Close();
  // The current term's token when a write may start now; nullopt when closed
  // (a term found past its end is ended here, before the timer gets to it).
  std::optional<std::stop_token> Admit();
  bool IsOpen() { return Admit().has_value(); }

 private:
  std::stop_source EndLocked();
  void ExpireTerms(std::stop_token stop);

  time::Clock& clock_;
  std::mutex mu_;
  std::condition_variable_any changed_;
  std::stop_source term_;
  bool open_ = false;
  time::TimePoint until_{};
  std::uint64_t generation_ = 0;  // bumped by every Open/Extend/Close
  std::jthread timer_;            // last: started once the members above exist
};

class FencedTransport final : public Transport {
 public:
  FencedTransport(std::shared_ptr<Transport> inner, std::shared_ptr<WriteFence> fence);

  // Throws FencedError (no request sent) for a write while fenced; a write
  // whose term ends in flight is cancelled and throws FencedError too.
  HttpResponse Send(const HttpRequest& request) override;
  HttpResponse Stream(const HttpRequest& request, const ChunkHandler& on_chunk, std::stop_token stop) override;
  std::string Host() const override { return inner_->Host(); }

 private:
  std::shared_ptr<Transport> inner_;
  std::shared_ptr<WriteFence> fence_;
};

}  // namespace tfws::kube

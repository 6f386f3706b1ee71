#include "kube/write_fence.h"

namespace tfws::kube {

WriteFence::WriteFence(time::Clock& clock) : clock_(clock), term_(std::nostopstate) {
  timer_ = std::jthread([this](std::stop_token stop) { ExpireTerms(stop); });
}

WriteFence::~WriteFence() = default;  // timer_ (declared last) stops and joins first

// Marks the term ended; the caller requests the returned source's stop once
// it has released mu_ (stop callbacks then run without our lock).
std::stop_source WriteFence::EndLocked() {
  open_ = false;
  ++generation_;
  changed_.notify_all();
  return term_;
}

std::stop_token WriteFence::Open(time::TimePoint until) {
  std::stop_source ended(std::nostopstate);
  std::stop_token token;
  {
    std::lock_guard lock(mu_);
    if (open_) ended = EndLocked();
    term_ = std::stop_source();
    open_ = true;
    until_ = until;
    ++generation_;
    changed_.notify_all();
    token = term_.get_token();
  }
  if (ended.stop_possible()) ended.request_stop();
  return token;
}

bool WriteFence::Extend(time::TimePoint until) {
  std::lock_guard lock(mu_);
  if (!open_) return false;
  until_ = until;
  ++generation_;
  changed_.notify_all();
  return true;
}

void WriteFence::Close() {
  std::stop_source ended(std::nostopstate);
  {
    std::lock_guard lock(mu_);
    if (open_) ended = EndLocked();
  }
  if (ended.stop_possible()) ended.request_stop();
}

std::optional<std::stop_token> WriteFence::Admit() {
  std::stop_source ended(std::nostopstate);
  {
    std::lock_guard lock(mu_);
    if (!open_) return std::nullopt;
    if (clock_.Now() < until_) return term_.get_token();
    ended = EndLocked();
  }
  ended.request_stop();
  return std::nullopt;
}

void WriteFence::ExpireTerms(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    const std::uint64_t seen = generation_;
    auto changed = [&] { return generation_ != seen; };
    if (!open_) {
      changed_.wait(lock, stop, changed);  // nothing to time while closed
      continue;
    }
    if (clock_.WaitUntil(lock, changed_, until_, stop, changed) || stop.stop_requested()) continue;
    if (open_ && clock_.Now() >= until_) {
      std::stop_source ended = EndLocked();
      lock.unlock();
      ended.request_stop();
      lock.lock();
    }
  }
}

FencedTransport::FencedTransport(std::shared_ptr<Transport> inner, std::shared_ptr<WriteFence> fence)
    : inner_(std::move(inner)), fence_(std::move(fence)) {}

HttpResponse FencedTransport::Send(const HttpRequest& request) {
  if (request.method == "GET") return inner_->Send(request);
  std::optional<std::stop_token> term = fence_->Admit();
  if (!term) {
    throw FencedError("refused " + request.method + " " + request.path +
                      ": this replica does not hold the leader Lease (fenced)");
  }
  HttpRequest fenced = request;
  fenced.cancel = *term;
  try {
    return inner_->Send(fenced);
  } catch (const FencedError&) {
    throw;
  } catch (const TransportError& e) {
    if (!term->stop_requested()) throw;
    throw FencedError(std::string(e.what()) + " (cancelled in flight: this replica lost the leader Lease)");
  }
}

HttpResponse FencedTransport::Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                                     std::stop_token stop) {
  return inner_->Stream(request, on_chunk, stop);
}

}  // namespace tfws::kube

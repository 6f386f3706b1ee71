// libFuzzer target: the watch stream decoder must never crash, and the events
// it yields must not depend on how the bytes were chunked.
//
// Input: byte 0 seeds the chunk sizes, the rest is the stream.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "kube/watch_decoder.h"

namespace {

using tfws::kube::WatchDecodeError;
using tfws::kube::WatchDecoder;
using tfws::kube::WatchEvent;

struct Outcome {
  std::vector<std::string> events;  // "TYPE <object dump>"
  bool failed = false;
};

Outcome Decode(std::string_view stream, std::size_t first_chunk, std::size_t chunk) {
  Outcome outcome;
  WatchDecoder decoder(/*max_line_bytes=*/4096);
  auto collect = [&](WatchEvent&& e) {
    outcome.events.push_back(e.type + " " + e.object.dump());
    return true;
  };
  try {
    std::size_t pos = 0;
    std::size_t size = first_chunk;
    while (pos < stream.size()) {
      decoder.Feed(stream.substr(pos, size), collect);
      pos += size;
      size = chunk;
    }
  } catch (const WatchDecodeError&) {
    outcome.failed = true;
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t seed = data[0];
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  Outcome whole = Decode(stream, stream.size() + 1, stream.size() + 1);
  Outcome chunked = Decode(stream, seed % 7 + 1, seed % 13 + 1);
  // Events before a failure are identical; a clean run is identical throughout.
  if (!whole.failed && !chunked.failed && whole.events != chunked.events) std::abort();
  std::size_t common = std::min(whole.events.size(), chunked.events.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (whole.events[i] != chunked.events[i]) std::abort();
  }
  return 0;
}

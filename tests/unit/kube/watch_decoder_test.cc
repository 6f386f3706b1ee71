#include "kube/watch_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tfws::kube {
namespace {

const std::string kStream =
    R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"1"}}})"
    "\n"
    R"({"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"2"},"note":"ünïcödé"}})"
    "\r\n"
    "\n"
    R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"3"}}})"
    "\n"
    R"({"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"4"}}})"
    "\n";

std::vector<std::string> Summaries(const std::vector<WatchEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    out.push_back(e.type + "/" + e.object["metadata"]["resourceVersion"].get<std::string>());
  }
  return out;
}

const std::vector<std::string> kExpected{"ADDED/1", "MODIFIED/2", "BOOKMARK/3", "DELETED/4"};

TEST(WatchDecoder, DecodesTheStreamWhateverTheSplitPoint) {
  for (std::size_t split = 0; split <= kStream.size(); ++split) {
    WatchDecoder decoder;
    std::vector<WatchEvent> events;
    auto collect = [&](WatchEvent&& e) {
      events.push_back(std::move(e));
      return true;
    };
    decoder.Feed(std::string_view(kStream).substr(0, split), collect);
    decoder.Feed(std::string_view(kStream).substr(split), collect);
    EXPECT_EQ(Summaries(events), kExpected) << "split at byte " << split;
    EXPECT_TRUE(decoder.AtLineBoundary());
  }
}

TEST(WatchDecoder, DecodesTheStreamFedOneByteAtATime) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  for (char c : kStream) {
    decoder.Feed(std::string_view(&c, 1), [&](WatchEvent&& e) {
      events.push_back(std::move(e));
      return true;
    });
  }
  EXPECT_EQ(Summaries(events), kExpected);
  EXPECT_EQ(events[1].object["note"], "ünïcödé");
}

TEST(WatchDecoder, DecodesEveryPairOfSplitPoints) {
  for (std::size_t a = 0; a <= kStream.size(); a += 3) {
    for (std::size_t b = a; b <= kStream.size(); b += 5) {
      WatchDecoder decoder;
      std::vector<WatchEvent> events;
      auto collect = [&](WatchEvent&& e) {
        events.push_back(std::move(e));
        return true;
      };
      std::string_view s(kStream);
      decoder.Feed(s.substr(0, a), collect);
      decoder.Feed(s.substr(a, b - a), collect);
      decoder.Feed(s.substr(b), collect);
      ASSERT_EQ(Summaries(events), kExpected) << "splits at " << a << " and " << b;
    }
  }
}

TEST(WatchDecoder, StopsWhenTheHandlerReturnsFalse) {
  WatchDecoder decoder;
  int seen = 0;
  bool more = decoder.Feed(kStream, [&](WatchEvent&&) { return ++seen < 2; });
  EXPECT_FALSE(more);
  EXPECT_EQ(seen, 2);
}

TEST(WatchDecoder, KeepsAnUnfinishedLineForTheNextChunk) {
  WatchDecoder decoder;
  int seen = 0;
  decoder.Feed(R"({"type":"ADDED","obj)", [&](WatchEvent&&) { return ++seen, true; });
  EXPECT_EQ(seen, 0);
  EXPECT_FALSE(decoder.AtLineBoundary());
}

TEST(LineDecoder, RejectsALineLongerThanTheBoundWithAClearError) {
  LineDecoder decoder(16);
  auto ignore = [](std::string_view) { return true; };
  EXPECT_NO_THROW(decoder.Feed("0123456789abcdef\n", ignore));
  try {
    decoder.Feed("0123456789", ignore);
    decoder.Feed("abcdefgh", ignore);
    FAIL() << "expected WatchDecodeError";
  } catch (const WatchDecodeError& e) {
    EXPECT_STREQ(e.what(), "watch stream: a line exceeds 16 bytes (18 bytes without a newline)");
  }
}

TEST(LineDecoder, RejectsAnOverlongLineThatEndsInTheSameChunk) {
  LineDecoder decoder(4);
  EXPECT_THROW(decoder.Feed("0123456789\n", [](std::string_view) { return true; }),
               WatchDecodeError);
}

TEST(WatchDecoder, RejectsLinesThatAreNotWatchEvents) {
  auto ignore = [](WatchEvent&&) { return true; };
  EXPECT_THROW(WatchDecoder().Feed("not json\n", ignore), WatchDecodeError);
  EXPECT_THROW(WatchDecoder().Feed("[1,2]\n", ignore), WatchDecodeError);
  EXPECT_THROW(WatchDecoder().Feed(R"({"object":{}})"
                                   "\n",
                                   ignore),
               WatchDecodeError);
  EXPECT_THROW(WatchDecoder().Feed(R"({"type":"ADDED","object":3})"
                                   "\n",
                                   ignore),
               WatchDecodeError);
  // A decode error is a TransportError: the watcher reconnects.
  EXPECT_THROW(WatchDecoder().Feed("{\n", ignore), TransportError);
}

TEST(WatchDecoder, PassesErrorEventsWithTheirStatus) {
  WatchDecoder decoder;
  WatchEvent got;
  decoder.Feed(R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}})"
               "\n",
               [&](WatchEvent&& e) {
                 got = std::move(e);
                 return true;
               });
  EXPECT_EQ(got.type, "ERROR");
  EXPECT_EQ(got.object["code"], 410);
}

}  // namespace
}  // namespace tfws::kube

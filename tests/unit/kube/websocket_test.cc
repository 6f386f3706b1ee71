#include "kube/websocket.h"

#include <gtest/gtest.h>

namespace tfws::kube::websocket {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// A server frame (unmasked) as a real server puts it on the wire.
std::string ServerFrame(uint8_t first_byte, const std::string& payload) {
  std::string frame(1, static_cast<char>(first_byte));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    frame += Bytes({126, static_cast<int>(payload.size() >> 8), static_cast<int>(payload.size() & 0xFF)});
  } else {
    frame.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((payload.size() >> shift) & 0xFF));
  }
  return frame + payload;
}

TEST(WebSocketHandshake, AcceptIsTheRfcExampleValue) {
  EXPECT_EQ(AcceptFor("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, KeysAreFreshSixteenByteNonces) {
  const auto a = NewKey();
  EXPECT_EQ(a.size(), 24u);  // base64 of 16 bytes
  EXPECT_NE(a, NewKey());
}

TEST(WebSocketEncode, MasksAShortFrameAsTheRfcExample) {
  EXPECT_EQ(EncodeClientFrame(Opcode::kText, "Hello", {0x37, 0xfa, 0x21, 0x3d}),
            Bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
}

TEST(WebSocketEncode, UsesTwoAndEightByteLengthsAtTheBoundaries) {
  const std::array<uint8_t, 4> zero{0, 0, 0, 0};
  EXPECT_EQ(EncodeClientFrame(Opcode::kBinary, std::string(125, 'x'), zero).substr(0, 2), Bytes({0x82, 0x80 | 125}));
  EXPECT_EQ(EncodeClientFrame(Opcode::kBinary, std::string(126, 'x'), zero).substr(0, 4),
            Bytes({0x82, 0x80 | 126, 0x00, 126}));
  EXPECT_EQ(EncodeClientFrame(Opcode::kBinary, std::string(65535, 'x'), zero).substr(0, 4),
            Bytes({0x82, 0x80 | 126, 0xFF, 0xFF}));
  const auto big = EncodeClientFrame(Opcode::kBinary, std::string(65536, 'x'), zero);
  EXPECT_EQ(big.substr(0, 10), Bytes({0x82, 0x80 | 127, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(big.size(), 10u + 4u + 65536u);
}

TEST(WebSocketEncode, EveryFrameGetsItsOwnMask) {
  EXPECT_NE(EncodeClientFrame(Opcode::kBinary, "same"), EncodeClientFrame(Opcode::kBinary, "same"));
}

TEST(WebSocketEncode, ClosePayloadIsBigEndianCodeThenReason) {
  EXPECT_EQ(ClosePayload(1000), Bytes({0x03, 0xE8}));
  EXPECT_EQ(ClosePayload(1001, "bye"), Bytes({0x03, 0xE9}) + "bye");
}

TEST(WebSocketReader, ReadsAMessageFedOneByteAtATime) {
  MessageReader reader;
  const auto frame = Bytes({0x81, 0x05}) + "Hello";
  for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
    reader.Feed(frame.substr(i, 1));
    EXPECT_FALSE(reader.Next()) << "after byte " << i;
  }
  reader.Feed(frame.substr(frame.size() - 1));
  auto message = reader.Next();
  ASSERT_TRUE(message);
  EXPECT_EQ(message->opcode, Opcode::kText);
  EXPECT_EQ(message->payload, "Hello");
  EXPECT_FALSE(reader.Next());
}

TEST(WebSocketReader, JoinsFragmentsAndDeliversAPingInBetween) {
  MessageReader reader;
  reader.Feed(Bytes({0x02, 0x03}) + "Hel" + Bytes({0x89, 0x02}) + "hi" + Bytes({0x80, 0x02}) + "lo");
  auto ping = reader.Next();
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->opcode, Opcode::kPing);
  EXPECT_EQ(ping->payload, "hi");
  auto data = reader.Next();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->opcode, Opcode::kBinary);
  EXPECT_EQ(data->payload, "Hello");
}

TEST(WebSocketReader, ReadsSixteenAndSixtyFourBitLengths) {
  MessageReader reader;
  reader.Feed(ServerFrame(0x82, std::string(300, 'a')) + ServerFrame(0x82, std::string(70000, 'b')));
  auto first = reader.Next();
  auto second = reader.Next();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->payload, std::string(300, 'a'));
  EXPECT_EQ(second->payload, std::string(70000, 'b'));
}

TEST(WebSocketReader, RefusesEveryProtocolViolation) {
  const struct {
    const char* rule;
    std::string bytes;
    std::size_t limit = 16u << 20;
  } cases[] = {
      {"masked server frame", EncodeClientFrame(Opcode::kBinary, "x")},
      {"reserved bits", Bytes({0xC2, 0x00})},
      {"unknown opcode", Bytes({0x83, 0x00})},
      {"fragmented control frame", Bytes({0x09, 0x00})},
      {"control frame over 125 bytes", ServerFrame(0x89, std::string(126, 'p'))},
      {"continuation without a start", Bytes({0x80, 0x00})},
      {"new message inside a fragmented one", Bytes({0x02, 0x01}) + "a" + Bytes({0x82, 0x01}) + "b"},
      {"announced size over the limit (nothing buffered)", Bytes({0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0}), 1000},
      {"joined fragments over the limit",
       ServerFrame(0x02, std::string(600, 'a')) + ServerFrame(0x80, std::string(600, 'b')), 1000},
  };
  for (const auto& c : cases) {
    MessageReader reader(c.limit);
    reader.Feed(c.bytes);
    EXPECT_THROW(reader.Next(), ProtocolError) << c.rule;
  }
}

}  // namespace
}  // namespace tfws::kube::websocket

#include "kube/port_forward.h"

#include <gtest/gtest.h>

namespace tfws::kube {
namespace {

std::string Channel(int channel, std::string bytes) { return std::string(1, static_cast<char>(channel)) + bytes; }
const std::string kPort2222("\xAE\x08", 2);  // 2222 little-endian

TEST(PortForwardPath, IsThePodsPortforwardSubresourceWithThePort) {
  EXPECT_EQ(PortForwardPath("team-a", "alice-0", 2222), "/api/v1/namespaces/team-a/pods/alice-0/portforward?ports=2222");
}

TEST(PortForwardDataMessage, PrefixesChannelZero) {
  EXPECT_EQ(PortForwardDataMessage("SSH-2.0"), std::string("\0SSH-2.0", 8));
}

TEST(PortForwardDemux, DropsThePortPrefixOfEachChannel) {
  PortForwardDemux demux(2222);
  EXPECT_EQ(demux.Take(Channel(0, kPort2222)).data, "");
  EXPECT_EQ(demux.Take(Channel(1, kPort2222)).error, "");
  EXPECT_EQ(demux.Take(Channel(0, "SSH-2.0-OpenSSH")).data, "SSH-2.0-OpenSSH");
  // Later bytes that look like a port are data.
  EXPECT_EQ(demux.Take(Channel(0, kPort2222)).data, kPort2222);
}

TEST(PortForwardDemux, ThePrefixMaySplitAcrossMessagesOrShareOneWithData) {
  PortForwardDemux demux(2222);
  EXPECT_EQ(demux.Take(Channel(0, kPort2222.substr(0, 1))).data, "");
  EXPECT_EQ(demux.Take(Channel(0, kPort2222.substr(1) + "hello")).data, "hello");
  EXPECT_EQ(demux.Take(Channel(1, kPort2222 + "failed to dial 127.0.0.1:2222")).error,
            "failed to dial 127.0.0.1:2222");
}

TEST(PortForwardDemux, RefusesAnotherPortOrAnUnknownChannel) {
  PortForwardDemux demux(8888);
  EXPECT_THROW(demux.Take(Channel(0, kPort2222)), PortForwardError);
  PortForwardDemux other(2222);
  EXPECT_THROW(other.Take(Channel(2, kPort2222)), PortForwardError);
}

TEST(PortForwardDemux, EmptyMessagesCarryNothing) {
  PortForwardDemux demux(2222);
  auto parts = demux.Take("");
  EXPECT_EQ(parts.data, "");
  EXPECT_EQ(parts.error, "");
}

TEST(ResponseHead, ParsesStatusAndLowerCasesHeaderNames) {
  auto head = ParseResponseHead(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept:  abc= \r\n"
      "Sec-WebSocket-Protocol: v4.channel.k8s.io");
  EXPECT_EQ(head.status, 101);
  EXPECT_EQ(head.headers["upgrade"], "websocket");
  EXPECT_EQ(head.headers["sec-websocket-accept"], "abc=");
  EXPECT_EQ(head.headers["sec-websocket-protocol"], kPortForwardProtocol);
}

TEST(ResponseHead, RefusesWhatIsNotHttp) {
  EXPECT_THROW(ParseResponseHead("SSH-2.0-OpenSSH_9.2"), PortForwardError);
  EXPECT_THROW(ParseResponseHead("HTTP/2 200"), PortForwardError);
}

TEST(ResponseBody, ByContentLengthWaitsForAllBytes) {
  auto head = ParseResponseHead("HTTP/1.1 403 Forbidden\r\nContent-Length: 5");
  EXPECT_FALSE(CompleteBody(head, "{\"a\"", false));
  EXPECT_EQ(CompleteBody(head, "{\"a\"}", false), "{\"a\"}");
  EXPECT_EQ(CompleteBody(head, "{\"a", true), "{\"a");  // cut short: what came
}

TEST(ResponseBody, ChunkedIsDecoded) {
  auto head = ParseResponseHead("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked");
  EXPECT_FALSE(CompleteBody(head, "3\r\n{\"a\r\n", false));
  EXPECT_EQ(CompleteBody(head, "3\r\n{\"a\r\n2\r\n\"}\r\n0\r\n\r\n", false), "{\"a\"}");
}

TEST(ResponseBody, WithoutLengthItEndsWithTheConnection) {
  auto head = ParseResponseHead("HTTP/1.1 400 Bad Request");
  EXPECT_FALSE(CompleteBody(head, "partial", false));
  EXPECT_EQ(CompleteBody(head, "all of it", true), "all of it");
}

}  // namespace
}  // namespace tfws::kube

// Drives a SendTimeHistory as TransportFeedbackAdapter does (packets added,
// sent, reported received or lost in transport-wide feedback, aged out) from a
// seeded random sequence, and prints every answer it gives. Built once against
// upstream's send_time_history.cc and once against Amphi's
// (scripts/worker-patches): the two outputs must be identical
// (scripts/send-time-history.test.ts).
//
//   send_time_history_check <seed>

#include "modules/congestion_controller/rtp/send_time_history.h"
#include "modules/rtp_rtcp/include/rtp_rtcp_defines.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>

using namespace webrtc;

static void Print(const absl::optional<PacketFeedback>& p) {
  if (!p) {
    printf(" none");
    return;
  }
  printf(" [%lld %lld %lld %lld %zu %zu]", (long long)p->creation_time_ms,
         (long long)p->send_time_ms, (long long)p->long_sequence_number,
         (long long)p->arrival_time_ms, p->payload_size,
         p->unacknowledged_data);
}

int main(int argc, char** argv) {
  const int seed = argc > 1 ? atoi(argv[1]) : 1;
  std::mt19937 rng(seed);
  auto r = [&](int n) { return static_cast<int>(rng() % n); };

  // 60 s as TransportFeedbackAdapter, or short so that packets age out.
  SendTimeHistory history(r(2) ? 60000 : 1500);
  int64_t now = 1000;
  // Often just below the 16-bit wrap.
  uint16_t seq = static_cast<uint16_t>(r(2) ? 65000 : r(65536));
  uint16_t reported = seq;  // next sequence number feedback reports
  uint16_t sent = seq;      // next sequence number to be sent
  const int lossPct = r(4) == 0 ? 30 : r(3);
  // A receiver answering promptly, or one that lags (or never answers).
  const bool prompt = r(2);
  const int silentPct = r(5) == 0 ? 100 : 0;

  for (int i = 0; i < 40000; ++i) {
    const int op = r(100);
    if (op < 50) {
      now += r(4);
      if (r(500) == 0)
        now += 3000;
      history.RemoveOld(now);
      if (r(2000) == 0)
        seq += r(3000);  // a jump in sequence numbers
      PacketFeedback packet(now, seq, 100 + r(1100), 0, 0, PacedPacketInfo());
      history.AddNewPacket(packet);
      printf("add %u\n", seq);
      seq++;
    } else if (op < 75) {
      if (sent != seq) {
        for (int m = 1 + r(prompt ? 40 : 2); m > 0 && sent != seq; --m) {
          const auto status = history.OnSentPacket(sent, now);
          printf("sent %u %d\n", sent, static_cast<int>(status));
          sent++;
        }
      } else if (r(10) == 0) {
        // Sent again, or never added.
        const auto status = history.OnSentPacket(sent - 1 - r(20), now);
        printf("resent %d\n", static_cast<int>(status));
      }
    } else if (op < 77) {
      history.AddUntracked(50, now - r(3));
    } else if (op < 85) {
      const uint16_t q = static_cast<uint16_t>(seq - r(600));
      printf("get %u", q);
      Print(history.GetPacket(q));
      printf("\n");
    } else if (op < 95) {
      if (r(100) < silentPct)
        continue;
      const int pending = static_cast<uint16_t>(sent - reported);
      if (pending <= 0)
        continue;
      const int count = prompt ? pending : 1 + r(std::min(pending, 40));
      if (r(50) == 0)
        reported -= r(10);  // reported again
      for (int j = 0; j < count; ++j, ++reported) {
        const bool received = r(100) >= lossPct;
        PacketFeedback packet(
            received ? now - r(100) : PacketFeedback::kNotReceived, reported);
        const bool found = history.GetFeedback(&packet, received);
        printf("feedback %u %d", reported, found);
        Print(packet);
        printf("\n");
      }
      if (r(30) == 0) {
        // A packet reported lost long ago arrives after all.
        const uint16_t late = static_cast<uint16_t>(reported - 50 - r(2000));
        PacketFeedback packet(now, late);
        const bool found = history.GetFeedback(&packet, true);
        // How far behind the newest packet it is: the ring spans 512.
        printf("late %d behind %d", found, static_cast<uint16_t>(seq - late));
        Print(packet);
        printf("\n");
      }
    } else {
      const auto first = history.GetFirstUnackedSendTime();
      printf("in flight %lld first unacked %lld\n",
             (long long)history.GetOutstandingData(0, 0).bytes(),
             first ? (long long)*first : -7LL);
    }
  }
  return 0;
}

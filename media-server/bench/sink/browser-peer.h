/*
 * browser-peer: what a browser's receiving side sends back to the SFU, for
 * the classrooms rtp-sink stands in for (see browser-peer.c).
 */
#pragma once
#include <stdint.h>

/* Wall-clock microseconds (CLOCK_REALTIME, the clock of the kernel's receive timestamps). */
int64_t peer_now_us(void);

/* Sets how often each peer sends transport-wide feedback and receiver reports. */
void peers_configure(int64_t twcc_interval_us, int64_t rr_interval_us);

/*
 * Registers a classroom: "<src_port> <twcc_ext_id> <suite> <tx_key_hex> <rx_key_hex>
 * <ssrc>:<clock_rate>[,...]". Its RTCP leaves from socket fd to 127.0.0.1:src_port.
 * Returns NULL, or a message saying what is wrong.
 */
const char *peer_add(const char *args, int fd);

/* Per datagram from a registered peer's port: cap bytes were read of a len-byte datagram. */
void peer_on_rtp(uint16_t src_port, const uint8_t *data, uint32_t cap, uint32_t len,
                 int64_t arrival_us);
void peer_on_rtcp(uint16_t src_port, uint8_t *data, uint32_t cap, uint32_t len, int64_t now_us);

/* Sends what is due; returns when the next thing is due (or INT64_MAX when no peer). */
int64_t peers_service(int64_t now_us);

struct peer_counters {
  uint64_t peers;
  uint64_t feedback_sent;   /* RTPFB transport-cc packets */
  uint64_t feedback_statuses; /* packet statuses they carried */
  uint64_t feedback_lost;     /* of which "not received" */
  uint64_t rr_sent;         /* compound RR + SDES */
  uint64_t sr_received;     /* SRTCP sender reports decrypted */
  uint64_t srtcp_errors;    /* SRTCP that did not decrypt, or could not be protected */
  uint64_t send_errors;
  uint64_t late_feedback_us; /* summed lateness of feedback against its schedule */
};
extern struct peer_counters peer_counters;

/*
 * browser-peer: the RTCP a browser's receiving side sends back, per classroom,
 * so that a plain SRTP sink costs the SFU what a browser classroom does.
 *
 * A browser that negotiated transport-cc reports every transport-wide
 * sequence number it received with its arrival time (RTPFB, FMT 15,
 * draft-holmer-rmcat-transport-wide-cc-extensions-01), every 50 ms at the
 * bitrates of a class (libwebrtc's RemoteEstimatorProxy: 5 % of the incoming
 * rate, clamped to 50..250 ms), and sends receiver reports about once a
 * second (RFC 3550, compound RR + SDES CNAME). The SFU runs its send-side
 * bandwidth estimation (GoogCC) on the former and its RTT on the latter.
 *
 * Arrival times are the kernel's receive timestamps (SO_TIMESTAMPNS), not the
 * time the sink got round to reading: the sink batches its reads, and
 * batched times would look like queuing delay to the estimator.
 * Each peer's schedule starts at a random phase, as independent browsers do.
 * RTCP is protected with libsrtp (the peer's own key, given to the SFU's
 * transport as the remote one); the SFU's SRTCP sender reports are
 * decrypted to fill the reports' LSR/DLSR, from which the SFU computes RTT.
 */
#define _GNU_SOURCE
#include "browser-peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_MEDIA 4
/* Arrival times kept per peer: 50 ms of a 1 Mbps class is ~10 packets; probing bursts more. */
#define TWCC_RING 1024
/* Statuses in one feedback; older unreported packets are skipped (as a browser that fell behind). */
#define TWCC_MAX_STATUSES 400
#define RTCP_BUF 1600
#define SRTCP_TRAILER 64 /* index + tag room for any suite */

struct peer_counters peer_counters;

struct media {
  uint32_t ssrc;
  uint32_t clock_rate;
  int started;
  uint16_t base_seq;
  uint16_t max_seq;
  uint32_t cycles;
  uint64_t received;
  uint64_t expected_prior;
  uint64_t received_prior;
  int64_t last_transit; /* in RTP clock units */
  uint32_t jitter_q4;   /* RFC 3550 A.8, scaled by 16 */
  uint32_t lsr;         /* middle 32 bits of the last SR's NTP time */
  int64_t lsr_at_us;
};

struct peer {
  uint16_t src_port;
  int fd;
  uint8_t ext_id;
  uint32_t ssrc; /* this receiver's own SSRC, as the sender of its RTCP */
  srtp_t tx;     /* protects what this peer sends */
  srtp_t rx;     /* unprotects the SFU's SRTCP */
  int n_media;
  struct media media[MAX_MEDIA];
  /* transport-wide feedback */
  int twcc_started;
  uint16_t twcc_base; /* first sequence number not yet reported */
  uint16_t twcc_max;  /* highest received */
  uint8_t fb_count;
  uint8_t got[TWCC_RING];
  uint16_t got_seq[TWCC_RING];
  int64_t arrival_us[TWCC_RING];
  int64_t next_fb_us;
  int64_t next_rr_us;
};

static struct peer *by_port[65536];
static struct peer **peers;
static size_t n_peers, cap_peers;
static int64_t twcc_interval_us = 50000;
static int64_t rr_interval_us = 1000000;
static int srtp_ready;

int64_t peer_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void peers_configure(int64_t twcc_us, int64_t rr_us) {
  if (twcc_us > 0) twcc_interval_us = twcc_us;
  if (rr_us > 0) rr_interval_us = rr_us;
}

static int hex_key(const char *hex, uint8_t *out, size_t max, size_t *len) {
  size_t n = strlen(hex);
  if (n % 2 || n / 2 > max) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (uint8_t)v;
  }
  *len = n / 2;
  return 0;
}

/* The policies mediasoup's SrtpSession uses for each suite. */
static int set_policy(srtp_policy_t *p, const char *suite) {
  if (strcmp(suite, "AEAD_AES_256_GCM") == 0) {
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
    srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
  } else if (strcmp(suite, "AEAD_AES_128_GCM") == 0) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
  } else if (strcmp(suite, "AES_CM_128_HMAC_SHA1_80") == 0) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
  } else if (strcmp(suite, "AES_CM_128_HMAC_SHA1_32") == 0) {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
  } else {
    return -1;
  }
  return 0;
}

static int make_session(srtp_t *s, const char *suite, uint8_t *key, size_t key_len,
                        srtp_ssrc_type_t dir) {
  srtp_policy_t p;
  memset(&p, 0, sizeof(p));
  if (set_policy(&p, suite) != 0) return -1;
  if ((int)key_len != p.rtp.cipher_key_len) return -1;
  p.ssrc.type = dir;
  p.key = key;
  p.window_size = 1024;
  p.allow_repeat_tx = 1;
  return srtp_create(s, &p) == srtp_err_status_ok ? 0 : -1;
}

const char *peer_add(const char *args, int fd) {
  if (!srtp_ready) {
    if (srtp_init() != srtp_err_status_ok) return "srtp_init failed";
    srtp_ready = 1;
  }
  unsigned port, ext;
  char suite[32], tx_hex[160], rx_hex[160], media[256];
  if (sscanf(args, "%u %u %31s %159s %159s %255s", &port, &ext, suite, tx_hex, rx_hex, media) != 6 ||
      port == 0 || port > 65535 || ext == 0 || ext > 14)
    return "usage: add <src_port> <twcc_ext_id> <suite> <tx_key_hex> <rx_key_hex> <ssrc>:<clock>[,...]";
  if (by_port[port]) return "peer already added";
  struct peer *p = calloc(1, sizeof(*p));
  if (!p) return "out of memory";
  p->src_port = (uint16_t)port;
  p->fd = fd;
  p->ext_id = (uint8_t)ext;
  p->ssrc = (uint32_t)random() | 1u;
  for (char *tok = strtok(media, ","); tok && p->n_media < MAX_MEDIA; tok = strtok(NULL, ",")) {
    unsigned long ssrc, clock;
    if (sscanf(tok, "%lu:%lu", &ssrc, &clock) != 2 || clock == 0) {
      free(p);
      return "bad <ssrc>:<clock>";
    }
    p->media[p->n_media].ssrc = (uint32_t)ssrc;
    p->media[p->n_media].clock_rate = (uint32_t)clock;
    p->n_media++;
  }
  uint8_t tx_key[64], rx_key[64];
  size_t tx_len, rx_len;
  if (hex_key(tx_hex, tx_key, sizeof(tx_key), &tx_len) || hex_key(rx_hex, rx_key, sizeof(rx_key), &rx_len)) {
    free(p);
    return "bad key";
  }
  if (make_session(&p->tx, suite, tx_key, tx_len, ssrc_any_outbound) != 0) {
    free(p);
    return "cannot make the outbound SRTP session (suite or key length)";
  }
  if (make_session(&p->rx, suite, rx_key, rx_len, ssrc_any_inbound) != 0) {
    srtp_dealloc(p->tx);
    free(p);
    return "cannot make the inbound SRTP session (suite or key length)";
  }
  int64_t now = peer_now_us();
  p->next_fb_us = now + random() % twcc_interval_us;
  p->next_rr_us = now + random() % rr_interval_us;
  if (n_peers == cap_peers) {
    cap_peers = cap_peers ? cap_peers * 2 : 1024;
    struct peer **np = realloc(peers, cap_peers * sizeof(*peers));
    if (!np) return "out of memory";
    peers = np;
  }
  peers[n_peers++] = p;
  by_port[port] = p;
  peer_counters.peers = n_peers;
  return NULL;
}

/* The transport-wide sequence number of an RTP packet (one- or two-byte header extensions). */
static int twcc_seq(const struct peer *p, const uint8_t *d, uint32_t cap, uint16_t *seq) {
  if (!(d[0] & 0x10)) return 0;
  uint32_t off = 12 + 4u * (d[0] & 0x0f);
  if (off + 4 > cap) return 0;
  uint16_t profile = (uint16_t)(d[off] << 8 | d[off + 1]);
  uint32_t end = off + 4 + 4u * (uint32_t)(d[off + 2] << 8 | d[off + 3]);
  if (end > cap) end = cap;
  off += 4;
  if (profile == 0xBEDE) {
    while (off < end) {
      uint8_t id = d[off] >> 4, l = (uint8_t)((d[off] & 0x0f) + 1);
      if (id == 0) {
        off++;
        continue;
      }
      if (id == 15) break;
      if (id == p->ext_id && l == 2 && off + 3 <= end) {
        *seq = (uint16_t)(d[off + 1] << 8 | d[off + 2]);
        return 1;
      }
      off += 1u + l;
    }
  } else if ((profile & 0xfff0) == 0x1000) {
    while (off + 2 <= end) {
      uint8_t id = d[off], l = d[off + 1];
      if (id == 0) {
        off++;
        continue;
      }
      if (id == p->ext_id && l == 2 && off + 4 <= end) {
        *seq = (uint16_t)(d[off + 2] << 8 | d[off + 3]);
        return 1;
      }
      off += 2u + l;
    }
  }
  return 0;
}

void peer_on_rtp(uint16_t src_port, const uint8_t *d, uint32_t cap, uint32_t len, int64_t arrival_us) {
  struct peer *p = by_port[src_port];
  if (!p || cap < 12) return;
  (void)len;
  uint16_t seq;
  if (twcc_seq(p, d, cap, &seq)) {
    int fresh = 1;
    if (!p->twcc_started) {
      p->twcc_started = 1;
      p->twcc_base = seq;
      p->twcc_max = seq;
    } else if ((int16_t)(seq - p->twcc_max) > 0) {
      p->twcc_max = seq;
    } else if ((int16_t)(seq - p->twcc_base) < 0) {
      fresh = 0; /* already reported as lost: too late */
    }
    if (fresh) {
      uint32_t i = seq % TWCC_RING;
      p->got[i] = 1;
      p->got_seq[i] = seq;
      p->arrival_us[i] = arrival_us;
    }
  }
  uint32_t ssrc = (uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11];
  for (int k = 0; k < p->n_media; k++) {
    struct media *m = &p->media[k];
    if (m->ssrc != ssrc) continue;
    uint16_t s = (uint16_t)(d[2] << 8 | d[3]);
    uint32_t ts = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
    int64_t arrival = arrival_us * (int64_t)m->clock_rate / 1000000;
    int64_t transit = (int64_t)(uint32_t)((uint32_t)arrival - ts);
    if (!m->started) {
      m->started = 1;
      m->base_seq = s;
      m->max_seq = s;
      m->last_transit = transit;
    } else {
      uint16_t delta = (uint16_t)(s - m->max_seq);
      if (delta > 0 && delta < 3000) {
        if (s < m->max_seq) m->cycles++;
        m->max_seq = s;
      }
      int64_t dt = (int64_t)(int32_t)(uint32_t)(transit - m->last_transit);
      if (dt < 0) dt = -dt;
      m->last_transit = transit;
      m->jitter_q4 += (uint32_t)dt - ((m->jitter_q4 + 8) >> 4);
    }
    m->received++;
    break;
  }
}

void peer_on_rtcp(uint16_t src_port, uint8_t *d, uint32_t cap, uint32_t len, int64_t now_us) {
  struct peer *p = by_port[src_port];
  if (!p) return;
  if (cap < len) return; /* truncated read: cannot decrypt */
  int n = (int)len;
  if (srtp_unprotect_rtcp(p->rx, d, &n) != srtp_err_status_ok) {
    peer_counters.srtcp_errors++;
    return;
  }
  for (int off = 0; off + 4 <= n;) {
    int words = d[off + 2] << 8 | d[off + 3];
    int plen = 4 * (words + 1);
    if (off + plen > n) break;
    if (d[off + 1] == 200 && plen >= 28) {
      uint32_t ssrc = (uint32_t)d[off + 4] << 24 | (uint32_t)d[off + 5] << 16 |
                      (uint32_t)d[off + 6] << 8 | d[off + 7];
      uint32_t lsr = (uint32_t)d[off + 10] << 24 | (uint32_t)d[off + 11] << 16 |
                     (uint32_t)d[off + 12] << 8 | d[off + 13];
      for (int k = 0; k < p->n_media; k++) {
        if (p->media[k].ssrc == ssrc) {
          p->media[k].lsr = lsr;
          p->media[k].lsr_at_us = now_us;
        }
      }
      peer_counters.sr_received++;
    }
    off += plen;
  }
}

static void put16(uint8_t *b, uint16_t v) {
  b[0] = (uint8_t)(v >> 8);
  b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v) {
  b[0] = (uint8_t)(v >> 24);
  b[1] = (uint8_t)(v >> 16);
  b[2] = (uint8_t)(v >> 8);
  b[3] = (uint8_t)v;
}

static void send_rtcp(struct peer *p, uint8_t *buf, int len) {
  if (srtp_protect_rtcp(p->tx, buf, &len) != srtp_err_status_ok) {
    peer_counters.srtcp_errors++;
    return;
  }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(p->src_port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (sendto(p->fd, buf, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof(a)) < 0)
    peer_counters.send_errors++;
}

/*
 * One transport-wide feedback for what arrived since the last one and by
 * `upto_us`: a sink that runs late (a busy machine) still sends the feedback
 * a browser would have sent at each due time, each with what had arrived then.
 */
static void send_feedback(struct peer *p, int64_t upto_us) {
  if (!p->twcc_started || (int16_t)(p->twcc_max - p->twcc_base) < 0) return;
  /* The last packet that had arrived by upto_us (arrival order is sequence order). */
  uint16_t last = p->twcc_base;
  int any = 0;
  for (uint16_t seq = p->twcc_base;; seq++) {
    uint32_t i = seq % TWCC_RING;
    if (p->got[i] && p->got_seq[i] == seq) {
      if (p->arrival_us[i] > upto_us) break;
      last = seq;
      any = 1;
    }
    if (seq == p->twcc_max) break;
  }
  if (!any) return;
  uint16_t count = (uint16_t)(last - p->twcc_base + 1);
  if (count > TWCC_MAX_STATUSES) {
    p->twcc_base = (uint16_t)(p->twcc_max - TWCC_MAX_STATUSES + 1);
    count = TWCC_MAX_STATUSES;
  }
  static uint8_t status[TWCC_MAX_STATUSES];
  static int16_t delta[TWCC_MAX_STATUSES];
  int64_t ref_ticks = -1, last_ticks = 0; /* 250 us ticks */
  uint32_t ref_time = 0;
  for (uint16_t k = 0; k < count; k++) {
    uint16_t seq = (uint16_t)(p->twcc_base + k);
    uint32_t i = seq % TWCC_RING;
    if (!p->got[i] || p->got_seq[i] != seq) {
      status[k] = 0;
      peer_counters.feedback_lost++;
      continue;
    }
    int64_t ticks = p->arrival_us[i] / 250;
    if (ref_ticks < 0) {
      /* Reference time: 64 ms units, 24 bits; the first delta is from it. */
      ref_time = (uint32_t)((p->arrival_us[i] / 64000) & 0xFFFFFF);
      ref_ticks = (p->arrival_us[i] / 64000) * 256;
      last_ticks = ref_ticks;
    }
    int64_t dt = ticks - last_ticks;
    if (dt > 32767) dt = 32767;
    if (dt < -32768) dt = -32768;
    last_ticks += dt;
    delta[k] = (int16_t)dt;
    status[k] = dt >= 0 && dt <= 255 ? 1 : 2;
    p->got[i] = 0;
  }
  static uint8_t buf[RTCP_BUF + SRTCP_TRAILER];
  uint8_t *b = buf;
  b[0] = 0x80 | 15;
  b[1] = 205;
  put32(b + 4, p->ssrc);
  put32(b + 8, p->n_media ? p->media[0].ssrc : 0);
  put16(b + 12, p->twcc_base);
  put16(b + 14, count);
  put32(b + 16, ref_time << 8 | p->fb_count++);
  int off = 20;
  /* Packet status chunks: a run-length chunk for a run of 14+ (or the rest),
   * else a 1-bit vector of 14 (received small / not received), else a 2-bit vector of 7. */
  for (int k = 0; k < count;) {
    int run = 1;
    while (k + run < count && run < 8191 && status[k + run] == status[k]) run++;
    if (run >= 14 || k + run == count) {
      put16(b + off, (uint16_t)(status[k] << 13 | run));
      k += run;
    } else {
      int small_only = 1;
      for (int j = k; j < k + 14 && j < count; j++) small_only &= status[j] <= 1;
      uint16_t chunk;
      if (small_only) {
        chunk = 0x8000;
        for (int j = 0; j < 14; j++) {
          if (k + j < count && status[k + j]) chunk |= (uint16_t)(1 << (13 - j));
        }
        k += 14;
      } else {
        chunk = 0xC000;
        for (int j = 0; j < 7; j++) {
          if (k + j < count) chunk |= (uint16_t)(status[k + j] << (2 * (6 - j)));
        }
        k += 7;
      }
      put16(b + off, chunk);
    }
    off += 2;
  }
  for (int k = 0; k < count; k++) {
    if (status[k] == 1) {
      b[off++] = (uint8_t)delta[k];
    } else if (status[k] == 2) {
      put16(b + off, (uint16_t)delta[k]);
      off += 2;
    }
  }
  while (off % 4) b[off++] = 0;
  put16(b + 2, (uint16_t)(off / 4 - 1));
  peer_counters.feedback_sent++;
  peer_counters.feedback_statuses += count;
  p->twcc_base = (uint16_t)(last + 1);
  send_rtcp(p, buf, off);
}

/* A compound receiver report (RR with a block per stream, SDES CNAME), RFC 3550 6.4.2. */
static void send_rr(struct peer *p, int64_t now_us) {
  static uint8_t buf[RTCP_BUF + SRTCP_TRAILER];
  uint8_t *b = buf;
  int blocks = 0;
  int off = 8;
  for (int k = 0; k < p->n_media; k++) {
    struct media *m = &p->media[k];
    if (!m->started) continue;
    uint64_t ext_max = (uint64_t)m->cycles << 16 | m->max_seq;
    uint64_t expected = ext_max - m->base_seq + 1;
    int64_t lost = (int64_t)expected - (int64_t)m->received;
    if (lost > 0x7FFFFF) lost = 0x7FFFFF;
    if (lost < -0x800000) lost = -0x800000;
    uint64_t exp_int = expected - m->expected_prior;
    uint64_t rec_int = m->received - m->received_prior;
    m->expected_prior = expected;
    m->received_prior = m->received;
    int64_t lost_int = (int64_t)exp_int - (int64_t)rec_int;
    uint8_t fraction = exp_int == 0 || lost_int <= 0 ? 0 : (uint8_t)((lost_int << 8) / (int64_t)exp_int);
    uint32_t dlsr = 0;
    if (m->lsr_at_us) dlsr = (uint32_t)((now_us - m->lsr_at_us) * 65536 / 1000000);
    put32(b + off, m->ssrc);
    put32(b + off + 4, (uint32_t)fraction << 24 | ((uint32_t)lost & 0xFFFFFF));
    put32(b + off + 8, (uint32_t)ext_max);
    put32(b + off + 12, m->jitter_q4 >> 4);
    put32(b + off + 16, m->lsr);
    put32(b + off + 20, dlsr);
    off += 24;
    blocks++;
  }
  if (!blocks) return;
  b[0] = (uint8_t)(0x80 | blocks);
  b[1] = 201;
  put16(b + 2, (uint16_t)(off / 4 - 1));
  put32(b + 4, p->ssrc);
  /* SDES: one chunk, CNAME, end of items, padded to 32 bits. */
  uint8_t *s = b + off;
  char cname[24];
  int cl = snprintf(cname, sizeof(cname), "classroom-%u", p->src_port);
  s[0] = 0x81;
  s[1] = 202;
  put32(s + 4, p->ssrc);
  int so = 8;
  s[so++] = 1;
  s[so++] = (uint8_t)cl;
  memcpy(s + so, cname, (size_t)cl);
  so += cl;
  s[so++] = 0;
  while (so % 4) s[so++] = 0;
  put16(s + 2, (uint16_t)(so / 4 - 1));
  off += so;
  peer_counters.rr_sent++;
  send_rtcp(p, buf, off);
}

int64_t peers_service(int64_t now_us) {
  int64_t next = INT64_MAX;
  for (size_t k = 0; k < n_peers; k++) {
    struct peer *p = peers[k];
    /* Each feedback owed since the last service (a few at most; beyond, the sink stalled). */
    for (int owed = 0; p->next_fb_us <= now_us; owed++) {
      if (owed == 8) {
        p->next_fb_us = now_us + twcc_interval_us;
        break;
      }
      peer_counters.late_feedback_us += (uint64_t)(now_us - p->next_fb_us);
      send_feedback(p, p->next_fb_us);
      p->next_fb_us += twcc_interval_us;
    }
    if (p->next_rr_us <= now_us) {
      send_rr(p, now_us);
      p->next_rr_us += rr_interval_us;
      if (p->next_rr_us <= now_us) p->next_rr_us = now_us + rr_interval_us;
    }
    if (p->next_fb_us < next) next = p->next_fb_us;
    if (p->next_rr_us < next) next = p->next_rr_us;
  }
  return next;
}

/*
 * rtp-sink: a fast UDP sink that counts RTP/RTCP packets per stream.
 *
 * Usage: rtp-sink <first_port> <n_sockets> [max_coalesce_us]
 *
 * Binds n_sockets UDP sockets on 127.0.0.1:first_port .. first_port+n-1 and
 * reads them with epoll + recvmmsg, looking only at the first 16 bytes of each
 * datagram (the RTP header stays in clear with SRTP, so no decryption is
 * needed). RTP streams are tracked per (source port, SSRC); RTCP (rtcp-mux,
 * (byte1 & 0x7f) in 64..95) is only counted.
 *
 * Control is line based on stdin/stdout, handled in the same single-threaded
 * epoll loop as the sockets:
 *   on start   -> "ready"
 *   "stats"    -> one line of JSON (all sockets are drained first)
 *   "reset"    -> forget all streams, zero the counters -> "ok"
 *   "add <dst_port> <src_port> <twcc_ext_id> <suite> <tx_key_hex> <rx_key_hex> <ssrc>:<clock>[,...]"
 *              -> "ok": from now on the classroom whose SFU transport sends from
 *              src_port to dst_port is answered as a browser answers (transport-wide
 *              feedback and receiver reports over SRTCP, see browser-peer.c)
 *   "feedback <twcc_ms> <rr_ms>" -> "ok": how often each such classroom reports
 *   "quit"/EOF -> exit 0
 *
 * max_coalesce_us (default 50000, 0 disables): with thousands of sockets each
 * carrying ~170 packets/s, reading every socket as soon as it becomes readable
 * costs one recvmmsg per datagram. The loop therefore naps between epoll_wait
 * calls, adapting the nap so that each ready socket yields on average 8..64
 * datagrams per read (nap doubles, up to max_coalesce_us, while batches are
 * smaller; halves while larger, down to none). Under a heavy per-socket rate
 * the nap shrinks, so little is ever queued in the kernel. "stats" and "reset" drain every
 * socket first (up to 16384 datagrams each), so they see what arrived before
 * the command. "kernelDrops" (SO_MEMINFO) counts datagrams the kernel dropped
 * because a sink socket's receive buffer was full.
 *
 * Once a classroom is added, every socket records the kernel's receive time of
 * each datagram (SO_TIMESTAMPNS), reads up to CAP_BYTES of it (the RTP header
 * extensions, whole RTCP packets), and the nap never outlasts the next report due.
 *
 * Build: gcc -O2 -Wall -Wextra -o rtp-sink rtp-sink.c browser-peer.c -lsrtp2
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <poll.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "browser-peer.h"

#define BATCH 256
#define HDR_BYTES 16   /* what counting needs: the fixed RTP header */
#define CAP_BYTES 1500 /* what answering as a browser needs: extensions, whole RTCP */
#define MAX_EVENTS 8192
#define RCVBUF_BYTES (64 * 1024 * 1024)
#define DRAIN_MAX_BATCHES 64 /* per socket and command: bounds a reply under overload */

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#define MEMINFO_DROPS 8 /* SK_MEMINFO_DROPS in linux/sock_diag.h */
#define MEMINFO_VARS 16

/* Stream table: open addressing, linear probing, at most half full. */
#define TABLE_BITS 16
#define TABLE_SIZE (1u << TABLE_BITS)
#define MAX_STREAMS (TABLE_SIZE / 2) /* 32768 */

/* RFC 3550 A.1 thresholds. */
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define SEQ_MOD 65536u

struct stream {
  uint32_t ssrc;
  uint16_t src_port;
  uint16_t dst_port;   /* local port the stream was last seen on */
  uint16_t base_seq;   /* first sequence number (extended = base_seq, cycle 0) */
  uint16_t max_seq;    /* highest sequence number seen (low 16 bits) */
  uint32_t cycles;     /* number of 16-bit wrap-arounds of max_seq */
  uint32_t bad_seq;    /* RFC 3550 resync candidate, SEQ_MOD + 1 when none */
  uint8_t used;
  uint8_t pt;
  uint64_t expected_prior; /* expected packets before the last resync */
  uint64_t received;
  uint64_t bytes;
  uint64_t gaps;
  uint64_t out_of_order; /* duplicates, late packets, unexplained jumps */
};

static struct stream *table;
static uint32_t *order; /* table indexes in insertion order */
static uint32_t n_streams;

static uint64_t total_packets;
static uint64_t rtcp_packets;
static uint64_t invalid_packets;   /* too short or not RTP version 2 */
static uint64_t untracked_packets; /* RTP of new streams once the table is full */

static int n_socks;
static int *socks;
static uint16_t *sock_port;
static uint32_t *sock_drops_base; /* kernel drop counter of each socket at the last reset */

static struct mmsghdr msgs[BATCH];
static struct iovec iovs[BATCH];
static uint8_t bufs[BATCH][CAP_BYTES];
static struct sockaddr_in addrs[BATCH];
static char ctrl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
/* Set once a classroom is answered as a browser: timestamps, longer reads. */
static int answering;

static struct timespec start_ts;

/* Prints "rtp-sink: <message>[: strerror(err)]" and exits 1. */
static void die(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "rtp-sink: ");
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (err) fprintf(stderr, ": %s", strerror(err));
  fputc('\n', stderr);
  exit(1);
}

static inline uint32_t hash_key(uint16_t port, uint32_t ssrc) {
  uint64_t k = ((uint64_t)port << 32) | ssrc;
  return (uint32_t)((k * 0x9E3779B97F4A7C15ull) >> (64 - TABLE_BITS));
}

/* Returns the stream for (port, ssrc), creating it; NULL when the table is full. */
static inline struct stream *lookup(uint16_t port, uint32_t ssrc, int *created) {
  uint32_t i = hash_key(port, ssrc);
  for (;;) {
    struct stream *s = &table[i];
    if (!s->used) {
      if (n_streams >= MAX_STREAMS) return NULL;
      s->used = 1;
      s->ssrc = ssrc;
      s->src_port = port;
      order[n_streams++] = i;
      *created = 1;
      return s;
    }
    if (s->ssrc == ssrc && s->src_port == port) return s;
    i = (i + 1) & (TABLE_SIZE - 1);
  }
}

static inline uint64_t highest_ext(const struct stream *s) {
  return ((uint64_t)s->cycles << 16) | s->max_seq;
}

static inline uint64_t expected_of(const struct stream *s) {
  return s->expected_prior + (highest_ext(s) - s->base_seq + 1);
}

static inline void on_rtp(const uint8_t *h, uint32_t len, uint16_t src_port, uint16_t dst_port) {
  uint16_t seq = (uint16_t)((h[2] << 8) | h[3]);
  uint32_t ssrc = ((uint32_t)h[8] << 24) | ((uint32_t)h[9] << 16) | ((uint32_t)h[10] << 8) | h[11];
  int created = 0;
  struct stream *s = lookup(src_port, ssrc, &created);
  if (!s) {
    untracked_packets++;
    return;
  }
  s->received++;
  s->bytes += len;
  s->pt = h[1] & 0x7f;
  s->dst_port = dst_port;
  if (created) {
    s->base_seq = seq;
    s->max_seq = seq;
    s->cycles = 0;
    s->bad_seq = SEQ_MOD + 1;
    return;
  }
  uint16_t udelta = (uint16_t)(seq - s->max_seq);
  if (udelta == 0) {
    s->out_of_order++; /* duplicate of the highest */
  } else if (udelta < MAX_DROPOUT) {
    if (seq < s->max_seq) s->cycles++; /* wrapped */
    if (udelta > 1) s->gaps++;
    s->max_seq = seq;
  } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
    /* Very large jump. Two sequential packets => the source restarted:
     * keep what was expected so far and start again at the previous packet. */
    if (seq == s->bad_seq) {
      s->expected_prior = expected_of(s) - 1; /* the previous packet is re-based below */
      s->base_seq = (uint16_t)(seq - 1);
      s->max_seq = seq;
      s->cycles = seq == 0 ? 1 : 0;
      s->bad_seq = SEQ_MOD + 1;
    } else {
      s->bad_seq = (seq + 1) & (SEQ_MOD - 1);
      s->out_of_order++;
    }
  } else {
    s->out_of_order++; /* late or duplicate packet */
  }
}

/* The kernel's receive time of a datagram, or now when it gave none. */
static int64_t arrival_of(struct msghdr *m) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      struct timespec ts;
      memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    }
  }
  return peer_now_us();
}

static inline void on_datagram(uint8_t *h, uint32_t len, uint16_t src_port, uint16_t dst_port,
                               struct msghdr *m) {
  total_packets++;
  if (len < 12 || (h[0] >> 6) != 2) {
    invalid_packets++;
    return;
  }
  uint8_t pt = h[1] & 0x7f;
  uint32_t cap = len < CAP_BYTES ? len : CAP_BYTES;
  if (pt >= 64 && pt <= 95) {
    rtcp_packets++;
    if (answering) peer_on_rtcp(src_port, h, cap, len, arrival_of(m));
    return;
  }
  on_rtp(h, len, src_port, dst_port);
  if (answering) peer_on_rtp(src_port, h, cap, len, arrival_of(m));
}

/* Reads one batch from socket idx. Returns the number of datagrams, 0 when none. */
static int read_batch(int idx) {
  for (int i = 0; i < BATCH; i++) {
    msgs[i].msg_hdr.msg_namelen = sizeof(addrs[i]);
    msgs[i].msg_hdr.msg_flags = 0;
    msgs[i].msg_hdr.msg_controllen = answering ? sizeof(ctrl[i]) : 0;
  }
  int n = recvmmsg(socks[idx], msgs, BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    die(errno, "recvmmsg on port %u", sock_port[idx]);
  }
  uint16_t dst_port = sock_port[idx];
  for (int i = 0; i < n; i++) {
    on_datagram(bufs[i], msgs[i].msg_len, ntohs(addrs[i].sin_port), dst_port, &msgs[i].msg_hdr);
  }
  return n;
}

/* ---- output ---- */

static char *out;
static size_t out_len, out_cap;

static void out_reserve(size_t extra) {
  if (out_len + extra <= out_cap) return;
  size_t cap = out_cap ? out_cap : 65536;
  while (cap < out_len + extra) cap *= 2;
  char *p = realloc(out, cap);
  if (!p) die(0, "out of memory");
  out = p;
  out_cap = cap;
}

static void out_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out_fmt(const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    size_t room = out_cap - out_len;
    int k = vsnprintf(out + out_len, room, fmt, ap);
    va_end(ap);
    if (k < 0) die(0, "vsnprintf failed");
    if ((size_t)k < room) {
      out_len += (size_t)k;
      return;
    }
    out_reserve((size_t)k + 1);
  }
}

static void out_flush(void) {
  size_t off = 0;
  while (off < out_len) {
    ssize_t w = write(STDOUT_FILENO, out + off, out_len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        struct pollfd p = {.fd = STDOUT_FILENO, .events = POLLOUT};
        poll(&p, 1, -1);
        continue;
      }
      exit(0); /* parent went away */
    }
    off += (size_t)w;
  }
  out_len = 0;
}

/* Datagrams the kernel dropped on this socket (receive buffer full), since creation. */
static uint32_t socket_drops(int idx) {
  uint32_t mi[MEMINFO_VARS] = {0};
  socklen_t len = sizeof(mi);
  if (getsockopt(socks[idx], SOL_SOCKET, SO_MEMINFO, mi, &len) != 0 ||
      len <= MEMINFO_DROPS * sizeof(uint32_t))
    return 0;
  return mi[MEMINFO_DROPS];
}

static uint64_t us_of(struct timeval tv) {
  return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static void print_stats(void) {
  out_reserve(4096 + (size_t)n_streams * 256);
  out_fmt("{\"streams\":[");
  for (uint32_t k = 0; k < n_streams; k++) {
    const struct stream *s = &table[order[k]];
    uint64_t expected = expected_of(s);
    out_fmt("%s{\"srcPort\":%u,\"dstPort\":%u,\"ssrc\":%u,\"pt\":%u,\"received\":%llu,"
            "\"expected\":%llu,\"lost\":%lld,\"gaps\":%llu,\"outOfOrder\":%llu,\"bytes\":%llu,"
            "\"firstSeq\":%u,\"highestSeq\":%llu}",
            k ? "," : "", s->src_port, s->dst_port, s->ssrc, s->pt,
            (unsigned long long)s->received, (unsigned long long)expected,
            (long long)expected - (long long)s->received, (unsigned long long)s->gaps,
            (unsigned long long)s->out_of_order, (unsigned long long)s->bytes, s->base_seq,
            (unsigned long long)highest_ext(s));
  }
  uint64_t drops = 0;
  for (int i = 0; i < n_socks; i++) drops += (uint32_t)(socket_drops(i) - sock_drops_base[i]);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t wall = (uint64_t)(now.tv_sec - start_ts.tv_sec) * 1000000u +
                  (uint64_t)((now.tv_nsec - start_ts.tv_nsec) / 1000);
  out_fmt("],\"answering\":{\"peers\":%llu,\"feedback\":%llu,\"feedbackStatuses\":%llu,\"feedbackLost\":%llu,"
          "\"receiverReports\":%llu,\"senderReports\":%llu,\"srtcpErrors\":%llu,"
          "\"sendErrors\":%llu,\"feedbackLateUs\":%llu}",
          (unsigned long long)peer_counters.peers, (unsigned long long)peer_counters.feedback_sent,
          (unsigned long long)peer_counters.feedback_statuses,
          (unsigned long long)peer_counters.feedback_lost,
          (unsigned long long)peer_counters.rr_sent, (unsigned long long)peer_counters.sr_received,
          (unsigned long long)peer_counters.srtcp_errors,
          (unsigned long long)peer_counters.send_errors,
          (unsigned long long)peer_counters.late_feedback_us);
  out_fmt(",\"rtcp\":%llu,\"totalPackets\":%llu,\"invalid\":%llu,\"untracked\":%llu,"
          "\"kernelDrops\":%llu,\"cpuUserUs\":%llu,\"cpuSysUs\":%llu,\"wallUs\":%llu}\n",
          (unsigned long long)rtcp_packets, (unsigned long long)total_packets,
          (unsigned long long)invalid_packets, (unsigned long long)untracked_packets,
          (unsigned long long)drops, (unsigned long long)us_of(ru.ru_utime),
          (unsigned long long)us_of(ru.ru_stime), (unsigned long long)wall);
  out_flush();
}

/* Reads what is queued on every socket, at most DRAIN_MAX_BATCHES batches each so
 * that a reply cannot be held up forever by a sink that is not keeping up. */
static void drain_all(void) {
  for (int i = 0; i < n_socks; i++) {
    for (int b = 0; b < DRAIN_MAX_BATCHES && read_batch(i) == BATCH; b++) {
    }
  }
}

static void reset_all(void) {
  memset(table, 0, sizeof(struct stream) * TABLE_SIZE);
  n_streams = 0;
  total_packets = rtcp_packets = invalid_packets = untracked_packets = 0;
  for (int i = 0; i < n_socks; i++) sock_drops_base[i] = socket_drops(i);
  uint64_t peers_now = peer_counters.peers;
  memset(&peer_counters, 0, sizeof(peer_counters));
  peer_counters.peers = peers_now;
}

/* From the first classroom answered on: kernel receive times, reads long enough for RTCP. */
static void start_answering(void) {
  if (answering) return;
  answering = 1;
  for (int i = 0; i < n_socks; i++) {
    int on = 1;
    if (setsockopt(socks[i], SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0)
      die(errno, "SO_TIMESTAMPNS on port %u", sock_port[i]);
  }
  for (int i = 0; i < BATCH; i++) iovs[i].iov_len = CAP_BYTES;
}

static void add_peer(const char *args) {
  unsigned dst_port;
  int used = 0;
  if (sscanf(args, "%u %n", &dst_port, &used) != 1) {
    out_fmt("error usage: add <dst_port> <src_port> ...\n");
    return;
  }
  int fd = -1;
  for (int i = 0; i < n_socks; i++) {
    if (sock_port[i] == dst_port) fd = socks[i];
  }
  if (fd < 0) {
    out_fmt("error no sink socket on port %u\n", dst_port);
    return;
  }
  start_answering();
  const char *err = peer_add(args + used, fd);
  if (err) out_fmt("error %s\n", err);
  else out_fmt("ok\n");
}

/* ---- control ---- */

static char cmd_buf[4096];
static size_t cmd_len;

static void handle_command(const char *line) {
  if (strcmp(line, "stats") == 0) {
    drain_all();
    print_stats();
  } else if (strcmp(line, "reset") == 0) {
    drain_all();
    reset_all();
    out_fmt("ok\n");
    out_flush();
  } else if (strncmp(line, "add ", 4) == 0) {
    add_peer(line + 4);
    out_flush();
  } else if (strncmp(line, "feedback ", 9) == 0) {
    long twcc_ms, rr_ms;
    if (sscanf(line + 9, "%ld %ld", &twcc_ms, &rr_ms) == 2 && twcc_ms > 0 && rr_ms > 0) {
      peers_configure(twcc_ms * 1000, rr_ms * 1000);
      out_fmt("ok\n");
    } else {
      out_fmt("error usage: feedback <twcc_ms> <rr_ms>\n");
    }
    out_flush();
  } else if (strcmp(line, "quit") == 0) {
    exit(0);
  } else if (line[0] != '\0') {
    out_fmt("error unknown command\n");
    out_flush();
  }
}

static void on_stdin(void) {
  ssize_t r = read(STDIN_FILENO, cmd_buf + cmd_len, sizeof(cmd_buf) - 1 - cmd_len);
  if (r < 0) {
    if (errno == EINTR || errno == EAGAIN) return;
    exit(0);
  }
  if (r == 0) exit(0); /* EOF */
  cmd_len += (size_t)r;
  size_t start = 0;
  for (size_t i = 0; i < cmd_len; i++) {
    if (cmd_buf[i] == '\n') {
      cmd_buf[i] = '\0';
      if (i > start && cmd_buf[i - 1] == '\r') cmd_buf[i - 1] = '\0';
      handle_command(cmd_buf + start);
      start = i + 1;
    }
  }
  memmove(cmd_buf, cmd_buf + start, cmd_len - start);
  cmd_len -= start;
  if (cmd_len == sizeof(cmd_buf) - 1) cmd_len = 0; /* overlong line: drop it */
}

/* ---- setup ---- */

static long parse_num(const char *s, const char *what, long lo, long hi) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || end == s || v < lo || v > hi) die(0, "invalid %s: %s", what, s);
  return v;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4) {
    fprintf(stderr, "usage: rtp-sink <first_port> <n_sockets> [max_coalesce_us]\n");
    return 2;
  }
  long first_port = parse_num(argv[1], "first_port", 1, 65535);
  long n = parse_num(argv[2], "n_sockets", 1, 65535);
  long max_nap_us = argc == 4 ? parse_num(argv[3], "max_coalesce_us", 0, 1000000) : 50000;
  if (first_port + n - 1 > 65535) die(0, "port range %ld..%ld exceeds 65535", first_port, first_port + n - 1);
  n_socks = (int)n;

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)n + 64 ? (rlim_t)n + 64
                                                                                : rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  table = calloc(TABLE_SIZE, sizeof(struct stream));
  order = calloc(MAX_STREAMS, sizeof(uint32_t));
  socks = calloc((size_t)n, sizeof(int));
  sock_port = calloc((size_t)n, sizeof(uint16_t));
  sock_drops_base = calloc((size_t)n, sizeof(uint32_t));
  if (!table || !order || !socks || !sock_port || !sock_drops_base)
    die(0, "out of memory");

  for (int i = 0; i < BATCH; i++) {
    iovs[i].iov_base = bufs[i];
    iovs[i].iov_len = HDR_BYTES;
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &addrs[i];
    msgs[i].msg_hdr.msg_control = ctrl[i];
  }

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die(errno, "epoll_create1");

  int small_buf_warned = 0;
  for (int i = 0; i < n_socks; i++) {
    long port = first_port + i;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die(errno, "socket for port %ld", port);
    int sz = RCVBUF_BYTES;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0) {
      sz = RCVBUF_BYTES;
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
      if (!small_buf_warned) {
        int got = 0;
        socklen_t gl = sizeof(got);
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl);
        fprintf(stderr, "rtp-sink: SO_RCVBUFFORCE not permitted, receive buffer is %d bytes\n",
                got);
        small_buf_warned = 1;
      }
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
      die(errno, "bind 127.0.0.1:%ld failed", port);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die(errno, "epoll_ctl port %ld", port);
    socks[i] = fd;
    sock_port[i] = (uint16_t)port;
  }

  int have_stdin = 1;
  {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, STDIN_FILENO, &ev) != 0) {
      fprintf(stderr, "rtp-sink: stdin is not pollable (%s), control disabled\n", strerror(errno));
      have_stdin = 0;
    }
  }
  (void)have_stdin;

  clock_gettime(CLOCK_MONOTONIC, &start_ts);
  out_reserve(65536);
  out_fmt("ready\n");
  out_flush();

  static struct epoll_event events[MAX_EVENTS];
  long nap_us = 0;
  int64_t next_due_us = INT64_MAX; /* the next report a classroom owes */
  for (;;) {
    int timeout_ms = -1;
    if (answering) {
      int64_t now = peer_now_us();
      if (now >= next_due_us) {
        /* What has arrived goes into the reports due: read it first. */
        drain_all();
        next_due_us = peers_service(now);
        now = peer_now_us();
      }
      if (next_due_us != INT64_MAX) timeout_ms = (int)((next_due_us - now + 999) / 1000);
      if (timeout_ms < 0) timeout_ms = 0;
    }
    int ne = epoll_wait(ep, events, MAX_EVENTS, timeout_ms);
    if (ne < 0) {
      if (errno == EINTR) continue;
      die(errno, "epoll_wait");
    }
    long ready_socks = 0;
    long pkts = 0;
    int stdin_ready = 0;
    for (int e = 0; e < ne; e++) {
      uint32_t idx = events[e].data.u32;
      if (idx == UINT32_MAX) {
        stdin_ready = 1;
        continue;
      }
      ready_socks++;
      /* A short batch means the socket was drained; level-triggered epoll
       * reports it again when more arrives, so no extra EAGAIN call. The
       * batch cap keeps one flooded socket from starving the others. */
      for (int b = 0; b < 16; b++) {
        int got = read_batch((int)idx);
        pkts += got;
        if (got < BATCH) break;
      }
    }
    if (stdin_ready) {
      on_stdin();
      if (answering) next_due_us = 0; /* a classroom may have been added: look again */
    }
    if (max_nap_us > 0 && ready_socks > 0) {
      if (pkts < 8 * ready_socks) {
        nap_us = nap_us ? nap_us * 2 : 250;
        if (nap_us > max_nap_us) nap_us = max_nap_us;
      } else if (pkts > 64 * ready_socks) {
        nap_us /= 2;
        if (nap_us < 50) nap_us = 0;
      }
      long this_nap = nap_us;
      if (answering && next_due_us != INT64_MAX) {
        int64_t until = next_due_us - peer_now_us();
        if (until < this_nap) this_nap = until > 0 ? (long)until : 0;
      }
      if (this_nap > 0 && !stdin_ready) {
        struct timespec nap = {.tv_sec = this_nap / 1000000, .tv_nsec = (this_nap % 1000000) * 1000};
        nanosleep(&nap, NULL);
      }
    }
  }
}

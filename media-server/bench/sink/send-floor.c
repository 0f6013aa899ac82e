/*
 * send-floor: what one forwarded packet costs at the least, with no SFU at
 * all: encrypt its payload as SRTP would (one AES-256-GCM pass, or AES-128-CTR
 * + HMAC-SHA1 for the stock suite, with OpenSSL like the worker's libsrtp) and
 * send it over loopback UDP, one sendto per packet. The fan-out bench prints
 * it beside the worker's cost per packet: the worker cannot go below it.
 *
 * Usage: send-floor <first_port> <n_ports> <packets_per_sec> <seconds> <gcm|cm>
 * Sends a class's mix (121 video packets of 1,150 bytes for 50 audio packets
 * of 140) from 64 sockets to the sink's ports, paced in 1 ms slices, then
 * prints one line of JSON: packets, cpu_us (user + system), wall_us.
 *
 * Build: gcc -O2 -Wall -Wextra -o send-floor send-floor.c -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SOCKETS 64
#define VIDEO_BYTES 1150
#define AUDIO_BYTES 140

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t cpu_us(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
         (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: send-floor <first_port> <n_ports> <packets_per_sec> <seconds> <gcm|cm>\n");
    return 2;
  }
  int first_port = atoi(argv[1]), n_ports = atoi(argv[2]);
  double rate = atof(argv[3]), seconds = atof(argv[4]);
  int gcm = strcmp(argv[5], "gcm") == 0;
  if (first_port <= 0 || n_ports <= 0 || rate <= 0 || seconds <= 0) return 2;

  int socks[SOCKETS];
  for (int i = 0; i < SOCKETS; i++) {
    socks[i] = socket(AF_INET, SOCK_DGRAM, 0);
    if (socks[i] < 0) {
      perror("socket");
      return 1;
    }
    int sz = 4 * 1024 * 1024;
    setsockopt(socks[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
  }
  uint8_t key[32], iv[12], auth_key[20];
  for (size_t i = 0; i < sizeof(key); i++) key[i] = (uint8_t)(i * 7 + 1);
  memset(iv, 3, sizeof(iv));
  memset(auth_key, 5, sizeof(auth_key));
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  /* One HMAC context, re-keyed by reuse as libsrtp keeps its own. */
  EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *mac_ctx = EVP_MAC_CTX_new(hmac);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
                         OSSL_PARAM_construct_end()};
  EVP_MAC_init(mac_ctx, auth_key, sizeof(auth_key), params);
  if (gcm) EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv);
  else EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key, iv);

  static uint8_t pkt[1500], out[1600];
  memset(pkt, 0x5a, sizeof(pkt));
  pkt[0] = 0x80;
  pkt[1] = 96;

  uint64_t sent = 0;
  const int64_t start = now_us();
  const uint64_t cpu0 = cpu_us();
  const int64_t end = start + (int64_t)(seconds * 1e6);
  for (int64_t t = now_us(); t < end; t = now_us()) {
    uint64_t due = (uint64_t)((double)(t - start) * rate / 1e6);
    while (sent < due) {
      size_t len = sent % 171 < 121 ? VIDEO_BYTES : AUDIO_BYTES;
      int outl = 0;
      iv[11] = (uint8_t)sent;
      memcpy(out, pkt, 12);
      if (gcm) {
        /* SRTP AEAD: header as associated data, payload encrypted, 16-byte tag. */
        EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv);
        EVP_EncryptUpdate(ctx, NULL, &outl, pkt, 12);
        EVP_EncryptUpdate(ctx, out + 12, &outl, pkt + 12, (int)len - 12);
        EVP_EncryptFinal_ex(ctx, out + 12 + outl, &outl);
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + len);
        len += 16;
      } else {
        /* AES-CM + HMAC-SHA1-80 over header and payload. */
        EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv);
        EVP_EncryptUpdate(ctx, out + 12, &outl, pkt + 12, (int)len - 12);
        size_t maclen = 0;
        uint8_t mac[20];
        EVP_MAC_init(mac_ctx, NULL, 0, NULL);
        EVP_MAC_update(mac_ctx, out, len);
        EVP_MAC_final(mac_ctx, mac, &maclen, sizeof(mac));
        memcpy(out + len, mac, 10);
        len += 10;
      }
      struct sockaddr_in a = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)(first_port + sent % (uint64_t)n_ports))};
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (sendto(socks[sent % SOCKETS], out, len, 0, (struct sockaddr *)&a, sizeof(a)) < 0 &&
          errno != ENOBUFS && errno != EAGAIN) {
        perror("sendto");
        return 1;
      }
      sent++;
    }
    struct timespec slice = {0, 1000000};
    nanosleep(&slice, NULL);
  }
  printf("{\"packets\":%llu,\"cpuUs\":%llu,\"wallUs\":%lld}\n", (unsigned long long)sent,
         (unsigned long long)(cpu_us() - cpu0), (long long)(now_us() - start));
  return 0;
}

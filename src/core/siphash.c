#include <stdint.h>

#include <openssl/crypto.h>

#include "siphash.h"

/* Little-endian loads and stores written out byte by byte, with no
 * alignment assumed: GCC and Clang turn each into one load or store on
 * little-endian CPUs (and a byte swap on big-endian ones); other compilers
 * may keep the bytes, which is as correct and a little slower. */
static inline uint64_t
load64_le(const unsigned char *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24
           | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48
           | (uint64_t)p[7] << 56;
}

static inline void
store64_le(unsigned char *p, uint64_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
    p[4] = (unsigned char)(v >> 32);
    p[5] = (unsigned char)(v >> 40);
    p[6] = (unsigned char)(v >> 48);
    p[7] = (unsigned char)(v >> 56);
}

static inline uint64_t
rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

/* One SipRound over the state v[0..3]. */
static inline void
sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = rotl(v[1], 13);
    v[1] ^= v[0];
    v[0] = rotl(v[0], 32);
    v[2] += v[3];
    v[3] = rotl(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = rotl(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = rotl(v[1], 17);
    v[1] ^= v[2];
    v[2] = rotl(v[2], 32);
}

/* Absorbs one 64-bit message word: c = 2 rounds. */
static inline void
sip_compress(uint64_t v[4], uint64_t m)
{
    v[3] ^= m;
    sip_round(v);
    sip_round(v);
    v[0] ^= m;
}

/* d = 4 rounds, then the state's XOR. */
static inline uint64_t
sip_finalize(uint64_t v[4])
{
    for (int i = 0; i < 4; i++) {
        sip_round(v);
    }
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

void
trcap_siphash(const unsigned char key[TRCAP_SIPHASH_KEY_SIZE],
              const unsigned char *in, size_t n,
              unsigned char out[TRCAP_SIPHASH_SIZE])
{
    /* What depends on the key or the message, in one place to wipe. */
    struct {
        uint64_t k0, k1, v[4];
        unsigned char last[8];
    } s = {0, 0, {0, 0, 0, 0}, {0}};
    size_t whole = n - n % 8;

    s.k0 = load64_le(key);
    s.k1 = load64_le(key + 8);
    s.v[0] = UINT64_C(0x736f6d6570736575) ^ s.k0;
    s.v[1] = UINT64_C(0x646f72616e646f6d) ^ s.k1 ^ 0xee;  /* 0xee: the 128-bit output */
    s.v[2] = UINT64_C(0x6c7967656e657261) ^ s.k0;
    s.v[3] = UINT64_C(0x7465646279746573) ^ s.k1;
    for (size_t i = 0; i < whole; i += 8) {
        sip_compress(s.v, load64_le(in + i));
    }
    /* The last word: the 0-7 bytes left, and the length's low byte on top. */
    for (size_t i = whole; i < n; i++) {
        s.last[i - whole] = in[i];
    }
    s.last[7] = (unsigned char)n;
    sip_compress(s.v, load64_le(s.last));
    s.v[2] ^= 0xee;
    store64_le(out, sip_finalize(s.v));
    s.v[1] ^= 0xdd;
    store64_le(out + 8, sip_finalize(s.v));
    OPENSSL_cleanse(&s, sizeof s);
}

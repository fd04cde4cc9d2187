#include <stdint.h>

#include <openssl/crypto.h>

#include "siphash.h"

static uint64_t
load64_le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static void
store64_le(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
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
    uint64_t k0 = load64_le(key), k1 = load64_le(key + 8);
    uint64_t v[4] = {
        UINT64_C(0x736f6d6570736575) ^ k0,
        UINT64_C(0x646f72616e646f6d) ^ k1 ^ 0xee,  /* 0xee: the 128-bit output */
        UINT64_C(0x6c7967656e657261) ^ k0,
        UINT64_C(0x7465646279746573) ^ k1,
    };
    unsigned char last[8] = {0};
    size_t whole = n - n % 8;
    uint64_t m;

    for (size_t i = 0; i < whole; i += 8) {
        sip_compress(v, load64_le(in + i));
    }
    /* The last word: the 0-7 bytes left, and the length's low byte on top. */
    for (size_t i = whole; i < n; i++) {
        last[i - whole] = in[i];
    }
    last[7] = (unsigned char)n;
    m = load64_le(last);
    sip_compress(v, m);
    v[2] ^= 0xee;
    store64_le(out, sip_finalize(v));
    v[1] ^= 0xdd;
    store64_le(out + 8, sip_finalize(v));

    OPENSSL_cleanse(v, sizeof v);
    OPENSSL_cleanse(&k0, sizeof k0);
    OPENSSL_cleanse(&k1, sizeof k1);
    OPENSSL_cleanse(&m, sizeof m);
    OPENSSL_cleanse(last, sizeof last);
}

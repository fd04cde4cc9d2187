/*
 * The C floor for benchmarks/bench.py: HMAC-SHA256 over a token's signing
 * input with OpenSSL 3, the key prepared once, and a hot memcpy of the same
 * bytes.  Nothing of twilio-trcap is linked in: this is what any C program
 * pays for the same signature.  It also measures the machine's own ceiling
 * for two threads: the same MACs in two threads at once.
 *
 *     hmac_floor KEYFILE INPUTFILE...
 *
 * then, one request per line on stdin:
 *
 *     WHAT INDEX LOOPS      WHAT is mac (EVP_MAC), mac2 (the same in two
 *                           threads, LOOPS each, with a context each), md
 *                           (RFC 2104 over EVP_MD, two prepared SHA-256
 *                           states) or memcpy
 *
 * and it answers each with the seconds the LOOPS operations took (for mac2:
 * the wall time over 2, the time per MAC when two threads share the work, as
 * bench.py reports mint_many() in two threads).  bench.py interleaves these
 * requests with its Python measurements.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define MAX_INPUTS 8

typedef struct {
    unsigned char *data;
    size_t length;
} blob;

static double
seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int
read_file(const char *path, blob *out)
{
    FILE *f = fopen(path, "rb");
    long n;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0) {
        if (f) {
            fclose(f);
        }
        return -1;
    }
    out->length = (size_t)n;
    out->data = malloc(out->length ? out->length : 1);
    if (out->data == NULL || fread(out->data, 1, out->length, f) != out->length) {
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

/* Keeps the compiler from dropping work whose result is unused, or from
 * hoisting a copy it can see is the same every time. */
static volatile unsigned char sink;
static void *(*volatile copy_bytes)(void *, const void *, size_t) = memcpy;

/* LOOPS MACs of one input with a context of its own. */
typedef struct {
    EVP_MAC_CTX *ctx;
    const blob *in;
    long loops;
} mac_job;

static void
mac_loop(EVP_MAC_CTX *ctx, const blob *in, long loops)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    size_t outlen;

    for (long i = 0; i < loops; i++) {
        EVP_MAC_init(ctx, NULL, 0, NULL);
        EVP_MAC_update(ctx, in->data, in->length);
        EVP_MAC_final(ctx, out, &outlen, sizeof out);
        sink ^= out[0];
    }
}

static void *
mac_thread(void *arg)
{
    mac_job *job = arg;
    mac_loop(job->ctx, job->in, job->loops);
    return NULL;
}

/* mac2: two threads, each its own copy of the keyed context; -1 if a
 * thread or a context could not be made. */
static int
mac_two_threads(EVP_MAC_CTX *keyed, const blob *in, long loops)
{
    mac_job jobs[2] = {{NULL, in, loops}, {NULL, in, loops}};
    pthread_t threads[2];
    int started = 0, status = 0;

    for (int t = 0; t < 2; t++) {
        jobs[t].ctx = EVP_MAC_CTX_dup(keyed);
        if (jobs[t].ctx == NULL) {
            status = -1;
        }
    }
    for (; status == 0 && started < 2; started++) {
        if (pthread_create(&threads[started], NULL, mac_thread, &jobs[started]) != 0) {
            status = -1;
            break;
        }
    }
    for (int t = 0; t < started; t++) {
        pthread_join(threads[t], NULL);
    }
    for (int t = 0; t < 2; t++) {
        EVP_MAC_CTX_free(jobs[t].ctx);
    }
    return status;
}

int
main(int argc, char **argv)
{
    blob key, inputs[MAX_INPUTS];
    int ninputs = argc - 2;
    char what[16];
    int index;
    long loops;
    unsigned char out[EVP_MAX_MD_SIZE], block[64] = {0};
    unsigned int mdlen;

    if (argc < 3 || ninputs > MAX_INPUTS || read_file(argv[1], &key) < 0) {
        fprintf(stderr, "usage: hmac_floor KEYFILE INPUTFILE... (at most %d)\n", MAX_INPUTS);
        return 2;
    }
    for (int i = 0; i < ninputs; i++) {
        if (read_file(argv[i + 2], &inputs[i]) < 0) {
            fprintf(stderr, "hmac_floor: cannot read %s\n", argv[i + 2]);
            return 2;
        }
    }

    /* EVP_MAC: keyed once; each MAC re-initialises without re-keying. */
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *mctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    /* EVP_MD: the states after K ^ ipad and K ^ opad (RFC 2104), copied
     * for each MAC; keys here are at most one block. */
    EVP_MD *sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    EVP_MD_CTX *inner = EVP_MD_CTX_new(), *outer = EVP_MD_CTX_new(), *run = EVP_MD_CTX_new();
    if (mctx == NULL || !EVP_MAC_init(mctx, key.data, key.length, params) || sha256 == NULL
        || inner == NULL || outer == NULL || run == NULL || key.length > sizeof block) {
        fprintf(stderr, "hmac_floor: OpenSSL set-up failed\n");
        return 1;
    }
    memcpy(block, key.data, key.length);
    for (size_t i = 0; i < sizeof block; i++) {
        block[i] ^= 0x36;
    }
    EVP_DigestInit_ex(inner, sha256, NULL);
    EVP_DigestUpdate(inner, block, sizeof block);
    for (size_t i = 0; i < sizeof block; i++) {
        block[i] ^= 0x36 ^ 0x5c;
    }
    EVP_DigestInit_ex(outer, sha256, NULL);
    EVP_DigestUpdate(outer, block, sizeof block);

    printf("ready\n");
    fflush(stdout);
    while (scanf("%15s %d %ld", what, &index, &loops) == 3) {
        const blob *in = &inputs[index < 0 || index >= ninputs ? 0 : index];
        unsigned char *copy = malloc(in->length ? in->length : 1);
        double t0 = seconds();
        double scale = 1.0;
        if (strcmp(what, "mac") == 0) {
            mac_loop(mctx, in, loops);
        }
        else if (strcmp(what, "mac2") == 0) {
            if (mac_two_threads(mctx, in, loops) < 0) {
                fprintf(stderr, "hmac_floor: no second thread\n");
                return 1;
            }
            scale = 0.5;
        }
        else if (strcmp(what, "md") == 0) {
            for (long i = 0; i < loops; i++) {
                EVP_MD_CTX_copy_ex(run, inner);
                EVP_DigestUpdate(run, in->data, in->length);
                EVP_DigestFinal_ex(run, out, &mdlen);
                EVP_MD_CTX_copy_ex(run, outer);
                EVP_DigestUpdate(run, out, mdlen);
                EVP_DigestFinal_ex(run, out, &mdlen);
                sink ^= out[0];
            }
        }
        else {
            for (long i = 0; i < loops; i++) {
                copy_bytes(copy, in->data, in->length);
                sink ^= copy[0];
            }
        }
        printf("%.9f\n", (seconds() - t0) * scale);
        fflush(stdout);
        free(copy);
    }
    EVP_MAC_CTX_free(mctx);
    EVP_MAC_free(mac);
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
    EVP_MD_CTX_free(run);
    EVP_MD_free(sha256);
    OPENSSL_cleanse(block, sizeof block);
    for (int i = 0; i < ninputs; i++) {
        free(inputs[i].data);
    }
    free(key.data);
    return 0;
}

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

/// SHA-256 of `first`, one zero byte, then `second`, through the low-level API on a stack context: ~90 ns
/// for a short message, where OpenSSL 3's one-shot `SHA256()` looks the algorithm up on every call
/// (~500 ns). The low-level API is deprecated in OpenSSL 3 but kept (same digests, same SHA-NI code).
static inline void viz_sha256_joined(
    const void *first, size_t firstCount, const void *second, size_t secondCount, unsigned char *digest
) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    SHA256_CTX context;
    const unsigned char zero = 0;
    SHA256_Init(&context);
    SHA256_Update(&context, first, firstCount);
    SHA256_Update(&context, &zero, 1);
    SHA256_Update(&context, second, secondCount);
    SHA256_Final(digest, &context);
    OPENSSL_cleanse(&context, sizeof(context));
#pragma GCC diagnostic pop
}

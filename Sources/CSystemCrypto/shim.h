// OpenSSL libcrypto (Debian libssl-dev): DES and TDES for card verification values, and the
// constant-time helpers. The low-level DES API is deprecated in OpenSSL 3 but kept and supported; it
// gives an immutable key schedule that every worker thread can share, which EVP contexts cannot.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/des.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/evp.h>

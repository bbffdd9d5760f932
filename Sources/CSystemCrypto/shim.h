// OpenSSL libcrypto (Debian libssl-dev): DES and TDES for card verification values, SHA-1 for the AAV's
// HMAC (two states kept per key), and the constant-time helpers. The low-level DES and SHA-1 APIs are
// deprecated in OpenSSL 3 but kept and supported; they give immutable states that every worker thread can
// share or copy, which EVP contexts cannot.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/des.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

// Small RAII and parsing helpers over OpenSSL 3 for lib/src/auth.
#pragma once

#include <memory>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string>
#include <string_view>

namespace parley::auth::detail {

struct pkey_deleter {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using pkey_ptr = std::shared_ptr<EVP_PKEY>; // shared: one key, many signers/verifiers

// Parse Ed25519 keys from PEM (literal "\n" escapes accepted); throw key_error.
pkey_ptr parse_private_key(std::string_view pem);
pkey_ptr parse_public_key(std::string_view pem);
std::string public_pem(EVP_PKEY* key);
std::string kid_of(EVP_PKEY* key);

// Leaves the thread's OpenSSL error queue empty: a stale entry would confuse the next TLS
// call on this thread (SSL_get_error consults the queue).
struct clear_openssl_errors {
    ~clear_openssl_errors() { ERR_clear_error(); }
};

} // namespace parley::auth::detail

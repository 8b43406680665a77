// Times N password verifications (argon2id with the current parameters: what a login costs in
// CPU, excluding the store lookup) and N token verifications (Ed25519 + claim checks: what every
// authenticated request costs in every service), on one thread, and prints the averages.
//
//   parley-bench-auth-cost [password_verifications=20] [token_verifications=20000]
#include "parley/auth/password.hpp"
#include "parley/auth/token.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start)
{
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

} // namespace

int main(int argc, char** argv)
{
    using namespace parley;
    long const hash_runs = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 20;
    long const token_runs = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 20000;
    if (hash_runs < 1 || token_runs < 1) {
        std::fprintf(stderr, "usage: %s [password_verifications>=1] [token_verifications>=1]\n",
                     argv[0]);
        return 2;
    }

    auto const p = auth::current_password_params;
    std::string const password = "correct horse battery staple";
    auto const encoded = auth::hash_password(password);
    auto start = clock_type::now();
    long ok = 0;
    for (long i = 0; i < hash_runs; ++i)
        ok += auth::verify_password(password, encoded) ? 1 : 0;
    double const hash_s = seconds_since(start);
    start = clock_type::now();
    for (long i = 0; i < hash_runs; ++i)
        auth::dummy_verify(password);
    double const dummy_s = seconds_since(start);

    auto keys = auth::generate_ed25519();
    auth::token_signer signer(keys.private_pem);
    auth::token_verifier verifier;
    verifier.add_key(keys.public_pem);
    auto const token = signer.sign({.user_id = 42, .username = "ann", .is_admin = false});
    start = clock_type::now();
    long valid = 0;
    for (long i = 0; i < token_runs; ++i)
        valid += verifier.verify(token).has_value() ? 1 : 0;
    double const verify_s = seconds_since(start);
    start = clock_type::now();
    std::size_t total = 0;
    for (long i = 0; i < token_runs; ++i)
        total += signer.sign({.user_id = 42, .username = "ann", .is_admin = false}).size();
    double const sign_s = seconds_since(start);

    if (ok != hash_runs || valid != token_runs || total == 0) {
        std::fprintf(stderr, "verification failed unexpectedly\n");
        return 1;
    }
    std::printf("argon2id m=%u KiB t=%u p=%u\n", p.memory_kib, p.iterations, p.parallelism);
    std::printf("password verify (login):       %8.2f ms  (mean of %ld)\n",
                hash_s * 1e3 / hash_runs, hash_runs);
    std::printf("dummy verify (unknown user):   %8.2f ms  (mean of %ld)\n",
                dummy_s * 1e3 / hash_runs, hash_runs);
    std::printf("token verify (Ed25519 + claims): %6.2f us  (mean of %ld)\n",
                verify_s * 1e6 / token_runs, token_runs);
    std::printf("token sign:                    %8.2f us  (mean of %ld)\n",
                sign_s * 1e6 / token_runs, token_runs);
    return 0;
}

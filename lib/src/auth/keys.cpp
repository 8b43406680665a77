#include "auth/openssl.hpp"
#include "fs/private_files.hpp"
#include "parley/auth/token.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::auth {

namespace detail {

namespace {

struct bio_deleter {
    void operator()(BIO* b) const noexcept { BIO_free(b); }
};
using bio_ptr = std::unique_ptr<BIO, bio_deleter>;

// Environment variables often carry PEM with literal "\n" sequences instead of newlines.
std::string normalize_pem(std::string_view pem)
{
    std::string s(pem);
    if (s.find('\n') == std::string::npos && s.find("\\n") != std::string::npos) {
        std::string out;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
                out += '\n';
                ++i;
            } else {
                out += s[i];
            }
        }
        s = std::move(out);
    }
    return s;
}

// Never prompt on the terminal for the passphrase of an encrypted key: fail instead.
int no_passphrase(char*, int, int, void*)
{
    return 0;
}

template <class Read> pkey_ptr parse(std::string_view pem, Read read, char const* what)
{
    clear_openssl_errors clear;
    auto const text = normalize_pem(pem);
    if (text.size() > 64 * 1024)
        throw key_error(std::string("not a PEM ") + what + ": too long");
    bio_ptr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!bio)
        throw key_error("out of memory");
    pkey_ptr key(read(bio.get()), pkey_deleter{});
    if (!key)
        throw key_error(std::string("not a PEM ") + what);
    if (!EVP_PKEY_is_a(key.get(), "ED25519"))
        throw key_error(std::string("not an Ed25519 ") + what);
    return key;
}

std::string bio_string(BIO* bio)
{
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

} // namespace

pkey_ptr parse_private_key(std::string_view pem)
{
    return parse(
        pem, [](BIO* b) { return PEM_read_bio_PrivateKey(b, nullptr, no_passphrase, nullptr); },
        "private key");
}

pkey_ptr parse_public_key(std::string_view pem)
{
    return parse(
        pem, [](BIO* b) { return PEM_read_bio_PUBKEY(b, nullptr, no_passphrase, nullptr); },
        "public key");
}

std::string public_pem(EVP_PKEY* key)
{
    clear_openssl_errors clear;
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
        throw key_error("cannot encode a public key");
    return bio_string(bio.get());
}

std::string kid_of(EVP_PKEY* key)
{
    clear_openssl_errors clear;
    unsigned char* der = nullptr;
    int n = i2d_PUBKEY(key, &der);
    if (n <= 0)
        throw key_error("cannot encode a public key");
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_size = 0;
    int ok =
        EVP_Digest(der, static_cast<std::size_t>(n), digest, &digest_size, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    if (ok != 1)
        throw key_error("SHA-256 failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string id;
    for (unsigned i = 0; i < 8; ++i) {
        id += hex[digest[i] >> 4];
        id += hex[digest[i] & 15];
    }
    return id;
}

} // namespace detail

key_pair generate_ed25519()
{
    detail::clear_openssl_errors clear;
    detail::pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), detail::pkey_deleter{});
    if (!key)
        throw key_error("cannot generate an Ed25519 key");
    detail::bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw key_error("cannot encode a private key");
    return {detail::bio_string(bio.get()), detail::public_pem(key.get())};
}

std::string public_pem_of(std::string_view private_pem)
{
    return detail::public_pem(detail::parse_private_key(private_pem).get());
}

std::string key_id(std::string_view public_pem)
{
    return detail::kid_of(detail::parse_public_key(public_pem).get());
}

std::string read_key_file(std::filesystem::path const& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw key_error("cannot read key file " + path.string() + ": " + std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    if (!in && !in.eof())
        throw key_error("cannot read key file " + path.string());
    return s.str();
}

namespace {

// Writes a file in full under a temporary name in the same folder, with the given mode.
std::filesystem::path write_temp(std::filesystem::path const& target, std::string const& data,
                                 mode_t mode)
{
    auto tmp = target;
    tmp += ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        throw key_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
    ::fchmod(fd, mode); // in case the file existed with other bits
    std::size_t written = 0;
    while (written < data.size()) {
        auto n = ::write(fd, data.data() + written, data.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw key_error("cannot write " + tmp.string() + ": " + std::strerror(e));
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        ::unlink(tmp.c_str());
        throw key_error("cannot write " + tmp.string());
    }
    return tmp;
}

} // namespace

key_pair load_or_create_dev_keys(std::filesystem::path const& dir)
{
    std::error_code ec;
    auto const private_path = dir / "jwt-ed25519.pem";
    auto const public_path = dir / "jwt-ed25519.pub.pem";
    try {
        // The folder and both files are the owner's only (0700 / 0600), also when an older
        // Parley left them readable by others.
        fs::create_private_directories(dir);
        fs::tighten(dir);
        fs::tighten(private_path);
        fs::tighten(public_path);
    } catch (std::system_error const& e) {
        throw key_error("cannot create key folder " + dir.string() + ": " + e.what());
    }

    if (!std::filesystem::exists(private_path)) {
        auto fresh = generate_ed25519();
        auto tmp = write_temp(private_path, fresh.private_pem, 0600);
        // link() fails if the name exists: of two processes starting together, one key wins
        // and both use it.
        int rc = ::link(tmp.c_str(), private_path.c_str());
        int e = errno;
        if (rc != 0 && (e == EPERM || e == EOPNOTSUPP || e == ENOSYS)) {
            // A file system without hard links: rename instead (last writer wins).
            rc = ::rename(tmp.c_str(), private_path.c_str());
            e = errno;
        }
        ::unlink(tmp.c_str());
        if (rc != 0 && e != EEXIST)
            throw key_error("cannot create " + private_path.string() + ": " + std::strerror(e));
    }

    key_pair keys;
    keys.private_pem = read_key_file(private_path);
    keys.public_pem = public_pem_of(keys.private_pem); // also validates the private key
    std::string existing_public;
    if (std::filesystem::exists(public_path))
        existing_public = read_key_file(public_path);
    if (existing_public != keys.public_pem) {
        auto tmp = write_temp(public_path, keys.public_pem, 0600);
        std::filesystem::rename(tmp, public_path, ec);
        if (ec)
            throw key_error("cannot write " + public_path.string() + ": " + ec.message());
    }
    return keys;
}

} // namespace parley::auth

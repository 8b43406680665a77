// Name lookups with a deadline. getaddrinfo cannot be cancelled and Asio's resolver runs it on one
// thread per io_context, so a lookup that stalls (an unresponsive nameserver: glibc waits 5 s per
// try and server) would hold a connection attempt, and every lookup queued behind it, for as long
// as glibc waits. Here each lookup runs on a thread of its own and the caller waits at most
// `timeout`; a late answer is dropped when it comes.
//
//   auto [ec, endpoints] = co_await detail::resolve("auth", "5001", 2s);  // timed_out after 2 s
#pragma once

#include "parley/net.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace parley::http::detail {

using endpoint_list = std::vector<net::ip::tcp::endpoint>;

struct resolve_result {
    boost::system::error_code ec; // net::error::timed_out when the deadline passed first
    endpoint_list endpoints;      // in getaddrinfo's order; empty on error
};

// Lookups running at once in the process (threads); past this, a lookup fails at once with
// resource_unavailable_try_again instead of piling up threads on a stalled resolver.
inline constexpr std::size_t max_concurrent_lookups = 64;

// getaddrinfo(host, port) for TCP, waited for at most `timeout`.
net::awaitable<resolve_result> resolve(std::string host, std::string port,
                                       std::chrono::milliseconds timeout);

// Tests only: lookups started afterwards ask this nameserver (UDP, one try of 2 s) instead of
// those of /etc/resolv.conf; nothing restores resolv.conf's. Names in /etc/hosts still resolve
// from there.
void set_test_nameserver(std::optional<net::ip::udp::endpoint> nameserver);

// Lookup threads still running (tests).
std::size_t lookups_in_flight() noexcept;

} // namespace parley::http::detail

// The Asio vocabulary every part of Parley speaks, with no Beast in sight.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace parley {

namespace net = boost::asio;
using net::awaitable;

// Boost 1.81 has no default completion token: this one returns (error_code, ...) as a tuple
// instead of throwing, for the expected conditions (timeout, end of stream, cancellation).
inline constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

} // namespace parley

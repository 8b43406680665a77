// One HTTP/1.1 request read from bytes the way the server reads it from a socket, without one:
// the header under max_header_bytes, the route's body limit (a declared oversized body refused
// before it is read, a chunked one cut off at the limit), then the request as a plain value.
// The fuzz target test/fuzz/http_request.cpp and unit tests drive the parser and router through
// it; the server's connection loop makes the same choices (lib/src/http/server.cpp).
#pragma once

#include "parley/http/message.hpp"
#include "parley/http/router.hpp"

#include <cstddef>
#include <string_view>

namespace parley::http::detail {

struct parse_limits {
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 1024 * 1024; // when the route sets none
};

struct parse_outcome {
    enum kind {
        complete,   // `request` holds the request; `consumed` bytes of the input were used
        incomplete, // the input ends inside the request: the server would wait for more
        refused,    // `error` is the answer the server sends before closing (400, 413, 431)
    } result = incomplete;
    http::request request;
    http::response error;
    std::size_t consumed = 0;
    unsigned version = 11; // 10 or 11
    bool keep_alive = false;
};

// The body limit of the route that `m` and `path` select (the server's default otherwise).
std::size_t body_limit_for(router const& routes, method m, std::string_view path,
                           std::size_t fallback);

// Parses the first request of `bytes` (a pipelined one may follow: see `consumed`).
parse_outcome parse_request(std::string_view bytes, router const& routes,
                            parse_limits const& limits);

} // namespace parley::http::detail

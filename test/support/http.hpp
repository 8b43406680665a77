// Blocking HTTP exchanges for tests, on raw sockets: independent of the parley client under test.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace parley::test {

struct http_reply {
    unsigned status = 0;
    std::multimap<std::string, std::string> headers; // names lower-cased
    std::string body;

    std::string header(std::string const& lower_name) const;
    boost::json::value json() const; // throws if the body is not JSON
};

// The "error" text of a JSON error reply (throws if there is none).
std::string error_of(http_reply const& r);

using header_list = std::vector<std::pair<std::string, std::string>>;

// One request on a fresh connection (Connection: close); reads the whole reply.
http_reply http_call(std::uint16_t port, std::string const& method, std::string const& target,
                     std::string const& body = {}, header_list const& headers = {});

// The same from a given local address (e.g. "127.0.0.2": Linux routes all of 127/8 to the
// loopback interface), so that a test can be several clients.
http_reply http_call_from(std::string const& source_address, std::uint16_t port,
                          std::string const& method, std::string const& target,
                          std::string const& body = {}, header_list const& headers = {});

// Writes `bytes` as given, then reads until the server closes or `timeout` passes.
std::string raw_exchange(std::uint16_t port, std::string const& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

} // namespace parley::test

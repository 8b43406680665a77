#include "parley/http/error.hpp"

namespace parley::http {

response error::to_response() const
{
    auto r = json(status_, error_body(what(), code_));
    for (auto const& [name, value] : headers_)
        r.headers.add(name, value);
    return r;
}

error too_many_requests(std::string m, std::chrono::seconds retry_after)
{
    error e(status::too_many_requests, std::move(m), "rate_limited");
    e.with_header("Retry-After", std::to_string(std::max<long long>(1, retry_after.count())));
    return e;
}

} // namespace parley::http

#include "ws/server_session.hpp"
#include "parley/http/error.hpp"
namespace parley::ws::detail {
void session_tracker::close_all(close_code, std::string_view) {}
std::size_t session_tracker::size() const { return 0; }
http::response upgrade_response(http::request const&, session_options const&) { throw http::bad_request("stub"); }
net::awaitable<void> serve(net::ip::tcp::socket, std::string, std::shared_ptr<handler>, session_options, std::string, std::string, session_tracker&) { co_return; }
}

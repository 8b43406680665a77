#include "frontend/handlers/pages.hpp"

#include "frontend/static_files.hpp"
#include "parley/http/error.hpp"
#include "parley/service/instance.hpp"

namespace parley::frontend_app {

namespace {

bool looks_like_app_route(std::string_view path)
{
    auto last = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
    return last.find('.') == std::string_view::npos;
}

http::response file_response(http::request_context const& ctx, static_file f)
{
    if (auto match = ctx.request().headers.get("If-None-Match"); match && *match == f.etag) {
        http::response not_modified;
        not_modified.status = http::status::not_modified;
        not_modified.headers.set("ETag", f.etag);
        not_modified.headers.set("Cache-Control", "no-cache");
        return not_modified;
    }
    auto res = http::text(http::status::ok, std::move(f.content), f.content_type);
    res.headers.set("ETag", f.etag);
    // No content hashes in the file names: revalidate every time (cheap with the ETag).
    res.headers.set("Cache-Control", "no-cache");
    return res;
}

} // namespace

net::awaitable<http::response> serve_file(frontend_state& fs, http::request_context& ctx)
{
    std::string path(ctx.route() == "/" ? std::string_view("index.html") : ctx.param("file"));
    if (!safe_url_path(path))
        throw http::bad_request("Invalid path");
    auto read = [root = fs.assets, path] { return read_static_file(root, path); };
    auto file = co_await fs.runtime.offload(read);
    if (!file && looks_like_app_route(path)) {
        auto index = [root = fs.assets] { return read_static_file(root, "index.html"); };
        file = co_await fs.runtime.offload(index);
    }
    if (!file)
        throw http::not_found("Not found");
    co_return file_response(ctx, std::move(*file));
}

net::awaitable<http::response> app_config(frontend_state& fs, http::request_context& ctx)
{
    auto api = gateway_origin(fs, ctx);
    std::string ws =
        api.rfind("https://", 0) == 0 ? "wss://" + api.substr(8) : "ws://" + api.substr(7);
    auto res =
        http::json({{"api_base", api}, {"ws_url", ws + "/ws"}, {"version", parley::version()}});
    res.headers.set("Cache-Control", "no-store");
    co_return res;
}

net::awaitable<http::response> health(frontend_state&, http::request_context&)
{
    co_return http::json({{"status", "healthy"}, {"service", "frontend"}});
}

} // namespace parley::frontend_app

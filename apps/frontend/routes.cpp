// Every route of the frontend, in one place.
#include "frontend/routes.hpp"

#include "frontend/handlers/pages.hpp"

namespace parley::frontend_app {

void add_routes(http::router& r, std::shared_ptr<frontend_state> const& fs)
{
    r.get("/health", http::bind<health>(fs));
    r.get("/config.json", http::bind<app_config>(fs));
    r.get("/", http::bind<serve_file>(fs));
    r.get("/{file:path}", http::bind<serve_file>(fs));
}

} // namespace parley::frontend_app

// The API gateway: the one public origin of the API and the chat WebSocket (port 5000).
#include "gateway/setup.hpp"

int main()
{
    return parley::run_service({.name = "gateway",
                                .default_port = 5000,
                                .default_cors_origins = {"*"},
                                .default_max_connections_per_address = 1000},
                               parley::gateway_app::setup);
}
